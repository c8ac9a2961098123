"""The registration adapter natively: what each kind of author mistake turns into."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from reglet_abi.reglet.v1 import CheckRequest, DescribeRequest, LogRequest, LogResponse, SchemaRequest, guest
from reglet_sdk import Metadata, Result, plugin
from reglet_sdk.context import Context
from reglet_sdk.jsonvalue import to_json_object
from reglet_sdk.log import HostLogHandler, attribute


class Configurable(plugin.Plugin):
    """Answers describe() and schema() with whatever a test chose, wrong types included (the casts)."""

    def __init__(self, describe: object = None, schema: object = b"{}") -> None:
        self._describe = describe or Metadata("t", "1.0.0")
        self._schema = schema

    def describe(self, ctx: Context) -> Metadata:
        if isinstance(self._describe, Exception):
            raise self._describe
        return cast(Metadata, self._describe)

    def schema(self, ctx: Context) -> bytes:
        return cast(bytes, self._schema)

    def check(self, ctx: Context, config: dict[str, Any]) -> Result:
        return Result.success("ok", {"echo": config, "request_id": ctx.request_id})


@pytest.fixture(autouse=True)
def _clean_registration() -> Iterator[None]:
    plugin.unregister()
    yield
    plugin.unregister()


def test_register_twice_is_an_error() -> None:
    plugin.register(Configurable())
    with pytest.raises(plugin.RegistrationError, match="called a second time"):
        plugin.register(Configurable())


def test_register_refuses_non_plugins() -> None:
    with pytest.raises(plugin.RegistrationError, match="not dict"):
        plugin.register({})  # type: ignore[arg-type]  # on purpose: the runtime check is under test


def test_describe_exception_is_a_panic_error() -> None:
    adapter = plugin.PluginAdapter(Configurable(describe=RuntimeError("no metadata")))
    response = adapter.describe(DescribeRequest())
    assert response.error is not None and response.error.type == "panic"
    assert "RuntimeError: no metadata" in response.error.message
    assert "in describe" in response.error.stack


@pytest.mark.parametrize(
    ("schema", "code", "text"),
    [
        (123, "BAD_RETURN", "schema() returned int"),
        (b"not json", "BAD_SCHEMA", "not JSON"),
        (b"[]", "BAD_SCHEMA", "not an object"),
    ],
)
def test_bad_schema_returns(schema: object, code: str, text: str) -> None:
    response = plugin.PluginAdapter(Configurable(schema=schema)).schema(SchemaRequest())
    assert response.error is not None and response.error.code == code and text in response.error.message


def test_describe_wrong_type() -> None:
    response = plugin.PluginAdapter(Configurable(describe={"name": "t"})).describe(DescribeRequest())
    assert response.error is not None and response.error.code == "BAD_RETURN"
    assert "describe() returned dict" in response.error.message


def test_check_passes_config_and_fills_metadata() -> None:
    response = plugin.PluginAdapter(Configurable()).check(CheckRequest(config=to_json_object({"a": [1, 2]})))
    assert response.result is not None
    result = Result.from_proto(response.result)
    assert result.data["echo"] == {"a": [1, 2]}
    assert result.metadata is not None and result.metadata.sdk_version == "0.1.0" and result.timestamp is not None


class CollectingTransport:
    """A HostTransport that keeps log requests; any other host function fails the test."""

    def __init__(self) -> None:
        self.requests: list[LogRequest] = []

    def log(self, request: bytes, /) -> bytes:
        self.requests.append(LogRequest.parse(request))
        return bytes(LogResponse())

    def __getattr__(self, rpc: str) -> Callable[[bytes], bytes]:
        raise AttributeError(f"only log was expected, not {rpc}")


def test_log_handler_sends_typed_attributes_natively() -> None:
    transport = CollectingTransport()
    guest.host.use_transport(transport)
    logger = logging.getLogger("adapter-test")
    logger.addHandler(HostLogHandler())
    logger.setLevel(logging.INFO)
    logger.propagate = False  # register() in other tests put a HostLogHandler on the root logger
    try:
        logger.info("hello %s", "world", extra={"n": 1, "ok": True, "big": 2**64 - 1, "obj": object()})
    finally:
        logger.handlers.clear()
        guest.host.use_transport(None)
    (request,) = transport.requests
    assert request.message == "hello world" and request.logger == "adapter-test"
    kinds = {a.key: a for a in request.attributes}
    assert kinds["n"].int_value == 1 and kinds["ok"].bool_value is True and kinds["big"].uint_value == 2**64 - 1
    assert kinds["obj"].string_value is not None and kinds["obj"].string_value.startswith("<object object")


def test_attribute_conversion_of_json_values() -> None:
    assert attribute("x", {"a": [1]}).json_value is not None
    assert attribute("e", ValueError("bad")).error_value == "ValueError: bad"
