"""Uses the author API as documented: `from reglet_sdk import net, NotFoundError, ...`, the base class's
`check(self, ctx, cfg)` signature next to the `config` module, and the per-record-type DNS helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reglet_sdk import CapabilityError, Metadata, NotFoundError, Result, config, net, plugin
from reglet_sdk.context import Context


@dataclass
class Settings:
    name: str
    nameserver: str
    mode: str = "lookup"


class ApiPolish(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="api-polish", version="1.0.0", description="Uses the documented author API.")

    def schema(self, ctx: Context) -> bytes:
        return b'{"type": "object"}'

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        settings = config.load(Settings, cfg)  # the `config` module is not shadowed by the parameter
        if settings.mode == "fail":
            return Result.failure("asked to fail", {"name": settings.name})
        found: dict[str, Any] = {}
        lookups = {
            "cname": net.dns.lookup_cname,
            "txt": net.dns.lookup_txt,
            "ns": net.dns.lookup_ns,
        }
        for kind, lookup in lookups.items():
            try:
                found[kind] = lookup(settings.name, nameserver=settings.nameserver)
            except NotFoundError as exc:
                found[kind] = f"not found: {exc.detail.code}"
            except CapabilityError as exc:
                found[kind] = f"denied: {exc.detail.code}"
        try:
            found["mx"] = [
                f"{r.pref} {r.host}" for r in net.dns.lookup_mx(settings.name, nameserver=settings.nameserver)
            ]
        except NotFoundError as exc:
            found["mx"] = f"not found: {exc.detail.code}"
        except CapabilityError as exc:
            found["mx"] = f"denied: {exc.detail.code}"
        return Result.success("looked up", found)


plugin.register(ApiPolish())
