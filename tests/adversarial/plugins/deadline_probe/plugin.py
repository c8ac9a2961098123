"""An adversarial probe: blocks in WASI, or asks host functions for more time than its call has.

Config `mode` selects the attack: `sleep` (time.sleep, a blocking WASI poll), `http` (a request with a
long `timeout_ms`), `exec` (a long command with a long `timeout_ms`); `context` selects what CallContext
the host call carries: `none`, `forged` (an hour of budget, a deadline far in the future) or `honest`.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any, Literal

from reglet_abi.reglet.v1 import CallContext, ExecRequest, HttpRequest, guest
from reglet_sdk import Metadata, Result, config, plugin, schema
from reglet_sdk.context import Context


@dataclass
class Settings:
    mode: Literal["ok", "sleep", "http", "exec"] = "ok"
    seconds: float = 15.0
    url: str = ""
    command: str = "/bin/sleep"
    timeout_ms: int = 35_000
    context: Literal["none", "forged", "honest"] = "none"


def _context(kind: str, ctx: Context) -> CallContext | None:
    if kind == "forged":
        far = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)
        return CallContext(deadline=far, timeout_ms=3_600_000, request_id="forged")
    if kind == "honest":
        return ctx.to_proto()
    return None


class DeadlineProbe(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="deadline-probe", version="0.1.0")

    def schema(self, ctx: Context) -> bytes:
        return schema.generate_schema(Settings)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        settings = config.load(Settings, cfg)
        started = time.monotonic()
        if settings.mode == "sleep":
            print("sleeping", flush=True)  # the host logs it: a test knows the plugin is now blocked
            time.sleep(settings.seconds)
            return Result.success("slept", {"seconds": time.monotonic() - started})
        if settings.mode == "http":
            request = HttpRequest(
                url=settings.url, timeout_ms=settings.timeout_ms, context=_context(settings.context, ctx)
            )
            answer = guest.host.http_request(request)
            error = answer.error
            timed_out = error is not None and error.is_timeout
            return Result.success("asked", {"code": error.code if error else "", "timed_out": timed_out})
        if settings.mode == "exec":
            exec_request = ExecRequest(
                command=settings.command,
                args=[str(int(settings.seconds))],
                timeout_ms=settings.timeout_ms,
                context=_context(settings.context, ctx),
            )
            response = guest.host.exec_command(exec_request)
            failure = response.error
            timed_out = response.is_timeout or (failure is not None and failure.is_timeout)
            return Result.success("ran", {"code": failure.code if failure else "", "timed_out": timed_out})
        return Result.success("fine", {})


plugin.register(DeadlineProbe())
