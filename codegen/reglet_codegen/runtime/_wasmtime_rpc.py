"""Host-side support for the generated bindings: linking host functions and calling exports.

This module imports wasmtime and is never bundled into a plugin component.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from wasmtime import Store
from wasmtime.component import Component, ExportIndex, Func, Instance, Linker

from reglet_abi._rpc import (
    DEFAULT_MAX_RESPONSE_BYTES,
    RpcMethod,
    RpcService,
    call_framed,
    call_implementation,
    decode_frame,
    encode_frame,
    frame_limit,
)
from reglet_abi._wire import Decoder, decode_message, encode_message

HostFunc = Callable[[Any, str], str]

HOST_LOG = logging.getLogger("reglet.host")
"""Where a failing host handler's traceback goes; the plugin gets only the incident id (see _rpc)."""


def local_function(
    method: RpcMethod[Any, Any], implementation: Callable[[Any], Any], max_request_bytes: int
) -> Callable[[bytes], bytes]:
    """Wraps a typed handler as a bytes-in/bytes-out call that never raises (for in-process use)."""

    def invoke(raw: bytes) -> bytes:
        return call_implementation(
            method,
            implementation,
            raw,
            max_request_bytes=max_request_bytes,
            failure_type="internal",
            failure_code="HOST_HANDLER_FAILED",
            failure_log=HOST_LOG,
        )

    return invoke


def host_function(
    method: RpcMethod[Any, Any], implementation: Callable[[Any], Any], max_request_bytes: int
) -> HostFunc:
    """Wraps a typed handler as a wasmtime host function that never raises into the guest."""

    def invoke(_store: Any, frame: str) -> str:
        return call_framed(
            method,
            implementation,
            frame,
            max_request_bytes=max_request_bytes,
            failure_type="internal",
            failure_code="HOST_HANDLER_FAILED",
            failure_log=HOST_LOG,
        )

    invoke.__name__ = method.python_name
    return invoke


def add_service_to_linker(linker: Linker, service: RpcService, handlers: object, max_request_bytes: int) -> None:
    """Defines every rpc of an imported service on `linker`, answered by `handlers`' methods."""
    if service.exported:
        raise ValueError(f"{service.full_name} is exported by the guest; it cannot be linked as a host service")
    missing = [m.python_name for m in service.methods if not callable(getattr(handlers, m.python_name, None))]
    if missing:
        raise TypeError(
            f"{type(handlers).__name__} does not implement {service.full_name} rpc(s): {', '.join(missing)}"
        )
    with linker.root() as root, root.add_instance(service.wit_interface) as instance:
        for method in service.methods:
            instance.add_func(
                method.wit_name, host_function(method, getattr(handlers, method.python_name), max_request_bytes)
            )


class LocalTransport:
    """Bytes-in/bytes-out calls answered by handlers in this process, through the same codec path.

    Gives guest-side code (stubs, SDK wrappers) the real host handlers without WebAssembly.
    """

    def __init__(self, service: RpcService, handlers: object, max_request_bytes: int) -> None:
        for method in service.methods:
            setattr(
                self,
                method.python_name,
                local_function(method, getattr(handlers, method.python_name), max_request_bytes),
            )
        self._service = service

    def __getattr__(self, name: str) -> Callable[[bytes], bytes]:
        raise AttributeError(f"{self._service.full_name} has no rpc {name!r}")


class BadAnswer(ValueError):
    """A component's answer is over the size limit or is not a valid encoding of the response message."""


def answer_bytes(method: RpcMethod[Any, Any], frame: object, max_bytes: int) -> bytes:
    """The encoded message in an export's answer frame, measured before anything is decoded."""
    where = f"{method.service}.{method.name}"
    if not isinstance(frame, str):
        raise BadAnswer(f"{where}: the answer is a {type(frame).__name__}, not a frame (a base64 string).")
    if len(frame) > frame_limit(max_bytes):
        raise BadAnswer(
            f"{where}: the answer is about {len(frame) * 3 // 4} bytes, over this host's limit of {max_bytes} "
            "bytes. Return less data (summarise, or leave out what the check does not need)."
        )
    try:
        return decode_frame(frame)
    except ValueError as exc:
        raise BadAnswer(f"{where}: {exc}.") from None


