// Host.FsRead (and FsStat's path checks) in this host: the same answers as reglet_sdk/host/fs.py, on
// real files, FIFOs and devices. The conformance cases (conformance/cases/fs_read.yaml) run both hosts
// through a built component; these run the host functions directly, including the swap races.

import assert from "node:assert/strict";
import fs from "node:fs";
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { FsReadRequestSchema, services } from "../src/abi/messages.mjs";
import { CallHandlers } from "../src/host/handlers.mjs";
import { MAX_READ, fsRead } from "../src/host/fs.mjs";
import { Policy } from "../src/policy/policy.mjs";
import { parseRule } from "../src/policy/rules.mjs";

function tree() {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), "reglet-fsread-")));
  mkdirSync(path.join(root, "granted"));
  mkdirSync(path.join(root, "outside"));
  writeFileSync(path.join(root, "granted", "config"), "PermitRootLogin no\n");
  writeFileSync(path.join(root, "granted", "sibling"), "not granted\n");
  writeFileSync(path.join(root, "outside", "secret"), "secret\n");
  symlinkSync(path.join(root, "outside", "secret"), path.join(root, "granted", "escape"));
  symlinkSync("config", path.join(root, "granted", "alias"));
  return root;
}

const policy = (...grants) => new Policy(grants.map(parseRule));
const request = (p, extra = {}) => create(FsReadRequestSchema, { path: String(p), ...extra });
const read = (grants, p, extra = {}, options = {}) => fsRead(policy(...grants), request(p, extra), options);
const text = (response) => Buffer.from(response.content).toString();
const code = (response) => {
  assert.ok(response.error, "an error was expected");
  assert.equal(response.content.length, 0);
  return [response.error.type, response.error.code];
};

test("an exact-file grant reads that file, with its size; a sibling is denied naming the path asked", () => {
  const root = tree();
  const config = path.join(root, "granted", "config");
  const response = read([`fs:read:${config}`], config);
  assert.equal(response.error, undefined);
  assert.deepEqual([text(response), response.truncated, response.size], ["PermitRootLogin no\n", false, 19n]);
  assert.deepEqual(code(read([`fs:read:${config}`], path.join(root, "granted", "sibling"))), [
    "capability",
    `fs:read:${root}/granted/sibling`,
  ]);
  assert.equal(text(read([`fs:read:${config}`], path.join(root, "granted", "alias"))), "PermitRootLogin no\n");
});

test("max_bytes cuts and flags; a larger ask is capped at the host's maximum", () => {
  const root = tree();
  const config = path.join(root, "granted", "config");
  const cut = read([`fs:read:${root}/**`], config, { maxBytes: 4n });
  assert.deepEqual([text(cut), cut.truncated, cut.size], ["Perm", true, 19n]);
  const capped = read([`fs:read:${root}/**`], config, { maxBytes: 2n ** 64n - 1n }, { maxRead: 6 });
  assert.deepEqual([text(capped), capped.truncated], ["Permit", true]);
  assert.equal(MAX_READ, 10 << 20);
});

test("links and .. out of the grant are denied; a missing file is NOT_FOUND", () => {
  const root = tree();
  const grant = `fs:read:${root}/granted/**`;
  const escape = read([grant], path.join(root, "granted", "escape"));
  assert.deepEqual(code(escape), ["capability", `fs:read:${root}/granted/escape`]);
  assert.ok(!escape.error.message.includes("outside"));
  assert.deepEqual(code(read([grant], `${root}/granted/../outside/secret`)), ["capability", `fs:read:${root}/outside/secret`]);
  const missing = read([grant], path.join(root, "granted", "missing"));
  assert.deepEqual(code(missing), ["fs", "NOT_FOUND"]);
  assert.equal(missing.error.isNotFound, true);
});

test("a FIFO, devices and a directory are refused at once", () => {
  const root = tree();
  const fifo = path.join(root, "granted", "pipe");
  execFileSync("mkfifo", [fifo]);
  const started = performance.now();
  const refused = read([`fs:read:${fifo}`], fifo);
  assert.deepEqual(code(refused), ["fs", "NOT_A_REGULAR_FILE"]);
  assert.match(refused.error.message, /FIFO/);
  assert.ok(performance.now() - started < 5000);
  for (const device of ["/dev/zero", "/dev/null"]) assert.deepEqual(code(read([`fs:read:${device}`], device)), ["fs", "NOT_A_REGULAR_FILE"]);
  assert.deepEqual(code(read([`fs:read:${root}/granted`], `${root}/granted`)), ["fs", "NOT_A_REGULAR_FILE"]);
});

