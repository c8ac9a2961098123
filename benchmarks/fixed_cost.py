"""The fixed cost of a check in a fresh sandbox, against a bare instantiation of the same component.

Floor: a Store with WASI and a memory limit, and `instantiate` of the component, with a linker that
has the host imports bound once (no call). Measured: `LoadedPlugin.check` of a plugin whose check does
nothing (benchmarks/plugins/empty), and of examples/hello. The three are timed interleaved, sample by
sample, so a burst of load from other processes inflates all three alike and the ratios stay honest.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from wasmtime import Store, WasiConfig
from wasmtime.component import Component, Linker

from benchmarks.measure import Row
from reglet_abi.reglet.v1.host import add_host_to_linker
from reglet_sdk.host import Host, HostConfig
from reglet_sdk.host.handlers import CallHandlers
from reglet_sdk.host.runtime import LoadedPlugin
from reglet_sdk.toolchain import build_plugin, default_cache_dir

REPO = Path(__file__).resolve().parent.parent
EMPTY = REPO / "benchmarks" / "plugins" / "empty"
OUT = REPO / ".cache" / "bench"
HELLO_CONFIG: dict[str, object] = {"name": "Ada", "times": 3}
SAMPLES = 60


def interleaved_medians(
    actions: Mapping[str, Callable[[], object]], samples: int
) -> tuple[dict[str, float], dict[str, float]]:
    """The median wall time and the median process CPU time of each action, taking turns sample by sample.

    CPU time (all threads of this process: the host's call thread included) is what the sandbox costs
    this machine; on a machine shared with other work it is inflated far less than wall time.
    """
    wall: dict[str, list[float]] = {name: [] for name in actions}
    cpu: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(samples):
        for name, action in actions.items():
            cpu_started, started = time.process_time(), time.perf_counter()
            action()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)
    return (
        {name: statistics.median(values) for name, values in wall.items()},
        {name: statistics.median(values) for name, values in cpu.items()},
    )


def bare_instantiation(host: Host, component: Component) -> Callable[[], None]:
    """The floor: a fresh Store (WASI, memory limit, deadline) and an instance, with a linker built once."""
    linker = Linker(host.engine)
    linker.add_wasip2()
    add_host_to_linker(linker, CallHandlers("floor", "", lambda _record: None))

    def instantiate() -> None:
        store = Store(host.engine)
        store.set_limits(memory_size=host.config.memory_limit_mib << 20)
        store.set_epoch_deadline(1 << 20)
        store.set_wasi(WasiConfig())
        linker.instantiate(store, component)
        store.close()

    return instantiate


def _checked(plugin: LoadedPlugin, config: dict[str, object]) -> Callable[[], None]:
    def check() -> None:
        result = plugin.check(config)
        if result.status != "success":  # a broken benchmark must not report a fast failure
            raise AssertionError(f"{plugin.name}: {result!r}")

    return check


def bench_fixed_cost(hello: Path) -> list[Row]:
    """A do-nothing check and examples/hello's check, each against the bare instantiation."""
    empty = build_plugin(EMPTY, OUT / "empty.wasm", cache_dir=default_cache_dir())
    with Host(HostConfig(cache_dir=default_cache_dir().parent / "compiled")) as host:
        empty_plugin, hello_plugin = host.load(empty), host.load(hello)
        actions = {
            "floor": bare_instantiation(host, empty_plugin.component),
            "empty": _checked(empty_plugin, {}),
            "hello": _checked(hello_plugin, HELLO_CONFIG),
        }
        for action in actions.values():  # first calls fill the host's own caches
            action()
        wall, cpu = interleaved_medians(actions, SAMPLES)
    floor_name = "bare Store + instantiate"
    return [
        Row("check doing nothing, fresh sandbox", wall["empty"], floor_name, wall["floor"], target=2.0),
        Row("examples/hello check, fresh sandbox", wall["hello"], floor_name, wall["floor"], target=3.0),
        Row("check doing nothing, CPU time", cpu["empty"], f"{floor_name}, CPU time", cpu["floor"], target=2.0),
        Row("examples/hello check, CPU time", cpu["hello"], f"{floor_name}, CPU time", cpu["floor"], target=3.0),
    ]
