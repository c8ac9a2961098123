"""A plugin whose check does nothing: the fixed cost of a check in a fresh sandbox (benchmarks/fixed_cost.py)."""

from __future__ import annotations

from typing import Any

from reglet_sdk import Metadata, Result, plugin
from reglet_sdk.context import Context


class Empty(plugin.Plugin):
    """Answers every check with success and no data."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is (must agree with plugin.yaml)."""
        return Metadata(name="empty", version="1.0.0", description="Does nothing.")

    def schema(self, ctx: Context) -> bytes:
        """Any config (an empty object schema)."""
        return b'{"type": "object"}'

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Succeeds at once."""
        return Result.success("nothing done")


plugin.register(Empty())
