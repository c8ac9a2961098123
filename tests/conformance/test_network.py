"""Network host functions on built components (the examples) against real local servers."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from reglet_sdk.host import Host, HostConfig
from reglet_sdk.jsonvalue import JSON
from reglet_sdk.testing.servers import (
    LARGE_BODY,
    LOCALHOST,
    LocalCA,
    closed_port,
    dns_server,
    http_server,
    smtp_server,
    tcp_listener,
)
from tests.conftest import COMPILE_CACHE

pytestmark = pytest.mark.component


# Result data is JSON; these narrow one value to the shape a test expects (and fail when it is not).
def text(value: JSON) -> str:
    assert isinstance(value, str), value
    return value


def integer(value: JSON) -> int:
    assert isinstance(value, int) and not isinstance(value, bool), value
    return value


def array(value: JSON) -> list[JSON]:
    assert isinstance(value, list), value
    return value


def obj(value: JSON) -> dict[str, JSON]:
    assert isinstance(value, dict), value
    return value


# --- DNS --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record_type", "name", "records"),
    [
        ("A", "example.test", ["192.0.2.10", "192.0.2.11"]),
        ("AAAA", "example.test", ["2001:db8::10"]),
        ("CNAME", "www.example.test", ["example.test"]),
        ("MX", "example.test", ["backup.example.test", "mail.example.test"]),
        ("TXT", "example.test", ["part one part two", "v=spf1 -all"]),
        ("NS", "example.test", ["ns1.example.test", "ns2.example.test"]),
    ],
)
def test_each_record_type(host: Host, dns_wasm: Path, record_type: str, name: str, records: list[str]) -> None:
    with dns_server() as server:
        plugin = host.load(dns_wasm, grants=[f"network:{name}:53", f"network:{LOCALHOST}:{server.port}"])
        result = plugin.check({"hostname": name, "record_type": record_type, "nameserver": server.nameserver})
    assert result.status == "success", result.error
    assert sorted(text(r) for r in array(result.data["records"])) == records and result.data["record_count"] == len(
        records
    )
    assert {
        "hostname",
        "record_type",
        "query_time_ms",
        "records",
        "mx_records",
        "record_count",
        "is_timeout",
        "is_not_found",
    } <= set(result.data)
    if record_type == "MX":
        assert sorted((obj(m) for m in array(result.data["mx_records"])), key=lambda m: integer(m["pref"])) == [
            {"host": "mail.example.test", "pref": 10},
            {"host": "backup.example.test", "pref": 20},
        ]


def test_nxdomain_is_not_found_and_silence_is_a_timeout(host: Host, dns_wasm: Path) -> None:
    with dns_server() as server:
        plugin = host.load(dns_wasm, grants=["network:*.example.test:53", f"network:{LOCALHOST}:{server.port}"])
        missing = plugin.check({"hostname": "nope.example.test", "nameserver": server.nameserver})
        started = time.monotonic()
        silent = plugin.check({"hostname": "silent.example.test", "nameserver": server.nameserver, "timeout_ms": 1000})
        elapsed = time.monotonic() - started
    assert missing.status == "failure" and missing.data["is_not_found"] is True
    assert silent.status == "failure" and silent.data["is_timeout"] is True
    assert elapsed < 1.0 + 1.0


def test_dns_needs_the_name_and_the_nameserver_granted(host: Host, dns_wasm: Path) -> None:
    with dns_server() as server:
        no_name = host.load(dns_wasm, grants=[f"network:{LOCALHOST}:{server.port}"]).check(
            {"hostname": "example.test", "nameserver": server.nameserver}
        )
        no_server = host.load(dns_wasm, grants=["network:example.test:53"]).check(
            {"hostname": "example.test", "nameserver": server.nameserver}
        )
        wildcard = host.load(dns_wasm, grants=["network:example.test:53", "network:*:*"]).check(
            {"hostname": "example.test", "nameserver": server.nameserver}
        )
        seen = server.counter.connections
    assert no_name.error is not None and (no_name.error.type, no_name.error.code) == (
        "capability",
        "network:example.test:53",
    )
    assert no_server.error is not None and no_server.error.code == f"network:{LOCALHOST}:{server.port}"
    assert wildcard.error is not None and wildcard.error.code == "SSRF_BLOCKED"  # a * host does not name loopback
    assert seen == 0


# --- HTTP -------------------------------------------------------------------------------------------


def test_http_get_with_headers_and_expectations(host: Host, http_wasm: Path) -> None:
    with http_server() as server:
        plugin = host.load(http_wasm, grants=[f"network:{LOCALHOST}:{server.port}"])
        ok = plugin.check({"url": server.url("/ok"), "expected_status": 200, "expected_body_contains": "hell"})
        wrong = plugin.check({"url": server.url("/ok"), "expected_status": 201})
    assert ok.status == "success", ok.error
    assert ok.data["status_code"] == 200 and ok.data["protocol"] == "HTTP/1.1"
    assert obj(ok.data["headers"])["X-Multi"] == ["a", "b"]
    assert ok.data["body_sha256"] == hashlib.sha256(b"hello").hexdigest() and ok.data["body_preview"] == "hello"
    assert wrong.status == "failure" and "status 200, expected 201" in wrong.message


def test_http_post_body_and_multi_valued_headers_reach_the_server(host: Host, http_wasm: Path) -> None:
    with http_server() as server:
        plugin = host.load(http_wasm, grants=[f"network:{LOCALHOST}:{server.port}"])
        result = plugin.check(
            {
                "url": server.url("/echo"),
                "method": "POST",
                "body": "payload",
                "headers": {"X-A": "1"},
                "body_preview_length": -1,
            }
        )
    echoed = __import__("json").loads(result.data["body"])
    assert echoed["method"] == "POST" and echoed["body"] == "payload" and ["X-A", "1"] in echoed["headers"]


def test_redirects_followed_capped_and_rechecked(host: Host, http_wasm: Path) -> None:
    with http_server() as server:
        plugin = host.load(http_wasm, grants=[f"network:{LOCALHOST}:{server.port}"])
        followed = plugin.check({"url": server.url("/redirect/3")})
        not_followed = plugin.check({"url": server.url("/redirect/3"), "follow_redirects": False})
        too_many = plugin.check({"url": server.url("/redirect/5"), "max_redirects": 2})
    assert followed.data["status_code"] == 200
    assert not_followed.data["status_code"] == 302
    assert too_many.error is not None and too_many.error.code == "TOO_MANY_REDIRECTS"


def test_redirect_from_an_allowed_server_to_a_private_address_is_refused(host: Host, http_wasm: Path) -> None:
    with http_server() as allowed, http_server() as private:
        plugin = host.load(http_wasm, grants=[f"network:{LOCALHOST}:{allowed.port}", f"network:*:{private.port}"])
        result = plugin.check({"url": allowed.url(f"/to?url={private.url('/ok')}")})
        assert private.counter.connections == 0
    assert result.error is not None and result.error.code == "SSRF_BLOCKED"


def test_fifty_mib_response_is_cut_at_ten(host: Host, http_wasm: Path) -> None:
    with http_server() as server:
        result = host.load(http_wasm, grants=[f"network:{LOCALHOST}:{server.port}"]).check(
            {"url": server.url("/large"), "body_preview_length": 0}
        )
    assert result.data["body_size"] == 10 << 20 and result.data["body_size"] < LARGE_BODY
    assert "body" not in result.data and "body_preview" not in result.data
    # Only the hash is sent: it must say the hashed body is not the whole body.
    assert result.data["body_truncated"] is True


def test_a_server_that_never_answers_times_out_within_a_second_of_the_timeout(host: Host, http_wasm: Path) -> None:
    with http_server() as server:
        plugin = host.load(http_wasm, grants=[f"network:{LOCALHOST}:{server.port}"])
        started = time.monotonic()
        result = plugin.check({"url": server.url("/silent"), "timeout_ms": 1500})
        elapsed = time.monotonic() - started
    assert result.error is not None and result.error.is_timeout and result.error.code == "TIMEOUT"
    assert elapsed < 1.5 + 1.0


def test_https_with_the_test_ca_reports_tls(host: Host, http_wasm: Path, ca: LocalCA) -> None:
    with http_server(ca.server_context()) as server:
        ok = host.load(http_wasm, grants=[f"network:localhost:{server.port}"]).check(
            {"url": server.url("/ok", "localhost")}
        )
    assert ok.status == "success", ok.error
    with http_server(ca.server_context()) as server, Host(HostConfig(cache_dir=COMPILE_CACHE)) as untrusting:
        refused = untrusting.load(http_wasm, grants=[f"network:localhost:{server.port}"]).check(
            {"url": server.url("/ok", "localhost")}
        )
    assert refused.error is not None and refused.error.code == "TLS_ERROR"


# --- TCP and TLS ------------------------------------------------------------------------------------


def test_tcp_plain_and_tls(host: Host, tcp_wasm: Path, ca: LocalCA) -> None:
    with tcp_listener() as plain, tcp_listener(ca.server_context()) as secure:
        plugin = host.load(tcp_wasm, grants=[f"network:{LOCALHOST}:{plain.port}", f"network:localhost:{secure.port}"])
        connected = plugin.check({"host": LOCALHOST, "port": plain.port})
        tls = plugin.check({"host": "localhost", "port": secure.port, "tls": True, "expected_tls_version": "TLSv1.3"})
    assert connected.status == "success" and connected.data["connected"] is True
    assert connected.data["remote_addr"] == f"{LOCALHOST}:{plain.port}"
    assert tls.status == "success", tls.error
    assert tls.data["tls_version"] == "TLSv1.3" and tls.data["tls_server_name"] == "localhost"
    assert "O=trustme" in text(tls.data["tls_cert_issuer"]) and integer(tls.data["tls_cert_days_remaining"]) > 300
    assert {"tls_cipher_suite", "tls_cert_subject", "tls_cert_not_after", "local_addr", "response_time_ms"} <= set(
        tls.data
    )


def test_tcp_refused_and_denied(host: Host, tcp_wasm: Path) -> None:
    port = closed_port()
    refused = host.load(tcp_wasm, grants=[f"network:{LOCALHOST}:{port}"]).check({"host": LOCALHOST, "port": port})
    assert refused.status == "failure" and refused.data["error"] == "CONNECTION_REFUSED"
    with tcp_listener() as listener:
        denied = host.load(tcp_wasm).check({"host": LOCALHOST, "port": listener.port})
        assert listener.counter.connections == 0
    assert denied.error is not None and denied.error.type == "capability"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "169.254.169.254",
        "224.0.0.1",
        "0.0.0.0",
        "255.255.255.255",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
    ],
)
def test_every_blocked_class_is_refused_without_an_explicit_rule(host: Host, tcp_wasm: Path, address: str) -> None:
    result = host.load(tcp_wasm, grants=["network:*:*"]).check({"host": address, "port": 9, "timeout_ms": 500})
    assert result.error is not None and result.error.code == "SSRF_BLOCKED", result


def test_a_name_resolving_to_loopback_is_refused_unless_granted_by_name(host: Host, tcp_wasm: Path) -> None:
    with tcp_listener() as listener:
        refused = host.load(tcp_wasm, grants=["network:*:*"]).check({"host": "localhost", "port": listener.port})
        assert listener.counter.connections == 0
        allowed = host.load(tcp_wasm, grants=[f"network:localhost:{listener.port}"]).check(
            {"host": "localhost", "port": listener.port}
        )
    assert refused.error is not None and refused.error.code == "SSRF_BLOCKED"
    assert allowed.status == "success"


def test_a_silent_tls_server_times_out(host: Host, tcp_wasm: Path) -> None:
    with tcp_listener(accept=False) as silent:
        started = time.monotonic()
        result = host.load(tcp_wasm, grants=[f"network:{LOCALHOST}:{silent.port}"]).check(
            {"host": LOCALHOST, "port": silent.port, "tls": True, "timeout_ms": 1000}
        )
        elapsed = time.monotonic() - started
    assert result.status == "failure" and result.data["error"] == "TIMEOUT"
    assert elapsed < 1.0 + 1.0


def test_tls_check_example_fails_for_a_certificate_expiring_in_ten_days(
    host: Host, tls_check_wasm: Path, ca: LocalCA
) -> None:
    with tcp_listener(ca.server_context(ca.expiring_leaf(10))) as expiring, tcp_listener(ca.server_context()) as fresh:
        plugin = host.load(
            tls_check_wasm, grants=[f"network:localhost:{expiring.port}", f"network:localhost:{fresh.port}"]
        )
        soon = plugin.check({"target_host": "localhost", "target_port": expiring.port, "min_days": 30})
        fine = plugin.check({"target_host": "localhost", "target_port": fresh.port, "min_days": 30})
    assert soon.status == "failure" and soon.data["compliant"] is False and soon.data["days_remaining"] in (9, 10)
    assert {"target", "not_after", "days_remaining", "issuer", "compliant"} <= set(soon.data)
    assert fine.status == "success" and fine.data["compliant"] is True


# --- SMTP -------------------------------------------------------------------------------------------


def test_smtp_plain_starttls_and_implicit_tls(host: Host, smtp_wasm: Path, ca: LocalCA) -> None:
    with (
        smtp_server() as plain,
        smtp_server(starttls=ca.server_context()) as starttls,
        smtp_server(implicit_tls=ca.server_context()) as implicit,
    ):
        plugin = host.load(
            smtp_wasm, grants=[f"network:localhost:{p}" for p in (plain.port, starttls.port, implicit.port)]
        )
        greeted = plugin.check({"host": "localhost", "port": plain.port})
        upgraded = plugin.check({"host": "localhost", "port": starttls.port, "starttls": True})
        wrapped = plugin.check({"host": "localhost", "port": implicit.port, "tls": True})
        no_starttls = plugin.check({"host": "localhost", "port": plain.port, "starttls": True})
    assert (
        greeted.status == "success"
        and text(greeted.data["banner"]).startswith("220 ")
        and "tls_version" not in greeted.data
    )
    assert upgraded.status == "success" and text(upgraded.data["tls_version"]).startswith("TLSv1.")
    assert wrapped.status == "success" and wrapped.data["tls_server_name"] == "localhost"
    assert no_starttls.status == "failure" and no_starttls.data["error"] == "STARTTLS_FAILED"


def test_smtp_denied_sends_nothing(host: Host, smtp_wasm: Path) -> None:
    with smtp_server() as server:
        result = host.load(smtp_wasm).check({"host": "localhost", "port": server.port})
        assert server.counter.connections == 0
    assert result.error is not None and result.error.type == "capability"


def test_http_without_a_grant_sends_nothing(host: Host, http_wasm: Path) -> None:
    with http_server() as server:
        result = host.load(http_wasm, grants=["network:example.com:443"]).check({"url": server.url("/ok")})
        assert server.counter.connections == 0
    assert result.error is not None and (result.error.type, result.error.code) == (
        "capability",
        f"network:{LOCALHOST}:{server.port}",
    )
