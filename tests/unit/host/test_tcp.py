"""host.net.tcp (TcpConnect) natively: bad input, denials, refused connections."""

from __future__ import annotations

from reglet_abi.reglet.v1 import TcpRequest
from reglet_sdk.testing.servers import closed_port
from tests.unit.host.support import handlers


def test_bad_input_is_refused() -> None:
    h = handlers("network:*:*")
    for request in (TcpRequest(host="example.test", port=0), TcpRequest(host="", port=80)):
        response = h.tcp_connect(request)
        assert response.error is not None and response.error.code == "INVALID_REQUEST"


def test_an_ungranted_port_is_denied() -> None:
    response = handlers("network:127.0.0.1:1-100").tcp_connect(TcpRequest(host="127.0.0.1", port=101))
    assert response.error is not None and response.error.code == "network:127.0.0.1:101"


def test_a_refused_connection_is_reported() -> None:
    port = closed_port()
    response = handlers(f"network:127.0.0.1:{port}").tcp_connect(
        TcpRequest(host="127.0.0.1", port=port, timeout_ms=5000)
    )
    assert response.error is not None and response.error.code == "CONNECTION_REFUSED"
