"""Ready-made checks with the Reglet built-in plugins' config and data fields.

`run_dns_check(cfg)`, `run_http_check(cfg)`, `run_tcp_check(cfg)` and `run_smtp_check(cfg)` take the
built-in plugin's config dict and return its Result: an observation (including "not found" or "timed
out") is a success or failure with data; a missing grant or bad config is an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

from reglet_sdk import config
from reglet_sdk.errors import HostTimeoutError, NetworkError, RegletError
from reglet_sdk.net import dns, http, smtp, tcp
from reglet_sdk.results import Result


def _observed(exc: RegletError) -> bool:
    """Whether a failure is an observation about the target (a failed check), not a policy refusal.

    SSRF_BLOCKED is the host's policy speaking, an error like a missing grant.
    """
    return exc.detail.code != "SSRF_BLOCKED"


def _unreachable(exc: RegletError, address: str) -> Result:
    """A failed connection: a failed check when observed (refused, timed out), else an error."""
    if isinstance(exc, HostTimeoutError | NetworkError) and _observed(exc):
        return Result.failure(exc.detail.message, {"connected": False, "address": address, "error": exc.detail.code})
    return Result.from_error(exc.detail)


@dataclass
class DnsCheckConfig:
    """The built-in dns plugin's config."""

    hostname: str = field(metadata={"description": "Name to resolve."})
    record_type: Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS"] = "A"
    nameserver: str = field(default="", metadata={"description": "host or host:port; empty: the host's resolver."})
    timeout_ms: int = 5000


def run_dns_check(cfg: dict[str, Any], *, resolver: dns.Resolver | None = None) -> Result:
    """Resolves; success when records were found, failure when the name or records do not exist or time out."""
    settings = config.load(DnsCheckConfig, cfg)
    data: dict[str, Any] = {"hostname": settings.hostname, "record_type": settings.record_type}
    try:
        answer = dns.resolve(
            settings.hostname,
            settings.record_type,
            nameserver=settings.nameserver,
            timeout=settings.timeout_ms / 1000,
            resolver=resolver,
        )
    except HostTimeoutError as exc:
        return Result.failure(
            exc.detail.message, {**data, "records": [], "record_count": 0, "is_timeout": True, "is_not_found": False}
        )
    except NetworkError as exc:
        if not exc.detail.is_not_found or not _observed(exc):
            return Result.from_error(exc.detail)
        return Result.failure(
            exc.detail.message, {**data, "records": [], "record_count": 0, "is_timeout": False, "is_not_found": True}
        )
    except RegletError as exc:
        return Result.from_error(exc.detail)
    data.update(
        query_time_ms=answer.query_time_ms,
        records=answer.records,
        mx_records=[{"host": m.host, "pref": m.pref} for m in answer.mx_records],
        record_count=len(answer.records),
        is_timeout=False,
        is_not_found=False,
    )
    return Result.success(f"{settings.hostname} has {len(answer.records)} {settings.record_type} record(s)", data)


@dataclass
class HttpCheckConfig:
    """The built-in http plugin's config."""

    url: str
    method: str = "GET"
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    expected_status: int | None = None
    expected_body_contains: str | None = None
    body_preview_length: int = field(default=200, metadata={"description": "0: hash only; -1: the full body."})
    timeout_ms: int = 30000
    follow_redirects: bool = True
    max_redirects: int = 10


