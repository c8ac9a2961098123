"""host.exec (ExecCommand) natively: request checks, environment hardening, host-capped timeout."""

from __future__ import annotations

import pytest

from reglet_abi.reglet.v1 import ExecRequest
from reglet_sdk.host.exec import EnvironmentEntryError, harden_environment
from tests.unit.host.support import handlers


def test_hardening_drops_loader_variables_and_gates_path() -> None:
    env, dropped = harden_environment(
        ["LD_PRELOAD=/evil.so", "DYLD_INSERT_LIBRARIES=x", "IFS=;", "BASH_ENV=/x", "PATH=/evil", "FOO=bar"], allowed=[]
    )
    assert env == {"FOO": "bar"}
    assert any(d.startswith("LD_PRELOAD") for d in dropped) and any("needs env:PATH" in d for d in dropped)
    env, _ = harden_environment(["PATH=/usr/bin", "LD_LIBRARY_PATH=/x"], allowed=["PATH"])
    assert env == {"PATH": "/usr/bin"}


@pytest.mark.parametrize("entry", ["NOEQUALS", "=value", "A=b\0c"])
def test_malformed_entries_are_refused(entry: str) -> None:
    with pytest.raises(EnvironmentEntryError):
        harden_environment([entry], allowed=[])


def test_exec_refuses_an_empty_command_and_a_bad_environment() -> None:
    h = handlers("exec:/usr/bin/env")
    assert h.exec_command(ExecRequest()).error.code == "INVALID_REQUEST"  # type: ignore[union-attr]
    bad = h.exec_command(ExecRequest(command="/usr/bin/env", env=["NOEQUALS"]))
    assert bad.error is not None and bad.error.code == "INVALID_REQUEST"


def test_exec_timeout_is_the_smallest_of_request_and_host_maximum() -> None:
    h = handlers("exec:/bin/sleep")
    h.exec_limits = type(h.exec_limits)(default_timeout=30, max_timeout=1, max_output=100)
    response = h.exec_command(ExecRequest(command="/bin/sleep", args=["5"], timeout_ms=10_000))
    assert response.is_timeout and response.duration_ms < 2500
