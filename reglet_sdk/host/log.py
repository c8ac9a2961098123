"""The Log host function: a plugin's log record, forwarded to the host with the plugin's name."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import betterproto2

from reglet_abi.reglet.v1 import LogAttribute, LogLevel, LogRequest, LogResponse
from reglet_sdk.jsonvalue import from_json_value

MAX_LOG_MESSAGE = 64 * 1024
"""Characters of a log message kept; the rest is cut with a note saying how much."""


@dataclass(frozen=True)
class PluginLogRecord:
    """A log record a plugin sent to the host."""

    plugin: str
    level: str  # "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"
    message: str
    attributes: dict[str, Any] = field(default_factory=dict)
    timestamp: datetime.datetime | None = None
    logger: str = ""
    request_id: str = ""


_LEVELS = {
    LogLevel.DEBUG: "DEBUG",
    LogLevel.INFO: "INFO",
    LogLevel.WARNING: "WARNING",
    LogLevel.ERROR: "ERROR",
    LogLevel.CRITICAL: "CRITICAL",
}


def attribute_value(attribute: LogAttribute) -> Any:
    """The Python value of a typed log attribute."""
    kind, raw = betterproto2.which_one_of(attribute, "value")
    value: Any = raw
    if kind == "json_value":
        return from_json_value(value)
    if kind == "group_value":
        return {a.key: attribute_value(a) for a in value.attributes}
    if kind == "duration_ms_value":
        return datetime.timedelta(milliseconds=value)
    return value


def log(
    request: LogRequest, *, plugin_name: str, request_id: str, on_log: Callable[[PluginLogRecord], None]
) -> LogResponse:
    """Hands the record to `on_log`, its message capped at MAX_LOG_MESSAGE characters."""
    message = request.message
    if len(message) > MAX_LOG_MESSAGE:
        message = message[:MAX_LOG_MESSAGE] + f"... [{len(request.message) - MAX_LOG_MESSAGE} characters cut]"
    on_log(
        PluginLogRecord(
            plugin=plugin_name,
            level=_LEVELS.get(request.level, "INFO"),
            message=message,
            attributes={a.key: attribute_value(a) for a in request.attributes},
            timestamp=request.timestamp,
            logger=request.logger,
            request_id=(request.context.request_id if request.context else "") or request_id,
        )
    )
    return LogResponse()
