"""HostPool on built components in real worker processes: a Host's answers, plus the parent's backstops."""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reglet_sdk.host import (
    Host,
    HostConfig,
    HostPool,
    LoadedPlugin,
    PluginLoadError,
    PluginLogRecord,
    PooledPlugin,
)
from reglet_sdk.host.pool_worker import _Worker
from reglet_sdk.host.runtime import resolve_grants
from reglet_sdk.results import Result
from tests.conftest import COMPILE_CACHE, REPO, build_test_plugin

pytestmark = pytest.mark.component

SLEEP = os.path.realpath(shutil.which("sleep") or "/bin/sleep")


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists (a zombie counts: it was not reaped)."""
    return Path(f"/proc/{pid}").exists()


def _running(pid: int) -> bool:
    """Whether the process exists and has not exited (a zombie has: only its parent has yet to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _processes_with(argument: str) -> list[int]:
    """Pids of processes whose command line holds `argument` as one of its words."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                words = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argument.encode() in words:
                found.append(int(entry))
    return found


def _comparable(result: Result) -> dict[str, Any]:
    """A result without what differs between any two runs (time stamps, request ids, durations)."""
    shown = result.to_dict()
    del shown["timestamp"], shown["metadata"]
    shown["data"] = {k: v for k, v in result.data.items() if k not in ("request_id", "duration_ms")}
    return shown


@pytest.fixture(scope="module")
def host_records() -> list[PluginLogRecord]:
    return []


@pytest.fixture(scope="module")
def pool_records() -> list[PluginLogRecord]:
    return []


@pytest.fixture(scope="module")
def host(host_records: list[PluginLogRecord]) -> Iterator[Host]:
    with Host(HostConfig(timeout=3.0, cache_dir=COMPILE_CACHE, on_log=host_records.append)) as host:
        yield host


@pytest.fixture(scope="module")
def pool(pool_records: list[PluginLogRecord]) -> Iterator[HostPool]:
    with HostPool(HostConfig(timeout=3.0, cache_dir=COMPILE_CACHE, on_log=pool_records.append), processes=2) as pool:
        yield pool


CHECKS: list[tuple[str, dict[str, Any]]] = [
    ("hello", {"name": "Ada", "times": 2}),
    ("hello", {"name": "Ada", "greeting": "good day"}),
    ("hello", {"name": "Ada", "times": "twice"}),
    ("hello", {"name": "Ada", "times": 0}),
    ("hello", {"name": {1, 2}}),  # not JSON: refused in the worker, as a Host refuses it
    ("hello", {"name": lambda: "Ada"}),  # not even picklable: refused in the parent, with the Host's words
    ("misbehaving", {"mode": "ok"}),
    ("misbehaving", {"mode": "raise"}),
    ("misbehaving", {"mode": "wrong-type"}),
    ("misbehaving", {"mode": "bad-data"}),
    ("misbehaving", {"mode": "state"}),
    ("misbehaving", {"mode": "exec"}),
    ("misbehaving", {"mode": "dependency"}),
    ("misbehaving", {"mode": "lazy-import"}),
    ("command", {"command": "/usr/bin/id", "args": ["-u"]}),
    ("command", {"command": "/usr/bin/uname", "args": ["-s"]}),
]


def test_results_descriptions_and_schemas_equal_a_hosts(
    host: Host, pool: HostPool, hello_wasm: Path, misbehaving_wasm: Path, command_wasm: Path
) -> None:
    wasm = {"hello": hello_wasm, "misbehaving": misbehaving_wasm, "command": command_wasm}
    grants = {"command": ["exec:/usr/bin/id"]}  # uname is not granted: the same capability error from both
    alone = {name: host.load(path, grants.get(name)) for name, path in wasm.items()}
    pooled = {name: pool.load(path, grants.get(name)) for name, path in wasm.items()}
    for name in wasm:
        assert pooled[name].describe() == alone[name].describe() == pooled[name].description
        assert pooled[name].schema() == alone[name].schema()
        assert pooled[name].requested_rules == alone[name].requested_rules
        assert pooled[name].sha256 == alone[name].sha256 and pooled[name].name == name
    expected = [_comparable(alone[name].check(config)) for name, config in CHECKS]
    assert expected[0]["status"] == "success" and any(e["status"] == "failure" for e in expected)
    for _ in range(2):  # twice: each check runs on both workers (one has loaded lazily)
        assert [_comparable(pooled[name].check(config)) for name, config in CHECKS] == expected


def test_load_errors_equal_a_hosts(host: Host, pool: HostPool, tmp_path: Path) -> None:
    text = tmp_path / "notes.wasm"
    text.write_text("not a component")
    for path in (text, tmp_path / "missing.wasm"):
        with pytest.raises(PluginLoadError) as from_host:
            host.load(path)
        with pytest.raises(PluginLoadError) as from_pool:
            pool.load(path)
        assert str(from_pool.value) == str(from_host.value)


def test_grants_apply_on_every_worker_and_change_for_the_calls_that_follow(pool: HostPool, command_wasm: Path) -> None:
    command = pool.load(command_wasm)
    config = {"command": "/usr/bin/id", "args": ["-u"]}
    assert {r.error.code if r.error else "" for r in _concurrently(command, config, 4)} == {"exec:/usr/bin/id"}
    command.grant(["exec:/usr/bin/id"])
    assert {r.data["stdout"] for r in _concurrently(command, config, 4)} == {f"{os.getuid()}\n"}
    command.grant(None)
    assert {r.status for r in _concurrently(command, config, 4)} == {"error"}


def _concurrently(plugin: PooledPlugin, config: dict[str, Any], count: int) -> list[Result]:
    results: list[Result] = []
    threads = [threading.Thread(target=lambda: results.append(plugin.check(config))) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == count
    return results


def test_log_records_reach_on_log_in_order_as_from_a_host(
    host: Host,
    pool: HostPool,
    misbehaving_wasm: Path,
    host_records: list[PluginLogRecord],
    pool_records: list[PluginLogRecord],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def shown(records: list[PluginLogRecord]) -> list[tuple[Any, ...]]:
        return [(r.plugin, r.level, r.message, r.logger, r.attributes) for r in records]

    host_records.clear()
    pool_records.clear()
    expected = host.load(misbehaving_wasm).check({"mode": "log"})
    result = pool.load(misbehaving_wasm).check({"mode": "log"})
    assert result.status == expected.status == "success" and result.metadata is not None
    assert shown(pool_records) == shown(host_records) and len(pool_records) == 3
    assert {r.request_id for r in pool_records} == {result.metadata.request_id}
    with caplog.at_level(logging.INFO, logger="reglet.plugin.misbehaving"):  # the level set after the pool started
        pool.load(misbehaving_wasm).check({"mode": "print"})
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "reglet.plugin.misbehaving"]
    assert ("INFO", "stdout: hello from print") in lines
    assert ("WARNING", "stderr: to stderr") in lines


def test_busy_loop_times_out_and_the_pool_keeps_working(pool: HostPool, misbehaving_wasm: Path) -> None:
    misbehaving = pool.load(misbehaving_wasm)
    pids = pool.pids
    started = time.monotonic()
    result = misbehaving.check({"mode": "loop"}, timeout=2.0)
    assert time.monotonic() - started < 2.0 + 2.0
    assert result.error is not None and result.error.code == "TIMEOUT" and result.error.is_timeout
    assert "ran for" in result.error.message  # the worker's own Host stopped it: no process was killed
    assert pool.pids == pids
    assert misbehaving.check({"mode": "ok"}).status == "success"


def test_a_worker_left_with_a_stuck_call_is_replaced_which_frees_its_sandbox(hello_wasm: Path) -> None:
    probe = build_test_plugin(REPO / "tests" / "adversarial" / "plugins" / "deadline_probe")
    with HostPool(HostConfig(timeout=1.0, cache_dir=COMPILE_CACHE), processes=1) as pool:
        sleeper, hello = pool.load(probe), pool.load(hello_wasm)
        (worker,) = pool.pids
        started = time.monotonic()
        result = sleeper.check({"mode": "sleep", "seconds": 60})
        assert time.monotonic() - started < 1.0 + 0.5 + 2.0
        assert result.error is not None and result.error.code == "TIMEOUT"
        assert "still blocked" in result.error.message  # the worker's Host gave up on it, as a Host does
        assert not _alive(worker)  # and the pool ended that worker, the sleeping sandbox with it
        assert hello.check({"name": "Ada"}, timeout=30).status == "success"


def test_a_worker_killed_mid_call_gives_a_clear_error_its_commands_die_and_the_next_call_works(
    command_wasm: Path,
) -> None:
    marker = f"{random.randint(100, 999)}.{random.randint(100, 999)}"  # sleep's argument, found in /proc
    with HostPool(HostConfig(timeout=20.0, cache_dir=COMPILE_CACHE), processes=1) as pool:
        command = pool.load(command_wasm, grants=[f"exec:{SLEEP}"])
        (worker,) = pool.pids
        results: list[Result] = []
        call = threading.Thread(target=lambda: results.append(command.check({"command": SLEEP, "args": [marker]})))
        call.start()
        assert _wait_for(lambda: bool(_processes_with(marker)), 15), "the command never started"
        os.kill(worker, signal.SIGKILL)
        call.join(15)
        (result,) = results
        assert result.error is not None and result.error.code == "WORKER_LOST", result
        assert "killed by SIGKILL" in result.error.message and "out-of-memory" in result.error.message
        # The command's supervisor saw the worker's end of its control socket close and killed the tree.
        assert _wait_for(lambda: not _processes_with(marker), 10), "the command outlived its worker"
        assert not _alive(worker)
        assert pool.pids != (worker,)
        ok = command.check({"command": SLEEP, "args": ["0"]})
        assert ok.status == "success", ok


def test_a_worker_that_stops_answering_is_killed_at_the_backstop_and_replaced(hello_wasm: Path) -> None:
    with HostPool(HostConfig(timeout=1.0, cache_dir=COMPILE_CACHE), processes=1) as pool:
        hello = pool.load(hello_wasm)
        (worker,) = pool.pids
        os.kill(worker, signal.SIGSTOP)  # a worker hung where its own Host's deadline cannot reach
        started = time.monotonic()
        result = hello.check({"name": "Ada"})
        assert time.monotonic() - started < 1.0 + 0.5 + 2.0 + 2.0
        assert result.error is not None and result.error.code == "TIMEOUT" and result.error.is_timeout
        assert "did not answer" in result.error.message and "killed it" in result.error.message
        assert not _alive(worker)
        assert hello.check({"name": "Ada"}, timeout=30).status == "success"


def test_close_ends_every_worker_even_mid_call_and_later_calls_are_refused(
    misbehaving_wasm: Path, hello_wasm: Path
) -> None:
    pool = HostPool(HostConfig(timeout=20.0, cache_dir=COMPILE_CACHE), processes=2)
    misbehaving, hello = pool.load(misbehaving_wasm), pool.load(hello_wasm)
    pids = pool.pids
    assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    results: list[Result] = []
    busy = threading.Thread(target=lambda: results.append(misbehaving.check({"mode": "loop"})))
    busy.start()
    time.sleep(1.0)  # the loop is running on one worker; the other is idle
    pool.close()
    busy.join(10)
    (result,) = results
    assert result.error is not None and result.error.code == "POOL_CLOSED", result
    assert not any(_alive(pid) for pid in pids)
    assert pool.pids == ()
    with pytest.raises(RuntimeError, match="closed"):
        hello.check({"name": "Ada"})


def test_workers_end_when_their_parent_is_killed(hello_wasm: Path) -> None:
    program = f"""if True:
        import time
        from pathlib import Path
        from reglet_sdk.host import HostConfig, HostPool
        pool = HostPool(HostConfig(cache_dir=Path({str(COMPILE_CACHE)!r})), processes=2)
        assert pool.load({str(hello_wasm)!r}).check({{"name": "Ada"}}).status == "success"
        print(*pool.pids, flush=True)
        time.sleep(120)
    """
    parent = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pids = [int(word) for word in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_running(pid) for pid in pids)
    finally:
        parent.kill()  # no close(), no atexit: the workers only see their sockets close
        parent.wait()
    assert _wait_for(lambda: not any(_running(pid) for pid in pids), 20), "a worker outlived its parent"


def test_a_config_the_workers_cannot_receive_is_refused_at_once() -> None:
    def closure(linker: object, plugin: LoadedPlugin) -> None:
        del linker, plugin

    with pytest.raises(ValueError, match="top level of an importable module"):
        HostPool(HostConfig(extensions=(closure,)), processes=1)


def test_the_readme_example_runs(hello_wasm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGLET_CACHE_DIR", str(COMPILE_CACHE.parent))  # the tests' compile cache, already warm
    section = (REPO / "README.md").read_text().split("### Scaling across cores", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(code.replace('"hello.wasm"', repr(str(hello_wasm))), namespace)  # our own README, as a reader would run it
    assert [r.message for r in namespace["results"]] == [
        f"Hello, {name}!" for name in ("Ada", "Grace", "Edsger", "Barbara")
    ]


def test_a_workers_grant_change_relinks_so_extensions_see_the_new_grants(hello_wasm: Path) -> None:
    # Extensions are given the plugin when its linker is built; a worker applying the parent's grants
    # must drop the old linker as LoadedPlugin.grant does, or they would keep the grants of before.
    seen: list[list[str]] = []

    def record(_linker: object, plugin: LoadedPlugin) -> None:
        seen.append([str(rule) for rule in plugin.policy.rules])

    with Host(HostConfig(cache_dir=COMPILE_CACHE, extensions=(record,))) as host:
        worker = _Worker(host)
        worker.load(1, str(hello_wasm), os.getcwd(), *resolve_grants(["exec:/usr/bin/id"], hello_wasm), "")
        assert worker.call(1, "check", {"name": "Ada"}, None).status == "success"
        worker.grant(1, *resolve_grants(["exec:/usr/bin/uname"], hello_wasm))
        assert worker.call(1, "check", {"name": "Ada"}, None).status == "success"
    assert seen[-1] == ["exec:/usr/bin/uname"] and ["exec:/usr/bin/id"] in seen
