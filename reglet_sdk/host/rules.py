"""Capability rules: one grantable permission each, in the `--grant` syntax.

    exec:/usr/bin/uname            run a command (glob on the resolved path)
    fs:read:/data/**               read under a path (`**` any depth, `*` one segment)
    fs:write:/tmp/out/**           write (and read) under a path
    env:AWS_REGION                 see / pass an environment variable (glob on the name)
    network:api.example.com:443    connect to a host (glob) on a port: N, A-B or *; IPv6 in brackets
    kv:read-write:config-*         use keys (glob) of the key-value store: read, write or read-write

Rules convert to and from the GrantSet message (plugin.yaml's `capabilities:` shape) and carry a risk
level. Every rule that grants anything passes through `check_rule` first, whichever way it came (a
`--grant`, a grants file, plugin.yaml at build time, the manifest a plugin presents): it is normalised
(`//etc` and `/./etc` become `/etc`, host names lower-case, ports canonical) or refused with a message
saying what to write instead (`..`, relative paths, empty patterns, control characters). What
`--security strict` refuses is judged on the normalised rule, in reglet_sdk.host.strict.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reglet_abi.reglet.v1 import (
    EnvCapability,
    ExecCapability,
    FsCapability,
    FsRule as FsRuleMessage,
    GrantSet,
    KvCapability,
    KvRule as KvRuleMessage,
    NetworkCapability,
    NetworkRule as NetworkRuleMessage,
)
from reglet_sdk.manifest import KV_OPERATIONS, PORT_SYNTAX, port_range

Risk = Literal["low", "medium", "high", "critical"]
RISK_ORDER: dict[Risk, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}
KV_OPS = KV_OPERATIONS
_KV_NAMES = {v: k for k, v in KV_OPS.items()}


class RuleError(ValueError):
    """A rule is malformed; the message shows the expected syntax."""


@dataclass(frozen=True, order=True)
class Rule:
    """One capability rule. `kind` is exec, fs, env, network or kv."""

    kind: str
    pattern: str
    mode: str = ""  # fs: read|write; kv: read|write|read-write; network: the port spec

    @classmethod
    def network(cls, host: str, port: int | str) -> Rule:
        """The rule naming `host` (a name or address; IPv6 with or without brackets) on `port`."""
        host = host.strip("[]")
        return cls("network", host.lower() if not _has_glob(host) else host, str(port))

    @classmethod
    def exec(cls, command: str) -> Rule:
        """The rule allowing the program at `command` (an absolute, resolved path)."""
        return cls("exec", command)

    @classmethod
    def fs(cls, path: str, *, write: bool = False) -> Rule:
        """The rule allowing reads (or writes) of `path`."""
        return cls("fs", path, "write" if write else "read")

    @classmethod
    def env(cls, name: str) -> Rule:
        """The rule allowing the environment variable `name`."""
        return cls("env", name)

    def __str__(self) -> str:
        """The `--grant` form."""
        if self.kind in ("exec", "env"):
            return f"{self.kind}:{self.pattern}"
        if self.kind == "network":
            host = f"[{self.pattern}]" if ":" in self.pattern else self.pattern
            return f"network:{host}:{self.mode}"
        return f"{self.kind}:{self.mode}:{self.pattern}"

    @property
    def risk(self) -> Risk:
        """Exec and `*` hosts critical; fs write high; fs read and named hosts medium; env low."""
        if self.kind == "exec" or (self.kind == "network" and self.pattern == "*"):
            return "critical"
        if self.kind == "fs":
            return "high" if self.mode == "write" else "medium"
        if self.kind == "network":
            return "medium"
        if self.kind == "kv":
            return "low" if self.mode == "read" else "medium"
        return "low"


def parse_rule(text: str) -> Rule:
    """Parses and checks one `--grant` rule (see check_rule); RuleError shows the expected forms."""
    return check_rule(_parse(text))


def _parse(text: str) -> Rule:
    kind, sep, rest = text.partition(":")
    if not sep or not rest:
        raise _bad(text, "it has no `kind:` prefix")
    if kind in ("exec", "env"):
        return Rule(kind, rest)
    if kind == "fs":
        mode, sep, path = rest.partition(":")
        if mode not in ("read", "write") or not sep or not path:
            raise _bad(text, "fs rules are fs:read:PATH or fs:write:PATH")
        return Rule("fs", path, mode)
    if kind == "kv":
        for op in ("read-write", "read", "write"):
            if rest.startswith(op + ":") and len(rest) > len(op) + 1:
                return Rule("kv", rest[len(op) + 1 :], op)
        raise _bad(text, "kv rules are kv:read:KEYS, kv:write:KEYS or kv:read-write:KEYS")
    if kind == "network":
        if rest.startswith("["):
            host, bracket, tail = rest[1:].partition("]")
            if not bracket or not tail.startswith(":"):
                raise _bad(text, "an IPv6 host goes in brackets: network:[::1]:53")
            ports = tail[1:]
        else:
            host, sep, ports = rest.rpartition(":")
            if not sep:
                raise _bad(text, "network rules are network:HOST:PORTS")
            if ":" in host:
                raise _bad(text, "an IPv6 host goes in brackets: network:[::1]:53")
        if not host:
            raise _bad(text, "the host is empty")
        check_ports(ports, text)
        return Rule.network(host, ports)
    raise _bad(text, f"unknown kind {kind!r}")


def check_ports(ports: str, context: str) -> None:
    """Raises RuleError unless `ports` is N, A-B (1-65535, A <= B) or *."""
    if port_range(ports) is None:
        raise RuleError(f"{context!r}: {ports!r} is not a port: {PORT_SYNTAX}")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_HOST_CHARS = re.compile(r"^[a-z0-9_.*?\[\]!-]+$")
_EXAMPLES = {
    "exec": "exec:/usr/bin/uname",
    "fs": "fs:read:/data/**",
    "env": "env:AWS_REGION",
    "network": "network:api.example.com:443",
    "kv": "kv:read:config-*",
}


def check_rule(rule: Rule) -> Rule:
    """`rule` normalised, or RuleError naming the rule, what is wrong and what to write instead.

    The one check every granted or requested rule passes (`--grant`, `--grants`, plugin.yaml, a
    plugin's manifest): no empty or control-character patterns; fs and exec paths absolute, without
    `..`, with `//` and `/./` collapsed; host names lower-case without a trailing dot, addresses in
    canonical form; ports as N, A-B or *.
    """
    for part in (rule.pattern, rule.mode):
        found = _CONTROL.search(part)
        if found:
            raise _refused(rule, f"it contains the control character {found.group()!r}", "the rule without it")
    if not rule.pattern:
        raise _refused(rule, "its pattern is empty", _EXAMPLES[rule.kind])
    if rule.kind in ("fs", "exec"):
        return Rule(rule.kind, _clean_path(rule), rule.mode)
    if rule.kind == "env" and "=" in rule.pattern:
        raise _refused(rule, "a variable name cannot contain `=`", "env:NAME")
    if rule.kind == "network":
        bounds = port_range(rule.mode)
        if bounds is None:
            raise _refused(rule, f"{rule.mode!r} is not a port ({PORT_SYNTAX})", "network:api.example.com:443")
        ports = "*" if rule.mode == "*" else str(bounds[0]) if bounds[0] == bounds[1] else f"{bounds[0]}-{bounds[1]}"
        return Rule("network", _clean_host(rule), ports)
    return rule


def _clean_path(rule: Rule) -> str:
    """The path pattern of an fs or exec rule without `//` and `.` segments; `..` and relative refused."""
    pattern = rule.pattern
    if rule.kind == "exec" and "/" not in pattern:
        if pattern in (".", ".."):
            raise _refused(rule, "it names a directory, not a command", "exec:/usr/bin/uname or exec:uname")
        return pattern  # a bare name: the command the host's search path yields
    if not pattern.startswith("/"):
        where = posixpath.normpath(posixpath.join("/ABSOLUTE/PATH", pattern))
        raise _refused(
            rule, "its path is relative, so what it grants would depend on the working directory", _with(rule, where)
        )
    if ".." in pattern.split("/"):
        resolved = posixpath.normpath(pattern)
        raise _refused(rule, "its path contains `..`, which hides the directory it grants", _with(rule, resolved))
    cleaned = "/" + "/".join(part for part in pattern.split("/") if part not in ("", "."))
    return cleaned


def _clean_host(rule: Rule) -> str:
    host = rule.pattern.strip("[]").lower()
    if host != "." and host.endswith("."):
        host = host[:-1]
    if not host:
        raise _refused(rule, "its host is empty", "network:api.example.com:443")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if ":" in host:
        if re.fullmatch(r"[0-9a-f:.*?\[\]!]+", host):
            return host  # an IPv6 glob; strict mode judges it
        raise _refused(rule, "its host is neither a name nor an IP address", "network:[2001:db8::1]:443")
    if not _HOST_CHARS.match(host) or "" in host.split("."):
        raise _refused(
            rule,
            "a host is a DNS name or an address (letters, digits, `-`, `.` and globs)",
            "network:api.example.com:443",
        )
    return host


def _with(rule: Rule, pattern: str) -> str:
    return str(Rule(rule.kind, pattern, rule.mode))


def _refused(rule: Rule, why: str, instead: str) -> RuleError:
    return RuleError(f"{str(rule)!r} is refused: {why}. Write {instead} instead.")


def _has_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _bad(text: str, why: str) -> RuleError:
    return RuleError(
        f"{text!r} is not a capability rule ({why}). Use one of: exec:/usr/bin/uname, fs:read:/data/**, "
        "fs:write:/tmp/out/**, env:AWS_REGION, network:api.example.com:443 (ports N, A-B or *; "
        "network:[::1]:53 for IPv6), kv:read-write:config-*."
    )


def rules_from_grant_set(grants: GrantSet | None) -> list[Rule]:
    """The checked rules of a GrantSet (the plugin.yaml shape), one per host/port, path, name or key.

    Raises RuleError for a rule check_rule refuses (a manifest not built by reglet-sdk may hold one).
    """
    if grants is None:
        return []
    rules: list[Rule] = []
    if grants.network is not None:
        for network in grants.network.rules:
            rules += [Rule.network(h, p) for h in network.hosts for p in network.ports]
    if grants.fs is not None:
        for fs in grants.fs.rules:
            rules += [Rule("fs", p, "read") for p in fs.read] + [Rule("fs", p, "write") for p in fs.write]
    if grants.env is not None:
        rules += [Rule("env", v) for v in grants.env.vars]
    if grants.exec is not None:
        rules += [Rule("exec", c) for c in grants.exec.commands]
    if grants.kv is not None:
        for kv in grants.kv.rules:
            rules += [Rule("kv", k, _KV_NAMES.get(kv.op, "read")) for k in kv.keys]
    return _unique(check_rule(rule) for rule in rules)


def grant_set_from_rules(rules: Iterable[Rule]) -> GrantSet:
    """A GrantSet holding exactly `rules` (one plugin.yaml-shaped rule per network/fs/kv rule)."""
    rules = _unique(rules)
    grants = GrantSet()
    network = [NetworkRuleMessage(hosts=[r.pattern], ports=[r.mode]) for r in rules if r.kind == "network"]
    fs = [
        FsRuleMessage(read=[r.pattern]) if r.mode == "read" else FsRuleMessage(write=[r.pattern])
        for r in rules
        if r.kind == "fs"
    ]
    env = [r.pattern for r in rules if r.kind == "env"]
    exec_ = [r.pattern for r in rules if r.kind == "exec"]
    kv = [KvRuleMessage(keys=[r.pattern], op=KV_OPS[r.mode]) for r in rules if r.kind == "kv"]
    if network:
        grants.network = NetworkCapability(rules=network)
    if fs:
        grants.fs = FsCapability(rules=fs)
    if env:
        grants.env = EnvCapability(vars=env)
    if exec_:
        grants.exec = ExecCapability(commands=exec_)
    if kv:
        grants.kv = KvCapability(rules=kv)
    return grants


def _unique(rules: Iterable[Rule]) -> list[Rule]:
    seen: dict[Rule, None] = {}
    for rule in rules:
        seen.setdefault(rule, None)
    return list(seen)
