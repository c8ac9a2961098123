"""Runs one command for the exec host function: argv only, capped output, the whole tree contained.

Never through a shell. The environment is prepared by host.exec.

- The command runs under its own supervisor (host/reaper.py, a small Python process started per
  command in a new session): a child subreaper, so every process the command starts stays below it
  even after `setsid`, `setsid -f`, a double fork or `nohup`. When the command exits, or when the host
  asks at the deadline, or when the host goes away (the control socket closes), the supervisor kills
  every remaining descendant and reaps them, and only then answers. Nothing the command started
  outlives the call.
- stdin is /dev/null; stdout and stderr are read concurrently; each keeps its first `max_output`
  bytes and the rest is read and discarded (memory stays bounded, the command never blocks on a full
  pipe).
- The host waits on its selector with a timeout, never polling: at the deadline it asks for the kill
  and gives the tree `KILL_GRACE` seconds to go; then it closes the pipes and returns. A supervisor
  that died without answering (the command killed it) has its process group killed; one still busy
  past the grace (a process it cannot kill) is left to finish and is reaped in the background.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_TIMEOUT = -1
KILL_GRACE = 1.0  # seconds the tree has to disappear once the kill was asked for (or the supervisor ended)
REAPER = Path(__file__).with_name("reaper.py")


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


class SupervisorLost(RuntimeError):
    """The command's supervisor ended without an answer (something killed it)."""


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


def _spec(argv: Sequence[str], env: Mapping[str, str]) -> bytes:
    """The supervisor's instructions (see host/reaper.py), length-prefixed."""
    spec = marshal.dumps(
        {
            "argv": [os.fsencode(arg) for arg in argv],
            "env": {os.fsencode(name): os.fsencode(value) for name, value in env.items()},
            # Python ignores these at start-up (the supervisor too); the command gets the defaults back.
            "sigdef": [int(signal.SIGPIPE), int(signal.SIGXFSZ)],
            "kill": int(signal.SIGKILL),
        }
    )
    return len(spec).to_bytes(4, "big") + spec


def _start(
    argv: Sequence[str], cwd: str, env: Mapping[str, str], timeout: float
) -> tuple[socket.socket, subprocess.Popen[bytes]]:
    """The control socket and the supervisor, which has its instructions. Raises OSError."""
    if not sys.executable:
        raise OSError(2, "no Python interpreter (sys.executable) to run the command's supervisor")
    spec = _spec(argv, env)  # ValueError (a NUL byte) before anything starts
    control, theirs = socket.socketpair()
    try:
        process = subprocess.Popen(  # the host's own interpreter, isolated, on a file of this package
            [sys.executable, "-I", "-S", str(REAPER)],
            stdin=theirs.fileno(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={},
            start_new_session=True,
            close_fds=True,
        )
    except BaseException:
        control.close()
        raise
    finally:
        theirs.close()
    try:
        control.settimeout(max(timeout, KILL_GRACE))
        control.sendall(spec)
    except OSError:
        pass  # the supervisor is gone already: the run below finds no answer
    control.setblocking(False)
    return control, process


class _Run:
    """One command's output pipes and control socket, read until the supervisor has answered."""

    def __init__(
        self, control: socket.socket, process: subprocess.Popen[bytes], max_output: int, deadline: float
    ) -> None:
        assert process.stdout is not None and process.stderr is not None
        self.control = control
        self.process = process
        self.outputs = {process.stdout.fileno(): _Capped(max_output), process.stderr.fileno(): _Capped(max_output)}
        self.answer = bytearray()
        self.ended = False  # the control socket closed: the supervisor has exited
        self.timed_out = False
        self.stop_at = deadline

    def pump(self) -> None:
        """Reads until every pipe and the socket are closed, or the time (and the kill's grace) is up."""
        with selectors.DefaultSelector() as selector:
            for fd in self.outputs:
                os.set_blocking(fd, False)
                selector.register(fd, selectors.EVENT_READ)
            selector.register(self.control, selectors.EVENT_READ)
            while selector.get_map():
                now = time.monotonic()
                if now >= self.stop_at:
                    if self.timed_out or self.ended:
                        return
                    self.timed_out = True
                    with contextlib.suppress(OSError):
                        self.control.shutdown(socket.SHUT_WR)  # the supervisor kills the tree
                    self.stop_at = now + KILL_GRACE
                    continue
                for key, _ in selector.select(timeout=self.stop_at - now):
                    self._read(selector, int(key.fd), now)

    def _read(self, selector: selectors.BaseSelector, fd: int, now: float) -> None:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if chunk and fd == self.control.fileno():
            self.answer += chunk
        elif chunk:
            self.outputs[fd].add(chunk)
        else:
            selector.unregister(fd)
            if fd == self.control.fileno():
                self.ended = True
                self.stop_at = min(self.stop_at, now + KILL_GRACE)  # only a leaked pipe is left

    def status(self) -> tuple[str, int] | None:
        """The supervisor's answer, or None when it ended without one (or has not ended)."""
        if not self.ended:
            return None
        try:
            kind, value = marshal.loads(bytes(self.answer))
        except (EOFError, ValueError, TypeError):
            return None
        return (kind, value) if isinstance(kind, str) and isinstance(value, int) else None

    def close(self, answered: bool) -> None:
        """Closes the pipes and the socket and reaps the supervisor, or lets it finish in the background."""
        assert self.process.stdout is not None and self.process.stderr is not None
        self.control.close()
        self.process.stdout.close()
        self.process.stderr.close()
        if self.ended:
            if not answered:
                _kill_group(self.process.pid)  # it died (was killed): at least its own group goes; pid not yet reused
            self.process.wait()
        else:
            # Still killing an unkillable tree (uninterruptible sleep, a setuid child) past the grace:
            # killing the supervisor would free its orphans, so it finishes alone and is reaped then.
            threading.Thread(target=self.process.wait, name="reglet-exec-reaper", daemon=True).start()


def run_command(
    argv: Sequence[str], *, cwd: str, env: Mapping[str, str], timeout: float, max_output: int
) -> ExecOutcome:
    """Runs `argv` under its supervisor until it ends or its time is up.

    Raises OSError when it cannot be started at all, SupervisorLost when its supervisor was killed
    before the command ended.
    """
    started = time.monotonic()
    control, process = _start(argv, cwd, env, timeout)
    run = _Run(control, process, max_output, started + timeout)
    try:
        run.pump()
    finally:
        status = run.status()
        run.close(answered=status is not None)
    if status is not None and status[0] == "error":
        raise OSError(status[1], f"{os.strerror(status[1])}: {argv[0]!r}")
    if status is None and not run.timed_out:
        raise SupervisorLost("the command's supervisor was killed before the command finished")
    out, err = run.outputs.values()
    return ExecOutcome(
        stdout=bytes(out.data),
        stderr=bytes(err.data),
        exit_code=EXIT_TIMEOUT if run.timed_out or status is None else status[1],
        duration_ms=int((time.monotonic() - started) * 1000),
        is_timeout=run.timed_out,
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
    )
