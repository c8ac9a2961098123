"""The conformance probe: one Host rpc, called with the request its config gives, reported raw.

Config: `call` (the rpc's Python name: exec_command, fs_stat, dns_lookup, http_request, tcp_connect,
smtp_connect, log) and `request` (the request message in proto3 JSON). The check succeeds with the
whole response as data, field by field in snake_case with default values present, so a case can
compare exactly what the host answered. The probe talks to the generated host stub directly (not
through the SDK wrappers), so what is compared is the host's answer and nothing else. Bytes fields
become {size, sha256, text}: `text` is the UTF-8 decoding when it is short (at most 4 KiB) and valid.
`pad` (bytes) appends one argument of that many "a"s to an exec_command request: requests larger than
a command line can carry, to probe the host's request size limit.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import json
from typing import Any

import betterproto2

from reglet_abi._rpc import message_fields
from reglet_abi.reglet.v1 import guest, services
from reglet_sdk import ErrorDetail, Metadata, Result, plugin
from reglet_sdk.context import Context

TEXT_LIMIT = 4096
CALLS = sorted(method.python_name for method in services.HOST.methods)
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "call": {"enum": CALLS},
        "request": {"type": "object"},
        "pad": {"type": "integer", "minimum": 0, "maximum": 16 << 20},
    },
    "required": ["call"],
    "additionalProperties": False,
}


def plain_bytes(value: bytes) -> dict[str, Any]:
    """Size, digest and (when short and UTF-8) the text of a bytes field."""
    text: str | None = None
    if len(value) <= TEXT_LIMIT:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    return {"size": len(value), "sha256": hashlib.sha256(value).hexdigest(), "text": text}


def plain(value: Any) -> Any:
    """A JSON-ready form of a message field's value."""
    if isinstance(value, betterproto2.Message):
        return {info.name: plain(getattr(value, info.name)) for info in message_fields(type(value))}
    if isinstance(value, bytes):
        return plain_bytes(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds() * 1000)
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value


class Probe(plugin.Plugin):
    """Calls the rpc named by the config."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="probe", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """The config: which rpc and its request."""
        return json.dumps(SCHEMA).encode()

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Sends the request and reports the response."""
        call = cfg.get("call")
        if call not in CALLS:
            return Result.from_error(ErrorDetail("config", f"call must be one of {', '.join(CALLS)}", code="call"))
        method = services.HOST.method(call)
        try:
            request = method.request_type.from_dict(cfg.get("request") or {})
        except (TypeError, ValueError, KeyError) as exc:
            return Result.from_error(ErrorDetail("config", f"request is not a {method.request_type.__name__}: {exc}"))
        pad = cfg.get("pad") or 0
        if pad and call == "exec_command":
            request.args.append("a" * int(pad))
        response = getattr(guest.host, method.python_name)(request)
        return Result.success(f"{method.name} answered", plain(response))


plugin.register(Probe())
