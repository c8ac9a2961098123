"""Hypothesis strategies for ABI messages and JSON values (needs `hypothesis`, a test dependency).

`messages(ExecRequest)` draws arbitrary valid instances of any generated message class, derived from
the class itself, so a field added to a .proto file is covered without anyone writing a strategy.
"""

from __future__ import annotations

import datetime
from typing import Any, TypeVar

import betterproto2
from hypothesis import strategies as st

from reglet_abi._rpc import FieldInfo, message_fields
from reglet_sdk.jsonvalue import JSON
from reglet_sdk.testing.messages import INT_RANGES

M = TypeVar("M", bound=betterproto2.Message)

_UTC_TIMES = st.datetimes(
    min_value=datetime.datetime(1, 1, 1, 0, 0, 0),
    max_value=datetime.datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.just(datetime.UTC),
)
_DURATIONS = st.timedeltas(min_value=datetime.timedelta(days=-3_650_000), max_value=datetime.timedelta(days=3_650_000))


def _scalar(proto_type: str, value_class: type | None, depth: int, max_depth: int) -> st.SearchStrategy[Any]:
    if proto_type in INT_RANGES:
        low, high = INT_RANGES[proto_type]
        return st.integers(low, high)
    if proto_type == betterproto2.TYPE_BOOL:
        return st.booleans()
    if proto_type == betterproto2.TYPE_FLOAT:
        return st.floats(width=32, allow_nan=False)
    if proto_type == betterproto2.TYPE_DOUBLE:
        return st.floats(allow_nan=False)
    if proto_type == betterproto2.TYPE_STRING:
        return st.text()
    if proto_type == betterproto2.TYPE_BYTES:
        return st.binary()
    if proto_type == betterproto2.TYPE_ENUM:
        assert value_class is not None
        return st.sampled_from(list(value_class))  # type: ignore[call-overload]
    if proto_type == betterproto2.TYPE_MESSAGE:
        if value_class is datetime.datetime:
            return _UTC_TIMES
        if value_class is datetime.timedelta:
            return _DURATIONS
        assert value_class is not None
        return messages(value_class, depth=depth + 1, max_depth=max_depth)
    raise TypeError(f"unsupported proto type {proto_type!r}")


def _field(info: FieldInfo, depth: int, max_depth: int) -> st.SearchStrategy[Any]:
    if info.proto_type == betterproto2.TYPE_MAP:
        assert info.map_key_type is not None and info.map_value_type is not None
        return st.dictionaries(
            _scalar(info.map_key_type, None, depth, max_depth),
            _scalar(info.map_value_type, info.value_class, depth, max_depth),
            max_size=3,
        )
    item = _scalar(info.proto_type, info.value_class, depth, max_depth)
    return st.lists(item, max_size=3) if info.repeated else item


def messages(cls: type[M], *, depth: int = 0, max_depth: int = 3) -> st.SearchStrategy[M]:
    """Arbitrary instances of `cls`: any subset of fields set, at most one member per oneof."""
    fields = message_fields(cls)
    deep = depth >= max_depth
    plain = {
        f.name: _field(f, depth, max_depth)
        for f in fields
        if f.group is None and not (deep and f.proto_type == betterproto2.TYPE_MESSAGE)
    }
    groups: dict[str, list[FieldInfo]] = {}
    for f in fields:
        if f.group is not None and not (deep and f.proto_type == betterproto2.TYPE_MESSAGE):
            groups.setdefault(f.group, []).append(f)

    @st.composite
    def build(draw: st.DrawFn) -> M:
        values = {name: draw(strategy) for name, strategy in plain.items() if draw(st.booleans())}
        for members in groups.values():
            chosen = draw(st.sampled_from([None, *members]))
            if chosen is not None:
                values[chosen.name] = draw(_field(chosen, depth, max_depth))
        return cls(**values)

    return build()


def json_values(max_leaves: int = 20) -> st.SearchStrategy[JSON]:
    """Arbitrary JSON values, with integers of any size and floats including infinities."""
    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
        max_leaves=max_leaves,
    )
