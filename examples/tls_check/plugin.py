"""The seed's TLS certificate expiry check: success while the certificate has at least min_days left."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reglet_sdk import Metadata, Result, config, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.errors import RegletError
from reglet_sdk.net import tcp


@dataclass
class TlsCheckConfig:
    """Which server to check and how much validity is enough."""

    target_host: str = field(metadata={"description": "Host name (also the TLS server name)."})
    target_port: int = field(default=443, metadata={"description": "TLS port."})
    min_days: int = field(default=30, metadata={"description": "Fewest days of validity that still pass."})


class TlsCheck(plugin.Plugin):
    """Connects with TLS and compares the certificate's remaining validity with min_days."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="tls-check", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of TlsCheckConfig."""
        return schema.generate_schema(TlsCheckConfig)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Success when days_remaining >= min_days."""
        settings = config.load(TlsCheckConfig, cfg)
        target = f"{settings.target_host}:{settings.target_port}"
        try:
            connection = tcp.dial(settings.target_host, settings.target_port, tls=True)
        except RegletError as exc:
            return Result.from_error(exc.detail)
        cert = connection.tls.certificate if connection.tls else None
        if cert is None or cert.not_after is None:
            return Result.failure(f"{target} presented no certificate", {"target": target, "compliant": False})
        days = cert.days_remaining()
        compliant = days is not None and days >= settings.min_days
        data = {
            "target": target,
            "not_after": cert.not_after.isoformat().replace("+00:00", "Z"),
            "days_remaining": days,
            "issuer": cert.issuer,
            "compliant": compliant,
        }
        if compliant:
            return Result.success(f"{target}: certificate valid for {days} more days", data)
        return Result.failure(f"{target}: certificate expires in {days} days (minimum {settings.min_days})", data)


plugin.register(TlsCheck())
