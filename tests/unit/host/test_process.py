"""host.process with real subprocesses: exactly the given environment, capped output, group kill."""

from __future__ import annotations

import os
import resource
import time
import uuid
from pathlib import Path

import pytest

from reglet_sdk.host.process import run_command

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
