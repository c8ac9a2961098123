"""The conformance lifecycle plugin: a check that behaves (or misbehaves) as `mode` says.

Modes: `ok` (success with data of every JSON kind), `fail` (failure with data), `raise` (an
exception two frames deep: the host must report `panic` with this file's traceback), `loop` (a busy
loop: the host must stop it at its timeout), `wrong-type` (returns a dict, not a Result),
`bad-data` (a Result whose data cannot be JSON), `error` (a Result.error of the plugin's own type),
`bomb` (allocates until the host's memory limit stops it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from reglet_sdk import ErrorDetail, Metadata, Result, config, plugin, schema
from reglet_sdk.context import Context

Mode = Literal["ok", "fail", "raise", "loop", "wrong-type", "bad-data", "error", "bomb"]


@dataclass
class Settings:
    """What the check does."""

    mode: Mode = field(metadata={"description": "What the check does."})
    label: str = field(default="", metadata={"description": "Echoed in the data."})


def divide(value: int) -> int:
    """Fails with ZeroDivisionError (the traceback must name this function and file)."""
    return value // 0


def deeper(value: int) -> int:
    """One more frame, so the traceback has depth."""
    return divide(value) + 1


class Lifecycle(plugin.Plugin):
    """Does what its mode says."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="lifecycle", version="2.1.0", description="A check that misbehaves on request.")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of Settings."""
        return schema.generate_schema(Settings)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Behaves as the mode says."""
        settings = config.load(Settings, cfg)
        mode = settings.mode
        if mode == "raise":
            deeper(7)
        if mode == "loop":
            while True:
                pass
        if mode == "bomb":
            hoard = []
            while True:
                hoard.append(bytearray(4 << 20))
        if mode == "wrong-type":
            return {"status": "success"}  # type: ignore[return-value]
        if mode == "bad-data":
            return Result.success("unserialisable", {"value": {1, 2}})
        if mode == "error":
            return Result.from_error(ErrorDetail("quota", "the plugin's own error", code="OVER_QUOTA"))
        if mode == "fail":
            return Result.failure("not compliant", {"label": settings.label, "reasons": ["a", "b"]})
        data = {
            "label": settings.label,
            "unicode": "grüße ✓ 日本",
            "int": 42,
            "negative": -(2**63),
            "big": 2**70,
            "float": 0.5,
            "whole_float": 2.0,
            "bool": True,
            "null": None,
            "list": [1, "two", [3], {"four": 4}],
            "empty_object": {},
            "empty_list": [],
        }
        return Result.success(f"all good {settings.label}".strip(), data)


plugin.register(Lifecycle())
