"""Large messages through the WIT boundary in both directions, floor = copying the bytes in Python."""

from __future__ import annotations

from pathlib import Path

from wasmtime import Engine

from benchmarks.measure import Row, median_seconds
from reglet_abi.reglet.v1 import services
from reglet_sdk.host.compile_cache import CompileCache
from reglet_sdk.testing.messages import populated, rpc_seed
from reglet_sdk.testing.roundtrip import RecordingHost, instantiate
from reglet_sdk.toolchain.componentize import TESTING_PARTS, ComponentSpec, build_cached

REPO = Path(__file__).resolve().parent.parent


def bench_transfer() -> list[Row]:
    """A 12 MiB host answer plus a 12 MiB plugin answer vs copying 24 MiB."""
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
    return [Row("2 x 12 MiB across the boundary", measured, "copy 24 MiB in Python", floor)]
