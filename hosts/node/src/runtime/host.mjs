// The Node host: loads plugin components (transpiled by jco, cached), grants nothing by default, and
// runs each call in a fresh sandbox (see sandbox.mjs). The same contract as the Python reference host
// (reglet_sdk/host/runtime.py): version checks, describe/schema/check, failures as ErrorDetails.

import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { CheckRequestSchema, DescribeRequestSchema, GrantSetSchema, SchemaRequestSchema, services } from "../abi/messages.mjs";
import { errorDetail } from "../abi/frames.mjs";
import { toJsonObject } from "../jsonvalue.mjs";
import { Policy } from "../policy/policy.mjs";
import { rulesFromGrantSet } from "../policy/rules.mjs";
import { errorResultToDict, resultToDict } from "../results.mjs";
import { writeLog } from "../host/log.mjs";
import { invoke, startSandbox } from "./sandbox.mjs";
import { PluginLoadError, compileCoreModules, transpiled } from "./transpile.mjs";

export { PluginLoadError };
export const HOST_VERSION = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url))).version;

/** Describe or Schema failed; `detail` is the plugin's (or the sandbox's) ErrorDetail. */
export class PluginCallError extends Error {
  constructor(detail) {
    super(`${detail.type}: ${detail.message}${detail.code ? ` [${detail.code}]` : ""}`);
    this.detail = detail;
  }
}

function versionParts(text) {
  const match = /^v?(\d+(?:\.\d+)*)((?:a|b|rc|\.dev|\.post)\d*)?$/i.exec(text.trim());
  return match ? match[1].split(".").map(Number) : null;
}

function newer(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return false;
}

/**
 * Loads and runs plugins: `timeout` (s) per call, `memoryLimitMib`, `caBundle`, `cacheDir`, `verbose`.
 * With `prepareNext` each call starts the sandbox of the plugin's next call as it begins, so a fresh
 * instance is ready when that call comes; `close()` must then stop what is prepared (a prepared
 * worker keeps the process alive).
 */
export class Host {
  constructor({ timeout = 30, memoryLimitMib = 100, cacheDir, caBundle, verbose = false, prepareNext = false } = {}) {
    Object.assign(this, { timeout, memoryLimitMib, cacheDir, caBundle, verbose, prepareNext });
    this.plugins = new Set();
  }

  /** Stops the sandboxes prepared for calls that will not come. */
  close() {
    for (const plugin of this.plugins) plugin.discardSpare();
  }

  /**
   * Loads (transpiling, or reusing the cache), compiles and describes a plugin component, granted
   * `rules`. `nextRules`: the grants the next call will have, to prepare its sandbox during describe.
   */
  async load(file, rules = [], { nextRules } = {}) {
    let wasm;
    try {
      wasm = readFileSync(file);
    } catch (error) {
      throw new PluginLoadError(`${file} cannot be read (${error.code === "ENOENT" ? "No such file or directory" : error.message}).`);
    }
    const entry = await transpiled(file, wasm, this.cacheDir);
    this.checkExports(file, entry.exports);
    let modules;
    try {
      modules = await compileCoreModules(entry, this.memoryLimitMib);
    } catch (error) {
      throw new PluginLoadError(`${file} is not a valid WebAssembly component: ${error.message}`);
    }
    const plugin = new LoadedPlugin(this, file, entry, modules, rules);
    this.plugins.add(plugin);
    if (nextRules) plugin.prepare(nextRules);
    try {
      plugin.description = await plugin.describe();
      this.checkVersion(file, plugin.description);
    } catch (error) {
      plugin.discardSpare();
      throw error;
    }
    return plugin;
  }

  checkExports(file, exports) {
    const wanted = services.PLUGIN.witInterface;
    if (exports.includes(wanted)) return;
    const base = wanted.split("@")[0];
    const other = exports.find((name) => name.split("@")[0] === base);
    if (other) {
      throw new PluginLoadError(
        `${file} was built for ABI ${other.split("@")[1]}, but this host speaks ${wanted.split("@")[1]}. ` +
          "Rebuild the plugin with the SDK that matches this host.",
      );
    }
    throw new PluginLoadError(
      `${file} is a WebAssembly component but not a Reglet plugin: it does not export ${wanted} (it exports ` +
        `${exports.filter((e) => e.includes(":")).sort().join(", ") || "nothing"}). Build plugins with \`reglet-sdk build\`.`,
    );
  }

