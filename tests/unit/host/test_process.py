"""host.process with real subprocesses: exactly the given environment, capped output, and nothing the
command starts survives it — not even what leaves its session — and the host never spins."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from reglet_sdk.host import process
from reglet_sdk.host.process import SupervisorLost, run_command

SH = "/bin/sh"


def processes_with(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(pid))
    return found


def test_environment_is_exactly_the_given_one(tmp_path: Path) -> None:
    outcome = run_command(["/usr/bin/env"], cwd=str(tmp_path), env={"ONLY": "this"}, timeout=5, max_output=1 << 20)
    assert outcome.stdout == b"ONLY=this\n"


def test_stdin_is_closed(tmp_path: Path) -> None:
    outcome = run_command(["/bin/cat"], cwd=str(tmp_path), env={}, timeout=5, max_output=1 << 20)
    assert (outcome.exit_code, outcome.stdout, outcome.is_timeout) == (0, b"", False)


def test_exit_code_and_both_streams(tmp_path: Path) -> None:
    outcome = run_command(
        [SH, "-c", "echo out; echo err >&2; exit 7"], cwd=str(tmp_path), env={}, timeout=5, max_output=100
    )
    assert (outcome.stdout, outcome.stderr, outcome.exit_code) == (b"out\n", b"err\n", 7)


def test_output_is_capped_and_memory_stays_bounded(tmp_path: Path) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    outcome = run_command(
        [SH, "-c", "head -c 209715200 /dev/zero; head -c 104857600 /dev/zero >&2"],
        cwd=str(tmp_path),
        env={},
        timeout=60,
        max_output=10 << 20,
    )
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert len(outcome.stdout) == 10 << 20 and outcome.stdout_truncated
    assert len(outcome.stderr) == 10 << 20 and outcome.stderr_truncated
    assert outcome.exit_code == 0
    assert grown_mib < 100, f"reading 300 MiB of output grew the host by {grown_mib:.0f} MiB"


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = f"{uuid.uuid4().int % 10**6}"
    child, parent = f"30{marker}.1", f"30{marker}.2"  # unique sleep lengths to find the processes by
    started = time.monotonic()
    outcome = run_command(
        [SH, "-c", f"sleep {child} & sleep {parent}"], cwd=str(tmp_path), env={}, timeout=1, max_output=100
    )
    assert outcome.is_timeout and outcome.exit_code == -1
    assert time.monotonic() - started < 3
    assert processes_with(f"sleep {child}") == [] and processes_with(f"sleep {parent}") == []


def test_an_exited_command_leaves_no_orphan(tmp_path: Path) -> None:
    marker = f"3{uuid.uuid4().int % 10**6}.5"
    outcome = run_command(
        [SH, "-c", f"sleep {marker} & echo started"], cwd=str(tmp_path), env={}, timeout=30, max_output=100
    )
    assert outcome.stdout == b"started\n" and not outcome.is_timeout
    assert processes_with(f"sleep {marker}") == []


def test_a_missing_program_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        run_command(["/no/such/program"], cwd=str(tmp_path), env={}, timeout=5, max_output=100)


def unique_sleep() -> str:
    """A `sleep` length no other process uses, to find the processes a test started by their argv.

    30-40 s: far longer than any call here, and bounded should one escape."""
    unique = uuid.uuid4().int
    return f"{30 + unique % 10}.{unique // 10 % 10**9:09d}"


def host_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


ESCAPES = {
    # how a command leaves something running behind it ({inner} marks itself started, then sleeps)
    "setsid": "setsid {inner} &",
    "setsid -f": "setsid -f {inner}",
    "double fork": "( {inner} & )",
    "nohup": "nohup {inner} >/dev/null 2>&1 &",
    "ignores SIGTERM and SIGHUP": "sh -c \"trap '' TERM HUP; {inner}\" &",
    "new session that forks again": "setsid sh -c '( {inner} & ); sleep 60' &",
}


def escaping_script(escape: str, folder: Path, sleep: str, then: str) -> tuple[str, Path]:
    """A shell line that starts `sleep` as ESCAPES[escape] says, waits (bounded) until it runs, then
    does `then`; and the file that shows it ran. Every process involved has `sleep` in its argv."""
    up = folder / f"up-{sleep}"
    inner = folder / f"inner-{sleep}.sh"
    inner.write_text(f"touch {up}\nexec sleep {sleep}\n")
    line = ESCAPES[escape].format(inner=f"sh {inner}")
    wait = f"i=0; while [ ! -e {up} ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done"
    return f"{line}\n{wait}\n{then}\n", up


@pytest.mark.parametrize("escape", list(ESCAPES))
@pytest.mark.parametrize("then", ["exit 0", "sleep 60"], ids=["command exits", "command times out"])
def test_nothing_the_command_starts_survives_the_call(tmp_path: Path, escape: str, then: str) -> None:
    sleep = unique_sleep()
    script, up = escaping_script(escape, tmp_path, sleep, then)
    started = time.monotonic()
    outcome = run_command(["/bin/sh", "-c", script], cwd=str(tmp_path), env={}, timeout=3, max_output=1000)
    assert time.monotonic() - started < 3 + 2
    assert up.exists(), f"the escape never started: {outcome}"
    assert outcome.is_timeout == (then != "exit 0")
    assert processes_with(sleep) == []


def test_a_command_in_its_own_session_ends_at_the_deadline_without_spinning(tmp_path: Path) -> None:
    sleep = unique_sleep()
    started, cpu = time.monotonic(), host_cpu()
    outcome = run_command(
        ["/bin/sh", "-c", f"setsid sleep {sleep}"], cwd=str(tmp_path), env={}, timeout=2, max_output=100
    )
    elapsed, used = time.monotonic() - started, host_cpu() - cpu
    assert outcome.is_timeout and outcome.exit_code == -1
    assert elapsed < 2 + 2, f"returned after {elapsed:.1f} s"
    assert used < 1, f"the host used {used:.2f} s of CPU waiting for the command"
    assert processes_with(sleep) == []


def test_leftovers_of_a_host_that_dies_are_killed(tmp_path: Path) -> None:
    sleep = unique_sleep()
    script, up = escaping_script("setsid -f", tmp_path, sleep, "sleep 60")
    host = subprocess.Popen(  # a host process that is SIGKILLed in the middle of the command
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                from reglet_sdk.host.process import run_command
                run_command(["/bin/sh", "-c", {script!r}], cwd={str(tmp_path)!r}, env={{}}, timeout=60, max_output=10)
            """),
        ]
    )
    try:
        for _ in range(200):
            if up.exists():
                break
            time.sleep(0.05)
        assert processes_with(sleep), "the command never started its escape"
    finally:
        host.send_signal(signal.SIGKILL)
        host.wait()
    for _ in range(100):
        if not processes_with(sleep):
            break
        time.sleep(0.05)
    assert processes_with(sleep) == []


