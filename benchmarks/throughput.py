"""Checks per second of examples/hello on 2 threads of one Host and on a HostPool of 2 processes.

Both are speed-ups over 1 thread on one Host (the floor, shown with its checks per second), measured in
rounds that alternate the three set-ups, so a change in the machine's load hits all of them alike; each
speed-up is the median over the rounds of that round's ratio. The machine's load average is printed with the rows: on a
machine shared with other work, every speed-up is depressed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.measure import Row
from reglet_sdk.host import Host, HostConfig, HostPool, LoadedPlugin, PooledPlugin
from reglet_sdk.toolchain import default_cache_dir

CONFIG = {"name": "Ada", "times": 3}
CHECKS = 40
"""Checks per measurement (about a third of a second of work on one quiet core)."""
ROUNDS = 5
TARGET = 1.8


def checks_per_second(plugin: LoadedPlugin | PooledPlugin, threads: int, checks: int = CHECKS) -> float:
    """Runs `checks` checks from `threads` threads; checks per second of wall time."""
    with ThreadPoolExecutor(threads) as executor:
        started = time.perf_counter()
        results = list(executor.map(lambda _: plugin.check(CONFIG), range(checks)))
        elapsed = time.perf_counter() - started
    assert all(result.status == "success" for result in results), results[0]
    return checks / elapsed


def bench_throughput(wasm: Path) -> list[Row]:
    """The speed-ups of 2 threads on one Host and of a 2-process HostPool over 1 thread on one Host."""
    config = HostConfig(cache_dir=default_cache_dir().parent / "compiled")
    rates: dict[str, list[float]] = {"one": [], "two": [], "pool": []}
    with Host(config) as host, HostPool(config, processes=2) as pool:
        plugin, pooled = host.load(wasm), pool.load(wasm)
        checks_per_second(plugin, 2, 8)  # warm-up; the pool's second worker loads the plugin here
        checks_per_second(pooled, 2, 8)
        for _ in range(ROUNDS):
            rates["one"].append(checks_per_second(plugin, 1))
            rates["two"].append(checks_per_second(plugin, 2))
            rates["pool"].append(checks_per_second(pooled, 2))
    one, two, pooled_rate = (statistics.median(rates[key]) for key in ("one", "two", "pool"))
    threads_up, pool_up = (
        statistics.median(r / floor for r, floor in zip(rates[key], rates["one"], strict=True))
        for key in ("two", "pool")
    )
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"throughput: 1 thread {one:.1f}, 2 threads {two:.1f}, pool of 2 {pooled_rate:.1f} checks/s "
        f"on {os.cpu_count()} cores, load average {load}",
        file=sys.stderr,
    )
    floor = f"1 thread, one Host ({one:.0f} checks/s)"
    return [
        Row("throughput, 2 threads on one Host", threads_up, floor, 1.0, unit="x", higher_is_better=True),
        Row(
            "throughput, HostPool of 2 processes",
            pool_up,
            floor,
            1.0,
            unit="x",
            target=TARGET,
            higher_is_better=True,
        ),
    ]
