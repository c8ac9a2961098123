"""The wasmtime runtime: load a plugin component, call its exports in a fresh sandbox each time.

Every call gets a new Store and instance (no state leaks between checks), a linear-memory limit, a
wall-clock limit enforced by epoch interruption, no filesystem, no environment, no sockets, and host
functions bound to that call. A trap, a timeout or memory exhaustion becomes an ErrorDetail (types
`panic`, `timeout`, `memory`); the host itself carries on.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version
from wasmtime import Engine, Store, WasiConfig, WasmtimeError
from wasmtime.component import Component, ComponentInstanceType, FuncType, Linker, String

from reglet_abi._rpc import RpcMethod
from reglet_abi._wasmtime_rpc import BadAnswer, ExportIndexes, call_export_raw, decode_answer
from reglet_abi._wire import Decoder
from reglet_abi.reglet.v1 import (
    CallContext,
    CheckRequest,
    DescribeRequest,
    GrantSet,
    PluginExample,
    SchemaRequest,
    services,
)
from reglet_abi.reglet.v1.host import add_host_to_linker
from reglet_sdk import __version__
from reglet_sdk.errors import ErrorDetail
from reglet_sdk.host.call_thread import DEADLINE_GRACE, Abandoned, CallThreads
from reglet_sdk.host.compile_cache import ENGINE_SETTINGS, CompileCache, new_engine
from reglet_sdk.host.config import HostConfig
from reglet_sdk.host.display import escape
from reglet_sdk.host.handlers import CURRENT_CALL, CallHandlers, serving
from reglet_sdk.host.log import PluginLogRecord
from reglet_sdk.host.policy import Grants, Policy, Preopen, as_policy
from reglet_sdk.host.rules import Rule, RuleError, rules_from_grant_set
from reglet_sdk.host.strict import why_broad
from reglet_sdk.jsonvalue import PLAIN_JSON_OBJECT, to_json_object
from reglet_sdk.manifest import PLUGIN_NAME
from reglet_sdk.results import Result

HOST_VERSION = __version__
"""The version of this host, compared with a plugin's min_host_version."""

WASM_MAGIC = b"\0asm"
CORE_MODULE_VERSION = b"\x01\x00\x00\x00"
logger = logging.getLogger("reglet.host")


class PluginLoadError(Exception):
    """A file cannot be run as a Reglet plugin; the message says why and what to do."""


class PluginCallError(Exception):
    """Describe or Schema failed; `detail` is the plugin's (or the sandbox's) ErrorDetail."""

    def __init__(self, detail: ErrorDetail) -> None:
        super().__init__(str(detail))
        self.detail = detail


@dataclass(frozen=True)
class PluginDescription:
    """What a plugin says about itself (the Describe answer)."""

    name: str
    version: str
    description: str
    sdk_version: str
    min_host_version: str
    abi_version: str
    capabilities: GrantSet
    config_schema: dict[str, Any] | None
    examples: tuple[PluginExample, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "sdk_version": self.sdk_version,
            "min_host_version": self.min_host_version,
            "abi_version": self.abi_version,
            "capabilities": self.capabilities.to_dict(),
            "requested_rules": [
                {"rule": str(rule), "risk": rule.risk, "broad": why_broad(rule) or None}
                for rule in rules_from_grant_set(self.capabilities)
            ],
            "config_schema": self.config_schema,
            "examples": [example.to_dict() for example in self.examples],
        }


