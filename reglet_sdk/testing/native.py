"""Run a plugin natively under CPython: no build, no WebAssembly, the same answers.

    from reglet_sdk.testing import NativePlugin, FakeHost

    fake = FakeHost(exec_command=ExecResponse(stdout=b"active"))
    plugin = NativePlugin.load("path/to/plugin", host=fake)
    result = plugin.check({"service": "nginx"})
    assert fake.calls["exec_command"][0].command == "systemctl"

The plugin module is imported from its folder with its plugin.yaml as the manifest; every call goes
through the same adapter and the same encode/decode path as inside a component, against either a
FakeHost (scripted answers, recorded requests) or the host's real handlers with a grant set
(`NativePlugin.load(folder, grants=[...])`).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import betterproto2

from reglet_abi.reglet.v1 import (
    CheckRequest,
    CheckResponse,
    DescribeRequest,
    DescribeResponse,
    GrantSet,
    SchemaRequest,
    SchemaResponse,
    guest,
    services,
)
from reglet_sdk import manifest as manifest_module, plugin as plugin_module
from reglet_sdk.errors import ErrorDetail
from reglet_sdk.jsonvalue import to_json_object
from reglet_sdk.results import Result
from reglet_sdk.toolchain import plugin_yaml

Answer = betterproto2.Message | Callable[[Any], betterproto2.Message]


class FakeHost:
    """Host functions with scripted answers; records every request by rpc name (e.g. "exec_command").

    An rpc without a scripted answer answers with a `capability` error, like a host that granted
    nothing. Log records are kept in `logs`.
    """

    def __init__(self, **answers: Answer) -> None:
        unknown = set(answers) - {m.python_name for m in services.HOST.methods}
        if unknown:
            raise TypeError(f"FakeHost has no rpc {', '.join(sorted(unknown))}")
        self.answers = dict(answers)
        self.calls: dict[str, list[Any]] = defaultdict(list)

    @property
    def logs(self) -> list[Any]:
        """The LogRequests the plugin sent."""
        return self.calls["log"]

    def __getattr__(self, python_name: str) -> Callable[[bytes], bytes]:
        method = services.HOST.method(python_name)

        def call(raw: bytes) -> bytes:
            request = method.request_type.parse(raw)
            self.calls[python_name].append(request)
            answer = self.answers.get(python_name)
            if answer is None:
                if python_name == "log":
                    return bytes(method.response_type())
                response = method.error_response(
                    "capability", f"fake:{python_name}", f"FakeHost has no answer for {method.name}"
                )
            else:
                response = answer(request) if callable(answer) else answer
            return bytes(response)

        return call


def _import_plugin(folder: Path) -> ModuleType:
    """Imports folder/plugin.py as a fresh module (it registers its plugin)."""
    source = folder / "plugin.py"
    name = f"_reglet_native_{abs(hash(folder.resolve()))}"
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and type hints look the module up by name
    sys.path.insert(0, str(folder))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module


class NativePlugin:
    """A plugin imported natively, answering through the same adapter and codec as a component."""

    def __init__(
        self,
        folder: Path,
        transport: object,
        manifest: manifest_module.Manifest,
        extra: Mapping[Any, object] | None = None,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self._transport = transport
        self._extra = dict(extra or {})
        self._adapter: plugin_module.PluginAdapter | None = None

    @classmethod
    def load(
        cls,
        folder: str | Path,
        *,
        host: FakeHost | None = None,
        grants: Any = None,
        host_config: Any = None,
        extra: Mapping[Any, object] | None = None,
    ) -> NativePlugin:
        """Imports the plugin in `folder`; it talks to `host` (a FakeHost) or, given `grants`, real handlers.

        `extra` maps the generated stubs of an extension's host functions to their transports, e.g.
        `{kv: kv_transport(InventoryStore(...))}` (see examples/host_runtime).
        """
        folder = Path(folder).resolve()
        manifest = plugin_yaml.load(folder / "plugin.yaml")
        if host is not None and grants is not None:
            raise TypeError("pass either host= (a FakeHost) or grants= (real host handlers), not both")
        transport: object
        if host is not None:
            transport = host
        else:
            from reglet_abi.reglet.v1.host import host_transport
            from reglet_sdk.host import HostConfig
            from reglet_sdk.host.handlers import CallHandlers
            from reglet_sdk.host.policy import as_policy

            config = host_config or HostConfig(cache_dir=None)
            handlers = CallHandlers(
                manifest.name,
                "native",
                config.on_log or (lambda record: None),
                as_policy(grants),
                config.exec_limits,
                config.network,
            )
            transport = host_transport(handlers)
        native = cls(folder, transport, manifest, extra)
        native.__enter__()
        try:
            _import_plugin(folder)
            registered = plugin_module.registered()
            if registered is None:
                raise RuntimeError(f"{folder / 'plugin.py'} never called reglet_sdk.plugin.register(...)")
            native._adapter = plugin_module.PluginAdapter(registered)
        finally:
            native.__exit__(None, None, None)
        return native

    def __enter__(self) -> NativePlugin:
        plugin_module.unregister()
        manifest_module.use(self.manifest)
        guest.host.use_transport(self._transport)  # type: ignore[arg-type]
        for stub, transport in self._extra.items():
            stub.use_transport(transport)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        guest.host.use_transport(None)
        for stub in self._extra:
            stub.use_transport(None)
        manifest_module.use(None)
        plugin_module.unregister()

    def _call(self, method: Any, request: betterproto2.Message) -> Any:
        assert self._adapter is not None
        with self:
            raw = getattr(self._adapter, method.python_name)(method.request_type.parse(bytes(request)))
        return method.response_type.parse(bytes(raw))

    def describe(self) -> DescribeResponse:
        """The Describe answer, as the host would receive it."""
        response: DescribeResponse = self._call(services.PLUGIN_DESCRIBE, DescribeRequest())
        return response

    def schema(self) -> dict[str, Any]:
        """The config schema (raises when the plugin cannot produce one)."""
        response: SchemaResponse = self._call(services.PLUGIN_SCHEMA, SchemaRequest())
        if response.error is not None:
            raise RuntimeError(response.error.message)
        document: dict[str, Any] = json.loads(response.schema)
        return document

    def check(self, config: Mapping[str, Any] | None = None) -> Result:
        """Runs the check; plugin misbehaviour becomes a Result with status error, as in the host."""
        response: CheckResponse = self._call(
            services.PLUGIN_CHECK, CheckRequest(config=to_json_object(dict(config or {}), "config"))
        )
        if response.error is not None:
            return Result.from_error(ErrorDetail.from_proto(response.error))
        assert response.result is not None
        return Result.from_proto(response.result)

    @property
    def requested(self) -> GrantSet:
        """The capabilities plugin.yaml requests."""
        return self.manifest.capabilities


def comparable(result: Result, volatile: tuple[str, ...] = ("_ms", "request_id", "local_addr")) -> dict[str, Any]:
    """A Result without what differs from run to run (durations, request ids, local ports), for equality tests."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if not k.endswith(volatile)}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    error = result.error
    return {
        "status": result.status,
        "message": result.message,
        "data": clean(result.data),
        "error": (error.type, error.code) if error is not None else None,
    }
