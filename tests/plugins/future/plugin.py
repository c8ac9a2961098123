"""A plugin that needs a host from the future: loading it must be refused."""

from typing import Any

from reglet_sdk import Metadata, Result, plugin
from reglet_sdk.context import Context


class Future(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="future", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        return Result.success("from the future")


plugin.register(Future())
