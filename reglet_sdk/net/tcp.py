"""TCP (and TLS) connection checks through the host: `tcp.dial("example.com", 443, tls=True)`.

The host connects, completes the TLS handshake when asked (TLS 1.2+, certificate verified, SNI =
host), closes, and reports; the plugin never holds a socket. A certificate that fails verification
is a NetworkError (TLS_ERROR) unless `verify=False`: then the handshake is completed anyway so the
certificate can be inspected, and `connection.tls.verified` / `verification_error` /
`verification_code` say what was wrong (grants and address checks apply unchanged).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reglet_abi.reglet.v1 import TcpRequest, TcpResponse, guest
from reglet_sdk import context
from reglet_sdk.context import Context
from reglet_sdk.errors import raise_for_error
from reglet_sdk.net._common import TlsDetails, budget_ms, outgoing_context

Dialer = Callable[[TcpRequest], TcpResponse]
"""The port a connection goes through: the host's TcpConnect, or a fake in unit tests."""


@dataclass(frozen=True)
class Connection:
    """A connection that was made (and closed)."""

    connected: bool
    address: str
    remote_addr: str
    local_addr: str
    response_time_ms: int
    tls: TlsDetails | None = None


def dial(
    host: str,
    port: int,
    *,
    tls: bool = False,
    server_name: str = "",
    verify: bool = True,
    timeout: float | None = None,
    dialer: Dialer | None = None,
    ctx: Context | None = None,
) -> Connection:
    """Connects (and handshakes); raises CapabilityError, HostTimeoutError or NetworkError on failure.

    With tls and `verify=False`, a certificate that fails verification (expired, untrusted, wrong name)
    is reported in `tls.verified` / `tls.verification_error` instead of raising NetworkError(TLS_ERROR).
    """
    response = (dialer or guest.host.tcp_connect)(
        TcpRequest(
            context=outgoing_context(ctx or context.current(), timeout),
            host=host,
            port=port,
            timeout_ms=budget_ms(timeout),
            tls=tls,
            server_name=server_name,
            insecure_skip_verify=not verify,
        )
    )
    raise_for_error(response.error)
    return Connection(
        connected=response.connected,
        address=response.address,
        remote_addr=response.remote_addr,
        local_addr=response.local_addr,
        response_time_ms=response.response_time_ms,
        tls=TlsDetails.from_proto(response.tls),
    )
