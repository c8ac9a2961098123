"""Outbound connections for host functions: grant check, resolution, SSRF filter, address pinning.

Every network host function goes through `resolve_allowed`: the host and port must be granted; the
name is resolved once; every resolved address is checked against the blocked classes (loopback,
RFC 1918, CGNAT 100.64/10, link-local including 169.254.169.254, multicast, unspecified, broadcast,
reserved, IPv6 loopback/ULA/link-local/IPv4-mapped/IPv4-compatible/NAT64, and 6to4 or Teredo addresses
that embed a blocked IPv4 address) unless one of the granting rules names the host or address
explicitly (a glob such as `*` does not; which rule comes first does not matter); and the addresses
returned are the ones connected to, so a second resolution cannot swap in another address.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import socket
from dataclasses import dataclass

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage
from reglet_sdk.host.deadlines import seconds_left
from reglet_sdk.host.policy import Policy, denial
from reglet_sdk.host.rules import Rule

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

BLOCKED_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(cidr), name)
    for cidr, name in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("255.255.255.255/32", "broadcast"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible (deprecated)"),  # ::a.b.c.d: after :: and ::1, which match first
        ("::ffff:0:0/96", "IPv4-mapped"),
        ("64:ff9b::/96", "NAT64"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("fc00::/7", "unique local (ULA)"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    )
)


def blocked_class(address: IPAddress) -> str:
    """The blocked class of an address ("loopback", ...), or "" when it is a public address.

    6to4 (2002::/16) and Teredo (2001::/32) addresses carry IPv4 addresses a tunnel delivers to: they
    are blocked when an embedded address is (a 6to4 or Teredo address of a public host is not).
    """
    for network, name in BLOCKED_NETWORKS:
        if address.version == network.version and address in network:
            return name
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [("6to4", address.sixtofour)] if address.sixtofour else []
        embedded += [("Teredo", v4) for v4 in address.teredo or ()]
        for scheme, v4 in embedded:
            kind = blocked_class(v4) if v4 is not None else ""
            if kind:
                return f"{scheme} (embedding the {kind} address {v4})"
    return ""


def names_explicitly(rule: Rule, host: str, address: IPAddress) -> bool:
    """Whether the rule names this host or address itself (no glob)."""
    pattern = rule.pattern.strip("[]").lower().rstrip(".")
    if any(c in pattern for c in "*?["):
        return False
    if pattern == host.strip("[]").lower().rstrip("."):
        return True
    try:
        return ipaddress.ip_address(pattern) == address
    except ValueError:
        return False


class NetworkRefusal(Exception):
    """The connection may not be made; `detail` says why (capability, SSRF_BLOCKED, HOST_NOT_FOUND, ...)."""

    def __init__(self, detail: ErrorDetailMessage) -> None:
        super().__init__(detail.message)
        self.detail = detail


def resolve(host: str, port: int, timeout: float) -> list[IPAddress]:
    """The addresses of `host` (an IP literal is itself), resolved once, in resolver order."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=max(timeout, 0.001))
    except concurrent.futures.TimeoutError as exc:
        raise NetworkRefusal(
            ErrorDetailMessage(
                type="timeout",
                code="TIMEOUT",
                message=f"resolving {host} took longer than {timeout:g} s",
                is_timeout=True,
            )
        ) from exc
    except socket.gaierror as exc:
        raise NetworkRefusal(
            ErrorDetailMessage(
                type="network",
                code="HOST_NOT_FOUND",
                message=f"{host} could not be resolved ({exc.strerror})",
                is_not_found=True,
            )
        ) from exc
    finally:
        pool.shutdown(wait=False)
    seen: dict[IPAddress, None] = {}
    for info in infos:
        seen.setdefault(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]), None)
    return list(seen)


@dataclass(frozen=True)
class Destination:
    """A granted, checked destination: connect to `addresses` (in order), presenting `host`."""

    host: str
    port: int
    addresses: tuple[IPAddress, ...]
    rule: Rule


def _where(host: str, address: IPAddress) -> str:
    literal = host.strip("[]")
    return f"{literal} is" if literal == str(address) else f"{host} resolves to {address},"


def resolve_allowed(policy: Policy, host: str, port: int, timeout: float) -> Destination:
    """Grant check, one resolution, SSRF filter; raises NetworkRefusal."""
    if not host:
        raise NetworkRefusal(ErrorDetailMessage(type="validation", code="INVALID_REQUEST", message="the host is empty"))
    if not 1 <= port <= 65535:
        raise NetworkRefusal(
            ErrorDetailMessage(type="validation", code="INVALID_REQUEST", message=f"port {port} is not in 1-65535")
        )
    rules = policy.network_rules(host, port)
    if not rules:
        raise NetworkRefusal(denial(Rule.network(host, port)))
    addresses = resolve(host, port, timeout)
    explicit: Rule | None = None
    for address in addresses:
        kind = blocked_class(address)
        if not kind:
            continue
        # Any granting rule that names the address lets it through, whatever the order of the grants.
        explicit = next((rule for rule in rules if names_explicitly(rule, host, address)), None)
        if explicit is None:
            named = Rule.network(str(address), port)
            granting = ", ".join(map(str, rules))
            raise NetworkRefusal(
                ErrorDetailMessage(
                    type="network",
                    code="SSRF_BLOCKED",
                    message=f"{_where(host, address)} a {kind} address, which a plugin may reach only when a rule "
                    f"names it explicitly (e.g. --grant {named}); {granting} "
                    f"{'does' if len(rules) == 1 else 'do'} not. Nothing was sent.",
                    details={"address": str(address), "class": kind},
                )
            )
    return Destination(host=host, port=port, addresses=tuple(addresses), rule=explicit or rules[0])


def connect(destination: Destination, until: float) -> socket.socket:
    """A TCP connection to the first reachable pinned address, all tries ending by `until` (monotonic).

    The socket's timeout is then the time left, so every later step on it ends by `until` too (each
    single step: a peer that trickles bytes is stopped by the call's deadline). Raises OSError (the
    last failure).
    """
    last: OSError | None = None
    for address in destination.addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(seconds_left(until))
        try:
            sock.connect((str(address), destination.port))
            sock.settimeout(seconds_left(until))
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    assert last is not None
    raise last


def connect_error(exc: OSError, destination: str, timeout: float) -> ErrorDetailMessage:
    """The ErrorDetailMessage for a failed connection (TIMEOUT, CONNECTION_REFUSED or CONNECT_FAILED)."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return ErrorDetailMessage(
            type="timeout",
            code="TIMEOUT",
            message=f"connecting to {destination} took longer than {timeout:g} s",
            is_timeout=True,
        )
    if isinstance(exc, ConnectionRefusedError):
        return ErrorDetailMessage(
            type="network", code="CONNECTION_REFUSED", message=f"{destination} refused the connection"
        )
    return ErrorDetailMessage(
        type="network", code="CONNECT_FAILED", message=f"connecting to {destination} failed: {exc.strerror or exc}"
    )
