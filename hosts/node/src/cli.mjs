// `reglet-node`: describe and run Reglet plugin components in the Node host.
//
//     reglet-node describe PLUGIN.wasm [--format text|json] [--timeout S] [--memory-limit MIB]
//     reglet-node schema PLUGIN.wasm [--timeout S]
//     reglet-node check PLUGIN.wasm [--config JSON|@FILE] [--grant RULE]... [--trust] [--timeout S]
//                                   [--memory-limit MIB] [--ca-bundle FILE] [--format json|text] [-v]
//
// `check` prints the document `reglet-sdk check --format json` prints (JSON is the default here) and
// exits 0 when the check succeeds, 1 when it fails and 2 when it could not be carried out.

import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import YAML from "yaml";
import { GrantSetSchema, PluginExampleSchema } from "./abi/messages.mjs";
import { GrantsNeeded, decide } from "./grants.mjs";
import { dumps, parse, JsonSyntaxError } from "./pyjson.mjs";
import { RuleError, broad, parseRule, risk } from "./policy/rules.mjs";
import { Host, PluginCallError, PluginLoadError } from "./runtime/host.mjs";

const EXIT = { success: 0, failure: 1, error: 2 };
const USAGE = `usage: reglet-node describe PLUGIN.wasm [--format text|json]
       reglet-node schema PLUGIN.wasm
       reglet-node check PLUGIN.wasm [--config JSON|@FILE] [--grant RULE]... [--trust] [--timeout S]
                                     [--memory-limit MIB] [--ca-bundle FILE] [--format json|text] [-v]`;

/** A command-line argument is wrong; the message says which and how to fix it. */
class UsageError extends Error {}

const OPTIONS = {
  config: { type: "string", default: "{}" },
  grant: { type: "string", multiple: true, default: [] },
  trust: { type: "boolean", default: false },
  timeout: { type: "string", default: "30" },
  "memory-limit": { type: "string", default: "100" },
  "ca-bundle": { type: "string" },
  format: { type: "string" },
  verbose: { type: "boolean", short: "v", default: false },
  help: { type: "boolean", short: "h", default: false },
};

function typeName(value) {
  if (Array.isArray(value)) return "list";
  if (typeof value === "string") return "str";
  if (typeof value === "bigint") return "int";
  if (typeof value === "number") return "float";
  if (typeof value === "boolean") return "bool";
  return typeof value;
}

