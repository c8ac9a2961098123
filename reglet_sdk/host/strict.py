"""What `--security strict` refuses: rules that grant more than one check should need.

Rules are judged after `check_rule` has normalised them (no `..`, no relative paths, `//` collapsed),
and on what they would actually mount or match on this host, not on their text:

- fs: the literal directory of the pattern, resolved through symlinks as the policy resolves it, is
  `/`, a top-level system directory (/usr, /var, /home, /tmp, ...), anything under /etc, /proc, /sys,
  /dev, /boot or /root; or the rule writes under installed software (/usr, /bin, /sbin, /lib*, /opt).
  An exact-file read rule (no glob, not a directory: `fs:read:/etc/ssh/sshd_config`) is the narrowest
  grant there is and is accepted under /etc, /boot and /root too; never under /proc, /sys or /dev,
  where one file can be the host's own environment or memory (/proc/self/environ, /dev/mem);
- exec: the rule could run a shell, an interpreter or a launcher of other programs (env, xargs, find,
  sudo, git, ...): by name, through a symlink (/bin/sh is dash), by a glob that matches one
  (`/usr/bin/*`, `/usr/bin/[b]ash`, `py*`), or by a file on this host its glob matches; or it names a
  program in a directory an fs rule lets the plugin write (it could write what it then runs);
- env: a glob that matches more than one variable name;
- network: a host glob not anchored in a domain (`*`, `*.*`, `?*`, `*.com`, `example.*`, `10.*`), any
  IPv6 glob, or more than MAX_PORTS ports;
- kv: a key glob with no literal part.

The lists are a guard rail, not the boundary: the boundary is the grant itself.
"""

from __future__ import annotations

import fnmatch
import glob
import itertools
import os
import re
from collections.abc import Iterable, Iterator

from reglet_sdk.host.policy import SEARCH_PATH, Policy, literal_prefix, path_glob, resolve_command
from reglet_sdk.host.rules import Rule
from reglet_sdk.manifest import port_range

MAX_PORTS = 1024
"""The widest port range strict mode accepts in one rule."""

_SHELLS = (
    "sh bash rbash dash ash zsh ksh ksh93 mksh pdksh oksh posh yash csh tcsh fish rc es elvish nu xonsh ssh busybox "
    "toybox"
)
_INTERPRETERS = (
    "python* pypy* perl* ruby* irb* node nodejs deno bun php* lua* luajit* tclsh* wish* expect awk *awk java jshell "
    "jrunscript R Rscript julia guile* gdb pwsh osascript sqlite3 vi vim* nvim ex emacs* ld.so ld-linux* ld64.so*"
)
_LAUNCHERS = (
    "env xargs find nice ionice timeout nohup setsid sudo su doas pkexec runuser chroot unshare nsenter stdbuf "
    "taskset chrt flock watch script strace ltrace time parallel make gmake git tar sort sed rsync scp zip socat nc "
    "ncat netcat dpkg apt apt-get pip* npm npx yarn docker podman kubectl systemd-run start-stop-daemon capsh "
    "setpriv prlimit firejail bwrap valgrind cpulimit run-parts"
)
_LAUNCHER_KINDS = {
    "a shell": _SHELLS.split(),
    "an interpreter": _INTERPRETERS.split(),
    "a launcher of other programs": _LAUNCHERS.split(),
}
_EXAMPLE_NAMES = [
    "python3",
    "python3.8",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "python2",
    "python2.7",
    "pypy3",
    "perl5.36.0",
    "perl5.40.0",
    "ruby3.1",
    "ruby3.3",
    "php8.2",
    "php8.3",
    "lua5.1",
    "lua5.4",
    "luajit",
    "tclsh8.6",
    "gawk",
    "mawk",
    "nawk",
    "vim.basic",
    "vim.tiny",
    "emacs29",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "ld-linux.so.2",
    "pip3",
]
_KNOWN_NAMES = [
    *(name for names in _LAUNCHER_KINDS.values() for name in names if not any(c in name for c in "*?[")),
    *_EXAMPLE_NAMES,
]
"""Concrete program names an exec glob is tried against (the patterns' literal names and common versions)."""
_MAX_LISTED = 20000  # files looked at when expanding one exec glob on disk

