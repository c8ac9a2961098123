"""TcpConnect: connect to a pinned, checked address, optionally complete a TLS handshake, report."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import ssl
import time

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage, TcpRequest, TcpResponse, TlsInfo
from reglet_sdk.host.deadlines import effective_timeout
from reglet_sdk.host.net.guard import Destination, NetworkRefusal, connect, connect_error, resolve_allowed
from reglet_sdk.host.net.tls import VerificationFailure, inspection_context, session_info, tls_error_message
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
    remote, local = address_text(sock.getpeername()), address_text(sock.getsockname())
    tls = None
    if request.tls:
        server_name = request.server_name or request.host
        try:
            tls = _handshake(sock, destination, until, request, server_name, tls_context)
        except OSError as exc:  # ssl.SSLError and TimeoutError are OSErrors
            error = _tls_error(exc, address, timeout)
            if error.code == "TLS_ERROR":
                return TcpResponse(error=error, address=address, remote_addr=remote, local_addr=local)
            return TcpResponse(error=error, address=address)
    else:
        sock.close()
    return TcpResponse(
        connected=True,
        address=address,
        remote_addr=remote,
        local_addr=local,
        response_time_ms=int((time.monotonic() - started) * 1000),
        tls=tls,
    )


def _handshake(
    sock: socket.socket,
    destination: Destination,
    until: float,
    request: TcpRequest,
    server_name: str,
    tls_context: ssl.SSLContext,
) -> TlsInfo:
    """The verified session on `sock` (closed after); with insecure_skip_verify, an unverified one if need be.

    A certificate that fails verification is read over a second connection to the very address the
    first one reached (no second resolution), by `until`, without verification (see host.net.tls).
    """
    peer = ipaddress.ip_address(sock.getpeername()[0])
    try:
        with tls_context.wrap_socket(sock, server_hostname=server_name) as secure:
            return session_info(secure, server_name)
    except ssl.SSLCertVerificationError as exc:
        if not request.insecure_skip_verify:
            raise
        failure = VerificationFailure.from_exception(exc)
    finally:
        sock.close()
    again = connect(dataclasses.replace(destination, addresses=(peer,)), until)
    try:
        with inspection_context().wrap_socket(again, server_hostname=server_name) as secure:
            return session_info(secure, server_name, failure)
    finally:
        again.close()  # a no-op once the TLS socket took it over; closes it if wrapping failed early


def _tls_error(exc: OSError, address: str, timeout: float) -> ErrorDetailMessage:
    """The error for a failed handshake (or a failed reconnection to inspect the certificate)."""
    if isinstance(exc, ssl.SSLError):
        return ErrorDetailMessage(type="network", code="TLS_ERROR", message=f"{address}: {tls_error_message(exc)}")
    if isinstance(exc, TimeoutError | socket.timeout):
        return ErrorDetailMessage(
            type="timeout",
            code="TIMEOUT",
            message=f"the TLS handshake with {address} took longer than {timeout:g} s",
            is_timeout=True,
        )
    return connect_error(exc, address, timeout)
