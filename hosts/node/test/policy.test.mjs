// The grant rules and policy match the Python host's semantics (reglet_sdk/host/rules.py, policy.py).

import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { blockedClass, canonicalHost, parseIP } from "../src/host/net/ip.mjs";
import { fnmatchcase, pathGlob } from "../src/policy/globs.mjs";
import { Policy } from "../src/policy/policy.mjs";
import { RuleError, parseRule } from "../src/policy/rules.mjs";

test("rules parse in the --grant syntax and print back the same", () => {
  for (const text of ["exec:/usr/bin/uname", "fs:read:/data/**", "fs:write:/tmp/out/**", "env:AWS_*", "network:api.example.com:443", "network:[::1]:53", "network:*.example.com:80-90", "kv:read-write:config-*"]) {
    assert.equal(String(parseRule(text)), text);
  }
  assert.equal(String(parseRule("network:API.Example.com:*")), "network:api.example.com:*");
  for (const bad of ["exec", "fs:delete:/x", "network:host", "network:::1:53", "network:host:0", "network:host:90-80", "color:red"]) {
    assert.throws(() => parseRule(bad), RuleError, bad);
  }
});

test("path globs: ** any depth (and the folder itself), * and ? within one segment", () => {
  assert.ok(pathGlob("/data/**").test("/data"));
  assert.ok(pathGlob("/data/**").test("/data/a/b/c"));
  assert.ok(!pathGlob("/data/**").test("/database"));
  assert.ok(pathGlob("/data/*.txt").test("/data/a.txt"));
  assert.ok(!pathGlob("/data/*.txt").test("/data/a/b.txt"));
  assert.ok(pathGlob("/a/**/z").test("/a/z") && pathGlob("/a/**/z").test("/a/b/c/z"));
  assert.ok(fnmatchcase("APP_NAME", "APP_*") && !fnmatchcase("app_name", "APP_*"));
  assert.ok(fnmatchcase("a.b.example.com", "*.example.com") && !fnmatchcase("example.com", "*.example.com"));
});

test("fs rules see through .. and symlinks; write implies read, read does not allow write", () => {
  const root = mkdtempSync(path.join(tmpdir(), "reglet-policy-"));
  mkdirSync(path.join(root, "data"));
  writeFileSync(path.join(root, "secret"), "x");
  symlinkSync(path.join(root, "secret"), path.join(root, "data", "escape"));
  const policy = new Policy([parseRule(`fs:read:${root}/data/**`), parseRule(`fs:write:${root}/out/**`)]);
  assert.ok(policy.fs(path.join(root, "data", "file")));
  assert.equal(policy.fs(path.join(root, "data", "..", "secret")), null);
  assert.equal(policy.fs(path.join(root, "data", "escape")), null, "a symlink out of the tree is outside it");
  assert.ok(policy.fs(path.join(root, "data", "escape"), { followSymlinks: false }), "the link itself is inside");
  assert.equal(policy.fs(path.join(root, "data", "file"), { write: true }), null);
  assert.ok(policy.fs(path.join(root, "out", "new", "file"), { write: true }));
  const { preopens, problems } = policy.preopens();
  assert.deepEqual(preopens, [{ hostPath: path.join(root, "data"), guestPath: path.join(root, "data"), writable: false }]);
  assert.match(problems[0], /is not an existing directory/);
});

test("exec rules match the resolved command; a bare rule only what the search path yields", () => {
  const policy = new Policy([parseRule("exec:/usr/bin/id"), parseRule("exec:uname")]);
  assert.ok(policy.exec("/usr/bin/id"));
  assert.ok(policy.exec("id"), "a bare name resolves through the search path");
  assert.ok(policy.exec("uname"));
  assert.equal(policy.exec("/usr/bin/../bin/touch"), null);
  assert.equal(policy.exec("/nonexistent/uname"), null);
});

test("network rules: host glob and port in one rule, hosts compared canonically", () => {
  const policy = new Policy([parseRule("network:*.example.com:443"), parseRule("network:[::1]:8000-8100")]);
  assert.ok(policy.network("API.example.com.", 443));
  assert.equal(policy.network("api.example.com", 80), null);
  assert.ok(policy.network("0:0:0:0:0:0:0:1", 8080));
  assert.equal(policy.network("example.com", 443), null);
});

test("environment: exactly the variables an env rule names", () => {
  const policy = new Policy([parseRule("env:APP_*")]);
  assert.deepEqual(policy.environment({ APP_B: "2", HOME: "/root", APP_A: "1" }), [["APP_A", "1"], ["APP_B", "2"]]);
});

test("the SSRF classes are the Python host's", () => {
  const cases = {
    "127.0.0.1": "loopback", "10.1.2.3": "private (RFC 1918)", "169.254.169.254": "link-local (cloud metadata)",
    "100.64.0.1": "carrier-grade NAT", "::1": "loopback", "fd00::1": "unique local (ULA)", "::ffff:8.8.8.8": "IPv4-mapped",
    "64:ff9b::1.2.3.4": "NAT64", "224.0.0.1": "multicast", "8.8.8.8": "", "2001:4860:4860::8888": "",
  };
  for (const [text, kind] of Object.entries(cases)) assert.equal(blockedClass(parseIP(text)), kind, text);
  assert.equal(canonicalHost("[0:0::1]"), "::1");
});
