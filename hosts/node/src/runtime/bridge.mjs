// The synchronous bridge between a plugin's worker and the main thread. A host import in the worker
// posts {rpc, frame} on a MessagePort and blocks on a 4-byte SharedArrayBuffer (Atomics.wait); the
// main thread answers (usually after asynchronous work), posts the answer frame and wakes it; the
// worker takes the answer with receiveMessageOnPort (its port has no listener, so nothing else does).

import { receiveMessageOnPort } from "node:worker_threads";

const PENDING = 0;
const ANSWERED = 1;

/** A new control word for one call's bridge (shared with the worker through workerData). */
export const newControl = () => new Int32Array(new SharedArrayBuffer(4));

/** Worker side: a blocking `(rpc, frame) => answer frame` over `port` and `control`. */
export function hostCaller(port, control) {
  return (rpc, frame) => {
    Atomics.store(control, 0, PENDING);
    port.postMessage({ rpc, frame });
    for (;;) {
      Atomics.wait(control, 0, PENDING);
      const answer = receiveMessageOnPort(port);
      if (answer !== undefined) return answer.message;
    }
  };
}

/** Main side: answers each call on `port` with `await answer(rpc, frame)`, then wakes the worker. */
export function serveCalls(port, control, answer) {
  port.on("message", async ({ rpc, frame }) => {
    port.postMessage(await answer(rpc, frame));
    Atomics.store(control, 0, ANSWERED);
    Atomics.notify(control, 0);
  });
}
