"""SmtpConnect: greet a server over a pinned, checked connection; plain, STARTTLS or implicit TLS."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import time

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage, SmtpRequest, SmtpResponse, TlsInfo
from reglet_sdk.host.deadlines import effective_timeout
from reglet_sdk.host.net.guard import NetworkRefusal, connect, connect_error, resolve_allowed
from reglet_sdk.host.net.tcp import address_text
from reglet_sdk.host.net.tls import session_info, tls_error_message
from reglet_sdk.host.policy import Policy

DEFAULT_TIMEOUT = 30.0
MAX_BANNER = 512
EHLO_NAME = "reglet.invalid"


def smtp_connect(
    policy: Policy, request: SmtpRequest, tls_context: ssl.SSLContext, *, deadline: float | None = None
) -> SmtpResponse:
    """Reads the banner, says EHLO, upgrades with STARTTLS when asked, and quits, within the call's `deadline`."""
    timeout = effective_timeout(request.timeout_ms, DEFAULT_TIMEOUT, request.context, deadline=deadline)
    until = time.monotonic() + timeout
    address = f"{request.host}:{request.port}"
    server_name = request.server_name or request.host
    try:
        destination = resolve_allowed(policy, request.host, request.port, timeout)
    except NetworkRefusal as refusal:
        return SmtpResponse(error=refusal.detail, address=address)
    started = time.monotonic()
    try:
        sock = connect(destination, until)
    except OSError as exc:
        return SmtpResponse(error=connect_error(exc, address, timeout), address=address)
    remote = address_text(sock.getpeername())
    tls: TlsInfo | None = None
    try:
        if request.tls:
            sock = tls_context.wrap_socket(sock, server_hostname=server_name)
            tls = session_info(sock, server_name)
        client = smtplib.SMTP(timeout=timeout)
        client.sock = sock  # the pinned connection, not a second resolution
        client._host = server_name  # type: ignore[attr-defined]  # STARTTLS verifies against this name
        code, banner = client.getreply()
        if code != 220:
            return _failed("READ_BANNER_FAILED", f"{address} greeted with {code} instead of 220", address, remote)
        client.ehlo(EHLO_NAME)
        extensions = sorted(name.upper() for name in client.esmtp_features)
        if request.starttls and not request.tls:
            if not client.has_extn("starttls"):
                return _failed("STARTTLS_FAILED", f"{address} does not offer STARTTLS", address, remote)
            code, message = client.starttls(context=tls_context)
            if code != 220:
                return _failed(
                    "STARTTLS_FAILED",
                    f"{address} refused STARTTLS: {code} {message.decode(errors='replace')}",
                    address,
                    remote,
                )
            assert isinstance(client.sock, ssl.SSLSocket)
            tls = session_info(client.sock, server_name)
            client.ehlo(EHLO_NAME)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
    except ssl.SSLError as exc:
        failure = "STARTTLS_FAILED" if request.starttls and not request.tls else "TLS_ERROR"
        return _failed(failure, f"{address}: {tls_error_message(exc)}", address, remote)
    except TimeoutError:
        return SmtpResponse(
            error=ErrorDetailMessage(
                type="timeout",
                code="TIMEOUT",
                message=f"{address} did not answer within {timeout:g} s",
                is_timeout=True,
            ),
            address=address,
            remote_addr=remote,
        )
    except (smtplib.SMTPException, OSError) as exc:
        return _failed("READ_BANNER_FAILED", f"the SMTP conversation with {address} failed: {exc}", address, remote)
    finally:
        sock.close()
    text = banner.decode("utf-8", "replace")[:MAX_BANNER]
    return SmtpResponse(
        connected=True,
        address=address,
        banner=f"220 {text}",
        response_time_ms=int((time.monotonic() - started) * 1000),
        extensions=extensions,
        tls=tls,
        remote_addr=remote,
    )


def _failed(code: str, message: str, address: str, remote: str) -> SmtpResponse:
    return SmtpResponse(
        error=ErrorDetailMessage(type="network", code=code, message=message), address=address, remote_addr=remote
    )
