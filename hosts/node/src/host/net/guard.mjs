// Outbound connections for host functions: grant check, one resolution, SSRF filter, address pinning
// (as reglet_sdk/host/net/guard.py). The host and port must be granted; the name is resolved once;
// every resolved address is checked against the blocked classes unless the granting rule names the
// host or address itself (a glob does not); the addresses returned are the ones connected to.

import dns from "node:dns";
import net from "node:net";
import { errorDetail } from "../../abi/frames.mjs";
import { denial } from "../denial.mjs";
import { fmtG, strerror } from "../text.mjs";
import { blockedClass, parseIP } from "./ip.mjs";

/** The connection may not be made; `detail` says why (capability, SSRF_BLOCKED, HOST_NOT_FOUND, ...). */
export class NetworkRefusal extends Error {
  constructor(detail) {
    super(detail.message);
    this.detail = detail;
  }
}

const bracket = (host) => (host.includes(":") ? `[${host}]` : host);

/** The capability error for a host:port no rule grants. */
export function denialDetail(host, port) {
  return denial(`network:${bracket(host)}:${port}`);
}

/** Whether the rule names this host or address itself (no glob). */
export function namesExplicitly(rule, host, address) {
  const strip = (text) => text.replace(/^\[+|\]+$/g, "").toLowerCase().replace(/\.+$/, "");
  const pattern = strip(rule.pattern);
  if (/[*?[]/.test(pattern)) return false;
  if (pattern === strip(host)) return true;
  const named = parseIP(pattern);
  return named !== null && named.version === address.version && named.value === address.value;
}

function withTimeout(promise, seconds, onTimeout) {
  let timer;
  const expiry = new Promise((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(seconds, 0.001) * 1000);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

/** The addresses of `host` (an IP literal is itself), resolved once, in resolver order. */
export async function resolve(host, timeout) {
  const literal = parseIP(host);
  if (literal !== null) return [literal];
  let infos;
  try {
    infos = await withTimeout(
      dns.promises.lookup(host, { all: true, verbatim: true }),
      timeout,
      () =>
        new NetworkRefusal(
          errorDetail("timeout", "TIMEOUT", `resolving ${host} took longer than ${fmtG(timeout)} s`, { isTimeout: true }),
        ),
    );
  } catch (error) {
    if (error instanceof NetworkRefusal) throw error;
    throw new NetworkRefusal(
      errorDetail("network", "HOST_NOT_FOUND", `${host} could not be resolved (${strerror(error)})`, { isNotFound: true }),
    );
  }
  const seen = new Map();
  for (const info of infos) {
    const address = parseIP(info.address);
    if (address !== null && !seen.has(address.text)) seen.set(address.text, address);
  }
  return [...seen.values()];
}

function where(host, address) {
  const literal = host.replace(/^\[|\]$/g, "");
  return literal === address.text ? `${literal} is` : `${host} resolves to ${address.text},`;
}

/** Grant check, one resolution, SSRF filter: {host, port, addresses, rule}; throws NetworkRefusal. */
export async function resolveAllowed(policy, host, port, timeout) {
  if (!host) throw new NetworkRefusal(errorDetail("validation", "INVALID_REQUEST", "the host is empty"));
  if (!(port >= 1 && port <= 65535)) {
    throw new NetworkRefusal(errorDetail("validation", "INVALID_REQUEST", `port ${port} is not in 1-65535`));
  }
  const rule = policy.network(host, port);
  if (rule === null) throw new NetworkRefusal(denialDetail(host, port));
  const addresses = await resolve(host, timeout);
  for (const address of addresses) {
    const kind = blockedClass(address);
    if (kind && !namesExplicitly(rule, host, address)) {
      const named = `network:${bracket(address.text)}:${port}`;
      throw new NetworkRefusal(
        errorDetail(
          "network",
          "SSRF_BLOCKED",
          `${where(host, address)} a ${kind} address, which a plugin may reach only when a rule names it ` +
            `explicitly (e.g. --grant ${named}); ${rule} does not. Nothing was sent.`,
          { details: { address: address.text, class: kind } },
        ),
      );
    }
  }
  return { host, port, addresses, rule };
}

/** A socket connected to the first reachable pinned address; rejects with the last failure. */
export async function connect(destination, timeout) {
  let last;
  for (const address of destination.addresses) {
    try {
      return await connectOne(address.text, destination.port, timeout);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

function connectOne(address, port, timeout) {
  return new Promise((resolvePromise, reject) => {
    const socket = net.connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      const error = new Error("timed out");
      error.code = "ETIMEDOUT_HOST";
      reject(error);
    }, Math.max(timeout, 0.001) * 1000);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolvePromise(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

/** The ErrorDetail for a failed connection (TIMEOUT, CONNECTION_REFUSED or CONNECT_FAILED). */
export function connectError(error, destination, timeout) {
  if (error?.code === "ETIMEDOUT_HOST" || error?.code === "ETIMEDOUT") {
    return errorDetail("timeout", "TIMEOUT", `connecting to ${destination} took longer than ${fmtG(timeout)} s`, {
      isTimeout: true,
    });
  }
  if (error?.code === "ECONNREFUSED") {
    return errorDetail("network", "CONNECTION_REFUSED", `${destination} refused the connection`);
  }
  return errorDetail("network", "CONNECT_FAILED", `connecting to ${destination} failed: ${strerror(error)}`);
}
