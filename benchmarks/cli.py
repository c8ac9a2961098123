"""Warm CLI: `reglet-sdk check hello.wasm` as a new process, compiled code cached; floor = `import wasmtime`.

The command and the floor run alternately, each in a fresh interpreter, so a busy machine slows both
alike. A second row isolates start-up: importing the CLI module against the same floor. Warm means
Python's bytecode is cached too, as in any installation: the runs write it under .cache/bench/pycache
even where PYTHONDONTWRITEBYTECODE is set, after one run of each command to fill it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.measure import Row
from reglet_sdk.host.compile_cache import precompile
from reglet_sdk.toolchain import default_cache_dir

REPO = Path(__file__).resolve().parent.parent
REPEAT = 15
CHECK_TARGET = 3.0
"""Issue 13: a warm `reglet-sdk check` within 3x of `python -c "import wasmtime"`."""


def _timed_alternately(first: list[str], second: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Median wall time of each command, run REPEAT times in turn (first, second, first, ...)."""
    for command in (first, second):
        subprocess.run(command, env=env, check=True, capture_output=True)  # fills the bytecode cache
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(REPEAT):
        for command, times in zip((first, second), samples, strict=True):
            started = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
    return statistics.median(samples[0]), statistics.median(samples[1])


def bench_cli(wasm: Path) -> list[Row]:
    """The warm `reglet-sdk check` of `examples/hello`, and the CLI's import alone, against `import wasmtime`."""
    cache_root = default_cache_dir().parent  # $REGLET_CACHE_DIR: components/ and compiled/
    precompile(wasm, cache_root / "compiled")  # warm: what `reglet-sdk build` leaves behind
    env = {
        **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
        "PYTHONPYCACHEPREFIX": str(REPO / ".cache" / "bench" / "pycache"),
        "REGLET_CACHE_DIR": str(cache_root),
        "REGLET_GRANTS_STORE": str(cache_root / "bench-grants.yaml"),  # none stored: nothing granted, nothing read
    }
    script = Path(sys.executable).parent / "reglet-sdk"
    check = [str(script), "check", str(wasm), "--config", '{"name": "Ada", "times": 3}']
    floor_command = [sys.executable, "-c", "import wasmtime"]
    floor_name = 'python -c "import wasmtime"'
    measured, floor = _timed_alternately(check, floor_command, env)
    imported, floor_again = _timed_alternately([sys.executable, "-c", "import reglet_sdk.cli"], floor_command, env)
    return [
        Row("warm CLI `reglet-sdk check hello.wasm`", measured, floor_name, floor, target=CHECK_TARGET),
        Row("CLI start-up: import reglet_sdk.cli", imported, floor_name, floor_again),
    ]
