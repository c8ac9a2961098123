// Loopback servers for the network tests (127.0.0.1 only, bounded: every server closes when the
// test file ends, every response is finite): HTTP and HTTPS, a TCP and a TLS listener, SMTP with
// STARTTLS and with implicit TLS, and a UDP DNS server with a fixed zone. Certificates come from
// trustme (the Python test dependency) through the repository's virtualenv.

import { execFileSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { venvTool } from "./helpers.mjs";

const HOST = "127.0.0.1";
const LARGE = 11 * 1024 * 1024;

/**
 * A CA and a certificate for 127.0.0.1 and localhost: {caFile, cert, key}; plus, from the same CA, one
 * that expired five days ago (`expired`) and one for another name only (`wrongHost`), as key+cert PEM.
 */
export function certificates() {
  const dir = mkdtempSync(path.join(tmpdir(), "reglet-node-certs-"));
  const script = `
import datetime, sys, trustme
ca = trustme.CA()
cert = ca.issue_cert("127.0.0.1", "localhost")
ca.cert_pem.write_to_path(sys.argv[1] + "/ca.pem")
cert.private_key_and_cert_chain_pem.write_to_path(sys.argv[1] + "/server.pem")
now = datetime.datetime.now(datetime.timezone.utc)
expired = ca.issue_cert("127.0.0.1", "localhost", not_before=now - datetime.timedelta(days=35), not_after=now - datetime.timedelta(days=5))
expired.private_key_and_cert_chain_pem.write_to_path(sys.argv[1] + "/expired.pem")
ca.issue_cert("other.example.test").private_key_and_cert_chain_pem.write_to_path(sys.argv[1] + "/wrong-host.pem")
`;
  execFileSync(venvTool("python"), ["-c", script, dir]);
  const pem = (name) => readFileSync(path.join(dir, name), "utf8");
  const pair = (name) => ({ key: pem(name), cert: pem(name) });
  return { caFile: path.join(dir, "ca.pem"), ...pair("server.pem"), expired: pair("expired.pem"), wrongHost: pair("wrong-host.pem") };
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, HOST, () => resolve(server.address().port)));
}

function routes(request, response) {
  const url = new URL(request.url, "http://x");
  const hop = /^\/redirect\/(\d+)$/.exec(url.pathname);
  if (hop) {
    const left = Number(hop[1]);
    response.writeHead(302, { Location: left > 1 ? `/redirect/${left - 1}` : "/ok" });
    return response.end();
  }
  if (url.pathname === "/to") {
    response.writeHead(302, { Location: url.searchParams.get("url") });
    return response.end();
  }
  if (url.pathname === "/large") {
    response.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(LARGE) });
    return response.end(Buffer.alloc(LARGE, 0x61));
  }
  response.setHeader("X-Multi", ["a", "b"]);
  response.writeHead(url.pathname === "/ok" ? 200 : 404, { "Content-Type": "text/plain" });
  return response.end(url.pathname === "/ok" ? "hello" : "missing");
}

function smtpSession(socket, { secure, context, offerStartTls }) {
  let stream = socket;
  const greet = () => stream.write("220 mail.test ESMTP ready\r\n");
  const onLine = (line) => {
    const verb = line.split(" ")[0].toUpperCase();
    if (verb === "EHLO") {
      const starttls = offerStartTls && !secure ? ["250-STARTTLS"] : [];
      stream.write(["250-mail.test greets you", ...starttls, "250-SIZE 1000000", "250 8BITMIME", ""].join("\r\n"));
    } else if (verb === "STARTTLS") {
      stream.write("220 go ahead\r\n");
      stream.removeAllListeners("data");
      stream = new tls.TLSSocket(stream, { isServer: true, secureContext: context });
      secure = true;
      attach();
    } else if (verb === "QUIT") {
      stream.end("221 bye\r\n");
    } else {
      stream.write("502 not implemented\r\n");
    }
  };
  const attach = () => {
    let buffer = "";
    stream.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      let end;
      while ((end = buffer.indexOf("\n")) !== -1) {
        onLine(buffer.slice(0, end).trim());
        buffer = buffer.slice(end + 1);
      }
    });
    stream.on("error", () => stream.destroy());
  };
  attach();
  greet();
}

