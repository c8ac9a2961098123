// The capability policy: default deny, one matcher per kind of rule (see reglet_sdk/host/policy.py,
// whose semantics this mirrors exactly):
// - network: host glob (case-insensitive; IP addresses in canonical form) AND port, in one rule;
// - fs: the path made absolute, `..` removed and symlinks resolved before matching; `**` any depth,
//   `*`/`?` within one segment; write implies read;
// - exec: the command resolved to an absolute path; a rule with `/` globs that path or its real path,
//   a bare rule matches only what the search path yields for that name;
// - env: glob on the variable name.
// WASI gives a sandbox whole directories, so only `DIR/**` fs rules become preopened directories.

import { statSync } from "node:fs";
import path from "node:path";
import { canonicalHost } from "../host/net/ip.mjs";
import { fnmatchcase, literalPrefix, pathGlob } from "./globs.mjs";
import { normalisePath, realpath, resolveCommand } from "./paths.mjs";
import { portRange, uniqueRules } from "./rules.mjs";

/** `pattern` with its literal directory part made absolute and symlink-free, like the paths it matches. */
function resolvePattern(pattern) {
  const prefix = literalPrefix(pattern);
  if (!prefix) return pattern;
  let real = realpath(path.resolve(prefix));
  if (prefix.endsWith("/") && !real.endsWith("/")) real += "/";
  return real + pattern.slice(prefix.length);
}

/** Whether `port` is in a port spec (N, A-B or *). */
export function portMatches(spec, port) {
  const bounds = portRange(spec);
  return bounds !== null && bounds[0] <= port && port <= bounds[1];
}

/** What one plugin run may do: exactly its granted rules. */
export class Policy {
  constructor(rules = []) {
    this.rules = uniqueRules(rules);
    this.key = this.rules.map(String).join("\n"); // equal keys: equal policies
    this.fsRules = this.rules.filter((r) => r.kind === "fs").map((r) => [r, pathGlob(resolvePattern(r.pattern))]);
  }

  of(kind) {
    return this.rules.filter((rule) => rule.kind === kind);
  }

  /** The rule allowing a connection to host:port, or null. */
  network(host, port) {
    const wanted = canonicalHost(host);
    for (const rule of this.of("network")) {
      const pattern = canonicalHost(rule.pattern);
      if (portMatches(rule.mode, port) && (pattern === "*" || fnmatchcase(wanted, pattern))) return rule;
    }
    return null;
  }

  /** The rule allowing reading (or writing) `target` after normalisation, or null. */
  fs(target, { write = false, followSymlinks = true } = {}) {
    const real = normalisePath(target, { followSymlinks });
    for (const [rule, regex] of this.fsRules) {
      if ((rule.mode === "write" || !write) && regex.test(real)) return rule;
    }
    return null;
  }

  /** The rule allowing `command` (as the plugin gave it), or null. */
  exec(command) {
    const resolved = resolveCommand(command);
    if (resolved === null) return null;
    const real = realpath(resolved);
    for (const rule of this.of("exec")) {
      if (rule.pattern.includes("/")) {
        const regex = pathGlob(rule.pattern);
        if (regex.test(resolved) || regex.test(real)) return rule;
      } else {
        const name = path.basename(resolved);
        if (fnmatchcase(name, rule.pattern) && resolveCommand(name) === resolved) return rule;
      }
    }
    return null;
  }

  /** The rule allowing the environment variable `name`, or null. */
  env(name) {
    return this.of("env").find((rule) => fnmatchcase(name, rule.pattern)) ?? null;
  }

  /** Directories to give the sandbox ({hostPath, guestPath, writable}), and why any fs rule could not be one. */
  preopens() {
    const dirs = new Map();
    const problems = [];
    for (const rule of this.of("fs")) {
      const base = rule.pattern.endsWith("/**") ? rule.pattern.slice(0, -3) : null;
      if (base === null || literalPrefix(base) !== base || !base.startsWith("/")) {
        problems.push(
          `${rule} is not mounted into the sandbox: WASI gives a sandbox whole directories, so only rules of the ` +
            "form fs:read:/DIR/** or fs:write:/DIR/** make open() work; this rule still applies to the host's fs " +
            "functions (fs.stat, fs.read_bytes, fs.read_text) and exec working directories.",
        );
        continue;
      }
      const real = normalisePath(base);
      let isDir = false;
      try {
        isDir = statSync(real).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir) {
        problems.push(`${rule} is not mounted into the sandbox: ${real} is not an existing directory.`);
        continue;
      }
      dirs.set(real, (dirs.get(real) ?? false) || rule.mode === "write");
    }
    const preopens = [...dirs.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([hostPath, writable]) => ({ hostPath, guestPath: hostPath, writable }));
    return { preopens, problems };
  }

  /** The sandbox's environment: exactly the host variables an env rule names, sorted by name. */
  environment(hostEnvironment) {
    return Object.entries(hostEnvironment)
      .filter(([name]) => this.env(name) !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
