"""Certificates that fail verification, on built components: examples/tls_check reports them as findings.

The servers present certificates from the test CA (expired, issued for another name), from a CA the
host does not trust, and a self-signed one; the host trusts only the test CA.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from reglet_sdk.host import Host
from reglet_sdk.testing.servers import LocalCA, tcp_listener

pytestmark = pytest.mark.component


def leaves(ca: LocalCA) -> dict[str, trustme.LeafCert]:
    """The bad certificates by the verification_code they earn."""
    return {
        "EXPIRED": ca.expired_leaf(5),
        "NAME_MISMATCH": ca.wrong_host_leaf(),
        "UNTRUSTED": ca.unknown_ca_leaf(),
        "SELF_SIGNED": ca.self_signed_leaf(),
    }


@pytest.mark.parametrize("kind", ["EXPIRED", "NAME_MISMATCH", "UNTRUSTED", "SELF_SIGNED"])
def test_tls_check_reports_a_bad_certificate_as_a_failure_with_data(
    host: Host, tls_check_wasm: Path, ca: LocalCA, kind: str
) -> None:
    with tcp_listener(ca.server_context(leaves(ca)[kind])) as server:
        plugin = host.load(tls_check_wasm, grants=[f"network:localhost:{server.port}"])
        result = plugin.check({"target_host": "localhost", "target_port": server.port, "min_days": 30})
        # The verifying handshake, then one more to read the certificate: never more.
        assert server.counter.connections == 2
    assert result.status == "failure", result.error
    data = result.data
    assert data["compliant"] is False and data["verified"] is False
    assert data["verification_code"] == ("UNTRUSTED" if kind == "SELF_SIGNED" else kind)
    assert isinstance(data["verification_error"], str) and data["verification_error"] in result.message
    assert {"target", "not_after", "days_remaining", "issuer"} <= set(data)
    days = data["days_remaining"]
    assert isinstance(days, int)
    if kind == "EXPIRED":
        assert days in (-6, -5) and data["verification_error"] == "certificate has expired"
        assert "expired on" in result.message
    else:
        assert days > 300


def test_tls_check_passes_a_valid_certificate_and_fails_one_expiring_soon(
    host: Host, tls_check_wasm: Path, ca: LocalCA
) -> None:
    with tcp_listener(ca.server_context()) as fresh, tcp_listener(ca.server_context(ca.expiring_leaf(10))) as soon:
        plugin = host.load(tls_check_wasm, grants=[f"network:localhost:{fresh.port}", f"network:localhost:{soon.port}"])
        fine = plugin.check({"target_host": "localhost", "target_port": fresh.port})
        expiring = plugin.check({"target_host": "localhost", "target_port": soon.port})
        assert fresh.counter.connections == 1  # a good certificate costs one handshake
    assert fine.status == "success" and fine.data["compliant"] is True and fine.data["verified"] is True
    assert fine.data["verification_error"] == "" and fine.data["verification_code"] == ""
    assert expiring.status == "failure" and expiring.data["verified"] is True
    assert expiring.data["compliant"] is False and expiring.data["days_remaining"] in (9, 10)


def test_tls_check_still_needs_the_grant(host: Host, tls_check_wasm: Path, ca: LocalCA) -> None:
    with tcp_listener(ca.server_context(ca.expired_leaf())) as server:
        plugin = host.load(
            tls_check_wasm, grants=[f"network:localhost:{server.port + 1 if server.port < 65535 else 1}"]
        )
        result = plugin.check({"target_host": "localhost", "target_port": server.port})
        assert server.counter.connections == 0
    assert result.status == "error" and result.error is not None
    assert result.error.type == "capability" and result.error.code == f"network:localhost:{server.port}"


def test_the_tcp_example_without_the_option_is_refused_with_the_reason(host: Host, tcp_wasm: Path, ca: LocalCA) -> None:
    with tcp_listener(ca.server_context(ca.expired_leaf())) as server:
        plugin = host.load(tcp_wasm, grants=[f"network:localhost:{server.port}"])
        result = plugin.check({"host": "localhost", "port": server.port, "tls": True})
    assert result.status == "failure" and result.data["error"] == "TLS_ERROR"
    assert "certificate has expired" in result.message
