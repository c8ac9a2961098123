"""schema.generate_schema: JSON Schema 2020-12 from a dataclass, checked with a real validator."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

import jsonschema
import pytest

from reglet_sdk import schema


@dataclass
class Limits:
    """Bounds."""

    low: int = 0


@dataclass
class Settings:
    """What to check."""

    url: str = field(metadata={"description": "Target URL."})
    method: Literal["GET", "HEAD"] = "GET"
    expected: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    ratio: float = field(default=0.5, metadata={"schema": {"minimum": 0, "maximum": 1}})
    limits: Limits = field(default_factory=Limits)
    verify: bool = True


def test_schema_shape() -> None:
    document = json.loads(schema.generate_schema(Settings))
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["title"] == "Settings" and document["description"] == "What to check."
    assert document["required"] == ["url"]
    assert document["additionalProperties"] is False
    props = document["properties"]
    assert props["url"] == {"type": "string", "description": "Target URL."}
    assert props["method"] == {"enum": ["GET", "HEAD"], "default": "GET"}
    assert props["expected"] == {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert props["headers"] == {"type": "object", "additionalProperties": {"type": "string"}, "default": {}}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert props["ratio"] == {"type": "number", "default": 0.5, "minimum": 0, "maximum": 1}
    assert props["limits"] == {"$ref": "#/$defs/Limits", "default": {"low": 0}}
    assert document["$defs"]["Limits"]["properties"]["low"] == {"type": "integer", "default": 0}


def test_schema_is_valid_and_validates_like_config_load() -> None:
    document = json.loads(schema.generate_schema(Settings))
    jsonschema.Draft202012Validator.check_schema(document)
    validator = jsonschema.Draft202012Validator(document)
    assert validator.is_valid({"url": "https://x", "limits": {"low": 3}})
    assert not validator.is_valid({"method": "GET"})  # url missing
    assert not validator.is_valid({"url": "x", "method": "POST"})
    assert not validator.is_valid({"url": "x", "unknown": 1})


def test_unsupported_type_is_refused() -> None:
    @dataclass
    class Odd:
        when: complex

    with pytest.raises(TypeError, match="cannot express complex"):
        schema.generate_schema(Odd)
