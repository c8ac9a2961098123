"""The built-in `tcp` plugin: Connects over TCP, optionally with TLS, and reports the connection and certificate."""

from __future__ import annotations

from typing import Any

from reglet_sdk import Metadata, Result, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.net.checks import TcpCheckConfig, run_tcp_check


class Plugin(plugin.Plugin):
    """The tcp check (same config and data fields as Reglet's built-in plugin)."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="tcp", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of the config."""
        return schema.generate_schema(TcpCheckConfig)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Runs the ready-made check."""
        return run_tcp_check(cfg)


plugin.register(Plugin())
