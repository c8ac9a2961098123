"""The ExecCommand host function: run a granted program for the plugin, never through a shell.

The request is checked before anything starts: the program must resolve to a path an exec rule
grants, a working directory must be under an fs read grant, and the environment is hardened (see
`harden_environment`). The process itself is run by host.process (capped output, group kill).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage, ExecRequest, ExecResponse
from reglet_sdk.host.config import ExecLimits
from reglet_sdk.host.deadlines import effective_timeout
from reglet_sdk.host.policy import Policy, denial, normalise_path, resolve_command
from reglet_sdk.host.process import run_command
from reglet_sdk.host.rules import Rule

logger = logging.getLogger("reglet.host")

ALWAYS_DROPPED_PREFIXES = ("LD_", "DYLD_")
ALWAYS_DROPPED = frozenset({"IFS", "LOCPATH", "BASH_ENV", "ENV"})
GATED = frozenset(
    {
        *("PATH", "HOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "NODE_OPTIONS", "NODE_PATH"),
        *("RUBYLIB", "PERL5LIB", "LUA_PATH", "LUA_CPATH", "CDPATH", "PS4"),
    }
)
"""Variables that change which code runs: passed to a command only when an env rule names them."""


class EnvironmentEntryError(ValueError):
    """A request's environment entry is not KEY=VALUE."""


def harden_environment(entries: Sequence[str], allowed: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """The environment a command gets, and the names dropped (with why), from KEY=VALUE entries.

    LD_*, DYLD_*, IFS, LOCPATH, BASH_ENV and ENV are always dropped; GATED names pass only when in
    `allowed` (the names an env rule grants).
    """
    granted = set(allowed)
    env: dict[str, str] = {}
    dropped: list[str] = []
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or not name or "\0" in entry:
            raise EnvironmentEntryError(f"environment entry {entry[:60]!r} is not KEY=VALUE")
        if name.startswith(ALWAYS_DROPPED_PREFIXES) or name in ALWAYS_DROPPED:
            dropped.append(f"{name} (never passed to commands)")
        elif name in GATED and name not in granted:
            dropped.append(f"{name} (needs env:{name})")
        else:
            env[name] = value
    return env, dropped


def _failed(kind: str, code: str, message: str, *, timeout: bool = False, not_found: bool = False) -> ExecResponse:
    return ExecResponse(
        error=ErrorDetailMessage(type=kind, code=code, message=message, is_timeout=timeout, is_not_found=not_found),
        exit_code=-1,
    )


def _refusal(policy: Policy, request: ExecRequest) -> ExecResponse | None:
    """Why the request may not run (an answer to send back), or None when it may."""
    if not request.command:
        return _failed("validation", "INVALID_REQUEST", "ExecRequest.command is empty; name the program to run.")
    if request.context is not None and request.context.canceled:
        return _failed("timeout", "CANCELED", "the plugin gave up before the command started", timeout=True)
    if policy.exec(request.command) is None:
        return ExecResponse(error=denial(Rule.exec(resolve_command(request.command) or request.command)), exit_code=-1)
    if request.dir:
        if policy.fs(request.dir, write=False) is None:
            return ExecResponse(error=denial(Rule.fs(normalise_path(request.dir))), exit_code=-1)
        if not os.path.isdir(normalise_path(request.dir)):
            return _failed(
                "exec",
                "EXECUTION_FAILED",
                f"the working directory {normalise_path(request.dir)} does not exist",
                not_found=True,
            )
    return None


def exec_command(
    policy: Policy, limits: ExecLimits, request: ExecRequest, *, plugin_name: str, deadline: float | None = None
) -> ExecResponse:
    """Runs a granted command (see host.process) within the call's `deadline`; anything else is refused."""
    refused = _refusal(policy, request)
    if refused is not None:
        return refused
    resolved = resolve_command(request.command)
    assert resolved is not None  # a command that does not resolve matches no rule
    env_names = [name for name in GATED if policy.env(name) is not None]
    try:
        environment, dropped = harden_environment(request.env, env_names)
    except EnvironmentEntryError as exc:
        return _failed("validation", "INVALID_REQUEST", str(exc))
    if dropped:
        logger.warning("%s: not passed to %s: %s", plugin_name, request.command, ", ".join(dropped))
    timeout = effective_timeout(
        request.timeout_ms, limits.default_timeout, request.context, deadline=deadline, cap=limits.max_timeout
    )
    with contextlib.ExitStack() as stack:
        workdir = (
            normalise_path(request.dir)
            if request.dir
            else stack.enter_context(tempfile.TemporaryDirectory(prefix="reglet-exec-"))
        )
        try:
            outcome = run_command(
                [resolved, *request.args], cwd=workdir, env=environment, timeout=timeout, max_output=limits.max_output
            )
        except OSError as exc:
            return _failed("exec", "EXECUTION_FAILED", f"{resolved} could not be started: {exc.strerror or exc}")
    return ExecResponse(
        stdout=outcome.stdout,
        stderr=outcome.stderr,
        exit_code=outcome.exit_code,
        duration_ms=outcome.duration_ms,
        is_timeout=outcome.is_timeout,
        stdout_truncated=outcome.stdout_truncated,
        stderr_truncated=outcome.stderr_truncated,
    )
