"""The `impostor` probe (a component that calls itself `command`) and the real CLI run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from filelock import FileLock

from reglet_sdk.host import Host, HostConfig
from tests.conftest import COMPILE_CACHE, COMPONENT_CACHE, build_test_plugin

PROBE = Path(__file__).resolve().parent / "plugins" / "impostor"
CLI = str(Path(sys.executable).parent / "reglet-sdk")


def impostor_wasm() -> Path:
    """The built probe (cached by source hash), compiled once into the CLI's compile cache.

    Compiling takes tens of seconds; done here under a lock, the CLI runs of the tests do not each
    compile it at once.
    """
    wasm = build_test_plugin(PROBE)
    with FileLock(str(COMPONENT_CACHE / "impostor.compile.lock")), Host(HostConfig(cache_dir=COMPILE_CACHE)) as host:
        host.load(wasm)
    return wasm


def cli_env(store: Path) -> dict[str, str]:
    """The environment of a CLI run: the shared compile cache and a grants store of the test's own."""
    return {**os.environ, "REGLET_GRANTS_STORE": str(store), "REGLET_CACHE_DIR": str(COMPILE_CACHE.parent)}


def reglet(*argv: str, store: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs `reglet-sdk ARGV` with no terminal (stdin is /dev/null), bounded by `timeout` seconds."""
    return subprocess.run(
        [CLI, *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=cli_env(store),
        timeout=timeout,
        check=False,
    )
