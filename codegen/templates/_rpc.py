"""Support shared by the generated guest stubs and host bindings.

Nothing here imports wasmtime: this module is bundled into every plugin component. It encodes and
decodes messages at the boundary and turns every failure on the answering side into a response whose
`error` field says what went wrong, so a bad message or a raising implementation never traps.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import betterproto2

from reglet_abi.reglet.v1 import ErrorDetail

RequestT = TypeVar("RequestT", bound=betterproto2.Message)
ResponseT = TypeVar("ResponseT", bound=betterproto2.Message)
ImplT = TypeVar("ImplT")

DEFAULT_MAX_REQUEST_BYTES = 1 << 20
"""Largest encoded request a host function accepts by default (1 MiB, as in the Go host)."""


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


def call_implementation(
    method: RpcMethod[RequestT, ResponseT],
    implementation: Callable[[RequestT], ResponseT],
    raw: bytes,
    *,
    max_request_bytes: int | None,
    failure_type: str,
    failure_code: str,
) -> bytes:
    """Decodes `raw`, calls `implementation` and encodes its answer.

    Every failure becomes an encoded error response: an oversized or undecodable request
    (`validation`/`INVALID_REQUEST`), an exception (`failure_type`/`failure_code`, with the traceback
    in `stack`), or an answer of the wrong type (`internal`/`BAD_RESPONSE`).
    """
    if max_request_bytes is not None and len(raw) > max_request_bytes:
        return bytes(
            method.error_response(
                "validation",
                "INVALID_REQUEST",
                f"{method.service}.{method.name}: the request is {len(raw)} bytes, over the limit of "
                f"{max_request_bytes} bytes. Send less data in one call.",
            )
        )
    try:
        request = method.request_type.parse(raw)
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the caller's bad input
        return bytes(
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
        return bytes(
            method.error_response(
                failure_type,
                failure_code,
                f"{method.service}.{method.name} raised {type(exc).__name__}: {exc}",
                stack=traceback.format_exc(),
            )
        )
    if not isinstance(response, method.response_type):
        return bytes(
            method.error_response(
                "internal",
                "BAD_RESPONSE",
                f"{method.service}.{method.name} returned {type(response).__name__}, not "
                f"{method.response_type.__name__}.",
            )
        )
    try:
        return bytes(response)
    except Exception as exc:  # noqa: BLE001 - e.g. a str where bytes belong
        return bytes(
            method.error_response(
                "internal",
                "BAD_RESPONSE",
                f"{method.service}.{method.name} returned a {method.response_type.__name__} that cannot "
                f"be encoded ({type(exc).__name__}: {exc}).",
                stack=traceback.format_exc(),
            )
        )


def call_remote(method: RpcMethod[RequestT, ResponseT], send: Callable[[bytes], bytes], request: RequestT) -> ResponseT:
    """Encodes `request`, sends it with `send` and decodes the answer."""
    if not isinstance(request, method.request_type):
        raise TypeError(
            f"{method.service}.{method.name} takes a {method.request_type.__name__}, not {type(request).__name__}"
        )
    return method.response_type.parse(send(bytes(request)))


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

    def call(self, method: RpcMethod[Any, Any], raw: bytes) -> bytes:
        """Answers one exported call; any failure is an error response, never a trap."""
        implementation = self._implementation
        if implementation is None:
            return bytes(
                method.error_response(
                    "internal",
                    "NOT_REGISTERED",
                    f"{self._service.full_name} has no implementation: the plugin module never "
                    "registered one. Call reglet_sdk.plugin.register(...) at import time.",
                )
            )
        return call_implementation(
            method,
            getattr(implementation, method.python_name),
            raw,
            max_request_bytes=None,
            failure_type="panic",
            failure_code="PANIC",
        )


def wit_import(service: RpcService) -> Any:
    """The componentize-py binding module of an imported service (only inside a component)."""
    module = f"{service.world_module}.imports.{service.binding_module}"
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise RuntimeError(
            f"{service.full_name} is only reachable through the WebAssembly import {module!r}, which "
            "exists inside a component built by `reglet-sdk build`. Natively, give the stub a "
            "transport instead (see reglet_sdk.testing)."
        ) from exc
