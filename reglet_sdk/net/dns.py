"""DNS lookups through the host: `resolve(name, "MX")` and one helper per record type.

`lookup_host` (A and AAAA), `lookup_mx`, `lookup_cname`, `lookup_txt`, `lookup_ns`.

Needs a network grant for the name on port 53 (and for a custom nameserver's address and port).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reglet_abi.reglet.v1 import DnsRecordType, DnsRequest, DnsResponse, guest
from reglet_sdk import context
from reglet_sdk.context import Context
from reglet_sdk.errors import NotFoundError, raise_for_error
from reglet_sdk.net._common import budget_ms, outgoing_context

Resolver = Callable[[DnsRequest], DnsResponse]
"""The port a lookup goes through: the host's DnsLookup, or a fake in unit tests."""

RECORD_TYPES = {name: getattr(DnsRecordType, name) for name in ("A", "AAAA", "CNAME", "MX", "TXT", "NS")}


@dataclass(frozen=True)
class MxRecord:
    """One mail exchanger."""

    host: str
    pref: int


@dataclass(frozen=True)
class Answer:
    """The answer to one query."""

    hostname: str
    record_type: str
    records: list[str]
    mx_records: list[MxRecord] = field(default_factory=list)
    query_time_ms: int = 0
    nameserver: str = ""


def resolve(
    hostname: str,
    record_type: str = "A",
    *,
    nameserver: str = "",
    timeout: float | None = None,
    resolver: Resolver | None = None,
    ctx: Context | None = None,
) -> Answer:
    """Records of one type (case-insensitive); raises NotFoundError for NXDOMAIN or no records."""
    kind = RECORD_TYPES.get(record_type.upper())
    if kind is None:
        raise ValueError(f"record type {record_type!r} is not one of {', '.join(RECORD_TYPES)}")
    request = DnsRequest(
        context=outgoing_context(ctx or context.current(), timeout),
        hostname=hostname,
        record_type=kind,
        nameserver=nameserver,
        timeout_ms=budget_ms(timeout),
    )
    response = (resolver or guest.host.dns_lookup)(request)
    raise_for_error(response.error)
    return Answer(
        hostname=hostname,
        record_type=record_type.upper(),
        records=list(response.records),
        mx_records=[MxRecord(m.host, m.pref) for m in response.mx_records],
        query_time_ms=response.query_time_ms,
        nameserver=response.nameserver,
    )


def lookup_host(
    hostname: str,
    *,
    nameserver: str = "",
    timeout: float | None = None,
    resolver: Resolver | None = None,
    ctx: Context | None = None,
) -> list[str]:
    """IPv4 and IPv6 addresses of a name (A then AAAA); NotFoundError when it has neither."""
    addresses: list[str] = []
    missing: NotFoundError | None = None
    for kind in ("A", "AAAA"):
        try:
            addresses += resolve(
                hostname, kind, nameserver=nameserver, timeout=timeout, resolver=resolver, ctx=ctx
            ).records
        except NotFoundError as exc:
            missing = missing or exc
    if not addresses and missing is not None:
        raise missing
    return addresses


def lookup_mx(
    hostname: str,
    *,
    nameserver: str = "",
    timeout: float | None = None,
    resolver: Resolver | None = None,
    ctx: Context | None = None,
) -> list[MxRecord]:
    """Mail exchangers, most preferred first."""
    answer = resolve(hostname, "MX", nameserver=nameserver, timeout=timeout, resolver=resolver, ctx=ctx)
    return sorted(answer.mx_records, key=lambda m: (m.pref, m.host))


def lookup_cname(
    hostname: str,
    *,
    nameserver: str = "",
    timeout: float | None = None,
    resolver: Resolver | None = None,
    ctx: Context | None = None,
) -> list[str]:
    """The canonical names (CNAME records) of a name; NotFoundError when it has none."""
    return resolve(hostname, "CNAME", nameserver=nameserver, timeout=timeout, resolver=resolver, ctx=ctx).records


def lookup_txt(
    hostname: str,
    *,
    nameserver: str = "",
    timeout: float | None = None,
    resolver: Resolver | None = None,
    ctx: Context | None = None,
) -> list[str]:
    """The TXT records of a name (SPF, DMARC, verification tokens, ...); NotFoundError when it has none."""
    return resolve(hostname, "TXT", nameserver=nameserver, timeout=timeout, resolver=resolver, ctx=ctx).records


def lookup_ns(
    hostname: str,
    *,
    nameserver: str = "",
    timeout: float | None = None,
    resolver: Resolver | None = None,
    ctx: Context | None = None,
) -> list[str]:
    """The name servers (NS records) of a zone; NotFoundError when it has none."""
    return resolve(hostname, "NS", nameserver=nameserver, timeout=timeout, resolver=resolver, ctx=ctx).records
