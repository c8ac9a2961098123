"""JSON Schema (draft 2020-12) for a plugin's config, generated from a dataclass.

Fields without a default are required; `field(metadata={"description": "..."})` gives the
description (and `metadata={"schema": {"minimum": 1}}` any extra keywords); `Literal` becomes `enum`,
`Optional[X]` admits null, `list[X]` an array, `dict[str, X]` an object, a nested dataclass a `$ref`
into `$defs`. The class docstring becomes the schema's description.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from typing import Any

from reglet_sdk import _types

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def generate_schema(cls: type) -> bytes:
    """The JSON Schema of the dataclass `cls`, as UTF-8 JSON bytes (what `Plugin.schema` returns)."""
    return json.dumps(schema_dict(cls), indent=2, sort_keys=False).encode("utf-8")


def schema_dict(cls: type) -> dict[str, Any]:
    """The JSON Schema of the dataclass `cls`, as a dict."""
    defs: dict[str, Any] = {}
    root = {"$schema": DIALECT, "title": cls.__name__, **_object(cls, defs)}
    if defs:
        root["$defs"] = defs
    return root


def _object(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object"}
    doc = inspect.getdoc(cls)
    if doc and not doc.startswith(f"{cls.__name__}("):  # dataclasses invent a signature docstring
        out["description"] = doc
    properties: dict[str, Any] = {}
    required = []
    for spec in _types.fields(cls):
        prop = _type(spec.type, defs)
        if spec.description:
            prop["description"] = spec.description
        if not spec.required and _json_default(spec.default) is not None:
            prop["default"] = _json_default(spec.default)
        prop.update(spec.extra_schema)
        properties[spec.name] = prop
        if spec.required:
            required.append(spec.name)
    out["properties"] = properties
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    return out


def _json_default(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return None


def _type(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if tp is Any:
        return {}
    inner = _types.optional_inner(tp)
    if inner is not None:
        return {"anyOf": [_type(inner, defs), {"type": "null"}]}
    allowed = _types.literal_values(tp)
    if allowed is not None:
        return {"enum": list(allowed)}
    simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
    if tp in simple:
        return {"type": simple[tp]}
    item = _types.list_item(tp)
    if item is not None:
        return {"type": "array", "items": _type(item, defs)}
    entry = _types.dict_value(tp)
    if entry is not None:
        return {"type": "object", "additionalProperties": _type(entry, defs)}
    if _types.is_dataclass_type(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placeholder first: recursive dataclasses terminate
            defs[tp.__name__] = _object(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    raise TypeError(f"cannot express {_types.type_name(tp)} in JSON Schema")
