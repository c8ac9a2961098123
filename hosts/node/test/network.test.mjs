// The network host functions against loopback servers, through the example plugins: each case runs
// in both hosts (reglet-node and the Python reference host, same component, same servers) and the
// two documents must be equal apart from timings; then the case's own facts are checked.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, test } from "node:test";
import { parse } from "../src/pyjson.mjs";
import { buildPlugin, get, runCli, venvTool } from "./helpers.mjs";
import { startServers } from "./servers.mjs";

let servers;
const plugins = {};
const TIMING = new Set(["response_time_ms", "query_time_ms", "duration_ms", "local_addr", "timestamp", "metadata", "request_id", "Date"]);

before(async () => {
  for (const name of ["http", "dns", "tcp", "smtp", "tls_check"]) plugins[name] = buildPlugin(`examples/${name}`);
  servers = await startServers();
});
after(() => servers.close());

function withoutTimings(value, skip = TIMING) {
  if (value instanceof Map) {
    return new Map([...value.entries()].filter(([key]) => !skip.has(key)).map(([key, item]) => [key, withoutTimings(item, skip)]));
  }
  if (Array.isArray(value)) return value.map((item) => withoutTimings(item, skip));
  return value;
}

function pythonCheck(args) {
  return new Promise((resolve) => {
    execFile(venvTool("reglet-sdk"), [...args, "--format", "json"], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? error.code : 0, document: stdout ? parse(stdout) : null, stderr });
    });
  });
}

/**
 * Runs one check in both hosts; asserts they agree and returns the Node document. With
 * `tlsFailure`, messages and verification_error are not compared: they quote each TLS library's own
 * reason (for an unknown CA, OpenSSL says "unable to get local issuer certificate" in one host and
 * "unable to verify the first certificate" in the other; verification_code is the same).
 */
async function bothHosts(plugin, config, grants, extra = [], { tlsFailure = false } = {}) {
  const args = ["check", plugins[plugin], "--config", JSON.stringify(config), ...grants.flatMap((g) => ["--grant", g]), ...extra];
  const [node, python] = await Promise.all([runCli(args), pythonCheck(args)]);
  assert.ok(node.document, node.stderr);
  assert.ok(python.document, python.stderr);
  const skip = tlsFailure ? new Set([...TIMING, "message", "verification_error"]) : TIMING;
  assert.deepEqual(withoutTimings(node.document, skip), withoutTimings(python.document, skip));
  assert.equal(node.code, python.code);
  return node.document;
}

const local = (name) => `network:127.0.0.1:${servers.ports[name]}`;
const url = (name, route) => `${name === "https" ? "https" : "http"}://127.0.0.1:${servers.ports[name]}${route}`;

test("HTTP: a granted GET, redirects followed hop by hop", async () => {
  const ok = await bothHosts("http", { url: url("http", "/ok") }, [local("http")]);
  assert.equal(get(ok, "data", "status_code"), 200n);
  assert.deepEqual(get(ok, "data", "headers", "X-Multi"), ["a", "b"]);
  const redirected = await bothHosts("http", { url: url("http", "/redirect/3"), body_preview_length: -1 }, [local("http")]);
  assert.equal(get(redirected, "data", "body"), "hello");
});

test("HTTP: a redirect to a port that is not granted is refused before it is followed", async () => {
  const before = servers.counts.https;
  const target = encodeURIComponent(url("https", "/ok"));
  const document = await bothHosts("http", { url: url("http", `/to?url=${target}`) }, [local("http")]);
  assert.equal(get(document, "error", "type"), "capability");
  assert.equal(get(document, "error", "code"), local("https"));
  assert.equal(servers.counts.https, before);
});

test("HTTP: the SSRF filter refuses loopback under a wildcard grant, and nothing is sent", async () => {
  const before = servers.counts.http;
  const document = await bothHosts("http", { url: `http://localhost:${servers.ports.http}/ok` }, [`network:*:${servers.ports.http}`]);
  assert.equal(get(document, "error", "code"), "SSRF_BLOCKED");
  assert.equal(servers.counts.http, before);
});

test("HTTP: the body is capped at 10 MiB and flagged", async () => {
  const document = await bothHosts("http", { url: url("http", "/large") }, [local("http")]);
  assert.equal(get(document, "data", "body_size"), BigInt(10 << 20));
  assert.equal(get(document, "data", "body_truncated"), true);
});

test("HTTPS: verified against the given CA, refused without it", async () => {
  const trusted = await bothHosts("http", { url: url("https", "/ok") }, [local("https")], ["--ca-bundle", servers.caFile]);
  assert.equal(get(trusted, "status"), "success");
  const untrusted = await bothHosts("http", { url: url("https", "/ok") }, [local("https")], [], { tlsFailure: true });
  assert.equal(get(untrusted, "error", "code"), "TLS_ERROR");
});

