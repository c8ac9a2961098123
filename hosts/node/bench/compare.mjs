// `make bench-node`: the Node host next to the Python reference host, same component, same run.
// Measures jco's first transpile, a cached load, and the time of one check in a fresh sandbox (the
// median of N, after a warm-up) in each host, in one process each (no CLI start-up counted).

import { execFileSync } from "node:child_process";
import { MessageChannel, Worker } from "node:worker_threads";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import v8 from "node:v8";

v8.setFlagsFromString("--experimental-wasm-extended-const");
await import("../src/abi/register.mjs");
const { Host } = await import("../src/runtime/host.mjs");
const { newControl, serveCalls } = await import("../src/runtime/bridge.mjs");
const { buildPlugin, venvTool } = await import("../test/helpers.mjs");

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const config = new Map([["name", "Ada"]]);

const wasm = buildPlugin("examples/hello");
const cacheDir = path.join(mkdtempSync(path.join(tmpdir(), "reglet-bench-")), "cache");
const timed = async (work) => {
  const started = performance.now();
  return [await work(), performance.now() - started];
};
const [first, firstMs] = await timed(() => new Host({ cacheDir }).load(wasm));
const [cached, cachedMs] = await timed(() => new Host({ cacheDir, prepareNext: false }).load(wasm));

/** Median milliseconds of one check of `plugin`, after a warm-up call. */
async function checkMs(plugin) {
  await plugin.check(config);
  const times = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const started = performance.now();
    const result = await plugin.check(config);
    times.push(performance.now() - started);
    if (result.status !== "success") throw new Error(`the check did not pass: ${result.message}`);
  }
  return median(times);
}
const coldMs = await checkMs(cached); // a new worker and instance started by the call itself
const prepared = await new Host({ cacheDir, prepareNext: true }).load(wasm);
const preparedMs = await checkMs(prepared); // the instance was started while the previous call ran
prepared.host.close();

const python = `
import statistics, sys, tempfile, time
from pathlib import Path
from reglet_sdk.host import Host, HostConfig
wasm, rounds = sys.argv[1], int(sys.argv[2])
with tempfile.TemporaryDirectory() as cache:
    with Host(HostConfig(cache_dir=Path(cache))) as host:
        started = time.perf_counter(); host.load(wasm); first = time.perf_counter() - started
    with Host(HostConfig(cache_dir=Path(cache))) as host:
        started = time.perf_counter(); plugin = host.load(wasm); again = time.perf_counter() - started
        plugin.check({"name": "Ada"})
        times = []
        for _ in range(rounds):
            started = time.perf_counter(); plugin.check({"name": "Ada"}); times.append(time.perf_counter() - started)
print(first * 1000, again * 1000, statistics.median(times) * 1000)
`;
const [pyFirst, pyCached, pyCheck] = execFileSync(venvTool("python"), ["-c", python, wasm, String(ROUNDS)], { encoding: "utf8" })
  .trim()
  .split(" ")
  .map(Number);

/** Milliseconds per blocking host call through the worker bridge, answered after an await. */
async function bridgeCallMs(calls = 2000) {
  const { port1, port2 } = new MessageChannel();
  const control = newControl();
  serveCalls(port1, control, async (_rpc, frame) => frame);
  const worker = new Worker(new URL("./bridge-worker.mjs", import.meta.url), {
    workerData: { port: port2, control, calls },
    transferList: [port2],
  });
  const perCall = await new Promise((resolve) => worker.once("message", resolve));
  port1.close();
  await worker.terminate();
  return perCall;
}
const bridgeMs = await bridgeCallMs();

const rows = [
  ["first load (Node: jco transpile, compile, describe; Python: compile, describe)", firstMs, pyFirst],
  ["  Node: of which the jco transpile", first.entry.ms, null],
  ["cached load (Node: cache entry, compile, describe; Python: deserialize, describe)", cachedMs, pyCached],
  ["  Node: of which reading the cache entry", cached.entry.ms, null],
  [`one check in a fresh sandbox (median of ${ROUNDS})`, coldMs, pyCheck],
  ["  Node: the same, its sandbox prepared during the previous call", preparedMs, null],
  ["one host call through the worker bridge (Atomics.wait round trip)", bridgeMs, null],
];
console.log(`${"measurement".padEnd(84)}${"Node ms".padStart(10)}${"Python ms".padStart(12)}`);
for (const [label, node, py] of rows) {
  const digits = node < 1 ? 3 : 1;
  console.log(`${label.padEnd(84)}${node.toFixed(digits).padStart(10)}${(py === null ? "" : py.toFixed(1)).padStart(12)}`);
}
console.log(`Node check / Python check: ${(coldMs / pyCheck).toFixed(1)}x (prepared: ${(preparedMs / pyCheck).toFixed(1)}x)`);
