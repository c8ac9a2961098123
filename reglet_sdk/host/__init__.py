"""The reference host: loads plugin components into wasmtime, grants nothing by default, runs checks.

Example::

    from reglet_sdk.host import Host, HostConfig

    with Host(HostConfig(timeout=10)) as host:
        plugin = host.load("command.wasm", grants=["exec:/usr/bin/uname"])
        result = plugin.check({"command": "/usr/bin/uname", "args": ["-s"]})

`HostPool(config, processes=N)` has the same `load` and plugin API and runs the calls in N worker
processes, so checks run on every core at once (see reglet_sdk.host.pool).
"""

from typing import TYPE_CHECKING, Any

from reglet_sdk.host.config import ExecLimits, HostConfig, NetworkSettings
from reglet_sdk.host.log import PluginLogRecord
from reglet_sdk.host.policy import Policy
from reglet_sdk.host.rules import Rule, parse_rule
from reglet_sdk.host.runtime import (
    HOST_VERSION,
    Host,
    LoadedPlugin,
    PluginCallError,
    PluginDescription,
    PluginLoadError,
)

if TYPE_CHECKING:
    from reglet_sdk.host.pool import HostPool, PooledPlugin


def __getattr__(name: str) -> Any:
    # The pool (multiprocessing, subprocess, sockets) is imported when first named, not by every CLI run.
    if name in ("HostPool", "PooledPlugin"):
        from reglet_sdk.host import pool

        return getattr(pool, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "HOST_VERSION",
    "ExecLimits",
    "Host",
    "HostConfig",
    "HostPool",
    "LoadedPlugin",
    "NetworkSettings",
    "PluginCallError",
    "PluginDescription",
    "PluginLoadError",
    "PluginLogRecord",
    "Policy",
    "PooledPlugin",
    "Rule",
    "parse_rule",
]
