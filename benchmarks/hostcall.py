"""Host calls timed inside one component: the typed stub and the SDK wrapper against the raw call.

The plugin (benchmarks/plugins/hostcalls) loops `fs-stat` calls three ways, interleaved, and reports
each kind's median with the guest's clock; so all three rows come from the same run under the same
load. The floor is the raw transport call with the request encoded beforehand: the WIT crossing plus
the host's own work (decode, grant check, lstat, encode), which the typed layers cannot avoid.

A fourth row splits a fresh-sandbox check of examples/hello into the host's share and the time
inside the export call (the component's work; instantiation is the host's), the floor the host adds to.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.measure import Row, median_seconds
from reglet_sdk.host import Host, HostConfig, runtime
from reglet_sdk.toolchain import build_plugin, default_cache_dir

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "benchmarks" / "plugins" / "hostcalls"
OUT = REPO / ".cache" / "bench"
CALLS = 300


def bench_hostcall(hello: Path) -> list[Row]:
    """Typed stub and wrapper host calls vs the raw call; the host's share of a hello check."""
    wasm = build_plugin(PLUGIN, OUT / "hostcalls.wasm", cache_dir=default_cache_dir())
    target = str(PLUGIN / "plugin.py")
    with Host(HostConfig(cache_dir=default_cache_dir().parent / "compiled", timeout=120)) as host:
        loaded = host.load(wasm, grants=[f"fs:read:{PLUGIN}/**"])
        result = loaded.check({"path": target, "calls": CALLS})
        assert result.status == "success", result
        data: dict[str, Any] = dict(result.data or {})
        host_share, export = _host_share(host, hello)
    raw = data["raw"] / 1e9
    return [
        Row("typed stub host call", data["typed"] / 1e9, "raw transport call, pre-encoded", raw, target=1.3),
        Row(
            "wrapper host call (reglet_sdk.fs.stat)",
            data["wrapper"] / 1e9,
            "raw transport call, pre-encoded",
            raw,
            target=1.6,
        ),
        Row("hello check: all but the export call", host_share, "hello check: inside the export call", export),
    ]


def _host_share(host: Host, hello: Path) -> tuple[float, float]:
    """Median (whole check - time inside the export call) and median time inside it, for examples/hello."""
    loaded = host.load(hello)
    inside: list[float] = []
    original: Callable[..., bytes] = vars(runtime)["call_export_raw"]

    def timed(*args: Any) -> bytes:
        started = time.perf_counter()
        try:
            return original(*args)
        finally:
            inside.append(time.perf_counter() - started)

    config = {"name": "Ada", "times": 3}
    with mock.patch.object(runtime, "call_export_raw", timed):  # the runtime calls the export through it
        loaded.check(config)
        inside.clear()
        totals = [median_seconds(lambda: loaded.check(config), 1) for _ in range(30)]
    shares = sorted(total - export for total, export in zip(totals, inside, strict=True))
    return shares[len(shares) // 2], sorted(inside)[len(inside) // 2]
