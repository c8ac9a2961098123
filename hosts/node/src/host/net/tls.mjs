// TLS for the network host functions: TLS 1.2 or newer, certificates verified against Node's CA
// store plus SSL_CERT_FILE (honoured, as Python's ssl does) and the host's --ca-bundle; and the facts
// reported about a session (same fields and names as the Python host: OpenSSL's version and cipher
// names, the peer's leaf certificate).

import { readFileSync } from "node:fs";
import tls from "node:tls";
import { create } from "@bufbuild/protobuf";
import { TlsInfoSchema } from "../../abi/messages.mjs";
import { certificate } from "./x509.mjs";

/** Options for tls.connect: the trusted CAs and the minimum version (verification is always on). */
export function clientOptions(caBundle) {
  const ca = [...tls.rootCertificates];
  for (const file of [process.env.SSL_CERT_FILE, caBundle]) {
    if (file) ca.push(readFileSync(file, "utf8"));
  }
  return { ca, minVersion: "TLSv1.2", rejectUnauthorized: true };
}

/** What was negotiated on a connected TLS socket. */
export function sessionInfo(socket, serverName) {
  const peer = socket.getPeerX509Certificate();
  return create(TlsInfoSchema, {
    version: socket.getProtocol() ?? "",
    cipherSuite: socket.getCipher()?.name ?? "",
    serverName,
    alpnProtocol: socket.alpnProtocol || "",
    peerCertificate: peer ? certificate(peer.raw) : undefined,
  });
}

const VERIFICATION = /CERT|ALTNAME|ISSUER|SELF_SIGNED|VERIFY|SIGNATURE/;

/** Whether a connection failed in the TLS handshake (certificate or protocol), not before it. */
export const isTlsError = (error) => VERIFICATION.test(error?.code ?? "") || /^ERR_(SSL|TLS)_|^EPROTO$/.test(error?.code ?? "");

/** A one-line reason for a failed handshake. */
export function tlsErrorMessage(error) {
  if (VERIFICATION.test(error?.code ?? "")) return `the certificate was not accepted: ${error.message}`;
  return `the TLS handshake failed: ${error?.message ?? error}`;
}

/** Upgrades a connected socket to TLS; resolves with the TLS socket once the handshake is done. */
export function startTls(socket, serverName, options, timeout) {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ ...options, socket, servername: isIp(serverName) ? undefined : serverName, host: serverName });
    const timer = setTimeout(() => {
      secure.destroy();
      const error = new Error("TLS handshake timed out");
      error.code = "ETIMEDOUT_HOST";
      reject(error);
    }, Math.max(timeout, 0.001) * 1000);
    secure.once("secureConnect", () => {
      clearTimeout(timer);
      secure.removeAllListeners("error");
      secure.on("error", () => {});
      resolve(secure);
    });
    secure.once("error", (error) => {
      clearTimeout(timer);
      secure.destroy();
      reject(error);
    });
  });
}

const isIp = (host) => /^[\d.]+$/.test(host) || host.includes(":");
