"""First load of a plugin: after `reglet-sdk build` precompiled it, and of a second, different plugin.

What wasmtime-py allows: the compilation cache holds whole components (ours, keyed by the SHA-256 of
the component; wasmtime's own `Config.cache` does the same), and Cranelift's per-function incremental
cache is not in wasmtime's C API, so a plugin never seen before compiles in full even though most of
it is the same CPython core module as the last one. The build therefore compiles the plugin into the
user's cache, and the first check is a cached load. Both rows show it, in an empty cache folder.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.measure import Row
from reglet_sdk.host import Host, HostConfig
from reglet_sdk.host.compile_cache import precompile
from reglet_sdk.toolchain import build_plugin, default_cache_dir

REPO = Path(__file__).resolve().parent.parent
OTHER = REPO / "examples" / "command"
"""Plugin B: a different plugin from the same SDK (so mostly the same CPython code as hello)."""


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bench_first_load(wasm: Path) -> list[Row]:
    """Plugin A (hello) built and precompiled, then loaded; then plugin B's first load with A in the cache."""
    other = build_plugin(OTHER, REPO / ".cache" / "bench" / "command.wasm", cache_dir=default_cache_dir())
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "compiled"
        compile_a = _timed(lambda: precompile(wasm, cache))  # the step `reglet-sdk build` adds
        with Host(HostConfig(cache_dir=cache)) as host:
            after_build = _timed(lambda: host.load(wasm))
            assert host.compile_cache is not None and host.compile_cache.hits == 1
            first_b = _timed(lambda: host.load(other))
            assert host.compile_cache.misses == 1  # B compiled in full: nothing of A's is reused

        def cached_load() -> float:
            with Host(HostConfig(cache_dir=cache)) as again:
                return _timed(lambda: again.load(wasm))

        cached = statistics.median(cached_load() for _ in range(5))
    return [
        Row("first load after build (precompiled)", after_build, "load, cached (deserialize)", cached, target=1.5),
        Row(
            "first load of plugin B after plugin A", first_b, "first load (compile) of plugin A", compile_a, target=0.8
        ),
    ]
