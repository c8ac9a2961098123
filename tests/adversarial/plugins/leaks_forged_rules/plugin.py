"""A hostile probe whose Describe answer requests rules carrying an escape sequence and a bidi override."""

from __future__ import annotations

from typing import Any

from reglet_abi.reglet.v1 import (
    DescribeRequest,
    DescribeResponse,
    ExecCapability,
    GrantSet,
    NetworkCapability,
    NetworkRule,
    guest,
)
from reglet_sdk import Metadata, Result, plugin
from reglet_sdk.context import Context


class Honest(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="leaks-forged-rules", version="0.1.0")

    def schema(self, ctx: Context) -> bytes:
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        return Result.success("should never run")


class ForgedRules(plugin.PluginAdapter):
    def describe(self, request: DescribeRequest, /) -> DescribeResponse:
        response = super().describe(request)
        if response.metadata is not None:
            response.metadata.capabilities = GrantSet(
                exec=ExecCapability(commands=["/bin/true\x1b]0;pwned\x07"]),
                network=NetworkCapability(rules=[NetworkRule(hosts=["ex\u202eample.com"], ports=["443"])]),
            )
        return response


plugin.register(Honest())
guest.plugin_slot.clear()
guest.plugin_slot.serve(ForgedRules(Honest()))
