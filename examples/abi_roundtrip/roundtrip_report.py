"""Builds the ABI round-trip plugin and drives every rpc through wasmtime, showing what crossed.

Run it with `python examples/abi_roundtrip/roundtrip_report.py` (`make run` runs it too). Exit status
0 when every Plugin rpc and every Host rpc carried every field intact in both directions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wasmtime import Engine
from wasmtime.component import Component

from reglet_abi.reglet.v1 import services
from reglet_sdk.testing.roundtrip import round_trip
from reglet_sdk.toolchain.componentize import TESTING_PARTS, ComponentSpec, build_cached

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent.parent / ".cache" / "components"


def main() -> int:
    """Builds, runs and reports; returns the exit status."""
    print("building the round-trip plugin with componentize-py (cached by source hash)...", flush=True)
    wasm = build_cached(
        ComponentSpec(app_module="roundtrip_plugin", python_paths=(HERE / "plugin",), sdk_parts=TESTING_PARTS), CACHE
    )
    print(f"  {wasm.relative_to(HERE.parent.parent)} ({wasm.stat().st_size / 2**20:.1f} MiB)")
    print("compiling it with wasmtime...", flush=True)
    engine = Engine()
    component = Component.from_file(engine, str(wasm))
    host_rpcs = ", ".join(m.name for m in services.HOST.methods)
    print(f"\neach Plugin rpc below also made every Host rpc from inside the guest: {host_rpcs}\n")
    print(f"{'plugin rpc':<18}{'request':>10}{'response':>10}  {'plugin side':<12}{'host side':<10}")
    ok = True
    for method in services.PLUGIN.methods:
        outcome = round_trip(engine, component, method)
        ok = ok and outcome.response_equal and outcome.host_requests_equal
        plugin_side = "equal" if outcome.response_equal else "DIFFERENT"
        host_side = "equal" if outcome.host_requests_equal else "DIFFERENT"
        print(
            f"{'Plugin.' + method.name:<18}{outcome.request_bytes:>8} B{outcome.response_bytes:>8} B  "
            f"{plugin_side:<12}{host_side:<10}"
        )
        if outcome.error:
            print(f"  guest reported: {outcome.error}")
    print("\nevery field of every message crossed intact" if ok else "\nthe round trip FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
