"""Natively, every ABI message encodes and decodes losslessly (property tests over drawn values)."""

from __future__ import annotations

import inspect
from typing import Any

import betterproto2
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import reglet_abi.reglet.v1 as abi
from reglet_abi._wire import WireError, decode_message, encode_message
from reglet_sdk.testing.messages import populated
from reglet_sdk.testing.strategies import messages

ALL_MESSAGES = sorted(
    (cls for _, cls in inspect.getmembers(abi, inspect.isclass) if issubclass(cls, betterproto2.Message)),
    key=lambda cls: cls.__name__,
)


def test_the_abi_has_the_messages_the_issue_names() -> None:
    names = {cls.__name__ for cls in ALL_MESSAGES}
    assert {"CallContext", "ErrorDetail", "ExecRequest", "DnsResponse", "HttpRequest", "TcpResponse"} <= names
    assert {"SmtpRequest", "LogRequest", "Metadata", "GrantSet", "Result", "CheckRequest"} <= names


@pytest.mark.parametrize("cls", ALL_MESSAGES, ids=lambda cls: cls.__name__)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_message_round_trips_losslessly(cls: type[betterproto2.Message], data: Any) -> None:
    message = data.draw(messages(cls))
    decoded = cls.parse(bytes(message))
    assert decoded == message
    assert bytes(decoded) == bytes(message)
    assert decode_message(cls, bytes(message)) == message  # the strict decoder reads what betterproto2 writes
    assert encode_message(message) == bytes(message)  # the fast encoder writes what betterproto2 writes


@pytest.mark.parametrize("cls", ALL_MESSAGES, ids=lambda cls: cls.__name__)
def test_fully_populated_message_round_trips(cls: type[betterproto2.Message]) -> None:
    message = populated(cls, "seed")
    assert cls.parse(bytes(message)) == message
    assert decode_message(cls, bytes(message)) == message
    assert encode_message(message) == bytes(message)


@pytest.mark.parametrize(
    ("message", "field", "value"),
    [
        (abi.FsStatRequest(), "path", b"/etc"),  # bytes where a string belongs
        (abi.ExecResponse(), "stdout", "text"),  # a string where bytes belong
        (abi.FsStatResponse(), "size", 1.5),  # a float where an integer belongs
        (abi.FsStatResponse(), "size", "12"),
        (abi.FsStatRequest(), "context", "ctx"),  # not a message where a message belongs
        (abi.FsStatResponse(), "size", 1 << 64),  # past what a varint holds
    ],
)
def test_encoding_refuses_a_wrongly_typed_field(message: betterproto2.Message, field: str, value: object) -> None:
    setattr(message, field, value)
    with pytest.raises((TypeError, ValueError, AttributeError)):
        encode_message(message)


def test_populated_is_deterministic_and_seed_dependent() -> None:
    assert populated(abi.ExecRequest, "a") == populated(abi.ExecRequest, "a")
    assert populated(abi.ExecRequest, "a") != populated(abi.ExecRequest, "b")


def test_strict_decoding_names_the_bad_field() -> None:
    # betterproto2 parses a varint into a message-typed field without complaint; the strict decoder refuses it.
    assert isinstance(abi.DescribeRequest.parse(b"\x08\x01").context, int)
    with pytest.raises(WireError, match=r"DescribeRequest\.context: has wire type varint where the schema has"):
        decode_message(abi.DescribeRequest, b"\x08\x01")
