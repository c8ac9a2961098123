"""First load (compile) against a load from the compilation cache, floor = reading the file."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.measure import Row, median_seconds
from reglet_sdk.host import Host, HostConfig


def bench_load(wasm: Path) -> list[Row]:
    """First load (compile) and cached load (deserialize) of the same component."""
    with tempfile.TemporaryDirectory() as cache:
        with Host(HostConfig(cache_dir=Path(cache))) as host:
            started = time.perf_counter()
            host.load(wasm)
            first = time.perf_counter() - started

        def cached_load() -> None:
            with Host(HostConfig(cache_dir=Path(cache))) as again:
                assert again.load(wasm).from_cache

        cached = median_seconds(cached_load, 5)
    floor = median_seconds(wasm.read_bytes, 5)
    return [
        Row("load, first (compile)", first, "read the .wasm file", floor),
        Row("load, cached (deserialize)", cached, "read the .wasm file", floor),
        Row("load, first vs cached", first, "load, cached", cached),
    ]
