"""Real network servers for tests, on 127.0.0.1 only, each bounded and stopped with its `with` block.

DNS (UDP, dnspython messages), HTTP and HTTPS (stdlib server, certificates from a throw-away trustme
CA), plain and TLS TCP listeners, and SMTP servers (aiosmtpd) with STARTTLS and with implicit TLS.
Every server counts the connections it saw, so a test can prove a denied call sent nothing.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import trustme  # a test dependency: install reglet-sdk[dev]
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOCALHOST = "127.0.0.1"
SERVER_TIMEOUT = 10.0  # no server thread blocks longer than this on one connection


@dataclass
class LocalCA:
    """A throw-away CA and a leaf certificate for localhost, 127.0.0.1 and ::1."""

    ca: trustme.CA
    leaf: trustme.LeafCert
    bundle: Path

    def server_context(self, leaf: trustme.LeafCert | None = None) -> ssl.SSLContext:
        """A server-side TLS context presenting `leaf` (default: the localhost certificate)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        (leaf or self.leaf).configure_cert(context)
        return context

    def expiring_leaf(self, days: int) -> trustme.LeafCert:
        """A localhost certificate that expires in `days` days."""
        now = datetime.datetime.now(datetime.UTC)
        return self.ca.issue_cert(
            "localhost",
            "127.0.0.1",
            not_before=now - datetime.timedelta(days=1),
            not_after=now + datetime.timedelta(days=days),
        )

    def expired_leaf(self, days_ago: int = 5) -> trustme.LeafCert:
        """A localhost certificate from this CA that expired `days_ago` days ago."""
        now = datetime.datetime.now(datetime.UTC)
        return self.ca.issue_cert(
            "localhost",
            "127.0.0.1",
            "::1",
            not_before=now - datetime.timedelta(days=days_ago + 30),
            not_after=now - datetime.timedelta(days=days_ago),
        )

    def wrong_host_leaf(self) -> trustme.LeafCert:
        """A valid certificate from this CA for another name only (not localhost, 127.0.0.1 or ::1)."""
        return self.ca.issue_cert("other.example.test")

    @staticmethod
    def unknown_ca_leaf() -> trustme.LeafCert:
        """A localhost certificate from a CA nobody trusts (a new throw-away one)."""
        return trustme.CA(organization_name="unknown CA").issue_cert("localhost", "127.0.0.1", "::1")

    @staticmethod
    def self_signed_leaf() -> trustme.LeafCert:
        """A self-signed localhost certificate (its own issuer, valid for a year)."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.datetime.now(datetime.UTC)
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return trustme.LeafCert(key_pem, cert.public_bytes(serialization.Encoding.PEM), [])


def make_ca(directory: Path) -> LocalCA:
    """A new CA, its localhost certificate, and the CA bundle written to `directory`."""
    ca = trustme.CA()
    bundle = directory / "test-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return LocalCA(ca, ca.issue_cert("localhost", "127.0.0.1", "::1"), bundle)


@dataclass
class Counter:
    """How many connections a server accepted."""

    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self) -> None:
        """Counts one connection."""
        with self.lock:
            self.connections += 1


# --- DNS ------------------------------------------------------------------------------------------

ZONE: dict[tuple[str, str], list[str]] = {
    ("example.test.", "A"): ["192.0.2.10", "192.0.2.11"],
    ("example.test.", "AAAA"): ["2001:db8::10"],
    ("www.example.test.", "CNAME"): ["example.test."],
    ("example.test.", "MX"): ["10 mail.example.test.", "20 backup.example.test."],
    ("example.test.", "TXT"): ['"v=spf1 -all"', '"part one " "part two"'],
    ("example.test.", "NS"): ["ns1.example.test.", "ns2.example.test."],
    ("internal.example.test.", "A"): ["127.0.0.1"],
}
SILENT_NAME = "silent.example.test."  # the server never answers this one


@dataclass
class DnsServer:
    """A running DNS server (UDP) answering from ZONE."""

    port: int
    counter: Counter

    @property
    def nameserver(self) -> str:
        """The `host:port` to give a DnsRequest as its nameserver."""
        return f"{LOCALHOST}:{self.port}"


@contextmanager
def dns_server() -> Iterator[DnsServer]:
    """Runs a DNS server on 127.0.0.1 until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOCALHOST, 0))
    sock.settimeout(0.1)
    counter = Counter()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except OSError:
                continue
            counter.hit()
            query = dns.message.from_wire(data)
            question = query.question[0]
            name, rtype = question.name.to_text(), dns.rdatatype.to_text(question.rdtype)
            if name == SILENT_NAME:
                continue
            response = dns.message.make_response(query)
            response.flags |= dns.flags.AA
            values = ZONE.get((name, rtype))
            if values:
                response.answer.append(dns.rrset.from_text(name, 300, "IN", rtype, *values))
            elif not any(key[0] == name for key in ZONE):
                response.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(response.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield DnsServer(sock.getsockname()[1], counter)
    finally:
        stop.set()
        thread.join(2)
        sock.close()


# --- HTTP -----------------------------------------------------------------------------------------

LARGE_BODY = 50 << 20


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        self.server.counter.hit()
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts.path == "/ok":
            self._send(200, b"hello", [("X-Multi", "a"), ("X-Multi", "b"), ("Content-Type", "text/plain")])
        elif parts.path == "/echo":
            echoed = {
                "method": self.command,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body.decode("utf-8", "replace"),
            }
            self._send(200, json.dumps(echoed).encode(), [("Content-Type", "application/json")])
        elif parts.path.startswith("/redirect/"):
            left = int(parts.path.rsplit("/", 1)[1])
            self._send(302, b"", [("Location", f"/redirect/{left - 1}" if left > 1 else "/ok")])
        elif parts.path == "/to":
            self._send(302, b"", [("Location", query["url"][0])])
        elif parts.path == "/see-other":
            self._send(303, b"", [("Location", "/echo")])
        elif parts.path == "/large":
            self.send_response(200)
            self.send_header("Content-Length", str(LARGE_BODY))
            self.end_headers()
            chunk = b"x" * (1 << 20)
            try:
                for _ in range(LARGE_BODY // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass  # the client stopped reading at its cap
        elif parts.path == "/silent":
            self.server.stopping.wait(SERVER_TIMEOUT)  # never answers (bounded)
        else:
            self._send(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _route


class _HttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    counter: Counter
    stopping: threading.Event


@dataclass
class HttpServer:
    """A running HTTP(S) server with the routes of _Handler."""

    port: int
    counter: Counter
    scheme: str

    def url(self, path: str, host: str = LOCALHOST) -> str:
        """The URL of `path` on this server."""
        return f"{self.scheme}://{host}:{self.port}{path}"


@contextmanager
def http_server(context: ssl.SSLContext | None = None) -> Iterator[HttpServer]:
    """Runs an HTTP server (HTTPS with `context`) on 127.0.0.1 until the block ends."""
    server = _HttpServer((LOCALHOST, 0), _Handler)
    server.counter = Counter()
    server.stopping = threading.Event()
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield HttpServer(server.server_address[1], server.counter, "https" if context else "http")
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(2)


# --- TCP ------------------------------------------------------------------------------------------


@dataclass
class TcpListener:
    """A running TCP listener."""

    port: int
    counter: Counter


@contextmanager
def tcp_listener(context: ssl.SSLContext | None = None, *, accept: bool = True) -> Iterator[TcpListener]:
    """Runs a listener (TLS with `context`; silent when not `accept`) on 127.0.0.1 until the block ends."""
    server = socket.socket()
    server.bind((LOCALHOST, 0))
    server.listen(16)
    server.settimeout(0.1)
    counter = Counter()
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            counter.hit()
            if not accept:
                continue  # keep it open and silent (a black hole for timeouts)
            try:
                conn.settimeout(SERVER_TIMEOUT)
                if context is not None:
                    conn = context.wrap_socket(conn, server_side=True)
                conn.recv(1)
            except OSError:
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield TcpListener(server.getsockname()[1], counter)
    finally:
        stop.set()
        thread.join(2)
        server.close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


# --- SMTP -----------------------------------------------------------------------------------------


@dataclass
class SmtpServer:
    """A running SMTP server."""

    port: int
    counter: Counter


@contextmanager
def smtp_server(
    *, starttls: ssl.SSLContext | None = None, implicit_tls: ssl.SSLContext | None = None
) -> Iterator[SmtpServer]:
    """Runs an aiosmtpd server (STARTTLS or implicit TLS when given a context) until the block ends."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    counter = Counter()

    class Counting(SMTP):
        def connection_made(self, transport: object) -> None:
            counter.hit()
            super().connection_made(transport)  # type: ignore[arg-type]

    class CountingController(Controller):
        def factory(self) -> SMTP:
            return Counting(self.handler, **self.SMTP_kwargs)

    kwargs: dict[str, Any] = {"hostname": LOCALHOST, "port": closed_port(), "ready_timeout": 5.0}
    if starttls is not None:
        kwargs["tls_context"] = starttls
    if implicit_tls is not None:
        kwargs["ssl_context"] = implicit_tls
    controller = CountingController(object(), **kwargs)
    controller.start()
    counter.connections = 0  # forget the controller's own readiness probe
    try:
        yield SmtpServer(controller.port, counter)
    finally:
        controller.stop()
