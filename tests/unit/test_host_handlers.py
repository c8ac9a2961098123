"""The host functions natively (the real handlers, called as the binding calls them)."""

from __future__ import annotations

from pathlib import Path

from reglet_abi.reglet.v1 import ExecRequest, FsStatRequest
from reglet_sdk.host.handlers import CallHandlers
from reglet_sdk.host.policy import as_policy


def handlers(*grants: str) -> CallHandlers:
    return CallHandlers("t", "r1", lambda record: None, as_policy(grants))


def test_fs_stat_reports_owner_mode_and_size(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("12345")
    target.chmod(0o640)
    response = handlers(f"fs:read:{tmp_path}/**").fs_stat(FsStatRequest(path=str(target)))
    assert response.error is None and response.exists and response.size == 5
    assert response.mode & 0o777 == 0o640 and response.uid == target.stat().st_uid


def test_fs_stat_missing_is_not_an_error(tmp_path: Path) -> None:
    response = handlers(f"fs:read:{tmp_path}/**").fs_stat(FsStatRequest(path=str(tmp_path / "nope")))
    assert response.error is None and response.exists is False


def test_fs_stat_outside_the_grant_is_denied(tmp_path: Path) -> None:
    response = handlers(f"fs:read:{tmp_path}/**").fs_stat(FsStatRequest(path="/etc/passwd"))
    assert response.error is not None and (response.error.type, response.error.code) == (
        "capability",
        "fs:read:/etc/passwd",
    )


def test_fs_stat_of_a_link_describes_the_link_and_following_it_checks_the_target(tmp_path: Path) -> None:
    (tmp_path / "granted").mkdir()
    link = tmp_path / "granted" / "link"
    link.symlink_to("/etc/passwd")
    h = handlers(f"fs:read:{tmp_path}/granted/**")
    own = h.fs_stat(FsStatRequest(path=str(link)))
    assert own.error is None and own.is_symlink and own.symlink_target == "/etc/passwd"
    followed = h.fs_stat(FsStatRequest(path=str(link), follow_symlinks=True))
    assert followed.error is not None and followed.error.code == "fs:read:/etc/passwd"


def test_exec_refuses_an_empty_command_and_a_bad_environment() -> None:
    h = handlers("exec:/usr/bin/env")
    assert h.exec_command(ExecRequest()).error.code == "INVALID_REQUEST"  # type: ignore[union-attr]
    bad = h.exec_command(ExecRequest(command="/usr/bin/env", env=["NOEQUALS"]))
    assert bad.error is not None and bad.error.code == "INVALID_REQUEST"


def test_exec_timeout_is_the_smallest_of_request_and_host_maximum() -> None:
    h = handlers("exec:/bin/sleep")
    h.exec_limits = type(h.exec_limits)(default_timeout=30, max_timeout=1, max_output=100)
    response = h.exec_command(ExecRequest(command="/bin/sleep", args=["5"], timeout_ms=10_000))
    assert response.is_timeout and response.duration_ms < 2500


def test_network_functions_refuse_bad_input() -> None:
    from reglet_abi.reglet.v1 import DnsRequest, HttpRequest, SmtpRequest, TcpRequest

    h = handlers("network:*:*", "network:example.test:53")
    assert h.dns_lookup(DnsRequest(hostname="example.test", record_type=99)).error.code == "UNSUPPORTED_TYPE"  # type: ignore[arg-type, union-attr]
    assert h.dns_lookup(DnsRequest(hostname="")).error.code == "INVALID_REQUEST"  # type: ignore[union-attr]
    assert h.dns_lookup(DnsRequest(hostname="example.test", nameserver="[::1")).error.code == "INVALID_REQUEST"  # type: ignore[union-attr]
    assert h.http_request(HttpRequest(url="ftp://example.test/")).error.code == "INVALID_REQUEST"  # type: ignore[union-attr]
    assert h.http_request(HttpRequest(url="not a url")).error.code == "INVALID_REQUEST"  # type: ignore[union-attr]
    assert h.tcp_connect(TcpRequest(host="example.test", port=0)).error.code == "INVALID_REQUEST"  # type: ignore[union-attr]
    assert h.smtp_connect(SmtpRequest(host="", port=25)).error.code == "INVALID_REQUEST"  # type: ignore[union-attr]


def test_compile_cache_is_read_only_from_a_private_folder(tmp_path: Path) -> None:
    from reglet_sdk.host.compile_cache import CompileCache

    cache = CompileCache(tmp_path / "compiled", "test")
    (tmp_path / "compiled").mkdir(mode=0o700)
    assert cache.trusted()
    (tmp_path / "compiled").chmod(0o777)
    assert not cache.trusted()
    assert not CompileCache(tmp_path / "missing", "test").trusted()
