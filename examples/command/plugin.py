"""The built-in `command` plugin: run a command, report stdout, stderr and exit code.

Config (as in Reglet): `command` + `args`, or `run` (a shell line, run as `/bin/sh -c RUN`, so it needs
an explicit exec:/bin/sh grant), `dir`, `env` (KEY=VALUE entries), `timeout` (seconds). The check
succeeds iff the exit code is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reglet_sdk import ErrorDetail, Metadata, Result, config, exec, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.errors import RegletError

SHELL = "/bin/sh"


@dataclass
class CommandConfig:
    """Which command to run and how."""

    command: str = field(default="", metadata={"description": "Program to run (absolute path or bare name)."})
    args: list[str] = field(default_factory=list, metadata={"description": "Arguments, passed verbatim."})
    run: str = field(default="", metadata={"description": "A shell line instead of command+args (needs exec:/bin/sh)."})
    dir: str = field(default="", metadata={"description": "Working directory (needs an fs read grant)."})
    env: list[str] = field(default_factory=list, metadata={"description": "The command's environment, KEY=VALUE."})
    timeout: int = field(
        default=30, metadata={"description": "Seconds before the command is killed.", "schema": {"minimum": 1}}
    )


class Command(plugin.Plugin):
    """Runs one command per check."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="command", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of CommandConfig."""
        return schema.generate_schema(CommandConfig)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Runs the command; success iff it exits 0."""
        settings = config.load(CommandConfig, cfg)
        if bool(settings.command) == bool(settings.run):
            return Result.from_error(
                ErrorDetail("config", "give either `command` (with `args`) or `run`", code="command")
            )
        command, args = (SHELL, ["-c", settings.run]) if settings.run else (settings.command, settings.args)
        try:
            response = exec.run(
                exec.CommandRequest(command=command, args=args),
                workdir=settings.dir,
                env=settings.env,
                timeout=settings.timeout,
            )
        except RegletError as exc:
            return Result.from_error(exc.detail)
        data = {
            "stdout": response.stdout,
            "stderr": response.stderr,
            "exit_code": response.exit_code,
            "duration_ms": response.duration_ms,
            "is_timeout": response.is_timeout,
            "command": command,
            "args": args,
        }
        if response.exit_code == 0:
            return Result.success(f"{command} exited 0", data)
        reason = "timed out" if response.is_timeout else f"exited {response.exit_code}"
        return Result.failure(f"{command} {reason}", data)


plugin.register(Command())
