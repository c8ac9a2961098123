// The host's log: plugin log records and the plugin's stdout/stderr, on this process's stderr as
// `[plugin] LEVEL message key=value`, like `reglet-sdk check` prints them.

import { LogLevel } from "../abi/messages.mjs";
import { fromJsonValue } from "../jsonvalue.mjs";
import { dumps } from "../pyjson.mjs";

export const MAX_LOG_MESSAGE = 64 * 1024;
const LEVELS = new Map([
  [LogLevel.DEBUG, "DEBUG"],
  [LogLevel.INFO, "INFO"],
  [LogLevel.WARNING, "WARNING"],
  [LogLevel.ERROR, "ERROR"],
  [LogLevel.CRITICAL, "CRITICAL"],
]);

/** A log attribute's value as text. */
function attributeText(attribute) {
  const { case: kind, value } = attribute.value;
  if (kind === "jsonValue") return dumps(fromJsonValue(value)).replace(/\n\s*/g, " ");
  if (kind === "groupValue") return `{${value.attributes.map((a) => `${a.key}=${attributeText(a)}`).join(", ")}}`;
  if (kind === "timeValue") return new Date(Number(value.seconds) * 1000 + value.nanos / 1e6).toISOString();
  if (kind === "durationMsValue") return `${value} ms`;
  return String(value ?? "");
}

/** Writes one line to the host log (stderr), with control characters made visible. */
export function writeLog(plugin, level, text) {
  const safe = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  process.stderr.write(`[${plugin}] ${level} ${safe.replaceAll("\n", "\n    ")}\n`);
}

/** Forwards a plugin's LogRequest (message cut at 64 KiB; DEBUG only when verbose). */
export function forwardLog(plugin, _requestId, request, verbose = false) {
  const level = LEVELS.get(request.level) ?? "INFO";
  if (level === "DEBUG" && !verbose) return;
  let message = request.message;
  if (message.length > MAX_LOG_MESSAGE) {
    message = `${message.slice(0, MAX_LOG_MESSAGE)}... [${request.message.length - MAX_LOG_MESSAGE} characters cut]`;
  }
  const extra = request.attributes.map((a) => ` ${a.key}=${attributeText(a)}`).join("");
  writeLog(plugin, level, `${message}${extra}`);
}

/** Collects a guest's stdout or stderr and logs it line by line (a line without newline: 64 KiB). */
export class OutputLines {
  constructor(plugin, stream, level) {
    Object.assign(this, { plugin, stream, level, buffer: "" });
  }

  write(chunk) {
    this.buffer += chunk.toString("utf8");
    const lines = this.buffer.split("\n");
    this.buffer = lines.pop();
    for (const line of lines) this.emit(line);
    if (this.buffer.length > MAX_LOG_MESSAGE) {
      this.emit(this.buffer);
      this.buffer = "";
    }
  }

  flush() {
    if (this.buffer) this.emit(this.buffer);
    this.buffer = "";
  }

  emit(line) {
    writeLog(this.plugin, this.level, `${this.stream}: ${line.replace(/\r$/, "")}`);
  }
}
