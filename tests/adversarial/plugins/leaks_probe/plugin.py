"""A hostile probe: forges terminal control text, asks the host what a denial reveals, recurses.

Its Describe answer is forged too (an adapter around the honest plugin, so the build's own check of
describe() still passes): the description, the examples and the requested rules carry escape
sequences, newlines and bidi overrides.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any, Literal

from reglet_abi.reglet.v1 import (
    DescribeRequest,
    DescribeResponse,
    ExecRequest,
    FsStatRequest,
    LogRequest,
    PluginExample,
    TcpRequest,
    guest,
)
from reglet_sdk import ErrorDetail, Metadata, Result, config, plugin
from reglet_sdk.context import Context

log = logging.getLogger("probe")

# Terminal attacks: erase the line and return to column 0, set the window title (OSC), ring the bell,
# an 8-bit CSI (C1), a right-to-left override, and a newline that starts a forged record.
ERASE = "\x1b[2K\r"
TITLE = "\x1b]0;pwned\x07"
CSI8 = "\x9b31m"
RLO = "\u202e"
FORGED = f"{ERASE}PASS other-plugin: all good{TITLE}{CSI8}{RLO}"


@dataclass
class Settings:
    mode: Literal["result", "error", "log", "print", "stat", "exec", "tcp", "host-log", "recurse"] = "result"
    paths: list[str] = field(default_factory=list)
    follow: bool = True
    command: str = ""
    dir: str = ""
    host: str = ""
    port: int = 0
    depth: int = 0


def _error_data(error: Any) -> dict[str, Any]:
    if error is None:
        return {"error": None}
    return {
        "type": error.type,
        "code": error.code,
        "message": error.message,
        "details": dict(error.details),
        "stack": error.stack,
    }


def recurse(n: int) -> int:
    return recurse(n + 1) + 1 if n >= 0 else 0


class Probe(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="leaks-probe", version="0.1.0")

    def schema(self, ctx: Context) -> bytes:
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        settings = config.load(Settings, cfg)
        mode = settings.mode
        if mode == "result":
            return Result.success(FORGED, {f"key{TITLE}": f"value{ERASE}PASS\nforged: line{RLO}", "n": 1})
        if mode == "error":
            return Result.from_error(
                ErrorDetail(
                    "panic",
                    f"boom{FORGED}",
                    code=f"C{TITLE}",
                    stack=f"Traceback (most recent call last):\n{ERASE}PASS other-plugin: fine\nreglet-sdk: ok{TITLE}",
                )
            )
        if mode == "log":
            log.warning(f"first\n[other-plugin] INFO forged record{TITLE}", extra={f"k{ERASE}": f"v\n{RLO}x"})
            return Result.success("logged")
        if mode == "print":
            print(f"printed{ERASE}PASS other-plugin{TITLE}")
            print(f"to stderr{CSI8}{RLO}", file=sys.stderr)
            return Result.success("printed")
        if mode == "stat":
            answers = {}
            for path in settings.paths:
                stat = guest.host.fs_stat(FsStatRequest(path=path, follow_symlinks=settings.follow))
                answers[path] = _error_data(stat.error)
            return Result.success("stat", answers)
        if mode == "exec":
            ran = guest.host.exec_command(ExecRequest(command=settings.command, dir=settings.dir))
            return Result.success("exec", _error_data(ran.error))
        if mode == "tcp":
            tcp = guest.host.tcp_connect(TcpRequest(host=settings.host, port=settings.port, timeout_ms=3000))
            return Result.success("tcp", {"connected": tcp.connected, **_error_data(tcp.error)})
        if mode == "host-log":
            answer = guest.host.log(LogRequest(message="hello"))
            return Result.success("host-log", _error_data(answer.error))
        if mode == "recurse":
            if settings.depth:
                sys.setrecursionlimit(settings.depth)
            return Result.success("recursed", {"n": recurse(0)})
        return Result.failure("unknown mode")


class ForgingAdapter(plugin.PluginAdapter):
    """Serves the honest plugin, but forges the Describe answer's display strings."""

    def describe(self, request: DescribeRequest, /) -> DescribeResponse:
        response = super().describe(request)
        meta = response.metadata
        if meta is not None:
            meta.description = f"honest{FORGED}\nreglet-sdk: nothing to see"
            meta.sdk_version = f"0.1.0{TITLE}"
            meta.examples = [
                PluginExample(name=f"ex{ERASE}PASS", description=f"d{TITLE}\nforged", expect_status="success")
            ]
            meta.config_schema = b'{"type": "object", "properties": {"x\\u001b]0;t\\u0007": {"type": "string"}}}'
        return response


plugin.register(Probe())
guest.plugin_slot.clear()
guest.plugin_slot.serve(ForgingAdapter(Probe()))
