"""Plugin config and result data survive the boundary exactly."""

from __future__ import annotations

import datetime
import enum
import http
import math
import uuid

import pytest
from hypothesis import given

from reglet_abi._wire import Decoder
from reglet_abi.reglet.v1 import JsonObject, JsonValue, Result as ResultMessage
from reglet_sdk.jsonvalue import (
    JSON,
    PLAIN_JSON_OBJECT,
    JsonConversionError,
    from_json_object,
    from_json_value,
    to_json_object,
    to_json_value,
)
from reglet_sdk.testing.strategies import json_values


def through_the_wire(value: object) -> JSON:
    """Any value to_json_value accepts (tuples too), there and back."""
    return from_json_value(JsonValue.parse(bytes(to_json_value(value))))


def same(a: JSON, b: JSON) -> bool:
    """Equality that also requires equal types (1 != 1.0 != True) and key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return a == b


@given(json_values())
def test_any_json_value_round_trips_exactly(value: JSON) -> None:
    assert same(through_the_wire(value), value)


@given(json_values())
def test_plain_decoding_gives_what_the_messages_give(value: JSON) -> None:
    # The host decodes result data straight from the wire; it must equal the message path exactly.
    data = {"v": value, "again": value}
    wire = bytes(ResultMessage(data=to_json_object(data)))
    plain = Decoder(PLAIN_JSON_OBJECT).decode(ResultMessage, wire).data  # a dict, not a JsonObject
    assert isinstance(plain, dict)
    assert same(plain, from_json_object(ResultMessage.parse(wire).data))
    assert same(from_json_object(plain), data)


@pytest.mark.parametrize(
    "value",
    [0, -1, 2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 10**40, 0.0, -0.0, 1.0, math.inf, True, False, None, "", {}, []],
    ids=repr,
)
def test_edge_values_keep_type_and_value(value: JSON) -> None:
    assert same(through_the_wire(value), value)


def test_object_keeps_key_order() -> None:
    data: dict[str, JSON] = {"z": 1, "a": 2, "m": {"y": 1, "b": 2}}
    assert same(from_json_object(JsonObject.parse(bytes(to_json_object(data)))), data)


def test_tuples_become_lists() -> None:
    assert through_the_wire({"t": (1, 2)}) == {"t": [1, 2]}


@pytest.mark.parametrize(
    ("value", "where"),
    [({"when": object()}, r"value\['when'\] is a object"), ({"b": [1, b"x"]}, r"value\['b'\]\[1\] is a bytes")],
)
def test_non_json_values_are_refused_with_their_path(value: object, where: str) -> None:
    with pytest.raises(JsonConversionError, match=where):
        to_json_value(value)


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(JsonConversionError, match="keys must be str"):
        to_json_object({1: "x"})


def test_unset_values_read_as_empty() -> None:
    assert from_json_value(None) is None
    assert from_json_value(JsonValue()) is None
    assert from_json_object(None) == {}


class Colour(enum.Enum):
    RED = "red"
    NESTED = ("rgb", 255, 0, 0)


def test_values_people_return_are_converted_as_other_sdks_do() -> None:
    utc = datetime.datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=datetime.UTC)
    assert through_the_wire(
        {
            "aware": utc,
            "naive_is_utc": utc.replace(tzinfo=None),
            "offset": utc.astimezone(datetime.timezone(datetime.timedelta(hours=-5))),
            "date": datetime.date(2026, 3, 4),
            "time": datetime.time(5, 6),
            "enum": Colour.RED,
            "enum_of_json": Colour.NESTED,
            "int_enum": http.HTTPStatus.OK,
            "uuid": uuid.UUID(int=1),
        }
    ) == {
        "aware": "2026-03-04T05:06:07.891000Z",
        "naive_is_utc": "2026-03-04T05:06:07.891000Z",
        "offset": "2026-03-04T00:06:07.891000-05:00",
        "date": "2026-03-04",
        "time": "05:06:00",
        "enum": "red",
        "enum_of_json": ["rgb", 255, 0, 0],
        "int_enum": 200,
        "uuid": "00000000-0000-0000-0000-000000000001",
    }
