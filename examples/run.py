"""`make run`: build the example plugins and run a small compliance report against local targets.

The controls look at this repository's files, at local commands, and at TLS, HTTP and TCP servers
this script starts on 127.0.0.1 (certificates from a throw-away CA); nothing leaves the machine.
Each control runs in a fresh sandbox with exactly the minimum grants its example needs
(MINIMUM_GRANTS, the table of the README's "Examples" section; a test keeps the two equal), except
the controls that show a refusal. Two controls are expected to fail (a certificate that expires in
10 days, one that expired 5 days ago), to show what a finding looks like. The ABI round trip of
examples/abi_roundtrip closes the report.

    python examples/run.py                  # progress on stderr, a table on stdout
    python examples/run.py --format json    # the results as JSON

Exit status 0 when every control ended as expected.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from reglet_sdk.host import Host, HostConfig, NetworkSettings
from reglet_sdk.results import Result
from reglet_sdk.testing.servers import http_server, make_ca, tcp_listener
from reglet_sdk.toolchain import build_plugin, default_cache_dir

EXAMPLES = Path(__file__).resolve().parent
REPO = EXAMPLES.parent
OUT = REPO / ".cache" / "examples"


MINIMUM_GRANTS: dict[str, list[str]] = {
    "hello": [],
    "file": ["fs:read:{path}"],
    "command": ["exec:{command}"],
    "dns": ["network:{hostname}:53", "network:{nameserver}"],
    "http": ["network:{url_host}:{url_port}"],
    "tcp": ["network:{host}:{port}"],
    "smtp": ["network:{host}:{port}"],
    "tls_check": ["network:{target_host}:{target_port}"],
}
"""The fewest grants each example plugin needs, as templates over its config (`url_host`/`url_port`
are the URL's; a template naming a field the config leaves out is not needed). The README's
"Examples" table lists the same templates."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def minimum_grants(plugin: str, config: dict[str, Any]) -> list[str]:
    """MINIMUM_GRANTS of `plugin` filled in from `config`."""
    values = dict(config)
    if "url" in config:
        parts = urlsplit(config["url"])
        values.update(url_host=parts.hostname, url_port=parts.port or _DEFAULT_PORTS.get(parts.scheme, 0))
    grants = []
    for template in MINIMUM_GRANTS[plugin]:
        try:
            grants.append(template.format(**values))
        except KeyError:
            continue  # an optional field (e.g. dns's nameserver) the config does not set
    return grants


@dataclass(frozen=True)
class Control:
    """One line of the report: by default granted exactly its plugin's minimum grants."""

    title: str
    plugin: str
    config: dict[str, Any]
    expect: str = "success"
    refused_grants: list[str] | None = None
    """For a control that shows a refusal: the grants it gets instead of the ones it would need."""

    @property
    def grants(self) -> list[str]:
        """What this control is granted."""
        if self.refused_grants is not None:
            return self.refused_grants
        return minimum_grants(self.plugin, self.config)


def controls(tls_ok: int, tls_expiring: int, tls_expired: int, web: int) -> list[Control]:
    """The report's controls, against the servers started for it."""
    readme = str(REPO / "README.md")
    return [
        Control("README.md exists", "file", {"path": readme}),
        Control("pyproject.toml is hashed", "file", {"path": str(REPO / "pyproject.toml"), "hash": True}),
        Control("/etc/shadow is not README.md", "file", {"path": "/etc/shadow"}, "error", [f"fs:read:{readme}"]),
        Control("kernel name via uname", "command", {"command": "/usr/bin/uname", "args": ["-s"]}),
        Control("a shell line needs /bin/sh", "command", {"run": "echo hi"}, "error", ["exec:/usr/bin/uname"]),
        Control("web server answers 200", "http", {"url": f"http://127.0.0.1:{web}/ok", "expected_status": 200}),
        Control(
            "TLS 1.3 on the local listener",
            "tcp",
            {"host": "localhost", "port": tls_ok, "tls": True, "expected_tls_version": "TLSv1.3"},
        ),
        Control("certificate valid for 30+ days", "tls_check", {"target_host": "localhost", "target_port": tls_ok}),
        Control(
            "expiring certificate is found",
            "tls_check",
            {"target_host": "localhost", "target_port": tls_expiring},
            "failure",
        ),
        Control(
            "expired certificate is found",
            "tls_check",
            {"target_host": "localhost", "target_port": tls_expired},
            "failure",
        ),
        Control("hello greets", "hello", {"name": "Ada"}),
    ]


def build_all(names: list[str]) -> dict[str, Path]:
    """Builds each example once (cached by source hash), showing progress on stderr."""
    built = {}
    for i, name in enumerate(names, 1):
        started = time.monotonic()
        print(f"[{i}/{len(names)}] building examples/{name} ...", end="", file=sys.stderr, flush=True)
        built[name] = build_plugin(EXAMPLES / name, OUT / f"{name}.wasm", cache_dir=default_cache_dir())
        print(f" {time.monotonic() - started:.1f} s", file=sys.stderr)
    return built


def table(rows: list[tuple[Control, Result]]) -> str:
    """The report as a text table with a summary line."""
    lines = [f"{'control':<34}{'plugin':<11}{'result':<9}{'as expected':<13}message"]
    for control, result in rows:
        mark = "yes" if result.status == control.expect else "NO"
        lines.append(f"{control.title:<34}{control.plugin:<11}{result.status:<9}{mark:<13}{result.message[:70]}")
    counts = {status: sum(r.status == status for _, r in rows) for status in ("success", "failure", "error")}
    unexpected = sum(r.status != c.expect for c, r in rows)
    lines.append("")
    summary = f"{counts['success']} passed, {counts['failure']} failed, {counts['error']} errors"
    lines.append(f"{summary}; {unexpected} not as expected")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Builds, starts the local targets, runs the controls, prints the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    wasm = build_all(["file", "command", "http", "tcp", "tls_check", "hello"])
    with ExitStack() as stack:
        ca = make_ca(Path(stack.enter_context(tempfile.TemporaryDirectory())))
        tls_ok = stack.enter_context(tcp_listener(ca.server_context()))
        tls_expiring = stack.enter_context(tcp_listener(ca.server_context(ca.expiring_leaf(10))))
        tls_expired = stack.enter_context(tcp_listener(ca.server_context(ca.expired_leaf(5))))
        web = stack.enter_context(http_server())
        host = stack.enter_context(Host(HostConfig(network=NetworkSettings(ca_bundle=ca.bundle))))
        plugins = {name: host.load(path) for name, path in wasm.items()}
        rows = []
        checks = controls(tls_ok.port, tls_expiring.port, tls_expired.port, web.port)
        for i, control in enumerate(checks, 1):
            print(f"[{i}/{len(checks)}] {control.title} ...", file=sys.stderr, flush=True)
            plugin = plugins[control.plugin]
            plugin.grant(control.grants)
            rows.append((control, plugin.check(control.config)))
    if args.format == "json":
        report = [
            {"control": c.title, "plugin": c.plugin, "expected": c.expect, "result": r.to_dict()} for c, r in rows
        ]
        print(json.dumps(report, indent=2))
    else:
        print(table(rows))
    ok = all(r.status == c.expect for c, r in rows)
    if args.format == "text":
        print()
        sys.path.insert(0, str(EXAMPLES / "abi_roundtrip"))
        from roundtrip_report import main as roundtrip  # type: ignore[import-not-found]  # on sys.path above

        ok = roundtrip() == 0 and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
