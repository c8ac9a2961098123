// The fs host functions (as reglet_sdk/host/fs.py), within the fs read grants. FsStat: lstat/stat of a
// path. FsRead: the contents of one regular file, so an exact-file grant (fs:read:/etc/ssh/sshd_config,
// which WASI cannot mount) is enough to read it and nothing beside it.

import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync, statSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { FsReadResponseSchema, FsStatResponseSchema } from "../abi/messages.mjs";
import { errorDetail } from "../abi/frames.mjs";
import { PathChanged, normalisePath } from "../policy/paths.mjs";
import { effectiveTimeout } from "./deadlines.mjs";
import { denial, lexicalPath } from "./denial.mjs";
import { strerror } from "./text.mjs";

/** Bytes FsRead returns at most (also its default): a plugin may ask for fewer, never more. */
export const MAX_READ = 10 << 20;
/** Bytes read between two looks at the call's deadline. */
export const READ_CHUNK = 1 << 20;
// O_NONBLOCK: a FIFO swapped in at the last moment opens without waiting for a writer (and is refused);
// O_NOCTTY: a terminal never becomes the host's controlling one; O_NOFOLLOW: the checked path has no
// symlink left, so one appearing at its last component is a swap, refused by the kernel (ELOOP).
// libuv adds O_CLOEXEC itself.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | constants.O_NOFOLLOW;

/** The validation error of a request path (empty, or holding a NUL), or null. */
function pathProblem(message, p) {
  if (!p) return errorDetail("validation", "INVALID_REQUEST", `${message}.path is empty; name the path to examine.`);
  if (p.includes("\0")) return errorDetail("validation", "INVALID_REQUEST", `${message}.path contains a NUL character.`);
  return null;
}

/** lstat/stat of a path under an fs read grant; a missing path is exists=false, not an error. */
export function fsStat(policy, request) {
  const problem = pathProblem("FsStatRequest", request.path);
  if (problem) return create(FsStatResponseSchema, { error: problem });
  const followSymlinks = request.followSymlinks;
  let checked;
  let allowed;
  try {
    checked = normalisePath(request.path, { followSymlinks });
    allowed = policy.fs(checked, { followSymlinks }) !== null;
  } catch (error) {
    if (error instanceof PathChanged) return create(FsStatResponseSchema, { error: changed(lexicalPath(request.path)).error });
    throw error;
  }
  if (!allowed) {
    return create(FsStatResponseSchema, { error: denial(`fs:read:${lexicalPath(request.path)}`) });
  }
  let info;
  try {
    info = (followSymlinks ? statSync : lstatSync)(checked, { bigint: true });
  } catch (error) {
    if (error.code === "ENOENT") return create(FsStatResponseSchema, { exists: false });
    const message = `${request.path} cannot be examined: ${strerror(error)}`;
    return create(FsStatResponseSchema, { error: errorDetail("internal", "STAT_FAILED", message) });
  }
  const isSymlink = info.isSymbolicLink();
  // Python reads st_mtime as a float and keeps microseconds: round the same way.
  const micros = (info.mtimeNs + 500n) / 1000n;
  return create(FsStatResponseSchema, {
    exists: true,
    isDir: info.isDirectory(),
    isSymlink,
    symlinkTarget: isSymlink ? readlinkSync(checked) : "",
    size: info.size,
    mode: Number(info.mode),
    uid: Number(info.uid),
    gid: Number(info.gid),
    modTime: { ...timestampFromMs(Number(micros / 1000n)), nanos: Number(micros % 1000000n) * 1000 },
  });
}

/** FsRead stops: `error` is the answer. */
class Refused extends Error {
  constructor(error) {
    super(error.message);
    this.error = error;
  }
}

const fsError = (code, message, extra = {}) => new Refused(errorDetail("fs", code, message, extra));

function kind(info) {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a FIFO (named pipe)";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isSocket()) return "a socket";
  return "not a regular file";
}

const notRegular = (asked, info) =>
  fsError(
    "NOT_A_REGULAR_FILE",
    `${asked} is ${kind(info)}, not a regular file, so it was not read (FsRead reads regular files only; ` +
      "use fs.stat for metadata, or read a directory's files one by one).",
  );

const changed = (asked) =>
  fsError(
    "PATH_CHANGED",
    `${asked} changed while it was being resolved or opened (its symlinks are being swapped), so nothing was ` +
      "read. Try again once the path is stable.",
  );

