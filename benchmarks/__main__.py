"""`make bench`: every benchmark as measured / floor / ratio, the floor timed in the same run.

    python -m benchmarks [--json] [--only NAME ...]

Suites (one module each, so each concern has one home):

- load: first load (compile) vs a load from the compilation cache, floor = reading the file;
- check: one check in a fresh sandbox vs the same plugin code called natively in-process;
- transfer: a 12 MiB host answer plus a 12 MiB plugin answer across the boundary vs copying 24 MiB;
- cli: a warm `reglet-sdk check` (new process, compiled code cached) vs `python -c "import wasmtime"`;
- first_load: the first load after `reglet-sdk build` precompiled, and a second plugin's first load;
- fixed_cost: a do-nothing check and examples/hello's check vs a bare Store + instantiate;
- size: the hello and do-nothing components vs the 20 MiB limit;
- throughput: checks per second on 2 threads of one Host and on a 2-process HostPool vs 1 thread;
- hostcall: typed-stub and SDK-wrapper host calls vs the raw call, timed inside one component, and
  the host's share of a fresh-sandbox check.

`--json` prints the rows for machines (name, measured, floor, ratio, target, meets_target) instead of
the table; the exit status is 0 either way (a missed target is a finding, not a crash).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.check import bench_check
from benchmarks.cli import bench_cli
from benchmarks.first_load import bench_first_load
from benchmarks.fixed_cost import bench_fixed_cost
from benchmarks.hostcall import bench_hostcall
from benchmarks.load import bench_load
from benchmarks.measure import Row, format_row, header, to_json
from benchmarks.size import bench_size
from benchmarks.throughput import bench_throughput
from benchmarks.transfer import bench_transfer
from reglet_sdk.toolchain import build_plugin, default_cache_dir

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / ".cache" / "bench"

Suite = Callable[[Path], list[Row]]
SUITES: dict[str, Suite] = {
    "load": bench_load,
    "check": bench_check,
    "transfer": lambda _hello: bench_transfer(),
    "cli": bench_cli,
    "first_load": bench_first_load,
    "fixed_cost": bench_fixed_cost,
    "size": bench_size,
    "throughput": bench_throughput,
    "hostcall": bench_hostcall,
}


def main(argv: list[str] | None = None) -> int:
    """Runs the chosen suites (all by default) and prints the report."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    parser.add_argument("--only", action="append", choices=sorted(SUITES), help="run only this suite (repeatable)")
    args = parser.parse_args(argv)
    log = sys.stderr if args.json else sys.stdout
    print("building examples/hello (cached by source hash) ...", file=log, flush=True)
    hello = build_plugin(REPO / "examples" / "hello", OUT / "hello.wasm", cache_dir=default_cache_dir())
    rows: list[Row] = []
    if not args.json:
        print("\n" + header())
    for name in args.only or list(SUITES):
        suite_rows = SUITES[name](hello)
        rows.extend(suite_rows)
        if not args.json:
            for row in suite_rows:
                print(format_row(row), flush=True)
    if args.json:
        print(to_json(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
