"""Exact conversion between plain Python JSON values and the ABI's `JsonValue` messages.

Plugin config and result data cross the boundary as `reglet.v1.JsonObject`. Unlike
google.protobuf.Struct, integers stay integers of any size (`int_value`, or `big_int_value` beyond
64 bits), floats stay floats, and object keys keep their order, so a `dict` survives exactly.
"""

from __future__ import annotations

import datetime
import enum
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias, cast

import betterproto2

from reglet_abi._wire import CustomDecode, Decoder
from reglet_abi.reglet.v1 import JsonArray, JsonField, JsonObject, JsonValue, NullValue

JSON: TypeAlias = bool | int | float | str | list["JSON"] | dict[str, "JSON"] | None
"""A plain Python JSON value."""

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class JsonConversionError(TypeError):
    """A value cannot cross the boundary as JSON; the message names where it sits."""


def _plain(value: Any) -> Any:
    """The JSON form of the common non-JSON values people return, as other SDKs convert them.

    Enums become their value; datetimes RFC 3339 strings (a naive datetime is taken as UTC, the
    component's only time zone); dates and times ISO 8601 strings; UUIDs their canonical text.
    """
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
        text = aware.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def to_json_value(value: Any, path: str = "value") -> JsonValue:
    """Converts a JSON-compatible Python value (tuples count as lists) into a `JsonValue`.

    Enums, datetimes, dates, times and UUIDs are converted first (see `_plain`); anything else that is
    not JSON raises JsonConversionError naming where it sits (`path`).
    """
    value = _plain(value)
    if value is None:
        return JsonValue(null_value=NullValue.NULL)
    if isinstance(value, bool):
        return JsonValue(bool_value=value)
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return JsonValue(int_value=int(value))
        return JsonValue(big_int_value=str(int(value)))
    if isinstance(value, float):
        return JsonValue(number_value=float(value))
    if isinstance(value, str):
        return JsonValue(string_value=value)
    if isinstance(value, Mapping):
        return JsonValue(object_value=to_json_object(value, path))
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return JsonValue(array_value=JsonArray(items=[to_json_value(v, f"{path}[{i}]") for i, v in enumerate(value)]))
    raise JsonConversionError(
        f"{path} is a {type(value).__name__}, which is not a JSON value. Only None, bool, int, float, str, "
        "lists and dicts with str keys (and enums, datetimes, dates, times and UUIDs, which are converted) "
        "can cross the plugin boundary; convert it first (e.g. bytes to base64 text)."
    )


def to_json_object(mapping: Mapping[Any, Any], path: str = "value") -> JsonObject:
    """Converts a dict with str keys into a `JsonObject`, keeping the key order."""
    fields = []
    for key, item in mapping.items():
        if not isinstance(key, str):
            raise JsonConversionError(
                f"{path} has the key {key!r} ({type(key).__name__}); JSON object keys must be str."
            )
        fields.append(JsonField(key=key, value=to_json_value(item, f"{path}[{key!r}]")))
    return JsonObject(fields=fields)


def from_json_value(message: JsonValue | None) -> JSON:
    """Converts a `JsonValue` back into a plain Python value (an unset value is None)."""
    if message is None:
        return None
    kind, value = betterproto2.which_one_of(message, "kind")
    value = cast(Any, value)
    if kind in ("", "null_value"):
        return None
    if kind == "big_int_value":
        return int(value)
    if kind == "array_value":
        return [from_json_value(item) for item in value.items]
    if kind == "object_value":
        return from_json_object(value)
    result: JSON = value
    return result


def from_json_object(message: JsonObject | dict[str, JSON] | None) -> dict[str, JSON]:
    """Converts a `JsonObject` back into a dict (an unset object is an empty dict).

    A dict is returned as it is: it was decoded straight from the wire (see `PLAIN_JSON_OBJECT`).
    """
    if message is None:
        return {}
    if isinstance(message, dict):
        return message
    return {field.key: from_json_value(field.value) for field in message.fields}


# Straight from the wire encoding to plain values, without a message object per value: a result of
# many small values costs a fraction of the memory and time (measured: 7.8 MB of short strings took
# 112 MiB and 1.5 s as messages). The values are exactly what from_json_object gives for the messages.


def _plain_value(buffer: bytes, start: int, end: int, depth: int) -> JSON:
    found = _PLAIN.fields(JsonValue, buffer, start, end, depth)  # at most one: `kind` is a oneof
    if not found:
        return None
    kind, value = found.popitem()
    if kind == "null_value":
        return None
    if kind == "big_int_value":
        return int(value)  # ValueError for text that is not an integer: the answer is refused
    return cast(JSON, value)


def _plain_array(buffer: bytes, start: int, end: int, depth: int) -> list[JSON]:
    return cast(list[JSON], _PLAIN.fields(JsonArray, buffer, start, end, depth).get("items", []))


def _plain_field(buffer: bytes, start: int, end: int, depth: int) -> tuple[str, JSON]:
    found = _PLAIN.fields(JsonField, buffer, start, end, depth)
    return found.get("key", ""), found.get("value")


def _plain_object(buffer: bytes, start: int, end: int, depth: int) -> dict[str, JSON]:
    return dict(_PLAIN.fields(JsonObject, buffer, start, end, depth).get("fields", ()))


_PLAIN = Decoder({JsonValue: _plain_value, JsonArray: _plain_array, JsonField: _plain_field, JsonObject: _plain_object})

PLAIN_JSON_OBJECT: dict[type, CustomDecode] = {JsonObject: _plain_object}
"""Custom decoders (for `reglet_abi._wire.Decoder`) that decode JsonObject fields into plain dicts."""
