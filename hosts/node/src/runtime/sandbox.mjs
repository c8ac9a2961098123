// One plugin call in a fresh sandbox: a new worker thread and a new instance (no state leaks between
// calls), the locked-down WASI, the host functions bound to this call, and a deadline. At the deadline
// the worker is terminated (a busy loop in WebAssembly included) and the call reported as a
// `timeout` error; a trap or an exit becomes a `panic` error. The host process carries on.

import { randomUUID } from "node:crypto";
import { MessageChannel, Worker } from "node:worker_threads";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { DEFAULT_MAX_REQUEST_BYTES, callFramed, decodeFrame, encodeFrame, errorDetail } from "../abi/frames.mjs";
import { CallContextSchema, services } from "../abi/messages.mjs";
import { CallHandlers } from "../host/handlers.mjs";
import { OutputLines } from "../host/log.mjs";
import { newControl, serveCalls } from "./bridge.mjs";
import { fmtG } from "../host/text.mjs";

const WORKER = new URL("./worker.mjs", import.meta.url);
const HOST_METHODS = new Map(services.HOST.methods.map((method) => [method.jsName, method]));

function timeoutDetail(elapsed, limit) {
  return errorDetail(
    "timeout",
    "TIMEOUT",
    `the plugin ran for ${elapsed.toFixed(1)} s, past its ${fmtG(limit)} s limit, and was stopped. Raise the limit ` +
      "with --timeout if the check legitimately needs longer.",
    { isTimeout: true },
  );
}

function trapDetail(trap) {
  const firstLine = trap.message.trim().split("\n")[0] || trap.name;
  if (trap.exit) return errorDetail("panic", "EXIT", `${trap.message}; a plugin must return its answer instead`);
  return errorDetail("panic", "TRAP", `the plugin trapped: ${firstLine}`, { stack: trap.stack || trap.message });
}

/** Serves the worker's host calls on `port` with `handlers` until the call ends. */
function serveHostCalls(port, control, handlers, maxRequestBytes) {
  serveCalls(port, control, (rpc, frame) => {
    const method = HOST_METHODS.get(rpc); // the worker only sends names from this table
    return callFramed(method, (request) => handlers.call(method, request), frame, { maxRequestBytes });
  });
}

/**
 * A sandbox for one call: a worker that instantiates `plugin` with the WASI of `policy` right away,
 * so the instance is ready when the call comes (a fresh instance per call all the same). Its stdout
 * and stderr go to the host log. Unref'd until used, so a spare never keeps the process alive.
 */
export function startSandbox(plugin, policy) {
  const control = newControl();
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER, {
    workerData: {
      port: port2,
      control,
      modules: plugin.modules,
      jsUrl: plugin.entry.jsUrl,
      hostImport: services.HOST.jcoImportName,
      hostFunctions: [...HOST_METHODS.keys()],
      exportName: services.PLUGIN.witInterface,
      wasi: { environment: policy.environment(process.env), preopens: policy.preopens().preopens },
    },
    transferList: [port2],
    env: {}, // the worker's own process.env: nothing of the host's
    execArgv: [],
    stdout: true,
    stderr: true,
  });
  const stdout = new OutputLines(plugin.name, "stdout", "INFO");
  const stderr = new OutputLines(plugin.name, "stderr", "WARNING");
  worker.stdout.on("data", (chunk) => stdout.write(chunk));
  worker.stderr.on("data", (chunk) => stderr.write(chunk));
  const early = [];
  const keep = (message) => early.push(message); // a trap while instantiating, before the call
  worker.on("message", keep);
  worker.on("error", keep);
  worker.unref();
  port1.unref();
  const box = { worker, port: port1, control, policy, stdout, stderr, early, keep, exited: false };
  worker.once("exit", () => (box.exited = true));
  return box;
}

/**
 * Calls one export of `plugin` with `request` (a message of method.requestSchema) in `sandbox` (or a
 * new one): resolves with {response} or {failure: ErrorDetail} (why the sandbox stopped the call).
 */
export function invoke(plugin, method, request, { timeout, policy, settings, sandbox }) {
  const box = sandbox ?? startSandbox(plugin, policy);
  const { worker, port, control, stdout, stderr } = box;
  worker.ref();
  port.ref();
  const requestId = randomUUID().replaceAll("-", "");
  const started = performance.now();
  const callDeadline = started + timeout * 1000;
  request.context = create(CallContextSchema, {
    deadline: timestampFromMs(Date.now() + timeout * 1000),
    timeoutMs: BigInt(Math.floor(timeout * 1000)),
    requestId,
  });
  const handlers = new CallHandlers({ pluginName: plugin.name, requestId, policy, callDeadline, ...settings });
  serveHostCalls(port, control, handlers, settings.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      port.close();
      handlers.close();
      resolve(outcome); // the answer does not wait for the worker (and the shim's I/O thread) to wind down
      worker.terminate().finally(() => {
        stdout.flush();
        stderr.flush();
      });
    };
    const timer = setTimeout(() => finish({ failure: timeoutDetail((performance.now() - started) / 1000, timeout) }), timeout * 1000);
    const onMessage = (message) => {
      if (message instanceof Error) return finish({ failure: trapDetail({ name: message.name, message: message.message, stack: message.stack }) });
      if (message.trap) return finish({ failure: trapDetail(message.trap) });
      try {
        finish({ response: fromBinary(method.responseSchema, decodeFrame(message.ok)) });
      } catch (error) {
        const detail = errorDetail("internal", "BAD_RESPONSE", `the plugin's ${method.name} answer is not a valid message: ${error.message}`);
        finish({ failure: detail });
      }
    };
    worker.off("message", box.keep);
    worker.off("error", box.keep);
    for (const message of box.early) onMessage(message);
    worker.on("message", onMessage);
    worker.on("error", onMessage);
    const stopped = () => finish({ failure: errorDetail("panic", "TRAP", "the plugin's worker stopped without an answer") });
    if (box.exited) stopped();
    worker.on("exit", stopped);
    worker.postMessage({ functionName: method.jsName, frame: encodeFrame(toBinary(method.requestSchema, request)) });
  });
}
