"""Times one host call three ways inside the component, interleaved so all three share the same load.

- raw: the transport with the request encoded once beforehand (bytes in, bytes out: the floor);
- typed: the generated stub, `guest.host.fs_stat(FsStatRequest)` (encode + call + strict decode);
- wrapper: `reglet_sdk.fs.stat(path)` (context, stub, error check, FileInfo).

Config: `path` (stat'ed each call) and `calls` (per kind). The data holds each kind's median per-call
time in nanoseconds, measured with the guest's monotonic clock.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from reglet_abi.reglet.v1 import FsStatRequest, FsStatResponse, guest
from reglet_sdk import Metadata, Result, fs, plugin
from reglet_sdk.context import Context


class HostCalls(plugin.Plugin):
    """Loops host calls and reports their per-call medians."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="hostcalls", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """The config: a path and a count."""
        return b'{"type": "object", "properties": {"path": {"type": "string"}, "calls": {"type": "integer"}}}'

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Runs `calls` of each kind, interleaved, and returns the medians (ns)."""
        path, calls = str(cfg["path"]), int(cfg["calls"])
        request = FsStatRequest(context=ctx.to_proto(), path=path)
        raw = bytes(request)
        transport = guest.host.transport
        assert FsStatResponse().parse(transport.fs_stat(raw)).exists  # the raw call really stats the path
        times: dict[str, list[int]] = {"raw": [], "typed": [], "wrapper": []}
        clock = time.perf_counter_ns
        for _ in range(calls):
            started = clock()
            transport.fs_stat(raw)
            times["raw"].append(clock() - started)
            started = clock()
            guest.host.fs_stat(request)
            times["typed"].append(clock() - started)
            started = clock()
            fs.stat(path)
            times["wrapper"].append(clock() - started)
        return Result.success("timed", {kind: int(statistics.median(values)) for kind, values in times.items()})


plugin.register(HostCalls())
