"""What every runner does with a case, whatever the host: its command line, the servers, the verdict.

A runner (tests/conformance/test_host_conformance.py for the Python host, runners/node for the Node
host) starts `python -m conformance.serve` once, builds the plugins (conformance.build), and for each
case runs the host's command line with `cli_arguments`, then judges the outcome with `problems`.
The Node runner implements the same steps in JavaScript; docs/abi.md describes them for any host.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.cases import ROOT, Case, flatten, substitute
from conformance.match import mismatches

EXIT_BY_STATUS = {"success": 0, "failure": 1, "error": 2}
SERVE_START_LIMIT = 60.0  # seconds for the servers to come up


@dataclass(frozen=True)
class Outcome:
    """What the host did with one case."""

    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    connections: dict[str, int]  # accepted during the case, per server


@dataclass(frozen=True)
class Servers:
    """The running `conformance.serve` process's description."""

    description: dict[str, Any]

    @property
    def placeholders(self) -> dict[str, Any]:
        """The values of `{name.key}` placeholders."""
        return flatten(self.description)

    def connections(self) -> dict[str, int]:
        """How many connections each server has accepted so far."""
        control = self.description["control"]
        url = f"http://{control['host']}:{control['port']}/connections"
        with urllib.request.urlopen(url, timeout=10) as response:
            counts: dict[str, int] = json.load(response)
        return counts


@contextmanager
def serve(python: str = sys.executable, lifetime: float = 3600.0) -> Iterator[Servers]:
    """Runs `python -m conformance.serve` until the block ends."""
    process = subprocess.Popen(
        [python, "-m", "conformance.serve", "--lifetime", str(lifetime)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("python -m conformance.serve exited before printing its servers")
        yield Servers(json.loads(line))
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cli_arguments(case: Case, wasm: Path, placeholders: dict[str, Any]) -> list[str]:
    """The host command line after the program: `CALL PLUGIN.wasm [--config JSON] [--grant R]... ...`."""
    arguments = [case.call, str(wasm)]
    if case.call == "check":
        arguments += ["--config", json.dumps(substitute(case.config, placeholders))]
        for rule in substitute(list(case.grants), placeholders):
            arguments += ["--grant", str(rule)]
        if case.ca_bundle:
            arguments += ["--ca-bundle", str(placeholders["ca_bundle"])]
    if case.timeout is not None:
        arguments += ["--timeout", f"{case.timeout:g}"]
    return arguments


def process_limit(case: Case) -> float:
    """How long a runner lets the host run before killing it: far beyond any limit a case proves."""
    return (case.timeout or 30.0) + 60.0


def _document(stdout: str) -> tuple[Any, str]:
    try:
        return json.loads(stdout), ""
    except ValueError as exc:
        return None, f"stdout is not one JSON document ({exc}): {stdout[:500]!r}"


def problems(case: Case, outcome: Outcome, placeholders: dict[str, Any]) -> list[str]:
    """Every way the outcome differs from the case's expectation (empty: the host conforms)."""
    expect = substitute(case.expect, placeholders)
    found: list[str] = []
    default_exit = EXIT_BY_STATUS[expect["status"]] if "status" in expect else 0
    wanted_exit = expect.get("exit_code", default_exit)
    if outcome.exit_code != wanted_exit:
        found.append(f"exit code {outcome.exit_code}, expected {wanted_exit}")
    needs_document = any(key in expect for key in ("status", "message", "data", "error", "metadata", "document"))
    if needs_document:
        document, problem = _document(outcome.stdout)
        if problem:
            found.append(problem)
        else:
            if "document" in expect:
                found += mismatches(expect["document"], document, "$")
            for key in ("status", "message", "data", "error", "metadata"):
                if key in expect:
                    found += mismatches(expect[key], document.get(key) if isinstance(document, dict) else None, key)
    for stream in ("stdout", "stderr"):
        if stream in expect:
            found += mismatches(expect[stream], getattr(outcome, stream), stream)
    for server, count in expect.get("connections", {}).items():
        if outcome.connections.get(server, 0) != count:
            found.append(
                f"server {server} accepted {outcome.connections.get(server, 0)} connection(s), expected {count}"
            )
    if "max_seconds" in expect and outcome.seconds > expect["max_seconds"]:
        found.append(f"took {outcome.seconds:.1f} s, more than the {expect['max_seconds']} s allowed")
    return found


def report(case: Case, outcome: Outcome, found: list[str]) -> str:
    """A failure message: the case, what differed, and what the host printed."""
    lines = [f"{case.id}: {case.description}", *(f"  - {p}" for p in found)]
    lines += [f"  exit code {outcome.exit_code} after {outcome.seconds:.1f} s", "  stdout:", outcome.stdout[:4000]]
    lines += ["  stderr:", outcome.stderr[-4000:]]
    return "\n".join(lines)
