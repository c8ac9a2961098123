"""HTTP(S) through the host: `http.get(url)`, `http.request("POST", url, body=..., headers=...)`.

Needs a network grant for the URL's host and port (and for every redirect hop's). Bodies are bytes,
headers multi-valued; the host caps bodies at 10 MiB (`body_truncated`), verifies TLS 1.2+ and refuses
private addresses unless a rule names them. `verify=False` sends the request even when the certificate
fails verification, and `response.tls.verified` / `verification_error` say what was wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reglet_abi.reglet.v1 import HttpHeader, HttpRequest, HttpResponse, guest
from reglet_sdk import context
from reglet_sdk.context import Context
from reglet_sdk.errors import raise_for_error
from reglet_sdk.net._common import TlsDetails, budget_ms, outgoing_context

Client = Callable[[HttpRequest], HttpResponse]
"""The port a request goes through: the host's HttpRequest, or a fake in unit tests."""

HeaderInput = Mapping[str, str | Iterable[str]] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class Headers:
    """Response headers: case-insensitive, multi-valued, in order."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of `name`."""
        values = self.get_all(name)
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        """Every value of `name`, in order."""
        wanted = name.lower()
        return [value for key, value in self.items if key.lower() == wanted]

    def to_dict(self) -> dict[str, list[str]]:
        """{name: [values]} (names as the server sent them)."""
        out: dict[str, list[str]] = {}
        for key, value in self.items:
            out.setdefault(key, []).append(value)
        return out


@dataclass(frozen=True)
class Response:
    """The final response (after redirects)."""

    status_code: int
    headers: Headers
    body: bytes
    body_truncated: bool = False
    protocol: str = ""
    final_url: str = ""
    redirect_count: int = 0
    response_time_ms: int = 0
    tls: TlsDetails | None = None

    @property
    def ok(self) -> bool:
        """True for 2xx."""
        return 200 <= self.status_code < 300

    def text(self) -> str:
        """The body decoded with the Content-Type charset (UTF-8 by default)."""
        charset = "utf-8"
        for part in (self.headers.get("Content-Type") or "").split(";"):
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.body.decode(charset, "replace")
        except LookupError:
            return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def _headers(headers: HeaderInput | None) -> list[HttpHeader]:
    if headers is None:
        return []
    pairs: Iterable[tuple[str, Any]] = headers.items() if isinstance(headers, Mapping) else headers
    merged: dict[str, HttpHeader] = {}
    for name, value in pairs:
        values = [value] if isinstance(value, str) else list(value)
        header = merged.setdefault(name.lower(), HttpHeader(name=name, values=[]))
        header.values.extend(values)
    return list(merged.values())


def request(
    method: str,
    url: str,
    *,
    headers: HeaderInput | None = None,
    body: bytes | str | None = None,
    timeout: float | None = None,
    follow_redirects: bool = True,
    max_redirects: int = 10,
    verify: bool = True,
    client: Client | None = None,
    ctx: Context | None = None,
) -> Response:
    """Performs one request; raises CapabilityError, HostTimeoutError or NetworkError on failure.

    With `verify=False` a certificate that fails verification does not stop the request; the response's
    `tls.verified` is then False and `tls.verification_error` says why.
    """
    payload = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    message = HttpRequest(
        context=outgoing_context(ctx or context.current(), timeout),
        method=method.upper(),
        url=url,
        headers=_headers(headers),
        body=payload,
        timeout_ms=budget_ms(timeout),
        follow_redirects=follow_redirects,
        max_redirects=max_redirects,
        insecure_skip_verify=not verify,
    )
    response = (client or guest.host.http_request)(message)
    raise_for_error(response.error)
    return Response(
        status_code=response.status_code,
        headers=Headers([(h.name, v) for h in response.headers for v in h.values]),
        body=response.body,
        body_truncated=response.body_truncated,
        protocol=response.protocol,
        final_url=response.final_url,
        redirect_count=response.redirect_count,
        response_time_ms=response.response_time_ms,
        tls=TlsDetails.from_proto(response.tls),
    )


def get(url: str, **options: Any) -> Response:
    """A GET request (options as for `request`)."""
    return request("GET", url, **options)


def head(url: str, **options: Any) -> Response:
    """A HEAD request."""
    return request("HEAD", url, **options)


def post(url: str, body: bytes | str | None = None, **options: Any) -> Response:
    """A POST request with a body."""
    return request("POST", url, body=body, **options)
