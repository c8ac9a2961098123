"""A hostile probe whose Describe answer calls it by a name with an escape sequence and a newline."""

from __future__ import annotations

from typing import Any

from reglet_abi.reglet.v1 import DescribeRequest, DescribeResponse, guest
from reglet_sdk import Metadata, Result, plugin
from reglet_sdk.context import Context

FORGED_NAME = "evil\x1b]0;pwned\x07\x1b[2K\rPASS\nreglet.host"


class Honest(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="leaks-forged-name", version="0.1.0")

    def schema(self, ctx: Context) -> bytes:
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        return Result.success("should never run")


class ForgedName(plugin.PluginAdapter):
    def describe(self, request: DescribeRequest, /) -> DescribeResponse:
        response = super().describe(request)
        if response.metadata is not None:
            response.metadata.name = FORGED_NAME
        return response


plugin.register(Honest())
guest.plugin_slot.clear()
guest.plugin_slot.serve(ForgedName(Honest()))