def decode_answer(method: RpcMethod[Any, Any], raw: bytes, decoder: Decoder | None = None) -> Any:
    """The response message in `raw`, decoded strictly (see _wire) by `decoder` (default: standard)."""
    try:
        return decoder.decode(method.response_type, raw) if decoder else decode_message(method.response_type, raw)
    except (ValueError, RecursionError) as exc:  # WireError is a ValueError
        raise BadAnswer(
            f"{method.service}.{method.name}: the answer is not a valid {method.response_type.__name__} ({exc}). "
            "The component was not built for this ABI, or bypasses the SDK: rebuild it with `reglet-sdk build`."
        ) from None


class ExportIndexes:
    """Where the functions of one exported interface are in a compiled component, looked up once.

    Each instance of the component has its functions at these indexes, so a host that instantiates
    the component per call looks them up once per component instead of once per call.
    """

    def __init__(self, component: Component, service: RpcService) -> None:
        interface = component.get_export_index(service.wit_interface)
        if interface is None:
            raise LookupError(
                f"the component does not export {service.wit_interface}; it was not built for this ABI "
                "(build it with `reglet-sdk build`)."
            )
        self.indexes: dict[str, ExportIndex] = {}
        for method in service.methods:
            index = component.get_export_index(method.wit_name, interface)
            if index is None:
                raise LookupError(f"the component's {service.wit_interface} export lacks function {method.wit_name!r}")
            self.indexes[method.wit_name] = index

    def func(self, store: Store, instance: Instance, method: RpcMethod[Any, Any]) -> Func:
        """The instance's function for `method`."""
        func = instance.get_func(store, self.indexes[method.wit_name])
        if func is None:
            raise LookupError(f"the component's export {method.wit_name!r} is not a function")
        return func


def call_export_raw(store: Store, func: Func, method: RpcMethod[Any, Any], request: Any, max_bytes: int) -> bytes:
    """Encodes `request`, calls `func` and returns its answer's encoded message (not decoded).

    Traps propagate as wasmtime errors; an answer over `max_bytes` or not framed raises BadAnswer.
    """
    frame = func(store, encode_frame(encode_message(request)))
    func.post_return(store)
    return answer_bytes(method, frame, max_bytes)


class ExportCaller:
    """Calls the functions of one exported interface of an instantiated component.

    An answer larger than `max_response_bytes` (encoded), or one that does not decode as the response
    message, raises BadAnswer.
    """

    def __init__(
        self,
        store: Store,
        instance: Instance,
        service: RpcService,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        interface = instance.get_export_index(store, service.wit_interface)
        if interface is None:
            raise LookupError(
                f"the component does not export {service.wit_interface}; it was not built for this ABI "
                "(build it with `reglet-sdk build`)."
            )
        self._store = store
        self._max_response_bytes = max_response_bytes
        self._funcs: dict[str, Func] = {}
        for method in service.methods:
            index = instance.get_export_index(store, method.wit_name, interface)
            func = instance.get_func(store, index) if index is not None else None
            if func is None:
                raise LookupError(f"the component's {service.wit_interface} export lacks function {method.wit_name!r}")
            self._funcs[method.wit_name] = func

    def call_raw(self, method: RpcMethod[Any, Any], request: Any) -> bytes:
        """Encodes `request`, calls the export and returns its answer's encoded message (not decoded).

        Traps propagate as wasmtime errors; an oversized or unframed answer raises BadAnswer.
        """
        return call_export_raw(self._store, self._funcs[method.wit_name], method, request, self._max_response_bytes)

    def call(self, method: RpcMethod[Any, Any], request: Any) -> Any:
        """Encodes `request`, calls the export and decodes its answer (BadAnswer when it is not valid)."""
        return decode_answer(method, self.call_raw(method, request))
