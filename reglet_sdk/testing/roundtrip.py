"""The ABI round-trip harness: every rpc, every field, across a real component boundary.

The guest side (see examples/abi_roundtrip/plugin) and the host side here build the same populated
messages from the same seeds, so each side can check what the other sent. The rpc lists come from
the generated tables, which codegen derives from the .proto files.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker

from reglet_abi._rpc import DEFAULT_MAX_RESPONSE_BYTES, RpcMethod
from reglet_abi.reglet.v1 import HttpResponse, services
from reglet_abi.reglet.v1.host import PluginClient, add_host_to_linker
from reglet_sdk.testing.messages import pattern_bytes, populated, rpc_seed


class RecordingHost:
    """Host handlers for every Host rpc (found by name, so a new rpc needs no code here).

    Each handler records the request and answers with the populated response, or raises when
    `raise_errors` is set (to prove a raising handler does not trap the guest).
    """

    def __init__(self, *, raise_errors: bool = False, large_body: int = 0) -> None:
        self.received: dict[str, list[Any]] = defaultdict(list)
        self.raise_errors = raise_errors
        self.large_body = large_body

    def __getattr__(self, python_name: str) -> Any:
        method = services.HOST.method(python_name)

        def handle(request: Any) -> Any:
            self.received[method.name].append(request)
            if self.raise_errors:
                raise RuntimeError(f"handler for {method.name} failed on purpose")
            if self.large_body and method.response_type is HttpResponse:
                return HttpResponse(status_code=200, body=pattern_bytes(self.large_body))
            return populated(method.response_type, rpc_seed(method, "response"))

        return handle


def instantiate(
    engine: Engine,
    component: Component,
    host: object,
    mode: str = "exact",
    large_bytes: int = 0,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> PluginClient:
    """A fresh store and instance of the round-trip component, with ROUNDTRIP_MODE=`mode`.

    Answers over `max_response_bytes` raise BadAnswer (raise it to carry more than the host's default).
    """
    linker = Linker(engine)
    linker.add_wasip2()
    add_host_to_linker(linker, host)  # type: ignore[arg-type]  # RecordingHost answers by __getattr__
    store = Store(engine)
    wasi = WasiConfig()
    wasi.env = [("ROUNDTRIP_MODE", mode), ("ROUNDTRIP_LARGE_BYTES", str(large_bytes))]
    store.set_wasi(wasi)
    return PluginClient(store, linker.instantiate(store, component), max_response_bytes=max_response_bytes)


@dataclass(frozen=True)
class RpcOutcome:
    """What happened to one Plugin rpc and the Host rpcs it made."""

    method: RpcMethod[Any, Any]
    request_bytes: int
    response_bytes: int
    response_equal: bool
    host_requests_equal: bool
    error: str


def round_trip(engine: Engine, component: Component, method: RpcMethod[Any, Any]) -> RpcOutcome:
    """Calls one Plugin rpc with its populated request and checks both directions."""
    host = RecordingHost()
    client = instantiate(engine, component, host)
    request = populated(method.request_type, rpc_seed(method, "request"))
    response = getattr(client, method.python_name)(request)
    expected = populated(method.response_type, rpc_seed(method, "response"))
    host_ok = sorted(host.received) == sorted(m.name for m in services.HOST.methods) and all(
        host.received[m.name] == [populated(m.request_type, rpc_seed(m, "request"))] for m in services.HOST.methods
    )
    error = "" if response == expected or response.error is None else response.error.message
    return RpcOutcome(method, len(bytes(request)), len(bytes(response)), response == expected, host_ok, error)
