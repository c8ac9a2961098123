"""Pieces shared by the network wrappers: the TLS facts and the timeout budget."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from reglet_abi.reglet.v1 import CallContext, TlsInfo
from reglet_sdk.context import Context


@dataclass(frozen=True)
class CertificateInfo:
    """The peer's leaf certificate."""

    subject: str
    issuer: str
    not_before: datetime.datetime | None
    not_after: datetime.datetime | None
    subject_alt_names: list[str]
    serial_number: str
    sha256_fingerprint: str

    def days_remaining(self, now: datetime.datetime | None = None) -> int | None:
        """Whole days until not_after (negative once expired)."""
        if self.not_after is None:
            return None
        return (self.not_after - (now or datetime.datetime.now(datetime.UTC))).days


@dataclass(frozen=True)
class TlsDetails:
    """A negotiated TLS session."""

    version: str
    cipher_suite: str
    server_name: str
    alpn_protocol: str
    certificate: CertificateInfo | None
    verified: bool = True
    """False only when asked for with verify=False and the certificate failed verification."""
    verification_error: str = ""
    """Why it failed, in OpenSSL's words (e.g. "certificate has expired"); empty when verified."""
    verification_code: str = ""
    """Why it failed, as a stable code: EXPIRED, NOT_YET_VALID, UNTRUSTED, NAME_MISMATCH or OTHER."""

    @classmethod
    def from_proto(cls, info: TlsInfo | None) -> TlsDetails | None:
        """From the ABI message (None stays None)."""
        if info is None:
            return None
        cert = info.peer_certificate
        return cls(
            version=info.version,
            cipher_suite=info.cipher_suite,
            server_name=info.server_name,
            alpn_protocol=info.alpn_protocol,
            certificate=CertificateInfo(
                subject=cert.subject,
                issuer=cert.issuer,
                not_before=cert.not_before,
                not_after=cert.not_after,
                subject_alt_names=list(cert.subject_alt_names),
                serial_number=cert.serial_number,
                sha256_fingerprint=cert.sha256_fingerprint,
            )
            if cert is not None
            else None,
            verified=info.verified,
            verification_error=info.verification_error,
            verification_code=info.verification_code,
        )


def budget_ms(timeout: float | None) -> int:
    """A request's timeout_ms from seconds (0: the host default)."""
    return int(timeout * 1000) if timeout and timeout > 0 else 0


def outgoing_context(ctx: Context, timeout: float | None) -> CallContext:
    """The CallContext to send: the call's deadline, its remaining time capped by `timeout`."""
    return ctx.to_proto(datetime.timedelta(seconds=timeout) if timeout and timeout > 0 else None)
