"""The conformance broken plugin: describe raises, so no host can load it; it must report a panic."""

from __future__ import annotations

from typing import Any

from reglet_sdk import Metadata, Result, plugin
from reglet_sdk.context import Context


def read_identity() -> Metadata:
    """Fails with a KeyError (the traceback must name this function and file)."""
    identity: dict[str, str] = {}
    return Metadata(name=identity["name"], version="1.0.0")


class Broken(plugin.Plugin):
    """Cannot describe itself."""

    def describe(self, ctx: Context) -> Metadata:
        """Raises."""
        return read_identity()

    def schema(self, ctx: Context) -> bytes:
        """An empty object schema."""
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Never reached: the host cannot load the plugin."""
        return Result.success("unreachable")


plugin.register(Broken())
