"""HostPool: the Host API over worker processes, so checks run on every core at once.

One Host runs concurrent checks on threads, but the per-call Python work (encoding, host functions,
the WASI glue) holds the GIL, so a second thread adds little. A HostPool starts `processes` workers,
each a fresh interpreter (never a fork: the parent may already hold wasmtime's threads) with its own
Host built from the same HostConfig, and sends each call to an idle one (host.pool_worker is the
other side). Compiled code comes from the shared on-disk compile cache, so a worker's first load of a
plugin is a cached load.

What a caller sees is what a Host gives: the same results and errors, the plugin's log records handed
to the parent's `on_log` (or the `reglet.plugin.<name>` logger) in order, the host's own log records
re-emitted on the parent's loggers, the same grants. On top of the worker's own limits, the parent
keeps a backstop: a worker that has not answered `BACKSTOP_GRACE` seconds after the call's deadline
(and the Host's grace) is killed with everything it runs and replaced, and the call ends as a
timeout. A worker that dies (the OOM killer, a crash) is replaced and its call gets a WORKER_LOST
error; a worker left with a call stuck past its deadline is replaced too, which frees that sandbox.

A worker is trusted as the host itself is (it runs the plugin inside wasmtime, as a Host's process
does): the parent unpickles its messages. The plugin's bytes reach the parent only inside values the
worker's Host has decoded and checked.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import math
import os
import pickle
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from reglet_sdk.errors import ErrorDetail
from reglet_sdk.host.call_thread import DEADLINE_GRACE
from reglet_sdk.host.config import HostConfig
from reglet_sdk.host.policy import Grants, Policy, Preopen, as_policy
from reglet_sdk.host.rules import Rule, rules_from_grant_set
from reglet_sdk.host.runtime import (
    PluginCallError,
    PluginDescription,
    PluginLoadError,
    _default_on_log,
    resolve_grants,
)
from reglet_sdk.jsonvalue import to_json_object
from reglet_sdk.results import Result

logger = logging.getLogger("reglet.host")

BACKSTOP_GRACE = 2.0
"""Seconds past a call's deadline (and the Host's own grace) before the parent kills a silent worker."""
START_TIMEOUT = 120.0
"""Seconds a new worker has to start its interpreter and Host (imports are slow on a busy machine)."""
LOAD_ALLOWANCE = 600.0
"""Seconds a worker's load may take on top of the describe call's limit: compiling a component
without a cached form takes several seconds per MiB on a slow machine."""
QUICK_TIMEOUT = 30.0
"""Seconds a worker has to answer a request that runs no plugin code (a change of grants)."""
STOP_GRACE = 5.0
"""Seconds a worker has to exit after close() asked it to, before it is killed."""

# The worker's interpreter gets the parent's import path, so it imports this package (and any module
# an extension lives in) from the same place.
_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from reglet_sdk.host.pool_worker import main; main(int(sys.argv[2]))"
)

Answer = tuple[str, Any, int]
"""A worker's answer: status ("ok", "call-error", "load-error", "raise"), value, calls stuck in it."""


class _Unanswered(Exception):
    """The worker did not answer before the backstop."""


class _Lost(Exception):
    """The worker's connection ended: the process died."""


class _Unsendable(Exception):
    """The request cannot be pickled (a config with values no worker can receive); nothing was sent."""


