"""reglet-sdk: write Reglet compliance-check plugins in Python, run them as WebAssembly components.

A plugin::

    from reglet_sdk import plugin, Result, ErrorDetail, Metadata
    from reglet_sdk import config, schema, log

    class MyPlugin(plugin.Plugin):
        def describe(self, ctx) -> Metadata: ...
        def schema(self, ctx) -> bytes: return schema.generate_schema(MyConfig)
        def check(self, ctx, cfg: dict) -> Result: ...

    plugin.register(MyPlugin())
"""

__version__ = "0.1.0"

from reglet_sdk import config, exec, fs, log, net, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.errors import (
    CapabilityError,
    ConfigError,
    ErrorDetail,
    ExecError,
    FileTooLargeError,
    FsError,
    FsNotFoundError,
    HostCallError,
    HostTimeoutError,
    NetworkError,
    NotFoundError,
    RegletError,
)
from reglet_sdk.metadata import Metadata
from reglet_sdk.results import Result, RunMetadata

__all__ = [
    "CapabilityError",
    "ConfigError",
    "Context",
    "ErrorDetail",
    "ExecError",
    "FileTooLargeError",
    "FsError",
    "FsNotFoundError",
    "HostCallError",
    "HostTimeoutError",
    "Metadata",
    "NetworkError",
    "NotFoundError",
    "RegletError",
    "Result",
    "RunMetadata",
    "__version__",
    "config",
    "exec",
    "fs",
    "log",
    "net",
    "plugin",
    "schema",
]
