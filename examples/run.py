"""`make run`: builds the example plugins and runs them in the reference host.

Builds examples/hello with `reglet-sdk build` (cached by source hash), runs a few checks against it
(a pass, a fail and a config error, each in a fresh sandbox) and then the ABI round trip of
examples/abi_roundtrip. Exit status 0 when every outcome is the expected one.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from reglet_sdk.build import build_plugin, default_cache_dir
from reglet_sdk.host import Host

EXAMPLES = Path(__file__).resolve().parent
OUT = EXAMPLES.parent / ".cache" / "examples"

CHECKS: list[tuple[str, dict[str, object], str]] = [
    ("greet Ada twice", {"name": "Ada", "times": 2}, "success"),
    ("require a capital", {"name": "ada", "require_name_capitalised": True}, "failure"),
    ("misspelt config key", {"nmae": "Ada"}, "error"),
]


def main() -> int:
    """Builds, runs, reports; returns the exit status."""
    started = time.monotonic()
    print("building examples/hello ...", flush=True)
    wasm = build_plugin(EXAMPLES / "hello", OUT / "hello.wasm", cache_dir=default_cache_dir())
    size_mib = wasm.stat().st_size / 2**20
    print(f"  {wasm.relative_to(EXAMPLES.parent)} ({size_mib:.1f} MiB, {time.monotonic() - started:.1f} s)")
    ok = True
    with Host() as host:
        plugin = host.load(wasm)
        print(f"  loaded {plugin.name} ({'compiled code from cache' if plugin.from_cache else 'compiled now'})\n")
        print(f"{'check':<22}{'expected':<10}{'got':<10}message")
        for label, config, expected in CHECKS:
            result = plugin.check(config)
            ok = ok and result.status == expected
            print(f"{label:<22}{expected:<10}{result.status:<10}{result.message}")
    print()
    sys.path.insert(0, str(EXAMPLES / "abi_roundtrip"))
    from roundtrip_report import main as roundtrip  # type: ignore[import-not-found]  # on sys.path above

    ok = roundtrip() == 0 and ok
    print("\nall examples behaved as expected" if ok else "\nSOME EXAMPLES DID NOT BEHAVE AS EXPECTED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