test("bad paths are invalid; canceled or late requests read nothing", () => {
  for (const bad of ["", "/etc/pass\0wd"]) assert.deepEqual(code(read(["fs:read:/etc/**"], bad)), ["validation", "INVALID_REQUEST"]);
  const root = tree();
  const config = path.join(root, "granted", "config");
  // Canceled and late requests are answered by CallHandlers.call, as every rpc's are.
  const fsReadMethod = services.HOST.methods.find((method) => method.jsName === "fsRead");
  const inTime = new CallHandlers({ pluginName: "t", requestId: "r", policy: policy(`fs:read:${config}`) });
  const late = new CallHandlers({ pluginName: "t", requestId: "r", policy: policy(`fs:read:${config}`), callDeadline: performance.now() - 1 });
  return Promise.all([
    inTime.call(fsReadMethod, request(config, { context: { canceled: true } })),
    late.call(fsReadMethod, request(config)),
  ]).then(([canceled, tooLate]) => {
    assert.deepEqual(code(canceled), ["timeout", "CANCELED"]);
    assert.deepEqual(code(tooLate), ["timeout", "TIMEOUT"]);
  });
});

test("the plugin's own deadline can end the read sooner than the host's", () => {
  const root = tree();
  const config = path.join(root, "granted", "config");
  const late = { seconds: BigInt(Math.floor(Date.now() / 1000) - 1), nanos: 0 };
  const response = read([`fs:read:${config}`], config, { context: { deadline: late } }, { callDeadline: performance.now() + 60_000 });
  assert.deepEqual(code(response), ["timeout", "TIMEOUT"]);
});

test("a relative path is resolved against the working directory; /proc files report at least what was read", () => {
  const root = tree();
  const before = process.cwd();
  process.chdir(path.join(root, "granted"));
  try {
    assert.equal(text(read([`fs:read:${root}/granted/config`], "config")), "PermitRootLogin no\n");
    assert.deepEqual(code(read([`fs:read:${root}/granted/config`], "sibling")), ["capability", "fs:read:sibling"]);
  } finally {
    process.chdir(before);
  }
  const status = read(["fs:read:/proc/**"], "/proc/self/status");
  assert.match(text(status), /^Name:/);
  assert.ok(status.size >= BigInt(status.content.length));
});

/** Runs `swap` once, inside the stat the host makes right after deciding the grant, then stats. */
function swapAtStat(swap) {
  const realStat = fs.statSync;
  fs.statSync = (...args) => {
    fs.statSync = realStat;
    syncBuiltinESMExports();
    swap();
    return realStat(...args);
  };
  syncBuiltinESMExports(); // named imports of node:fs see the replacement
}

test("a file swapped for a link after the check is not read (the kernel refuses the final link)", () => {
  const root = tree();
  const config = path.join(root, "granted", "config");
  swapAtStat(() => {
    fs.unlinkSync(config);
    fs.symlinkSync(path.join(root, "outside", "secret"), config);
  });
  assert.deepEqual(code(read([`fs:read:${config}`], config)), ["fs", "PATH_CHANGED"]);
});

test("a directory swapped for a link after the check is not read (the opened file's name is checked)", () => {
  const root = tree();
  const sub = path.join(root, "granted", "sub");
  mkdirSync(sub);
  writeFileSync(path.join(sub, "secret"), "granted copy\n");
  swapAtStat(() => {
    fs.rmSync(sub, { recursive: true });
    fs.symlinkSync(path.join(root, "outside"), sub);
  });
  assert.deepEqual(code(read([`fs:read:${root}/granted/**`], path.join(sub, "secret"))), [
    "capability",
    `fs:read:${root}/granted/sub/secret`,
  ]);
});

test("a link that vanishes while it is resolved is PATH_CHANGED, not a host failure", () => {
  // realpath lstat()s a link, then readlink()s it: a swap in between threw out of the host function
  // (found by the Python host's adversarial swap race). Both hosts retry, then say the path changed.
  const root = tree();
  const realReadlink = fs.readlinkSync;
  let calls = 0;
  fs.readlinkSync = (target) => {
    calls += 1;
    throw Object.assign(new Error(`ENOENT: no such file or directory, readlink '${target}'`), { code: "ENOENT" });
  };
  syncBuiltinESMExports();
  try {
    const alias = path.join(root, "granted", "alias");
    assert.deepEqual(code(read([`fs:read:${root}/granted/**`], alias)), ["fs", "PATH_CHANGED"]);
    const handlers = new CallHandlers({ pluginName: "t", requestId: "r", policy: policy(`fs:read:${root}/granted/**`) });
    return handlers.fsStat({ path: alias, followSymlinks: true }).then((stat) => {
      assert.deepEqual([stat.error?.type, stat.error?.code], ["fs", "PATH_CHANGED"]);
      assert.ok(calls >= 2, "the resolution is retried before giving up");
    });
  } finally {
    fs.readlinkSync = realReadlink;
    syncBuiltinESMExports();
  }
});
