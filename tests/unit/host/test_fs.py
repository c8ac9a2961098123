"""host.fs (FsStat) natively, through the binding table as the component calls it."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from reglet_abi.reglet.v1 import FsStatRequest, guest
from reglet_abi.reglet.v1.host import host_transport
from reglet_sdk import fs
from tests.unit.host.support import handlers


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
    # Decided on the target (outside the grant); the denial names only the path the plugin asked for.
    assert followed.error is not None and followed.error.code == f"fs:read:{link}"
    assert "/etc/passwd" not in followed.error.message


def test_the_wrapper_gives_a_complete_frozen_file_info(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("hello")
    guest.host.use_transport(host_transport(handlers(f"fs:read:{tmp_path}/**")))
    try:
        info = fs.stat(str(target))
    finally:
        guest.host.use_transport(None)
    expected = os.lstat(target)
    assert info == fs.FileInfo(
        path=str(target),
        exists=True,
        size=5,
        mode=expected.st_mode,
        uid=expected.st_uid,
        gid=expected.st_gid,
        mod_time=info.mod_time,
    )
    assert info.mod_time is not None and abs(info.mod_time.timestamp() - expected.st_mtime) < 1
    assert {field.name for field in dataclasses.fields(info)} <= vars(info).keys()  # every field is set
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.size = 0  # type: ignore[misc]  # the point: it is frozen
