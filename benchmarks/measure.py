"""What every benchmark shares: timing by median, one result row, and the report (text or JSON).

A row is a measurement next to a floor timed in the same run on the same machine, so the ratio means
something on any machine; a row may carry the issue's target ratio, and the report says whether it holds.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of `action` over `repeat` runs."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


@dataclass(frozen=True)
class Row:
    """One measurement, the floor it is compared with, and (optionally) the target ratio.

    `unit` is "s" for times (printed in ms) or "MiB"/"x" for sizes and factors. `higher_is_better`
    flips the target's sense (a throughput speed-up must be at least the target, a time at most).
    """

    name: str
    measured: float
    floor_name: str
    floor: float
    unit: str = "s"
    target: float | None = None
    higher_is_better: bool = False

    @property
    def ratio(self) -> float:
        """The measurement divided by the floor (0 when the floor is 0)."""
        return self.measured / self.floor if self.floor else 0.0

    @property
    def meets_target(self) -> bool | None:
        """Whether the ratio is within the target; None when the row has none."""
        if self.target is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target


def _shown(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:>10.3f} ms"
    return f"{value:>10.2f} {unit:<2}"


def format_row(row: Row) -> str:
    """One line of the text report."""
    target = ""
    if row.target is not None:
        sense = ">=" if row.higher_is_better else "<="
        target = f"  target {sense} x{row.target:g}: {'ok' if row.meets_target else 'MISSED'}"
    return (
        f"{row.name:<40}{_shown(row.measured, row.unit)}   {row.floor_name:<36}"
        f"{_shown(row.floor, row.unit)}   x{row.ratio:>8.2f}{target}"
    )


def header() -> str:
    """The text report's column heads."""
    return f"{'benchmark':<40}{'measured':>13}   {'floor':<36}{'floor value':>13}   {'ratio':>9}"


def to_json(rows: Sequence[Row]) -> str:
    """The report for machines: one object per row, with ratio and whether its target holds."""
    return json.dumps([{**asdict(row), "ratio": row.ratio, "meets_target": row.meets_target} for row in rows], indent=2)
