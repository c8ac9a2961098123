"""`make bench`: plugin load (compile vs compilation cache), check latency, and boundary throughput.

Every number is a median of repeated runs on this machine, shown next to a floor measured in the same
run, so the ratio means something on any machine:

- load: first load (compile) vs second load (compiled code from the cache), floor = reading the file;
- check: one check in a fresh sandbox vs the same plugin code called natively in-process;
- transfer: a 12 MiB host answer plus a 12 MiB plugin answer across the boundary vs copying 24 MiB.
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wasmtime import Engine

from reglet_abi.reglet.v1 import CheckRequest, services
from reglet_sdk import plugin
from reglet_sdk.host import Host, HostConfig
from reglet_sdk.host.compile_cache import CompileCache
from reglet_sdk.jsonvalue import to_json_object
from reglet_sdk.log import HostLogHandler
from reglet_sdk.testing.messages import populated, rpc_seed
from reglet_sdk.testing.roundtrip import RecordingHost, instantiate
from reglet_sdk.toolchain import build_plugin, default_cache_dir
from reglet_sdk.toolchain.componentize import TESTING_PARTS, ComponentSpec, build_cached

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / ".cache" / "bench"
CONFIG = {"name": "Ada", "times": 3}


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of `action` over `repeat` runs."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def row(name: str, measured: float, floor_name: str, floor: float) -> None:
    """Prints one benchmark line."""
    print(
        f"{name:<34}{measured * 1000:>10.2f} ms   {floor_name:<30}{floor * 1000:>9.3f} ms   x{measured / floor:>9.1f}"
    )


def bench_load(wasm: Path) -> None:
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
    row("load, first (compile)", first, "read the .wasm file", floor)
    row("load, cached (deserialize)", cached, "read the .wasm file", floor)
    print(f"{'':<34}first load / cached load = x{first / cached:.0f}")


def bench_check(wasm: Path) -> None:
    """One check in a fresh sandbox against the same check run natively."""
    with Host(HostConfig(cache_dir=default_cache_dir().parent / "compiled")) as host:
        loaded = host.load(wasm)
        assert loaded.check(CONFIG).status == "success"
        in_sandbox = median_seconds(lambda: loaded.check(CONFIG), 30)
    sys.path.insert(0, str(REPO / "examples" / "hello"))
    plugin.unregister()
    import plugin as hello_module  # type: ignore[import-not-found]  # examples/hello/plugin.py, registers Hello

    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, HostLogHandler)]  # no host natively
    adapter = plugin.PluginAdapter(hello_module.Hello())
    request = CheckRequest(config=to_json_object(CONFIG))
    native = median_seconds(lambda: adapter.check(request), 30)
    row("check in a fresh sandbox", in_sandbox, "same check natively", native)


def bench_transfer() -> None:
    """Large messages through the WIT boundary in both directions."""
    size = 12 << 20
    wasm = build_cached(
        ComponentSpec(
            app_module="roundtrip_plugin",
            python_paths=(REPO / "examples" / "abi_roundtrip" / "plugin",),
            sdk_parts=TESTING_PARTS,
        ),
        REPO / ".cache" / "components",
    )
    engine = Engine()
    component, _ = CompileCache(REPO / ".cache" / "compiled", "plain-engine").load(engine, wasm.read_bytes())
    method = services.PLUGIN.methods[0]
    request = populated(method.request_type, rpc_seed(method, "request"))

    def round_trip() -> None:
        client = instantiate(
            engine, component, RecordingHost(large_body=size), "large", large_bytes=size, max_response_bytes=2 * size
        )
        response = getattr(client, method.python_name)(request)
        assert len(response.error.stack) == size

    measured = median_seconds(round_trip, 3)
    payload = bytes(2 * size)
    floor = median_seconds(lambda: bytearray(payload), 5)
    row("2 x 12 MiB across the boundary", measured, "copy 24 MiB in Python", floor)


def main() -> int:
    """Runs every benchmark."""
    print("building examples/hello (cached by source hash) ...", flush=True)
    wasm = build_plugin(REPO / "examples" / "hello", OUT / "hello.wasm", cache_dir=default_cache_dir())
    print(f"\n{'benchmark':<34}{'measured':>13}   {'floor':<30}{'floor time':>12}   {'ratio':>10}")
    bench_load(wasm)
    bench_check(wasm)
    bench_transfer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
