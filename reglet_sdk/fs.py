"""Files through the host: metadata (`stat`) and contents (`read`, `read_bytes`, `read_text`).

Inside the sandbox `open()` and `os.stat()` work on granted directories, but WASI reports neither
owners nor permission bits, and it mounts whole directories only: `fs:read:/etc/ssh/sshd_config`
mounts nothing. These functions ask the host, which answers only for paths its fs read grants allow
(decided after symlinks and `..` are resolved; a CapabilityError otherwise), so an exact-file grant
is enough to read that one file and nothing beside it.

- `stat(path)`: a missing path is a FileInfo with exists=False.
- `read_bytes(path)` / `read_text(path)`: a missing file raises FsNotFoundError (also a
  FileNotFoundError), a directory, FIFO, device or socket raises FsError (code NOT_A_REGULAR_FILE).
  The host reads at most `max_bytes` (default and maximum: the host's, 10 MiB on the reference host);
  a larger file raises FileTooLargeError unless `allow_truncated=True`, so a check never hashes or
  parses half a file by accident. `read(path)` returns a FileContent that says itself whether it
  was cut, and never raises for that.
"""

from __future__ import annotations

import codecs
import datetime
import stat as stat_module
from dataclasses import dataclass
from typing import Any

from reglet_abi.reglet.v1 import FsReadRequest, FsStatRequest, guest
from reglet_sdk import context
from reglet_sdk.context import Context
from reglet_sdk.errors import ErrorDetail, FileTooLargeError, raise_for_error


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


@dataclass(frozen=True)
class FileContent:
    """What the host read of a file."""

    path: str
    content: bytes
    """The first bytes of the file (all of them unless `truncated`)."""
    truncated: bool
    """True when the file goes on past `content` (it is larger than the bytes read)."""
    size: int
    """The file's full size in bytes, as the host saw it when it opened the file."""


def read(path: str, *, max_bytes: int | None = None, ctx: Context | None = None) -> FileContent:
    """The host's read of the regular file `path`, at most `max_bytes` (None: the host's default).

    Never raises because the file is larger: look at `truncated`. Raises CapabilityError when the path
    (after symlinks are resolved) is not granted, FsNotFoundError when nothing is there, FsError when
    it is not a regular file or cannot be read, HostTimeoutError at the call's deadline.
    """
    if max_bytes is not None and max_bytes <= 0:
        raise ValueError(f"max_bytes must be a positive number of bytes, not {max_bytes}")
    response = guest.host.fs_read(
        FsReadRequest(context=(ctx or context.current()).to_proto(), path=path, max_bytes=max_bytes or 0)
    )
    raise_for_error(response.error)
    return FileContent(path=path, content=response.content, truncated=response.truncated, size=response.size)


def _refuse_cut(found: FileContent, allow_truncated: bool) -> None:
    """Raises FileTooLargeError for a cut read the caller did not accept."""
    if found.truncated and not allow_truncated:
        raise FileTooLargeError(
            ErrorDetail(
                type="fs",
                code="TRUNCATED",
                message=f"{found.path} is {found.size} bytes, more than the {len(found.content)} read; pass a "
                "larger max_bytes (the host caps it), or allow_truncated=True to use the first bytes only",
                details={"path": found.path, "size": str(found.size), "read": str(len(found.content))},
            )
        )


def read_bytes(
    path: str, *, max_bytes: int | None = None, allow_truncated: bool = False, ctx: Context | None = None
) -> bytes:
    """The contents of the regular file `path` (see `read` for the errors).

    A file larger than `max_bytes` (None: the host's default, 10 MiB on the reference host) raises
    FileTooLargeError, so a check never hashes or parses half a file unknowingly; with
    `allow_truncated=True` its first `max_bytes` bytes are returned instead.
    """
    found = read(path, max_bytes=max_bytes, ctx=ctx)
    _refuse_cut(found, allow_truncated)
    return found.content


def read_text(
    path: str,
    *,
    encoding: str = "utf-8",
    errors: str = "strict",
    max_bytes: int | None = None,
    allow_truncated: bool = False,
    ctx: Context | None = None,
) -> str:
    """The contents of the regular file `path`, decoded (`encoding` and `errors` as for bytes.decode).

    Truncation as `read_bytes`; when `allow_truncated` lets a cut file through, a character cut in
    half at the end is dropped rather than reported as a decoding error.
    """
    found = read(path, max_bytes=max_bytes, ctx=ctx)
    _refuse_cut(found, allow_truncated)
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    return str(decoder.decode(found.content, final=not found.truncated))
