"""host.net.dns (DnsLookup) natively: bad input and denials (answers against a real server: conformance)."""

from __future__ import annotations

from reglet_abi.reglet.v1 import DnsRecordType, DnsRequest
from tests.unit.host.support import handlers


def test_bad_input_is_refused() -> None:
    h = handlers("network:*:*", "network:example.test:53")
    unsupported = h.dns_lookup(DnsRequest(hostname="example.test", record_type=99))  # type: ignore[arg-type]  # not a DnsRecordType on purpose
    assert unsupported.error is not None and unsupported.error.code == "UNSUPPORTED_TYPE"
    empty = h.dns_lookup(DnsRequest(hostname=""))
    assert empty.error is not None and empty.error.code == "INVALID_REQUEST"
    unclosed = h.dns_lookup(DnsRequest(hostname="example.test", nameserver="[::1"))
    assert unclosed.error is not None and unclosed.error.code == "INVALID_REQUEST"


def test_an_ungranted_name_is_denied_naming_the_rule() -> None:
    response = handlers("network:other.test:53").dns_lookup(
        DnsRequest(hostname="example.test", record_type=DnsRecordType.A)
    )
    assert response.error is not None and (response.error.type, response.error.code) == (
        "capability",
        "network:example.test:53",
    )
