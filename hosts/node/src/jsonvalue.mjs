// Exact conversion between JSON values (see pyjson.mjs: bigint = integer, number = float, Map =
// object) and the ABI's JsonValue / JsonObject messages (as reglet_sdk/jsonvalue.py).

import { create } from "@bufbuild/protobuf";
import { JsonArraySchema, JsonFieldSchema, JsonObjectSchema, JsonValueSchema, NullValue } from "./abi/messages.mjs";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A JSON value that cannot cross the boundary; the message names where it sits. */
export class JsonConversionError extends TypeError {}

/** The JsonValue message of a JSON value. */
export function toJsonValue(value, where = "value") {
  const make = (kind) => create(JsonValueSchema, { kind });
  if (value === null || value === undefined) return make({ case: "nullValue", value: NullValue.NULL });
  if (typeof value === "boolean") return make({ case: "boolValue", value });
  if (typeof value === "bigint") {
    return value >= INT64_MIN && value <= INT64_MAX
      ? make({ case: "intValue", value })
      : make({ case: "bigIntValue", value: value.toString() });
  }
  if (typeof value === "number") return make({ case: "numberValue", value });
  if (typeof value === "string") return make({ case: "stringValue", value });
  if (Array.isArray(value)) {
    const items = value.map((item, i) => toJsonValue(item, `${where}[${i}]`));
    return make({ case: "arrayValue", value: create(JsonArraySchema, { items }) });
  }
  if (value instanceof Map) return make({ case: "objectValue", value: toJsonObject(value, where) });
  throw new JsonConversionError(`${where} is a ${typeof value}, which is not a JSON value.`);
}

/** The JsonObject message of a Map (keys in order). */
export function toJsonObject(map, where = "value") {
  const fields = [...map.entries()].map(([key, item]) =>
    create(JsonFieldSchema, { key, value: toJsonValue(item, `${where}['${key}']`) }),
  );
  return create(JsonObjectSchema, { fields });
}

/** The JSON value of a JsonValue message (an unset value is null). */
export function fromJsonValue(message) {
  if (!message) return null;
  const { case: kind, value } = message.kind;
  if (kind === undefined || kind === "nullValue") return null;
  if (kind === "bigIntValue") return BigInt(value);
  if (kind === "arrayValue") return value.items.map(fromJsonValue);
  if (kind === "objectValue") return fromJsonObject(value);
  return value;
}

/** The Map of a JsonObject message (an unset object is empty; a repeated key: the last one wins). */
export function fromJsonObject(message) {
  const map = new Map();
  for (const field of message?.fields ?? []) map.set(field.key, fromJsonValue(field.value));
  return map;
}
