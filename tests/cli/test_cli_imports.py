"""CLI start-up stays lean: describing or checking a built plugin imports no module it does not need.

Start-up is paid on every `reglet-sdk check`, so the network stack, YAML, the toolchain and the
testing aids are imported only by the commands (or the host functions) that use them. Each case
runs the command in a fresh interpreter and lists what it imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COMPILE_CACHE

pytestmark = pytest.mark.component

NOT_AT_START_UP = (
    "yaml",
    "urllib3",
    "dns",
    "cryptography",
    "ssl",
    "smtplib",
    "subprocess",
    "http.client",
    "packaging.requirements",
    "componentize_py",
    "reglet_codegen",
    "reglet_sdk.toolchain",
    "reglet_sdk.testing",
    "reglet_sdk.host.exec",
    "reglet_sdk.host.process",
    "reglet_sdk.host.net",
)
"""Modules (and their submodules) that describe, schema and check of a plugin without grants never need."""

_RUN_AND_LIST = """
import io, json, sys
from reglet_sdk.cli import main
out, err = io.StringIO(), io.StringIO()
code = main(sys.argv[1:], out, err)
print(json.dumps({"code": code, "err": err.getvalue(), "modules": sorted(sys.modules)}))
"""


def imported_by(tmp_path: Path, *argv: str) -> list[str]:
    """The modules a fresh interpreter has imported after running `reglet-sdk ARGV` (which must succeed)."""
    env = {
        **os.environ,
        "REGLET_CACHE_DIR": str(COMPILE_CACHE.parent),  # a cached load, as for any plugin checked before
        "REGLET_GRANTS_STORE": str(tmp_path / "grants.yaml"),  # none stored: nothing to read
    }
    completed = subprocess.run(
        [sys.executable, "-c", _RUN_AND_LIST, *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(completed.stdout.splitlines()[-1])
    assert report["code"] in (0, 1), report["err"]
    return list(report["modules"])


def heavy(modules: list[str]) -> list[str]:
    return [name for name in modules if any(name == h or name.startswith(h + ".") for h in NOT_AT_START_UP)]


@pytest.mark.parametrize(
    "argv",
    [
        ("check", "{wasm}", "--config", '{"name": "Ada"}'),
        ("check", "{wasm}", "--config", '{"name": "Ada"}', "--format", "json"),
        ("describe", "{wasm}"),
        ("schema", "{wasm}"),
    ],
    ids=["check", "check-json", "describe", "schema"],
)
def test_running_a_built_plugin_imports_nothing_heavy(hello_wasm: Path, tmp_path: Path, argv: tuple[str, ...]) -> None:
    modules = imported_by(tmp_path, *(arg.replace("{wasm}", str(hello_wasm)) for arg in argv))
    assert "reglet_sdk.host.runtime" in modules  # it did run the plugin
    assert heavy(modules) == []


def test_the_first_network_call_imports_the_network_stack(tmp_path: Path) -> None:
    """The lazy imports are where the functions are: a handler call loads its module (and only then)."""
    code = (
        "import sys\n"
        "from reglet_abi.reglet.v1 import DnsRequest\n"
        "from reglet_sdk.host.handlers import CallHandlers\n"
        "before = 'dns.resolver' in sys.modules\n"
        "answer = CallHandlers('p', 'r', lambda record: None).dns_lookup(DnsRequest(hostname='localhost'))\n"
        "print(before, 'dns.resolver' in sys.modules, answer.error.type)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True, cwd=tmp_path
    )
    assert completed.stdout.split() == ["False", "True", "capability"]
