"""Result, ErrorDetail and Context: construction, conversion to the ABI and back."""

from __future__ import annotations

import datetime

import pytest

from reglet_abi.reglet.v1 import CallContext, Result as ResultMessage
from reglet_sdk import ErrorDetail, Result
from reglet_sdk.context import Context
from reglet_sdk.errors import CapabilityError, HostCallError, raise_for_error


def test_constructors() -> None:
    assert Result.success("ok", {"a": 1}).status == "success"
    assert Result.failure("no").status == "failure"
    flags = [
        (r.passed, r.is_failure, r.is_error)
        for r in (Result.success(), Result.failure(), Result.error(ErrorDetail("x", "y")))
    ]
    assert flags == [(True, False, False), (False, True, False), (False, False, True)]
    detail = ErrorDetail("network", "refused", code="CONNECTION_REFUSED")
    error = Result.error(detail)
    assert error.status == "error" and error.error is detail and error.message == "refused"
    assert Result.success().error is None
    with pytest.raises(TypeError, match="takes an ErrorDetail"):
        Result.error("boom")  # type: ignore[arg-type]  # on purpose: the runtime check is under test
    with pytest.raises(ValueError, match="status must be"):
        Result("maybe")  # type: ignore[arg-type]  # on purpose: the runtime check is under test


def test_result_round_trips_through_the_abi() -> None:
    wrapped = ErrorDetail("network", "inner", details={"host": "a"})
    result = Result.error(
        ErrorDetail("timeout", "outer", code="T", wrapped=wrapped, is_timeout=True), data={"n": 2**64}
    )
    result.timestamp = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    again = Result.from_proto(ResultMessage.parse(bytes(result.to_proto())))
    assert again == result
    assert again.to_dict()["timestamp"] == "2026-01-02T00:00:00Z"


def test_unspecified_status_reads_as_an_error() -> None:
    result = Result.from_proto(ResultMessage(message="?"))
    assert result.status == "error" and result.error is not None and result.error.code == "BAD_RESULT"


def test_error_detail_text_form_matches_go() -> None:
    detail = ErrorDetail("network", "dial failed", code="tcp_connect", wrapped=ErrorDetail("timeout", "5s"))
    assert str(detail) == "network: dial failed [tcp_connect]: timeout: 5s"


def test_raise_for_error_maps_types() -> None:
    raise_for_error(None)
    with pytest.raises(CapabilityError) as denied:
        raise_for_error(ErrorDetail("capability", "no", code="exec:/bin/ls").to_proto())
    assert denied.value.detail.code == "exec:/bin/ls"
    with pytest.raises(HostCallError):
        raise_for_error(ErrorDetail("network", "down").to_proto())


def test_context_deadline_and_remaining_time() -> None:
    now = datetime.datetime.now(datetime.UTC)
    ctx = Context.from_proto(CallContext(timeout_ms=5000, request_id="r1"), now=now)
    assert ctx.request_id == "r1" and ctx.deadline == now + datetime.timedelta(seconds=5)
    remaining = ctx.remaining()
    assert remaining is not None and datetime.timedelta(seconds=4) < remaining <= datetime.timedelta(seconds=5)
    outgoing = ctx.to_proto(timeout=datetime.timedelta(seconds=1))
    assert 0 < outgoing.timeout_ms <= 1000 and outgoing.request_id == "r1" and not outgoing.canceled
    past = Context(deadline=now - datetime.timedelta(seconds=1))
    assert past.expired and past.to_proto().canceled
    assert Context().remaining() is None and Context().to_proto().timeout_ms == 0


def test_the_package_exports_the_author_api() -> None:
    import reglet_sdk

    for name in (
        "net",
        "CapabilityError",
        "NotFoundError",
        "HostTimeoutError",
        "NetworkError",
        "ExecError",
        "HostCallError",
    ):
        assert name in reglet_sdk.__all__ and hasattr(reglet_sdk, name), name
    assert callable(reglet_sdk.net.dns.lookup_txt) and callable(reglet_sdk.net.http.request)
    assert issubclass(reglet_sdk.NotFoundError, reglet_sdk.NetworkError)


def test_check_is_declared_with_cfg_so_a_copied_signature_keeps_the_config_module() -> None:
    import inspect

    from reglet_sdk import plugin

    assert list(inspect.signature(plugin.Plugin.check).parameters) == ["self", "ctx", "cfg"]
