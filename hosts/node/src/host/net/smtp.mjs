// SmtpConnect: greet a server over a pinned, checked connection; plain, STARTTLS or implicit TLS
// (as reglet_sdk/host/net/smtp.py, whose smtplib conversation this repeats: banner, EHLO, STARTTLS and
// EHLO again when asked, QUIT).

import { create } from "@bufbuild/protobuf";
import { SmtpResponseSchema } from "../../abi/messages.mjs";
import { errorDetail } from "../../abi/frames.mjs";
import { effectiveTimeout } from "../deadlines.mjs";
import { elapsedMs, fmtG } from "../text.mjs";
import { NetworkRefusal, connect, connectError, resolveAllowed } from "./guard.mjs";
import { sessionInfo, startTls, tlsErrorMessage } from "./tls.mjs";
import { peerText } from "./tcp.mjs";

export const DEFAULT_TIMEOUT = 30.0;
const MAX_BANNER = 512;
const MAX_LINE = 8192;
const EHLO_NAME = "reglet.invalid";
const FEATURE = /^([A-Za-z0-9][A-Za-z0-9-]*) ?/;

class ConversationError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind; // "timeout", "tls" or "smtp"
  }
}

/** Line-by-line SMTP replies over a socket that STARTTLS may replace. */
class Conversation {
  constructor(socket, deadline) {
    this.deadline = deadline;
    this.attach(socket);
  }

  attach(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.waiting = null;
    this.closed = false;
    socket.on("data", (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on("end", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {
      this.closed = true;
      this.wake();
    });
  }

  detach() {
    this.socket.removeAllListeners("data");
    this.socket.removeAllListeners("end");
  }

  wake() {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }

  async line() {
    for (;;) {
      const end = this.buffer.indexOf(0x0a);
      if (end !== -1) {
        const line = this.buffer.subarray(0, end + 1);
        this.buffer = this.buffer.subarray(end + 1);
        return line;
      }
      if (this.buffer.length > MAX_LINE) throw new ConversationError("smtp", "line too long");
      if (this.closed) throw new ConversationError("smtp", "Connection unexpectedly closed");
      const left = this.deadline - performance.now();
      if (left <= 0) throw new ConversationError("timeout", "timed out");
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** smtplib's getreply(): the code and the bytes of every line (after "NNN-"/"NNN "), joined by \n. */
  async reply() {
    const lines = [];
    let code = -1;
    for (;;) {
      const line = await this.line();
      lines.push(line.subarray(4).toString("latin1").replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ""));
      const digits = line.subarray(0, 3).toString("latin1");
      code = /^\d{3}$/.test(digits) ? Number(digits) : -1;
      if (line.subarray(3, 4).toString("latin1") !== "-") break;
    }
    const raw = Buffer.from(lines.join("\n"), "latin1");
    return { code, text: raw.toString("latin1"), utf8: raw.toString("utf8") };
  }

  async command(text) {
    this.socket.write(`${text}\r\n`);
    return this.reply();
  }
}

function extensionsOf(ehloText) {
  const names = new Set();
  for (const line of ehloText.split("\n").slice(1)) {
    const match = FEATURE.exec(line);
    if (match) names.add(match[1].toUpperCase());
  }
  return [...names].sort();
}

/** Reads the banner, says EHLO, upgrades with STARTTLS when asked, and quits. */
export async function smtpConnect(policy, request, { tlsOptions, callDeadline }) {
  const timeout = effectiveTimeout(request.timeoutMs, DEFAULT_TIMEOUT, request.context, { callDeadline });
  const address = `${request.host}:${request.port}`;
  const serverName = request.serverName || request.host;
  const answer = (fields) => create(SmtpResponseSchema, { address, ...fields });
  let destination;
  try {
    destination = await resolveAllowed(policy, request.host, request.port, timeout);
  } catch (error) {
    if (error instanceof NetworkRefusal) return answer({ error: error.detail });
    throw error;
  }
  const started = performance.now();
  const deadline = started + timeout * 1000;
  let socket;
  try {
    socket = await connect(destination, timeout);
  } catch (error) {
    return answer({ error: connectError(error, address, timeout) });
  }
  const remoteAddr = peerText(socket);
  const failed = (code, message) => answer({ error: errorDetail("network", code, message), remoteAddr });
  const upgrade = async (conversation) => {
    try {
      conversation.detach();
      return await startTls(conversation.socket, serverName, tlsOptions, (deadline - performance.now()) / 1000);
    } catch (error) {
      throw error?.code === "ETIMEDOUT_HOST"
        ? new ConversationError("timeout", "timed out")
        : new ConversationError("tls", tlsErrorMessage(error));
    }
  };
  const sockets = [socket];
  try {
    let tls;
    const conversation = new Conversation(socket, deadline);
    if (request.tls) {
      const secure = await upgrade(conversation);
      sockets.push(secure);
      conversation.attach(secure);
      tls = sessionInfo(secure, serverName);
    }
    const banner = await conversation.reply();
    if (banner.code !== 220) return failed("READ_BANNER_FAILED", `${address} greeted with ${banner.code} instead of 220`);
    const ehlo = await conversation.command(`ehlo ${EHLO_NAME}`);
    const extensions = ehlo.code === 250 ? extensionsOf(ehlo.text) : [];
    if (request.starttls && !request.tls) {
      if (!extensions.includes("STARTTLS")) return failed("STARTTLS_FAILED", `${address} does not offer STARTTLS`);
      const reply = await conversation.command("STARTTLS");
      if (reply.code !== 220) return failed("STARTTLS_FAILED", `${address} refused STARTTLS: ${reply.code} ${reply.text}`);
      const secure = await upgrade(conversation);
      sockets.push(secure);
      conversation.attach(secure);
      tls = sessionInfo(secure, serverName);
      await conversation.command(`ehlo ${EHLO_NAME}`);
    }
    await conversation.command("quit").catch(() => undefined);
    return answer({
      connected: true,
      banner: `220 ${banner.utf8.slice(0, MAX_BANNER)}`,
      responseTimeMs: BigInt(elapsedMs(started)),
      extensions,
      tls,
      remoteAddr,
    });
  } catch (error) {
    if (!(error instanceof ConversationError)) throw error;
    if (error.kind === "timeout") {
      const message = `${address} did not answer within ${fmtG(timeout)} s`;
      return answer({ error: errorDetail("timeout", "TIMEOUT", message, { isTimeout: true }), remoteAddr });
    }
    if (error.kind === "tls") {
      return failed(request.starttls && !request.tls ? "STARTTLS_FAILED" : "TLS_ERROR", `${address}: ${error.message}`);
    }
    return failed("READ_BANNER_FAILED", `the SMTP conversation with ${address} failed: ${error.message}`);
  } finally {
    for (const s of sockets) s.destroy();
  }
}