function openFailed(asked, error) {
  if (error.code === "ENOENT") return fsError("NOT_FOUND", `${asked} does not exist.`, { isNotFound: true });
  if (error.code === "ELOOP") return changed(asked); // the checked path had no symlink; one appeared since
  if (error.code === "ENXIO") return fsError("NOT_A_REGULAR_FILE", `${asked} is not a regular file, so it was not read.`);
  return fsError("READ_FAILED", `${asked} cannot be read by the host: ${strerror(error)}.`);
}

/** The kernel's path of an open file (Linux /proc), or null where there is no such view. */
function openedPath(fd) {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/** An fd of the granted regular file at `resolved`, proven to be the file the grant was decided on. */
function openChecked(policy, resolved, asked) {
  let before;
  try {
    before = statSync(resolved, { bigint: true });
  } catch (error) {
    throw openFailed(asked, error);
  }
  if (!before.isFile()) throw notRegular(asked, before); // refused before any open: opening a device can have effects
  let fd;
  try {
    fd = openSync(resolved, OPEN_FLAGS);
  } catch (error) {
    throw openFailed(asked, error);
  }
  try {
    const info = fstatSync(fd, { bigint: true });
    if (!info.isFile()) throw notRegular(asked, info);
    if (info.dev !== before.dev || info.ino !== before.ino) throw changed(asked);
    // A directory on the way swapped for a symlink leads the open elsewhere: the kernel's name of the
    // opened file must be granted too.
    const opened = openedPath(fd);
    if (opened !== null && policy.fs(opened) === null) throw new Refused(denial(`fs:read:${asked}`));
    return { fd, info };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function timedOut(asked) {
  const message = `Host.FsRead: the time for the call ran out before ${asked} was read.`;
  return new Refused(errorDetail("timeout", "TIMEOUT", message, { isTimeout: true }));
}

/**
 * At most `limit` bytes of `fd` (one more is read to know whether there is more), and whether cut;
 * `until` (performance.now() ms) ends the read with a timeout error.
 */
function readCapped(fd, limit, asked, until) {
  const chunks = [];
  let total = 0;
  while (total <= limit) {
    if (performance.now() >= until) throw timedOut(asked);
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, limit + 1 - total));
    let count;
    try {
      count = readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      throw fsError("READ_FAILED", `${asked} cannot be read by the host: ${strerror(error)}.`);
    }
    if (count === 0) return { content: Buffer.concat(chunks, total), truncated: false };
    chunks.push(chunk.subarray(0, count));
    total += count;
  }
  return { content: Buffer.concat(chunks, total).subarray(0, limit), truncated: true };
}

/**
 * The first bytes (at most maxBytes, capped at `maxRead`) of a granted regular file. The grant is
 * decided on the resolved path (symlinks followed, `..` removed); the denial names only the path as
 * asked. Anything but a regular file is refused without being read, and the opened file must be the
 * one the grant was decided on. The host's `callDeadline` (performance.now() ms), or sooner the request
 * context's deadline or budget, ends the read.
 */
export function fsRead(policy, request, { callDeadline, maxRead = MAX_READ } = {}) {
  const early = pathProblem("FsReadRequest", request.path);
  if (early) return create(FsReadResponseSchema, { error: early });
  const asked = lexicalPath(request.path);
  let resolved;
  let allowed;
  try {
    resolved = normalisePath(request.path);
    allowed = policy.fs(resolved) !== null;
  } catch (error) {
    if (error instanceof PathChanged) return create(FsReadResponseSchema, { error: changed(asked).error });
    throw error;
  }
  if (!allowed) return create(FsReadResponseSchema, { error: denial(`fs:read:${asked}`) });
  const asks = request.maxBytes;
  const limit = asks === 0n || asks > BigInt(maxRead) ? maxRead : Number(asks);
  const budget = effectiveTimeout(0n, Infinity, request.context, { callDeadline });
  const until = budget > 0.001 ? performance.now() + budget * 1000 : 0; // no time left: nothing is opened
  let fd;
  let info;
  let read;
  try {
    if (performance.now() >= until) throw timedOut(asked);
    ({ fd, info } = openChecked(policy, resolved, asked));
    try {
      read = readCapped(fd, limit, asked, until);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (error instanceof Refused) return create(FsReadResponseSchema, { error: error.error });
    throw error;
  }
  // Files in /proc report size 0 yet have contents: the size is at least what was read.
  const seen = BigInt(read.content.length + (read.truncated ? 1 : 0));
  return create(FsReadResponseSchema, {
    content: new Uint8Array(read.content.buffer, read.content.byteOffset, read.content.byteLength),
    truncated: read.truncated,
    size: info.size > seen ? info.size : seen,
  });
}
