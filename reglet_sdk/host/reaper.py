"""The supervisor of one exec command: nothing the command starts outlives it.

host.process runs this file as `python -I -S reaper.py`, in a new session, with the command's output
pipes as stdout and stderr and one end of a socket pair as stdin. The supervisor makes itself a child
subreaper (prctl PR_SET_CHILD_SUBREAPER): every process the command starts that loses its parent —
`setsid`, `setsid -f`, a double fork, `nohup`, a daemon — is re-parented to it instead of to init, so
the whole tree stays below it whatever sessions or process groups it makes. It needs no privileges.

Protocol on the socket (fd 0):
- the host sends a 4-byte big-endian length and a marshal'd spec: {"argv": [bytes], "env": {bytes:
  bytes}, "sigdef": [signal numbers to reset to default], "kill": the SIGKILL number};
- the supervisor starts argv[0] (an absolute path) with exactly that environment, stdin /dev/null, the
  output pipes, an empty signal mask, then lets go of the pipes itself;
- any byte from the host, or the socket closing (the host died), means: kill everything now;
- when the command has exited (or been killed), every remaining descendant is killed and reaped, and
  only then the supervisor answers with one marshal'd status — ("exit", returncode), a negative
  returncode naming the signal as in subprocess, or ("error", errno) when the command could not be
  started — and exits. So an answer means: no process of the tree is left.

Standard library only, and modules that import fast (no `signal`, no `threading`): it starts once per
command, so its start-up is the per-exec overhead.
"""

from __future__ import annotations

import _thread
import ctypes
import errno
import marshal
import os

TYPE_CHECKING = False  # typing costs more to import than the rest of this file's start-up together
if TYPE_CHECKING:
    from typing import Any

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
CONTROL = 0


def _read_exactly(fd: int, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            raise EOFError("the host closed the control socket before sending the whole spec")
        data += chunk
    return bytes(data)


def _parent_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may itself hold ") ", so split after the last one
    fields = stat[stat.rfind(b")") + 2 :].split(maxsplit=2)
    return int(fields[1]) if len(fields) > 1 else None


def descendants(root: int) -> list[int]:
    """Every living process below `root`, from one scan of /proc (thread-group leaders only)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _parent_of(entry)
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    todo = [root]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


class Supervisor:
    """Runs one command as a child subreaper and kills the whole tree when it ends or is told to."""

    def __init__(self, kill_signal: int) -> None:
        self.kill_signal = kill_signal
        self.killing = False  # set once the host asked for the kill (or went away)

    def kill_all(self) -> None:
        """SIGKILL every descendant. Their orphans come to us, so callers repeat after each reaping."""
        for pid in descendants(os.getpid()):
            try:  # noqa: SIM105 - contextlib would add milliseconds to every exec's start-up
                os.kill(pid, self.kill_signal)
            except (ProcessLookupError, PermissionError):
                pass  # already gone, or it became another user's (setuid): nothing more we can do

    def watch_host(self) -> None:
        """Blocks on the control socket; a byte or its end (the host is gone) means kill now."""
        try:  # noqa: SIM105 - as above
            os.read(CONTROL, 1)
        except OSError:
            pass  # the host is gone just the same
        self.killing = True
        self.kill_all()

    def supervise(self, command: int) -> int:
        """Reaps everything until no child is left; the command's returncode."""
        returncode = -self.kill_signal
        command_done = False
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                return returncode
            if pid == command:
                returncode = os.waitstatus_to_exitcode(status)
                command_done = True
            if command_done or self.killing:
                # Drain whatever else is ready before one /proc scan kills what is left (and the
                # orphans of what we killed, which are ours now).
                while pid:
                    try:
                        pid, _ = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        return returncode
                self.kill_all()


def _start(spec: dict[str, Any]) -> int:
    """Starts the command; its pid. Raises OSError when it cannot be started."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")
    devnull = os.open(os.devnull, os.O_RDWR)
    argv: list[bytes] = spec["argv"]
    command = os.posix_spawn(
        argv[0],
        argv,
        spec["env"],
        file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0)],
        setsigdef=spec["sigdef"],
        setsigmask=(),
    )
    # Let go of the output pipes: they close when the last process of the tree is gone.
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    return command


def main() -> None:
    """Reads the spec, runs the command, answers with its status; see the module docstring."""
    status: tuple[str, int]
    try:
        spec = marshal.loads(_read_exactly(CONTROL, int.from_bytes(_read_exactly(CONTROL, 4), "big")))
        supervisor = Supervisor(spec["kill"])
        command = _start(spec)
    except OSError as exc:
        status = ("error", exc.errno or errno.EIO)
    except (EOFError, ValueError, KeyError, TypeError):
        status = ("error", errno.EINVAL)
    else:
        _thread.start_new_thread(supervisor.watch_host, ())
        status = ("exit", supervisor.supervise(command))
    try:
        os.write(CONTROL, marshal.dumps(status))
    finally:
        os._exit(0)  # not waiting for the watcher thread, blocked on the socket


if __name__ == "__main__":
    main()
