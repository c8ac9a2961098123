"""host.fs.fs_read (FsRead) natively through the binding table, and the fs.read_* wrappers on top of it."""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reglet_abi.reglet.v1 import CallContext, FsReadRequest, FsReadResponse, FsStatRequest, guest
from reglet_abi.reglet.v1.host import host_transport
from reglet_sdk import fs
from reglet_sdk.errors import CapabilityError, FileTooLargeError, FsError, FsNotFoundError
from reglet_sdk.host import fs as host_fs
from reglet_sdk.host.handlers import CallHandlers
from reglet_sdk.host.policy import as_policy
from tests.unit.host.support import handlers


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """granted/config (exact-file grant target), granted/sibling, outside/secret, links in and out."""
    granted = tmp_path / "granted"
    granted.mkdir()
    (tmp_path / "outside").mkdir()
    (granted / "config").write_bytes(b"PermitRootLogin no\n")
    (granted / "sibling").write_bytes(b"not granted\n")
    (tmp_path / "outside" / "secret").write_bytes(b"secret\n")
    (granted / "escape").symlink_to(tmp_path / "outside" / "secret")
    (granted / "alias").symlink_to("config")
    return tmp_path


def read(h: CallHandlers, path: str | Path, max_bytes: int = 0) -> FsReadResponse:
    return h.fs_read(FsReadRequest(path=str(path), max_bytes=max_bytes))


def code(response: FsReadResponse) -> tuple[str, str]:
    assert response.error is not None, response
    assert response.content == b""
    return response.error.type, response.error.code


def test_an_exact_file_grant_reads_that_file_with_its_size(tree: Path) -> None:
    target = tree / "granted" / "config"
    response = read(handlers(f"fs:read:{target}"), target)
    assert (response.error, response.content, response.truncated, response.size) == (
        None,
        b"PermitRootLogin no\n",
        False,
        19,
    )


def test_a_sibling_under_the_same_directory_is_denied_naming_the_path_asked(tree: Path) -> None:
    response = read(handlers(f"fs:read:{tree}/granted/config"), tree / "granted" / "sibling")
    assert code(response) == ("capability", f"fs:read:{tree}/granted/sibling")


def test_max_bytes_cuts_the_content_and_says_so(tree: Path) -> None:
    response = read(handlers(f"fs:read:{tree}/granted/**"), tree / "granted" / "config", max_bytes=4)
    assert (response.content, response.truncated, response.size) == (b"Perm", True, 19)
    exact = read(handlers(f"fs:read:{tree}/granted/**"), tree / "granted" / "config", max_bytes=19)
    assert (exact.content, exact.truncated) == (b"PermitRootLogin no\n", False)


def test_the_host_caps_a_larger_ask_at_its_own_maximum(tree: Path) -> None:
    request = FsReadRequest(path=str(tree / "granted" / "config"), max_bytes=2**64 - 1)
    response = host_fs.fs_read(as_policy([f"fs:read:{tree}/**"]), request, max_read=6)
    assert (response.content, response.truncated, response.size) == (b"Permit", True, 19)
    assert host_fs.MAX_READ == 10 << 20


def test_a_link_out_of_the_grant_is_denied_and_the_denial_names_only_the_link(tree: Path) -> None:
    response = read(handlers(f"fs:read:{tree}/granted/**"), tree / "granted" / "escape")
    assert code(response) == ("capability", f"fs:read:{tree}/granted/escape")
    assert "outside" not in response.error.message  # type: ignore[union-attr]


def test_a_link_to_the_granted_file_is_read_the_grant_is_decided_on_the_target(tree: Path) -> None:
    response = read(handlers(f"fs:read:{tree}/granted/config"), tree / "granted" / "alias")
    assert response.error is None and response.content == b"PermitRootLogin no\n"


def test_dot_dot_out_of_the_grant_is_denied(tree: Path) -> None:
    response = read(handlers(f"fs:read:{tree}/granted/**"), f"{tree}/granted/../outside/secret")
    assert code(response) == ("capability", f"fs:read:{tree}/outside/secret")


def test_a_relative_path_is_resolved_against_the_working_directory(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree / "granted")
    h = handlers(f"fs:read:{tree}/granted/config")
    assert read(h, "config").content == b"PermitRootLogin no\n"
    assert code(read(h, "sibling")) == ("capability", "fs:read:sibling")


