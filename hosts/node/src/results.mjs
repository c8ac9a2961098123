// The JSON document `reglet-sdk check --format json` prints, built from the plugin's Result message
// (keys status, message, data, error, timestamp, metadata; as reglet_sdk.results.Result.to_dict).

import { ResultStatus } from "./abi/messages.mjs";
import { fromJsonObject } from "./jsonvalue.mjs";
import { int } from "./pyjson.mjs";

const STATUS = new Map([
  [ResultStatus.SUCCESS, "success"],
  [ResultStatus.FAILURE, "failure"],
  [ResultStatus.ERROR, "error"],
]);

/** A Timestamp as Python's datetime.isoformat() prints it (microseconds when non-zero), with Z. */
export function isoTime(timestamp) {
  if (!timestamp) return null;
  const micros = Math.floor(timestamp.nanos / 1000);
  const text = new Date(Number(timestamp.seconds) * 1000).toISOString().slice(0, 19);
  return micros ? `${text}.${String(micros).padStart(6, "0")}Z` : `${text}Z`;
}

/** ErrorDetail.to_dict(): type and message, and the optional parts that are set. */
export function errorToDict(error) {
  const out = { type: error.type, message: error.message };
  if (error.code) out.code = error.code;
  if (Object.keys(error.details).length) out.details = { ...error.details };
  if (error.wrapped) out.wrapped = errorToDict(error.wrapped);
  if (error.stack) out.stack = error.stack;
  if (error.isTimeout) out.is_timeout = true;
  if (error.isNotFound) out.is_not_found = true;
  return out;
}

function metadataToDict(metadata) {
  return {
    start_time: isoTime(metadata.startTime),
    end_time: isoTime(metadata.endTime),
    duration_ms: int(metadata.durationMs),
    sdk_version: metadata.sdkVersion,
    plugin_name: metadata.pluginName,
    plugin_version: metadata.pluginVersion,
    request_id: metadata.requestId,
  };
}

/** The document for a Result message (an unspecified status reads as error, as in the Python host). */
export function resultToDict(result) {
  let error = result.error ? errorToDict(result.error) : null;
  const status = STATUS.get(result.status) ?? "error";
  if (!STATUS.has(result.status) && error === null) {
    error = { type: "internal", message: "the plugin returned a result without a status", code: "BAD_RESULT" };
  }
  return {
    status,
    message: result.message,
    data: fromJsonObject(result.data),
    error,
    timestamp: isoTime(result.timestamp),
    metadata: result.metadata ? metadataToDict(result.metadata) : null,
  };
}

/** The document for a check that produced no Result (a sandbox failure, a bad config): status error. */
export function errorResultToDict(detail) {
  return { status: "error", message: detail.message, data: new Map(), error: errorToDict(detail), timestamp: null, metadata: null };
}
