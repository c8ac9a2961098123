"""The benchmark report: ratios, targets in both senses, and the JSON form machines read."""

from __future__ import annotations

import json

from benchmarks.measure import Row, format_row, to_json


def test_ratio_and_target_for_a_time() -> None:
    row = Row("check", 0.006, "floor", 0.002, target=2.0)
    assert row.ratio == 3.0
    assert row.meets_target is False
    assert "MISSED" in format_row(row)
    assert Row("check", 0.003, "floor", 0.002, target=2.0).meets_target is True


def test_higher_is_better_flips_the_target() -> None:
    speed_up = Row("throughput", 1.9, "one thread", 1.0, unit="x", target=1.8, higher_is_better=True)
    assert speed_up.meets_target is True
    assert Row("throughput", 1.2, "one thread", 1.0, unit="x", target=1.8, higher_is_better=True).meets_target is False


def test_json_carries_every_field_and_no_target_is_null() -> None:
    rows = json.loads(to_json([Row("size", 19.5, "limit", 20.0, unit="MiB"), Row("zero", 1.0, "none", 0.0)]))
    assert rows[0]["ratio"] == 19.5 / 20.0
    assert rows[0]["meets_target"] is None
    assert rows[0]["unit"] == "MiB"
    assert rows[1]["ratio"] == 0.0
