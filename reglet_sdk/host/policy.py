"""The capability policy: default deny, and one matcher per kind of rule.

- network: host glob (case-insensitive, as DNS is; `*.example.com` does not match `example.com`; IP
  addresses compared in canonical form) AND port (`N`, `A-B`, `*`) in the same rule;
- fs: the path is made absolute (relative to the host's working directory), `..` removed and symlinks
  resolved before matching, so `/data/../etc/passwd` and a symlink out of a granted tree are outside
  it; `**` matches any number of path segments, `*` and `?` stay inside one; write implies read;
- exec: the command resolved to an absolute path (a bare name through SEARCH_PATH); a rule with a `/`
  is a path glob on that path or its real path, a bare rule (`uname`) matches only the command the
  search path yields for that name;
- env: glob on the variable name; kv: glob on the key, and the operation (read-write covers both).

WASI gives a sandbox whole directories, so only `DIR/**` fs rules become preopened directories;
`preopens()` reports the other fs rules as not mountable instead of widening them.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage, GrantSet
from reglet_sdk.host.rules import Rule, parse_rule, rules_from_grant_set
from reglet_sdk.manifest import port_range

SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
"""Where a bare command name is looked up (never the host's own PATH, which a user may have changed)."""


@lru_cache(maxsize=512)
def path_glob(pattern: str) -> re.Pattern[str]:
    """A regex for a path glob: `**` any number of segments, `*`/`?` within one, `[...]` classes."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):  # `**/` : zero or more whole segments
                out.append("(?:.*/)?")
                i += 1
            else:
                out.append(".*")
            continue
        char = pattern[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append(f"[{'^' + body[1:] if body.startswith('!') else body}]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    regex = "".join(out)
    if regex.endswith("/.*"):  # `DIR/**` also matches DIR itself
        regex = regex[: -len("/.*")] + "(?:/.*)?"
    return re.compile(regex + r"\Z", re.DOTALL)


def literal_prefix(pattern: str) -> str:
    """The part of a path pattern before its first glob character, cut back to a whole segment."""
    cut = min((pattern.find(c) for c in "*?[" if c in pattern), default=len(pattern))
    if cut == len(pattern):
        return pattern
    return pattern[: pattern.rfind("/", 0, cut) + 1] if "/" in pattern[:cut] else ""


def resolve_pattern(pattern: str) -> str:
    """`pattern` with its literal directory part made absolute and symlink-free, like the paths it matches."""
    prefix = literal_prefix(pattern)
    if not prefix:
        return pattern
    rest = pattern[len(prefix) :]
    real = os.path.realpath(os.path.abspath(prefix))
    if prefix.endswith("/") and not real.endswith("/"):
        real += "/"
    return real + rest


class PathChanged(OSError):
    """A path's symlinks kept changing while it was being resolved (something is swapping them)."""


RESOLVE_ATTEMPTS = 3


def _realpath(path: str) -> str:
    """os.path.realpath, retried: it raises when a symlink it saw is gone before it reads it (a swap)."""
    for _ in range(RESOLVE_ATTEMPTS):
        try:
            return os.path.realpath(path)
        except OSError:
            continue
    raise PathChanged(f"{path} kept changing while its symlinks were being resolved")


def normalise_path(path: str, *, follow_symlinks: bool = True) -> str:
    """Absolute (against the host's working directory), without `..`, with symlinks resolved.

    With follow_symlinks=False a final symlink is kept (only its folder is resolved): the path of the
    link itself, as lstat(2) sees it. Raises PathChanged when the path's symlinks change under it on
    every attempt to resolve it.
    """
    absolute = os.path.abspath(path)
    if follow_symlinks:
        return _realpath(absolute)
    return os.path.join(_realpath(os.path.dirname(absolute)), os.path.basename(absolute))


def lexical_path(path: str) -> str:
    """`path` as the plugin gave it, normalised on its text alone (`.`, `..` and doubled slashes removed).

    No symlink is resolved, no search path consulted and the host's working directory is not added:
    a denial names this, so it tells the plugin nothing about the host's files (the decision itself
    is taken on the resolved path).
    """
    normal = os.path.normpath(path)
    return "/" + normal.lstrip("/") if normal.startswith("//") else normal


def _canonical_host(host: str) -> str:
    host = host.strip("[]").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def port_matches(spec: str, port: int) -> bool:
    """Whether `port` is in a port spec (N, A-B or *)."""
    bounds = port_range(spec)
    return bounds is not None and bounds[0] <= port <= bounds[1]


def resolve_command(command: str) -> str | None:
    """The absolute path a command runs as: a bare name through SEARCH_PATH; None when not found."""
    if "/" in command:
        return os.path.normpath(os.path.abspath(command))
    return shutil.which(command, path=SEARCH_PATH)


@dataclass(frozen=True)
class Preopen:
    """A host directory the sandbox sees at the same path."""

    host_path: str
    guest_path: str
    writable: bool


class Policy:
    """What one plugin run may do: exactly its granted rules."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules = tuple(dict.fromkeys(rules))
        self._fs = [(rule, path_glob(resolve_pattern(rule.pattern))) for rule in self.rules if rule.kind == "fs"]

    def __repr__(self) -> str:
        return f"Policy({', '.join(map(str, self.rules)) or 'deny all'})"

    def _of(self, kind: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.kind == kind]

    def network(self, host: str, port: int) -> Rule | None:
        """The first rule allowing a connection to host:port, or None."""
        return next(iter(self.network_rules(host, port)), None)

    def network_rules(self, host: str, port: int) -> list[Rule]:
        """Every rule allowing a connection to host:port, in grant order."""
        wanted = _canonical_host(host)
        return [
            rule
            for rule in self._of("network")
            if port_matches(rule.mode, port)
            and ((pattern := _canonical_host(rule.pattern)) == "*" or fnmatch.fnmatchcase(wanted, pattern))
        ]

    def fs(self, path: str, *, write: bool, follow_symlinks: bool = True) -> Rule | None:
        """The rule allowing reading (or writing) `path` after normalisation, or None."""
        real = normalise_path(path, follow_symlinks=follow_symlinks)
        for rule, regex in self._fs:
            if (rule.mode == "write" or not write) and regex.match(real):
                return rule
        return None

    def exec(self, command: str) -> Rule | None:
        """The rule allowing `command` (as the plugin gave it), or None."""
        resolved = resolve_command(command)
        if resolved is None:
            return None
        real = os.path.realpath(resolved)
        for rule in self._of("exec"):
            if "/" in rule.pattern:
                regex = path_glob(rule.pattern)
                if regex.match(resolved) or regex.match(real):
                    return rule
            else:
                name = os.path.basename(resolved)
                if fnmatch.fnmatchcase(name, rule.pattern) and resolve_command(name) == resolved:
                    return rule
        return None

    def env(self, name: str) -> Rule | None:
        """The rule allowing the environment variable `name`, or None."""
        return next((r for r in self._of("env") if fnmatch.fnmatchcase(name, r.pattern)), None)

    def kv(self, key: str, op: str) -> Rule | None:
        """The rule allowing `op` ("read" or "write") on `key`, or None."""
        for rule in self._of("kv"):
            if rule.mode in (op, "read-write") and fnmatch.fnmatchcase(key, rule.pattern):
                return rule
        return None

    def preopens(self) -> tuple[list[Preopen], list[str]]:
        """Directories to give the sandbox, and why any fs rule could not become one."""
        dirs: dict[str, bool] = {}
        problems = []
        for rule in self._of("fs"):
            base = rule.pattern[: -len("/**")] if rule.pattern.endswith("/**") else None
            if base is None or literal_prefix(base) != base or not base.startswith("/"):
                problems.append(
                    f"{rule} is not mounted into the sandbox: WASI gives a sandbox whole directories, so only "
                    "rules of the form fs:read:/DIR/** or fs:write:/DIR/** make open() work; this rule still "
                    "applies to the host's fs functions (fs.stat, fs.read_bytes, fs.read_text) and exec "
                    "working directories."
                )
                continue
            real = normalise_path(base)
            if not Path(real).is_dir():
                problems.append(f"{rule} is not mounted into the sandbox: {real} is not an existing directory.")
                continue
            dirs[real] = dirs.get(real, False) or rule.mode == "write"
        return [Preopen(path, path, writable) for path, writable in sorted(dirs.items())], problems

    def environment(self, host_environment: Mapping[str, str]) -> list[tuple[str, str]]:
        """The sandbox's environment: exactly the host variables an env rule names."""
        if not self._of("env"):  # the common case: no env grant, nothing to match each variable against
            return []
        return sorted((name, value) for name, value in host_environment.items() if self.env(name) is not None)


Grants = Policy | GrantSet | Iterable[Rule | str]
"""What a host accepts as a plugin's grants: a Policy, a GrantSet, or rules (objects or `--grant` text)."""


def as_policy(grants: Grants | None) -> Policy:
    """A Policy from any form of grants (None: deny everything)."""
    if grants is None:
        return Policy()
    if isinstance(grants, Policy):
        return grants
    if isinstance(grants, GrantSet):
        return Policy(rules_from_grant_set(grants))
    return Policy(parse_rule(g) if isinstance(g, str) else g for g in grants)


def denial(rule: Rule) -> ErrorDetailMessage:
    """The answer to a request no grant allows: a `capability` error naming the rule it would need.

    Every host function answers a denial with this, before it does anything.
    """
    return ErrorDetailMessage(
        type="capability",
        code=str(rule),
        message=f"the plugin was not granted {rule}, so nothing was done. If the plugin should have it, "
        f"run it with `--grant {rule}` (after reviewing why it needs it).",
        details={"rule": str(rule)},
    )
