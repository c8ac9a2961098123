"""Where a plugin call runs: on a thread of its own, which the host stops waiting for at the deadline.

Epoch interruption stops a plugin only while it runs WebAssembly code. A plugin blocked inside a WASI
call (`time.sleep` is a WASI poll) is in the host's native code, where no epoch check happens, and
wasmtime-py cannot cancel it: it wraps only wasmtime's synchronous API (the async C API, whose call
futures could be dropped, is there only as raw ctypes bindings with no component-model wrapper). So
the call runs on a worker thread and the caller waits only until the call's deadline (plus a short
grace for the timeout trap to arrive). A call still running then is *stuck*: the caller gets its answer (a timeout),
and the stuck call traps as soon as the blocking call returns, because its epoch deadline has passed.

A stuck call still holds its sandbox (up to the memory limit) and a thread, so their number is
bounded: past `limit`, new calls are refused until stuck ones end.

Workers are kept for the next call once theirs ends (starting a thread costs a millisecond on a
loaded machine, a tenth of a check): an idle worker waits `IDLE_SECONDS` for work, then ends. Each
call still gets a worker nobody else is using; a stuck one returns to the pool only when its call ends.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
logger = logging.getLogger("reglet.host")

DEADLINE_GRACE = 0.5
"""Seconds the caller waits past a call's deadline for its timeout trap before giving up on it."""
IDLE_SECONDS = 10.0
"""How long a worker whose call ended waits for the next one before its thread ends."""

_total_lock = threading.Lock()
_total_stuck = 0


def stuck_calls() -> int:
    """How many plugin calls in this process are stuck (given up on, still blocked), across all hosts."""
    with _total_lock:
        return _total_stuck


def _count(change: int) -> None:
    global _total_stuck
    with _total_lock:
        _total_stuck += change


@dataclass
class _Call(Generic[T]):
    """One call as its worker and its caller share it."""

    name: str
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    error: BaseException | None = None
    finished: bool = False
    abandoned: bool = False


class _Worker:
    """A thread that runs one call at a time, handed to it through its inbox (None: stop)."""

    def __init__(self, pool: CallThreads) -> None:
        self.inbox: queue.SimpleQueue[tuple[Callable[[], object], _Call[object]] | None] = queue.SimpleQueue()
        self._pool = pool
        threading.Thread(target=self._loop, name="reglet-call", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                job = self.inbox.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                if self._pool.retire(self):
                    return
                continue  # a caller took this worker just now: its job is on the way
            if job is None:
                return
            work, call = job
            threading.current_thread().name = f"reglet-call-{call.name}"
            if not self._pool.serve(work, call, self):
                return


class Abandoned(Exception):
    """The call was still running at its deadline; the caller stopped waiting for it."""


class CallThreads:
    """Runs calls on worker threads, waits for each until its deadline, and bounds the stuck ones."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._stuck = 0
        self._idle: list[_Worker] = []
        self._closed = False

    @property
    def stuck(self) -> int:
        """Calls of this host given up on and still running."""
        with self._lock:
            return self._stuck

    def refusal(self) -> str | None:
        """Why a new call may not start now (too many stuck calls), or None."""
        stuck = self.stuck
        if stuck < self.limit:
            return None
        return (
            f"{stuck} earlier plugin calls are still blocked past their deadlines (inside a system call such as "
            f"sleep, which the host cannot interrupt), the most this host keeps (HostConfig.max_stuck_calls = "
            f"{self.limit}); new calls are refused until they end. Find the plugin that blocks (the host's log "
            "names it) and fix or stop using it."
        )

    def run(self, work: Callable[[], T], until: float, name: str) -> T:
        """`work()` on a worker thread; raises Abandoned when it is still running at `until` (monotonic).

        An exception `work` raises is raised here. If the wait itself is interrupted (Ctrl-C), the call
        is given up on before the interruption propagates.
        """
        call: _Call[T] = _Call(name, time.monotonic())
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        (worker or _Worker(self)).inbox.put((work, call))  # type: ignore[arg-type]  # T is erased in the inbox
        try:
            finished = call.done.wait(max(0.0, until - time.monotonic()))
        except BaseException:
            self._abandon(call, "the wait for the call was interrupted", logging.DEBUG)
            raise
        if not finished and self._abandon(call, "the call is still blocked at its deadline", logging.WARNING):
            raise Abandoned(name)
        if call.error is not None:
            raise call.error
        return call.value  # type: ignore[return-value]  # set by a worker that finished without error

    def _abandon(self, call: _Call[T], why: str, level: int) -> bool:
        """Marks a call still running as stuck; False when it finished meanwhile."""
        with self._lock:
            if call.finished:
                return False
            call.abandoned = True
            self._stuck += 1
            stuck = self._stuck
            _count(1)  # under the lock: the worker's decrement cannot come first
        logger.log(
            level, "%s: %s; the host stopped waiting for it (%d stuck, at most %d)", call.name, why, stuck, self.limit
        )
        return True

    def retire(self, worker: _Worker) -> bool:
        """An idle worker's wait ran out: True when it may end (no caller has just taken it)."""
        with self._lock:
            if worker in self._idle:
                self._idle.remove(worker)
                return True
            return False

    def close(self) -> None:
        """Ends the idle workers; workers busy now end when their calls do."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.inbox.put(None)

    def serve(self, work: Callable[[], T], call: _Call[T], worker: _Worker) -> bool:
        """Runs `work` for `call` on `worker`'s thread and tells the caller it finished.

        True when the worker then waits for the next call (it is idle before the caller wakes, so the
        caller's next call reuses it); False once the pool is closed.
        """
        resting = False
        try:
            call.value = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it
            call.error = exc
        finally:
            with self._lock:
                call.finished = True
                if call.abandoned:
                    self._stuck -= 1
                    _count(-1)
                resting = not self._closed
                if resting:
                    self._idle.append(worker)
            if call.abandoned:
                logger.info("%s: a stuck call ended after %.1f s", call.name, time.monotonic() - call.started)
            call.done.set()
        return resting
