"""An adversarial probe: sends the ExecRequest its config describes straight to the generated host stub
(no SDK wrapper in between) and reports the host's whole answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reglet_abi.reglet.v1 import ExecRequest, guest
from reglet_sdk import Metadata, Result, config, plugin
from reglet_sdk.context import Context


@dataclass
class Request:
    command: str
    args: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    timeout_ms: int = 0
    dir: str = ""


class ExecProbe(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="exec-probe", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        request = config.load(Request, cfg)
        response = guest.host.exec_command(
            ExecRequest(
                command=request.command,
                args=request.args,
                env=request.env,
                timeout_ms=request.timeout_ms,
                dir=request.dir,
            )
        )
        error = response.error
        return Result.success(
            "answered",
            {
                "error": {"type": error.type, "code": error.code, "message": error.message} if error else None,
                "stdout": response.stdout.decode("utf-8", "replace"),
                "stderr": response.stderr.decode("utf-8", "replace"),
                "exit_code": response.exit_code,
                "is_timeout": response.is_timeout,
                "duration_ms": response.duration_ms,
            },
        )


plugin.register(ExecProbe())
