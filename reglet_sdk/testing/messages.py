"""Deterministic, fully populated ABI messages, derived from the message classes themselves.

`populated(ExecRequest, "seed")` sets every field of the message (and, recursively, of the messages
it contains) to a non-default value computed from the seed, so guest and host can each build the same
message independently and compare what crossed the boundary. It is pure Python with no test-only
dependencies, so it also runs inside a plugin component.
"""

from __future__ import annotations

import datetime
import zlib
from typing import Any, TypeVar

import betterproto2

from reglet_abi._rpc import FieldInfo, RpcMethod, message_fields

M = TypeVar("M", bound=betterproto2.Message)

INT_RANGES: dict[str, tuple[int, int]] = {
    betterproto2.TYPE_INT32: (-(2**31), 2**31 - 1),
    betterproto2.TYPE_SINT32: (-(2**31), 2**31 - 1),
    betterproto2.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    betterproto2.TYPE_UINT32: (0, 2**32 - 1),
    betterproto2.TYPE_FIXED32: (0, 2**32 - 1),
    betterproto2.TYPE_INT64: (-(2**63), 2**63 - 1),
    betterproto2.TYPE_SINT64: (-(2**63), 2**63 - 1),
    betterproto2.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    betterproto2.TYPE_UINT64: (0, 2**64 - 1),
    betterproto2.TYPE_FIXED64: (0, 2**64 - 1),
}
"""Value range of every protobuf integer type."""


def _number(seed: str, low: int, high: int) -> int:
    """A deterministic value in [low, high], never 0 when the range allows another value."""
    span = high - low + 1
    value = low + (zlib.crc32(seed.encode()) * 2654435761 + zlib.adler32(seed.encode())) % span
    return value if value != 0 or high == 0 else 1


def _scalar(proto_type: str, value_class: type | None, seed: str, depth: int, max_depth: int) -> Any:
    if proto_type in INT_RANGES:
        return _number(seed, *INT_RANGES[proto_type])
    if proto_type == betterproto2.TYPE_BOOL:
        return True
    if proto_type in (betterproto2.TYPE_FLOAT, betterproto2.TYPE_DOUBLE):
        return _number(seed, 1, 1 << 20) + 0.5  # exactly representable as float32 too
    if proto_type == betterproto2.TYPE_STRING:
        return f"{seed}·✓"
    if proto_type == betterproto2.TYPE_BYTES:
        return seed.encode() + b"\x00\xff"
    if proto_type == betterproto2.TYPE_ENUM:
        assert value_class is not None
        members = [m for m in value_class if m.value != 0]  # type: ignore[attr-defined]
        return members[_number(seed, 0, len(members) - 1)] if members else value_class(0)
    if proto_type == betterproto2.TYPE_MESSAGE:
        assert value_class is not None
        if value_class is datetime.datetime:
            epoch = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
            return epoch + datetime.timedelta(microseconds=_number(seed, 1, 10**15))
        if value_class is datetime.timedelta:
            return datetime.timedelta(microseconds=_number(seed, 1, 10**12))
        return populated(value_class, seed, depth=depth + 1, max_depth=max_depth)
    raise TypeError(f"unsupported proto type {proto_type!r}")


_UNWRAPPED = (datetime.datetime, datetime.timedelta)


def pattern_bytes(size: int) -> bytes:
    """`size` bytes of a fixed pattern covering every byte value (for large-payload tests)."""
    block = bytes(range(256))
    return (block * (size // 256 + 1))[:size]


def rpc_seed(method: RpcMethod[Any, Any], part: str) -> str:
    """The seed guest and host both use for an rpc's populated "request" or "response"."""
    return f"{method.service}.{method.name}/{part}"


def populated(cls: type[M], seed: str = "", *, depth: int = 0, max_depth: int = 3) -> M:
    """An instance of `cls` with every field set to a non-default value derived from `seed`.

    One member of each oneof is set (which one depends on the seed). Repeated fields and maps get
    two entries. Below `max_depth`, message fields are left unset (or, for a oneof member, set to an
    empty message), which ends recursion through self-referencing messages (ErrorDetail.wrapped,
    JsonValue).
    """
    fields = message_fields(cls)
    groups: dict[str, list[FieldInfo]] = {}
    for info in fields:
        if info.group:
            groups.setdefault(info.group, []).append(info)
    chosen = {group: members[_number(f"{seed}|{group}", 0, len(members) - 1)] for group, members in groups.items()}
    values: dict[str, Any] = {}
    for info in fields:
        if info.group and chosen[info.group] != info:
            continue
        field_seed = f"{seed}.{info.name}"
        if info.proto_type == betterproto2.TYPE_MAP:
            assert info.map_key_type is not None and info.map_value_type is not None
            values[info.name] = {
                _scalar(info.map_key_type, None, f"{field_seed}[{i}].key", depth, max_depth): _scalar(
                    info.map_value_type, info.value_class, f"{field_seed}[{i}]", depth, max_depth
                )
                for i in range(2)
            }
            continue
        too_deep = (
            info.proto_type == betterproto2.TYPE_MESSAGE and info.value_class not in _UNWRAPPED and depth >= max_depth
        )
        if too_deep:
            if info.group and info.value_class is not None:
                values[info.name] = info.value_class()  # a oneof member must be set to stand for its group
            continue
        if info.repeated:
            values[info.name] = [
                _scalar(info.proto_type, info.value_class, f"{field_seed}[{i}]", depth, max_depth) for i in range(2)
            ]
        else:
            values[info.name] = _scalar(info.proto_type, info.value_class, field_seed, depth, max_depth)
    return cls(**values)
