"""File metadata from the host: owner, permission bits, size and times of a path.

Inside the sandbox `open()` and `os.stat()` work on granted directories, but WASI reports neither
owners nor permission bits. `fs.stat(path)` asks the host, which answers only for paths under an fs
read grant (a CapabilityError otherwise); a missing path is a FileInfo with exists=False.
"""

from __future__ import annotations

import datetime
import stat as stat_module
from dataclasses import dataclass
from typing import Any

from reglet_abi.reglet.v1 import FsStatRequest, guest
from reglet_sdk import context
from reglet_sdk.context import Context
from reglet_sdk.errors import raise_for_error


@dataclass(frozen=True)
class FileInfo:
    """What the host saw at a path."""

    path: str
    exists: bool
    is_dir: bool = False
    is_symlink: bool = False
    symlink_target: str = ""
    size: int = 0
    mode: int = 0
    """st_mode: type and permission bits."""
    uid: int = 0
    gid: int = 0
    mod_time: datetime.datetime | None = None

    @property
    def permissions(self) -> str:
        """`ls -l` style, e.g. "-rw-r--r--"."""
        return stat_module.filemode(self.mode)

    @property
    def octal_mode(self) -> str:
        """The permission bits in octal, e.g. "0o644"."""
        return oct(stat_module.S_IMODE(self.mode))


def _file_info(**fields: Any) -> FileInfo:
    """A FileInfo of every field, made without the frozen dataclass's `__init__`.

    That `__init__` calls object.__setattr__ once per field: inside a component it cost more than
    the rest of `stat` around the host call. The result is an ordinary (still frozen) FileInfo.
    """
    info = object.__new__(FileInfo)
    info.__dict__.update(fields)
    return info


def stat(path: str, *, follow_symlinks: bool = False, ctx: Context | None = None) -> FileInfo:
    """The host's lstat (or stat with follow_symlinks) of `path`; raises CapabilityError when not granted."""
    response = guest.host.fs_stat(
        FsStatRequest(context=(ctx or context.current()).to_proto(), path=path, follow_symlinks=follow_symlinks)
    )
    raise_for_error(response.error)
    return _file_info(
        path=path,
        exists=response.exists,
        is_dir=response.is_dir,
        is_symlink=response.is_symlink,
        symlink_target=response.symlink_target,
        size=response.size,
        mode=response.mode,
        uid=response.uid,
        gid=response.gid,
        mod_time=response.mod_time,
    )
