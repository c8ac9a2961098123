"""Support shared by the generated guest stubs and host bindings.

Nothing here imports wasmtime: this module is bundled into every plugin component. It encodes and
decodes messages at the boundary and turns every failure on the answering side into a response whose
`error` field says what went wrong, so a bad message or a raising implementation never traps.

At the WIT boundary each message travels as a *frame*: the protobuf encoding in standard base64, in a
WIT `string`. Transports inside the process (fakes, local handlers) carry the raw bytes.
"""

from __future__ import annotations

import binascii
import dataclasses
import importlib
import logging
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import betterproto2

from reglet_abi._wire import decode_message, encode_message
from reglet_abi.reglet.v1 import ErrorDetail

RequestT = TypeVar("RequestT", bound=betterproto2.Message)
ResponseT = TypeVar("ResponseT", bound=betterproto2.Message)
ImplT = TypeVar("ImplT")

DEFAULT_MAX_REQUEST_BYTES = 1 << 20
"""Largest encoded request a host function accepts by default (1 MiB, as in the Go host)."""
DEFAULT_MAX_RESPONSE_BYTES = 8 << 20
"""Largest encoded answer a host accepts from a component's export by default (8 MiB)."""


@dataclass(frozen=True)
class RpcMethod(Generic[RequestT, ResponseT]):
    """One rpc of a service, with its WIT and Python names and its message classes."""

    service: str
    name: str
    wit_name: str
    python_name: str
    request_type: type[RequestT]
    response_type: type[ResponseT]
    doc: str

    def error_response(self, type: str, code: str, message: str, stack: str = "") -> ResponseT:
        """A response carrying only an error (every rpc response has an `error` field)."""
        response = self.response_type()
        response.error = ErrorDetail(type=type, code=code, message=message, stack=stack)  # type: ignore[attr-defined]
        return response


@dataclass(frozen=True)
class RpcService:
    """One service: a WIT interface imported (implemented by the host) or exported (by the guest)."""

    name: str
    full_name: str
    proto_file: str
    wit_interface: str
    binding_module: str
    export_class_name: str
    world_module: str
    exported: bool
    methods: tuple[RpcMethod[Any, Any], ...]
    doc: str

    def method(self, name: str) -> RpcMethod[Any, Any]:
        """The method with this proto name ("ExecCommand") or Python name ("exec_command")."""
        for method in self.methods:
            if name in (method.name, method.python_name):
                return method
        raise KeyError(f"service {self.full_name} has no rpc {name!r}")


def encode_frame(message: bytes) -> str:
    """The WIT `string` that carries an encoded message: standard base64 with padding."""
    return binascii.b2a_base64(message, newline=False).decode("ascii")


def decode_frame(frame: str) -> bytes:
    """The encoded message inside a frame; raises ValueError when the frame is not strict base64."""
    try:
        # a2b_base64 reads an ASCII str itself: no encoded copy of a frame that may be megabytes long
        return binascii.a2b_base64(frame, strict_mode=True)
    except ValueError as exc:  # binascii.Error, or a str that is not ASCII
        raise ValueError(f"the frame is not standard base64 ({exc})") from exc


