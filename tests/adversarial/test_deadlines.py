"""The host owns the deadline: a plugin blocked in WASI, or asking host functions for more time, is
stopped at the host's timeout (issue 10, item 1). Run on the built deadline probe."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reglet_sdk.host import Host, HostConfig, LoadedPlugin
from reglet_sdk.results import Result
from reglet_sdk.testing.servers import tcp_listener
from tests.conftest import COMPILE_CACHE, build_test_plugin

pytestmark = pytest.mark.component

PROBE = Path(__file__).parent / "plugins" / "deadline_probe"
TIMEOUT = 2.0
SLACK = 2.0  # generous: the limit holds if the call returns within TIMEOUT + SLACK
CLI = [str(Path(sys.executable).parent / "reglet-sdk")]  # the console script: its entry point, exit path


@pytest.fixture(scope="module")
def probe_wasm() -> Path:
    return build_test_plugin(PROBE)


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host(HostConfig(timeout=TIMEOUT, cache_dir=COMPILE_CACHE)) as host:
        yield host


def timed_check(plugin: LoadedPlugin, config: dict[str, Any]) -> tuple[Result, float]:
    started = time.monotonic()
    result = plugin.check(config)
    return result, time.monotonic() - started


def assert_timed_out(result: Result, elapsed: float) -> None:
    assert elapsed < TIMEOUT + SLACK, f"the call took {elapsed:.1f} s under a {TIMEOUT} s timeout"
    assert result.status == "error" and result.error is not None
    assert (result.error.type, result.error.code) == ("timeout", "TIMEOUT"), result.error


def assert_host_function_timed_out(result: Result, elapsed: float) -> None:
    """The host function gave up at the call's deadline: the probe reports its TIMEOUT answer when it
    still had a moment to do so, else the call itself ended as a timeout."""
    if result.status == "success":
        assert elapsed < TIMEOUT + SLACK, f"the call took {elapsed:.1f} s under a {TIMEOUT} s timeout"
        assert result.data["timed_out"] is True, result.data
    else:
        assert_timed_out(result, elapsed)


def test_a_plugin_blocked_in_sleep_is_given_up_on_at_the_timeout(probe_wasm: Path) -> None:
    with Host(HostConfig(timeout=TIMEOUT, cache_dir=COMPILE_CACHE)) as own:  # keeps `host` free of stuck calls
        plugin = own.load(probe_wasm)

        result, elapsed = timed_check(plugin, {"mode": "sleep", "seconds": 15})

        assert_timed_out(result, elapsed)
        assert result.error is not None and "blocked" in result.error.message
        assert plugin.check({"mode": "ok"}).status == "success"  # the same host carries on


@pytest.mark.parametrize("context", ["none", "forged"])
def test_http_to_a_silent_server_ends_at_the_host_timeout(host: Host, probe_wasm: Path, context: str) -> None:
    with tcp_listener(accept=False) as silent:  # accepts and never answers
        plugin = host.load(probe_wasm, grants=[f"network:127.0.0.1:{silent.port}"])
        result, elapsed = timed_check(
            plugin,
            {"mode": "http", "url": f"http://127.0.0.1:{silent.port}/", "timeout_ms": 35_000, "context": context},
        )

    assert_host_function_timed_out(result, elapsed)
    assert silent.counter.connections == 1  # the request was made, and cut off by the host's deadline ...
    assert host.stuck_calls == 0  # ... by the host function itself: the call was not abandoned
    assert plugin.check({"mode": "ok"}).status == "success"


def test_exec_with_a_forged_context_ends_at_the_host_timeout(host: Host, probe_wasm: Path) -> None:
    plugin = host.load(probe_wasm, grants=["exec:/bin/sleep"])

    result, elapsed = timed_check(
        plugin, {"mode": "exec", "seconds": 20, "timeout_ms": 30_000, "context": "forged", "command": "/bin/sleep"}
    )

    assert_host_function_timed_out(result, elapsed)
    assert host.stuck_calls == 0  # the command was killed at the deadline, not left running
    assert plugin.check({"mode": "ok"}).status == "success"


def test_stuck_calls_are_bounded_and_drain(probe_wasm: Path) -> None:
    with Host(HostConfig(timeout=1.0, cache_dir=COMPILE_CACHE, max_stuck_calls=1)) as host:
        plugin = host.load(probe_wasm)
        first = plugin.check({"mode": "sleep", "seconds": 4})
        assert first.error is not None and first.error.type == "timeout"
        assert host.stuck_calls == 1

        refused, elapsed = timed_check(plugin, {"mode": "ok"})
        assert elapsed < 1.0
        assert refused.error is not None and refused.error.code == "HOST_BUSY"
        assert "max_stuck_calls" in refused.error.message

        deadline = time.monotonic() + 15  # the sleep ends after 4 s; the stuck call then traps and drains
        while host.stuck_calls and time.monotonic() < deadline:
            time.sleep(0.1)
        assert host.stuck_calls == 0
        assert plugin.check({"mode": "ok"}).status == "success"


def run_cli(wasm: Path, config: dict[str, Any]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [*CLI, "check", str(wasm), "--timeout", str(TIMEOUT), "--format", "json", "--config", json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, time.monotonic() - started


def test_the_cli_returns_at_the_timeout_with_exit_2(probe_wasm: Path) -> None:
    run_cli(probe_wasm, {"mode": "ok"})  # compiles the component into the CLI's cache
    baseline, startup = run_cli(probe_wasm, {"mode": "ok"})  # start-up and load time here, right now
    assert baseline.returncode == 0, baseline.stderr

    done, elapsed = run_cli(probe_wasm, {"mode": "sleep", "seconds": 15})

    assert elapsed < startup + TIMEOUT + SLACK, f"{elapsed:.1f} s (a plain check took {startup:.1f} s)"
    assert done.returncode == 2, done.stderr
    error = json.loads(done.stdout)["error"]
    assert (error["type"], error["code"]) == ("timeout", "TIMEOUT")


def _lines(stream: Any, into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def test_ctrl_c_stops_the_cli_with_one_line_and_exit_130(probe_wasm: Path) -> None:
    process = subprocess.Popen(
        [*CLI, "check", str(probe_wasm), "--timeout", "30", "--config", json.dumps({"mode": "sleep", "seconds": 15})],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True).start()
    try:
        waited_until = time.monotonic() + 60
        while "sleeping" not in lines.get(timeout=max(0.1, waited_until - time.monotonic())):
            pass  # the plugin logs "sleeping" just before it blocks in WASI
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
    finally:
        process.kill()
    assert time.monotonic() - interrupted < SLACK
    assert code == 130, list(lines.queue)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    assert rest == ["reglet-sdk check: interrupted\n"]
