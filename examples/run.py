"""`make run`: build the example plugins and run a small compliance report against local targets.

The controls look at this repository's files, at local commands, and at TLS, HTTP and TCP servers
this script starts on 127.0.0.1 (certificates from a throw-away CA); nothing leaves the machine.
Each control runs in a fresh sandbox with only the grants it lists. One control is expected to fail
(a certificate that expires in 10 days), to show what a finding looks like. The ABI round trip of
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

from reglet_sdk.host import Host, HostConfig, NetworkSettings
from reglet_sdk.results import Result
from reglet_sdk.testing.servers import http_server, make_ca, tcp_listener
from reglet_sdk.toolchain import build_plugin, default_cache_dir

EXAMPLES = Path(__file__).resolve().parent
REPO = EXAMPLES.parent
OUT = REPO / ".cache" / "examples"


@dataclass(frozen=True)
class Control:
    """One line of the report."""

    title: str
    plugin: str
    config: dict[str, Any]
    grants: list[str]
    expect: str = "success"


def controls(tls_ok: int, tls_expiring: int, web: int) -> list[Control]:
    """The report's controls, against the servers started for it."""
    return [
        # File controls get the narrowest grant there is: the one file they look at.
        Control("README.md exists", "file", {"path": str(REPO / "README.md")}, [f"fs:read:{REPO}/README.md"]),
        Control(
            "pyproject.toml is hashed",
            "file",
            {"path": str(REPO / "pyproject.toml"), "hash": True},
            [f"fs:read:{REPO}/pyproject.toml"],
        ),
        Control(
            "/etc/shadow without a grant",
            "file",
            {"path": "/etc/shadow"},
            [f"fs:read:{REPO}/pyproject.toml"],
            expect="error",
        ),
        Control(
            "kernel name via uname", "command", {"command": "/usr/bin/uname", "args": ["-s"]}, ["exec:/usr/bin/uname"]
        ),
        Control("a shell line needs /bin/sh", "command", {"run": "echo hi"}, ["exec:/usr/bin/uname"], expect="error"),
        Control(
            "web server answers 200",
            "http",
            {"url": f"http://127.0.0.1:{web}/ok", "expected_status": 200},
            [f"network:127.0.0.1:{web}"],
        ),
        Control(
            "TLS 1.3 on the local listener",
            "tcp",
            {"host": "localhost", "port": tls_ok, "tls": True, "expected_tls_version": "TLSv1.3"},
            [f"network:localhost:{tls_ok}"],
        ),
        Control(
            "certificate valid for 30+ days",
            "tls_check",
            {"target_host": "localhost", "target_port": tls_ok},
            [f"network:localhost:{tls_ok}"],
        ),
        Control(
            "expiring certificate is found",
            "tls_check",
            {"target_host": "localhost", "target_port": tls_expiring},
            [f"network:localhost:{tls_expiring}"],
            expect="failure",
        ),
        Control("hello greets", "hello", {"name": "Ada"}, []),
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
        web = stack.enter_context(http_server())
        host = stack.enter_context(Host(HostConfig(network=NetworkSettings(ca_bundle=ca.bundle))))
        plugins = {name: host.load(path) for name, path in wasm.items()}
        rows = []
        checks = controls(tls_ok.port, tls_expiring.port, web.port)
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
