"""Forwards stdlib `logging` inside a plugin to the host's Log rpc.

`plugin.register` installs `HostLogHandler` on the root logger at level INFO, so a plugin just uses
`logging.getLogger(__name__).info("checked", extra={"host": h, "port": 443})`: the host receives the
level, the message, each `extra=` item as a typed attribute, the timestamp and the request id.
"""

from __future__ import annotations

import datetime
import logging
import sys
import traceback
from collections.abc import Mapping
from typing import Any

from reglet_abi.reglet.v1 import LogAttribute, LogLevel, LogRequest, guest
from reglet_sdk import context
from reglet_sdk.jsonvalue import JsonConversionError, to_json_value

DEFAULT_LEVEL = logging.INFO

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
_INT64 = (-(2**63), 2**63 - 1)
_CLASHING_EXTRA = "reglet_clashing_extra"
"""Where a record keeps `extra=` items whose keys are LogRecord attributes (`filename`, `module`, ...)."""
_stdlib_make_record = logging.Logger.makeRecord


def level_to_proto(levelno: int) -> LogLevel:
    """The ABI level for a stdlib level number."""
    if levelno >= logging.CRITICAL:
        return LogLevel.CRITICAL
    if levelno >= logging.ERROR:
        return LogLevel.ERROR
    if levelno >= logging.WARNING:
        return LogLevel.WARNING
    if levelno >= logging.INFO:
        return LogLevel.INFO
    return LogLevel.DEBUG


def attribute(key: str, value: object) -> LogAttribute:
    """A typed attribute for one `extra=` item (anything unusual is sent as JSON, else as its repr)."""
    if isinstance(value, bool):
        return LogAttribute(key=key, bool_value=value)
    if isinstance(value, int):
        if _INT64[0] <= value <= _INT64[1]:
            return LogAttribute(key=key, int_value=value)
        if 0 <= value < 2**64:
            return LogAttribute(key=key, uint_value=value)
    if isinstance(value, float):
        return LogAttribute(key=key, float_value=value)
    if isinstance(value, str):
        return LogAttribute(key=key, string_value=value)
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
        return LogAttribute(key=key, time_value=aware.astimezone(datetime.UTC))
    if isinstance(value, datetime.timedelta):
        return LogAttribute(key=key, duration_ms_value=int(value.total_seconds() * 1000))
    if isinstance(value, BaseException):
        return LogAttribute(key=key, error_value=f"{type(value).__name__}: {value}")
    try:
        return LogAttribute(key=key, json_value=to_json_value(value, key))
    except JsonConversionError:
        return LogAttribute(key=key, string_value=repr(value))


def _make_record(
    self: logging.Logger,
    name: str,
    level: int,
    fn: str,
    lno: int,
    msg: object,
    args: Any,
    exc_info: Any,
    func: str | None = None,
    extra: Mapping[str, object] | None = None,
    sinfo: str | None = None,
) -> logging.LogRecord:
    """Logger.makeRecord that keeps clashing `extra=` keys aside instead of raising KeyError.

    The standard library refuses `extra={"filename": ...}` (a LogRecord attribute) with a KeyError,
    which would turn a check into a panic; such items are kept under _CLASHING_EXTRA and still travel
    to the host as attributes named as given.
    """
    safe = {k: v for k, v in (extra or {}).items() if k not in _STANDARD_ATTRIBUTES}
    clashing = {k: v for k, v in (extra or {}).items() if k in _STANDARD_ATTRIBUTES}
    record = _stdlib_make_record(self, name, level, fn, lno, msg, args, exc_info, func, safe or None, sinfo)
    if clashing:
        record.__dict__[_CLASHING_EXTRA] = clashing
    return record


def _extra_items(record: logging.LogRecord) -> list[tuple[str, object]]:
    """The record's `extra=` items, clashing keys included, in the order given."""
    own = [(k, v) for k, v in record.__dict__.items() if k not in _STANDARD_ATTRIBUTES and k != _CLASHING_EXTRA]
    return own + list(record.__dict__.get(_CLASHING_EXTRA, {}).items())


def to_request(record: logging.LogRecord) -> LogRequest:
    """The Log rpc request for a record, in the context of the call being served."""
    attributes = [attribute(k, v) for k, v in _extra_items(record)]
    if record.exc_info and record.exc_info[1] is not None:
        exc_type, exc, tb = record.exc_info
        attributes.append(
            LogAttribute(key="exception", error_value="".join(traceback.format_exception(exc_type, exc, tb)))
        )
    return LogRequest(
        context=context.current().to_proto(),
        level=level_to_proto(record.levelno),
        message=record.getMessage(),
        attributes=attributes,
        timestamp=datetime.datetime.fromtimestamp(record.created, datetime.UTC),
        logger=record.name,
    )


class HostLogHandler(logging.Handler):
    """Sends each record to the host; never raises into the plugin."""

    def emit(self, record: logging.LogRecord) -> None:
        """Forwards one record (falling back to stderr when the host cannot be reached)."""
        try:
            response = guest.host.log(to_request(record))
        except Exception:  # noqa: BLE001 - logging must never break the plugin
            print(f"{record.levelname} {record.name}: {record.getMessage()}", file=sys.stderr)
            return
        if response.error is not None:
            print(f"log record refused by the host: {response.error.message}", file=sys.stderr)


def install(level: int = DEFAULT_LEVEL) -> None:
    """Puts one HostLogHandler on the root logger (idempotent) and sets the root level.

    Also lets `extra=` keys that clash with LogRecord attributes through (see `_make_record`): inside
    a component nothing else shares the process; natively, such a call no longer raises KeyError.
    """
    logging.Logger.makeRecord = _make_record  # type: ignore[method-assign]  # see the docstring
    root = logging.getLogger()
    if not any(isinstance(h, HostLogHandler) for h in root.handlers):
        root.addHandler(HostLogHandler())
    root.setLevel(level)
