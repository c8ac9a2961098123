"""config getters and config.load: types checked, defaults applied, errors name the field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from reglet_sdk import config
from reglet_sdk.errors import ConfigError


def test_getters_return_value_or_none() -> None:
    cfg = {"host": "example.com", "port": 443, "ratio": 0.5, "tls": True, "tags": ["a"], "nothing": None}
    assert config.get_string(cfg, "host") == "example.com"
    assert config.get_int(cfg, "port") == 443
    assert config.get_float(cfg, "ratio") == 0.5 and config.get_float(cfg, "port") == 443.0
    assert config.get_bool(cfg, "tls") is True
    assert config.get_string_list(cfg, "tags") == ["a"]
    assert config.get_string(cfg, "missing") is None and config.get_int(cfg, "nothing") is None


def test_integral_floats_count_as_ints_other_floats_do_not() -> None:
    assert config.get_int({"n": 30.0}, "n") == 30
    with pytest.raises(ConfigError, match=re.escape("'n' must be an integer, not 1.5")):
        config.get_int({"n": 1.5}, "n")


@pytest.mark.parametrize(
    ("getter", "value", "message"),
    [
        (config.get_string, 5, "'k' must be a string, not an integer (5)"),
        (config.get_int, True, "'k' must be an integer, not a boolean (True)"),
        (config.get_int, "5", "'k' must be an integer, not a string ('5')"),
        (config.get_bool, "yes", "'k' must be true or false"),
        (config.get_string_list, ["a", 1], "'k' must be a list of strings"),
    ],
)
def test_wrong_types_are_config_errors_naming_the_field(
    getter: Callable[[dict[str, Any], str], object], value: object, message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        getter({"k": value}, "k")
    assert error.value.field == "k"
    assert error.value.detail.type == "config" and error.value.detail.code == "k"


def test_must_and_default_forms() -> None:
    with pytest.raises(ConfigError, match=re.escape("'port' is required")):
        config.must_get_int({}, "port")
    assert config.must_get_string({"h": "x"}, "h") == "x"
    assert config.get_int_default({}, "timeout", 30) == 30
    assert config.get_int_default({"timeout": 5}, "timeout", 30) == 5
    assert config.get_string_default({}, "protocol", "https") == "https"
    assert config.get_bool_default({"b": False}, "b", True) is False
    assert config.get_string_list_default({}, "l", ["x"]) == ["x"]


@dataclass
class Tls:
    min_version: Literal["1.2", "1.3"] = "1.2"


@dataclass
class Target:
    host: str
    port: int = 443
    tags: list[str] = field(default_factory=list)
    tls: Tls = field(default_factory=Tls)
    timeout_ms: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def test_load_applies_defaults_and_nested_types() -> None:
    loaded = config.load(Target, {"host": "a.com", "tls": {"min_version": "1.3"}, "headers": {"x": "y"}})
    assert loaded == Target(host="a.com", tls=Tls(min_version="1.3"), headers={"x": "y"})
    assert config.load(Target, {"host": "a", "timeout_ms": None}).timeout_ms is None


@pytest.mark.parametrize(
    ("cfg", "field_name", "message"),
    [
        ({}, "host", "is required (str)"),
        ({"host": "a", "prot": 1}, "prot", "did you mean 'port'?"),
        ({"host": "a", "port": "443"}, "port", "must be an integer"),
        ({"host": "a", "tls": {"min_version": "1.1"}}, "tls.min_version", "must be one of '1.2', '1.3'"),
        ({"host": "a", "tags": ["x", 2]}, "tags[1]", "must be a string"),
        ({"host": "a", "tls": {"extra": 1}}, "tls.extra", "is not a field of Tls"),
        ({"host": "a", "headers": {"x": 1}}, "headers.x", "must be a string"),
    ],
)
def test_load_errors_name_the_field_path(cfg: dict[str, object], field_name: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as error:
        config.load(Target, cfg)
    assert error.value.field == field_name


def test_load_refuses_a_non_object() -> None:
    with pytest.raises(ConfigError, match="must be an object"):
        config.load(Target, ["host"])  # type: ignore[arg-type]  # on purpose: the runtime check is under test
