// HttpRequest: every hop granted, resolved once, SSRF-checked and pinned; body capped (as
// reglet_sdk/host/net/http.py). Redirects are followed here, hop by hop, so each one goes through the
// same checks. The connection goes to the checked address while TLS verifies (and SNI names) the
// URL's host. With insecure_skip_verify the handshake completes whatever the certificate, and the
// response's TlsInfo says whether (and why not) it was verified.

import http from "node:http";
import https from "node:https";
import { create } from "@bufbuild/protobuf";
import { HttpHeaderSchema, HttpResponseSchema } from "../../abi/messages.mjs";
import { errorDetail } from "../../abi/frames.mjs";
import { effectiveTimeout } from "../deadlines.mjs";
import { fmtG } from "../text.mjs";
import { NetworkRefusal, resolveAllowed } from "./guard.mjs";
import { connectOptions, isTlsError, sessionInfo, tlsErrorMessage } from "./tls.mjs";

export const DEFAULT_TIMEOUT = 30.0;
export const DEFAULT_MAX_REDIRECTS = 10;
export const DEFAULT_MAX_BODY = 10 << 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const failed = (code, message, kind = "network", isTimeout = false) =>
  create(HttpResponseSchema, { error: errorDetail(kind, code, message, { isTimeout }) });

class HopFailure extends Error {
  constructor(response) {
    super(response.error.message);
    this.response = response;
  }
}

/** The pieces of an absolute http(s) URL, or a validation failure. */
function split(url) {
  let parts;
  try {
    parts = new URL(url);
  } catch {
    parts = null;
  }
  if (!parts || !["http:", "https:"].includes(parts.protocol) || !parts.hostname) {
    throw new HopFailure(failed("INVALID_REQUEST", `'${url}' is not an absolute http:// or https:// URL`, "validation"));
  }
  const https = parts.protocol === "https:";
  const hostname = parts.hostname.replace(/^\[|\]$/g, "");
  const defaultPort = https ? 443 : 80;
  const port = parts.port ? Number(parts.port) : defaultPort;
  const hostHeader = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    https,
    hostname,
    port,
    target: `${parts.pathname || "/"}${parts.search}`,
    host: port === defaultPort ? hostHeader : `${hostHeader}:${port}`,
  };
}

function headerPairs(request, host) {
  const pairs = [];
  for (const header of request.headers) for (const value of header.values) pairs.push(header.name, value);
  const named = new Set(pairs.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase()));
  const kept = [];
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i].toLowerCase() !== "host") kept.push(pairs[i], pairs[i + 1]);
  kept.push("Host", host);
  if (!named.has("accept-encoding")) kept.push("Accept-Encoding", "identity"); // as urllib3 sends
  return kept;
}

/** One request/response exchange to a pinned address; resolves with the response (body unread). */
function exchange(hop, address, method, pairs, body, tlsOptions, seconds) {
  return new Promise((resolve, reject) => {
    const family = address.version;
    const options = {
      method,
      host: hop.hostname,
      port: hop.port,
      path: hop.target,
      headers: body ? [...pairs, "Content-Length", String(body.length)] : pairs,
      setHost: false,
      // One connection per hop, kept alive like urllib3's (no "Connection: close"); closed after the body.
      agent: new (hop.https ? https : http).Agent({ keepAlive: true, maxSockets: 1 }),
      lookup: (_host, opts, callback) =>
        opts?.all ? callback(null, [{ address: address.text, family }]) : callback(null, address.text, family),
    };
    const client = hop.https ? https : http;
    const request = client.request(hop.https ? { ...options, ...tlsOptions, servername: sni(hop.hostname) } : options);
    const timer = setTimeout(() => request.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT_HOST" })), seconds * 1000);
    request.once("response", (response) => {
      clearTimeout(timer);
      response.once("close", () => options.agent.destroy());
      resolve(response);
    });
    request.once("error", (error) => {
      clearTimeout(timer);
      options.agent.destroy();
      reject(error);
    });
    request.end(body ?? undefined);
  });
}

const sni = (host) => (/^[\d.]+$/.test(host) || host.includes(":") ? undefined : host);

/** At most `limit` bytes of the body and whether there was more (the rest is not read). */
function readCapped(response, limit, deadline) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const timer = setTimeout(
      () => response.destroy(Object.assign(new Error("the body did not arrive in time"), { code: "ETIMEDOUT_HOST" })),
      Math.max(0, deadline - performance.now()),
    );
    response.on("data", (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        clearTimeout(timer);
        response.destroy();
        resolve([Buffer.concat(chunks).subarray(0, limit), true]);
      }
    });
    response.once("end", () => {
      clearTimeout(timer);
      resolve([Buffer.concat(chunks), false]);
    });
    response.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function groupedHeaders(raw) {
  const groups = new Map();
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i].toLowerCase();
    if (!groups.has(key)) groups.set(key, { name: raw[i], values: [] });
    groups.get(key).values.push(raw[i + 1]);
  }
  return [...groups.values()].map((header) => create(HttpHeaderSchema, header));
}

