// DnsLookup: A, AAAA, CNAME, MX, TXT, NS through c-ares (node:dns Resolver), the host's resolver or a
// granted nameserver given as host[:port] (as reglet_sdk/host/net/dns.py does with dnspython).

import { Resolver } from "node:dns/promises";
import { create } from "@bufbuild/protobuf";
import { DnsRecordType, DnsResponseSchema, MxRecordSchema } from "../../abi/messages.mjs";
import { errorDetail } from "../../abi/frames.mjs";
import { effectiveTimeout } from "../deadlines.mjs";
import { elapsedMs, fmtG } from "../text.mjs";
import { NetworkRefusal, denialDetail, resolveAllowed } from "./guard.mjs";
import { addressText } from "./ip.mjs";

export const DEFAULT_TIMEOUT = 5.0;
const TYPES = new Map([
  [DnsRecordType.UNSPECIFIED, "A"],
  [DnsRecordType.A, "A"],
  [DnsRecordType.AAAA, "AAAA"],
  [DnsRecordType.CNAME, "CNAME"],
  [DnsRecordType.MX, "MX"],
  [DnsRecordType.TXT, "TXT"],
  [DnsRecordType.NS, "NS"],
]);

/** ["1.1.1.1", 53] from "1.1.1.1", ["::1", 5353] from "[::1]:5353"; throws when malformed. */
export function parseNameserver(text) {
  const invalid = () => new Error(`nameserver '${text}' is not host, host:port or [ipv6]:port`);
  let host;
  let port;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    const rest = close === -1 ? "" : text.slice(close + 1);
    if (close === -1 || (rest && !rest.startsWith(":"))) throw invalid();
    host = text.slice(1, close);
    port = rest.slice(1) || "53";
  } else if (text.split(":").length === 2) {
    [host, port] = text.split(":");
  } else {
    [host, port] = [text, "53"]; // a bare IPv6 address or a name
  }
  if (!host || !/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw invalid();
  return [host, Number(port)];
}

async function query(resolver, name, type) {
  if (type === "A") return resolver.resolve4(name);
  if (type === "AAAA") return resolver.resolve6(name);
  if (type === "CNAME") return resolver.resolveCname(name);
  if (type === "MX") return resolver.resolveMx(name);
  if (type === "TXT") return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(""));
  return resolver.resolveNs(name);
}

/** Resolves one name, after the grant checks (the name on port 53, and a custom nameserver). */
export async function dnsLookup(policy, request, { callDeadline }) {
  const answer = (fields) => create(DnsResponseSchema, fields);
  const type = TYPES.get(request.recordType);
  if (type === undefined) {
    const message = `record type ${request.recordType} is not one of A, AAAA, CNAME, MX, TXT, NS`;
    return answer({ error: errorDetail("validation", "UNSUPPORTED_TYPE", message) });
  }
  const name = request.hostname.trim().replace(/\.+$/, "");
  if (!name) return answer({ error: errorDetail("validation", "INVALID_REQUEST", "DnsRequest.hostname is empty") });
  const timeout = effectiveTimeout(request.timeoutMs, DEFAULT_TIMEOUT, request.context, { callDeadline });
  if (policy.network(name, 53) === null) return answer({ error: denialDetail(name, 53) });
  const resolver = new Resolver({ timeout: Math.max(1, Math.ceil(timeout * 1000)), tries: 1 });
  let nameserver = "";
  if (request.nameserver) {
    try {
      const [host, port] = parseNameserver(request.nameserver);
      const destination = await resolveAllowed(policy, host, port, timeout);
      nameserver = addressText(destination.addresses[0].text, port);
      resolver.setServers([nameserver]);
    } catch (error) {
      if (error instanceof NetworkRefusal) return answer({ error: error.detail });
      return answer({ error: errorDetail("validation", "INVALID_REQUEST", error.message) });
    }
  }
  const started = performance.now();
  const failed = (kind, code, message, flags = {}) =>
    answer({ error: errorDetail(kind, code, message, flags), queryTimeMs: BigInt(elapsedMs(started)), nameserver });
  let timer;
  let records;
  try {
    const expiry = new Promise((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "ETIMEOUT" })), timeout * 1000);
    });
    records = await Promise.race([query(resolver, name, type), expiry]);
  } catch (error) {
    if (error.code === "ENOTFOUND") return failed("network", "LOOKUP_FAILED", `${name} does not exist (NXDOMAIN)`, { isNotFound: true });
    if (error.code === "ENODATA") return failed("network", "LOOKUP_FAILED", `${name} has no ${type} records`, { isNotFound: true });
    if (error.code === "ETIMEOUT") {
      return failed("timeout", "TIMEOUT", `no answer for ${name} within ${fmtG(timeout)} s`, { isTimeout: true });
    }
    return failed("network", "LOOKUP_FAILED", `looking up ${name} failed: ${error.code ?? error.message}`);
  } finally {
    clearTimeout(timer);
    resolver.cancel();
  }
  // An RRset has no order; answer in a stable one (MX by preference) so equal answers compare equal.
  let mxRecords = [];
  if (type === "MX") {
    mxRecords = records
      .map((mx) => create(MxRecordSchema, { host: mx.exchange.replace(/\.$/, ""), pref: mx.priority }))
      .sort((a, b) => a.pref - b.pref || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
    records = mxRecords.map((mx) => mx.host);
  } else {
    records = [...records].sort();
  }
  return answer({ records, mxRecords, queryTimeMs: BigInt(elapsedMs(started)), nameserver });
}
