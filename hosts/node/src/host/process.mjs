// Runs one command for a plugin: argv only (never a shell), a hardened environment, capped output, a
// process-group kill (as reglet_sdk/host/process.py):
// - stdin is /dev/null; the command starts in a new session (its own process group);
// - stdout and stderr each keep their first `maxOutput` bytes; the rest is read and dropped;
// - when the time is up, or shortly after the command exits, the whole group gets SIGKILL.

import { spawn } from "node:child_process";
import { constants } from "node:os";

const ALWAYS_DROPPED_PREFIXES = ["LD_", "DYLD_"];
const ALWAYS_DROPPED = new Set(["IFS", "LOCPATH", "BASH_ENV", "ENV"]);
/** Variables that change which code runs: passed to a command only when an env rule names them. */
export const GATED = new Set([
  ...["PATH", "HOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "NODE_OPTIONS", "NODE_PATH"],
  ...["RUBYLIB", "PERL5LIB", "LUA_PATH", "LUA_CPATH", "CDPATH", "PS4"],
]);
export const EXIT_TIMEOUT = -1;
const GRACE_AFTER_EXIT_MS = 200; // to collect output still in the pipes once the command has exited

/** A request's environment entry is not KEY=VALUE. */
export class EnvironmentEntryError extends Error {}

/** The environment a command gets, and the names dropped (with why), from KEY=VALUE entries. */
export function hardenEnvironment(entries, allowed) {
  const granted = new Set(allowed);
  const env = {};
  const dropped = [];
  for (const entry of entries) {
    const at = entry.indexOf("=");
    const name = at === -1 ? "" : entry.slice(0, at);
    if (at === -1 || !name || entry.includes("\0")) {
      throw new EnvironmentEntryError(`environment entry '${entry.slice(0, 60)}' is not KEY=VALUE`);
    }
    if (ALWAYS_DROPPED_PREFIXES.some((p) => name.startsWith(p)) || ALWAYS_DROPPED.has(name)) {
      dropped.push(`${name} (never passed to commands)`);
    } else if (GATED.has(name) && !granted.has(name)) {
      dropped.push(`${name} (needs env:${name})`);
    } else {
      env[name] = entry.slice(at + 1);
    }
  }
  return { env, dropped };
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
