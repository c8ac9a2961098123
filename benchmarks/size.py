"""Component size: examples/hello and a plugin that does nothing, against the issue's 20 MiB limit.

Almost all of a component is CPython's libpython (~6 MiB of code) and the memory snapshot taken after
pre-initialisation (every module imported at build time); the do-nothing plugin shows the SDK's share.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.fixed_cost import EMPTY, OUT
from benchmarks.measure import Row
from reglet_sdk.toolchain import build_plugin, default_cache_dir

LIMIT_MIB = 20.0


def bench_size(hello: Path) -> list[Row]:
    """The size of each component in MiB next to the limit (target: at most the limit)."""
    empty = build_plugin(EMPTY, OUT / "empty.wasm", cache_dir=default_cache_dir())
    limit = f"limit ({LIMIT_MIB:g} MiB)"
    return [
        Row("hello component size", hello.stat().st_size / 2**20, limit, LIMIT_MIB, unit="MiB", target=1.0),
        Row("do-nothing component size", empty.stat().st_size / 2**20, limit, LIMIT_MIB, unit="MiB", target=1.0),
    ]
