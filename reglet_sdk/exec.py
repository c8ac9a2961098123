"""Run commands on the host, as in the Go SDK's exec package.

    from reglet_sdk import exec

    response = exec.run(exec.CommandRequest(command="systemctl", args=["is-active", "nginx"]))
    active = response.exit_code == 0

The host runs the command only when the plugin was granted it (`exec:/usr/bin/systemctl`), never
through a shell, with only the environment the request gives (an allow-list: LANG, LANGUAGE, LC_*
and TZ, plus the variables an env grant names; any other variable is refused with a HostCallError
and nothing runs), stdin closed, stdout and stderr capped at 10 MiB each, and a timeout (the
smallest of the request's, the call's remaining time and the host's maximum). Everything the
command starts, even in new sessions, is killed when it exits or times out. A non-zero exit is a
normal response; a command that could not be run raises ExecError (CapabilityError when not granted).

For unit tests, pass any object with the CommandRunner protocol as `runner=`: no WebAssembly needed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from typing import Protocol

from reglet_abi.reglet.v1 import ExecRequest, guest
from reglet_sdk import context
from reglet_sdk.context import Context
from reglet_sdk.errors import raise_for_error


@dataclass(frozen=True)
class CommandRequest:
    """A command to run: a program and its arguments (no shell)."""

    command: str
    """The program: an absolute path, or a bare name the host looks up on its own search path."""
    args: list[str] = field(default_factory=list)
    dir: str = ""
    """Working directory (must be readable under the fs grants); empty: a fresh empty directory."""
    env: list[str] = field(default_factory=list)
    """The command's whole environment, as KEY=VALUE entries."""
    timeout: float = 0
    """Seconds; 0 uses the host default (30 s)."""


@dataclass(frozen=True)
class CommandResponse:
    """How the command ran."""

    stdout: str
    stderr: str
    exit_code: int
    """The exit status; -1 when killed by the timeout, -N when killed by signal N."""
    duration_ms: int
    is_timeout: bool = False
    stdout_bytes: bytes = b""
    stderr_bytes: bytes = b""
    stdout_truncated: bool = False
    stderr_truncated: bool = False


class CommandRunner(Protocol):
    """Anything that can run a CommandRequest (the host, or a fake in unit tests)."""

    def run(self, ctx: Context, request: CommandRequest) -> CommandResponse:
        """Runs the request; raises a RegletError when it cannot be run."""
        ...


class HostCommandRunner:
    """Runs commands through the host's ExecCommand function (the default runner)."""

    def run(self, ctx: Context, request: CommandRequest) -> CommandResponse:
        """Sends the request with the call's remaining time; raises on a host error."""
        timeout = datetime.timedelta(seconds=request.timeout) if request.timeout > 0 else None
        response = guest.host.exec_command(
            ExecRequest(
                context=ctx.to_proto(timeout),
                command=request.command,
                args=list(request.args),
                dir=request.dir,
                env=list(request.env),
                timeout_ms=int(request.timeout * 1000) if request.timeout > 0 else 0,
            )
        )
        raise_for_error(response.error)
        return CommandResponse(
            stdout=response.stdout.decode("utf-8", "replace"),
            stderr=response.stderr.decode("utf-8", "replace"),
            exit_code=response.exit_code,
            duration_ms=response.duration_ms,
            is_timeout=response.is_timeout,
            stdout_bytes=response.stdout,
            stderr_bytes=response.stderr,
            stdout_truncated=response.stdout_truncated,
            stderr_truncated=response.stderr_truncated,
        )


def run(
    request: CommandRequest,
    *,
    workdir: str | None = None,
    env: list[str] | None = None,
    timeout: float | None = None,
    runner: CommandRunner | None = None,
    ctx: Context | None = None,
) -> CommandResponse:
    """Runs `request` (options override its fields) with `runner`, by default the host."""
    if not isinstance(request, CommandRequest):
        raise TypeError(f"exec.run takes an exec.CommandRequest, not {type(request).__name__}")
    effective = replace(
        request,
        dir=request.dir if workdir is None else workdir,
        env=request.env if env is None else list(env),
        timeout=request.timeout if timeout is None else timeout,
    )
    return (runner or HostCommandRunner()).run(ctx or context.current(), effective)
