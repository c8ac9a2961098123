"""Shared by the tests of issue 10 items 7-9: the leaks probes (built once) and the CLI run as a subprocess."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import COMPILE_CACHE, build_test_plugin

PLUGINS = Path(__file__).resolve().parent / "plugins"
REGLET = Path(sys.executable).parent / "reglet-sdk"

# What must never reach a terminal raw from a plugin, spelled out as bytes independently of the
# host's own list: C0 controls but newline (ESC, BEL, CR, TAB, ...), DEL, C1 controls in UTF-8,
# the line/paragraph separators and the bidi embeddings/overrides (U+2028-U+202E) and isolates
# (U+2066-U+2069).
RAW_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]")


@functools.cache
def probe_wasm() -> Path:
    """The leaks probe: forged display text, denial and failure probes, recursion, TCP."""
    return build_test_plugin(PLUGINS / "leaks_probe")


@functools.cache
def forged_rules_wasm() -> Path:
    """A probe whose Describe answer requests rules with an escape sequence and a bidi override."""
    return build_test_plugin(PLUGINS / "leaks_forged_rules")


def forged_name_wasm() -> Path:
    """A probe whose Describe answer names it with an escape sequence and a newline."""
    return build_test_plugin(PLUGINS / "leaks_forged_name")


@dataclass(frozen=True)
class Run:
    """One finished CLI run: exit code and the exact bytes written."""

    code: int
    stdout: bytes
    stderr: bytes


def cli(*args: str, store: Path, timeout: float = 120) -> Run:
    """Runs `reglet-sdk ARGS` with no terminal, a private grants store and the shared compile cache."""
    env = {**os.environ, "REGLET_CACHE_DIR": str(COMPILE_CACHE.parent), "REGLET_GRANTS_STORE": str(store)}
    done = subprocess.run(
        [str(REGLET), *args], stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=timeout, check=False
    )
    return Run(done.returncode, done.stdout, done.stderr)


def raw_controls(data: bytes) -> list[bytes]:
    """Every raw control byte sequence in `data` (newlines excepted)."""
    return RAW_CONTROL.findall(data)
