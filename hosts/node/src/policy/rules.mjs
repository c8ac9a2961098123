// Capability rules in the `--grant` syntax, as reglet_sdk.host.rules defines them:
//
//     exec:/usr/bin/uname            run a command (glob on the resolved path)
//     fs:read:/data/**               read under a path (`**` any depth, `*` one segment)
//     fs:write:/tmp/out/**           write (and read) under a path
//     env:AWS_REGION                 see / pass an environment variable (glob on the name)
//     network:api.example.com:443    connect to a host (glob) on a port: N, A-B or *; IPv6 in brackets
//     kv:read-write:config-*         use keys (glob) of the key-value store: read, write or read-write

import { KvOperation } from "../abi/messages.mjs";
import { hasGlob } from "./globs.mjs";

export const PORT_SYNTAX = "use N (1-65535), a range A-B with A <= B, or *";
const KV_OPS = { read: KvOperation.READ, write: KvOperation.WRITE, "read-write": KvOperation.READ_WRITE };
const KV_NAMES = new Map(Object.entries(KV_OPS).map(([name, op]) => [op, name]));

/** A rule that does not parse; the message shows the expected forms. */
export class RuleError extends Error {}

/** The [low, high] ports of a port spec (N, A-B or *), or null when it is not one. */
export function portRange(spec) {
  if (spec === "*") return [1, 65535];
  const match = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (!match) return null;
  const low = Number(match[1]);
  const high = Number(match[2] ?? match[1]);
  return low >= 1 && low <= high && high <= 65535 ? [low, high] : null;
}

/** One capability rule: kind exec, fs, env, network or kv; mode is the fs/kv mode or the port spec. */
export class Rule {
  constructor(kind, pattern, mode = "") {
    this.kind = kind;
    this.pattern = pattern;
    this.mode = mode;
    Object.freeze(this);
  }

  /** The `--grant` form. */
  toString() {
    if (this.kind === "exec" || this.kind === "env") return `${this.kind}:${this.pattern}`;
    if (this.kind === "network") {
      const host = this.pattern.includes(":") ? `[${this.pattern}]` : this.pattern;
      return `network:${host}:${this.mode}`;
    }
    return `${this.kind}:${this.mode}:${this.pattern}`;
  }
}

function bad(text, why) {
  return new RuleError(
    `'${text}' is not a capability rule (${why}). Use one of: exec:/usr/bin/uname, fs:read:/data/**, ` +
      "fs:write:/tmp/out/**, env:AWS_REGION, network:api.example.com:443 (ports N, A-B or *; " +
      "network:[::1]:53 for IPv6), kv:read-write:config-*.",
  );
}

const hostCase = (host) => (hasGlob(host) ? host : host.toLowerCase());

/** Parses one `--grant` rule; RuleError shows the expected forms. */
export function parseRule(text) {
  const sep = text.indexOf(":");
  const kind = sep === -1 ? text : text.slice(0, sep);
  const rest = sep === -1 ? "" : text.slice(sep + 1);
  if (sep === -1 || !rest) throw bad(text, "it has no `kind:` prefix");
  if (kind === "exec" || kind === "env") return new Rule(kind, rest);
  if (kind === "fs") {
    const at = rest.indexOf(":");
    const mode = at === -1 ? rest : rest.slice(0, at);
    const path = at === -1 ? "" : rest.slice(at + 1);
    if (!["read", "write"].includes(mode) || !path) throw bad(text, "fs rules are fs:read:PATH or fs:write:PATH");
    return new Rule("fs", path, mode);
  }
  if (kind === "kv") {
    for (const op of ["read-write", "read", "write"]) {
      if (rest.startsWith(`${op}:`) && rest.length > op.length + 1) return new Rule("kv", rest.slice(op.length + 1), op);
    }
    throw bad(text, "kv rules are kv:read:KEYS, kv:write:KEYS or kv:read-write:KEYS");
  }
  if (kind === "network") {
    let host;
    let ports;
    if (rest.startsWith("[")) {
      const close = rest.indexOf("]");
      if (close === -1 || rest[close + 1] !== ":") throw bad(text, "an IPv6 host goes in brackets: network:[::1]:53");
      host = rest.slice(1, close);
      ports = rest.slice(close + 2);
    } else {
      const at = rest.lastIndexOf(":");
      if (at === -1) throw bad(text, "network rules are network:HOST:PORTS");
      host = rest.slice(0, at);
      ports = rest.slice(at + 1);
      if (host.includes(":")) throw bad(text, "an IPv6 host goes in brackets: network:[::1]:53");
    }
    if (!host) throw bad(text, "the host is empty");
    if (portRange(ports) === null) throw new RuleError(`${text}: '${ports}' is not a port: ${PORT_SYNTAX}`);
    return new Rule("network", hostCase(host), ports);
  }
  throw bad(text, `unknown kind '${kind}'`);
}

function unique(rules) {
  const seen = new Map();
  for (const rule of rules) seen.set(String(rule), seen.get(String(rule)) ?? rule);
  return [...seen.values()];
}

/** The rules of a GrantSet message (the plugin.yaml shape), one per host/port, path, name or key. */
export function rulesFromGrantSet(grants) {
  if (!grants) return [];
  const rules = [];
  for (const network of grants.network?.rules ?? []) {
    for (const host of network.hosts) for (const port of network.ports) rules.push(new Rule("network", hostCase(host), port));
  }
  for (const fs of grants.fs?.rules ?? []) {
    rules.push(...fs.read.map((p) => new Rule("fs", p, "read")), ...fs.write.map((p) => new Rule("fs", p, "write")));
  }
  rules.push(...(grants.env?.vars ?? []).map((v) => new Rule("env", v)));
  rules.push(...(grants.exec?.commands ?? []).map((c) => new Rule("exec", c)));
  for (const kv of grants.kv?.rules ?? []) rules.push(...kv.keys.map((k) => new Rule("kv", k, KV_NAMES.get(kv.op) ?? "read")));
  return unique(rules);
}

/** Rules in first-seen order without repeats (equal rules have equal `--grant` text). */
export { unique as uniqueRules };

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "fish", "csh", "tcsh", "busybox"]);

/** Exec and `*` hosts critical; fs write high; fs read and named hosts medium; env low. */
export function risk(rule) {
  if (rule.kind === "exec" || (rule.kind === "network" && rule.pattern === "*")) return "critical";
  if (rule.kind === "fs") return rule.mode === "write" ? "high" : "medium";
  if (rule.kind === "network") return "medium";
  if (rule.kind === "kv") return rule.mode === "read" ? "low" : "medium";
  return "low";
}

/** Why `--security strict` would refuse this rule, or "" when it would not. */
export function broad(rule) {
  if (rule.kind === "fs") {
    if (["**", "/**", "/", "*"].includes(rule.pattern) || rule.pattern.startsWith("**")) return "it grants the whole filesystem";
    if (rule.pattern === "/etc" || rule.pattern.startsWith("/etc/")) return "it grants system configuration under /etc";
  }
  if (rule.kind === "exec") {
    const name = rule.pattern.split("/").pop();
    if (["*", "**"].includes(rule.pattern) || SHELLS.has(name)) return "it allows a shell or any command";
  }
  if (rule.kind === "network" && (rule.mode === "*" || rule.pattern === "*")) {
    return rule.mode === "*" ? "it allows any port" : "it allows any host";
  }
  if ((rule.kind === "env" || rule.kind === "kv") && rule.pattern === "*") {
    return `it allows every ${rule.kind === "env" ? "variable" : "key"}`;
  }
  return "";
}