const ZONE = {
  "example.test": { A: ["192.0.2.10", "192.0.2.2"], AAAA: ["2001:db8::1"], MX: [[20, "mx2.example.test"], [10, "mx1.example.test"]], TXT: [["v=spf1 ", "-all"]], NS: ["ns1.example.test"] },
  "www.example.test": { CNAME: ["example.test"] },
};
const TYPES = { 1: "A", 28: "AAAA", 5: "CNAME", 15: "MX", 16: "TXT", 2: "NS" };

function encodeName(name) {
  return Buffer.concat([...name.split(".").map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])), Buffer.from([0])]);
}

function rdata(type, value) {
  if (type === "A") return Buffer.from(value.split(".").map(Number));
  if (type === "AAAA") return Buffer.from([0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1]); // the one AAAA: 2001:db8::1
  if (type === "MX") return Buffer.concat([Buffer.from([0, value[0]]), encodeName(value[1])]);
  if (type === "TXT") return Buffer.concat(value.map((s) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)])));
  return encodeName(value);
}

/** Answers one DNS query from ZONE (NXDOMAIN for unknown names, no data for unknown types). */
function dnsAnswer(query) {
  let at = 12;
  const labels = [];
  while (query[at] !== 0) {
    labels.push(query.subarray(at + 1, at + 1 + query[at]).toString());
    at += query[at] + 1;
  }
  const question = query.subarray(12, at + 5);
  const qtype = query.readUInt16BE(at + 1);
  const name = labels.join(".").toLowerCase();
  const type = TYPES[qtype];
  const records = ZONE[name]?.[type] ?? [];
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8180 | (ZONE[name] ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const answers = records.map((value) => {
    const data = rdata(type, value);
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(qtype, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(60, 4);
    fixed.writeUInt16BE(data.length, 8);
    return Buffer.concat([Buffer.from([0xc0, 12]), fixed, data]);
  });
  return Buffer.concat([header, question, ...answers]);
}

/** Starts every server; resolves with their ports, connection counts, the CA file and close(). */
export async function startServers() {
  const certs = certificates();
  const context = tls.createSecureContext({ key: certs.key, cert: certs.cert });
  const counts = {};
  const counted = (name, server, event = "connection") => {
    counts[name] = 0;
    server.on(event, () => (counts[name] += 1));
    return server;
  };
  const servers = {
    http: counted("http", http.createServer(routes)),
    https: counted("https", https.createServer({ key: certs.key, cert: certs.cert }, routes), "secureConnection"),
    tcp: counted("tcp", net.createServer((socket) => socket.end())),
    tls: counted("tls", tls.createServer({ key: certs.key, cert: certs.cert }, (socket) => socket.end())),
    tlsExpired: counted("tlsExpired", tls.createServer(certs.expired, (socket) => socket.end())),
    tlsWrongHost: counted("tlsWrongHost", tls.createServer(certs.wrongHost, (socket) => socket.end())),
    smtp: counted("smtp", net.createServer((socket) => smtpSession(socket, { secure: false, context, offerStartTls: true }))),
    smtps: counted("smtps", tls.createServer({ key: certs.key, cert: certs.cert }, (socket) => smtpSession(socket, { secure: true, context }))),
  };
  const ports = {};
  for (const [name, server] of Object.entries(servers)) ports[name] = await listen(server);
  const dns = dgram.createSocket("udp4");
  counts.dns = 0;
  dns.on("message", (query, peer) => {
    counts.dns += 1;
    dns.send(dnsAnswer(query), peer.port, peer.address);
  });
  await new Promise((resolve) => dns.bind(0, HOST, resolve));
  ports.dns = dns.address().port;
  const closed = net.createServer();
  ports.closed = await listen(closed);
  await new Promise((resolve) => closed.close(resolve)); // nothing listens there any more
  return {
    ports,
    counts,
    caFile: certs.caFile,
    close() {
      for (const server of Object.values(servers)) {
        server.closeAllConnections?.();
        server.close();
      }
      dns.close();
    },
  };
}
