"""The host functions the reference host gives every plugin, bound to one call and its grants.

The network functions live in host.net (one module each); this module binds them, exec and fs to a
call.

Every function that acts on the outside world first asks the plugin's Policy; a denial is an
ErrorDetail of type `capability` whose code is the rule that would be needed (in `--grant` syntax),
and nothing is run or connected. Log records are forwarded to the host with the plugin's name.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import ssl
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import betterproto2

from reglet_abi.reglet.v1 import (
    DnsRequest,
    DnsResponse,
    ErrorDetail,
    ExecRequest,
    ExecResponse,
    FsStatRequest,
    FsStatResponse,
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
from reglet_sdk.host.deadlines import effective_timeout
from reglet_sdk.host.net import dns, http, smtp, tcp, tls
from reglet_sdk.host.policy import Policy, normalise_path, resolve_command
from reglet_sdk.host.process import GATED, EnvironmentEntryError, harden_environment, run_command
from reglet_sdk.jsonvalue import from_json_value

logger = logging.getLogger("reglet.host")

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
    if isinstance(request, FsStatRequest):
        return f"fs:read:{request.path}"
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


def denial(request: object, rule: str | None = None) -> ErrorDetail:
    """The error for a request the plugin was not granted (`rule` needed); nothing was done."""
    rule = rule or required_rule(request)
    return ErrorDetail(
        type="capability",
        code=rule,
        message=f"the plugin was not granted {rule}, so nothing was done. If the plugin should have it, "
        f"run it with `--grant {rule}` (after reviewing why it needs it).",
        details={"rule": rule},
    )


@dataclass(frozen=True)
class ExecLimits:
    """Host-side limits of the exec host function."""

    default_timeout: float = 30.0
    """Used when a request names no timeout (seconds)."""
    max_timeout: float = 30.0
    """No command runs longer, whatever the request asks (seconds)."""
    max_output: int = 10 << 20
    """Bytes kept of stdout and of stderr, each."""


def _invalid(message: str) -> ErrorDetail:
    return ErrorDetail(type="validation", code="INVALID_REQUEST", message=message)


@dataclass(frozen=True)
class NetworkSettings:
    """Host-side settings of the network functions."""

    ca_bundle: Path | None = None
    """Extra trusted CA certificates (PEM), on top of the system's (SSL_CERT_FILE is honoured)."""
    max_http_body: int = 10 << 20
    """Bytes of an HTTP response body kept; the rest is cut and `body_truncated` set."""
    max_redirects: int = 10
    """Most redirects followed, whatever a request asks."""

    def tls_context(self) -> ssl.SSLContext:
        """A verifying TLS 1.2+ client context."""
        return tls.client_context(self.ca_bundle)