/** The check config from `--config`: JSON text, or @FILE holding JSON or YAML; a Map. */
export function loadConfig(value) {
  let source = "--config";
  let text = value;
  let loaded;
  if (value.startsWith("@")) {
    source = value.slice(1);
    try {
      text = readFileSync(source, "utf8");
    } catch (error) {
      throw new UsageError(`--config ${value}: cannot read ${source} (${error.code === "ENOENT" ? "No such file or directory" : error.message}).`);
    }
    if (/\.ya?ml$/.test(source)) {
      try {
        loaded = YAML.parse(text, { intAsBigInt: true, mapAsMap: true });
      } catch (error) {
        throw new UsageError(`${source} is not valid YAML: ${error.message}`);
      }
      return configObject(loaded, source);
    }
  }
  try {
    loaded = parse(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw new UsageError(
      `${source} is not valid JSON (${error.message}). Quote it for the shell, e.g. --config '{"name": "Ada"}', ` +
        "or use --config @config.json.",
    );
  }
  return configObject(loaded, source);
}

function configObject(value, source) {
  if (value === null || value === undefined) return new Map();
  if (!(value instanceof Map)) throw new UsageError(`${source} must be a JSON object like {"key": "value"}, not ${typeName(value)}.`);
  return value;
}

function positiveNumber(text, flag, unit) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${flag} must be a positive number of ${unit}, not ${text}.`);
  return value;
}

function host(values) {
  const caBundle = values["ca-bundle"];
  if (caBundle !== undefined && !existsSync(caBundle)) {
    throw new UsageError(`--ca-bundle ${caBundle}: no such file (a PEM file of CA certificates).`);
  }
  return new Host({
    timeout: positiveNumber(values.timeout, "--timeout", "seconds"),
    memoryLimitMib: positiveNumber(values["memory-limit"], "--memory-limit", "MiB"),
    caBundle,
    verbose: values.verbose,
  });
}

function explicitGrants(values, requested) {
  if (!values.grant.length && !values.trust) return null;
  const rules = values.trust ? [...requested] : [];
  for (const text of values.grant) {
    try {
      rules.push(parseRule(text));
    } catch (error) {
      if (error instanceof RuleError) throw new UsageError(`--grant ${error.message}`);
      throw error;
    }
  }
  return rules;
}

function describeDocument(plugin) {
  const info = plugin.description;
  let schema = null;
  try {
    schema = info.configSchema.length ? parse(Buffer.from(info.configSchema).toString("utf8")) : null;
  } catch {
    schema = null;
  }
  return {
    name: info.name,
    version: info.version,
    description: info.description,
    sdk_version: info.sdkVersion,
    min_host_version: info.minHostVersion,
    abi_version: info.abiVersion,
    capabilities: info.capabilities ? toJson(GrantSetSchema, info.capabilities) : {},
    requested_rules: plugin.requestedRules.map((rule) => ({ rule: String(rule), risk: risk(rule), broad: broad(rule) || null })),
    config_schema: schema instanceof Map ? schema : null,
    examples: info.examples.map((example) => toJson(PluginExampleSchema, example)),
  };
}

function describeText(plugin) {
  const info = plugin.description;
  const lines = [`${info.name} ${info.version}`];
  if (info.description) lines.push(`  ${info.description}`);
  lines.push(`  built with reglet-sdk ${info.sdkVersion} (ABI ${info.abiVersion}), needs host >= ${info.minHostVersion}`);
  const rules = plugin.requestedRules;
  if (!rules.length) lines.push("  capabilities: none requested");
  else {
    lines.push("  capabilities requested (risk):");
    for (const rule of rules) lines.push(`    ${rule}   (${risk(rule)}${broad(rule) ? `, broad: ${broad(rule)}` : ""})`);
  }
  return lines.join("\n");
}

async function commandDescribe(file, values, out) {
  const plugin = await host(values).load(file);
  out.write(`${values.format === "json" ? dumps(describeDocument(plugin)) : describeText(plugin)}\n`);
  return EXIT.success;
}

async function commandSchema(file, values, out) {
  const plugin = await host(values).load(file);
  out.write(`${dumps(parse(await plugin.schema()))}\n`);
  return EXIT.success;
}

async function commandCheck(file, values, out) {
  const config = loadConfig(values.config);
  // Explicit grants that do not depend on what the plugin requests are known before it describes
  // itself: the check's sandbox is prepared while it does.
  const known = values.trust ? undefined : (explicitGrants(values, []) ?? undefined);
  const runner = host(values);
  let result;
  let plugin;
  try {
    plugin = await runner.load(file, [], { nextRules: known });
    const requested = plugin.requestedRules;
    plugin.grant(decide(plugin.name, requested, explicitGrants(values, requested)));
    result = await plugin.check(config);
  } finally {
    runner.close(); // a prepared sandbox that was not used would keep the process alive
  }
  if (values.format === "text") {
    const mark = { success: "PASS", failure: "FAIL", error: "ERROR" }[result.status];
    out.write(`${mark} ${plugin.name}: ${result.message}\n`);
  } else {
    out.write(`${dumps(result)}\n`);
  }
  return EXIT[result.status];
}

const COMMANDS = { describe: commandDescribe, schema: commandSchema, check: commandCheck };

/** Runs the command line; resolves with the exit status. */
export async function main(argv, out = process.stdout, err = process.stderr) {
  let command = argv[0];
  try {
    if (!(command in COMMANDS)) throw new UsageError(command ? `unknown command '${command}'` : "a command is needed");
    let parsed;
    try {
      parsed = parseArgs({ args: argv.slice(1), options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(error.message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      out.write(`${USAGE}\n`);
      return EXIT.success;
    }
    if (positionals.length !== 1) throw new UsageError("name exactly one PLUGIN.wasm");
    if (values.format !== undefined && !["json", "text"].includes(values.format)) {
      throw new UsageError(`--format must be json or text, not ${values.format}`);
    }
    return await COMMANDS[command](positionals[0], values, out);
  } catch (error) {
    command = command in COMMANDS ? command : "";
    if (error instanceof UsageError) {
      err.write(`reglet-node${command ? ` ${command}` : ""}: ${error.message}\n${USAGE}\n`);
    } else if (error instanceof PluginLoadError || error instanceof GrantsNeeded) {
      err.write(`reglet-node ${command}: ${error.message}\n`);
    } else if (error instanceof PluginCallError) {
      err.write(`reglet-node ${command}: the plugin failed: ${error.message}\n`);
      if (error.detail.stack) err.write(`${error.detail.stack.trimEnd()}\n`);
    } else {
      throw error;
    }
    return EXIT.error;
  }
}
