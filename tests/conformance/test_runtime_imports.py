"""The snapshot is warm: a check in a fresh sandbox imports nothing at run time, whatever SDK part it uses.

Everything a call needs must be imported while the component is built (pre-initialised): a module
imported at run time costs every call its import, and one not in the snapshot cannot be imported at
all (a component has no filesystem to import from). Each component here is built with
runtime_imports/reglet_import_probe.py, which reports, per call, the modules Python looked for and the
modules added to sys.modules; both lists must be empty for examples/hello and for a plugin using each
SDK wrapper (exec, fs, net.dns/http/tcp/smtp, log, config), on the success path against real local
servers. The component-size limit of issue 13 is checked here too.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from reglet_sdk.host import Host
from reglet_sdk.testing.servers import LOCALHOST, LocalCA, dns_server, http_server, smtp_server, tcp_listener
from reglet_sdk.toolchain import component_spec, inspect_plugin
from reglet_sdk.toolchain.componentize import build_cached
from tests.conftest import COMPONENT_CACHE, REPO_EXAMPLES, TEST_PLUGINS

pytestmark = pytest.mark.component

PROBE = Path(__file__).parent / "runtime_imports"
MARKER = "REGLET_RUNTIME_IMPORTS "
SIZE_LIMIT_MIB = 20.0
"""Issue 13: a component (examples/hello) is at most 20 MiB."""


def build_probed(folder: Path) -> Path:
    """The plugin built as `reglet-sdk build` does, plus the import probe after pre-initialisation."""
    spec = component_spec(inspect_plugin(folder))
    spec = dataclasses.replace(
        spec,
        python_paths=(*spec.python_paths, PROBE),
        after_import=(*spec.after_import, "import reglet_import_probe  # noqa: F401"),
    )
    COMPONENT_CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(COMPONENT_CACHE / f"probed-{folder.name}.lock")):
        return build_cached(spec, COMPONENT_CACHE)


def runtime_imports(caplog: pytest.LogCaptureFixture) -> list[dict[str, list[str]]]:
    """Every report the probe wrote since the log was last cleared (one per call)."""
    reports = [
        json.loads(record.getMessage().split(MARKER, 1)[1])
        for record in caplog.records
        if MARKER in record.getMessage()
    ]
    caplog.clear()
    return reports


def test_hello_imports_nothing_at_run_time(host: Host, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    plugin = host.load(build_probed(REPO_EXAMPLES / "hello"))
    caplog.clear()
    for config in ({"name": "Ada", "times": 2}, {"name": "ada", "require_name_capitalised": True}, {"nmae": "x"}):
        result = plugin.check(config)
        assert result.status in ("success", "failure", "error"), result
        assert runtime_imports(caplog) == [{"searched": [], "added": []}], config


def test_every_wrapper_imports_nothing_at_run_time(
    host: Host, ca: LocalCA, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    wasm = build_probed(TEST_PLUGINS / "wrappers")
    readable = tmp_path / "sshd_config"
    readable.write_text("PermitRootLogin no\n")
    with (
        dns_server() as dns,
        http_server(ca.server_context()) as web,
        tcp_listener(ca.server_context()) as tls,
        smtp_server() as mail,
    ):
        plugin = host.load(
            wasm,
            grants=[
                "exec:/bin/true",
                f"fs:read:{tmp_path}/**",
                "network:example.test:53",
                f"network:{LOCALHOST}:{dns.port}",
                f"network:localhost:{web.port}",
                f"network:localhost:{tls.port}",
                f"network:localhost:{mail.port}",
            ],
        )
        calls: list[dict[str, Any]] = [
            {"op": "exec", "target": "/bin/true"},
            {"op": "fs", "target": str(tmp_path)},
            {"op": "read", "target": str(readable)},
            {"op": "dns", "target": "example.test", "nameserver": dns.nameserver},
            {"op": "http", "target": web.url("/ok", "localhost")},
            {"op": "tcp", "target": "localhost", "port": tls.port, "tls": True},
            {"op": "inspect", "target": "localhost", "port": tls.port},
            {"op": "smtp", "target": "localhost", "port": mail.port},
            {"op": "log", "target": "here"},
            {"op": "config", "target": "value"},
            {"op": "exec", "target": "/usr/bin/not-granted"},  # the refusal path too
        ]
        caplog.clear()
        for call in calls:
            result = plugin.check(call)
            assert result.status == "success", (call, result)
            assert runtime_imports(caplog) == [{"searched": [], "added": []}], (call, result.data)


def test_hello_component_is_under_the_size_limit(hello_wasm: Path) -> None:
    size_mib = hello_wasm.stat().st_size / 2**20
    assert size_mib <= SIZE_LIMIT_MIB, f"examples/hello is {size_mib:.2f} MiB, over the {SIZE_LIMIT_MIB:g} MiB limit"
