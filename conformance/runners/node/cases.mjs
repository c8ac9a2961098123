// The conformance cases as the Node runner reads them: conformance/cases/*.yaml, in file and case
// order, with placeholders filled from the servers' description. conformance/cases.py is the
// reference (it validates every file against conformance/case.schema.json, and the runner's build step,
// `python -m conformance.build`, loads the cases through it, so an invalid file fails here too); the
// placeholder rule is the same: `{name.key}` anywhere in a string, and a string that is exactly one
// placeholder takes the placeholder's value with its type (a port stays a number).

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

export const REPO = path.resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const CASES_DIR = path.join(REPO, "conformance", "cases");
const PLACEHOLDER = /\{([a-z_]+(?:\.[a-z_]+)*)\}/g;
const CALLS = new Set(["describe", "schema", "check", "roundtrip"]);

/** Every case: {id, name, description, plugin, call, config, grants, timeout, ca_bundle, expect, vectors, known_bugs}. */
export function loadCases(directory = CASES_DIR) {
  const cases = [];
  for (const file of readdirSync(directory).filter((name) => name.endsWith(".yaml")).sort()) {
    const document = YAML.parse(readFileSync(path.join(directory, file), "utf8"));
    for (const raw of document.cases) {
      const id = `${file.slice(0, -".yaml".length)}/${raw.name}`;
      if (!CALLS.has(raw.call) || typeof raw.plugin !== "string") throw new Error(`${id}: not a valid case (see conformance/case.schema.json)`);
      cases.push({ config: {}, grants: [], expect: {}, known_bugs: {}, ca_bundle: false, ...raw, id });
    }
  }
  if (new Set(cases.map((c) => c.id)).size !== cases.length) throw new Error("a case id is defined twice");
  return cases;
}

/** The placeholders of a server description: {http: {port: 1}} gives {"http.port": 1}. */
export function flatten(description, prefix = "") {
  const values = {};
  for (const [key, value] of Object.entries(description)) {
    if (value !== null && typeof value === "object") Object.assign(values, flatten(value, `${prefix}${key}.`));
    else values[`${prefix}${key}`] = value;
  }
  return values;
}

/** `value` with every placeholder filled; throws for an unknown one. */
export function substitute(value, placeholders) {
  if (Array.isArray(value)) return value.map((item) => substitute(item, placeholders));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, placeholders)]));
  }
  if (typeof value !== "string") return value;
  const whole = /^\{([a-z_]+(?:\.[a-z_]+)*)\}$/.exec(value);
  if (whole && whole[1] in placeholders) return placeholders[whole[1]];
  return value.replace(PLACEHOLDER, (_, name) => {
    if (!(name in placeholders)) throw new Error(`unknown placeholder {${name}}`);
    return String(placeholders[name]);
  });
}
