"""HttpRequest with urllib3: every hop granted, resolved once, SSRF-checked and pinned; body capped.

Redirects are followed here, not by urllib3, so each hop goes through the same checks (a redirect
from an allowed server to a private address is refused). The connection goes to the checked address
while TLS verifies (and SNI names) the URL's host. With insecure_skip_verify, a hop whose certificate
fails verification is sent again, to the same checked address, over an unverified handshake (no byte
of the request went out over the failed one); its response's TlsInfo says why it was not verified.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage, HttpHeader, HttpRequest, HttpResponse, TlsInfo
from reglet_sdk.host.config import NetworkSettings
from reglet_sdk.host.deadlines import effective_timeout
from reglet_sdk.host.net.guard import NetworkRefusal, resolve_allowed
from reglet_sdk.host.net.tls import VerificationFailure, inspection_context, session_info, tls_error_message
from reglet_sdk.host.policy import Policy

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_REDIRECTS = 10
_REDIRECTS = {301, 302, 303, 307, 308}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _failed(code: str, message: str, *, kind: str = "network", timeout: bool = False) -> HttpResponse:
    return HttpResponse(error=ErrorDetailMessage(type=kind, code=code, message=message, is_timeout=timeout))


@dataclass
class _Exchange:
    """One request as it travels through redirects: what is sent next, and the budget it has."""

    url: str
    method: str
    body: bytes | None
    timeout: float
    deadline: float
    redirects: int = 0
    unverified: VerificationFailure | None = None  # why the current hop's certificate was not verified


def http_request(
    policy: Policy, request: HttpRequest, settings: NetworkSettings, *, deadline: float | None = None
) -> HttpResponse:
    """Performs the request within the call's `deadline`, following redirects hop by hop within the grants."""
    timeout = effective_timeout(request.timeout_ms, DEFAULT_TIMEOUT, request.context, deadline=deadline)
    exchange = _Exchange(
        url=request.url,
        method=(request.method or "GET").upper(),
        body=request.body or None,
        timeout=timeout,
        deadline=time.monotonic() + timeout,
    )
    follow = True if request.follow_redirects is None else request.follow_redirects
    wanted = DEFAULT_MAX_REDIRECTS if request.max_redirects is None else request.max_redirects
    max_redirects = min(wanted, settings.max_redirects)
    tls_context = settings.tls_context()
    started = time.monotonic()
    while True:
        sent = _send(policy, request, exchange, tls_context)
        if isinstance(sent, HttpResponse):
            return sent
        response, pool, host = sent
        location = response.headers.get("Location")
        if follow and response.status in _REDIRECTS and location:
            response.drain_conn()
            response.release_conn()
            pool.close()
            if exchange.redirects >= max_redirects:
                return _failed("TOO_MANY_REDIRECTS", f"{request.url}: more than {max_redirects} redirects")
            _redirect(exchange, response.status, location)
            continue
        return _answer(response, pool, host, exchange, settings.max_http_body, started)


def _redirect(exchange: _Exchange, status: int, location: str) -> None:
    """Points the exchange at the next hop (303, and 301/302 after a POST, continue as GET)."""
    exchange.redirects += 1
    exchange.url = urljoin(exchange.url, location)
    if status == 303 or (status in (301, 302) and exchange.method == "POST"):
        exchange.method, exchange.body = "GET", None


def _send(
    policy: Policy, request: HttpRequest, exchange: _Exchange, tls_context: ssl.SSLContext
) -> tuple[urllib3.BaseHTTPResponse, urllib3.HTTPConnectionPool, str] | HttpResponse:
    """Sends one hop to its checked address: the response (body unread), its pool and host; or an error."""
    url = exchange.url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _failed("INVALID_REQUEST", f"{url!r} is not an absolute http:// or https:// URL", kind="validation")
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return _failed("INVALID_REQUEST", f"{url!r} has an invalid port", kind="validation")
    remaining = exchange.deadline - time.monotonic()
    if remaining <= 0:
        return _failed("TIMEOUT", f"no response within {exchange.timeout:g} s", kind="timeout", timeout=True)
    try:
        destination = resolve_allowed(policy, parts.hostname, port, remaining)
    except NetworkRefusal as refusal:
        return HttpResponse(error=refusal.detail)
    address = str(destination.addresses[0])
    exchange.unverified = None
    pool = _pool(parts.scheme, address, port, parts.hostname, remaining, tls_context)
    sent = _urlopen(pool, request, exchange)
    failure = _verification_failure(sent)
    if failure is not None and request.insecure_skip_verify:
        # The same checked address again (never a second resolution), within what is left of the budget.
        exchange.unverified = failure
        remaining = max(exchange.deadline - time.monotonic(), 0.001)
        pool = _pool(parts.scheme, address, port, parts.hostname, remaining, inspection_context())
        sent = _urlopen(pool, request, exchange)
    if isinstance(sent, HTTPError | OSError):
        pool.close()
        return _request_failure(sent, url, exchange.timeout)
    return sent, pool, parts.hostname


