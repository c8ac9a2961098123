"""The seed's TLS certificate expiry check: success while the certificate has at least min_days left.

The handshake is made with `verify=False` so that a certificate the host would refuse (expired,
untrusted, issued for another name) is still read and reported as a finding, with its dates, rather
than ending the check as an error with no data. Verification is still judged: an unverified
certificate is never compliant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reglet_sdk import Metadata, Result, config, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.errors import RegletError
from reglet_sdk.net import CertificateInfo, TlsDetails, tcp


@dataclass
class TlsCheckConfig:
    """Which server to check and how much validity is enough."""

    target_host: str = field(metadata={"description": "Host name (also the TLS server name)."})
    target_port: int = field(default=443, metadata={"description": "TLS port."})
    min_days: int = field(default=30, metadata={"description": "Fewest days of validity that still pass."})


def _data(target: str, tls: TlsDetails, cert: CertificateInfo, compliant: bool) -> dict[str, Any]:
    """The check's data: the seed's fields plus the verification outcome."""
    assert cert.not_after is not None
    return {
        "target": target,
        "not_after": cert.not_after.isoformat().replace("+00:00", "Z"),
        "days_remaining": cert.days_remaining(),
        "issuer": cert.issuer,
        "subject": cert.subject,
        "verified": tls.verified,
        "verification_error": tls.verification_error,
        "verification_code": tls.verification_code,
        "compliant": compliant,
    }


def _unverified_message(target: str, tls: TlsDetails, data: dict[str, Any]) -> str:
    """One sentence naming what is wrong with a certificate that failed verification."""
    reasons = {
        "EXPIRED": f"certificate expired on {data['not_after']}",
        "NOT_YET_VALID": "certificate is not valid yet",
        "UNTRUSTED": "certificate is not trusted",
        "NAME_MISMATCH": "certificate is not valid for this name",
    }
    what = reasons.get(tls.verification_code, "certificate failed verification")
    return f"{target}: {what} ({tls.verification_error})"


class TlsCheck(plugin.Plugin):
    """Connects with TLS and compares the certificate's remaining validity with min_days."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="tls-check", version="1.1.0")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of TlsCheckConfig."""
        return schema.generate_schema(TlsCheckConfig)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Success when the certificate verifies and days_remaining >= min_days; a failure with data otherwise."""
        settings = config.load(TlsCheckConfig, cfg)
        target = f"{settings.target_host}:{settings.target_port}"
        try:
            connection = tcp.dial(settings.target_host, settings.target_port, tls=True, verify=False)
        except RegletError as exc:
            return Result.from_error(exc.detail)
        tls = connection.tls
        cert = tls.certificate if tls else None
        if tls is None or cert is None or cert.not_after is None:
            return Result.failure(f"{target} presented no certificate", {"target": target, "compliant": False})
        days = cert.days_remaining()
        compliant = tls.verified and days is not None and days >= settings.min_days
        data = _data(target, tls, cert, compliant)
        if not tls.verified:
            return Result.failure(_unverified_message(target, tls, data), data)
        if compliant:
            return Result.success(f"{target}: certificate valid for {days} more days", data)
        return Result.failure(f"{target}: certificate expires in {days} days (minimum {settings.min_days})", data)


plugin.register(TlsCheck())