function exchangeFailure(error, url, timeout) {
  if (error?.code === "ETIMEDOUT_HOST") return failed("TIMEOUT", `${url}: no response within ${fmtG(timeout)} s`, "timeout", true);
  if (isTlsError(error)) return failed("TLS_ERROR", `${url}: ${tlsErrorMessage(error)}`);
  if (error?.code === "ECONNREFUSED") return failed("CONNECTION_REFUSED", `${url}: ${error.message}`);
  return failed("REQUEST_FAILED", `${url}: ${error?.message ?? error}`);
}

/** Performs the request, following redirects hop by hop within the grants. */
export async function httpRequest(policy, request, { tlsOptions, maxBody = DEFAULT_MAX_BODY, maxRedirectsCap = DEFAULT_MAX_REDIRECTS, callDeadline }) {
  const timeout = effectiveTimeout(request.timeoutMs, DEFAULT_TIMEOUT, request.context, { callDeadline });
  const started = performance.now();
  const deadline = started + timeout * 1000;
  let method = (request.method || "GET").toUpperCase();
  let body = request.body.length ? Buffer.from(request.body) : null;
  const follow = request.followRedirects ?? true;
  const maxRedirects = Math.min(request.maxRedirects ?? DEFAULT_MAX_REDIRECTS, maxRedirectsCap);
  let url = request.url;
  let redirects = 0;
  try {
    for (;;) {
      const hop = split(url);
      const remaining = (deadline - performance.now()) / 1000;
      if (remaining <= 0) return failed("TIMEOUT", `no response within ${fmtG(timeout)} s`, "timeout", true);
      let destination;
      try {
        destination = await resolveAllowed(policy, hop.hostname, hop.port, remaining);
      } catch (error) {
        if (error instanceof NetworkRefusal) return create(HttpResponseSchema, { error: error.detail });
        throw error;
      }
      let response;
      try {
        const options = connectOptions(tlsOptions, request.insecureSkipVerify);
        response = await exchange(hop, destination.addresses[0], method, headerPairs(request, hop.host), body, options, remaining);
      } catch (error) {
        return exchangeFailure(error, url, timeout);
      }
      const location = response.headers.location;
      if (follow && REDIRECTS.has(response.statusCode) && location) {
        response.destroy();
        if (redirects >= maxRedirects) return failed("TOO_MANY_REDIRECTS", `${request.url}: more than ${maxRedirects} redirects`);
        redirects += 1;
        url = new URL(location, url).href;
        if (response.statusCode === 303 || ([301, 302].includes(response.statusCode) && method === "POST")) {
          method = "GET";
          body = null;
        }
        continue;
      }
      const tls = hop.https ? sessionInfo(response.socket, hop.hostname) : undefined;
      const responseTimeMs = BigInt(Math.floor(performance.now() - started));
      let content;
      let truncated;
      try {
        [content, truncated] = await readCapped(response, maxBody, deadline);
      } catch (error) {
        if (error?.code === "ETIMEDOUT_HOST") {
          return failed("TIMEOUT", `${url}: the body did not arrive within ${fmtG(timeout)} s`, "timeout", true);
        }
        return failed("READ_BODY_FAILED", `${url}: reading the body failed: ${error?.message ?? error}`);
      }
      return create(HttpResponseSchema, {
        statusCode: response.statusCode,
        headers: groupedHeaders(response.rawHeaders),
        body: new Uint8Array(content),
        bodyTruncated: truncated,
        protocol: `HTTP/${response.httpVersion}`,
        responseTimeMs,
        finalUrl: url,
        redirectCount: redirects,
        tls,
      });
    }
  } catch (error) {
    if (error instanceof HopFailure) return error.response;
    throw error;
  }
}
