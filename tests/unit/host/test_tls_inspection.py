"""insecure_skip_verify on TcpConnect and HttpRequest natively, against local servers with bad certificates.

The Python host verifies first and reconnects unverified only when verification fails; the servers
count connections, which proves a good certificate costs one handshake, a bad one two, and a denied
or blocked request none. The host trusts only the test CA.
"""

from __future__ import annotations

import datetime
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from reglet_abi.reglet.v1 import HttpRequest, TcpRequest, TlsInfo
from reglet_sdk.host import NetworkSettings
from reglet_sdk.host.handlers import CallHandlers
from reglet_sdk.host.policy import as_policy
from reglet_sdk.testing.servers import LOCALHOST, SERVER_TIMEOUT, LocalCA, http_server, make_ca, tcp_listener


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


def handlers(ca: LocalCA, *grants: str) -> CallHandlers:
    """The handlers of one call granted exactly `grants`, trusting the test CA."""
    return CallHandlers("t", "r1", lambda record: None, as_policy(grants), network=NetworkSettings(ca_bundle=ca.bundle))


def unverified(tls: TlsInfo | None, code: str) -> TlsInfo:
    assert tls is not None and tls.verified is False and tls.verification_code == code, tls
    assert tls.peer_certificate is not None and tls.verification_error
    return tls


def test_an_expired_certificate_is_refused_by_default_and_read_with_the_option(ca: LocalCA) -> None:
    with tcp_listener(ca.server_context(ca.expired_leaf(5))) as server:
        h = handlers(ca, f"network:localhost:{server.port}")
        refused = h.tcp_connect(TcpRequest(host="localhost", port=server.port, tls=True))
        assert server.counter.connections == 1
        inspected = h.tcp_connect(TcpRequest(host="localhost", port=server.port, tls=True, insecure_skip_verify=True))
        assert server.counter.connections == 3  # the verifying handshake, then the inspecting one
    assert refused.error is not None and refused.error.code == "TLS_ERROR" and refused.tls is None
    assert "certificate has expired" in refused.error.message and "verify=False" in refused.error.message
    assert inspected.error is None and inspected.connected
    tls = unverified(inspected.tls, "EXPIRED")
    assert tls.verification_error == "certificate has expired" and tls.server_name == "localhost"
    assert tls.peer_certificate is not None and tls.peer_certificate.not_after is not None
    assert tls.peer_certificate.not_after < datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=4)
    assert inspected.remote_addr == f"{LOCALHOST}:{server.port}"


@pytest.mark.parametrize(
    ("kind", "host", "code", "reason"),
    [
        ("wrong_host", "localhost", "NAME_MISMATCH", "Hostname mismatch, certificate is not valid for 'localhost'."),
        ("wrong_host", LOCALHOST, "NAME_MISMATCH", "IP address mismatch, certificate is not valid for '127.0.0.1'."),
        ("unknown_ca", "localhost", "UNTRUSTED", "unable to get local issuer certificate"),
        ("self_signed", "localhost", "UNTRUSTED", "self-signed certificate"),
    ],
)
def test_each_kind_of_bad_certificate_has_its_code(ca: LocalCA, kind: str, host: str, code: str, reason: str) -> None:
    leaf = {"wrong_host": ca.wrong_host_leaf, "unknown_ca": ca.unknown_ca_leaf, "self_signed": ca.self_signed_leaf}
    with tcp_listener(ca.server_context(leaf[kind]())) as server:
        response = handlers(ca, f"network:{host}:{server.port}").tcp_connect(
            TcpRequest(host=host, port=server.port, tls=True, insecure_skip_verify=True)
        )
    assert response.error is None
    assert unverified(response.tls, code).verification_error.replace("self signed", "self-signed") == reason


