// What the component gets from WASI and from ExecCommand: only granted variables, only granted
// directories (read-only unless write is granted), no sockets, commands only by grant, with the
// host's environment hardening, output caps, timeout and process-group kill.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { before, test } from "node:test";
import { buildPlugin, checkData, get } from "./helpers.mjs";

let probe;
let root;

before(() => {
  probe = buildPlugin("tests/plugins/capabilities");
  root = mkdtempSync(path.join(tmpdir(), "reglet-node-sandbox-"));
  mkdirSync(path.join(root, "data"));
  mkdirSync(path.join(root, "out"));
  writeFileSync(path.join(root, "data", "note.txt"), "from the host");
  writeFileSync(path.join(root, "secret.txt"), "not granted");
});

const data = (run) => get(run.document, "data");

test("the environment holds only the granted variables", async () => {
  const run = await checkData(probe, { op: "env" }, ["env:REGLET_TEST_*"], [], {});
  const environ = get(data(run), "environ");
  assert.ok(environ instanceof Map);
  for (const name of environ.keys()) assert.match(name, /^REGLET_TEST_/);
  assert.equal(environ.has("HOME"), false);
  assert.equal(environ.has("PATH"), false);
});

test("a read grant mounts the folder read-only: reads work, writes and escapes do not", async () => {
  const grant = `fs:read:${root}/data/**`;
  const read = await checkData(probe, { op: "read", path: `${root}/data/note.txt` }, [grant]);
  assert.equal(get(data(read), "content"), "from the host");
  const write = await checkData(probe, { op: "write", path: `${root}/data/new.txt` }, [grant]);
  assert.equal(get(data(write), "ok"), false);
  assert.equal(existsSync(path.join(root, "data", "new.txt")), false);
  const escape = await checkData(probe, { op: "read", path: `${root}/data/../secret.txt` }, [grant]);
  assert.equal(get(data(escape), "ok"), false);
  const ungranted = await checkData(probe, { op: "read", path: `${root}/secret.txt` }, ["env:NONE"]);
  assert.equal(get(data(ungranted), "ok"), false);
});

test("a write grant mounts the folder writable", async () => {
  const run = await checkData(probe, { op: "write", path: `${root}/out/made.txt` }, [`fs:write:${root}/out/**`]);
  assert.equal(get(data(run), "ok"), true, run.stdout);
  assert.equal(readFileSync(path.join(root, "out", "made.txt"), "utf8"), "written by the plugin");
});

test("WASI sockets are denied; the network goes only through host functions", async () => {
  const run = await checkData(probe, { op: "socket", port: 9 }, ["network:127.0.0.1:*"]);
  assert.equal(get(data(run), "ok"), false);
  assert.equal(get(data(run), "error"), "PermissionError");
});

test("exec runs a granted command by argv and refuses others with the rule needed", async () => {
  const ran = await checkData(probe, { op: "exec", command: "/usr/bin/id", args: ["-u"] }, ["exec:/usr/bin/id"]);
  assert.equal(get(data(ran), "exit_code"), BigInt(process.getuid()) === 0n ? 0n : 0n);
  assert.equal(get(data(ran), "stdout").trim(), String(process.getuid()));
  const refused = await checkData(probe, { op: "exec", command: "/usr/bin/touch", args: [`${root}/touched`] }, ["exec:/usr/bin/id"]);
  assert.equal(get(data(refused), "type"), "capability");
  assert.equal(get(data(refused), "code"), "exec:/usr/bin/touch");
  assert.equal(existsSync(path.join(root, "touched")), false);
});

test("exec output is capped at 10 MiB and flagged", async () => {
  const run = await checkData(probe, { op: "exec", command: "/usr/bin/head", args: ["-c", "11000000", "/dev/zero"] }, ["exec:/usr/bin/head"]);
  assert.equal(get(data(run), "stdout_len"), BigInt(10 << 20));
  assert.equal(get(data(run), "stdout_truncated"), true);
});

test("exec timeout kills the whole process group", async () => {
  const marker = path.join(root, "survivor");
  const script = `sleep 5 & sleep 3; touch ${marker}`;
  const run = await checkData(probe, { op: "exec", command: "/bin/sh", args: ["-c", script], timeout: 1 }, ["exec:/bin/sh", "exec:/usr/bin/sh"]);
  assert.equal(get(data(run), "is_timeout"), true, run.stdout);
  assert.equal(get(data(run), "exit_code"), -1n);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal(existsSync(marker), false, "a child of the timed-out command ran on");
});

test("exec environment is an allow-list: granted names and the safe set pass, anything else is refused", async () => {
  const granted = ["exec:/usr/bin/env", "env:GREETING"];
  const run = await checkData(probe, { op: "exec", command: "/usr/bin/env", env: ["GREETING=hi", "LANG=C"] }, granted);
  const lines = get(data(run), "stdout").trim().split("\n").sort();
  assert.deepEqual(lines, ["GREETING=hi", "LANG=C"]);
  const env = ["LD_PRELOAD=/tmp/evil.so", "PATH=/tmp", "GREETING=hi"];
  const refused = await checkData(probe, { op: "exec", command: "/usr/bin/env", env }, granted);
  assert.equal(get(data(refused), "type"), "validation");
  assert.equal(get(data(refused), "code"), "ENV_NOT_ALLOWED");
  assert.match(run.stderr + refused.stderr, /refused to run \/usr\/bin\/env: PATH may not be passed to commands/);
});
