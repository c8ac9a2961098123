"""The fs host functions, within the fs read grants.

FsStat: lstat/stat of a path (WASI reports no owner or mode). FsRead: the contents of one regular
file, so the narrowest grant there is (`fs:read:/etc/ssh/sshd_config`, which WASI cannot mount: it
mounts whole directories) is enough to read it.
"""

from __future__ import annotations

import datetime
import errno
import math
import os
import stat
import time

from reglet_abi.reglet.v1 import (
    ErrorDetail as ErrorDetailMessage,
    FsReadRequest,
    FsReadResponse,
    FsStatRequest,
    FsStatResponse,
)
from reglet_sdk.host.deadlines import MINIMUM, effective_timeout
from reglet_sdk.host.policy import PathChanged, Policy, denial, lexical_path, normalise_path
from reglet_sdk.host.rules import Rule

MAX_READ = 10 << 20
"""Bytes FsRead returns at most (also its default): a plugin may ask for fewer, never more."""
READ_CHUNK = 1 << 20
"""Bytes read between two looks at the call's deadline."""
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | os.O_NOFOLLOW
# O_NONBLOCK: a FIFO swapped in at the last moment opens without waiting for a writer (and is refused);
# O_NOCTTY: a terminal never becomes the host's controlling one; O_NOFOLLOW: the checked path has no
# symlink left, so one appearing at its last component is a swap, refused by the kernel (ELOOP).


def _path_problem(message: str, path: str) -> ErrorDetailMessage | None:
    """The validation error of a request path (empty, or holding a NUL), or None."""
    if not path:
        return ErrorDetailMessage(
            type="validation", code="INVALID_REQUEST", message=f"{message}.path is empty; name the path to examine."
        )
    if "\0" in path:
        return ErrorDetailMessage(
            type="validation", code="INVALID_REQUEST", message=f"{message}.path contains a NUL character."
        )
    return None


def fs_stat(policy: Policy, request: FsStatRequest) -> FsStatResponse:
    """The path's type, size, mode, owner and mtime; a missing path is exists=false, not an error."""
    problem = _path_problem("FsStatRequest", request.path)
    if problem is not None:
        return FsStatResponse(error=problem)
    follow = request.follow_symlinks
    try:
        checked = normalise_path(request.path, follow_symlinks=follow)
        allowed = policy.fs(checked, write=False, follow_symlinks=follow) is not None
    except PathChanged:
        return FsStatResponse(error=_path_changed(lexical_path(request.path)).error)
    if not allowed:
        # Decided on the resolved path; the denial names only what the plugin asked for.
        return FsStatResponse(error=denial(Rule.fs(lexical_path(request.path))))
    try:
        info = os.stat(checked) if follow else os.lstat(checked)
    except FileNotFoundError:
        return FsStatResponse(exists=False)
    except OSError as exc:
        return FsStatResponse(
            error=ErrorDetailMessage(
                type="internal", code="STAT_FAILED", message=f"{request.path} cannot be examined: {exc.strerror}"
            )
        )
    is_symlink = stat.S_ISLNK(info.st_mode)
    return FsStatResponse(
        exists=True,
        is_dir=stat.S_ISDIR(info.st_mode),
        is_symlink=is_symlink,
        symlink_target=os.readlink(checked) if is_symlink else "",
        size=info.st_size,
        mode=info.st_mode,
        uid=info.st_uid,
        gid=info.st_gid,
        mod_time=datetime.datetime.fromtimestamp(info.st_mtime, datetime.UTC),
    )


class _Refused(Exception):
    """FsRead stops: `error` is the answer."""

    def __init__(self, error: ErrorDetailMessage) -> None:
        super().__init__(error.message)
        self.error = error


def _fs_error(code: str, message: str, *, not_found: bool = False) -> _Refused:
    return _Refused(ErrorDetailMessage(type="fs", code=code, message=message, is_not_found=not_found))


