"""Host calls timed inside one component: the typed stub and the SDK wrapper against the raw call.

The plugin (benchmarks/plugins/hostcalls) loops `fs-stat` calls three ways, interleaved, and reports
each kind's median with the guest's clock; so all three rows come from the same run under the same
load. The floor is the raw transport call with the request encoded beforehand: the WIT crossing plus
the host's own work (decode, grant check, lstat, encode), which the typed layers cannot avoid.

A third row splits the CPU time of a fresh-sandbox check of examples/hello into the host's share
(instantiation included) and the time inside the export call, the component's own work.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.measure import Row
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
        Row("hello check: host CPU", host_share, "hello check: CPU inside the export call", export),
    ]


def _cpu_timed(function: Callable[..., Any], sink: list[float]) -> Callable[..., Any]:
    """`function`, appending the CPU time of the thread that runs it to `sink` on each call."""

    def timed(*args: Any) -> Any:
        started = time.thread_time()
        try:
            return function(*args)
        finally:
            sink.append(time.thread_time() - started)

    return timed


def _host_share(host: Host, hello: Path) -> tuple[float, float]:
    """Medians of the host's CPU time in a hello check and of the CPU time inside the export call.

    CPU time of the threads involved (the caller's, the call worker's), not wall time, so the split
    holds on a loaded machine: host = caller + worker - export call; the export call is the component's
    own work (instantiation counts as the host's).
    """
    loaded = host.load(hello)
    inside: list[float] = []
    worker: list[float] = []
    caller: list[float] = []
    config = {"name": "Ada", "times": 3}
    check = _cpu_timed(loaded.check, caller)
    with (  # the runtime calls the export through call_export_raw, on the worker that runs Host._call
        mock.patch.object(runtime, "call_export_raw", _cpu_timed(vars(runtime)["call_export_raw"], inside)),
        mock.patch.object(Host, "_call", _cpu_timed(Host._call, worker)),
    ):
        loaded.check(config)
        inside.clear()
        worker.clear()
        for _ in range(30):
            check(config)
    host_cpu = sorted(c + w - e for c, w, e in zip(caller, worker, inside, strict=True))
    return host_cpu[len(host_cpu) // 2], sorted(inside)[len(inside) // 2]
