"""The host's configuration: every limit and setting a Host applies to the plugins it runs.

The host owns every limit: a plugin may ask a host function for less time or fewer bytes, never more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reglet_sdk.host.compile_cache import default_cache_dir
from reglet_sdk.host.log import PluginLogRecord

if TYPE_CHECKING:
    import ssl

    from wasmtime.component import Linker

    from reglet_sdk.host.runtime import LoadedPlugin


@dataclass(frozen=True)
class ExecLimits:
    """Host-side limits of the exec host function."""

    default_timeout: float = 30.0
    """Used when a request names no timeout (seconds)."""
    max_timeout: float = 30.0
    """No command runs longer, whatever the request asks (seconds)."""
    max_output: int = 10 << 20
    """Bytes kept of stdout and of stderr, each."""


@dataclass(frozen=True)
class NetworkSettings:
    """Host-side settings of the network functions."""

    ca_bundle: Path | None = None
    """Extra trusted CA certificates (PEM), on top of the system's (SSL_CERT_FILE is honoured)."""
    max_http_body: int = 10 << 20
    """Bytes of an HTTP response body kept; the rest is cut and `body_truncated` set."""
    max_redirects: int = 10
    """Most redirects followed, whatever a request asks."""

    def __post_init__(self) -> None:
        # A bad CA bundle fails here, at start-up, with a clear error (tls.CaBundleError), instead of
        # in every TLS connection later.
        if self.ca_bundle is not None:
            self.tls_context()

    def tls_context(self) -> ssl.SSLContext:
        """A verifying TLS 1.2+ client context."""
        from reglet_sdk.host.net import tls  # with ssl and cryptography: loaded when TLS is first needed

        return tls.client_context(self.ca_bundle)


@dataclass(frozen=True)
class HostConfig:
    """Limits and settings of a Host."""

    memory_limit_mib: int = 100
    """Largest linear memory a plugin may use, in MiB."""
    timeout: float = 30.0
    """Wall-clock limit of one plugin call, in seconds."""
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    """Where compiled components are kept; None disables the compilation cache."""
    max_request_bytes: int = 1 << 20
    """Largest encoded request a host function accepts from a plugin."""
    max_response_bytes: int = 8 << 20
    """Largest encoded answer (Describe, Schema, Check) accepted from a plugin; larger is BAD_RESPONSE."""
    max_stuck_calls: int = 4
    """Calls still blocked past their deadline (e.g. in sleep) kept at once; beyond, new calls are refused."""
    epoch_tick: float = 0.01
    """Granularity of the timeout, in seconds."""
    on_log: Callable[[PluginLogRecord], None] | None = None
    """Receives each log record a plugin sends (default: the `reglet.plugin.<name>` logger)."""
    exec_limits: ExecLimits = field(default_factory=ExecLimits)
    """Timeouts and output caps of the exec host function."""
    network: NetworkSettings = field(default_factory=NetworkSettings)
    """Trusted CAs and limits of the network host functions."""
    extensions: tuple[Callable[[Linker, LoadedPlugin], None], ...] = ()
    """Add more host functions to each call's linker (e.g. a generated `add_kv_to_linker`), given the plugin."""
