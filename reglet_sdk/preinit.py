"""Build-time pre-initialisation: what the component's entry module runs right after importing plugin.py.

componentize-py snapshots the component's memory after this, and every call starts a fresh instance
from that snapshot. So everything done here is done once, at build time, instead of on every check:
modules imported, class metadata and caches filled, and the SDK's per-call path run a few times with
a stand-in plugin so its bytecode is specialised and its lazy state exists. Nothing of the author's
check runs here. It also fails the build when plugin.py never registered a plugin or describe()
disagrees with plugin.yaml (SystemExit with a message the builder recognises: `REGLET_BUILD_ERROR: `).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gc
import logging
import sys
from typing import Any

from reglet_abi import _rpc
from reglet_abi.reglet.v1 import CallContext, CheckRequest, DescribeRequest, SchemaRequest, guest, services
from reglet_sdk import _types, exec, fs, log, manifest, net, plugin
from reglet_sdk.context import Context
from reglet_sdk.jsonvalue import to_json_object
from reglet_sdk.metadata import Metadata
from reglet_sdk.results import Result

MARKER = "REGLET_BUILD_ERROR: "
EXERCISE_ROUNDS = 8
"""How often the per-call path runs at build time: enough for the interpreter to specialise its bytecode."""


def warm_up() -> None:
    """Computes the codec metadata of every ABI message class once, at build time.

    betterproto2 computes each message class's metadata (resolving its type hints) on first use, and
    the strict decoder builds its tables lazily too. A fresh sandbox per call would pay that on every
    check (measured: ~25 ms of a ~30 ms check before this existed); done here it is in the snapshot.
    The google.protobuf classes count: every Result carries Timestamps.
    """
    import inspect

    import betterproto2

    from reglet_abi._wire import prepare_message
    from reglet_abi.google import protobuf
    from reglet_abi.reglet import v1 as abi

    for module in (abi, protobuf):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, betterproto2.Message) and cls is not betterproto2.Message:
                bytes(cls.parse(bytes(cls())))  # builds the class metadata, the parser and the serialiser paths
                prepare_message(cls)  # and the strict decoder's tables (reglet_abi._wire)


ALWAYS_PRELOADED = (
    # Codecs the standard library looks up lazily (socket and http use idna, for example).
    *("encodings.idna", "encodings.punycode", "encodings.ascii", "encodings.latin_1", "encodings.utf_16"),
    *("encodings.utf_32", "encodings.utf_8_sig", "encodings.cp1252", "encodings.base64_codec", "encodings.hex_codec"),
)


def preload(modules: list[str]) -> None:
    """Imports `modules` at build time, so they exist at run time.

    A component has no filesystem for Python to import from when it runs: only modules imported while
    it was built (pre-initialised) are there. The build therefore imports every module the plugin's
    files name anywhere (also inside functions); a module that cannot be imported here is skipped, and
    an import of it at run time fails as it would have.
    """
    import importlib

    for name in (*ALWAYS_PRELOADED, *modules):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - optional: only what imports cleanly is kept
            continue


class _StandIn(plugin.Plugin):
    """The plugin the per-call path is exercised with: logs once, uses every wrapper, returns data."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def describe(self, ctx: Context) -> Metadata:
        """The built plugin's name and version, so Describe runs its answering path, not its mismatch path."""
        built = manifest.embedded()
        return Metadata(name=built.name, version=built.version) if built else Metadata(name="warm-up", version="0")

    def schema(self, ctx: Context) -> bytes:
        """The empty object schema."""
        return b'{"type": "object"}'

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """What a typical check does, with every host call answered by the loopback transport."""
        self.logger.info("warm-up %s", "record", extra={"count": 1, "ratio": 0.5, "flag": True, "name": "x"})
        for call in _WRAPPER_CALLS:
            try:
                call()
            except Exception:  # noqa: BLE001 - an empty answer may be an error; the path ran
                continue
        return Result.success("warm-up", {"text": "x", "int": 1, "float": 0.5, "bool": True, "none": None, **cfg})


