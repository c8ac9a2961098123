"""The built-in `http` plugin: Performs an HTTP(S) request and checks the status and body."""

from __future__ import annotations

from typing import Any

from reglet_sdk import Metadata, Result, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.net.checks import HttpCheckConfig, run_http_check


class Plugin(plugin.Plugin):
    """The http check (same config and data fields as Reglet's built-in plugin)."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="http", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of the config."""
        return schema.generate_schema(HttpCheckConfig)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Runs the ready-made check."""
        return run_http_check(cfg)


plugin.register(Plugin())
