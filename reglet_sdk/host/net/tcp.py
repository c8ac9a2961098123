"""TcpConnect: connect to a pinned, checked address, optionally complete a TLS handshake, report."""

from __future__ import annotations

import ssl
import time

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage, TcpRequest, TcpResponse
from reglet_sdk.host.deadlines import effective_timeout
from reglet_sdk.host.net.guard import NetworkRefusal, connect, connect_error, resolve_allowed
from reglet_sdk.host.net.tls import session_info, tls_error_message
from reglet_sdk.host.policy import Policy

DEFAULT_TIMEOUT = 5.0


def address_text(sockaddr: tuple[object, ...]) -> str:
    """The address as "ip:port" (or "[ipv6]:port")."""
    host, port = str(sockaddr[0]), sockaddr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def tcp_connect(
    policy: Policy, request: TcpRequest, tls_context: ssl.SSLContext, *, deadline: float | None = None
) -> TcpResponse:
    """Opens and closes one connection (with a TLS handshake when asked) within the call's `deadline`."""
    timeout = effective_timeout(request.timeout_ms, DEFAULT_TIMEOUT, request.context, deadline=deadline)
    until = time.monotonic() + timeout
    address = f"{request.host}:{request.port}"
    try:
        destination = resolve_allowed(policy, request.host, request.port, timeout)
    except NetworkRefusal as refusal:
        return TcpResponse(error=refusal.detail, address=address)
    started = time.monotonic()
    try:
        sock = connect(destination, until)
    except OSError as exc:
        return TcpResponse(error=connect_error(exc, address, timeout), address=address)
    with sock:
        remote, local = address_text(sock.getpeername()), address_text(sock.getsockname())
        tls = None
        if request.tls:
            server_name = request.server_name or request.host
            try:
                with tls_context.wrap_socket(sock, server_hostname=server_name, do_handshake_on_connect=True) as secure:
                    tls = session_info(secure, server_name)
            except ssl.SSLError as exc:
                return TcpResponse(
                    error=ErrorDetailMessage(
                        type="network", code="TLS_ERROR", message=f"{address}: {tls_error_message(exc)}"
                    ),
                    address=address,
                    remote_addr=remote,
                    local_addr=local,
                )
            except TimeoutError:
                return TcpResponse(
                    error=ErrorDetailMessage(
                        type="timeout",
                        code="TIMEOUT",
                        message=f"the TLS handshake with {address} took longer than {timeout:g} s",
                        is_timeout=True,
                    ),
                    address=address,
                )
            except OSError as exc:
                return TcpResponse(error=connect_error(exc, address, timeout), address=address)
    return TcpResponse(
        connected=True,
        address=address,
        remote_addr=remote,
        local_addr=local,
        response_time_ms=int((time.monotonic() - started) * 1000),
        tls=tls,
    )
