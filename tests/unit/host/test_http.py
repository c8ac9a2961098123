"""host.net.http (HttpRequest) natively: bad input, denials, and how a failed connection is reported."""

from __future__ import annotations

from reglet_abi.reglet.v1 import HttpRequest
from reglet_sdk.testing.servers import closed_port
from tests.unit.host.support import handlers


def test_bad_urls_are_refused() -> None:
    h = handlers("network:*:*")
    for url in ("ftp://example.test/", "not a url", "http://example.test:99999/"):
        response = h.http_request(HttpRequest(url=url))
        assert response.error is not None and response.error.code == "INVALID_REQUEST", url


def test_an_ungranted_host_is_denied_with_an_ipv6_rule_in_brackets() -> None:
    response = handlers("network:example.test:443").http_request(HttpRequest(url="http://[::1]:8080/"))
    assert response.error is not None and (response.error.type, response.error.code) == (
        "capability",
        "network:[::1]:8080",
    )


def test_a_refused_connection_is_connection_refused_not_a_timeout() -> None:
    # urllib3 2's NewConnectionError subclasses ConnectTimeoutError; it once came back as TIMEOUT.
    port = closed_port()
    response = handlers(f"network:127.0.0.1:{port}").http_request(
        HttpRequest(url=f"http://127.0.0.1:{port}/", timeout_ms=5000)
    )
    assert response.error is not None
    assert (response.error.code, response.error.is_timeout) == ("CONNECTION_REFUSED", False)
