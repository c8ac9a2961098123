"""The ExecCommand host function: run a granted program for the plugin, never through a shell.

The request is checked before anything starts: the program must resolve to a path an exec rule
grants, a working directory must be under an fs read grant, and every environment variable must be
allowed (see `harden_environment`: a safe set plus what env rules grant; anything else is refused).
The process itself is run by host.process (capped output, the whole process tree contained).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage, ExecRequest, ExecResponse
from reglet_sdk.host.config import ExecLimits
from reglet_sdk.host.deadlines import effective_timeout
from reglet_sdk.host.policy import Policy, denial, lexical_path, normalise_path, resolve_command
from reglet_sdk.host.process import SupervisorLost, run_command
from reglet_sdk.host.rules import Rule

logger = logging.getLogger("reglet.host")

NEVER_PASSED_PREFIXES = ("LD_", "DYLD_", "BASH_FUNC_")
NEVER_PASSED = frozenset({"IFS", "LOCPATH", "BASH_ENV", "ENV"})
"""Variables that make the loader or the shell run other code: refused even when an env rule matches."""

_LOCALE_VALUE = re.compile(r"[A-Za-z0-9_.@:+-]*")
"""A locale name or a LANGUAGE list (`en_US.UTF-8`, `sr_RS@latin`, `fr:en`): no `/`, so never a path."""
_ZONE_VALUE = re.compile(r"(?!:?/)(?!.*\.\.)[A-Za-z0-9_.+,<>:/-]*")
"""A zone name under the system's zoneinfo (`Europe/Paris`) or a POSIX rule (`CET-1CEST,M3.5.0/2`):
never an absolute path or `..`, so never a file of the plugin's choosing."""


def _safe_without_grant(name: str, value: str) -> bool:
    """Whether a variable may reach any command without a grant.

    LANG, LANGUAGE and LC_* choose the language and formats of messages, TZ how times are shown;
    commands print differently, they do not run other code. Their values must be names, not paths
    (glibc would read a locale or zone file named by them).
    """
    if name in ("LANG", "LANGUAGE") or (name.startswith("LC_") and name[3:].isalpha()):
        return _LOCALE_VALUE.fullmatch(value) is not None
    if name == "TZ":
        return _ZONE_VALUE.fullmatch(value) is not None
    return False


SAFE_SET = "LANG, LANGUAGE, LC_* (locale names) and TZ (a zone name or POSIX rule)"


class EnvironmentEntryError(ValueError):
    """A request's environment entry is not KEY=VALUE."""


class EnvironmentRefused(ValueError):
    """A request's environment names variables the command may not get (nothing runs)."""


def _shown(name: str) -> str:
    return name if name.isidentifier() and name.isascii() else repr(name[:60])


def harden_environment(entries: Sequence[str], granted: Callable[[str], bool]) -> dict[str, str]:
    """The environment a command gets from KEY=VALUE entries: an allow-list.

    A variable passes when `granted(name)` (an env rule covers it) or it is in the safe set with a
    plain value; LD_*, DYLD_*, BASH_FUNC_*, IFS, LOCPATH, BASH_ENV and ENV never pass. Anything else
    raises EnvironmentRefused naming every refused variable and the rule that would pass it.
    """
    env: dict[str, str] = {}
    needs_grant: list[str] = []
    never: list[str] = []
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or not name or "\0" in entry:
            raise EnvironmentEntryError(f"environment entry {entry[:60]!r} is not KEY=VALUE")
        if name.startswith(NEVER_PASSED_PREFIXES) or name in NEVER_PASSED:
            never.append(_shown(name))
        elif granted(name) or _safe_without_grant(name, value):
            env[name] = value
        else:
            needs_grant.append(_shown(name))
    problems = []
    if needs_grant:
        shown = needs_grant[:8] + ([f"{len(needs_grant) - 8} more"] if len(needs_grant) > 8 else [])
        rules = ", ".join(f"env:{name}" for name in needs_grant[:8])
        problems.append(
            f"{', '.join(shown)} may not be passed to commands: without a grant a command gets only "
            f"{SAFE_SET}; grant {rules} to allow {'it' if len(needs_grant) == 1 else 'them'}"
        )
    if never:
        one = len(never) == 1
        problems.append(
            f"{', '.join(never[:8])} never {'reaches' if one else 'reach'} a command (loader and shell variables"
            f" run other code); no grant allows {'it' if one else 'them'}"
        )
    if problems:
        raise EnvironmentRefused("; ".join(problems) + ". Nothing was run.")
    return env


def _failed(kind: str, code: str, message: str, *, timeout: bool = False, not_found: bool = False) -> ExecResponse:
    return ExecResponse(
        error=ErrorDetailMessage(type=kind, code=code, message=message, is_timeout=timeout, is_not_found=not_found),
        exit_code=-1,
    )


def _refusal(policy: Policy, request: ExecRequest) -> ExecResponse | None:
    """Why the request may not run (an answer to send back), or None when it may."""
    if not request.command:
        return _failed("validation", "INVALID_REQUEST", "ExecRequest.command is empty; name the program to run.")
    # Decided on the resolved command and directory; a denial names only what the plugin asked for.
    if policy.exec(request.command) is None:
        return ExecResponse(error=denial(Rule.exec(lexical_path(request.command))), exit_code=-1)
    if any("\0" in arg for arg in request.args):
        return _failed("validation", "INVALID_REQUEST", "an argument holds a NUL byte, which no program can receive.")
    if request.dir:
        if policy.fs(request.dir, write=False) is None:
            return ExecResponse(error=denial(Rule.fs(lexical_path(request.dir))), exit_code=-1)
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
    try:
        environment = harden_environment(request.env, lambda name: policy.env(name) is not None)
    except EnvironmentEntryError as exc:
        return _failed("validation", "INVALID_REQUEST", str(exc))
    except EnvironmentRefused as exc:
        logger.warning("%s: refused to run %s: %s", plugin_name, resolved, exc)
        return _failed("validation", "ENV_NOT_ALLOWED", f"the command's environment was refused: {exc}")
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
        except SupervisorLost as exc:
            return _failed("exec", "EXECUTION_FAILED", f"{resolved}: {exc}")
    return ExecResponse(
        stdout=outcome.stdout,
        stderr=outcome.stderr,
        exit_code=outcome.exit_code,
        duration_ms=outcome.duration_ms,
        is_timeout=outcome.is_timeout,
        stdout_truncated=outcome.stdout_truncated,
        stderr_truncated=outcome.stderr_truncated,
    )