class CallHandlers:
    """Host handlers for one plugin call (the generated HostHandlers protocol)."""

    def __init__(
        self,
        plugin_name: str,
        request_id: str,
        on_log: Callable[[PluginLogRecord], None],
        policy: Policy | None = None,
        exec_limits: ExecLimits | None = None,
        network: NetworkSettings | None = None,
    ) -> None:
        self.plugin_name = plugin_name
        self.request_id = request_id
        self.on_log = on_log
        self.policy = policy or Policy()
        self.exec_limits = exec_limits or ExecLimits()
        self.network = network or NetworkSettings()

    def exec_command(self, request: ExecRequest, /) -> ExecResponse:
        """Runs a granted command (see exec_runner); anything else is refused before it starts."""
        if not request.command:
            return ExecResponse(error=_invalid("ExecRequest.command is empty; name the program to run."), exit_code=-1)
        if request.context is not None and request.context.canceled:
            return ExecResponse(
                error=ErrorDetail(
                    type="timeout",
                    code="CANCELED",
                    message="the plugin gave up before the command started",
                    is_timeout=True,
                ),
                exit_code=-1,
            )
        resolved = resolve_command(request.command)
        if self.policy.exec(request.command) is None:
            return ExecResponse(error=denial(request, f"exec:{resolved or request.command}"), exit_code=-1)
        assert resolved is not None  # a command that does not resolve matches no rule
        env_names = [name for name in GATED if self.policy.env(name) is not None]
        try:
            environment, dropped = harden_environment(request.env, env_names)
        except EnvironmentEntryError as exc:
            return ExecResponse(error=_invalid(str(exc)), exit_code=-1)
        if dropped:
            logger.warning("%s: not passed to %s: %s", self.plugin_name, request.command, ", ".join(dropped))
        with contextlib.ExitStack() as stack:
            if request.dir:
                if self.policy.fs(request.dir, write=False) is None:
                    return ExecResponse(error=denial(request, f"fs:read:{normalise_path(request.dir)}"), exit_code=-1)
                workdir = normalise_path(request.dir)
                if not os.path.isdir(workdir):
                    return ExecResponse(
                        error=ErrorDetail(
                            type="exec",
                            code="EXECUTION_FAILED",
                            message=f"the working directory {workdir} does not exist",
                            is_not_found=True,
                        ),
                        exit_code=-1,
                    )
            else:
                workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="reglet-exec-"))
            timeout = effective_timeout(
                request.timeout_ms, self.exec_limits.default_timeout, request.context, cap=self.exec_limits.max_timeout
            )
            try:
                outcome = run_command(
                    [resolved, *request.args],
                    cwd=workdir,
                    env=environment,
                    timeout=timeout,
                    max_output=self.exec_limits.max_output,
                )
            except OSError as exc:
                return ExecResponse(
                    error=ErrorDetail(
                        type="exec",
                        code="EXECUTION_FAILED",
                        message=f"{resolved} could not be started: {exc.strerror or exc}",
                    ),
                    exit_code=-1,
                )
        return ExecResponse(
            stdout=outcome.stdout,
            stderr=outcome.stderr,
            exit_code=outcome.exit_code,
            duration_ms=outcome.duration_ms,
            is_timeout=outcome.is_timeout,
            stdout_truncated=outcome.stdout_truncated,
            stderr_truncated=outcome.stderr_truncated,
        )

    def fs_stat(self, request: FsStatRequest, /) -> FsStatResponse:
        """lstat/stat of a path under an fs read grant; a missing path is exists=false, not an error."""
        if not request.path:
            return FsStatResponse(error=_invalid("FsStatRequest.path is empty; name the path to examine."))
        follow = request.follow_symlinks
        checked = normalise_path(request.path, follow_symlinks=follow)
        if self.policy.fs(checked, write=False, follow_symlinks=follow) is None:
            return FsStatResponse(error=denial(request, f"fs:read:{checked}"))
        try:
            info = os.stat(checked) if follow else os.lstat(checked)
        except FileNotFoundError:
            return FsStatResponse(exists=False)
        except OSError as exc:
            return FsStatResponse(
                error=ErrorDetail(
                    type="internal", code="STAT_FAILED", message=f"{checked} cannot be examined: {exc.strerror}"
                )
            )
        is_symlink = stat.S_ISLNK(info.st_mode)
        return FsStatResponse(
            exists=True,
            is_dir=stat.S_ISDIR(info.st_mode),
            is_symlink=is_symlink,
            symlink_target=os.readlink(checked) if is_symlink else "",
            size=info.st_size,
            mode=info.st_mode,
            uid=info.st_uid,
            gid=info.st_gid,
            mod_time=datetime.datetime.fromtimestamp(info.st_mtime, datetime.UTC),
        )

    def dns_lookup(self, request: DnsRequest, /) -> DnsResponse:
        """Resolves a granted name (see host.net.dns)."""
        return dns.lookup(self.policy, request)

    def http_request(self, request: HttpRequest, /) -> HttpResponse:
        """Performs a granted HTTP(S) request (see host.net.http)."""
        return http.http_request(
            self.policy,
            request,
            self.network.tls_context(),
            max_body=self.network.max_http_body,
            max_redirects_cap=self.network.max_redirects,
        )

    def tcp_connect(self, request: TcpRequest, /) -> TcpResponse:
        """Opens a granted TCP (or TLS) connection (see host.net.tcp)."""
        return tcp.tcp_connect(self.policy, request, self.network.tls_context())

    def smtp_connect(self, request: SmtpRequest, /) -> SmtpResponse:
        """Greets a granted SMTP server (see host.net.smtp)."""
        return smtp.smtp_connect(self.policy, request, self.network.tls_context())

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
