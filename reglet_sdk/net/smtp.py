"""SMTP server checks through the host: `smtp.connect("mx.example.com", 25, starttls=True)`.

The host reads the banner, says EHLO, upgrades with STARTTLS (or speaks implicit TLS with `tls=True`),
and quits; it sends no mail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reglet_abi.reglet.v1 import SmtpRequest, SmtpResponse, guest
from reglet_sdk import context
from reglet_sdk.context import Context
from reglet_sdk.errors import raise_for_error
from reglet_sdk.net._common import TlsDetails, budget_ms, outgoing_context

Client = Callable[[SmtpRequest], SmtpResponse]
"""The port a conversation goes through: the host's SmtpConnect, or a fake in unit tests."""


@dataclass(frozen=True)
class Session:
    """What the server said."""

    connected: bool
    address: str
    banner: str
    response_time_ms: int
    extensions: list[str] = field(default_factory=list)
    remote_addr: str = ""
    tls: TlsDetails | None = None


def connect(
    host: str,
    port: int = 25,
    *,
    tls: bool = False,
    starttls: bool = False,
    server_name: str = "",
    timeout: float | None = None,
    client: Client | None = None,
    ctx: Context | None = None,
) -> Session:
    """Greets the server; raises CapabilityError, HostTimeoutError or NetworkError on failure."""
    response = (client or guest.host.smtp_connect)(
        SmtpRequest(
            context=outgoing_context(ctx or context.current(), timeout),
            host=host,
            port=port,
            timeout_ms=budget_ms(timeout),
            tls=tls,
            starttls=starttls,
            server_name=server_name,
        )
    )
    raise_for_error(response.error)
    return Session(
        connected=response.connected,
        address=response.address,
        banner=response.banner,
        response_time_ms=response.response_time_ms,
        extensions=list(response.extensions),
        remote_addr=response.remote_addr,
        tls=TlsDetails.from_proto(response.tls),
    )