  checkVersion(file, description) {
    const needed = versionParts(description.minHostVersion || "0");
    if (needed === null) {
      throw new PluginLoadError(`${file} declares min_host_version '${description.minHostVersion}', which is not a version.`);
    }
    if (newer(needed, versionParts(HOST_VERSION))) {
      throw new PluginLoadError(
        `${description.name} ${description.version} needs a host of version ${description.minHostVersion} or newer, but ` +
          `this host is version ${HOST_VERSION}. Upgrade the Node host to run it.`,
      );
    }
  }
}

/** A plugin component ready to run; each call runs in a fresh sandbox. */
export class LoadedPlugin {
  constructor(host, file, entry, modules, rules) {
    Object.assign(this, { host, file, entry, modules, description: null, spare: null });
    this.grant(rules);
  }

  get name() {
    return this.description?.name || this.file.split("/").pop().replace(/\.wasm$/, "");
  }

  /** The rules the plugin requests in its manifest (plugin.yaml). */
  get requestedRules() {
    return rulesFromGrantSet(this.description?.capabilities ?? create(GrantSetSchema));
  }

  /** Replaces what this plugin may do (rules; none: nothing) for the calls that follow. */
  grant(rules) {
    this.policy = new Policy(rules);
    const { preopens, problems } = this.policy.preopens();
    this.preopens = preopens;
    for (const problem of problems) writeLog(this.name, "WARNING", problem);
  }

  /**
   * Starts the sandbox of the next call now, for `rules` (default: the current grants): its instance
   * is created while the caller does other work. A call uses it only if the grants are then the same.
   */
  prepare(rules) {
    const policy = rules ? new Policy(rules) : this.policy;
    if (this.spare?.policy.key !== policy.key) {
      this.discardSpare();
      this.spare = startSandbox(this, policy);
    }
  }

  /** Stops a prepared sandbox that will not be used (the grants changed, or the host is done). */
  discardSpare() {
    this.spare?.worker.terminate();
    this.spare = null;
  }

  call(method, request, timeout) {
    const settings = { caBundle: this.host.caBundle, verbose: this.host.verbose };
    let sandbox;
    if (this.spare?.policy.key === this.policy.key) {
      sandbox = this.spare;
      this.spare = null;
    }
    const outcome = invoke(this, method, request, { timeout: timeout ?? this.host.timeout, policy: this.policy, settings, sandbox });
    if (this.host.prepareNext && !this.spare) this.prepare();
    return outcome;
  }

  async answer(method, request, timeout) {
    const { response, failure } = await this.call(method, request, timeout);
    if (failure) throw new PluginCallError(failure);
    if (response.error) throw new PluginCallError(response.error);
    return response;
  }

  /** The plugin's Metadata message; throws PluginCallError when it cannot answer. */
  async describe(timeout) {
    const request = create(DescribeRequestSchema, { hostVersion: HOST_VERSION });
    const response = await this.answer(services.PLUGIN_DESCRIBE, request, timeout);
    if (!response.metadata) throw new PluginCallError(errorDetail("internal", "BAD_RESPONSE", "describe answered without metadata"));
    return response.metadata;
  }

  /** The plugin's config schema (UTF-8 JSON text); throws PluginCallError when it cannot answer. */
  async schema(timeout) {
    const response = await this.answer(services.PLUGIN_SCHEMA, create(SchemaRequestSchema), timeout);
    return Buffer.from(response.schema).toString("utf8");
  }

  /** Runs the check with `config` (a Map); never throws for plugin misbehaviour: that is a status-error document. */
  async check(config = new Map(), timeout) {
    const request = create(CheckRequestSchema, { config: toJsonObject(config, "config") });
    const { response, failure } = await this.call(services.PLUGIN_CHECK, request, timeout);
    if (failure) return errorResultToDict(failure);
    if (response.error) return errorResultToDict(response.error);
    if (!response.result) return errorResultToDict(errorDetail("internal", "BAD_RESPONSE", "check answered without a result"));
    return resultToDict(response.result);
  }
}
