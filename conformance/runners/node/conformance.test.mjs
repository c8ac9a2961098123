// The language-neutral host conformance suite (conformance/cases), run against the Node host.
//
//     node --import ./conformance/runners/node/setup.mjs --test conformance/runners/node/
//
// The same files and steps as the Python runner (tests/conformance/test_host_conformance.py): the
// servers of `python -m conformance.serve` (two sets, one per lane: cases run two at a time, and a
// lane's cases one after the other so connection counts belong to one case), the plugins built once
// per source hash by `python -m conformance.build`, and for each case the host's command line,
// `node hosts/node/bin/reglet-node.mjs CALL PLUGIN.wasm ...`, judged by the rules of
// conformance/runner.py. A missing Node host fails every case; nothing is skipped.

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { REPO, flatten, loadCases, substitute } from "./cases.mjs";
import YAML from "yaml";
import { mismatches } from "./match.mjs";

const HOST_BIN = path.join(REPO, "hosts", "node", "bin", "reglet-node.mjs");
const PYTHON = existsSync(path.join(REPO, ".venv", "bin", "python")) ? path.join(REPO, ".venv", "bin", "python") : "python3";
const CACHE = process.env.REGLET_CACHE_DIR || path.join(REPO, ".cache");
const EXIT_BY_STATUS = { success: 0, failure: 1, error: 2 };
const LANES = 2;
const CASES = loadCases();
const scratch = mkdtempSync(path.join(tmpdir(), "reglet-conformance-node-"));

let components = {};
const servers = [];
const idle = [];
const waiting = [];

/** Starts `python -m conformance.serve`; resolves with {process, description}. */
function serve() {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ["-m", "conformance.serve", "--lifetime", "3600"], { cwd: REPO, stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`python -m conformance.serve exited (${code}) before printing its servers`)));
    lines.once("line", (line) => resolve({ process: child, description: JSON.parse(line) }));
  });
}

async function acquireLane() {
  if (idle.length) return idle.pop();
  return new Promise((resolve) => waiting.push(resolve));
}

function releaseLane(lane) {
  const next = waiting.shift();
  if (next) next(lane);
  else idle.push(lane);
}

async function connections(lane) {
  const { host, port } = lane.description.control;
  const response = await fetch(`http://${host}:${port}/connections`);
  return response.json();
}

/** The host's command line after the program (conformance.runner.cli_arguments, plus --format json). */
function cliArguments(kase, wasm, placeholders) {
  const args = [kase.call, wasm];
  if (kase.call === "check") {
    args.push("--config", JSON.stringify(substitute(kase.config, placeholders)));
    for (const rule of substitute(kase.grants, placeholders)) args.push("--grant", String(rule));
    if (kase.ca_bundle) args.push("--ca-bundle", String(placeholders.ca_bundle));
  }
  if (kase.timeout !== undefined) args.push("--timeout", String(kase.timeout));
  if (kase.call === "describe" || kase.call === "check") args.push("--format", "json");
  return args;
}