def run_http_check(cfg: dict[str, Any], *, client: http.Client | None = None) -> Result:
    """Requests; failure when the status or body does not meet the expectations."""
    settings = config.load(HttpCheckConfig, cfg)
    try:
        response = http.request(
            settings.method,
            settings.url,
            headers=settings.headers,
            body=settings.body or None,
            timeout=settings.timeout_ms / 1000,
            follow_redirects=settings.follow_redirects,
            max_redirects=settings.max_redirects,
            client=client,
        )
    except RegletError as exc:
        return Result.from_error(exc.detail)
    text = response.text()
    data: dict[str, Any] = {
        "status_code": response.status_code,
        "response_time_ms": response.response_time_ms,
        "protocol": response.protocol,
        "headers": response.headers.to_dict(),
        "body_size": len(response.body),
        "body_sha256": hashlib.sha256(response.body).hexdigest(),
    }
    # body_truncated is always reported (the built-in plugin's field: the body shown, or hashed, is not the
    # whole body). With a preview length of 0 only the hash is sent, and the hash of a body the host cut
    # at its limit must not pass for the hash of the whole body.
    data["body_truncated"] = response.body_truncated
    if settings.body_preview_length < 0:
        data["body"] = text
    elif settings.body_preview_length > 0:
        data["body_preview"] = text[: settings.body_preview_length]
        data["body_truncated"] = response.body_truncated or len(text) > settings.body_preview_length
    problems = []
    if settings.expected_status is not None and response.status_code != settings.expected_status:
        problems.append(f"status {response.status_code}, expected {settings.expected_status}")
    if settings.expected_body_contains is not None and settings.expected_body_contains not in text:
        problems.append(f"the body does not contain {settings.expected_body_contains!r}")
    if problems:
        return Result.failure("; ".join(problems), data)
    return Result.success(f"{settings.url}: {response.status_code}", data)


@dataclass
class TcpCheckConfig:
    """The built-in tcp plugin's config."""

    host: str
    port: int
    timeout_ms: int = 5000
    tls: bool = False
    expected_tls_version: str | None = None


def run_tcp_check(cfg: dict[str, Any], *, dialer: tcp.Dialer | None = None) -> Result:
    """Connects; failure when the connection fails or the TLS version is not the expected one."""
    settings = config.load(TcpCheckConfig, cfg)
    address = f"{settings.host}:{settings.port}"
    try:
        connection = tcp.dial(
            settings.host, settings.port, tls=settings.tls, timeout=settings.timeout_ms / 1000, dialer=dialer
        )
    except RegletError as exc:
        return _unreachable(exc, address)
    data: dict[str, Any] = {
        "connected": connection.connected,
        "address": address,
        "response_time_ms": connection.response_time_ms,
        "remote_addr": connection.remote_addr,
        "local_addr": connection.local_addr,
    }
    if connection.tls is not None:
        cert = connection.tls.certificate
        data.update(
            tls_version=connection.tls.version,
            tls_cipher_suite=connection.tls.cipher_suite,
            tls_server_name=connection.tls.server_name,
            tls_cert_subject=cert.subject if cert else None,
            tls_cert_issuer=cert.issuer if cert else None,
            tls_cert_not_after=cert.not_after.isoformat().replace("+00:00", "Z") if cert and cert.not_after else None,
            tls_cert_days_remaining=cert.days_remaining() if cert else None,
        )
        if settings.expected_tls_version and connection.tls.version != settings.expected_tls_version:
            return Result.failure(
                f"{address} negotiated {connection.tls.version}, expected {settings.expected_tls_version}", data
            )
    return Result.success(f"connected to {address}", data)


@dataclass
class SmtpCheckConfig:
    """The built-in smtp plugin's config."""

    host: str
    port: int = 25
    timeout_ms: int = 30000
    tls: bool = False
    starttls: bool = False


def run_smtp_check(cfg: dict[str, Any], *, client: smtp.Client | None = None) -> Result:
    """Greets the server; failure when it cannot be reached or refuses TLS."""
    settings = config.load(SmtpCheckConfig, cfg)
    address = f"{settings.host}:{settings.port}"
    try:
        session = smtp.connect(
            settings.host,
            settings.port,
            tls=settings.tls,
            starttls=settings.starttls,
            timeout=settings.timeout_ms / 1000,
            client=client,
        )
    except RegletError as exc:
        return _unreachable(exc, address)
    data: dict[str, Any] = {
        "connected": session.connected,
        "address": address,
        "response_time_ms": session.response_time_ms,
        "banner": session.banner,
    }
    if session.tls is not None:
        data.update(
            tls_version=session.tls.version,
            tls_cipher_suite=session.tls.cipher_suite,
            tls_server_name=session.tls.server_name,
        )
    return Result.success(f"{address} answered SMTP", data)
