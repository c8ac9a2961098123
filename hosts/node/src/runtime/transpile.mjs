// Loading a plugin component: jco's transpiler library (@bytecodealliance/jco-transpile, what
// `jco transpile` runs) turns it into an ES module and core modules,
// cached on disk by content hash so a second load skips the transpile (like the Python host's
// compile cache). The cache holds code this host runs, so entries are read only from a folder owned
// by this user and not writable by others, and written atomically (a complete entry or none).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { limitMemory } from "./memory-limit.mjs";

const JCO_VERSION = JSON.parse(
  readFileSync(new URL("../../node_modules/@bytecodealliance/jco-transpile/package.json", import.meta.url)),
).version;
const OPTIONS = Object.freeze({ name: "plugin", instantiation: "sync", noTypescript: true, quiet: true });
const WASM_MAGIC = Buffer.from([0, 0x61, 0x73, 0x6d]);
const CORE_VERSION = Buffer.from([1, 0, 0, 0]);

/** A file cannot be run as a Reglet plugin; the message says why and what to do. */
export class PluginLoadError extends Error {}

/** $REGLET_CACHE_DIR/node-transpiled, else the user cache folder (as the Python host's cache). */
export function defaultCacheDir() {
  if (process.env.REGLET_CACHE_DIR) return path.join(process.env.REGLET_CACHE_DIR, "node-transpiled");
  const base = process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache");
  return path.join(base, "reglet-sdk", "node-transpiled");
}

function trusted(directory) {
  try {
    const info = statSync(directory);
    return info.uid === process.getuid() && !(info.mode & 0o022);
  } catch {
    return false;
  }
}

/** Checks the bytes are a component (not a core module, not something else); throws PluginLoadError. */
export function checkComponent(file, wasm) {
  if (!wasm.subarray(0, 4).equals(WASM_MAGIC)) {
    throw new PluginLoadError(
      `${file} is not a WebAssembly file (it does not start with \\0asm). Pass a plugin component built with \`reglet-sdk build\`.`,
    );
  }
  if (wasm.subarray(4, 8).equals(CORE_VERSION)) {
    throw new PluginLoadError(
      `${file} is a core WebAssembly module, not a component. Reglet plugins are WebAssembly components: build them with \`reglet-sdk build\`.`,
    );
  }
}

function readEntry(entry) {
  const meta = JSON.parse(readFileSync(path.join(entry, "meta.json"), "utf8"));
  return { directory: entry, jsUrl: pathToFileURL(path.join(entry, "plugin.js")).href, ...meta };
}

async function writeEntry(cacheDir, entry, wasm, file) {
  let output;
  try {
    // jco's transpiler is imported only when there is something to transpile (it is slow to load).
    const { transpileBytes } = await import("@bytecodealliance/jco-transpile");
    output = await transpileBytes(wasm, { ...OPTIONS }); // a copy: it fills in defaults on its options
  } catch (error) {
    throw new PluginLoadError(`${file} is not a valid WebAssembly component: ${error?.message ?? error}`);
  }
  const scratch = mkdtempSync(path.join(cacheDir, ".partial-"));
  const coreModules = [];
  for (const [name, bytes] of Object.entries(output.files)) {
    if (name.endsWith(".d.ts")) continue;
    writeFileSync(path.join(scratch, name), bytes);
    if (name.endsWith(".wasm")) coreModules.push(name);
  }
  const meta = { exports: output.exports.map(([name]) => name), coreModules: coreModules.sort() };
  writeFileSync(path.join(scratch, "meta.json"), JSON.stringify(meta));
  try {
    renameSync(scratch, entry);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    if (!existsSync(path.join(entry, "meta.json"))) {
      throw new PluginLoadError(`the transpile cache ${cacheDir} cannot be written (${error.message}); set REGLET_CACHE_DIR to a private folder.`);
    } // else another process wrote the same entry first
  }
  return readEntry(entry);
}

/**
 * The transpiled form of a component: {directory, jsUrl, exports, coreModules, fromCache, ms}.
 * `cacheDir` must be a folder this user owns alone (it is created 0700).
 */
export async function transpiled(file, wasm, cacheDir = defaultCacheDir()) {
  checkComponent(file, wasm);
  const key = createHash("sha256").update(`jco-transpile=${JCO_VERSION};${JSON.stringify(OPTIONS)}\0`).update(wasm).digest("hex");
  const entry = path.join(cacheDir, key);
  const started = performance.now();
  if (trusted(cacheDir)) {
    try {
      return { ...readEntry(entry), fromCache: true, ms: performance.now() - started };
    } catch {
      rmSync(entry, { recursive: true, force: true }); // missing or damaged: transpile again
    }
  }
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  } catch {
    // not creatable: the private fallback below
  }
  // A folder others could write to is never loaded from: transpile into a private one of our own.
  const target = trusted(cacheDir) ? cacheDir : mkdtempSync(path.join(tmpdir(), "reglet-node-"));
  const result = await writeEntry(target, path.join(target, key), wasm, file);
  return { ...result, fromCache: false, ms: performance.now() - started };
}

/** Reads and compiles the core modules of a transpiled component, each memory capped at `memoryLimitMib`. */
export async function compileCoreModules(entry, memoryLimitMib) {
  const modules = {};
  for (const name of entry.coreModules) {
    const bytes = readFileSync(path.join(entry.directory, name));
    modules[name] = await WebAssembly.compile(limitMemory(bytes, memoryLimitMib));
  }
  return modules;
}
