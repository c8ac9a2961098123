"""The FsStat host function: lstat/stat of a path under an fs read grant (WASI reports no owner or mode)."""

from __future__ import annotations

import datetime
import os
import stat

from reglet_abi.reglet.v1 import ErrorDetail as ErrorDetailMessage, FsStatRequest, FsStatResponse
from reglet_sdk.host.policy import Policy, denial, lexical_path, normalise_path
from reglet_sdk.host.rules import Rule


def fs_stat(policy: Policy, request: FsStatRequest) -> FsStatResponse:
    """The path's type, size, mode, owner and mtime; a missing path is exists=false, not an error."""
    if not request.path:
        return FsStatResponse(
            error=ErrorDetailMessage(
                type="validation",
                code="INVALID_REQUEST",
                message="FsStatRequest.path is empty; name the path to examine.",
            )
        )
    if "\0" in request.path:
        return FsStatResponse(
            error=ErrorDetailMessage(
                type="validation", code="INVALID_REQUEST", message="FsStatRequest.path contains a NUL character."
            )
        )
    follow = request.follow_symlinks
    checked = normalise_path(request.path, follow_symlinks=follow)
    if policy.fs(checked, write=False, follow_symlinks=follow) is None:
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
