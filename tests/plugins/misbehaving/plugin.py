"""A test plugin whose check does what `mode` asks: succeed, raise, loop, exhaust memory, log, ..."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any, Literal

from packaging.version import Version  # a pure-Python dependency the build must bundle

from reglet_abi.reglet.v1 import ExecRequest, guest
from reglet_sdk import Metadata, Result, config, plugin, schema
from reglet_sdk.context import Context

log = logging.getLogger("misbehaving")
CALLS = 0  # module state: a fresh sandbox per call must always see 0 here


@dataclass
class Settings:
    mode: Literal[
        "ok",
        "raise",
        "loop",
        "bomb",
        "wrong-type",
        "bad-data",
        "log",
        "print",
        "exec",
        "state",
        "dependency",
        "lazy-import",
    ] = "ok"


def explode(value: int) -> int:
    return value // 0  # the traceback must point here: plugin.py, this line


class Misbehaving(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        return Metadata(name="misbehaving", version="0.3.0")

    def schema(self, ctx: Context) -> bytes:
        return schema.generate_schema(Settings)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        global CALLS
        CALLS += 1
        mode = config.load(Settings, cfg).mode
        if mode == "raise":
            explode(1)
        if mode == "loop":
            while True:
                pass
        if mode == "bomb":
            hoard = []
            while True:
                hoard.append(bytearray(4 << 20))
        if mode == "wrong-type":
            return {"not": "a Result"}  # type: ignore[return-value]  # on purpose: the adapter must refuse it
        if mode == "bad-data":
            return Result.success("bad", {"when": object()})
        if mode == "log":
            log.debug("not sent at the default level")
            log.info("checked %s", "thing", extra={"port": 443, "ratio": 0.5, "secure": True, "tags": ["a", "b"]})
            log.warning("careful")
            try:
                raise KeyError("missing")
            except KeyError:
                log.exception("it failed")
        if mode == "print":
            print("hello from print")
            print("to stderr", file=sys.stderr)
        if mode == "exec":
            response = guest.host.exec_command(ExecRequest(command="/usr/bin/touch", args=["/tmp/never"]))
            error = response.error
            return Result.success("asked", {"type": error.type, "code": error.code} if error else {})
        if mode == "state":
            return Result.success("state", {"calls": CALLS})
        if mode == "lazy-import":
            import fractions  # imported only here: the build must still bundle it

            return Result.success("imported", {"half": str(fractions.Fraction(1, 2))})
        if mode == "dependency":
            return Result.success("compared", {"newer": Version("1.10") > Version("1.9")})
        return Result.success(
            "fine",
            {"big": 2**70, "neg": -(2**63), "float": 1.0, "nested": {"list": [1, None, True, "x"]}, "empty": {}},
        )


plugin.register(Misbehaving())
