"""examples/command and examples/file: the built-in plugins' config and data fields, in the host."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from reglet_sdk.host import Host, HostConfig
from tests.conftest import COMPILE_CACHE, REPO

pytestmark = pytest.mark.component

COMMAND_FIELDS = {"stdout", "stderr", "exit_code", "duration_ms", "is_timeout", "command", "args"}


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host(HostConfig(cache_dir=COMPILE_CACHE)) as host:
        yield host


def test_command_success_failure_and_fields(host: Host, command_wasm: Path) -> None:
    plugin = host.load(command_wasm, grants=["exec:/usr/bin/uname", "exec:/usr/bin/false"])
    ok = plugin.check({"command": "/usr/bin/uname", "args": ["-s"]})
    assert ok.status == "success" and set(ok.data) == COMMAND_FIELDS
    assert ok.data["stdout"] == os.uname().sysname + "\n" and ok.data["exit_code"] == 0 and ok.data["args"] == ["-s"]
    failed = plugin.check({"command": "/usr/bin/false"})
    assert failed.status == "failure" and failed.data["exit_code"] == 1


def test_command_run_needs_an_explicit_shell_grant(host: Host, command_wasm: Path) -> None:
    without = host.load(command_wasm, grants=["exec:/usr/bin/uname"]).check({"run": "echo hi"})
    assert without.status == "error" and without.error is not None
    assert (without.error.type, without.error.code) == ("capability", "exec:/bin/sh")
    with_shell = host.load(command_wasm, grants=["exec:/bin/sh"]).check({"run": "echo hi | tr a-z A-Z"})
    assert with_shell.status == "success" and with_shell.data["stdout"] == "HI\n"
    assert with_shell.data["command"] == "/bin/sh" and with_shell.data["args"] == ["-c", "echo hi | tr a-z A-Z"]


def test_command_config_errors(host: Host, command_wasm: Path) -> None:
    result = host.load(command_wasm).check({"command": "/usr/bin/id", "run": "id"})
    assert result.error is not None and result.error.type == "config"


def test_file_facts_content_and_hash(host: Host, file_wasm: Path) -> None:
    plugin = host.load(file_wasm, grants=[f"fs:read:{REPO}/**"])
    path = REPO / "pyproject.toml"
    result = plugin.check({"path": str(path), "read_content": True, "hash": True})
    assert result.status == "success"
    data = result.data
    info = path.stat()
    assert data["exists"] is True and data["readable"] is True and data["is_dir"] is False
    assert data["size"] == info.st_size and data["uid"] == info.st_uid and data["gid"] == info.st_gid
    assert data["permissions"] == stat.filemode(info.st_mode) and data["mode"] == oct(info.st_mode & 0o7777)
    assert data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert data["encoding"] == "base64" and data["is_symlink"] is False
    assert {"path", "mod_time", "content_b64"} <= set(data)


def test_file_missing_inside_a_grant_is_success_with_exists_false(host: Host, file_wasm: Path) -> None:
    result = host.load(file_wasm, grants=[f"fs:read:{REPO}/**"]).check({"path": str(REPO / "no-such-file")})
    assert result.status == "success" and result.data["exists"] is False


def test_file_outside_every_grant_is_a_capability_error_not_a_missing_file(host: Host, file_wasm: Path) -> None:
    result = host.load(file_wasm, grants=[f"fs:read:{REPO}/**"]).check({"path": "/etc/passwd"})
    assert result.status == "error" and result.error is not None
    assert (result.error.type, result.error.code) == ("capability", "fs:read:/etc/passwd")


def test_file_with_an_exact_file_grant_reads_and_hashes_that_file_only(
    host: Host, file_wasm: Path, tmp_path: Path
) -> None:
    # The case: `--grant fs:read:/etc/ssh/sshd_config` mounts nothing (WASI mounts directories),
    # so the content comes through Host.FsRead; the file beside it stays out of reach.
    config = tmp_path / "sshd_config"
    config.write_bytes(b"PermitRootLogin no\n")
    (tmp_path / "beside").write_bytes(b"not granted\n")
    plugin = host.load(file_wasm, grants=[f"fs:read:{config}"])
    result = plugin.check({"path": str(config), "read_content": True, "hash": True})
    assert result.status == "success", result.error
    assert result.data["sha256"] == hashlib.sha256(b"PermitRootLogin no\n").hexdigest()
    assert result.data["content_b64"] == "UGVybWl0Um9vdExvZ2luIG5vCg==" and result.data["content_truncated"] is False
    beside = plugin.check({"path": str(tmp_path / "beside"), "hash": True})
    assert beside.status == "error" and beside.error is not None
    assert (beside.error.type, beside.error.code) == ("capability", f"fs:read:{tmp_path}/beside")


def test_file_with_an_exact_file_grant_tells_missing_from_not_granted(
    host: Host, file_wasm: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "sshd_config"
    plugin = host.load(file_wasm, grants=[f"fs:read:{missing}"])
    absent = plugin.check({"path": str(missing), "hash": True})
    assert absent.status == "success" and absent.data == {"path": str(missing), "exists": False, "readable": False}
    refused = plugin.check({"path": str(tmp_path / "other"), "hash": True})
    assert refused.status == "error" and refused.error is not None and refused.error.type == "capability"


def test_file_refuses_to_read_a_fifo_and_does_not_hang(host: Host, file_wasm: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = host.load(file_wasm, grants=[f"fs:read:{fifo}"]).check({"path": str(fifo), "hash": True})
    assert result.status == "failure" and result.data["readable"] is False
    assert "not a regular file" in result.message
