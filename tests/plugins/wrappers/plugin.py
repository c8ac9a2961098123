"""A test plugin that uses one SDK wrapper per check (its config names which), for tests/conformance/test_runtime_imports.py.

Every wrapper runs to its answer: a host refusal or a network failure is reported, not raised, so the
check always succeeds and the test sees that the wrapper's whole path ran.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from reglet_sdk import Metadata, Result, config, exec, fs, net, plugin
from reglet_sdk.context import Context
from reglet_sdk.errors import RegletError

log = logging.getLogger("wrappers")


@dataclass
class Call:
    """Which wrapper to call, and where."""

    op: Literal["exec", "fs", "read", "dns", "http", "tcp", "inspect", "smtp", "log", "config"]
    target: str = ""
    port: int = 0
    nameserver: str = ""
    tls: bool = False


class Wrappers(plugin.Plugin):
    """Calls the wrapper its config names."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="wrappers", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """Any config."""
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Runs the call; the data says what came back."""
        call = config.load(Call, cfg)
        try:
            return Result.success(call.op, {"answer": _run(call)})
        except RegletError as exc:
            return Result.success(call.op, {"answer": f"{exc.detail.type}: {exc.detail.message}"})


def _run(call: Call) -> str:
    if call.op == "exec":
        return repr(exec.run(exec.CommandRequest(command=call.target, args=["x"])).exit_code)
    if call.op == "fs":
        info = fs.stat(call.target)
        return f"{info.permissions} {info.octal_mode} {info.mod_time}"
    if call.op == "read":
        return fs.read_text(call.target)
    if call.op == "dns":
        return repr(net.dns.lookup_host(call.target, nameserver=call.nameserver))
    if call.op == "http":
        response = net.http.get(call.target, headers={"accept": "text/plain"}, timeout=5)
        return f"{response.status_code} {response.headers} {response.tls}"
    if call.op == "tcp":
        return repr(net.tcp.dial(call.target, call.port, tls=call.tls, timeout=5))
    if call.op == "inspect":
        details = net.tcp.dial(call.target, call.port, tls=True, verify=False, timeout=5).tls
        return repr((details.verified, details.verification_code) if details else None)
    if call.op == "smtp":
        return repr(net.smtp.connect(call.target, call.port, timeout=5))
    if call.op == "log":
        log.warning("logged %s", call.target, extra={"count": 1, "where": call.target})
        return "logged"
    return repr(config.get_string_default({"key": call.target}, "key", "none"))


plugin.register(Wrappers())
