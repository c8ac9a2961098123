"""`python -m conformance.serve`: the local servers every conformance runner uses, in one process.

It starts the servers of `reglet_sdk.testing.servers` on 127.0.0.1 (HTTP, HTTPS, DNS, plain and TLS
TCP listeners, TLS listeners and an HTTPS server with bad certificates (`tls_expired`, `https_expired`,
`tls_wrong_host`, `tls_self_signed`), a listener that never answers, SMTP plain / STARTTLS / implicit
TLS), a throw-away CA
and a folder of fixture files, then prints one JSON line describing them (the placeholders cases
use: `{http.port}`, `{ca_bundle}`, `{files.dir}`, ...) and serves until its standard input closes,
it receives SIGTERM or SIGINT, or `--lifetime` seconds pass. A control server answers
`GET /connections` with how many connections each server has accepted, so a runner can prove that
a denied call sent nothing. Any host, in any language, runs its cases against this same process.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.server
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reglet_sdk.testing.servers import (
    LOCALHOST,
    Counter,
    closed_port,
    dns_server,
    http_server,
    make_ca,
    smtp_server,
    tcp_listener,
)

DEFAULT_LIFETIME = 1800.0  # seconds: a forgotten server process ends on its own
FIXTURE_TIME = datetime.datetime(2021, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
"""Modification time of every fixture file, so cases can compare it exactly."""
FIXTURE_TEXT = "hello conformance\n"


def make_fixture_files(root: Path) -> dict[str, str]:
    """The fixture tree under `root` (files, a folder, links in and out of it, a FIFO); returns placeholders."""
    root = Path(os.path.realpath(root))
    granted = root / "granted"
    (granted / "folder").mkdir(parents=True)
    (root / "outside").mkdir()
    hello = granted / "hello.txt"
    hello.write_text(FIXTURE_TEXT, encoding="utf-8")
    (root / "outside" / "secret.txt").write_text("not for plugins\n", encoding="utf-8")
    (granted / "sibling.txt").write_text("a file beside hello.txt\n", encoding="utf-8")
    (granted / "link").symlink_to("hello.txt")
    (granted / "escape").symlink_to(root / "outside" / "secret.txt")
    os.mkfifo(granted / "pipe")  # nothing ever writes to it: a host that waits on it hangs
    hello.chmod(0o640)
    (granted / "folder").chmod(0o750)
    stamp = FIXTURE_TIME.timestamp()
    for path in (hello, granted / "folder", root / "outside" / "secret.txt"):
        os.utime(path, (stamp, stamp))
    return {"dir": str(granted), "outside": str(root / "outside")}


def _control_server(counters: dict[str, Counter]) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            if self.path != "/connections":
                self.send_error(404)
                return
            body = json.dumps({name: counter.connections for name, counter in counters.items()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return http.server.ThreadingHTTPServer((LOCALHOST, 0), Handler)


@contextlib.contextmanager
def running_servers(workdir: Path) -> Iterator[dict[str, Any]]:
    """Starts every server; yields the description printed for runners (ports, paths)."""
    ca = make_ca(workdir)
    with contextlib.ExitStack() as stack:
        servers: dict[str, Any] = {
            "http": stack.enter_context(http_server()),
            "https": stack.enter_context(http_server(ca.server_context())),
            "dns": stack.enter_context(dns_server()),
            "tcp": stack.enter_context(tcp_listener()),
            "tls": stack.enter_context(tcp_listener(ca.server_context())),
            "tls_expired": stack.enter_context(tcp_listener(ca.server_context(ca.expired_leaf(5)))),
            "https_expired": stack.enter_context(http_server(ca.server_context(ca.expired_leaf(5)))),
            "tls_wrong_host": stack.enter_context(tcp_listener(ca.server_context(ca.wrong_host_leaf()))),
            "tls_self_signed": stack.enter_context(tcp_listener(ca.server_context(ca.self_signed_leaf()))),
            "blackhole": stack.enter_context(tcp_listener(accept=False)),
            "smtp": stack.enter_context(smtp_server()),
            "smtp_starttls": stack.enter_context(smtp_server(starttls=ca.server_context())),
            "smtp_tls": stack.enter_context(smtp_server(implicit_tls=ca.server_context())),
        }
        counters = {name: server.counter for name, server in servers.items()}
        control = _control_server(counters)
        thread = threading.Thread(target=control.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        stack.callback(control.server_close)
        stack.callback(control.shutdown)
        description: dict[str, Any] = {name: {"host": LOCALHOST, "port": s.port} for name, s in servers.items()}
        description["closed"] = {"host": LOCALHOST, "port": closed_port()}
        description["control"] = {"host": LOCALHOST, "port": control.server_address[1]}
        description["ca_bundle"] = str(ca.bundle)
        description["files"] = make_fixture_files(workdir / "files")
        description["pid"] = os.getpid()
        yield description


def wait_for_end(lifetime: float, stdin_closed: Callable[[], object]) -> None:
    """Blocks until stdin closes, a SIGTERM/SIGINT arrives, or `lifetime` seconds pass."""
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())

    def watch_stdin() -> None:
        stdin_closed()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait(lifetime)


def main(argv: list[str] | None = None) -> int:
    """Runs the servers; prints their description as one JSON line on stdout."""
    parser = argparse.ArgumentParser(prog="python -m conformance.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lifetime", type=float, default=DEFAULT_LIFETIME, help="seconds before exiting on its own (default 1800)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reglet-conformance-") as tmp, running_servers(Path(tmp)) as description:
        print(json.dumps(description), flush=True)
        wait_for_end(args.lifetime, lambda: sys.stdin.read())
    return 0


if __name__ == "__main__":
    sys.exit(main())