/** Runs the Node host for a case; resolves with {exitCode, stdout, stderr, seconds}. */
function runHost(args, limitSeconds) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [HOST_BIN, ...args], {
      cwd: REPO,
      env: { ...process.env, REGLET_CACHE_DIR: CACHE, REGLET_GRANTS_STORE: path.join(scratch, "no-grants.yaml") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), limitSeconds * 1000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? `killed by ${signal}`, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Every way the outcome differs from the case's expectation (conformance.runner.problems). */
export function problems(kase, outcome, placeholders) {
  const expect = substitute(kase.expect, placeholders);
  const found = [];
  const wantedExit = expect.exit_code ?? ("status" in expect ? EXIT_BY_STATUS[expect.status] : 0);
  if (outcome.exitCode !== wantedExit) found.push(`exit code ${outcome.exitCode}, expected ${wantedExit}`);
  const keys = ["status", "message", "data", "error", "metadata"];
  if ([...keys, "document"].some((key) => key in expect)) {
    let document;
    try {
      document = JSON.parse(outcome.stdout);
    } catch (error) {
      found.push(`stdout is not one JSON document (${error.message}): ${JSON.stringify(outcome.stdout.slice(0, 500))}`);
    }
    if (document !== undefined) {
      if ("document" in expect) found.push(...mismatches(expect.document, document, "$"));
      for (const key of keys) if (key in expect) found.push(...mismatches(expect[key], document?.[key] ?? null, key));
    }
  }
  for (const stream of ["stdout", "stderr"]) if (stream in expect) found.push(...mismatches(expect[stream], outcome[stream], stream));
  for (const [server, count] of Object.entries(expect.connections ?? {})) {
    const seen = outcome.connections[server] ?? 0;
    if (seen !== count) found.push(`server ${server} accepted ${seen} connection(s), expected ${count}`);
  }
  if ("max_seconds" in expect && outcome.seconds > expect.max_seconds) {
    found.push(`took ${outcome.seconds.toFixed(1)} s, more than the ${expect.max_seconds} s allowed`);
  }
  return found;
}

function report(kase, outcome, found) {
  return [
    `${kase.id}: ${kase.description}`,
    ...found.map((problem) => `  - ${problem}`),
    `  exit code ${outcome.exitCode} after ${outcome.seconds.toFixed(1)} s`,
    "  stdout:",
    outcome.stdout.slice(0, 4000),
    "  stderr:",
    outcome.stderr.slice(-4000),
  ].join("\n");
}

async function runCase(kase) {
  const lane = await acquireLane();
  try {
    const placeholders = flatten(lane.description);
    const wasm = component(kase);
    const before = await connections(lane);
    const outcome = await runHost(cliArguments(kase, wasm, placeholders), (kase.timeout ?? 30) + 60);
    const afterCounts = await connections(lane);
    outcome.connections = Object.fromEntries(Object.entries(afterCounts).map(([name, count]) => [name, count - (before[name] ?? 0)]));
    return { found: problems(kase, outcome, placeholders), outcome };
  } finally {
    releaseLane(lane);
  }
}

/** The case's built plugin; fails the case with the build's reason when it could not be built. */
function component(kase) {
  const built = components[kase.plugin];
  assert.equal(typeof built, "string", `${kase.plugin} could not be built: ${built?.error ?? "not in the build's output"}`);
  return built;
}

async function runRoundtrip(kase) {
  const { roundtripProblems } = await import("./roundtrip.mjs");
  return roundtripProblems(component(kase), path.join(REPO, kase.vectors));
}

before(async () => {
  assert.ok(
    existsSync(HOST_BIN),
    `the Node host is missing: ${path.relative(REPO, HOST_BIN)} does not exist. Build hosts/node (make node-deps) before running the conformance suite.`,
  );
  const built = execFileSync(PYTHON, ["-m", "conformance.build"], { cwd: REPO, encoding: "utf8", timeout: 1_800_000, stdio: ["ignore", "pipe", "inherit"] });
  components = JSON.parse(built);
  for (let i = 0; i < LANES; i += 1) servers.push(await serve());
  idle.push(...servers);
});

after(() => {
  for (const server of servers) {
    server.process.removeAllListeners("exit");
    server.process.stdin.end();
  }
});

describe("host conformance (Node host)", { concurrency: LANES }, () => {
  for (const kase of CASES) {
    const knownBug = kase.known_bugs?.node;
    test(kase.id, { timeout: ((kase.timeout ?? 30) + 120) * 1000 }, async () => {
      let found;
      let detail;
      if (kase.call === "roundtrip") {
        found = await runRoundtrip(kase);
        detail = found.join("\n");
      } else {
        const { found: problemsFound, outcome } = await runCase(kase);
        found = problemsFound;
        detail = report(kase, outcome, found);
      }
      if (knownBug) {
        assert.ok(found.length > 0, `${kase.id} passes although known_bugs.node says: ${knownBug} (remove the entry)`);
      } else {
        assert.deepEqual(found, [], detail);
      }
    });
  }
});

test("the vectors agree with this language's codec (protobuf-es)", async () => {
  const { codecProblems } = await import("./roundtrip.mjs");
  assert.deepEqual(codecProblems(path.join(REPO, "conformance", "vectors")), []);
});

test("the matcher gives the shared verdicts (conformance/matchers.yaml)", () => {
  const { examples } = YAML.parse(readFileSync(path.join(REPO, "conformance", "matchers.yaml"), "utf8"));
  for (const example of examples) {
    const found = mismatches(example.expected, example.actual);
    assert.equal(found.length === 0, example.matches, `${JSON.stringify(example)}: ${found.join("; ")}`);
  }
});
