"""The binding table: each Host rpc of one plugin call, bound to its host function.

One line per rpc; the functions live one module each (host.exec, host.fs, host.log, host.net.dns,
host.net.http, host.net.tcp, host.net.smtp). `CallHandlers` satisfies the generated `HostHandlers`
protocol, so `add_host_to_linker` serves it to the component.
"""

from __future__ import annotations

from collections.abc import Callable

from reglet_abi.reglet.v1 import (
    DnsRequest,
    DnsResponse,
    ExecRequest,
    ExecResponse,
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
)
from reglet_sdk.host import exec, fs, log
from reglet_sdk.host.config import ExecLimits, NetworkSettings
from reglet_sdk.host.log import PluginLogRecord
from reglet_sdk.host.net import dns, http, smtp, tcp
from reglet_sdk.host.policy import Policy


class CallHandlers:
    """Host handlers for one plugin call: its grants, limits and identity."""

    def __init__(
        self,
        plugin_name: str,
        request_id: str,
        on_log: Callable[[PluginLogRecord], None],
        policy: Policy | None = None,
        exec_limits: ExecLimits | None = None,
        network: NetworkSettings | None = None,
    ) -> None:
        self.plugin_name = plugin_name
        self.request_id = request_id
        self.on_log = on_log
        self.policy = policy or Policy()
        self.exec_limits = exec_limits or ExecLimits()
        self.network = network or NetworkSettings()

    def exec_command(self, request: ExecRequest, /) -> ExecResponse:
        """See host.exec."""
        return exec.exec_command(self.policy, self.exec_limits, request, plugin_name=self.plugin_name)

    def fs_stat(self, request: FsStatRequest, /) -> FsStatResponse:
        """See host.fs."""
        return fs.fs_stat(self.policy, request)

    def dns_lookup(self, request: DnsRequest, /) -> DnsResponse:
        """See host.net.dns."""
        return dns.dns_lookup(self.policy, request)

    def http_request(self, request: HttpRequest, /) -> HttpResponse:
        """See host.net.http."""
        return http.http_request(self.policy, request, self.network)

    def tcp_connect(self, request: TcpRequest, /) -> TcpResponse:
        """See host.net.tcp."""
        return tcp.tcp_connect(self.policy, request, self.network.tls_context())

    def smtp_connect(self, request: SmtpRequest, /) -> SmtpResponse:
        """See host.net.smtp."""
        return smtp.smtp_connect(self.policy, request, self.network.tls_context())

    def log(self, request: LogRequest, /) -> LogResponse:
        """See host.log."""
        return log.log(request, plugin_name=self.plugin_name, request_id=self.request_id, on_log=self.on_log)
