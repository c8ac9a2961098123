"""An adversarial probe: sends the FsReadRequests its config lists straight to the generated host stub
(no SDK wrapper in between, so nothing is checked on the way) and reports every answer.

Config: `requests`, a list of {path, max_bytes}; `repeat` sends the whole list that many times (a
race against a test that swaps files meanwhile). Each answer is {error: {type, code, message} or
null, size_read, sha256, truncated, size}.
"""

from __future__ import annotations

import hashlib
from typing import Any

from reglet_abi.reglet.v1 import FsReadRequest, guest
from reglet_sdk import Metadata, Result, plugin
from reglet_sdk.context import Context


def answer(path: str, max_bytes: int) -> dict[str, Any]:
    """The host's whole answer to one request, content as a digest."""
    response = guest.host.fs_read(FsReadRequest(path=path, max_bytes=max_bytes))
    error = response.error
    return {
        "error": {"type": error.type, "code": error.code, "message": error.message} if error else None,
        "size_read": len(response.content),
        "sha256": hashlib.sha256(response.content).hexdigest(),
        "truncated": response.truncated,
        "size": response.size,
    }


class FsReadProbe(plugin.Plugin):
    """Reads what it is told to, as often as it is told to."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="fs-read-probe", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """Anything goes: the probe is hostile."""
        return b"{}"

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Sends every request `repeat` times; reports the answers in order."""
        requests = [(str(r.get("path", "")), int(r.get("max_bytes", 0))) for r in cfg.get("requests", [])]
        answers = [answer(path, max_bytes) for _ in range(int(cfg.get("repeat", 1))) for path, max_bytes in requests]
        return Result.success("answered", {"answers": answers})


plugin.register(FsReadProbe())