def test_a_good_certificate_costs_one_handshake_with_or_without_the_option(ca: LocalCA) -> None:
    with tcp_listener(ca.server_context()) as server:
        h = handlers(ca, f"network:localhost:{server.port}")
        plain = h.tcp_connect(TcpRequest(host="localhost", port=server.port, tls=True))
        option = h.tcp_connect(TcpRequest(host="localhost", port=server.port, tls=True, insecure_skip_verify=True))
        assert server.counter.connections == 2
    for response in (plain, option):
        assert response.tls is not None and response.tls.verified is True
        assert (response.tls.verification_error, response.tls.verification_code) == ("", "")


def test_the_option_bypasses_neither_grants_nor_the_ssrf_filter(ca: LocalCA) -> None:
    with tcp_listener(ca.server_context(ca.expired_leaf())) as server:
        request = TcpRequest(host=LOCALHOST, port=server.port, tls=True, insecure_skip_verify=True)
        denied = handlers(ca, "network:localhost:1").tcp_connect(request)
        blocked = handlers(ca, f"network:*:{server.port}").tcp_connect(request)
        assert server.counter.connections == 0
    assert denied.error is not None and denied.error.type == "capability"
    assert blocked.error is not None and blocked.error.code == "SSRF_BLOCKED"


@contextmanager
def fails_then_silent(ca: LocalCA) -> Iterator[int]:
    """A listener whose first connection presents an expired certificate and whose next ones never answer."""
    server = socket.create_server((LOCALHOST, 0))
    server.settimeout(0.1)
    context = ca.server_context(ca.expired_leaf())
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set() and len(held) < 8:
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            if held:  # later connections: accepted, never answered (bounded by the block)
                held.append(conn)
                continue
            held.append(conn)
            try:
                conn.settimeout(SERVER_TIMEOUT)
                context.wrap_socket(conn, server_side=True).recv(1)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def test_the_inspecting_connection_shares_the_request_timeout(ca: LocalCA) -> None:
    with fails_then_silent(ca) as port:
        started = time.monotonic()
        response = handlers(ca, f"network:localhost:{port}").tcp_connect(
            TcpRequest(host="localhost", port=port, tls=True, insecure_skip_verify=True, timeout_ms=1000)
        )
        elapsed = time.monotonic() - started
    assert response.error is not None and response.error.code == "TIMEOUT" and not response.connected
    assert elapsed < 1.0 + 2.0


def test_https_with_the_option_answers_and_reports_the_certificate(ca: LocalCA) -> None:
    with http_server(ca.server_context(ca.expired_leaf())) as server:
        h = handlers(ca, f"network:localhost:{server.port}")
        url = server.url("/ok", "localhost")
        refused = h.http_request(HttpRequest(url=url))
        answered = h.http_request(HttpRequest(url=url, insecure_skip_verify=True))
        assert server.counter.connections == 1  # only the unverified handshake completed a request
    assert refused.error is not None and refused.error.code == "TLS_ERROR"
    assert "certificate has expired" in refused.error.message
    assert answered.error is None and answered.status_code == 200 and answered.body == b"hello"
    assert unverified(answered.tls, "EXPIRED").server_name == "localhost"


def test_https_name_mismatch_is_checked_by_openssl_like_every_other_problem(ca: LocalCA) -> None:
    with http_server(ca.server_context(ca.wrong_host_leaf())) as server:
        h = handlers(ca, f"network:localhost:{server.port}")
        refused = h.http_request(HttpRequest(url=server.url("/ok", "localhost")))
        answered = h.http_request(HttpRequest(url=server.url("/ok", "localhost"), insecure_skip_verify=True))
    assert refused.error is not None and "Hostname mismatch" in refused.error.message
    assert unverified(answered.tls, "NAME_MISMATCH").verification_error.startswith("Hostname mismatch")


def test_https_good_certificate_with_the_option_is_verified(ca: LocalCA) -> None:
    with http_server(ca.server_context()) as server:
        response = handlers(ca, f"network:localhost:{server.port}").http_request(
            HttpRequest(url=server.url("/ok", "localhost"), insecure_skip_verify=True)
        )
    assert response.status_code == 200 and response.tls is not None and response.tls.verified is True
