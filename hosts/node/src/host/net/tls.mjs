// TLS for the network host functions: TLS 1.2 or newer, certificates verified against Node's CA
// store plus SSL_CERT_FILE (honoured, as Python's ssl does) and the host's --ca-bundle; and the facts
// reported about a session (same fields and names as the Python host: OpenSSL's version and cipher
// names, the peer's leaf certificate, the verification outcome).
//
// insecure_skip_verify needs one handshake here: with rejectUnauthorized false Node completes the
// handshake and still says what verification found (socket.authorized, socket.authorizationError,
// the hostname check included), where the Python host has to verify first and reconnect to inspect.

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

/** The options for one connection: verification stays on unless the request asked to inspect anyway. */
export const connectOptions = (options, insecureSkipVerify) => (insecureSkipVerify ? { ...options, rejectUnauthorized: false } : options);

// Node's verification error codes -> [TlsInfo.verification_code, OpenSSL's reason as the Python host reports it].
const REASONS = {
  CERT_HAS_EXPIRED: ["EXPIRED", "certificate has expired"],
  CERT_NOT_YET_VALID: ["NOT_YET_VALID", "certificate is not yet valid"],
  UNABLE_TO_GET_ISSUER_CERT: ["UNTRUSTED", "unable to get issuer certificate"],
  DEPTH_ZERO_SELF_SIGNED_CERT: ["UNTRUSTED", "self-signed certificate"],
  SELF_SIGNED_CERT_IN_CHAIN: ["UNTRUSTED", "self-signed certificate in certificate chain"],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ["UNTRUSTED", "unable to get local issuer certificate"],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ["UNTRUSTED", "unable to verify the first certificate"],
  CERT_UNTRUSTED: ["UNTRUSTED", "certificate not trusted"],
  CERT_REJECTED: ["UNTRUSTED", "certificate rejected"],
};

/** TlsInfo's verified / verification_error / verification_code for a connected TLS socket. */
function verification(socket, serverName) {
  if (socket.authorized) return { verified: true, verificationError: "", verificationCode: "" };
  const code = String(socket.authorizationError ?? "");
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    const what = isIp(serverName) ? "IP address mismatch" : "Hostname mismatch";
    return { verified: false, verificationCode: "NAME_MISMATCH", verificationError: `${what}, certificate is not valid for '${serverName}'.` };
  }
  const [verificationCode, verificationError] = REASONS[code] ?? ["OTHER", code || "the certificate was not verified"];
  return { verified: false, verificationCode, verificationError };
}

/** What was negotiated on a connected TLS socket, and whether its certificate was verified. */
export function sessionInfo(socket, serverName) {
  const peer = socket.getPeerX509Certificate();
  return create(TlsInfoSchema, {
    version: socket.getProtocol() ?? "",
    cipherSuite: socket.getCipher()?.name ?? "",
    serverName,
    alpnProtocol: socket.alpnProtocol || "",
    peerCertificate: peer ? certificate(peer.raw) : undefined,
    ...verification(socket, serverName),
  });
}

const VERIFICATION = /CERT|ALTNAME|ISSUER|SELF_SIGNED|VERIFY|SIGNATURE/;

/** Whether a connection failed in the TLS handshake (certificate or protocol), not before it. */
export const isTlsError = (error) => VERIFICATION.test(error?.code ?? "") || /^ERR_(SSL|TLS)_|^EPROTO$/.test(error?.code ?? "");

/** A one-line reason for a failed handshake. */
export function tlsErrorMessage(error) {
  if (VERIFICATION.test(error?.code ?? "")) {
    return (
      `the certificate was not accepted: ${error.message} (to inspect it anyway, ask for the handshake without ` +
      "verification: verify=False in the SDK, insecure_skip_verify in the ABI)"
    );
  }
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