test("TCP: plain, TLS with certificate details, refused, denied", async () => {
  const plain = await bothHosts("tcp", { host: "127.0.0.1", port: Number(servers.ports.tcp) }, [local("tcp")]);
  assert.equal(get(plain, "data", "connected"), true);
  const secure = await bothHosts("tcp", { host: "127.0.0.1", port: servers.ports.tls, tls: true }, [local("tls")], ["--ca-bundle", servers.caFile]);
  assert.match(get(secure, "data", "tls_version"), /^TLSv1\.[23]$/);
  assert.match(get(secure, "data", "tls_cert_issuer"), /O=trustme/);
  const unverified = await bothHosts("tcp", { host: "127.0.0.1", port: servers.ports.tls, tls: true }, [local("tls")], [], { tlsFailure: true });
  assert.equal(get(unverified, "status"), "failure");
  const refused = await bothHosts("tcp", { host: "127.0.0.1", port: servers.ports.closed }, [local("closed")]);
  assert.equal(get(refused, "status"), "failure");
  const before = servers.counts.tcp;
  const denied = await bothHosts("tcp", { host: "127.0.0.1", port: servers.ports.tcp }, ["network:127.0.0.1:1"]);
  assert.equal(get(denied, "error", "code"), local("tcp"));
  assert.equal(servers.counts.tcp, before);
});

test("TLS inspection: tls_check reports expired, untrusted and wrong-name certificates as failures with data", async () => {
  const trustCa = ["--ca-bundle", servers.caFile];
  const check = (name, extra = trustCa) =>
    bothHosts("tls_check", { target_host: "127.0.0.1", target_port: servers.ports[name], min_days: 30 }, [local(name)], extra, {
      tlsFailure: extra.length === 0,
    });
  const valid = await check("tls");
  assert.equal(get(valid, "status"), "success");
  assert.equal(get(valid, "data", "verified"), true);
  const expired = await check("tlsExpired");
  assert.equal(get(expired, "status"), "failure");
  assert.equal(get(expired, "data", "verification_code"), "EXPIRED");
  assert.equal(get(expired, "data", "verification_error"), "certificate has expired");
  assert.ok(get(expired, "data", "days_remaining") < 0n);
  assert.equal(get(expired, "data", "compliant"), false);
  const untrusted = await check("tls", []);
  assert.equal(get(untrusted, "data", "verification_code"), "UNTRUSTED");
  assert.match(get(untrusted, "data", "verification_error"), /^unable to (get local issuer certificate|verify the first certificate)$/);
  const wrongHost = await check("tlsWrongHost");
  assert.equal(get(wrongHost, "data", "verification_code"), "NAME_MISMATCH");
  assert.equal(get(wrongHost, "data", "verification_error"), "IP address mismatch, certificate is not valid for '127.0.0.1'.");
  assert.ok(get(wrongHost, "data", "days_remaining") > 300n);
});

test("SMTP: plain banner and extensions, STARTTLS, implicit TLS", async () => {
  const plain = await bothHosts("smtp", { host: "127.0.0.1", port: servers.ports.smtp }, [local("smtp")]);
  assert.equal(get(plain, "data", "banner"), "220 mail.test ESMTP ready");
  const upgraded = await bothHosts("smtp", { host: "127.0.0.1", port: servers.ports.smtp, starttls: true }, [local("smtp")], ["--ca-bundle", servers.caFile]);
  assert.match(get(upgraded, "data", "tls_version"), /^TLSv1\.[23]$/);
  const implicit = await bothHosts("smtp", { host: "127.0.0.1", port: servers.ports.smtps, tls: true }, [local("smtps")], ["--ca-bundle", servers.caFile]);
  assert.equal(get(implicit, "data", "tls_server_name"), "127.0.0.1");
});

test("DNS: records from a granted nameserver; NXDOMAIN is not-found", async () => {
  const grants = ["network:example.test:53", "network:www.example.test:53", "network:nx.example.test:53", local("dns")];
  const nameserver = `127.0.0.1:${servers.ports.dns}`;
  for (const [type, records] of [["A", ["192.0.2.10", "192.0.2.2"]], ["AAAA", ["2001:db8::1"]], ["MX", ["mx1.example.test", "mx2.example.test"]], ["TXT", ["v=spf1 -all"]], ["NS", ["ns1.example.test"]]]) {
    const document = await bothHosts("dns", { hostname: "example.test", record_type: type, nameserver }, grants);
    assert.deepEqual(get(document, "data", "records"), records, type);
  }
  const cname = await bothHosts("dns", { hostname: "www.example.test", record_type: "CNAME", nameserver }, grants);
  assert.deepEqual(get(cname, "data", "records"), ["example.test"]);
  const missing = await bothHosts("dns", { hostname: "nx.example.test", nameserver }, grants);
  assert.equal(get(missing, "data", "is_not_found"), true);
  const denied = await bothHosts("dns", { hostname: "example.test", nameserver }, ["network:example.test:53"]);
  assert.equal(get(denied, "error", "type"), "capability");
});
