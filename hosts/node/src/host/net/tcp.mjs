// TcpConnect: connect to a pinned, checked address, optionally complete a TLS handshake, report
// (as reglet_sdk/host/net/tcp.py).

import { create } from "@bufbuild/protobuf";
import { TcpResponseSchema } from "../../abi/messages.mjs";
import { errorDetail } from "../../abi/frames.mjs";
import { effectiveTimeout } from "../deadlines.mjs";
import { elapsedMs, fmtG } from "../text.mjs";
import { NetworkRefusal, connect, connectError, resolveAllowed } from "./guard.mjs";
import { addressText, parseIP } from "./ip.mjs";
import { connectOptions, sessionInfo, startTls, tlsErrorMessage } from "./tls.mjs";

export const DEFAULT_TIMEOUT = 5.0;

/** "ip:port" of a socket's peer or local end ("[ipv6]:port"). */
export const peerText = (socket) => addressText(parseIP(socket.remoteAddress)?.text ?? socket.remoteAddress, socket.remotePort);
export const localText = (socket) => addressText(parseIP(socket.localAddress)?.text ?? socket.localAddress, socket.localPort);

/** Opens and closes one connection (with a TLS handshake when asked). */
export async function tcpConnect(policy, request, { tlsOptions, callDeadline }) {
  const timeout = effectiveTimeout(request.timeoutMs, DEFAULT_TIMEOUT, request.context, { callDeadline });
  const address = `${request.host}:${request.port}`;
  const answer = (fields) => create(TcpResponseSchema, { address, ...fields });
  let destination;
  try {
    destination = await resolveAllowed(policy, request.host, request.port, timeout);
  } catch (error) {
    if (error instanceof NetworkRefusal) return answer({ error: error.detail });
    throw error;
  }
  const started = performance.now();
  let socket;
  try {
    socket = await connect(destination, timeout);
  } catch (error) {
    return answer({ error: connectError(error, address, timeout) });
  }
  const remoteAddr = peerText(socket);
  const localAddr = localText(socket);
  let tls;
  try {
    if (request.tls) {
      const serverName = request.serverName || request.host;
      try {
        const options = connectOptions(tlsOptions, request.insecureSkipVerify);
        const secure = await startTls(socket, serverName, options, timeout - (performance.now() - started) / 1000);
        tls = sessionInfo(secure, serverName);
        secure.destroy();
      } catch (error) {
        if (error?.code === "ETIMEDOUT_HOST") {
          const message = `the TLS handshake with ${address} took longer than ${fmtG(timeout)} s`;
          return answer({ error: errorDetail("timeout", "TIMEOUT", message, { isTimeout: true }) });
        }
        const detail = errorDetail("network", "TLS_ERROR", `${address}: ${tlsErrorMessage(error)}`);
        return answer({ error: detail, remoteAddr, localAddr });
      }
    }
  } finally {
    socket.destroy();
  }
  return answer({ connected: true, remoteAddr, localAddr, responseTimeMs: BigInt(elapsedMs(started)), tls });
}