def frame_limit(max_message_bytes: int) -> int:
    """Length of the longest frame that can hold a message of `max_message_bytes`."""
    return 4 * ((max_message_bytes + 2) // 3)


@dataclass(frozen=True)
class FieldInfo:
    """One field of a betterproto2 message, as the codec sees it."""

    name: str
    number: int
    proto_type: str  # betterproto2.TYPE_* ("int64", "message", "map", ...)
    repeated: bool
    group: str | None  # oneof name
    value_class: type | None  # class of message/enum values (datetime/timedelta for Timestamp/Duration)
    map_key_type: str | None = None
    map_value_type: str | None = None


def message_fields(cls: type[betterproto2.Message]) -> list[FieldInfo]:
    """The fields of a message class in field-number order."""
    meta = cast(Any, cls)._betterproto  # betterproto2's per-class metadata (a classproperty)
    infos = []
    for field in dataclasses.fields(cast(Any, cls)):
        fm = betterproto2.FieldMetadata.get(field)
        is_map = fm.proto_type == betterproto2.TYPE_MAP
        infos.append(
            FieldInfo(
                name=field.name,
                number=fm.number,
                proto_type=fm.proto_type,
                repeated=bool(fm.repeated),
                group=fm.group,
                value_class=meta.cls_by_field.get(f"{field.name}.value" if is_map else field.name),
                map_key_type=fm.map_meta[0].proto_type if is_map and fm.map_meta else None,
                map_value_type=fm.map_meta[1].proto_type if is_map and fm.map_meta else None,
            )
        )
    return sorted(infos, key=lambda info: info.number)


def _failed(
    method: RpcMethod[RequestT, ResponseT], kind: str, code: str, message: str, failure_log: logging.Logger | None
) -> bytes:
    """The error response for the exception being handled.

    It carries the traceback in `stack`; with `failure_log` it carries only an incident id instead,
    and the message and traceback are logged under that id.
    """
    if failure_log is None:
        return encode_message(method.error_response(kind, code, message, stack=traceback.format_exc()))
    incident = os.urandom(6).hex()
    failure_log.error("%s (incident %s)", message, incident, exc_info=True)
    return encode_message(
        method.error_response(
            kind,
            code,
            f"{method.service}.{method.name} failed inside the host (incident {incident}). The details stay in "
            "the host's log under that incident id.",
        )
    )


def call_implementation(
    method: RpcMethod[RequestT, ResponseT],
    implementation: Callable[[RequestT], ResponseT],
    raw: bytes,
    *,
    max_request_bytes: int | None,
    failure_type: str,
    failure_code: str,
    failure_log: logging.Logger | None = None,
) -> bytes:
    """Decodes `raw`, calls `implementation` and encodes its answer.

    Every failure becomes an encoded error response: an oversized or undecodable request
    (`validation`/`INVALID_REQUEST`), an exception (`failure_type`/`failure_code`, with the traceback
    in `stack`), or an answer of the wrong type (`internal`/`BAD_RESPONSE`). With `failure_log` (the
    host answering a plugin) an exception's message and traceback go to that log instead, and the
    caller gets only an incident id to quote: a plugin learns nothing about the host from a failure.
    """
    if max_request_bytes is not None and len(raw) > max_request_bytes:
        return encode_message(
            method.error_response(
                "validation",
                "INVALID_REQUEST",
                f"{method.service}.{method.name}: the request is {len(raw)} bytes, over the limit of "
                f"{max_request_bytes} bytes. Send less data in one call.",
            )
        )
    try:
        request = decode_message(method.request_type, raw)  # strict, linear (see _wire)
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the caller's bad input
        return encode_message(
            method.error_response(
                "validation",
                "INVALID_REQUEST",
                f"{method.service}.{method.name}: the request is not a valid "
                f"{method.request_type.__name__} ({exc}). Guest and host disagree on the ABI: rebuild "
                "the plugin with the SDK that matches this host.",
            )
        )
    try:
        response = implementation(request)
    except Exception as exc:  # noqa: BLE001 - the answering side must never trap the caller
        message = f"{method.service}.{method.name} raised {type(exc).__name__}: {exc}"
        return _failed(method, failure_type, failure_code, message, failure_log)
    if not isinstance(response, method.response_type):
        return encode_message(
            method.error_response(
                "internal",
                "BAD_RESPONSE",
                f"{method.service}.{method.name} returned {type(response).__name__}, not "
                f"{method.response_type.__name__}.",
            )
        )
    try:
        return encode_message(response)
    except Exception as exc:  # noqa: BLE001 - e.g. a str where bytes belong
        message = (
            f"{method.service}.{method.name} returned a {method.response_type.__name__} that cannot "
            f"be encoded ({type(exc).__name__}: {exc})."
        )
        return _failed(method, "internal", "BAD_RESPONSE", message, failure_log)


def call_framed(
    method: RpcMethod[RequestT, ResponseT],
    implementation: Callable[[RequestT], ResponseT],
    frame: str,
    *,
    max_request_bytes: int | None,
    failure_type: str,
    failure_code: str,
    failure_log: logging.Logger | None = None,
) -> str:
    """`call_implementation` for a base64 frame from the WIT boundary; answers with a frame."""
    if max_request_bytes is not None and len(frame) > frame_limit(max_request_bytes):
        return encode_frame(
            encode_message(
                method.error_response(
                    "validation",
                    "INVALID_REQUEST",
                    f"{method.service}.{method.name}: the request is about {len(frame) * 3 // 4} bytes, over the "
                    f"limit of {max_request_bytes} bytes. Send less data in one call.",
                )
            )
        )
    try:
        raw = decode_frame(frame)
    except ValueError as exc:
        return encode_frame(
            encode_message(
                method.error_response("validation", "INVALID_REQUEST", f"{method.service}.{method.name}: {exc}.")
            )
        )
    answer = call_implementation(
        method,
        implementation,
        raw,
        max_request_bytes=max_request_bytes,
        failure_type=failure_type,
        failure_code=failure_code,
        failure_log=failure_log,
    )
    return encode_frame(answer)


def call_remote(method: RpcMethod[RequestT, ResponseT], send: Callable[[bytes], bytes], request: RequestT) -> ResponseT:
    """Encodes `request`, sends it with `send` and decodes the answer."""
    if not isinstance(request, method.request_type):
        raise TypeError(
            f"{method.service}.{method.name} takes a {method.request_type.__name__}, not {type(request).__name__}"
        )
    return decode_message(method.response_type, send(encode_message(request)))


class ImplementationSlot(Generic[ImplT]):
    """Holds the one object that answers an exported service inside a component."""

    def __init__(self, service: RpcService) -> None:
        self._service = service
        self._implementation: ImplT | None = None

    @property
    def current(self) -> ImplT | None:
        """The implementation being served, or None."""
        return self._implementation

    def serve(self, implementation: ImplT) -> None:
        """Serves `implementation`; serving a second one is an error (call `clear` first)."""
        if self._implementation is not None:
            raise RuntimeError(
                f"{self._service.full_name} is already served by {self._implementation!r}; a component "
                "has exactly one implementation of each exported service."
            )
        self._implementation = implementation

    def clear(self) -> None:
        """Stops serving the current implementation (for tests)."""
        self._implementation = None

    def call(self, method: RpcMethod[Any, Any], frame: str) -> str:
        """Answers one exported call (a frame in, a frame out); any failure is an error response."""
        implementation = self._implementation
        if implementation is None:
            return encode_frame(
                encode_message(
                    method.error_response(
                        "internal",
                        "NOT_REGISTERED",
                        f"{self._service.full_name} has no implementation: the plugin module never "
                        "registered one. Call reglet_sdk.plugin.register(...) at import time.",
                    )
                )
            )
        return call_framed(
            method,
            getattr(implementation, method.python_name),
            frame,
            max_request_bytes=None,
            failure_type="panic",
            failure_code="PANIC",
        )


class WitTransport:
    """Bytes-in/bytes-out calls over a componentize-py import module, framing each message."""

    def __init__(self, service: RpcService, module: Any) -> None:
        for method in service.methods:
            setattr(self, method.python_name, self._framed(getattr(module, method.python_name)))

    @staticmethod
    def _framed(function: Callable[[str], str]) -> Callable[[bytes], bytes]:
        def send(request: bytes) -> bytes:
            return decode_frame(function(encode_frame(request)))

        return send


def wit_import(service: RpcService) -> Any:
    """A transport over the WIT import of an imported service (only inside a component)."""
    module = f"{service.world_module}.imports.{service.binding_module}"
    try:
        return WitTransport(service, importlib.import_module(module))
    except ImportError as exc:
        raise RuntimeError(
            f"{service.full_name} is only reachable through the WebAssembly import {module!r}, which "
            "exists inside a component built by `reglet-sdk build`. Natively, give the stub a "
            "transport instead (see reglet_sdk.testing)."
        ) from exc
