// Shared by the Node host's tests: real components built by this checkout's SDK (`reglet-sdk build`,
// which caches by source hash), and the reglet-node CLI run as a subprocess, as a user runs it.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "../src/pyjson.mjs";

export const HOST_DIR = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
export const REPO = path.resolve(HOST_DIR, "..", "..");
export const CLI = path.join(HOST_DIR, "bin", "reglet-node.mjs");
export const CACHE = path.join(REPO, ".cache", "node-host");
const COMPONENTS = path.join(CACHE, "components");

/** An executable of the repository's virtualenv (make setup), else from PATH. */
export function venvTool(name) {
  const local = path.join(REPO, ".venv", "bin", name);
  return existsSync(local) ? local : name;
}

/** Builds a plugin folder (relative to the repository) with `reglet-sdk build`; returns the .wasm path. */
export function buildPlugin(folder) {
  mkdirSync(COMPONENTS, { recursive: true });
  const target = path.join(COMPONENTS, `${folder.replaceAll("/", "_")}.wasm`);
  const partial = `${target}.${process.pid}.partial.wasm`;
  execFileSync(venvTool("reglet-sdk"), ["build", path.join(REPO, folder), "-o", partial], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 600_000,
  });
  renameSync(partial, target);
  return target;
}

/**
 * Runs reglet-node with `args`; resolves with {code, stdout, stderr, document (parsed JSON or null),
 * seconds}. `env` adds variables; the transpile cache is the tests' own unless REGLET_CACHE_DIR is given.
 */
export function runCli(args, { env = {}, timeout = 120_000, cwd = REPO } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...process.env, REGLET_CACHE_DIR: CACHE, REGLET_GRANTS_STORE: path.join(CACHE, "no-grants.yaml"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      let document = null;
      try {
        document = parse(stdout);
      } catch {
        document = null;
      }
      resolve({ code, stdout, stderr, document, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** The value at `key` of a parsed document (Maps and plain objects alike). */
export function get(value, ...keys) {
  for (const key of keys) value = value instanceof Map ? value.get(key) : value?.[key];
  return value;
}

/** Runs a check and returns its document's data (a Map); fails the test when it printed no JSON. */
export async function checkData(wasm, config, grants = [], extra = []) {
  const run = await runCli(["check", wasm, "--config", JSON.stringify(config), ...grants.flatMap((g) => ["--grant", g]), ...extra]);
  if (run.code === null) throw new Error(`reglet-node did not exit by itself (killed after the test's limit):\n${run.stderr}`);
  if (run.document === null) throw new Error(`no JSON from reglet-node (exit ${run.code}):\n${run.stderr}`);
  return run;
}
