"""Expected values of conformance cases: literals matched as subsets, and `$` matchers.

The rules (the same in every runner; the Node runner's match.mjs implements them too):
- an object whose keys do not start with `$` matches when every expected key is present in the
  actual object and its value matches (extra actual keys are allowed);
- an array matches an array of the same length, element by element;
- numbers match by value (2 matches 2.0: a JSON document does not keep the difference in every
  language), booleans only booleans, other scalars exactly;
- a literal key that starts with `$` is written `$$` (`$$schema` matches the key `$schema`);
- an object whose keys all start with a single `$` is a matcher; its conditions must all hold: `$any`,
  `$type`, `$regex` (a search), `$contains` / `$not_contains` (substrings), `$min` / `$max`, `$len`
  (of a string, array or object), `$exact` (an object with exactly these keys), `$absent` (the key
  is missing; only as a value inside an object), `$all` (a list of matchers).
"""

from __future__ import annotations

import re
from typing import Any

ABSENT = object()
"""Stands for a key missing from the actual object."""

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def is_matcher(expected: object) -> bool:
    """Whether `expected` is a `$` matcher object."""
    return (
        isinstance(expected, dict)
        and bool(expected)
        and all(str(key).startswith("$") and not str(key).startswith("$$") for key in expected)
    )


def literal_key(key: str) -> str:
    """The actual key an expected literal key stands for (`$$schema` is `$schema`)."""
    return key[1:] if key.startswith("$$") else key


def type_name(value: object) -> str:
    """The JSON type of a value."""
    if value is ABSENT:
        return "absent"
    for name, types in _TYPES.items():
        if isinstance(value, types) and not (name in ("integer", "number") and isinstance(value, bool)):
            if name == "number" and isinstance(value, float) and value.is_integer():
                return "number"
            return name
    return type(value).__name__


def _has_type(value: object, wanted: str) -> bool:
    if isinstance(value, bool):
        return wanted == "boolean"
    if wanted == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, _TYPES[wanted])


def _show(value: object) -> str:
    text = "<absent>" if value is ABSENT else repr(value)
    return text if len(text) <= 300 else text[:300] + "..."


def _matcher_problems(expected: dict[str, Any], actual: Any, path: str) -> list[str]:
    problems: list[str] = []
    if "$absent" in expected:
        return [] if actual is ABSENT else [f"{path}: expected to be absent, got {_show(actual)}"]
    if actual is ABSENT:
        return [f"{path}: missing (expected {_show(expected)})"]
    for key, wanted in expected.items():
        if key == "$any":
            continue
        if key == "$type" and not _has_type(actual, wanted):
            problems.append(f"{path}: expected a {wanted}, got {type_name(actual)} {_show(actual)}")
        elif key in ("$regex", "$contains", "$not_contains") and not isinstance(actual, str):
            problems.append(f"{path}: expected a string for {key}, got {type_name(actual)} {_show(actual)}")
        elif key == "$regex" and re.search(wanted, actual) is None:
            problems.append(f"{path}: {_show(actual)} does not match /{wanted}/")
        elif key == "$contains" and wanted not in actual:
            problems.append(f"{path}: {_show(actual)} does not contain {wanted!r}")
        elif key == "$not_contains" and wanted in actual:
            problems.append(f"{path}: {_show(actual)} contains {wanted!r}")
        elif key in ("$min", "$max"):
            problems += _bound(key, wanted, actual, path)
        elif key == "$len":
            if not isinstance(actual, str | list | dict) or len(actual) != wanted:
                problems.append(f"{path}: expected length {wanted}, got {_show(actual)}")
        elif key == "$exact":
            problems += mismatches(wanted, actual, path)
            extra = set(actual) - {literal_key(k) for k in wanted} if isinstance(actual, dict) else set()
            if extra:
                problems.append(f"{path}: unexpected keys {sorted(extra)}")
        elif key == "$all":
            for item in wanted:
                problems += mismatches(item, actual, path)
    return problems


def _bound(key: str, wanted: float, actual: Any, path: str) -> list[str]:
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return [f"{path}: expected a number for {key}, got {type_name(actual)} {_show(actual)}"]
    if (key == "$min" and actual < wanted) or (key == "$max" and actual > wanted):
        return [f"{path}: {actual} is {'below' if key == '$min' else 'above'} {wanted}"]
    return []


def mismatches(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Every way `actual` fails to match `expected` (empty when it matches)."""
    if is_matcher(expected):
        return _matcher_problems(expected, actual, path)
    if actual is ABSENT:
        return [f"{path}: missing (expected {_show(expected)})"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {type_name(actual)} {_show(actual)}"]
        problems: list[str] = []
        for key, wanted in expected.items():
            name = literal_key(key)
            problems += mismatches(wanted, actual.get(name, ABSENT), f"{path}.{name}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {_show(expected)}, got {_show(actual)}"]
        return [problem for i, item in enumerate(expected) for problem in mismatches(item, actual[i], f"{path}[{i}]")]
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None:
        same = type(expected) is type(actual) and expected == actual
    elif isinstance(expected, int | float) and isinstance(actual, int | float):
        same = expected == actual
    else:
        same = type(expected) is type(actual) and expected == actual
    return [] if same else [f"{path}: expected {_show(expected)}, got {_show(actual)}"]
