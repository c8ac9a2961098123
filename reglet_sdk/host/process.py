"""Runs one command for the exec host function: argv only, capped output, a group kill.

Never through a shell. The environment is prepared by host.exec.

- stdin is /dev/null; the command starts in a new session (its own process group);
- stdout and stderr are read concurrently; each keeps its first `max_output` bytes and the rest is
  read and discarded (memory stays bounded, the command never blocks on a full pipe);
- when the time is up, or as soon as the command exits, the whole group gets SIGKILL: nothing the
  command started outlives the call.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

EXIT_TIMEOUT = -1
_GRACE_AFTER_EXIT = 0.2  # seconds to collect output still in the pipes once the command has exited


@dataclass(frozen=True)
class ExecOutcome:
    """What happened to a command."""

    stdout: bytes
    stderr: bytes
    exit_code: int
    duration_ms: int
    is_timeout: bool
    stdout_truncated: bool
    stderr_truncated: bool


class _Capped:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]
        if len(chunk) > max(room, 0):
            self.truncated = True


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_command(
    argv: Sequence[str], *, cwd: str, env: Mapping[str, str], timeout: float, max_output: int
) -> ExecOutcome:
    """Runs `argv`; raises OSError when it cannot be started at all."""
    started = time.monotonic()
    process = subprocess.Popen(  # argv from a granted, resolved command; no shell
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=dict(env),
        start_new_session=True,
        close_fds=True,
    )
    pgid = process.pid
    assert process.stdout is not None and process.stderr is not None
    outputs = {process.stdout.fileno(): _Capped(max_output), process.stderr.fileno(): _Capped(max_output)}
    selector = selectors.DefaultSelector()
    for fd in outputs:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    deadline = started + timeout
    timed_out = False
    exited_at: float | None = None
    try:
        while selector.get_map():
            now = time.monotonic()
            if exited_at is None and process.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > _GRACE_AFTER_EXIT:
                _kill_group(pgid)  # leftovers of an exited command still hold the pipes open
                exited_at = float("-inf")
            if exited_at is None and now >= deadline:
                timed_out = True
                _kill_group(pgid)
                exited_at = now
            wait = max(0.0, min(deadline - now, 0.05))
            for key, _ in selector.select(timeout=wait):
                fd = int(key.fd)
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                if chunk:
                    outputs[fd].add(chunk)
                else:
                    selector.unregister(fd)
    finally:
        selector.close()
        if not timed_out:
            # Both pipes are closed; let the command finish its exit (or run out of time) before the
            # group kill below, which would otherwise race with a normal exit.
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
        _kill_group(pgid)  # no orphan survives the call
        process.stdout.close()
        process.stderr.close()
        process.wait()
    duration_ms = int((time.monotonic() - started) * 1000)
    out, err = outputs.values()
    return ExecOutcome(
        stdout=bytes(out.data),
        stderr=bytes(err.data),
        exit_code=EXIT_TIMEOUT if timed_out else process.returncode,
        duration_ms=duration_ms,
        is_timeout=timed_out,
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
    )