def test_a_missing_file_is_not_found_and_not_a_denial(tree: Path) -> None:
    response = read(handlers(f"fs:read:{tree}/granted/**"), tree / "granted" / "missing")
    assert code(response) == ("fs", "NOT_FOUND") and response.error.is_not_found  # type: ignore[union-attr]
    ungranted = read(handlers(f"fs:read:{tree}/granted/config"), tree / "granted" / "missing")
    assert code(ungranted)[0] == "capability"


def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(tree: Path) -> None:
    fifo = tree / "granted" / "pipe"
    os.mkfifo(fifo)
    started = time.monotonic()
    response = read(handlers(f"fs:read:{fifo}"), fifo)
    assert code(response) == ("fs", "NOT_A_REGULAR_FILE") and "FIFO" in response.error.message  # type: ignore[union-attr]
    assert time.monotonic() - started < 5


def test_devices_and_directories_are_refused(tree: Path) -> None:
    h = handlers("fs:read:/dev/zero", "fs:read:/dev/null", f"fs:read:{tree}/granted")
    assert code(read(h, "/dev/zero")) == ("fs", "NOT_A_REGULAR_FILE")
    assert code(read(h, "/dev/null")) == ("fs", "NOT_A_REGULAR_FILE")
    assert code(read(h, tree / "granted")) == ("fs", "NOT_A_REGULAR_FILE")


def test_a_proc_file_reports_at_least_what_was_read_though_it_stats_as_empty() -> None:
    response = read(handlers("fs:read:/proc/**"), "/proc/self/status")
    assert response.error is None and response.content.startswith(b"Name:")
    assert response.size >= len(response.content) > 0


@pytest.mark.parametrize(("path", "what"), [("", "is empty"), ("/etc/pass\0wd", "NUL")])
def test_bad_paths_are_invalid_requests(path: str, what: str) -> None:
    response = read(handlers("fs:read:/etc/**"), path)
    assert code(response) == ("validation", "INVALID_REQUEST") and what in response.error.message  # type: ignore[union-attr]


def test_a_canceled_request_or_a_past_deadline_reads_nothing(tree: Path) -> None:
    target = str(tree / "granted" / "config")
    canceled = handlers(f"fs:read:{target}").fs_read(FsReadRequest(path=target, context=CallContext(canceled=True)))
    assert code(canceled) == ("timeout", "CANCELED")
    late = CallHandlers("t", "r1", lambda record: None, as_policy([f"fs:read:{target}"]), deadline=time.monotonic())
    assert code(read(late, target)) == ("timeout", "TIMEOUT")


def test_the_read_stops_at_the_call_deadline(tree: Path) -> None:
    big = tree / "granted" / "big"
    big.write_bytes(b"x" * (3 * host_fs.READ_CHUNK))
    response = host_fs.fs_read(
        as_policy([f"fs:read:{big}"]), FsReadRequest(path=str(big)), deadline=time.monotonic() - 1
    )
    assert code(response) == ("timeout", "TIMEOUT") and response.error.is_timeout  # type: ignore[union-attr]


def test_the_plugins_own_budget_can_end_the_read_sooner(tree: Path) -> None:
    big = tree / "granted" / "big"
    big.write_bytes(b"x" * (3 * host_fs.READ_CHUNK))
    late = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    request = FsReadRequest(path=str(big), context=CallContext(deadline=late))
    response = host_fs.fs_read(as_policy([f"fs:read:{big}"]), request, deadline=time.monotonic() + 60)
    assert code(response) == ("timeout", "TIMEOUT")


def test_a_file_swapped_for_a_link_just_before_the_open_is_not_read(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tree / "granted" / "config"
    real_open = os.open

    def swap_then_open(path: str, flags: int, *args: int) -> int:
        config.unlink()
        config.symlink_to(tree / "outside" / "secret")  # the worst moment: after the check, before the open
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", swap_then_open)
    response = read(handlers(f"fs:read:{config}"), config)
    assert code(response) == ("fs", "PATH_CHANGED")


@pytest.mark.parametrize(("moment", "answer"), [("open", ("fs", "PATH_CHANGED")), ("stat", ("capability", ""))])
def test_a_directory_swapped_for_a_link_after_the_check_is_not_read(
    tree: Path, monkeypatch: pytest.MonkeyPatch, moment: str, answer: tuple[str, str]
) -> None:
    # Swapped just before the open, the opened file is not the one examined (st_dev/st_ino differ);
    # swapped before that examination too, the kernel's name of the opened file is outside the grant.
    sub = tree / "granted" / "sub"
    sub.mkdir()
    (sub / "secret").write_bytes(b"granted copy\n")
    real = getattr(os, moment)

    def swap_then_call(path: str, *args: int, **kwargs: bool) -> object:
        if not os.path.islink(sub):
            (sub / "secret").unlink()
            sub.rmdir()
            sub.symlink_to(tree / "outside")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, moment, swap_then_call)
    response = read(handlers(f"fs:read:{tree}/granted/**"), sub / "secret")
    assert code(response)[0] == answer[0] and code(response)[1].startswith(answer[1])


