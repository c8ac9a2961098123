// One plugin call, in its own worker thread (so the host can stop it at its deadline): instantiate
// the transpiled component with the locked-down WASI and the reglet:abi/host imports, call one
// export, post the answer. A host import blocks this thread (Atomics.wait) while the main thread does
// the work, which is often asynchronous (DNS, HTTP, sockets, child processes), and reads the answer
// from its port with receiveMessageOnPort.

import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { GuestExit, wasiImports } from "./wasi.mjs";

const { port, control, modules, jsUrl, hostImport, hostFunctions, exportName, functionName, frame, wasi } = workerData;

const PENDING = 0;

/** Sends one host call to the main thread and waits for its answer frame. */
function callHost(rpc, requestFrame) {
  Atomics.store(control, 0, PENDING);
  port.postMessage({ rpc, frame: requestFrame });
  for (;;) {
    Atomics.wait(control, 0, PENDING);
    const answer = receiveMessageOnPort(port);
    if (answer !== undefined) return answer.message;
  }
}

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
