"""Every rpc, every field, through the real boundary: componentize-py component in wasmtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker

from reglet_abi._rpc import decode_frame, encode_frame
from reglet_abi.reglet.v1 import services
from reglet_abi.reglet.v1.host import add_host_to_linker
from reglet_sdk.testing.messages import populated, rpc_seed
from reglet_sdk.testing.roundtrip import RecordingHost, instantiate, round_trip
from reglet_sdk.toolchain.componentize import TESTING_PARTS
from tests.conftest import build_test_component, compile_component

pytestmark = pytest.mark.component

ROUNDTRIP_DIR = Path(__file__).resolve().parents[2] / "examples" / "abi_roundtrip" / "plugin"


@pytest.fixture(scope="module")
def component(engine: Engine) -> Component:
    return compile_component(engine, build_test_component("roundtrip_plugin", ROUNDTRIP_DIR, TESTING_PARTS))


@pytest.mark.parametrize("method", services.PLUGIN.methods, ids=lambda m: m.name)
def test_every_rpc_round_trips_with_every_field(engine: Engine, component: Component, method: Any) -> None:
    outcome = round_trip(engine, component, method)
    assert outcome.error == ""
    assert outcome.response_equal
    assert outcome.host_requests_equal


def test_round_trip_detail_for_the_first_rpc(engine: Engine, component: Component) -> None:
    method = services.PLUGIN.methods[0]
    host = RecordingHost()
    client = instantiate(engine, component, host, "exact")

    response = getattr(client, method.python_name)(populated(method.request_type, rpc_seed(method, "request")))

    # Plugin direction: the host receives exactly the populated response the guest built (a guest
    # that failed would have answered with an error-only response instead).
    assert response == populated(method.response_type, rpc_seed(method, "response"))
    # Host direction: each Host rpc arrived once, equal to the request the guest built (the guest
    # itself checked every response it got back and would have answered with an error otherwise).
    assert sorted(host.received) == sorted(m.name for m in services.HOST.methods)
    for host_method in services.HOST.methods:
        assert host.received[host_method.name] == [
            populated(host_method.request_type, rpc_seed(host_method, "request"))
        ]


def test_populated_messages_really_set_every_field() -> None:
    # The round trip only proves something if the messages are far from their defaults.
    for service in services.SERVICES:
        for method in service.methods:
            for cls in (method.request_type, method.response_type):
                message = populated(cls, "x")
                for name in cls.__dataclass_fields__:
                    if name.startswith("_"):
                        continue
                    group = cls._betterproto.meta_by_field_name[name].group
                    if group is None:
                        assert message.is_set(name), f"{cls.__name__}.{name} left unset"


def test_raising_host_handler_answers_guest_with_error_instead_of_trapping(
    engine: Engine, component: Component
) -> None:
    host = RecordingHost(raise_errors=True)
    client = instantiate(engine, component, host, "host-raises")
    method = services.PLUGIN.methods[0]

    response = getattr(client, method.python_name)(populated(method.request_type, rpc_seed(method, "request")))

    # The guest saw an error response from every Host rpc (it checks that) and carried on.
    assert response == populated(method.response_type, rpc_seed(method, "response"))
    assert sorted(host.received) == sorted(m.name for m in services.HOST.methods)


def test_raising_guest_answers_host_with_panic_and_traceback(engine: Engine, component: Component) -> None:
    client = instantiate(engine, component, RecordingHost(), "guest-raises")
    for method in services.PLUGIN.methods:
        response = getattr(client, method.python_name)(populated(method.request_type, rpc_seed(method, "request")))
        assert response.error is not None
        assert (response.error.type, response.error.code) == ("panic", "PANIC")
        assert f"guest-raises mode in {method.name}" in response.error.message
        assert "roundtrip_plugin.py" in response.error.stack
        assert "ValueError" in response.error.stack


@pytest.mark.parametrize(
    "frame",
    [
        encode_frame(b"\x0a\x64\x00"),
        encode_frame(b"\x08\x01"),
        encode_frame(b"\x12\x03\xff\xfe\xfd"),
        "not base64!",
        "déjà",
    ],
    ids=["truncated", "wrong-wire-type", "invalid-utf8", "not-base64", "not-ascii"],
)
def test_undecodable_request_is_an_error_response_not_a_trap(engine: Engine, component: Component, frame: str) -> None:
    linker = Linker(engine)
    linker.add_wasip2()
    add_host_to_linker(linker, RecordingHost())
    store = Store(engine)
    store.set_wasi(WasiConfig())
    instance = linker.instantiate(store, component)
    interface = instance.get_export_index(store, services.PLUGIN.wit_interface)
    method = services.PLUGIN.methods[0]
    index = instance.get_export_index(store, method.wit_name, interface)
    assert index is not None
    func = instance.get_func(store, index)
    assert func is not None

    answer = func(store, frame)
    func.post_return(store)

    response = method.response_type.parse(decode_frame(answer))
    assert (response.error.type, response.error.code) == ("validation", "INVALID_REQUEST")


LARGE = 12 << 20  # over the 10 MiB HTTP body cap the host will apply, and 4x what list<u8> could carry


def test_large_messages_cross_both_ways_and_oversized_requests_are_refused(
    engine: Engine, component: Component
) -> None:
    host = RecordingHost(large_body=LARGE)
    client = instantiate(engine, component, host, "large", large_bytes=LARGE, max_response_bytes=2 * LARGE)
    method = services.PLUGIN.methods[0]

    response = getattr(client, method.python_name)(populated(method.request_type, rpc_seed(method, "request")))

    # Host -> guest: the guest checked the 12 MiB body byte for byte and the oversized request's
    # refusal; guest -> host: a 12 MiB answer arrives whole.
    assert response.error.type == "large", response.error.message
    assert len(response.error.stack) == LARGE
    assert len(host.received["ExecCommand"]) == 0  # refused before the handler ran