_FS_TREES = {
    "/etc": "system configuration",
    "/proc": "the host's processes",
    "/sys": "kernel settings",
    "/dev": "the host's devices",
    "/boot": "the kernel and boot loader",
    "/root": "the administrator's home",
}
_KERNEL_VIEWS = ("/proc", "/sys", "/dev")
"""Trees where even one file is too much for strict mode (the host's environment, memory, devices)."""
_TOP_LEVEL = frozenset(
    [
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/media",
        "/mnt",
        "/nix",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/snap",
        "/srv",
        "/sys",
        "/tmp",
        "/usr",
        "/var",
    ]
)
_SOFTWARE = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")


class StrictModeRefusal(Exception):
    """`--security strict` refuses a broad rule."""


def why_broad(rule: Rule) -> str:
    """Why `--security strict` refuses `rule` on its own, or "" when it does not."""
    judge = {"fs": _fs, "exec": _exec, "env": _env, "network": _network, "kv": _kv}.get(rule.kind)
    return judge(rule) if judge is not None else ""


def broad_rules(rules: Iterable[Rule]) -> list[tuple[Rule, str]]:
    """Every rule strict mode refuses among `rules`, with why (also exec rules the fs rules let the plugin write)."""
    rules = list(dict.fromkeys(rules))
    writable = Policy(rule for rule in rules if rule.kind == "fs" and rule.mode == "write")
    found = []
    for rule in rules:
        why = why_broad(rule)
        if not why and rule.kind == "exec":
            why = _exec_writable(rule, writable)
        if why:
            found.append((rule, why))
    return found


def refuse_broad(rules: Iterable[Rule]) -> None:
    """Raises StrictModeRefusal naming every broad rule and why (what `--security strict` refuses)."""
    broad = broad_rules(rules)
    if broad:
        listed = "\n".join(f"  {rule}: {why}" for rule, why in broad)
        raise StrictModeRefusal(
            f"--security strict refuses broad rules:\n{listed}\nGrant narrower rules (a specific command that "
            "runs no other programs, a directory of its own, named hosts and ports, named variables), or run "
            "without --security strict."
        )


# --- fs ---------------------------------------------------------------------------------------------


def _fs(rule: Rule) -> str:
    literal = literal_prefix(rule.pattern)
    base = literal.rstrip("/") or "/"
    real = os.path.realpath(base)
    seen = f" ({base} is {real})" if real != base else ""
    if real == "/":
        return f"it grants the whole filesystem{seen}"
    exact_file = rule.mode == "read" and literal == rule.pattern and not os.path.isdir(real)
    for tree, what in _FS_TREES.items():
        if exact_file and tree not in _KERNEL_VIEWS:
            continue
        if real == tree or real.startswith(tree + "/"):
            return f"it grants {what} under {tree}{seen}"
    if literal != rule.pattern and real in _TOP_LEVEL:
        return f"it grants the whole of {real}, a top-level system directory{seen}"
    if rule.mode == "write":
        for tree in _SOFTWARE:
            if real == tree or real.startswith(tree + "/"):
                return f"it lets the plugin change installed software under {tree}{seen}"
    return ""


# --- exec -------------------------------------------------------------------------------------------


def _has_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def _launcher(name: str) -> str:
    """What kind of program-runner `name` is ("a shell", ...), or ""."""
    for kind, patterns in _LAUNCHER_KINDS.items():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
            return kind
    return ""


