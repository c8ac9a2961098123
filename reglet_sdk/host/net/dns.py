"""DnsLookup with dnspython: A, AAAA, CNAME, MX, TXT, NS; a custom nameserver as host[:port]."""

from __future__ import annotations

import time

import dns.exception
import dns.resolver

from reglet_abi.reglet.v1 import DnsRecordType, DnsRequest, DnsResponse, ErrorDetail as ErrorDetailMessage, MxRecord
from reglet_sdk.host.deadlines import effective_timeout, seconds_left
from reglet_sdk.host.net.guard import NetworkRefusal, resolve_allowed
from reglet_sdk.host.policy import Policy, denial
from reglet_sdk.host.rules import Rule

DEFAULT_TIMEOUT = 5.0
TYPES = {
    DnsRecordType.UNSPECIFIED: "A",
    DnsRecordType.A: "A",
    DnsRecordType.AAAA: "AAAA",
    DnsRecordType.CNAME: "CNAME",
    DnsRecordType.MX: "MX",
    DnsRecordType.TXT: "TXT",
    DnsRecordType.NS: "NS",
}


def parse_nameserver(text: str) -> tuple[str, int]:
    """("1.1.1.1", 53) from "1.1.1.1", ("::1", 5353) from "[::1]:5353"; ValueError when malformed."""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"nameserver {text!r} is not host, host:port or [ipv6]:port")
        port = rest.removeprefix(":") or "53"
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, "53"  # a bare IPv6 address or a name
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"nameserver {text!r} is not host, host:port or [ipv6]:port")
    return host, int(port)


def dns_lookup(policy: Policy, request: DnsRequest, *, deadline: float | None = None) -> DnsResponse:
    """Resolves one name within the call's `deadline`, after the grant checks (name and nameserver)."""
    record_type = TYPES.get(request.record_type)
    if record_type is None:
        return DnsResponse(
            error=ErrorDetailMessage(
                type="validation",
                code="UNSUPPORTED_TYPE",
                message=f"record type {int(request.record_type)} is not one of A, AAAA, CNAME, MX, TXT, NS",
            )
        )
    name = request.hostname.strip().rstrip(".")
    if not name:
        return DnsResponse(
            error=ErrorDetailMessage(type="validation", code="INVALID_REQUEST", message="DnsRequest.hostname is empty")
        )
    timeout = effective_timeout(request.timeout_ms, DEFAULT_TIMEOUT, request.context, deadline=deadline)
    until = time.monotonic() + timeout
    if policy.network(name, 53) is None:
        return DnsResponse(error=denial(Rule.network(name, 53)))
    resolver = dns.resolver.Resolver(configure=not request.nameserver)
    nameserver_text = ""
    if request.nameserver:
        try:
            host, port = parse_nameserver(request.nameserver)
            destination = resolve_allowed(policy, host, port, timeout)
        except ValueError as exc:
            return DnsResponse(error=ErrorDetailMessage(type="validation", code="INVALID_REQUEST", message=str(exc)))
        except NetworkRefusal as refusal:
            return DnsResponse(error=refusal.detail)
        address = str(destination.addresses[0])
        resolver.nameservers = [address]
        resolver.port = port
        nameserver_text = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    started = time.monotonic()

    def failed(kind: str, code: str, message: str, *, not_found: bool = False, timed_out: bool = False) -> DnsResponse:
        error = ErrorDetailMessage(type=kind, code=code, message=message, is_not_found=not_found, is_timeout=timed_out)
        return DnsResponse(error=error, query_time_ms=_ms(started), nameserver=nameserver_text)

    try:
        answer = resolver.resolve(name, record_type, lifetime=seconds_left(until), search=False)
    except dns.resolver.NXDOMAIN:
        return failed("network", "LOOKUP_FAILED", f"{name} does not exist (NXDOMAIN)", not_found=True)
    except dns.resolver.NoAnswer:
        return failed("network", "LOOKUP_FAILED", f"{name} has no {record_type} records", not_found=True)
    except dns.exception.Timeout:
        return failed("timeout", "TIMEOUT", f"no answer for {name} within {timeout:g} s", timed_out=True)
    except dns.exception.DNSException as exc:
        return failed("network", "LOOKUP_FAILED", f"looking up {name} failed: {exc}")
    records: list[str] = []
    mx: list[MxRecord] = []
    for rdata in answer:
        if record_type in ("A", "AAAA"):
            records.append(rdata.address)
        elif record_type == "MX":
            host_name = rdata.exchange.to_text(omit_final_dot=True)
            records.append(host_name)
            mx.append(MxRecord(host=host_name, pref=rdata.preference))
        elif record_type == "TXT":
            records.append(b"".join(rdata.strings).decode("utf-8", "replace"))
        else:
            records.append(rdata.target.to_text(omit_final_dot=True))
    # An RRset has no order; answer in a stable one (MX by preference) so equal answers compare equal.
    mx.sort(key=lambda m: (m.pref, m.host))
    records = [m.host for m in mx] if record_type == "MX" else sorted(records)
    return DnsResponse(records=records, mx_records=mx, query_time_ms=_ms(started), nameserver=nameserver_text)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
