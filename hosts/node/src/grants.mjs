// What a run is granted (as reglet_sdk/host/grant_store.py decides it): explicit grants (--grant,
// --trust) are the whole decision; without them, the rules stored for the plugin in the per-user
// grants store (the Python host's YAML file, read here, never written), and a run whose requested
// rules are not all stored fails with a message that lists them and the ways to grant them.

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import YAML from "yaml";
import { parseRule, risk } from "./policy/rules.mjs";

/** The plugin requested rules nobody granted. */
export class GrantsNeeded extends Error {
  constructor(plugin, missing) {
    const listed = missing.map((rule) => `  ${rule}   (risk: ${risk(rule)})`).join("\n");
    const flags = missing.map((rule) => `--grant ${rule}`).join(" ");
    super(
      `${plugin} requests capabilities that were not granted:\n${listed}\nGrant them explicitly with --grant RULE ` +
        `(once per rule, e.g. ${flags}) or with --trust (everything the plugin requests), or store them for ` +
        "the plugin with `reglet-sdk check` from a terminal (answer 'always').",
    );
  }
}

/** $REGLET_GRANTS_STORE, else ~/.config/reglet-sdk/grants.yaml (or under $XDG_CONFIG_HOME). */
export function storePath() {
  if (process.env.REGLET_GRANTS_STORE) return process.env.REGLET_GRANTS_STORE;
  const base = process.env.XDG_CONFIG_HOME || path.join(homedir(), ".config");
  return path.join(base, "reglet-sdk", "grants.yaml");
}

/** The rules stored for `plugin` (none when there is no store). */
export function storedRules(plugin, file = storePath()) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return [];
    throw error;
  }
  const plugins = YAML.parse(text)?.plugins ?? {};
  if (typeof plugins !== "object" || Array.isArray(plugins)) {
    throw new Error(`${file}: \`plugins:\` must map plugin names to lists of rules`);
  }
  return (plugins[plugin] ?? []).map((rule) => parseRule(String(rule)));
}

/** The rules of one run: `explicit` (null when none was given) or the stored ones. */
export function decide(plugin, requested, explicit) {
  if (explicit !== null) return explicit;
  const stored = storedRules(plugin);
  const storedText = new Set(stored.map(String));
  const missing = [...new Map(requested.map((r) => [String(r), r])).values()].filter((r) => !storedText.has(String(r)));
  if (missing.length) throw new GrantsNeeded(plugin, missing);
  return stored;
}
