"""The binding table: each Host rpc of one plugin call, bound to its host function.

One line per rpc; the functions live one module each (host.exec, host.fs, host.log, host.net.dns,
host.net.http, host.net.tcp, host.net.smtp). `CallHandlers` satisfies the generated `HostHandlers`
protocol, so `add_host_to_linker` serves it to the component.

The host links these functions once per plugin (see host.runtime): the linker's functions answer with
`CURRENT_CALL`, which forwards each request to the `CallHandlers` of the call running on that thread
(`serving`). Each call runs on a worker thread of its own, so a plugin reaches only its own call's
grants and deadline.

The call's deadline is the host's: every function gets the time left before it as a hard cap, and
a request that arrives after it, or that the plugin marks `canceled`, is answered with a `timeout`
error without anything being done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar, cast

import betterproto2

from reglet_abi._rpc import RpcMethod
from reglet_abi.reglet.v1 import (
    DnsRequest,
    DnsResponse,
    ExecRequest,
    ExecResponse,
    FsReadRequest,
    FsReadResponse,
    FsStatRequest,
    FsStatResponse,
    HttpRequest,
    HttpResponse,
    LogRequest,
    LogResponse,
    SmtpRequest,
    SmtpResponse,
    TcpRequest,
    TcpResponse,
    services,
)
from reglet_sdk.host import fs, log
from reglet_sdk.host.config import ExecLimits, NetworkSettings
from reglet_sdk.host.log import PluginLogRecord
from reglet_sdk.host.policy import Policy

if TYPE_CHECKING:
    from reglet_abi.reglet.v1.host import HostHandlers

# exec and the network functions (with subprocess, dnspython, urllib3, ssl and cryptography) are
# imported on their first call: a plugin that does not use them, and the CLI start-up, skip the cost.

ResponseT = TypeVar("ResponseT", bound=betterproto2.Message)


class CallHandlers:
    """Host handlers for one plugin call: its grants, limits, identity and deadline.

    `deadline` is a time.monotonic() instant (None: no call deadline, as when a plugin runs natively).
    """

    def __init__(
        self,
        plugin_name: str,
        request_id: str,
        on_log: Callable[[PluginLogRecord], None],
        policy: Policy | None = None,
        exec_limits: ExecLimits | None = None,
        network: NetworkSettings | None = None,
        *,
        deadline: float | None = None,
    ) -> None:
        self.plugin_name = plugin_name
        self.request_id = request_id
        self.on_log = on_log
        self.policy = policy or Policy()
        self.exec_limits = exec_limits or ExecLimits()
        self.network = network or NetworkSettings()
        self.deadline = deadline

    def _in_time(self, method: RpcMethod[Any, ResponseT], request: Any, act: Callable[[], ResponseT]) -> ResponseT:
        """`act()`, or a `timeout` answer when the call is past its deadline or the plugin canceled the request."""
        context = request.context
        if context is not None and context.canceled:
            code, message = "CANCELED", "the plugin canceled the request; nothing was done"
        elif self.deadline is not None and time.monotonic() >= self.deadline:
            code, message = "TIMEOUT", "the plugin call is past its deadline; nothing was done"
        else:
            return act()
        response = method.error_response("timeout", code, f"{method.service}.{method.name}: {message}.")
        response.error.is_timeout = True  # type: ignore[attr-defined]  # every Host response has `error`
        return response

    def exec_command(self, request: ExecRequest, /) -> ExecResponse:
        """See host.exec."""
        from reglet_sdk.host import exec

        return self._in_time(
            services.HOST_EXEC_COMMAND,
            request,
            lambda: exec.exec_command(
                self.policy, self.exec_limits, request, plugin_name=self.plugin_name, deadline=self.deadline
            ),
        )

    def fs_stat(self, request: FsStatRequest, /) -> FsStatResponse:
        """See host.fs."""
        return self._in_time(services.HOST_FS_STAT, request, lambda: fs.fs_stat(self.policy, request))

    def fs_read(self, request: FsReadRequest, /) -> FsReadResponse:
        """See host.fs."""
        return self._in_time(
            services.HOST_FS_READ, request, lambda: fs.fs_read(self.policy, request, deadline=self.deadline)
        )

    def dns_lookup(self, request: DnsRequest, /) -> DnsResponse:
        """See host.net.dns."""
        from reglet_sdk.host.net import dns

        return self._in_time(
            services.HOST_DNS_LOOKUP, request, lambda: dns.dns_lookup(self.policy, request, deadline=self.deadline)
        )

    def http_request(self, request: HttpRequest, /) -> HttpResponse:
        """See host.net.http."""
        from reglet_sdk.host.net import http

        return self._in_time(
            services.HOST_HTTP_REQUEST,
            request,
            lambda: http.http_request(self.policy, request, self.network, deadline=self.deadline),
        )

    def tcp_connect(self, request: TcpRequest, /) -> TcpResponse:
        """See host.net.tcp."""
        from reglet_sdk.host.net import tcp

        return self._in_time(
            services.HOST_TCP_CONNECT,
            request,
            lambda: tcp.tcp_connect(self.policy, request, self.network.tls_context(), deadline=self.deadline),
        )

    def smtp_connect(self, request: SmtpRequest, /) -> SmtpResponse:
        """See host.net.smtp."""
        from reglet_sdk.host.net import smtp

        return self._in_time(
            services.HOST_SMTP_CONNECT,
            request,
            lambda: smtp.smtp_connect(self.policy, request, self.network.tls_context(), deadline=self.deadline),
        )

    def log(self, request: LogRequest, /) -> LogResponse:
        """See host.log."""
        return self._in_time(
            services.HOST_LOG,
            request,
            lambda: log.log(request, plugin_name=self.plugin_name, request_id=self.request_id, on_log=self.on_log),
        )


_serving: ContextVar[CallHandlers | None] = ContextVar("reglet_call_handlers", default=None)


@contextmanager
def serving(handlers: CallHandlers) -> Iterator[CallHandlers]:
    """Makes `handlers` answer the host functions called on this thread until the block ends."""
    token = _serving.set(handlers)
    try:
        yield handlers
    finally:
        _serving.reset(token)


def _current() -> CallHandlers:
    handlers = _serving.get()
    if handlers is None:  # a host function called outside a call: a bug in the host, never the plugin's doing
        raise RuntimeError("a host function was called with no plugin call being served on this thread")
    return handlers


if TYPE_CHECKING:

    def _implements_every_rpc(handlers: CallHandlers) -> HostHandlers:
        """A static proof (for mypy) that CallHandlers has every rpc of the generated HostHandlers protocol."""
        return handlers


def _forwarder(rpc: str) -> Callable[[Any], Any]:
    """A host function that hands its request to the `rpc` method of the call served on this thread."""

    def forward(request: Any, /) -> Any:
        return getattr(_current(), rpc)(request)

    forward.__name__ = forward.__qualname__ = rpc
    return forward


class CurrentCall:
    """The Host handlers a plugin's linker is built with: each rpc goes to the current call's handlers.

    One forwarder per rpc of the generated table (services.HOST), so a new rpc needs no edit here;
    CallHandlers must implement it (mypy checks `_implements_every_rpc`).
    """

    def __init__(self) -> None:
        for method in services.HOST.methods:
            setattr(self, method.python_name, _forwarder(method.python_name))


CURRENT_CALL = cast("HostHandlers", CurrentCall())
"""The one CurrentCall every plugin linker is built with (it has every rpc of HostHandlers, from the table)."""
