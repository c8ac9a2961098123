// One plugin call, in its own worker thread (so the host can stop it at its deadline). The worker
// instantiates the transpiled component as soon as it starts (with the locked-down WASI of the
// grants it was started with, and the reglet:abi/host imports), then waits for the one call it will
// ever make: {functionName, frame} from the main thread; it posts the answer frame (or the trap).
// A host import blocks this thread (Atomics.wait) while the main thread does the work, which is
// often asynchronous (DNS, HTTP, sockets, child processes): see bridge.mjs.

import { parentPort, workerData } from "node:worker_threads";
import { hostCaller } from "./bridge.mjs";
import { GuestExit, wasiImports } from "./wasi.mjs";

const { port, control, modules, jsUrl, hostImport, hostFunctions, exportName, wasi } = workerData;
const callHost = hostCaller(port, control);

function describe(error) {
  return {
    name: error?.constructor?.name ?? typeof error,
    message: String(error?.message ?? error),
    stack: String(error?.stack ?? ""),
    exit: error instanceof GuestExit,
  };
}

let exported;
try {
  const { instantiate } = await import(jsUrl);
  const host = Object.fromEntries(hostFunctions.map((name) => [name, (request) => callHost(name, request)]));
  const imports = { ...wasiImports(wasi), [hostImport]: host };
  exported = instantiate((name) => modules[name], imports)[exportName];
} catch (error) {
  parentPort.postMessage({ trap: describe(error) });
}
if (exported) {
  parentPort.once("message", ({ functionName, frame }) => {
    try {
      parentPort.postMessage({ ok: exported[functionName](frame) });
    } catch (error) {
      parentPort.postMessage({ trap: describe(error) });
    }
  });
}