class _Process:
    """One worker process as the parent sees it: the process, its socket, and what it has loaded."""

    def __init__(self, init: tuple[Any, ...]) -> None:
        ours, theirs = socket.socketpair()
        try:
            self.popen = subprocess.Popen(
                [sys.executable, "-c", _BOOT, json.dumps([str(p) for p in sys.path]), str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C goes to the parent, which decides; close() ends workers
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.connection = Connection(ours.detach())
        self.connection.send(init)  # read once the interpreter is up
        # Registered once: Connection.poll builds a new selector on every call, a cost paid per message.
        self._readable = select.poll()
        self._readable.register(self.connection.fileno(), select.POLLIN)
        self.ready = False
        self.gone = False
        self.grants: dict[int, int] = {}  # plugin id -> the version of its grants this worker has

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.popen.pid

    def exchange(self, request: tuple[Any, ...], backstop: float, deliver: Callable[[tuple[Any, ...]], None]) -> Answer:
        """Sends one request and returns its answer, handing log messages to `deliver` as they arrive."""
        try:
            self.connection.send(request)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise _Unsendable(str(exc)) from exc
        except OSError as exc:
            raise _Lost from exc
        deadline = time.monotonic() + backstop + (0.0 if self.ready else START_TIMEOUT)
        while True:
            left = deadline - time.monotonic()
            try:
                if left <= 0 or not self._readable.poll(math.ceil(left * 1000)):
                    raise _Unanswered
                message = self.connection.recv()
            except (EOFError, OSError, pickle.UnpicklingError) as exc:
                raise _Lost from exc
            if message[0] == "answer":
                return message[1], message[2], message[3]
            if message[0] == "ready":
                self.ready = True
                deadline = time.monotonic() + backstop  # the request's time starts now
            else:
                deliver(message)

    def kill(self) -> None:
        """SIGKILL and reap; its exec commands' supervisors see their control sockets close and kill theirs."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        self.gone = True

    def stop(self, graceful: bool) -> None:
        """Ends the process (asking first when `graceful`) and closes the socket; only its owner calls this."""
        if graceful and self.popen.poll() is None:
            with contextlib.suppress(OSError):
                self.connection.send(("close",))
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(STOP_GRACE)
        self.kill()
        self.connection.close()

    def how_it_ended(self) -> str:
        """`killed by SIGKILL`, `exit status 1`: for the error a lost call gets."""
        code = self.popen.returncode
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"


def _unsendable(config: Any, problem: Exception) -> ErrorDetail:
    """Why a check's config cannot go to a worker: the error a Host gives for it, else what pickle said."""
    try:
        to_json_object(config, "config")
    except TypeError as exc:
        return ErrorDetail("config", str(exc), code="INVALID_CONFIG")
    return ErrorDetail("config", f"the config cannot be sent to a worker process: {problem}", code="INVALID_CONFIG")


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class HostPool:
    """Loads plugins into `processes` worker processes (default: one per core) and spreads calls over them.

    Thread-safe: run checks from several threads (e.g. a ThreadPoolExecutor with `processes` workers);
    a call waits for an idle worker, and its time limit starts when a worker takes it. Close it (or use
    it as a context manager) to end every worker.
    """

    def __init__(self, config: HostConfig | None = None, processes: int | None = None) -> None:
        self.config = config or HostConfig()
        self.processes = _cores() if processes is None else processes
        if self.processes < 1:
            raise ValueError(f"a HostPool needs at least one process, not {self.processes}.")
        if not sys.executable:
            raise RuntimeError(
                "a HostPool starts its workers with this program's Python interpreter, but sys.executable is "
                "empty (an embedded interpreter). Use a Host instead, or run the program with python."
            )
        self._init = ("init", replace(self.config, on_log=None))
        try:
            pickle.dumps(self._init)
        except Exception as exc:  # whatever pickle raises, the remedy is the same
            raise ValueError(
                f"a HostPool sends its HostConfig to its worker processes, and this one cannot be sent ({exc}). "
                "Extensions must be functions defined at the top level of an importable module (not lambdas "
                "or closures), holding no state of their own; on_log may be anything (it runs in this process)."
            ) from exc
        self._on_log = self.config.on_log or _default_on_log
        self._lock = threading.Lock()
        self._closed = False
        self._idle: queue.SimpleQueue[_Process | None] = queue.SimpleQueue()
        self._workers: list[_Process] = []
        self._ids = itertools.count(1)
        for _ in range(self.processes):
            self._spawn()

    def __enter__(self) -> HostPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def pids(self) -> tuple[int, ...]:
        """The process ids of the current workers."""
        with self._lock:
            return tuple(worker.pid for worker in self._workers)

    def close(self) -> None:
        """Ends every worker: idle ones are asked to exit, busy ones are killed (their calls get POOL_CLOSED)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers)
        idle: list[_Process] = []
        with contextlib.suppress(queue.Empty):
            while True:
                worker = self._idle.get_nowait()
                if worker is not None:
                    idle.append(worker)
        self._idle.put(None)  # wakes a caller waiting for a worker: the pool is closed
        for worker in idle:
            with contextlib.suppress(OSError):
                worker.connection.send(("close",))
        for worker in workers:
            if worker in idle:
                worker.stop(graceful=True)
            else:
                worker.kill()  # its caller sees the connection end and closes it
        with self._lock:
            self._workers.clear()

    def load(self, path: str | Path, grants: Grants | None = None) -> PooledPlugin:
        """Loads a plugin as Host.load does (same checks, same errors), in one worker; the others load it lazily."""
        plugin = PooledPlugin(self, next(self._ids), Path(path), as_policy(grants))
        status, value = self._on_worker(plugin, None)
        if status == "load-error":
            raise PluginLoadError(value)
        if status == "call-error":
            raise PluginCallError(value)
        if status == "raise":
            raise value
        plugin.description, plugin.from_cache, plugin.sha256 = value
        return plugin

    def _call(self, plugin: PooledPlugin, op: str, argument: Any, timeout: float | None) -> tuple[str, Any]:
        """Runs `op` (check, describe, schema) on a worker: ("ok", value) or ("call-error", ErrorDetail)."""
        limit = self.config.timeout if timeout is None else timeout
        request = ("call", plugin.id, op, argument, timeout)
        status, value = self._on_worker(plugin, (request, limit + DEADLINE_GRACE + BACKSTOP_GRACE, limit))
        if status == "load-error":
            return "call-error", ErrorDetail(
                "internal", f"a worker process could not load the plugin: {value}", code="LOAD_FAILED"
            )
        if status == "raise":
            raise value
        return status, value

    def _on_worker(self, plugin: PooledPlugin, call: tuple[tuple[Any, ...], float, float] | None) -> tuple[str, Any]:
        """Loads (or re-grants) the plugin on an idle worker, then runs `call` there (None: only the load)."""
        worker = self._checkout()
        try:
            answer = self._prepare(worker, plugin)
            if call is not None and answer[0] == "ok":
                answer = self._ask(worker, *call)
        except BaseException:
            self._replace(worker)  # interrupted mid-exchange (Ctrl-C): its state is unknown
            raise
        self._checkin(worker, answer[2])
        return answer[0], answer[1]

    def _prepare(self, worker: _Process, plugin: PooledPlugin) -> Answer:
        """Makes the worker hold the plugin with its current grants; the load's answer, or ("ok", None, 0)."""
        version, policy, preopens = plugin.grants_version
        known = worker.grants.get(plugin.id)
        if known == version:
            return "ok", None, 0
        if known is None:
            request: tuple[Any, ...] = (
                "load",
                plugin.id,
                str(plugin.path),
                os.getcwd(),
                policy,
                preopens,
                plugin.sha256,
            )
            answer = self._ask(worker, request, self.config.timeout + DEADLINE_GRACE + LOAD_ALLOWANCE, 0.0)
        else:
            answer = self._ask(worker, ("grant", plugin.id, policy, preopens), QUICK_TIMEOUT, 0.0)
        if answer[0] == "ok":
            worker.grants[plugin.id] = version
        return answer

    def _ask(self, worker: _Process, request: tuple[Any, ...], backstop: float, limit: float) -> Answer:
        """The worker's answer; a worker that stays silent past `backstop`, or dies, is replaced."""
        try:
            return worker.exchange(request, backstop, self._deliver)
        except _Unsendable as exc:
            return "call-error", _unsendable(request[3], exc), 0
        except _Unanswered:
            self._replace(worker)
            detail = self._closed_detail() or ErrorDetail(
                type="timeout",
                code="TIMEOUT",
                message=f"the worker process running the plugin did not answer within {backstop:g} s"
                + (f" (the call's {limit:g} s limit and {backstop - limit:g} s of grace)" if limit else "")
                + ", so the pool killed it, and everything it ran, and started another. Raise the limit with "
                "--timeout if the check legitimately needs longer.",
                is_timeout=True,
            )
            return "call-error", detail, 0
        except _Lost:
            self._replace(worker)
            detail = self._closed_detail() or ErrorDetail(
                type="internal",
                code="WORKER_LOST",
                message=f"the worker process running the plugin ended without answering ({worker.how_it_ended()}), "
                "so this call has no result; the pool started another worker. SIGKILL is usually the kernel's "
                "out-of-memory killer (see `dmesg`): lower HostConfig.memory_limit_mib or run fewer processes; any "
                "other end is a bug in the host, whose traceback is on the worker's stderr.",
            )
            return "call-error", detail, 0

    def _closed_detail(self) -> ErrorDetail | None:
        if not self._closed:
            return None
        return ErrorDetail("internal", "the HostPool was closed while this call ran; it has no result.", "POOL_CLOSED")

    def _deliver(self, message: tuple[Any, ...]) -> None:
        """A worker's log message, handled here as the worker's Host would have handled it."""
        kind, item = message
        if kind == "log":
            try:
                self._on_log(item)
            except Exception:  # the call goes on; the plugin cannot be told any more
                logger.exception("%s: the on_log callback failed on a record of the plugin", item.plugin)
        else:
            target = logging.getLogger(item.name)
            if target.isEnabledFor(item.levelno):
                target.handle(item)

    def _spawn(self) -> None:
        """Starts a worker and makes it idle, unless the pool is closed (under the lock: close() sees it)."""
        with self._lock:
            if self._closed:
                return
            worker = _Process(self._init)
            self._workers.append(worker)
            self._idle.put(worker)

    def _checkout(self) -> _Process:
        while True:
            worker = self._idle.get()
            if worker is None:
                self._idle.put(None)  # for the next waiter
                raise RuntimeError("the HostPool is closed; make a new one to run more checks.")
            if worker.popen.poll() is None:
                return worker
            self._replace(worker)  # it died while idle: nothing was lost

    def _checkin(self, worker: _Process, stuck: int) -> None:
        if worker.gone:
            return
        if stuck:  # a call blocked past its deadline still holds a sandbox there: a new process frees it
            self._replace(worker)
            return
        with self._lock:
            if not self._closed:
                self._idle.put(worker)
                return
        worker.stop(graceful=True)

    def _replace(self, worker: _Process) -> None:
        """Ends the worker and starts another in its place, once (a second call for it only closes)."""
        worker.stop(graceful=False)
        with self._lock:
            if worker not in self._workers:
                return
            self._workers.remove(worker)
        self._spawn()


class PooledPlugin:
    """A plugin loaded into a HostPool, with LoadedPlugin's API; each call runs in a fresh sandbox on a worker."""

    description: PluginDescription | None

    def __init__(self, pool: HostPool, plugin_id: int, path: Path, policy: Policy) -> None:
        self.host = pool
        self.id = plugin_id
        self.path = path
        self.sha256 = ""
        """The SHA-256 of the component's bytes, as the first worker that loaded it read them."""
        self.from_cache = False
        """True when the first worker's compiled code came from the compilation cache."""
        self.description = None
        self.policy = policy
        self.preopens: list[Preopen] = []
        self.grants_version: tuple[int, Policy, list[Preopen]] = (0, policy, [])
        """(version, policy, preopens), replaced as one value so a worker never gets half a change."""
        self.grant(policy)

    def grant(self, grants: Grants | None) -> None:
        """Replaces what this plugin may do (None: nothing) for the calls that follow, on every worker."""
        self.policy, self.preopens = resolve_grants(grants, self.path)
        self.grants_version = (self.grants_version[0] + 1, self.policy, self.preopens)

    @property
    def requested_rules(self) -> list[Rule]:
        """The rules the plugin requests in its manifest (plugin.yaml)."""
        return rules_from_grant_set(self.description.capabilities) if self.description is not None else []

    @property
    def name(self) -> str:
        """The plugin's name (its file name until it has described itself)."""
        return self.description.name if self.description is not None else self.path.stem

    def describe(self, timeout: float | None = None) -> PluginDescription:
        """Asks the plugin for its metadata; raises PluginCallError when it cannot answer."""
        value: PluginDescription = self._value(self.host._call(self, "describe", None, timeout))
        return value

    def schema(self, timeout: float | None = None) -> dict[str, Any]:
        """The plugin's config schema; raises PluginCallError when it cannot answer."""
        value: dict[str, Any] = self._value(self.host._call(self, "schema", None, timeout))
        return value

    def check(self, config: Mapping[str, Any] | None = None, timeout: float | None = None) -> Result:
        """Runs the check; never raises for plugin misbehaviour (that becomes a Result with status error)."""
        try:
            plain = dict(config or {})  # its values are checked in the worker, as a Host checks them
        except TypeError as exc:
            return Result.from_error(ErrorDetail("config", str(exc), code="INVALID_CONFIG"))
        status, value = self.host._call(self, "check", plain, timeout)
        return value if status == "ok" else Result.from_error(value)

    @staticmethod
    def _value(answer: tuple[str, Any]) -> Any:
        status, value = answer
        if status != "ok":
            raise PluginCallError(value)
        return value
