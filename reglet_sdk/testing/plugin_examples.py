"""Example-based tests: run the examples a plugin declares in plugin.yaml and judge each outcome.

An example names a config and what the check must answer: a status, a subset of the data (every
given key must be present with an equal value; nested objects compared the same way) and, for
errors, the ErrorDetail type and code. `reglet-sdk test PLUGIN_DIR` builds the plugin and runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reglet_abi.reglet.v1 import PluginExample
from reglet_sdk.jsonvalue import from_json_object
from reglet_sdk.results import Result


@dataclass(frozen=True)
class ExampleOutcome:
    """How one example went."""

    name: str
    passed: bool
    problems: tuple[str, ...]
    result: Result


def data_mismatches(expected: Mapping[str, Any], actual: Mapping[str, Any], path: str = "data") -> list[str]:
    """Where `actual` differs from the expected subset."""
    problems = []
    for key, want in expected.items():
        where = f"{path}.{key}"
        if key not in actual:
            problems.append(f"{where} is missing")
        elif isinstance(want, Mapping) and isinstance(actual[key], Mapping):
            problems += data_mismatches(want, actual[key], where)
        elif actual[key] != want or type(actual[key]) is not type(want):
            problems.append(f"{where} is {actual[key]!r}, expected {want!r}")
    return problems


def judge(example: PluginExample, result: Result) -> ExampleOutcome:
    """Compares one result with its example's expectations."""
    problems = []
    if result.status != example.expect_status:
        detail = f" ({result.error})" if result.error is not None else f" ({result.message})"
        problems.append(f"status is {result.status}, expected {example.expect_status}{detail}")
    problems += data_mismatches(from_json_object(example.expect_data), result.data)
    error = result.error
    if example.expect_error_type and (error is None or error.type != example.expect_error_type):
        problems.append(f"error type is {error.type if error else None!r}, expected {example.expect_error_type!r}")
    if example.expect_error_code and (error is None or error.code != example.expect_error_code):
        problems.append(f"error code is {error.code if error else None!r}, expected {example.expect_error_code!r}")
    return ExampleOutcome(example.name, not problems, tuple(problems), result)


def run_examples(
    examples: tuple[PluginExample, ...] | list[PluginExample], check: Callable[[dict[str, Any]], Result]
) -> list[ExampleOutcome]:
    """Runs every example with `check` (a component's or a native plugin's) and judges it."""
    return [judge(example, check(from_json_object(example.config))) for example in examples]
