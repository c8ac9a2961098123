"""Reading a plugin's config: safe getters and a typed, validated dataclass loader.

The config a plugin receives is a plain dict of JSON values. Getters come in three forms, as in the
Go SDK: `get_int(cfg, "port")` (None when absent), `must_get_int(cfg, "port")` (ConfigError when
absent) and `get_int_default(cfg, "port", 443)`. A present value of the wrong type is always a
ConfigError naming the field: a silently ignored typo in a compliance check is worse than a failure.

`load(MyConfig, cfg)` builds a dataclass: types checked (nested dataclasses, lists, dicts, Optional,
Literal), defaults applied, unknown keys reported with a suggestion.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from reglet_sdk import _types
from reglet_sdk.errors import ConfigError

T = TypeVar("T")

Config = Mapping[str, Any]


def _present(cfg: Config, key: str) -> bool:
    return key in cfg and cfg[key] is not None


def _expect_string(key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"must be a string, not {_describe(value)}")
    return value


def _expect_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(key, f"must be an integer, not {_describe(value)}")
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise ConfigError(key, f"must be an integer, not {value!r}")
        return int(value)
    return value


def _expect_float(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(key, f"must be a number, not {_describe(value)}")
    return float(value)


def _expect_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(key, f"must be true or false, not {_describe(value)}")
    return value


def _expect_string_list(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(key, f"must be a list of strings, not {_describe(value)}")
    return list(value)


def _describe(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }
    shown = repr(value)
    return f"{names.get(type(value), type(value).__name__)} ({shown if len(shown) < 60 else shown[:57] + '...'})"


def get_string(cfg: Config, key: str) -> str | None:
    """The string at `key`, or None when absent or null."""
    return _expect_string(key, cfg[key]) if _present(cfg, key) else None


def get_int(cfg: Config, key: str) -> int | None:
    """The integer at `key` (an integral float counts), or None when absent or null."""
    return _expect_int(key, cfg[key]) if _present(cfg, key) else None


def get_float(cfg: Config, key: str) -> float | None:
    """The number at `key`, or None when absent or null."""
    return _expect_float(key, cfg[key]) if _present(cfg, key) else None


def get_bool(cfg: Config, key: str) -> bool | None:
    """The boolean at `key`, or None when absent or null."""
    return _expect_bool(key, cfg[key]) if _present(cfg, key) else None


def get_string_list(cfg: Config, key: str) -> list[str] | None:
    """The list of strings at `key`, or None when absent or null."""
    return _expect_string_list(key, cfg[key]) if _present(cfg, key) else None


def _must(key: str, value: T | None, kind: str) -> T:
    if value is None:
        raise ConfigError(key, f"is required ({kind})")
    return value


def must_get_string(cfg: Config, key: str) -> str:
    """The string at `key`; ConfigError when absent."""
    return _must(key, get_string(cfg, key), "a string")


def must_get_int(cfg: Config, key: str) -> int:
    """The integer at `key`; ConfigError when absent."""
    return _must(key, get_int(cfg, key), "an integer")


def must_get_float(cfg: Config, key: str) -> float:
    """The number at `key`; ConfigError when absent."""
    return _must(key, get_float(cfg, key), "a number")


def must_get_bool(cfg: Config, key: str) -> bool:
    """The boolean at `key`; ConfigError when absent."""
    return _must(key, get_bool(cfg, key), "true or false")


def must_get_string_list(cfg: Config, key: str) -> list[str]:
    """The list of strings at `key`; ConfigError when absent."""
    return _must(key, get_string_list(cfg, key), "a list of strings")


def get_string_default(cfg: Config, key: str, default: str) -> str:
    """The string at `key`, or `default` when absent."""
    value = get_string(cfg, key)
    return default if value is None else value


def get_int_default(cfg: Config, key: str, default: int) -> int:
    """The integer at `key`, or `default` when absent."""
    value = get_int(cfg, key)
    return default if value is None else value


def get_float_default(cfg: Config, key: str, default: float) -> float:
    """The number at `key`, or `default` when absent."""
    value = get_float(cfg, key)
    return default if value is None else value


def get_bool_default(cfg: Config, key: str, default: bool) -> bool:
    """The boolean at `key`, or `default` when absent."""
    value = get_bool(cfg, key)
    return default if value is None else value


def get_string_list_default(cfg: Config, key: str, default: list[str]) -> list[str]:
    """The list of strings at `key`, or `default` when absent."""
    value = get_string_list(cfg, key)
    return list(default) if value is None else value


# --- dataclass loading ----------------------------------------------------------------------------


def load(cls: type[T], cfg: Config) -> T:
    """Builds the dataclass `cls` from `cfg`: types checked, defaults applied, unknown keys refused."""
    if not isinstance(cfg, Mapping):
        raise ConfigError("(config)", f"must be an object, not {_describe(cfg)}")
    return _load_dataclass(cls, cfg, "")


def _load_dataclass(cls: type[T], cfg: Mapping[str, Any], prefix: str) -> T:
    specs = _types.fields(cls)
    known = {spec.name for spec in specs}
    unknown = [key for key in cfg if key not in known]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known fields: {', '.join(sorted(known))}"
        raise ConfigError(f"{prefix}{key}", f"is not a field of {cls.__name__}{hint}")
    values: dict[str, Any] = {}
    for spec in specs:
        path = f"{prefix}{spec.name}"
        if spec.name not in cfg:
            if spec.required:
                raise ConfigError(path, f"is required ({_types.type_name(spec.type)})")
            continue
        values[spec.name] = _convert(spec.type, cfg[spec.name], path)
    return cls(**values)


def _convert(tp: Any, value: Any, path: str) -> Any:
    if tp is Any:
        return value
    inner = _types.optional_inner(tp)
    if inner is not None:
        return None if value is None else _convert(inner, value, path)
    allowed = _types.literal_values(tp)
    if allowed is not None:
        if value not in allowed or any(type(value) is not type(a) for a in allowed if a == value):
            raise ConfigError(path, f"must be one of {', '.join(repr(a) for a in allowed)}, not {value!r}")
        return value
    if tp is str:
        return _expect_string(path, value)
    if tp is bool:
        return _expect_bool(path, value)
    if tp is int:
        return _expect_int(path, value)
    if tp is float:
        return _expect_float(path, value)
    item = _types.list_item(tp)
    if item is not None:
        if not isinstance(value, list):
            raise ConfigError(path, f"must be a list, not {_describe(value)}")
        return [_convert(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    entry = _types.dict_value(tp)
    if entry is not None:
        if not isinstance(value, Mapping):
            raise ConfigError(path, f"must be an object, not {_describe(value)}")
        return {k: _convert(entry, v, f"{path}.{k}") for k, v in value.items()}
    if _types.is_dataclass_type(tp):
        if not isinstance(value, Mapping):
            raise ConfigError(path, f"must be an object, not {_describe(value)}")
        return _load_dataclass(tp, value, f"{path}.")
    raise TypeError(f"config field {path!r} has type {_types.type_name(tp)}, which config.load cannot fill")
