// One plugin call, in its own worker thread (so the host can stop it at its deadline): instantiate
// the transpiled component with the locked-down WASI and the reglet:abi/host imports, call one
// export, post the answer. A host import blocks this thread (Atomics.wait) while the main thread does
// the work, which is often asynchronous (DNS, HTTP, sockets, child processes): see bridge.mjs.

import { parentPort, workerData } from "node:worker_threads";
import { hostCaller } from "./bridge.mjs";
import { GuestExit, wasiImports } from "./wasi.mjs";

const { port, control, modules, jsUrl, hostImport, hostFunctions, exportName, functionName, frame, wasi } = workerData;
const callHost = hostCaller(port, control);

function describe(error) {
  return {
    name: error?.constructor?.name ?? typeof error,
    message: String(error?.message ?? error),
    stack: String(error?.stack ?? ""),
    exit: error instanceof GuestExit,
  };
}

try {
  const { instantiate } = await import(jsUrl);
  const host = Object.fromEntries(hostFunctions.map((name) => [name, (request) => callHost(name, request)]));
  const imports = { ...wasiImports(wasi), [hostImport]: host };
  const instance = instantiate((name) => modules[name], imports);
  const exported = instance[exportName];
  const answer = exported[functionName](frame);
  parentPort.postMessage({ ok: answer });
} catch (error) {
  parentPort.postMessage({ trap: describe(error) });
}
