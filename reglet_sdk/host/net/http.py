"""HttpRequest with urllib3: every hop granted, resolved once, SSRF-checked and pinned; body capped.

Redirects are followed here, not by urllib3, so each hop goes through the same checks (a redirect
from an allowed server to a private address is refused). The connection goes to the checked address
while TLS verifies (and SNI names) the URL's host.
"""

from __future__ import annotations

import ssl
import time
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

from reglet_abi.reglet.v1 import ErrorDetail, HttpHeader, HttpRequest, HttpResponse, TlsInfo
from reglet_sdk.host.deadlines import effective_timeout
from reglet_sdk.host.net.guard import NetworkRefusal, resolve_allowed
from reglet_sdk.host.net.tls import session_info
from reglet_sdk.host.policy import Policy

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_MAX_BODY = 10 << 20
_REDIRECTS = {301, 302, 303, 307, 308}


def _failed(code: str, message: str, *, kind: str = "network", timeout: bool = False) -> HttpResponse:
    return HttpResponse(error=ErrorDetail(type=kind, code=code, message=message, is_timeout=timeout))


def http_request(
    policy: Policy,
    request: HttpRequest,
    tls_context: ssl.SSLContext,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    max_redirects_cap: int = DEFAULT_MAX_REDIRECTS,
) -> HttpResponse:
    """Performs the request, following redirects hop by hop within the grants."""
    timeout = effective_timeout(request.timeout_ms, DEFAULT_TIMEOUT, request.context)
    deadline = time.monotonic() + timeout
    method = (request.method or "GET").upper()
    body: bytes | None = request.body or None
    follow = True if request.follow_redirects is None else request.follow_redirects
    max_redirects = min(
        DEFAULT_MAX_REDIRECTS if request.max_redirects is None else request.max_redirects, max_redirects_cap
    )
    url = request.url
    started = time.monotonic()
    redirects = 0
    while True:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return _failed("INVALID_REQUEST", f"{url!r} is not an absolute http:// or https:// URL", kind="validation")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return _failed("INVALID_REQUEST", f"{url!r} has an invalid port", kind="validation")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _failed("TIMEOUT", f"no response within {timeout:g} s", kind="timeout", timeout=True)
        try:
            destination = resolve_allowed(policy, parts.hostname, port, remaining)
        except NetworkRefusal as refusal:
            return HttpResponse(error=refusal.detail)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        headers = urllib3.HTTPHeaderDict()
        for header in request.headers:
            for value in header.values:
                headers.add(header.name, value)
        default_port = 443 if parts.scheme == "https" else 80
        host_header = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        headers["Host"] = host_header if port == default_port else f"{host_header}:{port}"
        timeouts = urllib3.Timeout(connect=remaining, read=remaining)
        address = str(destination.addresses[0])
        pool: urllib3.HTTPConnectionPool
        if parts.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                port=port,
                timeout=timeouts,
                retries=False,
                maxsize=1,
                ssl_context=tls_context,
                server_hostname=parts.hostname,
                assert_hostname=parts.hostname,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port=port, timeout=timeouts, retries=False, maxsize=1)
        try:
            response = pool.urlopen(
                method,
                target,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except (ConnectTimeoutError, ReadTimeoutError):
            return _failed("TIMEOUT", f"{url}: no response within {timeout:g} s", kind="timeout", timeout=True)
        except SSLError as exc:
            return _failed("TLS_ERROR", f"{url}: the TLS handshake failed: {exc}")
        except NewConnectionError as exc:
            code = (
                "CONNECTION_REFUSED"
                if isinstance(exc.__cause__, ConnectionRefusedError) or "refused" in str(exc).lower()
                else "REQUEST_FAILED"
            )
            return _failed(code, f"{url}: {exc}")
        except (ProtocolError, HTTPError, OSError) as exc:
            return _failed("REQUEST_FAILED", f"{url}: {exc}")
        location = response.headers.get("Location")
        if follow and response.status in _REDIRECTS and location:
            response.drain_conn()
            response.release_conn()
            pool.close()
            if redirects >= max_redirects:
                return _failed("TOO_MANY_REDIRECTS", f"{request.url}: more than {max_redirects} redirects")
            redirects += 1
            url = urljoin(url, location)
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = "GET", None
            continue
        tls: TlsInfo | None = None
        sock = getattr(response.connection, "sock", None)
        if isinstance(sock, ssl.SSLSocket):
            tls = session_info(sock, parts.hostname)
        elapsed_ms = int((time.monotonic() - started) * 1000)
        try:
            content, truncated = _read_capped(response, max_body, deadline)
        except ReadTimeoutError:
            return _failed(
                "TIMEOUT", f"{url}: the body did not arrive within {timeout:g} s", kind="timeout", timeout=True
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
            protocol=getattr(response, "version_string", "")
            or f"HTTP/{response.version // 10}.{response.version % 10}",
            response_time_ms=elapsed_ms,
            final_url=url,
            redirect_count=redirects,
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