def _urlopen(
    pool: urllib3.HTTPConnectionPool, request: HttpRequest, exchange: _Exchange
) -> urllib3.BaseHTTPResponse | HTTPError | OSError:
    """Sends the exchange's current hop over `pool`: the response (body unread), or what went wrong."""
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = _headers(request, parts.hostname or "", pool.port or 0, parts.scheme)
    try:
        return pool.urlopen(
            exchange.method,
            target,
            body=exchange.body,
            headers=headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
    except (HTTPError, OSError) as exc:
        return exc


def _verification_failure(sent: object) -> VerificationFailure | None:
    """Why the certificate was refused, when `sent` is a handshake that failed verification."""
    if isinstance(sent, SSLError) and sent.args and isinstance(sent.args[0], ssl.SSLCertVerificationError):
        return VerificationFailure.from_exception(sent.args[0])
    return None


class _InspectionPool(urllib3.HTTPSConnectionPool):
    """A pool whose handshake is deliberately unverified (insecure_skip_verify, after verification failed).

    urllib3 warns (InsecureRequestWarning) before every unverified request; here the plugin asked for
    it and the response reports the outcome, so the warning would only be noise in the host's output.
    """

    def _validate_conn(self, conn: urllib3.connection.HTTPConnection) -> None:  # type: ignore[override]
        if conn.is_closed:
            conn.connect()


def _pool(
    scheme: str, address: str, port: int, hostname: str, timeout: float, tls_context: ssl.SSLContext
) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to the checked address; TLS verifies (and SNI names) the URL's host.

    OpenSSL checks the host name (the context's check_hostname); urllib3's own check is not asked for,
    so a wrong name fails like every other certificate problem, with OpenSSL's reason.
    """
    timeouts = urllib3.Timeout(connect=timeout, read=timeout)
    if scheme == "https":
        kind = _InspectionPool if tls_context.verify_mode == ssl.CERT_NONE else urllib3.HTTPSConnectionPool
        return kind(
            address,
            port=port,
            timeout=timeouts,
            retries=False,
            maxsize=1,
            ssl_context=tls_context,
            server_hostname=hostname,
        )
    return urllib3.HTTPConnectionPool(address, port=port, timeout=timeouts, retries=False, maxsize=1)


def _headers(request: HttpRequest, hostname: str, port: int, scheme: str) -> urllib3.HTTPHeaderDict:
    """The request's headers (every value of every name) and a Host header naming the URL's host."""
    headers = urllib3.HTTPHeaderDict()
    for header in request.headers:
        for value in header.values:
            headers.add(header.name, value)
    host_header = hostname if ":" not in hostname else f"[{hostname}]"
    headers["Host"] = host_header if port == _DEFAULT_PORTS[scheme] else f"{host_header}:{port}"
    return headers


def _request_failure(exc: HTTPError | OSError, url: str, timeout: float) -> HttpResponse:
    """The error answer for a request that got no response."""
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: a refused connection is not a timeout.
    if isinstance(exc, NewConnectionError):
        refused = isinstance(exc.__cause__, ConnectionRefusedError) or "refused" in str(exc).lower()
        return _failed("CONNECTION_REFUSED" if refused else "REQUEST_FAILED", f"{url}: {exc}")
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return _failed("TIMEOUT", f"{url}: no response within {timeout:g} s", kind="timeout", timeout=True)
    if isinstance(exc, SSLError):
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], ssl.SSLError) else None
        return _failed("TLS_ERROR", f"{url}: {tls_error_message(cause)}" if cause else f"{url}: TLS failed: {exc}")
    return _failed("REQUEST_FAILED", f"{url}: {exc}")


def _answer(
    response: urllib3.BaseHTTPResponse,
    pool: urllib3.HTTPConnectionPool,
    hostname: str,
    exchange: _Exchange,
    max_body: int,
    started: float,
) -> HttpResponse:
    """The final response: status, headers, the capped body, protocol, timing and TLS details."""
    tls: TlsInfo | None = None
    sock = getattr(response.connection, "sock", None)
    if isinstance(sock, ssl.SSLSocket):
        tls = session_info(sock, hostname, exchange.unverified)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    url = exchange.url
    try:
        content, truncated = _read_capped(response, max_body, exchange.deadline)
    except ReadTimeoutError:
        return _failed(
            "TIMEOUT", f"{url}: the body did not arrive within {exchange.timeout:g} s", kind="timeout", timeout=True
        )
    except (ProtocolError, HTTPError, OSError) as exc:
        return _failed("READ_BODY_FAILED", f"{url}: reading the body failed: {exc}")
    finally:
        response.release_conn()
        pool.close()
    names: dict[str, str] = {}
    for name in response.headers:
        names.setdefault(name.lower(), name)
    return HttpResponse(
        status_code=response.status,
        headers=[HttpHeader(name=name, values=response.headers.getlist(name)) for name in names.values()],
        body=content,
        body_truncated=truncated,
        protocol=getattr(response, "version_string", "") or f"HTTP/{response.version // 10}.{response.version % 10}",
        response_time_ms=elapsed_ms,
        final_url=url,
        redirect_count=exchange.redirects,
        tls=tls,
    )


def _read_capped(response: urllib3.BaseHTTPResponse, limit: int, deadline: float) -> tuple[bytes, bool]:
    """At most `limit` bytes of the body, and whether there was more (the rest is not read)."""
    content = bytearray()
    for chunk in response.stream(1 << 16):
        content += chunk
        if len(content) > limit:
            return bytes(content[:limit]), True
        if time.monotonic() > deadline:
            raise ReadTimeoutError(None, "", "the body did not arrive in time")  # type: ignore[arg-type]
    return bytes(content), False