def _path_changed(asked: str) -> _Refused:
    return _fs_error(
        "PATH_CHANGED",
        f"{asked} changed while it was being resolved or opened (its symlinks are being swapped), so nothing "
        "was read. Try again once the path is stable.",
    )


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    kinds = {
        stat.S_ISDIR: "a directory",
        stat.S_ISFIFO: "a FIFO (named pipe)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((word for test, word in kinds.items() if test(mode)), "not a regular file")


def _not_regular(asked: str, mode: int) -> _Refused:
    return _fs_error(
        "NOT_A_REGULAR_FILE",
        f"{asked} is {_kind(mode)}, not a regular file, so it was not read (FsRead reads regular files only; "
        "use fs.stat for metadata, or read a directory's files one by one).",
    )


def _open_failed(asked: str, exc: OSError) -> _Refused:
    if exc.errno == errno.ENOENT:
        return _fs_error("NOT_FOUND", f"{asked} does not exist.", not_found=True)
    if exc.errno == errno.ELOOP:  # the checked path had no symlink; one appeared since (a swap)
        return _path_changed(asked)
    if exc.errno == errno.ENXIO:  # a socket (or a FIFO without a writer on some systems)
        return _fs_error("NOT_A_REGULAR_FILE", f"{asked} is not a regular file, so it was not read.")
    return _fs_error("READ_FAILED", f"{asked} cannot be read by the host: {exc.strerror}.")


def _open_checked(policy: Policy, resolved: str, asked: str) -> tuple[int, os.stat_result]:
    """An fd of the granted regular file at `resolved`, proven to be the file the grant was decided on."""
    try:
        before = os.stat(resolved)
    except OSError as exc:
        raise _open_failed(asked, exc) from None
    if not stat.S_ISREG(before.st_mode):  # refused before any open: opening a device can have effects
        raise _not_regular(asked, before.st_mode)
    try:
        fd = os.open(resolved, _OPEN_FLAGS)
    except OSError as exc:
        raise _open_failed(asked, exc) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(asked, info.st_mode)
        if (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino):
            raise _path_changed(asked)
        opened = _opened_path(fd)
        # A directory on the way swapped for a symlink leads the open elsewhere: the kernel's name of
        # the opened file must be granted too.
        if opened is not None and policy.fs(opened, write=False) is None:
            raise _Refused(denial(Rule.fs(asked)))
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def _opened_path(fd: int) -> str | None:
    """The kernel's path of an open file (Linux /proc), or None where there is no such view."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def _timed_out(asked: str) -> _Refused:
    return _Refused(
        ErrorDetailMessage(
            type="timeout",
            code="TIMEOUT",
            message=f"Host.FsRead: the time for the call ran out before {asked} was read.",
            is_timeout=True,
        )
    )


def _read_capped(fd: int, limit: int, asked: str, until: float) -> tuple[bytes, bool]:
    """At most `limit` bytes from `fd` (one more is read to know whether there is more), and whether cut.

    `until` (a time.monotonic() instant) ends the read with a timeout error.
    """
    data = bytearray()
    while len(data) <= limit:
        if time.monotonic() >= until:
            raise _timed_out(asked)
        try:
            chunk = os.read(fd, min(READ_CHUNK, limit + 1 - len(data)))
        except OSError as exc:
            raise _fs_error("READ_FAILED", f"{asked} cannot be read by the host: {exc.strerror}.") from None
        if not chunk:
            return bytes(data), False
        data += chunk
    return bytes(data[:limit]), True


def fs_read(
    policy: Policy, request: FsReadRequest, *, deadline: float | None = None, max_read: int = MAX_READ
) -> FsReadResponse:
    """The first bytes (at most max_bytes, capped at `max_read`) of a granted regular file.

    The grant is decided on the resolved path (symlinks followed, `..` removed); the denial names only
    the path as asked. Anything but a regular file is refused without being read, and the opened file
    must be the one the grant was decided on. The host's `deadline` (a time.monotonic() instant), or
    sooner the request context's deadline or budget, ends the read.
    """
    problem = _path_problem("FsReadRequest", request.path)
    if problem is not None:
        return FsReadResponse(error=problem)
    asked = lexical_path(request.path)
    try:
        resolved = normalise_path(request.path)
        allowed = policy.fs(resolved, write=False) is not None
    except PathChanged:
        return FsReadResponse(error=_path_changed(asked).error)
    if not allowed:
        return FsReadResponse(error=denial(Rule.fs(asked)))
    limit = min(request.max_bytes or max_read, max_read)
    budget = effective_timeout(0, math.inf, request.context, deadline=deadline)
    until = time.monotonic() + budget if budget > MINIMUM else 0.0  # no time left: nothing is opened
    try:
        if time.monotonic() >= until:
            raise _timed_out(asked)
        fd, info = _open_checked(policy, resolved, asked)
        try:
            content, truncated = _read_capped(fd, limit, asked, until)
        finally:
            os.close(fd)
    except _Refused as refused:
        return FsReadResponse(error=refused.error)
    # Files in /proc report size 0 yet have contents: the size is at least what was read.
    size = max(info.st_size, len(content) + (1 if truncated else 0))
    return FsReadResponse(content=content, truncated=truncated, size=size)