_WRAPPER_CALLS = (
    lambda: exec.run(exec.CommandRequest(command="/bin/true", args=["x"])),
    lambda: fs.stat("/"),
    lambda: fs.read_text("/"),
    lambda: net.dns.resolve("example.invalid"),
    lambda: net.http.get("https://example.invalid/", headers={"accept": "*/*"}),
    lambda: net.tcp.dial("example.invalid", 443, tls=True),
    lambda: net.tcp.dial("example.invalid", 443, tls=True, verify=False),
    lambda: net.smtp.connect("example.invalid", starttls=True),
)


class _Loopback:
    """A host transport that answers every request with an empty response (no host at build time)."""

    def __getattr__(self, name: str) -> Any:
        method = services.HOST.method(name)
        return lambda _request: bytes(method.response_type())


def exercise() -> None:
    """Runs Describe, Schema and Check through the SDK's own framed path with a stand-in plugin.

    The host calls go to a loopback transport; the stand-in's log record goes to a private logger, so
    the plugin's loggers, the registered plugin and the current context are as they were.
    """
    logger = logging.Logger("reglet.warm-up")
    logger.addHandler(log.HostLogHandler())
    slot: _rpc.ImplementationSlot[Any] = _rpc.ImplementationSlot(services.PLUGIN)
    slot.serve(plugin.PluginAdapter(_StandIn(logger)))
    call_context = CallContext(
        deadline=datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=60),
        timeout_ms=60_000,
        request_id="0" * 32,
    )
    check = _rpc.encode_frame(bytes(CheckRequest(context=call_context, config=to_json_object({"name": "x", "n": 3}))))
    describe = _rpc.encode_frame(bytes(DescribeRequest(context=call_context, host_version="0")))
    schema = _rpc.encode_frame(bytes(SchemaRequest(context=call_context)))
    guest.host.use_transport(_Loopback())
    try:
        for _ in range(EXERCISE_ROUNDS):
            slot.call(services.PLUGIN_CHECK, check)
        slot.call(services.PLUGIN_DESCRIBE, describe)
        slot.call(services.PLUGIN_SCHEMA, schema)
    finally:
        guest.host.use_transport(None)
    with contextlib.suppress(RuntimeError):  # natively (a test calling this) there is no WIT import
        guest.host.use_transport(_rpc.wit_import(services.HOST))  # bound now, not per fresh instance


def after_import(modules: list[str] | None = None) -> None:
    """Preloads and warms up; fails the build when no plugin registered or describe() contradicts plugin.yaml."""
    preload(modules or [])
    warm_up()
    registered = plugin.registered()
    if registered is None:
        raise SystemExit(
            MARKER + "plugin.py never called reglet_sdk.plugin.register(...). Add "
            "`plugin.register(MyPlugin())` at the end of plugin.py so the component has a plugin to serve."
        )
    _check_describe(registered)
    _fill_config_caches(registered)
    exercise()
    gc.collect()
    gc.freeze()  # the snapshot's objects are never garbage: no collection at run time walks them


def _fill_config_caches(registered: plugin.Plugin) -> None:
    """Resolves the fields of every dataclass in the plugin's module (its config classes, typically)."""
    module = sys.modules.get(type(registered).__module__)
    for value in list(vars(module).values()) if module is not None else []:
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            try:
                _types.fields(value)
            except Exception:  # noqa: BLE001 - not a config class; config.load would say why
                continue


def _check_describe(registered: plugin.Plugin) -> None:
    """describe() must agree with plugin.yaml."""
    built = manifest.embedded()
    try:
        metadata = registered.describe(Context())
    except Exception:  # noqa: BLE001 - describe() may need a host; the runtime check covers it
        return
    if (
        built is not None
        and isinstance(metadata, Metadata)
        and (metadata.name, metadata.version) != (built.name, built.version)
    ):
        raise SystemExit(
            MARKER + f"describe() says {metadata.name} {metadata.version} but plugin.yaml says "
            f"{built.name} {built.version}. Make them agree."
        )
