"""Plugin registration: the `Plugin` base class and `register`.

A plugin module defines a `Plugin` subclass and calls `register(MyPlugin())` once at import time. The
build imports the module while it pre-initialises the component, so a missing or second `register`
is a build error. Registration serves an adapter on the generated `Plugin` export that turns the
author's Python objects into ABI messages and every exception or wrong return into an error.
"""

from __future__ import annotations

import abc
import datetime
import json
import traceback
from typing import Any

from reglet_abi.reglet.v1 import (
    CheckRequest,
    CheckResponse,
    DescribeRequest,
    DescribeResponse,
    ErrorDetail as ErrorDetailMessage,
    Metadata as MetadataMessage,
    SchemaRequest,
    SchemaResponse,
    guest,
)
from reglet_abi.reglet.v1.services import WIT_PACKAGE
from reglet_sdk import __version__, log, manifest
from reglet_sdk.context import Context, serving
from reglet_sdk.errors import ErrorDetail, RegletError
from reglet_sdk.jsonvalue import JsonConversionError, from_json_object
from reglet_sdk.metadata import Metadata
from reglet_sdk.results import Result, RunMetadata

ABI_VERSION = WIT_PACKAGE.partition("@")[2]


class Plugin(abc.ABC):
    """Base class of every plugin: implement `describe`, `schema` and `check`."""

    @abc.abstractmethod
    def describe(self, ctx: Context) -> Metadata:
        """Name, version and description (must agree with plugin.yaml)."""

    @abc.abstractmethod
    def schema(self, ctx: Context) -> bytes:
        """JSON Schema of the config, usually `schema.generate_schema(MyConfig)`."""

    @abc.abstractmethod
    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Runs the check with a config (a plain dict of JSON values) and returns its Result.

        The parameter is `cfg`, not `config`, so a copied signature does not hide the `config` module
        (`config.load(MyConfig, cfg)`).
        """


class RegistrationError(RuntimeError):
    """`register` was misused (called twice, or with something that is not a Plugin)."""


def register(plugin: Plugin) -> None:
    """Makes `plugin` the one this component serves. Call it exactly once, at import time."""
    if not isinstance(plugin, Plugin):
        raise RegistrationError(
            f"register() takes an instance of a reglet_sdk.plugin.Plugin subclass, not {type(plugin).__name__}."
        )
    current = guest.plugin_slot.current
    if current is not None:
        existing = current.plugin if isinstance(current, PluginAdapter) else current
        raise RegistrationError(
            f"register() was called a second time (with {plugin!r}) although {existing!r} is already "
            "registered. A component serves exactly one plugin: call register() once, at the end of plugin.py."
        )
    guest.plugin_slot.serve(PluginAdapter(plugin))
    log.install()


def registered() -> Plugin | None:
    """The registered plugin, or None."""
    current = guest.plugin_slot.current
    return current.plugin if isinstance(current, PluginAdapter) else None


def unregister() -> None:
    """Forgets the registered plugin (for tests that register several in one process)."""
    guest.plugin_slot.clear()


def panic_detail(exc: BaseException) -> ErrorDetail:
    """An exception that escaped the author's code, with the traceback from the author's frame on."""
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None  # skip the adapter's frame
    code, kind = ("MEMORY_LIMIT", "memory") if isinstance(exc, MemoryError) else ("PANIC", "panic")
    return ErrorDetail(
        type=kind,
        message=f"{type(exc).__name__}: {exc}",
        code=code,
        stack="".join(traceback.format_exception(type(exc), exc, tb)),
    )


def bad_return(function: str, expected: str, value: object) -> ErrorDetail:
    """The author's function returned something of the wrong type."""
    shown = repr(value)
    shown = shown if len(shown) <= 200 else shown[:200] + "..."
    return ErrorDetail(
        type="internal",
        message=f"{function}() returned {type(value).__name__} ({shown}), not {expected}",
        code="BAD_RETURN",
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _schema_bytes(value: object) -> bytes | ErrorDetail:
    """Checks what schema() returned: JSON object text as bytes (or str)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes):
        return bad_return("schema", "bytes (a JSON Schema document)", value)
    try:
        document = json.loads(value)
    except ValueError as exc:
        return ErrorDetail("internal", f"schema() returned bytes that are not JSON ({exc})", code="BAD_SCHEMA")
    if not isinstance(document, dict):
        return ErrorDetail("internal", "schema() returned JSON that is not an object", code="BAD_SCHEMA")
    return value


class PluginAdapter:
    """Serves the generated Plugin export (guest.PluginService) with an author's Plugin."""

    def __init__(self, plugin: Plugin) -> None:
        self.plugin = plugin

    def describe(self, request: DescribeRequest, /) -> DescribeResponse:
        """Answers Describe: the author's metadata and schema, capabilities from plugin.yaml."""
        ctx = Context.from_proto(request.context)
        with serving(ctx):
            try:
                metadata = self.plugin.describe(ctx)
            except Exception as exc:  # noqa: BLE001 - the author's exception becomes an error answer
                return DescribeResponse(error=panic_detail(exc).to_proto())
            if not isinstance(metadata, Metadata):
                return DescribeResponse(error=bad_return("describe", "reglet_sdk.Metadata", metadata).to_proto())
            try:
                schema = _schema_bytes(self.plugin.schema(ctx))
            except Exception as exc:  # noqa: BLE001
                return DescribeResponse(error=panic_detail(exc).to_proto())
        if isinstance(schema, ErrorDetail):
            return DescribeResponse(error=schema.to_proto())
        built = manifest.embedded()
        if built is not None and (built.name, built.version) != (metadata.name, metadata.version):
            return DescribeResponse(
                error=ErrorDetailMessage(
                    type="internal",
                    code="MANIFEST_MISMATCH",
                    message=f"describe() says {metadata.name} {metadata.version} but plugin.yaml says "
                    f"{built.name} {built.version}; make them agree and rebuild.",
                )
            )
        return DescribeResponse(
            metadata=MetadataMessage(
                name=metadata.name,
                version=metadata.version,
                description=metadata.description or (built.description if built else ""),
                sdk_version=__version__,
                min_host_version=built.min_host_version if built else manifest.MIN_HOST_VERSION,
                abi_version=ABI_VERSION,
                capabilities=built.capabilities if built else None,
                config_schema=schema,
                examples=list(built.examples) if built else [],
            )
        )

    def schema(self, request: SchemaRequest, /) -> SchemaResponse:
        """Answers Schema with the author's config schema."""
        ctx = Context.from_proto(request.context)
        with serving(ctx):
            try:
                schema = _schema_bytes(self.plugin.schema(ctx))
            except Exception as exc:  # noqa: BLE001
                return SchemaResponse(error=panic_detail(exc).to_proto())
        if isinstance(schema, ErrorDetail):
            return SchemaResponse(error=schema.to_proto())
        return SchemaResponse(schema=schema)

    def check(self, request: CheckRequest, /) -> CheckResponse:
        """Answers Check; every exception or wrong return becomes a Result with status error."""
        start = _now()
        ctx = Context.from_proto(request.context, now=start)
        config = from_json_object(request.config)
        with serving(ctx):
            try:
                result = self.plugin.check(ctx, config)
            except RegletError as exc:  # an SDK error (bad config, denied capability) keeps its detail
                result = Result.from_error(exc.detail)
            except Exception as exc:  # noqa: BLE001
                result = Result.from_error(panic_detail(exc))
        if not isinstance(result, Result):
            result = Result.from_error(bad_return("check", "reglet_sdk.Result", result))
        end = _now()
        built = manifest.embedded()
        result.timestamp = end
        result.metadata = RunMetadata(
            start_time=start,
            end_time=end,
            duration_ms=int((end - start).total_seconds() * 1000),
            sdk_version=__version__,
            plugin_name=built.name if built else "",
            plugin_version=built.version if built else "",
            request_id=ctx.request_id,
        )
        try:
            message = result.to_proto()
        except JsonConversionError as exc:
            fallback = Result.from_error(
                ErrorDetail("internal", f"check() returned data that cannot cross the boundary: {exc}", code="BAD_DATA")
            )
            fallback.timestamp, fallback.metadata = result.timestamp, result.metadata
            message = fallback.to_proto()
        return CheckResponse(result=message)
