// The host functions this host gives every plugin, bound to one call, its grants and its deadline
// (as reglet_sdk/host/handlers.py). Every function that acts on the outside world first asks the
// plugin's Policy; a denial is an ErrorDetail of type `capability` whose code is the rule that would
// be needed (in `--grant` syntax), and nothing is run or connected.

import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { create } from "@bufbuild/protobuf";
import { ExecResponseSchema, LogResponseSchema } from "../abi/messages.mjs";
import { errorDetail, errorResponse } from "../abi/frames.mjs";
import { normalisePath, resolveCommand } from "../policy/paths.mjs";
import { effectiveTimeout } from "./deadlines.mjs";
import { denial, lexicalPath } from "./denial.mjs";
import { fsRead, fsStat } from "./fs.mjs";
import { forwardLog } from "./log.mjs";
import { dnsLookup } from "./net/dns.mjs";
import { httpRequest } from "./net/http.mjs";
import { smtpConnect } from "./net/smtp.mjs";
import { tcpConnect } from "./net/tcp.mjs";
import { clientOptions } from "./net/tls.mjs";
import { EnvironmentEntryError, EnvironmentRefused, hardenEnvironment, runCommand } from "./process.mjs";
import { strerror } from "./text.mjs";

/** Host-side limits of the exec host function (seconds, bytes). */
export const EXEC_LIMITS = Object.freeze({ defaultTimeout: 30.0, maxTimeout: 30.0, maxOutput: 10 << 20 });

export { denial, lexicalPath } from "./denial.mjs";

const invalid = (message) => errorDetail("validation", "INVALID_REQUEST", message);
const execFailure = (error) => create(ExecResponseSchema, { error, exitCode: -1 });

/** Host handlers for one plugin call: one async method per Host rpc (the generated jsName). */
export class CallHandlers {
  constructor({ pluginName, requestId, policy, callDeadline, caBundle, execLimits = EXEC_LIMITS, maxHttpBody, verbose }) {
    Object.assign(this, { pluginName, requestId, policy, callDeadline, execLimits, maxHttpBody, verbose });
    this.tlsOptions = clientOptions(caBundle);
    this.ended = new AbortController();
  }

  /**
   * Answers `request` with the host function of `method`, or with a `timeout` error when the plugin
   * marked the request canceled or the call is past its deadline: then nothing is done (no query, no
   * connection, no file examined, no record logged), as reglet_sdk/host/handlers.py.
   */
  async call(method, request) {
    let code;
    let reason;
    if (request.context?.canceled) {
      [code, reason] = ["CANCELED", "the plugin canceled the request; nothing was done"];
    } else if (this.callDeadline !== undefined && performance.now() >= this.callDeadline) {
      [code, reason] = ["TIMEOUT", "the plugin call is past its deadline; nothing was done"];
    } else {
      return this[method.jsName](request);
    }
    const response = errorResponse(method, "timeout", code, `${method.service}.${method.name}: ${reason}.`);
    response.error.isTimeout = true;
    return response;
  }

  /** Ends the call: commands still running are killed (with their process groups). */
  close() {
    this.ended.abort();
  }

  get net() {
    return { tlsOptions: this.tlsOptions, callDeadline: this.callDeadline, maxBody: this.maxHttpBody };
  }

  /** Runs a granted command; anything else is refused before it starts. */
  async execCommand(request) {
    if (!request.command) return execFailure(invalid("ExecRequest.command is empty; name the program to run."));
    const resolved = resolveCommand(request.command);
    if (this.policy.exec(request.command) === null) return execFailure(denial(`exec:${lexicalPath(request.command)}`));
    let environment;
    try {
      environment = hardenEnvironment(request.env, (name) => this.policy.env(name) !== null);
    } catch (error) {
      if (error instanceof EnvironmentEntryError) return execFailure(invalid(error.message));
      if (error instanceof EnvironmentRefused) {
        process.stderr.write(`[${this.pluginName}] WARNING refused to run ${request.command}: ${error.message}\n`);
        const message = `the command's environment was refused: ${error.message}`;
        return execFailure(errorDetail("validation", "ENV_NOT_ALLOWED", message));
      }
      throw error;
    }
    let workdir;
    let scratch = null;
    if (request.dir) {
      if (this.policy.fs(request.dir) === null) return execFailure(denial(`fs:read:${lexicalPath(request.dir)}`));
      workdir = normalisePath(request.dir);
      let isDir = false;
      try {
        isDir = statSync(workdir).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir) {
        const message = `the working directory ${workdir} does not exist`;
        return execFailure(errorDetail("exec", "EXECUTION_FAILED", message, { isNotFound: true }));
      }
    } else {
      scratch = mkdtempSync(path.join(tmpdir(), "reglet-exec-"));
      workdir = scratch;
    }
    const limits = this.execLimits;
    const timeout = effectiveTimeout(request.timeoutMs, limits.defaultTimeout, request.context, {
      cap: limits.maxTimeout,
      callDeadline: this.callDeadline,
    });
    try {
      const outcome = await runCommand([resolved, ...request.args], {
        cwd: workdir,
        env: environment,
        timeout,
        maxOutput: limits.maxOutput,
        signal: this.ended.signal,
      });
      return create(ExecResponseSchema, { ...outcome, durationMs: BigInt(outcome.durationMs) });
    } catch (error) {
      const message = `${resolved} could not be started: ${strerror(error)}`;
      return execFailure(errorDetail("exec", "EXECUTION_FAILED", message));
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** lstat/stat of a path under an fs read grant; a missing path is exists=false, not an error. */
  async fsStat(request) {
    return fsStat(this.policy, request);
  }

  /** Reads one granted regular file, capped (see host/fs.mjs). */
  async fsRead(request) {
    return fsRead(this.policy, request, { callDeadline: this.callDeadline });
  }

  /** Resolves a granted name. */
  dnsLookup(request) {
    return dnsLookup(this.policy, request, this.net);
  }

  /** Performs a granted HTTP(S) request. */
  httpRequest(request) {
    return httpRequest(this.policy, request, this.net);
  }

  /** Opens a granted TCP (or TLS) connection. */
  tcpConnect(request) {
    return tcpConnect(this.policy, request, this.net);
  }

  /** Greets a granted SMTP server. */
  smtpConnect(request) {
    return smtpConnect(this.policy, request, this.net);
  }

  /** Forwards a record to the host's log. */
  async log(request) {
    forwardLog(this.pluginName, this.requestId, request, this.verbose);
    return create(LogResponseSchema, {});
  }
}
