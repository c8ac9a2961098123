// IP addresses as Python's ipaddress module reads and prints them, and the address classes the SSRF
// filter blocks (the same table as reglet_sdk/host/net/guard.py).

import net from "node:net";

/** An IPv4 or IPv6 address: its version, its bytes as a BigInt, and its canonical text. */
export class IPAddress {
  constructor(version, value) {
    this.version = version;
    this.value = value;
    this.text = version === 4 ? formatV4(value) : formatV6(value);
  }

  toString() {
    return this.text;
  }
}

function formatV4(value) {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

function formatV6(value) {
  const groups = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let best = -1;
  let bestLength = 1; // like Python: a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(":");
  const head = hex.slice(0, best).join(":");
  const tail = hex.slice(best + bestLength).join(":");
  return `${head}::${tail}`;
}

function parseV4(text) {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part.startsWith("0")) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseV6(text) {
  if (!net.isIPv6(text)) return null;
  let body = text;
  const last = body.slice(body.lastIndexOf(":") + 1);
  if (last.includes(".")) {
    const v4 = parseV4(last); // an embedded IPv4 address becomes the last two groups
    if (v4 === null) return null;
    body = `${body.slice(0, body.length - last.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [left, right] = body.includes("::") ? body.split("::") : [body, null];
  const toGroups = (part) => (part ? part.split(":").map((g) => parseInt(g, 16)) : []);
  const head = toGroups(left);
  const tail = right === null ? [] : toGroups(right);
  const groups = right === null ? head : [...head, ...Array(8 - head.length - tail.length).fill(0), ...tail];
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** The address in `text` (IPv6 may be in brackets, a zone id is dropped), or null when it is not one. */
export function parseIP(text) {
  const bare = text.replace(/^\[(.*)\]$/, "$1").split("%", 1)[0];
  const v4 = parseV4(bare);
  if (v4 !== null) return new IPAddress(4, v4);
  const v6 = parseV6(bare);
  return v6 === null ? null : new IPAddress(6, v6);
}

/** Host text as policy compares it: brackets and a final dot dropped, lower case, IPs canonical. */
export function canonicalHost(host) {
  const text = host.replace(/^\[+|\]+$/g, "").toLowerCase().replace(/\.+$/, "");
  return parseIP(text)?.text ?? text;
}

const BLOCKED = [
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private (RFC 1918)"],
  ["100.64.0.0/10", "carrier-grade NAT"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local (cloud metadata)"],
  ["172.16.0.0/12", "private (RFC 1918)"],
  ["192.0.0.0/24", "IETF protocol assignments"],
  ["192.168.0.0/16", "private (RFC 1918)"],
  ["198.18.0.0/15", "benchmarking"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"],
  ["255.255.255.255/32", "broadcast"],
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["::ffff:0:0/96", "IPv4-mapped"],
  ["64:ff9b::/96", "NAT64"],
  ["fc00::/7", "unique local (ULA)"],
  ["fe80::/10", "link-local"],
  ["ff00::/8", "multicast"],
].map(([cidr, name]) => {
  const [base, bits] = cidr.split("/");
  const address = parseIP(base);
  const width = address.version === 4 ? 32n : 128n;
  return { version: address.version, shift: width - BigInt(bits), prefix: address.value >> (width - BigInt(bits)), name };
});

/** The blocked class of an address ("loopback", ...), or "" when it is a public address. */
export function blockedClass(address) {
  for (const net of BLOCKED) {
    if (net.version === address.version && address.value >> net.shift === net.prefix) return net.name;
  }
  return "";
}

/** "ip:port", or "[ipv6]:port". */
export function addressText(ip, port) {
  return String(ip).includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
