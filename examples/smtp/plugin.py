"""The built-in `smtp` plugin: Greets an SMTP server, plain, with STARTTLS or implicit TLS."""

from __future__ import annotations

from typing import Any

from reglet_sdk import Metadata, Result, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.net.checks import SmtpCheckConfig, run_smtp_check


class Plugin(plugin.Plugin):
    """The smtp check (same config and data fields as Reglet's built-in plugin)."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="smtp", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of the config."""
        return schema.generate_schema(SmtpCheckConfig)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Runs the ready-made check."""
        return run_smtp_check(cfg)


plugin.register(Plugin())
