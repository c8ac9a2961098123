// describe and check of real components through the reglet-node CLI: results, exit codes, failures,
// timeouts and traps, each call in a fresh sandbox, and the same document as the Python host prints.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, test } from "node:test";
import { parseRule } from "../src/policy/rules.mjs";
import { parse } from "../src/pyjson.mjs";
import { buildPlugin, checkData, get, runCli, venvTool } from "./helpers.mjs";

let hello;
let misbehaving;

before(() => {
  hello = buildPlugin("examples/hello");
  misbehaving = buildPlugin("tests/plugins/misbehaving");
});

/** The document without what differs from run to run (times, durations, request ids). */
function stable(document) {
  const copy = structuredClone(document);
  for (const key of ["timestamp", "metadata"]) copy.delete?.(key);
  copy.get?.("data")?.delete("request_id");
  return copy;
}

test("check prints the same document as `reglet-sdk check --format json` and exits 0/1/2", async () => {
  for (const [config, code] of [[{ name: "Ada", times: 2 }, 0], [{ name: "ada", require_name_capitalised: true }, 1], [{ nmae: "Ada" }, 2]]) {
    const node = await runCli(["check", hello, "--config", JSON.stringify(config)]);
    assert.equal(node.code, code, node.stderr);
    let python;
    try {
      python = execFileSync(venvTool("reglet-sdk"), ["check", hello, "--config", JSON.stringify(config), "--format", "json"], { encoding: "utf8" });
    } catch (failure) {
      assert.equal(failure.status, code);
      python = failure.stdout;
    }
    assert.deepEqual(stable(node.document), stable(parse(python)));
  }
});

test("describe names the plugin and what it requests", async () => {
  const text = await runCli(["describe", hello]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^hello 1\.0\.0\n/);
  const json = await runCli(["describe", hello, "--format", "json"]);
  assert.equal(get(json.document, "name"), "hello");
  assert.equal(get(json.document, "config_schema", "type"), "object");
});

test("plugin log records and prints reach the host log, with the plugin's name", async () => {
  const run = await checkData(misbehaving, { mode: "log" });
  assert.match(run.stderr, /\[misbehaving\] INFO checked thing port=443/);
  assert.match(run.stderr, /\[misbehaving\] WARNING careful/);
  const printed = await checkData(misbehaving, { mode: "print" });
  assert.match(printed.stderr, /\[misbehaving\] INFO stdout: hello from print/);
  assert.match(printed.stderr, /\[misbehaving\] WARNING stderr: to stderr/);
});

test("integers of any size, floats and key order cross exactly", async () => {
  const run = await checkData(misbehaving, {});
  assert.match(run.stdout, /"big": 1180591620717411303424,\n\s+"neg": -9223372036854775808,\n\s+"float": 1\.0,/);
});

test("an exception in the check is an error result with the Python traceback", async () => {
  const run = await checkData(misbehaving, { mode: "raise" });
  assert.equal(run.code, 2);
  assert.equal(get(run.document, "error", "type"), "panic");
  assert.match(get(run.document, "error", "stack"), /plugin\.py.*explode|ZeroDivisionError/s);
});

test("a busy loop is stopped at --timeout as a timeout error, and the host process ends normally", async () => {
  const run = await checkData(misbehaving, { mode: "loop" }, [], ["--timeout", "3"]);
  assert.equal(run.code, 2);
  assert.equal(get(run.document, "error", "type"), "timeout");
  assert.equal(get(run.document, "error", "code"), "TIMEOUT");
  assert.ok(run.seconds < 3 + 15, `took ${run.seconds} s`); // load + describe + 3 s, generous on a busy machine
});

test("one Host serves a call after a timeout, each call in a fresh instance", async () => {
  const { Host } = await import("../src/runtime/host.mjs");
  const host = new Host({ timeout: 2, cacheDir: path.join(mkdtempSync(path.join(tmpdir(), "reglet-node-")), "cache") });
  const plugin = await host.load(misbehaving);
  const looped = await plugin.check(new Map([["mode", "loop"]]));
  assert.equal(looped.error.type, "timeout");
  for (let i = 0; i < 2; i += 1) {
    const state = await plugin.check(new Map([["mode", "state"]]), 30);
    assert.equal(state.status, "success");
    assert.equal(state.data.get("calls"), 1n, "module state must not survive a call");
  }
});

test("a prepared sandbox is a fresh instance too, and close() lets the process end", async () => {
  const { Host } = await import("../src/runtime/host.mjs");
  const host = new Host({ prepareNext: true, cacheDir: path.join(mkdtempSync(path.join(tmpdir(), "reglet-node-")), "cache") });
  const plugin = await host.load(misbehaving);
  for (let i = 0; i < 3; i += 1) {
    const state = await plugin.check(new Map([["mode", "state"]]));
    assert.equal(state.data.get("calls"), 1n);
  }
  plugin.grant([parseRule("env:NOTHING")]); // other grants: the sandbox prepared for the old ones is not used
  assert.equal((await plugin.check(new Map([["mode", "state"]]))).data.get("calls"), 1n);
  host.close();
});

test("a plugin that grows its memory past the limit is stopped, and the host reports it", async () => {
  const run = await checkData(misbehaving, { mode: "bomb" }, [], ["--memory-limit", "64", "--timeout", "60"]);
  assert.equal(run.code, 2);
  assert.notEqual(get(run.document, "error", "type"), "timeout", run.stdout);
});

test("first load transpiles with jco, a second load of the same bytes comes from the cache", async () => {
  const { Host } = await import("../src/runtime/host.mjs");
  const cacheDir = path.join(mkdtempSync(path.join(tmpdir(), "reglet-node-")), "cache");
  const first = await new Host({ cacheDir }).load(hello);
  const second = await new Host({ cacheDir }).load(hello);
  assert.equal(first.entry.fromCache, false);
  assert.equal(second.entry.fromCache, true);
  assert.equal(readdirSync(cacheDir).length, 1);
  process.stderr.write(`# transpile ${first.entry.ms.toFixed(0)} ms, cached load ${second.entry.ms.toFixed(1)} ms\n`);
});

test("bad input is a one-paragraph error and exit 2", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "reglet-node-"));
  const text = path.join(dir, "not.wasm");
  writeFileSync(text, "hello");
  const core = path.join(dir, "core.wasm");
  writeFileSync(core, Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  const cases = [
    [["check", text], /is not a WebAssembly file/],
    [["check", core], /is a core WebAssembly module, not a component/],
    [["check", path.join(dir, "missing.wasm")], /cannot be read/],
    [["check", hello, "--config", "{nope"], /is not valid JSON/],
    [["check", hello, "--config", "[1]"], /must be a JSON object/],
    [["check", hello, "--grant", "network:example.com"], /is not a capability rule/],
    [["check", hello, "--timeout", "0"], /--timeout must be a positive number/],
    [["launch", hello], /unknown command/],
  ];
  for (const [args, message] of cases) {
    const run = await runCli(args);
    assert.equal(run.code, 2, args.join(" "));
    assert.match(run.stderr, message);
  }
});
