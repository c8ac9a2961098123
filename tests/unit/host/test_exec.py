"""host.exec (ExecCommand) natively: request checks, the environment allow-list, host-capped timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

from reglet_abi.reglet.v1 import ExecRequest
from reglet_sdk.host.exec import EnvironmentEntryError, EnvironmentRefused, harden_environment
from tests.unit.host.support import handlers


def nothing_granted(name: str) -> bool:
    return False


@pytest.mark.parametrize(
    "entry",
    [
        "LANG=C.UTF-8",
        "LANGUAGE=fr:en",
        "LC_ALL=sr_RS@latin",
        "LC_MESSAGES=",
        "TZ=Europe/Paris",
        "TZ=:America/Argentina/Buenos_Aires",
        "TZ=CET-1CEST,M3.5.0/2,M10.5.0/3",
        "TZ=<+0330>-3:30",
    ],
)
def test_the_safe_set_passes_without_a_grant(entry: str) -> None:
    name, _, value = entry.partition("=")
    assert harden_environment([entry], nothing_granted) == {name: value}


@pytest.mark.parametrize(
    "entry",
    ["LANG=/tmp/evil", "LC_ALL=../../tmp/evil", "TZ=/etc/shadow", "TZ=:/etc/shadow", "TZ=../../../etc/shadow"],
)
def test_a_safe_name_naming_a_file_needs_a_grant(entry: str) -> None:
    name = entry.partition("=")[0]
    with pytest.raises(EnvironmentRefused, match=f"grant env:{name} to allow it"):
        harden_environment([entry], nothing_granted)
    assert harden_environment([entry], lambda n: n == name) == {name: entry.partition("=")[2]}


def test_anything_else_is_refused_naming_every_variable_and_its_rule() -> None:
    with pytest.raises(EnvironmentRefused) as refused:
        harden_environment(["LANG=C", "PATH=/evil", "FOO=bar", "LC_ALL=C"], nothing_granted)
    message = str(refused.value)
    assert "PATH, FOO may not be passed" in message and "grant env:PATH, env:FOO to allow them" in message
    assert "Nothing was run" in message
    assert harden_environment(["PATH=/usr/bin", "FOO=bar"], lambda n: n in ("PATH", "FOO")) == {
        "PATH": "/usr/bin",
        "FOO": "bar",
    }


@pytest.mark.parametrize(
    "entry", ["LD_PRELOAD=/evil.so", "DYLD_INSERT_LIBRARIES=x", "IFS=;", "BASH_ENV=/x", "BASH_FUNC_id%%=() { :; }"]
)
def test_loader_and_shell_variables_never_pass_even_when_granted(entry: str) -> None:
    with pytest.raises(EnvironmentRefused, match="never reaches a command"):
        harden_environment([entry], lambda name: True)


@pytest.mark.parametrize("entry", ["NOEQUALS", "=value", "A=b\0c"])
def test_malformed_entries_are_refused(entry: str) -> None:
    with pytest.raises(EnvironmentEntryError):
        harden_environment([entry], lambda name: True)


def test_exec_refuses_an_empty_command_a_bad_environment_and_a_nul_argument() -> None:
    h = handlers("exec:/usr/bin/env")
    assert h.exec_command(ExecRequest()).error.code == "INVALID_REQUEST"  # type: ignore[union-attr]
    bad = h.exec_command(ExecRequest(command="/usr/bin/env", env=["NOEQUALS"]))
    assert bad.error is not None and bad.error.code == "INVALID_REQUEST"
    nul = h.exec_command(ExecRequest(command="/usr/bin/env", args=["a\0b"]))
    assert nul.error is not None and (nul.error.type, nul.error.code) == ("validation", "INVALID_REQUEST")


def test_a_refused_environment_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    h = handlers("exec:/usr/bin/touch")
    response = h.exec_command(ExecRequest(command="/usr/bin/touch", args=[str(marker)], env=["PERL5OPT=-d"]))
    assert response.error is not None
    assert (response.error.type, response.error.code) == ("validation", "ENV_NOT_ALLOWED")
    assert "PERL5OPT" in response.error.message and "env:PERL5OPT" in response.error.message
    assert not marker.exists()
    granted = handlers("exec:/usr/bin/touch", "env:PERL5OPT")
    assert (
        granted.exec_command(ExecRequest(command="/usr/bin/touch", args=[str(marker)], env=["PERL5OPT=-d"])).error
        is None
    )
    assert marker.exists()


def test_exec_timeout_is_the_smallest_of_request_and_host_maximum() -> None:
    h = handlers("exec:/bin/sleep")
    h.exec_limits = type(h.exec_limits)(default_timeout=30, max_timeout=1, max_output=100)
    response = h.exec_command(ExecRequest(command="/bin/sleep", args=["5"], timeout_ms=10_000))
    assert response.is_timeout and response.duration_ms < 2500
