"""A test plugin that tries one operation named by its config and reports exactly what happened."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Any, Literal

from reglet_abi.reglet.v1 import TcpRequest, guest
from reglet_sdk import Metadata, Result, config, exec, plugin
from reglet_sdk.context import Context
from reglet_sdk.errors import RegletError


@dataclass
class Probe:
    op: Literal["exec", "read", "write", "stat", "env", "socket", "tcp"]
    path: str = ""
    command: str = ""
    args: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    dir: str = ""
    timeout: float = 0
    port: int = 0


def describe_os_error(exc: OSError) -> dict[str, Any]:
    return {"ok": False, "errno": exc.errno, "error": type(exc).__name__}


class Capabilities(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="capabilities", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        probe = config.load(Probe, cfg)
        if probe.op == "exec":
            try:
                response = exec.run(
                    exec.CommandRequest(command=probe.command, args=probe.args),
                    env=probe.env,
                    workdir=probe.dir,
                    timeout=probe.timeout,
                )
            except RegletError as exc:
                return Result.success("refused", {"ok": False, "type": exc.detail.type, "code": exc.detail.code})
            return Result.success(
                "ran",
                {
                    "ok": True,
                    "stdout": response.stdout,
                    "stdout_len": len(response.stdout_bytes),
                    "stdout_truncated": response.stdout_truncated,
                    "stderr": response.stderr,
                    "exit_code": response.exit_code,
                    "is_timeout": response.is_timeout,
                    "duration_ms": response.duration_ms,
                },
            )
        if probe.op == "read":
            try:
                with open(probe.path, encoding="utf-8") as handle:
                    return Result.success("read", {"ok": True, "content": handle.read()})
            except OSError as exc:
                return Result.success("failed", describe_os_error(exc))
        if probe.op == "write":
            try:
                with open(probe.path, "w", encoding="utf-8") as handle:
                    handle.write("written by the plugin")
                return Result.success("wrote", {"ok": True})
            except OSError as exc:
                return Result.success("failed", describe_os_error(exc))
        if probe.op == "stat":
            try:
                return Result.success("stat", {"ok": True, "size": os.stat(probe.path).st_size})
            except OSError as exc:
                return Result.success("failed", describe_os_error(exc))
        if probe.op == "env":
            return Result.success("env", {"ok": True, "environ": dict(os.environ)})
        if probe.op == "socket":
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.settimeout(2)
                    sock.connect(("127.0.0.1", probe.port))
                    return Result.success("connected", {"ok": True})
            except OSError as exc:
                return Result.success("failed", describe_os_error(exc))
        error = guest.host.tcp_connect(TcpRequest(host="127.0.0.1", port=probe.port)).error
        return Result.success(
            "tcp", {"ok": error is None, "type": error.type if error else "", "code": error.code if error else ""}
        )


plugin.register(Capabilities())
