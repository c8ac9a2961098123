"""The seed's parity features: exec.run's injectable runner, FakeHost, and the pytest fixtures."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reglet_abi.reglet.v1 import ExecRequest, ExecResponse
from reglet_sdk import exec
from reglet_sdk.context import Context, serving
from reglet_sdk.testing import FakeHost, NativePlugin

REPO = Path(__file__).resolve().parents[2]
COMMAND = REPO / "examples" / "command"

pytest_plugins = ["pytester"]


class ScriptedRunner:
    """A CommandRunner (the seed's WithRunner): records what it is asked, answers from a script."""

    def __init__(self) -> None:
        self.seen: list[tuple[Context, exec.CommandRequest]] = []

    def run(self, ctx: Context, request: exec.CommandRequest) -> exec.CommandResponse:
        self.seen.append((ctx, request))
        return exec.CommandResponse(stdout="Linux\n", stderr="", exit_code=0, duration_ms=1, is_timeout=False)


def test_exec_run_uses_the_injected_runner_with_the_options_applied() -> None:
    runner = ScriptedRunner()
    with serving(Context(request_id="r7")):
        response = exec.run(
            exec.CommandRequest(command="/usr/bin/uname", args=["-s"]),
            workdir="/tmp",
            env=["LANG=C"],
            timeout=3,
            runner=runner,
        )
    assert response.stdout == "Linux\n" and response.exit_code == 0
    ((ctx, sent),) = runner.seen
    assert ctx.request_id == "r7"
    assert (sent.command, sent.args, sent.dir, sent.env, sent.timeout) == (
        "/usr/bin/uname",
        ["-s"],
        "/tmp",
        ["LANG=C"],
        3,
    )


def test_exec_run_refuses_what_is_not_a_command_request() -> None:
    with pytest.raises(TypeError, match=r"takes an exec\.CommandRequest"):
        exec.run("uname -s", runner=ScriptedRunner())  # type: ignore[arg-type]  # the mistake under test


def test_fake_host_answers_from_its_script_and_records_each_request() -> None:
    fake = FakeHost(exec_command=lambda request: ExecResponse(stdout=b"Linux\n", exit_code=0))
    plugin = NativePlugin.load(COMMAND, host=fake)
    result = plugin.check({"command": "/usr/bin/uname", "args": ["-s"]})
    assert result.status == "success" and result.data["stdout"] == "Linux\n"
    (request,) = fake.calls["exec_command"]
    assert isinstance(request, ExecRequest) and (request.command, request.args) == ("/usr/bin/uname", ["-s"])
    assert request.context is not None and request.context.timeout_ms > 0  # the call's budget is sent


def test_fake_host_without_an_answer_denies_like_a_host_that_granted_nothing() -> None:
    fake = FakeHost()
    result = NativePlugin.load(COMMAND, host=fake).check({"command": "/usr/bin/uname"})
    assert result.status == "error" and result.error is not None and result.error.type == "capability"
    with pytest.raises(TypeError, match="no rpc"):
        FakeHost(exec_comand=ExecResponse())  # misspelt on purpose


def test_the_pytest_fixtures_load_a_plugin_natively_and_as_a_component(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_hello=textwrap.dedent(
            f"""
            HELLO = {str(REPO / "examples" / "hello")!r}

            def test_native(reglet_native):
                assert reglet_native(HELLO).check({{"name": "Ada"}}).data["greeting"] == "Hello, Ada!"

            def test_component(reglet_component):
                result = reglet_component(HELLO).check({{"name": "Ada", "times": 2}})
                assert result.status == "success" and result.message == "Hello, Ada! Hello, Ada!"
            """
        )
    )
    outcome = pytester.runpytest_subprocess("-q")
    outcome.assert_outcomes(passed=2)
