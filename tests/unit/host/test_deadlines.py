"""The host's deadline for a call caps every host function, natively: the time handed out, a request
that arrives late or canceled, and the worker thread a call runs on (host.call_thread)."""

from __future__ import annotations

import datetime
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from reglet_abi.reglet.v1 import CallContext, ExecRequest, LogRequest, services
from reglet_sdk.host.call_thread import Abandoned, CallThreads, stuck_calls
from reglet_sdk.host.deadlines import MINIMUM, effective_timeout
from reglet_sdk.host.handlers import CURRENT_CALL, CallHandlers, serving
from reglet_sdk.host.log import PluginLogRecord
from tests.unit.host.support import handlers

RPCS = tuple(method.python_name for method in services.HOST.methods)
FORGED = CallContext(deadline=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1), timeout_ms=3_600_000)


def test_the_host_deadline_caps_whatever_the_plugin_asks() -> None:
    deadline = time.monotonic() + 2
    assert effective_timeout(35_000, 30, FORGED, deadline=deadline) <= 2
    assert effective_timeout(0, 30, None, deadline=deadline) <= 2
    assert effective_timeout(500, 30, FORGED, deadline=deadline) == 0.5  # asking for less is fine
    assert effective_timeout(35_000, 30, None, deadline=time.monotonic() - 1) == MINIMUM
    assert effective_timeout(0, 30, None, deadline=None, cap=5) == 5  # natively: the host's own caps


@pytest.mark.parametrize(
    ("deadline_in", "context", "code"),
    [(-1.0, None, "TIMEOUT"), (60.0, CallContext(canceled=True), "CANCELED")],
)
def test_a_late_or_canceled_request_is_answered_without_acting(
    tmp_path: Path, deadline_in: float, context: CallContext | None, code: str
) -> None:
    records: list[PluginLogRecord] = []
    h = handlers("exec:/usr/bin/touch", records=records)
    h.deadline = time.monotonic() + deadline_in
    marker = tmp_path / "ran"

    response = h.exec_command(ExecRequest(command="/usr/bin/touch", args=[str(marker)], context=context))
    logged = h.log(LogRequest(message="late", context=context))

    for error in (response.error, logged.error):
        assert error is not None and (error.type, error.code, error.is_timeout) == ("timeout", code, True)
    assert not marker.exists() and records == []


def test_a_request_in_time_runs() -> None:
    h = handlers("exec:/bin/true")
    h.deadline = time.monotonic() + 30
    assert h.exec_command(ExecRequest(command="/bin/true")).error is None


def test_a_call_still_running_at_its_deadline_is_abandoned_counted_and_drains() -> None:
    calls = CallThreads(limit=1)
    release = threading.Event()
    before = stuck_calls()
    with pytest.raises(Abandoned):
        calls.run(lambda: release.wait(10), until=time.monotonic() + 0.1, name="blocked")
    assert calls.stuck == 1 and stuck_calls() == before + 1
    assert calls.refusal() is not None and "max_stuck_calls = 1" in str(calls.refusal())

    release.set()
    deadline = time.monotonic() + 5
    while calls.stuck and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls.stuck == 0 and stuck_calls() == before and calls.refusal() is None


def test_a_call_answers_or_raises_on_the_callers_thread() -> None:
    calls = CallThreads(limit=1)
    assert calls.run(lambda: 42, until=time.monotonic() + 5, name="quick") == 42
    with pytest.raises(ZeroDivisionError):
        calls.run(lambda: 1 // 0, until=time.monotonic() + 5, name="raises")
    assert calls.stuck == 0


def test_a_worker_is_reused_by_the_next_call_but_never_while_its_call_is_stuck() -> None:
    calls = CallThreads(limit=2)
    first = calls.run(threading.get_ident, until=time.monotonic() + 5, name="one")
    assert calls.run(threading.get_ident, until=time.monotonic() + 5, name="two") == first  # the idle worker

    release, blocked_on = threading.Event(), []

    def block() -> None:
        blocked_on.append(threading.get_ident())
        release.wait(10)

    with pytest.raises(Abandoned):
        calls.run(block, until=time.monotonic() + 0.1, name="blocked")
    assert calls.run(threading.get_ident, until=time.monotonic() + 5, name="meanwhile") != blocked_on[0]
    release.set()
    deadline = time.monotonic() + 5
    while calls.stuck and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls.stuck == 0
    calls.close()
    assert calls.run(lambda: 7, until=time.monotonic() + 5, name="after close") == 7  # a fresh worker, not kept


def test_the_linkers_handlers_forward_every_rpc_to_the_call_served_on_this_thread() -> None:
    # CURRENT_CALL is built from the rpc table: every Host rpc reaches the CallHandlers being served,
    # and outside a call there is nothing to answer with (a host bug, said as such).
    answered: list[str] = []

    class Recording(CallHandlers):
        def __getattribute__(self, name: str) -> Any:
            if name in RPCS:
                answered.append(name)
                return lambda request: f"{name} answered"
            return super().__getattribute__(name)

    served = Recording("p", "r", lambda _record: None)
    with serving(served):
        for rpc in RPCS:
            assert getattr(CURRENT_CALL, rpc)(None) == f"{rpc} answered"
    assert answered == list(RPCS)
    with pytest.raises(RuntimeError, match="no plugin call being served"):
        CURRENT_CALL.log(LogRequest(message="outside"))
