"""The host functions the reference host gives every plugin, bound to one call.

Until capability grants exist every function that acts on the outside world answers with a
`capability` error naming the rule it would need, and does nothing. Log records are forwarded to the
host's logging with the plugin's name.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import betterproto2

from reglet_abi.reglet.v1 import (
    DnsRequest,
    DnsResponse,
    ErrorDetail,
    ExecRequest,
    ExecResponse,
    HttpRequest,
    HttpResponse,
    LogAttribute,
    LogLevel,
    LogRequest,
    LogResponse,
    SmtpRequest,
    SmtpResponse,
    TcpRequest,
    TcpResponse,
)
from reglet_sdk.jsonvalue import from_json_value

MAX_LOG_MESSAGE = 64 * 1024


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


def required_rule(request: object) -> str:
    """The capability rule a request needs, in `--grant` syntax."""
    if isinstance(request, ExecRequest):
        return f"exec:{request.command}"
    if isinstance(request, DnsRequest):
        return f"network:{request.hostname}:53"
    if isinstance(request, HttpRequest):
        parts = urlsplit(request.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"network:{_host(parts.hostname or '')}:{port}"
    if isinstance(request, (TcpRequest, SmtpRequest)):
        return f"network:{_host(request.host)}:{request.port}"
    raise TypeError(f"no capability rule for {type(request).__name__}")


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def denial(request: object) -> ErrorDetail:
    """The error for a request the plugin was not granted; nothing was done."""
    rule = required_rule(request)
    return ErrorDetail(
        type="capability",
        code=rule,
        message=f"the plugin was not granted {rule}, so nothing was done. If the plugin should have it, "
        f"run it with `--grant {rule}` (after reviewing why it needs it).",
        details={"rule": rule},
    )


class CallHandlers:
    """Host handlers for one plugin call (generated HostHandlers protocol)."""

    def __init__(self, plugin_name: str, request_id: str, on_log: Callable[[PluginLogRecord], None]) -> None:
        self.plugin_name = plugin_name
        self.request_id = request_id
        self.on_log = on_log

    def exec_command(self, request: ExecRequest, /) -> ExecResponse:
        """Denied: no capabilities are granted yet."""
        return ExecResponse(error=denial(request), exit_code=-1)

    def dns_lookup(self, request: DnsRequest, /) -> DnsResponse:
        """Denied: no capabilities are granted yet."""
        return DnsResponse(error=denial(request))

    def http_request(self, request: HttpRequest, /) -> HttpResponse:
        """Denied: no capabilities are granted yet."""
        return HttpResponse(error=denial(request))

    def tcp_connect(self, request: TcpRequest, /) -> TcpResponse:
        """Denied: no capabilities are granted yet."""
        return TcpResponse(error=denial(request))

    def smtp_connect(self, request: SmtpRequest, /) -> SmtpResponse:
        """Denied: no capabilities are granted yet."""
        return SmtpResponse(error=denial(request))

    def log(self, request: LogRequest, /) -> LogResponse:
        """Forwards a record to `on_log`."""
        message = request.message
        if len(message) > MAX_LOG_MESSAGE:
            message = message[:MAX_LOG_MESSAGE] + f"... [{len(request.message) - MAX_LOG_MESSAGE} characters cut]"
        self.on_log(
            PluginLogRecord(
                plugin=self.plugin_name,
                level=_LEVELS.get(request.level, "INFO"),
                message=message,
                attributes={a.key: attribute_value(a) for a in request.attributes},
                timestamp=request.timestamp,
                logger=request.logger,
                request_id=(request.context.request_id if request.context else "") or self.request_id,
            )
        )
        return LogResponse()
