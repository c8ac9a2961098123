// The WIT boundary: each message crosses as a *frame* (its protobuf encoding in standard base64, in a
// WIT string), and a host function answers every failure with an error response instead of trapping
// the guest. The same rules and messages as the Python runtime (codegen/reglet_codegen/runtime/_rpc.py).

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ErrorDetailSchema } from "./messages.mjs";

export const DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
// One flat character class (a frame can be many MiB: a nested repetition would exhaust the regex stack).
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/** The frame of an encoded message: standard base64 with padding. */
export const encodeFrame = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

/** The encoded message inside a frame; throws when the frame is not strict standard base64. */
export function decodeFrame(frame) {
  if (typeof frame !== "string" || frame.length % 4 !== 0 || !BASE64_BODY.test(frame)) {
    throw new Error("the frame is not standard base64 (it has characters outside the alphabet or bad padding)");
  }
  return new Uint8Array(Buffer.from(frame, "base64"));
}

/** Length of the longest frame that can hold a message of `maxBytes`. */
export const frameLimit = (maxBytes) => 4 * Math.floor((maxBytes + 2) / 3);

/** An ErrorDetail message. */
export function errorDetail(type, code, message, extra = {}) {
  return create(ErrorDetailSchema, { type, code, message, ...extra });
}

/** A response of `method` carrying only an error (every rpc response has an `error` field). */
export function errorResponse(method, type, code, message, stack = "") {
  return create(method.responseSchema, { error: errorDetail(type, code, message, { stack }) });
}

const typeName = (schema) => schema.typeName.split(".").pop();

/**
 * Answers one framed host call: checks the size, decodes, runs `implementation` (async) and encodes
 * its answer. Every failure is an error response: an oversized or undecodable request
 * (`validation`/`INVALID_REQUEST`) or a handler that throws (`internal`/`HOST_HANDLER_FAILED`).
 */
export async function callFramed(method, implementation, frame, { maxRequestBytes }) {
  const where = `${method.service}.${method.name}`;
  const answer = (message) => encodeFrame(toBinary(method.responseSchema, message));
  if (typeof frame === "string" && frame.length > frameLimit(maxRequestBytes)) {
    return answer(
      errorResponse(
        method,
        "validation",
        "INVALID_REQUEST",
        `${where}: the request is about ${Math.floor((frame.length * 3) / 4)} bytes, over the limit of ` +
          `${maxRequestBytes} bytes. Send less data in one call.`,
      ),
    );
  }
  let request;
  try {
    request = fromBinary(method.requestSchema, decodeFrame(frame));
  } catch (error) {
    const text = error.message.startsWith("the frame")
      ? `${where}: ${error.message}.`
      : `${where}: the request is not a valid ${typeName(method.requestSchema)} (${error.message}). Guest and ` +
        "host disagree on the ABI: rebuild the plugin with the SDK that matches this host.";
    return answer(errorResponse(method, "validation", "INVALID_REQUEST", text));
  }
  try {
    return answer(await implementation(request));
  } catch (error) {
    const name = error?.constructor?.name ?? "Error";
    return answer(
      errorResponse(method, "internal", "HOST_HANDLER_FAILED", `${where} raised ${name}: ${error?.message}`, error?.stack ?? ""),
    );
  }
}
