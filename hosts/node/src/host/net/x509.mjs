// The Certificate summary of a DER X.509 certificate, exactly as the Python host reports it (with
// the `cryptography` package): RFC 4514 names, validity, subjectAltName DNS names then IP addresses,
// serial number in upper-case hex, SHA-256 fingerprint in lower-case hex. Node's X509Certificate
// prints names in OpenSSL's own format, so the few DER structures needed are read here.

import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { CertificateSchema } from "../../abi/messages.mjs";
import { IPAddress } from "./ip.mjs";

/** One DER element: tag, the bytes of its contents and where the next element starts. */
function element(der, at) {
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + der[start + i];
    start += count;
  }
  return { tag, body: der.subarray(start, start + length), next: start + length };
}

function children(body) {
  const out = [];
  for (let at = 0; at < body.length; ) {
    const child = element(body, at);
    out.push(child);
    at = child.next;
  }
  return out;
}

function oidText(body) {
  const parts = [Math.floor(body[0] / 40), body[0] % 40];
  let value = 0;
  for (const byte of body.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join(".");
}

const NAMES = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "2.5.4.9": "STREET",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
};

function stringValue({ tag, body }) {
  if (tag === 0x1e) return Buffer.from(body).swap16().toString("utf16le"); // BMPString
  if (tag === 0x14) return Buffer.from(body).toString("latin1"); // TeletexString
  if (tag === 0x1c) {
    let out = ""; // UniversalString (UTF-32BE)
    for (let i = 0; i + 3 < body.length; i += 4) out += String.fromCodePoint(Buffer.from(body).readUInt32BE(i));
    return out;
  }
  return Buffer.from(body).toString("utf8");
}

/** cryptography's _escape_dn_value. */
function escapeValue(value) {
  if (!value) return "";
  let out = value
    .replaceAll("\\", "\\\\")
    .replaceAll('"', '\\"')
    .replaceAll("+", "\\+")
    .replaceAll(",", "\\,")
    .replaceAll(";", "\\;")
    .replaceAll("<", "\\<")
    .replaceAll(">", "\\>")
    .replaceAll("\0", "\\00");
  if (out[0] === "#" || out[0] === " ") out = `\\${out}`;
  if (out.endsWith(" ")) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** A Name in RFC 4514 form, as cryptography's Name.rfc4514_string() writes it (last RDN first). */
function rfc4514(name) {
  const rdns = children(name.body).map((set) =>
    children(set.body)
      .map((pair) => {
        const [type, value] = children(pair.body);
        const oid = oidText(type.body);
        return `${NAMES[oid] ?? oid}=${escapeValue(stringValue(value))}`;
      })
      .join("+"),
  );
  return rdns.reverse().join(",");
}

function time({ tag, body }) {
  const text = Buffer.from(body).toString("ascii");
  const full = tag === 0x17 ? `${Number(text.slice(0, 2)) >= 50 ? "19" : "20"}${text}` : text; // UTCTime: 2 digits
  const ms = Date.UTC(
    Number(full.slice(0, 4)),
    Number(full.slice(4, 6)) - 1,
    Number(full.slice(6, 8)),
    Number(full.slice(8, 10)),
    Number(full.slice(10, 12)),
    Number(full.slice(12, 14)),
  );
  return timestampFromMs(ms);
}

function ipFromBytes(bytes) {
  const value = [...bytes].reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
  return new IPAddress(bytes.length === 4 ? 4 : 6, value).text;
}

function altNames(extensions) {
  for (const extension of children(extensions)) {
    const parts = children(extension.body);
    if (oidText(parts[0].body) !== "2.5.29.17") continue;
    const names = children(element(parts[parts.length - 1].body, 0).body);
    const dns = names.filter((n) => n.tag === 0x82).map((n) => Buffer.from(n.body).toString("ascii"));
    const ips = names.filter((n) => n.tag === 0x87 && [4, 16].includes(n.body.length)).map((n) => ipFromBytes(n.body));
    return [...dns, ...ips];
  }
  return [];
}

/** The Certificate message for a DER certificate. */
export function certificate(der) {
  const tbs = children(element(element(der, 0).body, 0).body);
  const fields = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs; // [0] version is optional
  const [serial, , issuer, validity, subject] = fields;
  const [notBefore, notAfter] = children(validity.body);
  const extensions = fields.find((f) => f.tag === 0xa3);
  const serialHex = Buffer.from(serial.body).toString("hex").replace(/^0+(?=.)/, "").toUpperCase();
  return create(CertificateSchema, {
    subject: rfc4514(subject),
    issuer: rfc4514(issuer),
    notBefore: time(notBefore),
    notAfter: time(notAfter),
    subjectAltNames: extensions ? altNames(element(extensions.body, 0).body) : [],
    serialNumber: serialHex,
    sha256Fingerprint: createHash("sha256").update(der).digest("hex"),
  });
}
