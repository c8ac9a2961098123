// Paths as the Python host sees them: absolute against the working directory, `..` removed, symlinks
// resolved like os.path.realpath (which also resolves a path whose tail does not exist yet).

import { accessSync, constants, lstatSync, readlinkSync, statSync } from "node:fs";
import path from "node:path";

export const SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const MAX_LINKS = 40;

/** os.path.realpath (non-strict): every existing symlink resolved, a missing tail kept as written. */
export function realpath(input, depth = 0) {
  const absolute = path.resolve(input);
  let current = "/";
  const parts = absolute.split("/").filter(Boolean);
  for (let i = 0; i < parts.length; i += 1) {
    const candidate = path.join(current, parts[i]);
    let info;
    try {
      info = lstatSync(candidate);
    } catch {
      return path.join(candidate, ...parts.slice(i + 1));
    }
    if (!info.isSymbolicLink() || depth > MAX_LINKS) {
      current = candidate;
      continue;
    }
    current = realpath(path.resolve(current, readlinkSync(candidate)), depth + 1);
  }
  return current;
}

/** A path's symlinks kept changing while it was being resolved (something is swapping them). */
export class PathChanged extends Error {}

const RESOLVE_ATTEMPTS = 3;

/** realpath, retried: it throws when a symlink it saw is gone before it reads it (a swap). */
function stableRealpath(absolute) {
  for (let attempt = 0; attempt < RESOLVE_ATTEMPTS; attempt += 1) {
    try {
      return realpath(absolute);
    } catch {
      // resolved again below; a path that keeps changing is PathChanged
    }
  }
  throw new PathChanged(`${absolute} kept changing while its symlinks were being resolved`);
}

/**
 * Absolute, without `..`, symlinks resolved; with followSymlinks false a final symlink is kept.
 * Throws PathChanged when the path's symlinks change under it on every attempt (as
 * reglet_sdk.host.policy.normalise_path).
 */
export function normalisePath(input, { followSymlinks = true } = {}) {
  const absolute = path.resolve(input);
  if (followSymlinks) return stableRealpath(absolute);
  if (absolute === "/") return "/";
  return path.join(stableRealpath(path.dirname(absolute)), path.basename(absolute));
}

function isExecutableFile(candidate) {
  try {
    if (statSync(candidate).isDirectory()) return false;
    accessSync(candidate, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path a command runs as: a bare name through SEARCH_PATH; null when not found. */
export function resolveCommand(command) {
  if (command.includes("/")) return path.resolve(command);
  for (const dir of SEARCH_PATH.split(":")) {
    const candidate = path.join(dir, command);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}
