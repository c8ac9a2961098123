// Runs one command for a plugin: argv only (never a shell), a hardened environment, capped output, a
// process-group kill (as reglet_sdk/host/process.py):
// - stdin is /dev/null; the command starts in a new session (its own process group);
// - stdout and stderr each keep their first `maxOutput` bytes; the rest is read and dropped;
// - when the time is up, or shortly after the command exits, the whole group gets SIGKILL.

import { spawn } from "node:child_process";
import { constants } from "node:os";

// The environment is an allow-list, as reglet_sdk/host/exec.py: a variable passes when an env rule
// grants it, or it is in the safe set with a plain value; anything else is refused and nothing runs.
const NEVER_PASSED_PREFIXES = ["LD_", "DYLD_", "BASH_FUNC_"];
/** Variables that make the loader or the shell run other code: refused even when an env rule matches. */
const NEVER_PASSED = new Set(["IFS", "LOCPATH", "BASH_ENV", "ENV"]);
/** A locale name or a LANGUAGE list: no `/`, so never a path. */
const LOCALE_VALUE = /^[A-Za-z0-9_.@:+-]*$/;
/** A zone name or a POSIX rule: never an absolute path or `..`, so never a file of the plugin's choosing. */
const ZONE_VALUE = /^(?!:?\/)(?!.*\.\.)[A-Za-z0-9_.+,<>:/-]*$/;
const SAFE_SET = "LANG, LANGUAGE, LC_* (locale names) and TZ (a zone name or POSIX rule)";
export const EXIT_TIMEOUT = -1;
const GRACE_AFTER_EXIT_MS = 200; // to collect output still in the pipes once the command has exited

/** A request's environment entry is not KEY=VALUE. */
export class EnvironmentEntryError extends Error {}

/** A request's environment names variables the command may not get (nothing runs). */
export class EnvironmentRefused extends Error {}

function safeWithoutGrant(name, value) {
  if (name === "LANG" || name === "LANGUAGE" || /^LC_[A-Za-z]+$/.test(name)) return LOCALE_VALUE.test(value);
  if (name === "TZ") return ZONE_VALUE.test(value);
  return false;
}

const shown = (name) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : JSON.stringify(name.slice(0, 60)).replaceAll('"', "'"));

function refusal(needsGrant, never) {
  const problems = [];
  if (needsGrant.length) {
    const listed = needsGrant.slice(0, 8).concat(needsGrant.length > 8 ? [`${needsGrant.length - 8} more`] : []);
    const rules = needsGrant.slice(0, 8).map((name) => `env:${name}`).join(", ");
    problems.push(
      `${listed.join(", ")} may not be passed to commands: without a grant a command gets only ${SAFE_SET}; ` +
        `grant ${rules} to allow ${needsGrant.length === 1 ? "it" : "them"}`,
    );
  }
  if (never.length) {
    const one = never.length === 1;
    problems.push(
      `${never.slice(0, 8).join(", ")} never ${one ? "reaches" : "reach"} a command (loader and shell variables ` +
        `run other code); no grant allows ${one ? "it" : "them"}`,
    );
  }
  return new EnvironmentRefused(`${problems.join("; ")}. Nothing was run.`);
}

/** The environment a command gets from KEY=VALUE entries; `granted(name)` says whether an env rule covers it. */
export function hardenEnvironment(entries, granted) {
  const env = {};
  const needsGrant = [];
  const never = [];
  for (const entry of entries) {
    const at = entry.indexOf("=");
    const name = at === -1 ? "" : entry.slice(0, at);
    if (at === -1 || !name || entry.includes("\0")) {
      throw new EnvironmentEntryError(`environment entry '${entry.slice(0, 60)}' is not KEY=VALUE`);
    }
    const value = entry.slice(at + 1);
    if (NEVER_PASSED_PREFIXES.some((p) => name.startsWith(p)) || NEVER_PASSED.has(name)) never.push(shown(name));
    else if (granted(name) || safeWithoutGrant(name, value)) env[name] = value;
    else needsGrant.push(shown(name));
  }
  if (needsGrant.length || never.length) throw refusal(needsGrant, never);
  return env;
}

class Capped {
  constructor(limit) {
    this.limit = limit;
    this.chunks = [];
    this.size = 0;
    this.truncated = false;
  }

  add(chunk) {
    const room = this.limit - this.size;
    if (room > 0) {
      const kept = chunk.subarray(0, room);
      this.chunks.push(kept);
      this.size += kept.length;
    }
    if (chunk.length > Math.max(room, 0)) this.truncated = true;
  }

  bytes() {
    return new Uint8Array(Buffer.concat(this.chunks));
  }
}

function killGroup(pid) {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Runs argv; resolves with the outcome, rejects with the spawn error when it cannot start at all. */
export function runCommand(argv, { cwd, env, timeout, maxOutput, signal }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true, shell: false });
    const out = new Capped(maxOutput);
    const err = new Capped(maxOutput);
    let timedOut = false;
    let exit = null;
    let open = 2;
    const finish = () => {
      if (open > 0 || exit === null) return;
      clearTimeout(deadline);
      clearTimeout(grace);
      killGroup(child.pid); // no orphan survives the call
      const signalNumber = exit.signal ? constants.signals[exit.signal] ?? 0 : 0;
      resolve({
        stdout: out.bytes(),
        stderr: err.bytes(),
        exitCode: timedOut ? EXIT_TIMEOUT : exit.signal ? -signalNumber : exit.code,
        durationMs: Math.floor(performance.now() - started),
        isTimeout: timedOut,
        stdoutTruncated: out.truncated,
        stderrTruncated: err.truncated,
      });
    };
    let grace;
    const deadline = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeout * 1000);
    signal?.addEventListener("abort", () => killGroup(child.pid), { once: true });
    child.stdout.on("data", (chunk) => out.add(chunk));
    child.stderr.on("data", (chunk) => err.add(chunk));
    for (const stream of [child.stdout, child.stderr]) {
      stream.once("close", () => {
        open -= 1;
        finish();
      });
    }
    child.once("error", (error) => {
      clearTimeout(deadline); // it never started (ENOENT, EACCES, ...)
      reject(error);
    });
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      // Leftovers of an exited command may still hold the pipes open: kill the group soon.
      grace = setTimeout(() => killGroup(child.pid), GRACE_AFTER_EXIT_MS);
      finish();
    });
  });
}
