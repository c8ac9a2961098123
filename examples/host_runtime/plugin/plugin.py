"""Checks that the host's kernel name is the one its inventory store expects.

It calls a host function the SDK does not have: kvdemo.v1.Kv.Get, defined in ../proto and generated
by the SDK's codegen into ../generated (`kv` below is the generated guest stub).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kvdemo_abi.kvdemo.v1 import KvGetRequest
from kvdemo_abi.kvdemo.v1.guest import kv

from reglet_sdk import Metadata, Result, config, context, exec, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.errors import RegletError, raise_for_error


@dataclass
class InventoryConfig:
    """Which inventory key holds the expected kernel name."""

    key: str = field(default="inventory/kernel", metadata={"description": "The store key to compare with."})


class Inventory(plugin.Plugin):
    """Success when `uname -s` equals the stored value."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="inventory", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of InventoryConfig."""
        return schema.generate_schema(InventoryConfig)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Reads the expected value from the host's store, runs uname, compares."""
        settings = config.load(InventoryConfig, cfg)
        try:
            stored = kv.get(KvGetRequest(context=context.current().to_proto(), key=settings.key))
            raise_for_error(stored.error)
            actual = exec.run(exec.CommandRequest(command="/usr/bin/uname", args=["-s"])).stdout.strip()
        except RegletError as exc:
            return Result.from_error(exc.detail)
        data = {"key": settings.key, "found": stored.found, "expected": stored.value, "actual": actual}
        if stored.found and stored.value == actual:
            return Result.success(f"kernel is {actual}, as the inventory says", data)
        return Result.failure(f"kernel is {actual}, the inventory says {stored.value or '(nothing)'}", data)


plugin.register(Inventory())