class _EpochTicker:
    """Advances the engine's epoch once per `interval` of wall-clock time, which is how calls time out.

    The epoch follows the clock (a late wake-up catches up), so a call's epoch deadline passes at its
    wall-clock deadline, before the host gives up waiting for a call that is stuck.
    """

    def __init__(self, engine: Engine, interval: float) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reglet-epoch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started, ticks = time.monotonic(), 0
        while not self._stop.wait(self._interval):
            due = int((time.monotonic() - started) / self._interval)
            for _ in range(due - ticks):
                self._engine.increment_epoch()
            ticks = max(ticks, due)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class _OutputLines:
    """Collects a guest's stdout or stderr and logs it line by line with the plugin's name."""

    def __init__(self, plugin: str, stream: str, level: int) -> None:
        self._log = logging.getLogger(f"reglet.plugin.{plugin}")
        self._stream = stream
        self._level = level
        self._buffer = b""

    def write(self, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._emit(line)
        if len(self._buffer) > 64 * 1024:  # a plugin printing without newlines
            self._emit(self._buffer)
            self._buffer = b""

    def flush(self) -> None:
        if self._buffer:
            self._emit(self._buffer)
            self._buffer = b""

    def _emit(self, line: bytes) -> None:
        text = escape(line.decode("utf-8", "replace").rstrip("\r"))
        self._log.log(self._level, "%s: %s", self._stream, text)


def _default_on_log(record: PluginLogRecord) -> None:
    """Logs a plugin's record on `reglet.plugin.<name>`.

    The message is escaped onto one line, so any handler shows it safely; the raw message rides along
    as `reglet_message` for formatters that attribute each line (the CLI's), the attributes as
    `reglet_attributes`.
    """
    log = logging.getLogger(f"reglet.plugin.{record.plugin}")
    level = logging.getLevelName(record.level)
    log.log(
        level if isinstance(level, int) else logging.INFO,
        escape(record.message),  # no args: a `%` in it is never formatted
        extra={
            "reglet_message": record.message,
            "reglet_attributes": record.attributes,
            "reglet_request_id": record.request_id,
        },
    )


def _trap_reason(text: str, fallback: str) -> str:
    """The line that says why wasmtime stopped: the first cause after `Caused by:`, else the first line."""
    head, _, causes = text.partition("Caused by:")
    for line in (*causes.splitlines(), *head.splitlines()):
        line = line.strip()
        if line:
            return line.split(": ", 1)[1] if line[:1].isdigit() and ": " in line else line
    return fallback


def classify_trap(exc: Exception, timeout: float, elapsed: float, memory_limit_mib: int) -> ErrorDetail:
    """The ErrorDetail for a call that trapped: a timeout, memory exhaustion, a stack overflow or another trap."""
    text = str(exc)
    first_line = _trap_reason(text, type(exc).__name__)
    if "interrupt" in text:
        return ErrorDetail(
            type="timeout",
            code="TIMEOUT",
            message=f"the plugin ran for {elapsed:.1f} s, past its {timeout:g} s limit, and was stopped. "
            "Raise the limit with --timeout if the check legitimately needs longer.",
            is_timeout=True,
        )
    memory_markers = ("memory allocation", "out of memory", "memory size", "exceeds memory limits", "grow")
    if any(marker in text.lower() for marker in memory_markers):
        return ErrorDetail(
            type="memory",
            code="MEMORY_LIMIT",
            message=f"the plugin ran out of memory at its {memory_limit_mib} MiB limit and was stopped "
            f"({first_line}). Raise the limit with --memory-limit if it legitimately needs more.",
            stack=text,
        )
    if "call stack exhausted" in text:
        return ErrorDetail(
            type="panic",
            code="STACK_OVERFLOW",
            message="the plugin exhausted its call stack and was stopped: its recursion went too deep (Python's "
            "recursion limit, if raised with sys.setrecursionlimit, no longer stops it before the WebAssembly "
            "stack runs out). Bound the recursion or make it iterative.",
            stack=text,
        )
    return ErrorDetail(type="panic", code="TRAP", message=f"the plugin trapped: {first_line}", stack=text)


def instantiation_failure(exc: WasmtimeError) -> ErrorDetail:
    """The ErrorDetail for a component this host cannot instantiate: it needs imports the host lacks."""
    return ErrorDetail(
        type="internal",
        code="INCOMPATIBLE_COMPONENT",
        message=f"this host cannot start the component: {(str(exc).strip().splitlines() or ['?'])[0]}. It was "
        "built for a different world than the Reglet plugin world this host serves (for a host with extra host "
        "functions, or from another WIT). Run it with the host it was built for, or rebuild it with "
        "`reglet-sdk build`.",
        stack=str(exc),
    )


class Host:
    """Loads and runs plugins. Thread-safe: checks may run concurrently on one Host."""

    def __init__(self, config: HostConfig | None = None) -> None:
        self.config = config or HostConfig()
        self.engine = new_engine()
        self.compile_cache = (
            CompileCache(self.config.cache_dir, ENGINE_SETTINGS) if self.config.cache_dir is not None else None
        )
        self._ticker = _EpochTicker(self.engine, self.config.epoch_tick)
        self._calls = CallThreads(self.config.max_stuck_calls)
        self._longest_limit = self.config.timeout  # the longest time limit any call was given

    def __enter__(self) -> Host:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops the host's background timer thread and its idle call workers.

        A call still stuck (one whose wait was interrupted may not have reached its deadline yet) must
        still trap when it wakes: the epoch is moved past every deadline a call of this host can have.
        """
        self._ticker.stop()
        self._calls.close()
        if self._calls.stuck:
            for _ in range(math.ceil(self._longest_limit / self.config.epoch_tick) + 1):
                self.engine.increment_epoch()

    @property
    def stuck_calls(self) -> int:
        """Calls given up on at their deadline that are still blocked (see HostConfig.max_stuck_calls)."""
        return self._calls.stuck

    def load(self, path: str | Path, grants: Grants | None = None) -> LoadedPlugin:
        """Loads, compiles (or reuses the compiled form of) and describes a plugin component.

        `grants` is everything the plugin may do (default: nothing); see reglet_sdk.host.policy.
        """
        path = Path(path)
        try:
            wasm = path.read_bytes()
        except OSError as exc:
            raise PluginLoadError(f"{path} cannot be read ({exc.strerror}).") from exc
        if wasm[:4] != WASM_MAGIC:
            raise PluginLoadError(
                f"{path} is not a WebAssembly file (it does not start with \\0asm). Pass a plugin component "
                "built with `reglet-sdk build`."
            )
        if wasm[4:8] == CORE_MODULE_VERSION:
            raise PluginLoadError(
                f"{path} is a core WebAssembly module, not a component. Reglet plugins are WebAssembly "
                "components: build them with `reglet-sdk build`."
            )
        sha256 = hashlib.sha256(wasm).hexdigest()  # the plugin's identity, and its compilation cache key
        try:
            if self.compile_cache is not None:
                component, from_cache = self.compile_cache.load(self.engine, wasm, sha256)
            else:
                component, from_cache = Component(self.engine, wasm), False
        except WasmtimeError as exc:
            raise PluginLoadError(f"{path} is not a valid WebAssembly component: {exc}") from exc
        self._check_exports(path, component)
        plugin = LoadedPlugin(self, path, component, from_cache, as_policy(grants), sha256)
        try:
            description = plugin.describe()
        except PluginCallError as exc:
            if exc.detail.code == "INCOMPATIBLE_COMPONENT":
                raise PluginLoadError(f"{path}: {exc.detail.message}") from exc
            raise
        self._check_name(path, description)
        self._check_version(path, description)
        self._check_capabilities(path, description)
        plugin.description = description
        return plugin

    def _check_exports(self, path: Path, component: Component) -> None:
        exports = component.type.exports(self.engine)
        wanted = services.PLUGIN.wit_interface
        if wanted in exports:
            self._check_signatures(path, exports[wanted].ty)
            return
        base = wanted.partition("@")[0]
        other = [name for name in exports if name.partition("@")[0] == base]
        if other:
            raise PluginLoadError(
                f"{path} was built for ABI {other[0].partition('@')[2]}, but this host speaks "
                f"{wanted.partition('@')[2]}. Rebuild the plugin with the SDK that matches this host."
            )
        raise PluginLoadError(
            f"{path} is a WebAssembly component but not a Reglet plugin: it does not export {wanted} "
            f"(it exports {', '.join(sorted(exports)) or 'nothing'}). Build plugins with `reglet-sdk build`."
        )

    def _check_signatures(self, path: Path, interface: object) -> None:
        """Every Plugin function is exported as func(string) -> string, the framed-message shape."""
        found = interface.exports(self.engine) if isinstance(interface, ComponentInstanceType) else {}
        for method in services.PLUGIN.methods:
            item = found.get(method.wit_name)
            func = item.ty if item is not None else None
            if not isinstance(func, FuncType):
                problem = f"it lacks the function `{method.wit_name}`"
            elif [type(t) for _, t in func.params] != [String] or not isinstance(func.result, String):
                params = ", ".join(f"{name}: {type(t).__name__.lower()}" for name, t in func.params)
                result = f" -> {type(func.result).__name__.lower()}" if func.result is not None else ""
                problem = f"its `{method.wit_name}` is func({params}){result}, not func(request: string) -> string"
            else:
                continue
            raise PluginLoadError(
                f"{path} exports {services.PLUGIN.wit_interface}, but not the one this host speaks: {problem}. It "
                "was built from a different WIT than the Reglet ABI; build plugins with `reglet-sdk build`."
            )

    @staticmethod
    def _check_name(path: Path, description: PluginDescription) -> None:
        """The name becomes a logger name and a label on every line shown: only the plugin-name syntax."""
        if not PLUGIN_NAME.match(description.name):
            raise PluginLoadError(
                f"{path} calls itself {escape(repr(description.name))[:200]}, which is not a plugin name (lower-case "
                "words joined by dashes, at most 64 characters). reglet-sdk build refuses such a name, so the "
                "component was not built by it or its answer was tampered with; do not run it."
            )

    @staticmethod
    def _check_version(path: Path, description: PluginDescription) -> None:
        try:
            needed = Version(description.min_host_version or "0")
        except InvalidVersion as exc:
            raise PluginLoadError(
                f"{path} declares min_host_version {escape(repr(description.min_host_version))[:200]}, which is not "
                "a version."
            ) from exc
        if needed > Version(HOST_VERSION):
            raise PluginLoadError(
                f"{description.name} {escape(description.version)} needs a host of version "
                f"{escape(description.min_host_version)} "
                f"or newer, but this host is version {HOST_VERSION}. Upgrade reglet-sdk to run it."
            )

    @staticmethod
    def _check_capabilities(path: Path, description: PluginDescription) -> None:
        try:
            rules_from_grant_set(description.capabilities)
        except RuleError as exc:
            raise PluginLoadError(
                f"{path} requests a capability no host grants: {exc} reglet-sdk build refuses such a plugin.yaml, "
                "so this component was built another way or altered; rebuild it from its source."
            ) from exc

    def invoke(
        self,
        plugin: LoadedPlugin,
        method: RpcMethod[Any, Any],
        request: Any,
        timeout: float | None = None,
    ) -> tuple[Any, ErrorDetail | None]:
        """Calls one export in a fresh sandbox: (response, None), or (None, why there is no answer).

        The call runs on a worker thread (see host.call_thread) and is waited for until its deadline
        and no longer, even while the plugin is blocked in a system call such as sleep.
        """
        limit = self.config.timeout if timeout is None else timeout
        self._longest_limit = max(self._longest_limit, limit)
        refused = self._calls.refusal()
        if refused is not None:
            logger.warning("%s: call refused: %s", plugin.name, refused)
            return None, ErrorDetail("internal", refused, code="HOST_BUSY")
        started = time.monotonic()
        request.context = CallContext(
            deadline=datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=limit),
            timeout_ms=int(limit * 1000),
            request_id=uuid.uuid4().hex,
        )
        try:
            return self._calls.run(
                lambda: self._call(plugin, method, request, started, limit),
                until=started + limit + DEADLINE_GRACE,
                name=plugin.name,
            )
        except Abandoned:
            return None, ErrorDetail(
                type="timeout",
                code="TIMEOUT",
                message=f"the plugin was still blocked (in a system call such as sleep, which cannot be "
                f"interrupted) when its {limit:g} s limit ran out; the host stopped waiting for it. Raise the "
                "limit with --timeout if the check legitimately needs longer.",
                is_timeout=True,
            )

    def _call(
        self, plugin: LoadedPlugin, method: RpcMethod[Any, Any], request: Any, started: float, limit: float
    ) -> tuple[Any, ErrorDetail | None]:
        """On the call's worker thread: run the export, then decode its answer (once the sandbox is gone)."""
        raw, failure = self._run_export(plugin, method, request, started, limit)
        if failure is not None:
            return None, failure
        try:
            return decode_answer(method, raw, _ANSWER_DECODERS.get(method)), None
        except BadAnswer as exc:
            return None, bad_response(plugin.name, exc)

    def _run_export(
        self, plugin: LoadedPlugin, method: RpcMethod[Any, Any], request: Any, started: float, limit: float
    ) -> tuple[bytes, ErrorDetail | None]:
        """The export's answer (the encoded message) from a fresh sandbox, closed before this returns."""
        name = plugin.name
        stdout = _OutputLines(name, "stdout", logging.INFO)
        stderr = _OutputLines(name, "stderr", logging.WARNING)
        store = Store(self.engine)
        store.set_limits(memory_size=self.config.memory_limit_mib << 20)
        left = started + limit - time.monotonic()  # the epoch deadline is the call's, not the store's age
        store.set_epoch_deadline(max(1, math.ceil(left / self.config.epoch_tick)))
        wasi = WasiConfig()
        wasi.stdout_custom = stdout.write
        wasi.stderr_custom = stderr.write
        wasi.env = plugin.policy.environment(os.environ)
        for preopen in plugin.preopens:
            wasi.preopen_dir(preopen.host_path, preopen.guest_path, preopen.writable)
        store.set_wasi(wasi)
        handlers = CallHandlers(
            name,
            request.context.request_id,
            self.config.on_log or _default_on_log,
            plugin.policy,
            self.config.exec_limits,
            self.config.network,
            deadline=started + limit,
        )
        linker, exports = plugin.linked()
        try:
            with serving(handlers):
                return self._instantiate_and_call(plugin, linker, exports, store, method, request, started, limit)
        finally:
            stdout.flush()
            stderr.flush()
            store.close()  # frees the sandbox's memory now, before the answer is decoded

    def link(self, plugin: LoadedPlugin) -> Linker:
        """A linker for `plugin`'s calls: WASI, the Host functions (answered by each call's handlers), extensions.

        Built once per plugin (and again after `LoadedPlugin.grant`); what differs between calls (grants
        in force, deadline, request id) reaches the functions through `handlers.serving`.
        """
        linker = Linker(self.engine)
        linker.add_wasip2()
        add_host_to_linker(linker, CURRENT_CALL, max_request_bytes=self.config.max_request_bytes)
        for extend in self.config.extensions:
            extend(linker, plugin)
        return linker

    def _instantiate_and_call(
        self,
        plugin: LoadedPlugin,
        linker: Linker,
        exports: ExportIndexes,
        store: Store,
        method: RpcMethod[Any, Any],
        request: Any,
        started: float,
        limit: float,
    ) -> tuple[bytes, ErrorDetail | None]:
        """Instantiates the component in `store` and calls one export (its answer's bytes, or why none)."""
        try:
            instance = linker.instantiate(store, plugin.component)
        except WasmtimeError as exc:
            if "component imports" in str(exc):  # a link error: the component needs what this host lacks
                return b"", instantiation_failure(exc)
            return b"", classify_trap(exc, limit, time.monotonic() - started, self.config.memory_limit_mib)
        try:
            func = exports.func(store, instance, method)
            return call_export_raw(store, func, method, request, self.config.max_response_bytes), None
        except WasmtimeError as exc:
            return b"", classify_trap(exc, limit, time.monotonic() - started, self.config.memory_limit_mib)
        except BadAnswer as exc:
            return b"", bad_response(plugin.name, exc)


def bad_response(plugin: str, problem: Exception) -> ErrorDetail:
    """The ErrorDetail for an answer the host cannot accept (too large, not framed, not decodable)."""
    return ErrorDetail("internal", f"{plugin} gave an answer the host cannot accept: {problem}", code="BAD_RESPONSE")


_ANSWER_DECODERS: dict[RpcMethod[Any, Any], Decoder] = {services.PLUGIN_CHECK: Decoder(PLAIN_JSON_OBJECT)}
"""Check's result data is decoded straight into Python values (no message object per JSON value)."""


def resolve_grants(grants: Grants | None, plugin_path: Path) -> tuple[Policy, list[Preopen]]:
    """The policy of `grants` and the directories it mounts; warns once about each rule it cannot mount."""
    policy = as_policy(grants)
    preopens, unmountable = policy.preopens()
    for problem in unmountable:
        logger.warning("%s: %s", plugin_path.name, escape(problem))
    return policy, preopens


class LoadedPlugin:
    """A plugin component ready to run; each call runs in a fresh sandbox."""

    description: PluginDescription | None

    def __init__(
        self, host: Host, path: Path, component: Component, from_cache: bool, policy: Policy, sha256: str = ""
    ) -> None:
        self.host = host
        self.path = path
        self.sha256 = sha256
        """The SHA-256 of the component's bytes: its identity (the name is whatever the plugin says)."""
        self.component = component
        self.from_cache = from_cache
        """True when the compiled code came from the compilation cache."""
        self.description = None
        self.policy = policy
        self.preopens: list[Preopen] = []
        self._exports = ExportIndexes(component, services.PLUGIN)
        self._linker: Linker | None = None
        self._linker_lock = threading.Lock()
        self.grant(policy)

    def grant(self, grants: Grants | None) -> None:
        """Replaces what this plugin may do (None: nothing) for the calls that follow."""
        self.use_grants(*resolve_grants(grants, self.path))

    def use_grants(self, policy: Policy, preopens: list[Preopen]) -> None:
        """Applies grants already resolved by `resolve_grants` (a HostPool resolves them once for its workers)."""
        self.policy, self.preopens = policy, preopens
        with self._linker_lock:
            self._linker = None  # extensions are given the plugin (and so its grants) when they link

    def linked(self) -> tuple[Linker, ExportIndexes]:
        """The plugin's linker (built on first use) and where its exports are."""
        with self._linker_lock:
            if self._linker is None:
                self._linker = self.host.link(self)
            return self._linker, self._exports

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
        response, failure = self.host.invoke(
            self, services.PLUGIN_DESCRIBE, DescribeRequest(host_version=HOST_VERSION), timeout
        )
        if failure is not None:
            raise PluginCallError(failure)
        if response.error is not None:
            raise PluginCallError(ErrorDetail.from_proto(response.error))
        meta = response.metadata
        if meta is None:
            raise PluginCallError(ErrorDetail("internal", "describe answered without metadata", code="BAD_RESPONSE"))
        return PluginDescription(
            name=meta.name,
            version=meta.version,
            description=meta.description,
            sdk_version=meta.sdk_version,
            min_host_version=meta.min_host_version,
            abi_version=meta.abi_version,
            capabilities=meta.capabilities or GrantSet(),
            config_schema=_schema(meta.config_schema),
            examples=tuple(meta.examples),
        )

    def schema(self, timeout: float | None = None) -> dict[str, Any]:
        """The plugin's config schema; raises PluginCallError when it cannot answer."""
        response, failure = self.host.invoke(self, services.PLUGIN_SCHEMA, SchemaRequest(), timeout)
        if failure is not None:
            raise PluginCallError(failure)
        if response.error is not None:
            raise PluginCallError(ErrorDetail.from_proto(response.error))
        schema = _schema(response.schema)
        if schema is None:
            raise PluginCallError(
                ErrorDetail("internal", "the plugin's schema is not a JSON object", code="BAD_SCHEMA")
            )
        return schema

    def check(self, config: Mapping[str, Any] | None = None, timeout: float | None = None) -> Result:
        """Runs the check; never raises for plugin misbehaviour (that becomes a Result with status error)."""
        try:
            request = CheckRequest(config=to_json_object(dict(config or {}), "config"))
        except TypeError as exc:
            return Result.from_error(ErrorDetail("config", str(exc), code="INVALID_CONFIG"))
        response, failure = self.host.invoke(self, services.PLUGIN_CHECK, request, timeout)
        if failure is not None:
            return Result.from_error(failure)
        if response.error is not None:
            return Result.from_error(ErrorDetail.from_proto(response.error))
        if response.result is None:
            return Result.from_error(ErrorDetail("internal", "check answered without a result", code="BAD_RESPONSE"))
        return Result.from_proto(response.result)


def _schema(raw: bytes) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can follow
        return None
    return document if isinstance(document, dict) else None
