"""The worker side of a HostPool: one process, one Host, serving one request at a time over a socket.

host.pool starts this module in a fresh interpreter (never a fork: the parent may hold wasmtime's
threads) with one end of a socket pair. The protocol, pickled messages on a
multiprocessing Connection:

- parent -> worker: first ("init", HostConfig without on_log), then
  requests: ("load", id, path, the parent's cwd, policy, preopens, sha256 or ""), ("grant", id, policy, preopens),
  ("call", id, op, argument, timeout) with op "check", "describe" or "schema", and ("close",);
- worker -> parent: ("ready", pid) once its Host exists; ("log", PluginLogRecord) for each record a
  plugin sends and ("record", logging.LogRecord) for the host's own log records, as they happen;
  ("answer", status, value, stuck calls) once per request, where status is "ok", "call-error"
  (value: an ErrorDetail), "load-error" (value: the PluginLoadError's message) or "raise" (value:
  the exception).

The socket closing (the parent is gone) ends the worker once its current call has ended.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from reglet_sdk.host.config import HostConfig
from reglet_sdk.host.log import PluginLogRecord
from reglet_sdk.host.policy import Policy, Preopen
from reglet_sdk.host.runtime import Host, LoadedPlugin, PluginCallError, PluginLoadError


class _Channel:
    """The worker's end of the socket: sends from any thread (call threads log while the main one answers)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lock = threading.Lock()
        self.parent_gone = False

    def send(self, message: tuple[Any, ...]) -> None:
        """Sends one message; once the parent is gone, nothing (the worker is about to end)."""
        with self._lock:
            if self.parent_gone:
                return
            try:
                self.connection.send(message)
            except OSError:  # the socket's other end closed: the parent died or killed this worker's peer
                self.parent_gone = True

    def plugin_log(self, record: PluginLogRecord) -> None:
        """The Host's on_log: the record goes to the parent, whose on_log receives it."""
        self.send(("log", record))


class _Forward(logging.Handler):
    """Sends the host's log records (`reglet.host`, a guest's stdout and stderr lines) to the parent."""

    def __init__(self, channel: _Channel) -> None:
        super().__init__()
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # Made picklable the way logging.handlers.QueueHandler does: the message formatted now.
            copy = logging.makeLogRecord(record.__dict__)
            copy.msg, copy.args = record.getMessage(), None
            if record.exc_info:
                copy.exc_text = logging.Formatter().formatException(record.exc_info)
            copy.exc_info = None
            self._channel.send(("record", copy))
        except Exception:  # noqa: BLE001 - logging must not fail the call; logging's own report
            self.handleError(record)


@contextlib.contextmanager
def _quiet_on_this_thread(logger: logging.Logger) -> Iterator[None]:
    """Drops `logger`'s records from this thread: the parent already logged what granting warns about."""
    me = threading.get_ident()

    def other_threads(record: logging.LogRecord) -> bool:
        return record.thread != me

    logger.addFilter(other_threads)
    try:
        yield
    finally:
        logger.removeFilter(other_threads)


class _Worker:
    """The worker's Host and the plugins loaded in it, by the parent's plugin id."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.plugins: dict[int, LoadedPlugin] = {}

    def load(self, plugin_id: int, path: str, cwd: str, policy: Policy, preopens: list[Preopen], sha256: str) -> Any:
        # The path as the caller gave it, so errors name it as a Host's would, unless the parent has
        # moved to another directory since this worker started.
        where = Path(path) if os.getcwd() == cwd else Path(cwd, path)
        with _quiet_on_this_thread(logging.getLogger("reglet.host")):
            loaded = self.host.load(where, policy)
        if sha256 and loaded.sha256 != sha256:
            raise PluginLoadError(
                f"{path} changed after the pool loaded it (its SHA-256 is now {loaded.sha256}); every worker must "
                "run the same component. Load the new file as a new plugin."
            )
        loaded.use_grants(policy, preopens)
        self.plugins[plugin_id] = loaded
        return loaded.description, loaded.from_cache, loaded.sha256

    def grant(self, plugin_id: int, policy: Policy, preopens: list[Preopen]) -> None:
        # The parent resolved the policy (and warned about what it cannot mount) once for all workers.
        self.plugins[plugin_id].use_grants(policy, preopens)

    def call(self, plugin_id: int, op: str, argument: Any, timeout: float | None) -> Any:
        plugin = self.plugins[plugin_id]
        if op == "check":
            return plugin.check(argument, timeout)
        if op == "describe":
            return plugin.describe(timeout)
        return plugin.schema(timeout)

    def answer(self, request: tuple[Any, ...]) -> tuple[Any, ...]:
        """The answer to one request; what it raises is sent back rather than ending the worker."""
        actions: dict[str, Callable[..., Any]] = {"load": self.load, "grant": self.grant, "call": self.call}
        try:
            value, status = actions[request[0]](*request[1:]), "ok"
        except PluginCallError as exc:
            value, status = exc.detail, "call-error"
        except PluginLoadError as exc:
            value, status = str(exc), "load-error"
        except Exception as exc:  # noqa: BLE001 - a host bug: raised in the parent, as a Host would
            value, status = exc, "raise"
        return ("answer", status, value, self.host.stuck_calls)


def _send_answer(channel: _Channel, answer: tuple[Any, ...]) -> None:
    try:
        channel.send(answer)
    except Exception:  # an exception that does not pickle: its traceback as text instead
        if answer[1] != "raise":
            raise
        text = "".join(traceback.format_exception(answer[2]))
        channel.send(("answer", "raise", RuntimeError(f"in a HostPool worker:\n{text}"), answer[3]))


def serve(connection: Connection) -> None:
    """Answers the parent's requests until it says close or goes away."""
    channel = _Channel(connection)
    _, config = connection.recv()
    assert isinstance(config, HostConfig)
    reglet = logging.getLogger("reglet")
    reglet.addHandler(_Forward(channel))
    reglet.setLevel(logging.DEBUG)  # the parent's loggers, as configured when a record arrives, decide
    reglet.propagate = False  # the parent's handlers show them; nothing is printed here
    with Host(replace(config, on_log=channel.plugin_log)) as host:
        worker = _Worker(host)
        channel.send(("ready", os.getpid()))
        while True:
            try:
                request = connection.recv()
            except EOFError:  # the parent is gone
                return
            if request[0] == "close":
                return
            _send_answer(channel, worker.answer(request))
            if channel.parent_gone:
                return


def main(fd: int) -> None:
    """The worker process's entry point, given the inherited socket's file descriptor."""
    status = 0
    try:
        serve(Connection(fd))
    except BaseException:  # noqa: BLE001 - shown on the inherited stderr; the parent sees the exit
        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # without waiting for a stuck call's thread (its sandbox goes with the process)