def _exec(rule: Rule) -> str:
    name = rule.pattern.rsplit("/", 1)[-1]
    if _has_glob(name):
        glob_ = name.replace("**", "*")
        if all(fnmatch.fnmatchcase(any_name, glob_) for any_name in ("a", "zz-9_q.x")):
            return f"its glob {name} allows any command, shells and interpreters included"
        hit = next((known for known in _KNOWN_NAMES if fnmatch.fnmatchcase(known, glob_)), None)
        if hit is not None:
            return f"its glob {name} matches {hit}, {_launcher(hit)} that runs whatever its arguments say"
    elif _launcher(name):
        return f"{name} is {_launcher(name)}: it runs whatever its arguments say"
    for path in _programs(rule):
        real = os.path.realpath(path)
        kind = _launcher(os.path.basename(real))
        if kind:
            shown = f"{path}, which is {real}" if real != path else path
            return f"it matches {shown}, {kind} that runs whatever its arguments say"
    return ""


def _programs(rule: Rule) -> Iterator[str]:
    """The files on this host `rule` would let the plugin run (a bounded look)."""
    pattern = rule.pattern
    if "/" not in pattern:
        if not _has_glob(pattern):
            found = resolve_command(pattern)
            yield from [found] if found else []
            return
        for folder in SEARCH_PATH.split(":"):
            for entry in _listed(folder):
                if fnmatch.fnmatchcase(entry, pattern) and resolve_command(entry) == os.path.join(folder, entry):
                    yield os.path.join(folder, entry)
        return
    if not _has_glob(pattern):
        yield from [pattern] if os.path.lexists(pattern) else []
        return
    if "**" in pattern:  # walking whole trees is too costly; the name check above still applies
        return
    regex = path_glob(pattern)
    yield from (path for path in itertools.islice(glob.iglob(pattern), _MAX_LISTED) if regex.match(path))


def _listed(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return [entry.name for entry in itertools.islice(entries, _MAX_LISTED)]
    except OSError:
        return []


def _exec_writable(rule: Rule, writable: Policy) -> str:
    if "/" not in rule.pattern:
        candidates = [path for path in [resolve_command(rule.pattern)] if path]
    elif _has_glob(rule.pattern):
        candidates = [literal_prefix(rule.pattern) + "reglet-written-program"]
    else:
        candidates = [rule.pattern]
    for path in candidates:
        granted = writable.fs(path, write=True)
        if granted is not None:
            return f"{granted} lets the plugin write the program it would run"
    return ""


# --- env, network, kv ---------------------------------------------------------------------------------


_SINGLE_CLASS = re.compile(r"\[([^]!^\-\\])\]")


def _env(rule: Rule) -> str:
    # `[X]` stands for one name; any other glob for many.
    if _has_glob(_SINGLE_CLASS.sub(r"\1", rule.pattern)):
        return "it matches more than one variable name (name each variable, e.g. env:AWS_REGION)"
    return ""


def _network(rule: Rule) -> str:
    bounds = port_range(rule.mode) or (1, 65535)
    count = bounds[1] - bounds[0] + 1
    if count == 65535:
        return "it allows any port"
    if count > MAX_PORTS:
        return f"it allows {count} ports (strict mode accepts at most {MAX_PORTS} in one rule)"
    host = rule.pattern
    if not _has_glob(host):
        return ""
    if ":" in host:
        return "its host is an IPv6 glob (name the addresses)"
    labels = host.split(".")
    if not re.sub(r"\[[^]]*\]|[*?.]", "", host):
        return "its host glob matches any host"
    if all(label.isdigit() or _has_glob(label) for label in labels):  # an IPv4 glob
        if len(labels) == 4 and labels[0].isdigit() and labels[1].isdigit():
            return ""
        return "its host glob matches addresses in any network (keep at least the first two numbers)"
    if len(labels) >= 3 and not _has_glob(labels[-1]) and not _has_glob(labels[-2]):
        return ""
    return "its host glob matches hosts in any domain (anchor it in one, e.g. *.example.com)"


def _kv(rule: Rule) -> str:
    if not re.sub(r"\[[^]]*\]|[*?]", "", rule.pattern):
        return "it allows every key"
    return ""
