"""An adversarial probe: its Check export answers with the frame its config selects, bypassing the SDK.

Config `answer`: `normal` (the SDK's answer), `not-base64`, `garbage` (`size` random bytes),
`wrong-wire-type` (the result as a varint), `wrong-nested-type` (the result's status as a string),
`bad-utf8`, `unknown-fields` (`size` bytes of two-byte unknown fields, then a real result), `deep`
(`size` nested JSON arrays), `bad-big-int` (a big integer that is not a number), `large` (a
legitimate result of about `size` bytes: many short strings) or `large-string` (one string of `size`).
"""

from __future__ import annotations

import random
from typing import Any

from reglet_abi import _rpc
from reglet_abi.reglet.v1 import CheckRequest, guest
from reglet_sdk import Metadata, Result, plugin
from reglet_sdk.context import Context
from reglet_sdk.jsonvalue import from_json_object


class AnswerProbe(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="answer-probe", version="0.1.0")

    def schema(self, ctx: Context) -> bytes:
        return b'{"type": "object"}'

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        return Result.success("fine", {"answer": "normal"})


plugin.register(AnswerProbe())


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _check_response(data_fields: bytes, message: bytes = b"probe") -> bytes:
    """CheckResponse{result: Result{status: SUCCESS, message, data: JsonObject{fields}}}."""
    result = b"\x08\x01" + _field(2, message) + _field(3, data_fields)
    return _field(2, result)


def _json_field(key: str, value: bytes) -> bytes:
    """One JsonObject.fields entry: JsonField{key, value}."""
    return _field(1, _field(1, key.encode()) + _field(2, value))


def _frame(answer: str, size: int) -> bytes:
    if answer == "garbage":
        return random.Random(1).randbytes(size)
    if answer == "wrong-wire-type":
        return b"\x10\x01"
    if answer == "wrong-nested-type":
        return _field(2, _field(1, b"success"))
    if answer == "bad-utf8":
        return _field(2, _field(2, b"\xff\xfe"))
    if answer == "unknown-fields":
        return b"\x78\x00" * (size // 2) + _check_response(b"", b"after unknown fields")
    if answer == "deep":
        value = b"\x08\x00"  # JsonValue{null_value}
        for _ in range(size):
            value = _field(7, _field(1, value))  # JsonValue{array_value: JsonArray{items: [value]}}
        return _check_response(_json_field("deep", value))
    if answer == "bad-big-int":
        return _check_response(_json_field("n", _field(4, b"12x")))
    if answer == "large-string":
        return _check_response(_json_field("blob", _field(6, b"x" * size)))
    if answer == "large":
        item = _field(1, _field(6, b"abcdefghij"))  # JsonArray.items entry: JsonValue{string_value}
        return _check_response(_json_field("items", _field(7, item * (size // len(item)))))
    raise ValueError(f"unknown answer {answer!r}")


_served = guest.PluginExport.check


def _check(self: guest.PluginExport, request: str) -> str:
    config = from_json_object(CheckRequest.parse(_rpc.decode_frame(request)).config)
    answer = str(config.get("answer", "normal"))
    if answer == "normal":
        return _served(self, request)
    if answer == "not-base64":
        return "this is % not base64 %"
    return _rpc.encode_frame(_frame(answer, int(config.get("size", 0))))  # type: ignore[arg-type]


guest.PluginExport.check = _check  # type: ignore[method-assign]  # the component exports this class
