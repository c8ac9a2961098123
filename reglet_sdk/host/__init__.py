"""The reference host: loads plugin components into wasmtime, grants nothing by default, runs checks.

from reglet_sdk.host import Host, HostConfig

with Host(HostConfig(timeout=10)) as host:
    plugin = host.load("hello.wasm")
    result = plugin.check({"name": "Ada"})
"""

from reglet_sdk.host.handlers import PluginLogRecord
from reglet_sdk.host.runtime import (
    HOST_VERSION,
    Host,
    HostConfig,
    LoadedPlugin,
    PluginCallError,
    PluginDescription,
    PluginLoadError,
)

__all__ = [
    "HOST_VERSION",
    "Host",
    "HostConfig",
    "LoadedPlugin",
    "PluginCallError",
    "PluginDescription",
    "PluginLoadError",
    "PluginLogRecord",
]
