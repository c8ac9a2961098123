// Worker half of the bridge micro-benchmark (bench/compare.mjs): N blocking calls through bridge.mjs.
import { parentPort, workerData } from "node:worker_threads";
import { hostCaller } from "../src/runtime/bridge.mjs";

const call = hostCaller(workerData.port, workerData.control);
const started = performance.now();
for (let i = 0; i < workerData.calls; i += 1) call("log", "GgVoZWxsbw==");
parentPort.postMessage((performance.now() - started) / workerData.calls);