def test_a_link_that_vanishes_while_it_is_resolved_is_path_changed_not_a_host_failure(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # realpath lstat()s a link, then readlink()s it: a swap in between made it raise, and the host
    # answered HOST_HANDLER_FAILED (found by the adversarial swap race). It retries, then says so.
    calls: list[str] = []

    def vanished(path: str, *args: object, **kwargs: object) -> str:
        calls.append(path)
        raise FileNotFoundError(2, "No such file or directory", path)

    monkeypatch.setattr(os, "readlink", vanished)
    h = handlers(f"fs:read:{tree}/granted/**")
    assert code(read(h, tree / "granted" / "alias")) == ("fs", "PATH_CHANGED")
    stat = h.fs_stat(FsStatRequest(path=str(tree / "granted" / "alias"), follow_symlinks=True))
    assert stat.error is not None and (stat.error.type, stat.error.code) == ("fs", "PATH_CHANGED")
    assert len(calls) >= 2  # retried before giving up


# --- the wrappers (reglet_sdk.fs), natively against these handlers -----------------------------------


@pytest.fixture
def granted(tree: Path) -> Iterator[Path]:
    """The guest stub talks to real handlers granted exactly granted/config and granted/big."""
    (tree / "granted" / "big").write_bytes("é".encode() * 10)
    h = handlers(f"fs:read:{tree}/granted/config", f"fs:read:{tree}/granted/big", f"fs:read:{tree}/granted")
    guest.host.use_transport(host_transport(h))
    try:
        yield tree / "granted"
    finally:
        guest.host.use_transport(None)


def test_read_bytes_and_read_text_return_the_whole_file(granted: Path) -> None:
    assert fs.read_bytes(str(granted / "config")) == b"PermitRootLogin no\n"
    assert fs.read_text(str(granted / "config")) == "PermitRootLogin no\n"
    assert fs.read_text(str(granted / "big"), encoding="latin-1") == "Ã©" * 10


def test_a_cut_file_raises_unless_the_caller_accepts_it(granted: Path) -> None:
    with pytest.raises(FileTooLargeError) as cut:
        fs.read_bytes(str(granted / "big"), max_bytes=5)
    assert "is 20 bytes, more than the 5 read" in str(cut.value) and cut.value.detail.code == "TRUNCATED"
    with pytest.raises(FileTooLargeError):
        fs.read_text(str(granted / "big"), max_bytes=5)
    assert fs.read_bytes(str(granted / "big"), max_bytes=5, allow_truncated=True) == "é".encode() * 2 + b"\xc3"
    # the half character at the cut is dropped, not a decoding error
    assert fs.read_text(str(granted / "big"), max_bytes=5, allow_truncated=True) == "éé"
    found = fs.read(str(granted / "big"), max_bytes=5)
    assert (found.truncated, found.size, len(found.content)) == (True, 20, 5)


def test_wrapper_errors_tell_denied_missing_and_not_a_file_apart(granted: Path) -> None:
    with pytest.raises(CapabilityError):
        fs.read_bytes(str(granted / "sibling"))
    (granted / "config").unlink()
    with pytest.raises(FsNotFoundError) as missing:
        fs.read_bytes(str(granted / "config"))
    assert isinstance(missing.value, FileNotFoundError)
    with pytest.raises(FsError) as directory:
        fs.read_text(str(granted))
    assert directory.value.detail.code == "NOT_A_REGULAR_FILE"
    with pytest.raises(ValueError, match="max_bytes must be a positive"):
        fs.read_bytes(str(granted / "big"), max_bytes=0)
