"""The network wrappers natively, with injected ports (fakes), and the host functions' TLS settings."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

import betterproto2
import pytest

from reglet_abi.reglet.v1 import (
    Certificate,
    DnsRecordType,
    DnsRequest,
    DnsResponse,
    ErrorDetail,
    HttpHeader,
    HttpRequest,
    HttpResponse,
    MxRecord,
    SmtpRequest,
    SmtpResponse,
    TcpRequest,
    TcpResponse,
    TlsInfo,
)
from reglet_sdk.context import Context, serving
from reglet_sdk.errors import CapabilityError, HostTimeoutError, NetworkError, NotFoundError
from reglet_sdk.host import NetworkSettings
from reglet_sdk.host.handlers import CallHandlers
from reglet_sdk.host.policy import as_policy
from reglet_sdk.net import TlsDetails, checks, dns, http, smtp, tcp
from reglet_sdk.testing.servers import LocalCA, http_server, make_ca

RequestT = TypeVar("RequestT", bound=betterproto2.Message)
ResponseT = TypeVar("ResponseT", bound=betterproto2.Message)


class Recorder(Generic[RequestT, ResponseT]):
    """A fake port (resolver, client, dialer): records each request and answers with one response.

    `request_type` pins the port's request type for the type checker and is checked on every call.
    """

    def __init__(self, request_type: type[RequestT], response: ResponseT) -> None:
        self.request_type = request_type
        self.requests: list[RequestT] = []
        self.response = response

    def __call__(self, request: RequestT) -> ResponseT:
        assert isinstance(request, self.request_type), request
        self.requests.append(request)
        return self.response


def test_dns_resolve_sends_deadline_and_maps_answers() -> None:
    fake = Recorder(
        DnsRequest, DnsResponse(records=["mx1.test"], mx_records=[MxRecord(host="mx1.test", pref=5)], query_time_ms=3)
    )
    deadline = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=10)
    with serving(Context(request_id="r9", deadline=deadline)):
        answer = dns.resolve("example.test", "mx", nameserver="1.2.3.4", timeout=2, resolver=fake)
    (sent,) = fake.requests
    assert isinstance(sent, DnsRequest) and sent.hostname == "example.test" and sent.nameserver == "1.2.3.4"
    assert sent.context is not None and sent.context.request_id == "r9" and 0 < sent.context.timeout_ms <= 2000
    assert answer.mx_records == [dns.MxRecord("mx1.test", 5)] and answer.record_type == "MX"


def test_dns_errors_are_typed() -> None:
    not_found = Recorder(
        DnsRequest, DnsResponse(error=ErrorDetail(type="network", code="LOOKUP_FAILED", is_not_found=True))
    )
    with pytest.raises(NotFoundError):
        dns.resolve("x.test", resolver=not_found)
    denied = Recorder(DnsRequest, DnsResponse(error=ErrorDetail(type="capability", code="network:x.test:53")))
    with pytest.raises(CapabilityError):
        dns.lookup_host("x.test", resolver=denied)
    with pytest.raises(ValueError, match="not one of"):
        dns.resolve("x.test", "SRV")


def test_lookup_host_merges_a_and_aaaa() -> None:
    def resolver(request: DnsRequest) -> DnsResponse:
        return DnsResponse(records=["192.0.2.1"] if request.record_type == 1 else ["2001:db8::1"])

    assert dns.lookup_host("x.test", resolver=resolver) == ["192.0.2.1", "2001:db8::1"]


def test_http_request_headers_body_and_response_helpers() -> None:
    fake = Recorder(
        HttpRequest,
        HttpResponse(
            status_code=200,
            headers=[
                HttpHeader(name="Content-Type", values=["application/json; charset=utf-8"]),
                HttpHeader(name="Set-Cookie", values=["a=1", "b=2"]),
            ],
            body=b'{"ok": true}',
            protocol="HTTP/1.1",
        ),
    )
    response = http.post("https://api.test/x", '{"q": 1}', headers={"Accept": ["a", "b"], "X-One": "1"}, client=fake)
    (sent,) = fake.requests
    assert isinstance(sent, HttpRequest) and sent.method == "POST" and sent.body == b'{"q": 1}'
    assert [(h.name, h.values) for h in sent.headers] == [("Accept", ["a", "b"]), ("X-One", ["1"])]
    assert response.ok and response.json() == {"ok": True} and response.text() == '{"ok": true}'
    assert response.headers.get_all("set-cookie") == ["a=1", "b=2"]


def test_http_timeout_and_network_errors_are_typed() -> None:
    with pytest.raises(HostTimeoutError):
        http.get(
            "http://x.test",
            client=Recorder(
                HttpRequest, HttpResponse(error=ErrorDetail(type="timeout", code="TIMEOUT", is_timeout=True))
            ),
        )
    with pytest.raises(NetworkError) as refused:
        http.get(
            "http://x.test",
            client=Recorder(HttpRequest, HttpResponse(error=ErrorDetail(type="network", code="SSRF_BLOCKED"))),
        )
    assert refused.value.detail.code == "SSRF_BLOCKED"


def test_tcp_dial_and_certificate_days() -> None:
    not_after = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=12, hours=1)
    fake = Recorder(
        TcpRequest,
        TcpResponse(
            connected=True,
            address="a:443",
            tls=TlsInfo(version="TLSv1.3", peer_certificate=Certificate(subject="CN=a", not_after=not_after)),
        ),
    )
    connection = tcp.dial("a", 443, tls=True, dialer=fake)
    assert isinstance(fake.requests[0], TcpRequest) and fake.requests[0].tls is True
    assert connection.tls is not None and connection.tls.certificate is not None
    assert connection.tls.certificate.days_remaining() == 12


def test_verify_false_asks_for_inspection_and_the_outcome_is_exposed() -> None:
    outcome = TlsInfo(
        version="TLSv1.3",
        verified=False,
        verification_error="certificate has expired",
        verification_code="EXPIRED",
        peer_certificate=Certificate(subject="CN=a"),
    )
    dialer = Recorder(TcpRequest, TcpResponse(connected=True, address="a:443", tls=outcome))
    client = Recorder(HttpRequest, HttpResponse(status_code=200, tls=outcome))
    connection = tcp.dial("a", 443, tls=True, verify=False, dialer=dialer)
    response = http.get("https://a/", verify=False, client=client)
    tcp.dial("a", 443, tls=True, dialer=dialer)
    http.get("https://a/", client=client)
    assert [r.insecure_skip_verify for r in dialer.requests] == [True, False]
    assert [r.insecure_skip_verify for r in client.requests] == [True, False]
    for tls in (connection.tls, response.tls):
        assert tls is not None and tls.verified is False
        assert (tls.verification_code, tls.verification_error) == ("EXPIRED", "certificate has expired")
    verified = TlsDetails.from_proto(TlsInfo(version="TLSv1.3", verified=True))
    assert verified is not None and verified.verified and verified.verification_code == ""


def test_smtp_connect_and_check_data() -> None:
    fake = Recorder(
        SmtpRequest,
        SmtpResponse(
            connected=True, address="m:25", banner="220 hi", extensions=["STARTTLS"], tls=TlsInfo(version="TLSv1.2")
        ),
    )
    session = smtp.connect("m", starttls=True, client=fake)
    assert (
        isinstance(fake.requests[0], SmtpRequest) and fake.requests[0].starttls and session.extensions == ["STARTTLS"]
    )
    result = checks.run_smtp_check({"host": "m", "port": 25, "starttls": True}, client=fake)
    assert result.status == "success" and result.data["tls_version"] == "TLSv1.2" and result.data["banner"] == "220 hi"


def test_http_check_preview_and_expectations() -> None:
    fake = Recorder(HttpRequest, HttpResponse(status_code=404, body=b"x" * 300))
    result = checks.run_http_check({"url": "http://x.test", "expected_status": 200}, client=fake)
    assert (
        result.status == "failure"
        and result.data["body_preview"] == "x" * 200
        and result.data["body_truncated"] is True
    )
    assert result.data["body_size"] == 300


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def https(ca: LocalCA) -> Iterator[str]:
    with http_server(ca.server_context()) as server:
        yield server.url("/ok", "localhost")


def handlers(grant: str, settings: NetworkSettings) -> CallHandlers:
    return CallHandlers("t", "r", lambda record: None, as_policy([grant]), network=settings)


def test_ssl_cert_file_is_honoured(ca: LocalCA, https: str, monkeypatch: pytest.MonkeyPatch) -> None:
    grant = f"network:localhost:{https.rsplit(':', 1)[1].split('/')[0]}"
    refused = handlers(grant, NetworkSettings()).http_request(HttpRequest(url=https))
    assert refused.error is not None and refused.error.code == "TLS_ERROR"
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.bundle))
    trusted = handlers(grant, NetworkSettings()).http_request(HttpRequest(url=https))
    assert trusted.error is None and trusted.status_code == 200


def test_ca_bundle_setting(ca: LocalCA, https: str) -> None:
    grant = f"network:localhost:{https.rsplit(':', 1)[1].split('/')[0]}"
    response = handlers(grant, NetworkSettings(ca_bundle=Path(ca.bundle))).http_request(HttpRequest(url=https))
    assert response.status_code == 200 and response.tls is not None and response.tls.version.startswith("TLSv1.")


@pytest.mark.parametrize(
    ("helper", "record_type"),
    [(dns.lookup_cname, DnsRecordType.CNAME), (dns.lookup_txt, DnsRecordType.TXT), (dns.lookup_ns, DnsRecordType.NS)],
)
def test_per_record_type_helpers_ask_for_their_type(
    helper: Callable[..., list[str]], record_type: DnsRecordType
) -> None:
    fake = Recorder(DnsRequest, DnsResponse(records=["one.test", "two.test"]))
    assert helper("example.test", nameserver="[::1]:5353", resolver=fake) == ["one.test", "two.test"]
    (sent,) = fake.requests
    assert sent.record_type == record_type and sent.nameserver == "[::1]:5353"