def test_sigpipe_is_back_to_its_default_for_the_command(tmp_path: Path) -> None:
    outcome = run_command(["/bin/sh", "-c", "yes | head -c 3"], cwd=str(tmp_path), env={}, timeout=10, max_output=100)
    assert (outcome.stdout, outcome.stderr, outcome.is_timeout) == (b"y\ny", b"", False)


def test_a_command_that_kills_its_supervisor_is_an_error_and_its_group_dies(tmp_path: Path) -> None:
    sleep = unique_sleep()
    with pytest.raises(SupervisorLost):
        run_command(
            ["/bin/sh", "-c", f"sleep {sleep} & kill -9 $PPID; sleep 60"],
            cwd=str(tmp_path),
            env={},
            timeout=5,
            max_output=100,
        )
    for _ in range(40):  # killed, but no longer our descendants: nobody here waits for them to go
        if not processes_with(sleep):
            break
        time.sleep(0.05)
    assert processes_with(sleep) == []


def test_a_supervisor_still_killing_past_the_grace_finishes_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "KILL_GRACE", 0.0001)  # returns before the supervisor has answered
    sleep = unique_sleep()
    outcome = run_command(
        ["/bin/sh", "-c", f"setsid sleep {sleep} & sleep 60"], cwd=str(tmp_path), env={}, timeout=1, max_output=100
    )
    assert outcome.is_timeout and outcome.exit_code == -1
    for _ in range(100):
        if not processes_with(sleep):
            break
        time.sleep(0.05)
    assert processes_with(sleep) == []
