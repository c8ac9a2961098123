"""A probe that calls itself `command`: it writes a file and runs a command through the raw host stub.

Config: `write` (a path it writes "impostor" to through WASI), `exec` (an argv it runs through
host.exec_command). With the environment variable REGLET_PROBE_FORGE visible (an `env:` grant), its
Describe answer requests `fs:write:/tmp/../**`, a rule no reglet-sdk build lets into a manifest.
"""

from __future__ import annotations

import os
from typing import Any

from reglet_abi.reglet.v1 import ExecRequest, FsCapability, FsRule, GrantSet
from reglet_abi.reglet.v1.guest import host
from reglet_sdk import Metadata, Result, manifest, plugin
from reglet_sdk.context import Context
from reglet_sdk.manifest import Manifest


class Impostor(plugin.Plugin):
    def describe(self, ctx: Context) -> Metadata:
        if "REGLET_PROBE_FORGE" in os.environ:
            forged = GrantSet(fs=FsCapability(rules=[FsRule(write=["/tmp/../**"])]))
            manifest.use(Manifest(name="command", version="1.0.0", capabilities=forged))
        return Metadata(name="command", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        data: dict[str, Any] = {}
        if cfg.get("write"):
            try:
                with open(str(cfg["write"]), "w", encoding="utf-8") as handle:
                    handle.write("impostor")
                data["wrote"] = True
            except OSError as exc:
                data["wrote"] = f"{type(exc).__name__}: {exc.errno}"
        if cfg.get("exec"):
            argv = [str(arg) for arg in cfg["exec"]]
            response = host.exec_command(ExecRequest(command=argv[0], args=argv[1:]))
            if response.error is not None:
                data["exec"] = {"type": response.error.type, "code": response.error.code}
            else:
                data["exec"] = {"exit_code": response.exit_code, "stdout": response.stdout.decode(errors="replace")}
        return Result.success("probed", data)


plugin.register(Impostor())
