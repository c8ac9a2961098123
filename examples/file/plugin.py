"""The built-in `file` plugin: facts about one path.

Config (as in Reglet): `path` (required), `read_content` (false), `hash` (false). Everything comes
from the host, so an exact-file grant is enough (`--grant fs:read:/etc/ssh/sshd_config`): owner,
permission bits, size and times from `reglet_sdk.fs.stat` (WASI reports no owners or modes), the
content from `reglet_sdk.fs.read` (WASI mounts whole directories only). A missing file is a success
with exists=false; a path the plugin was not granted is an error of type `capability`, never a false
"does not exist". A file larger than the host's read limit (10 MiB) is reported with
content_truncated; its hash is an error rather than the hash of its first part.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from reglet_sdk import ErrorDetail, Metadata, Result, config, fs, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.errors import CapabilityError, FsError, FsNotFoundError, RegletError

MAX_CONTENT = 10 << 20  # bytes of content returned at most (the reference host's read limit too)


@dataclass
class FileConfig:
    """Which path to inspect."""

    path: str = field(metadata={"description": "The file or directory to inspect."})
    read_content: bool = field(default=False, metadata={"description": "Return the content (base64, at most 10 MiB)."})
    hash: bool = field(default=False, metadata={"description": "Return the SHA-256 of the content."})


def facts(path: str, info: fs.FileInfo) -> dict[str, Any]:
    """The metadata part of the result data."""
    data: dict[str, Any] = {
        "path": path,
        "exists": True,
        "is_dir": info.is_dir,
        "size": info.size,
        "mode": info.octal_mode,
        "permissions": info.permissions,
        "mod_time": info.mod_time.isoformat().replace("+00:00", "Z") if info.mod_time else None,
        "uid": info.uid,
        "gid": info.gid,
        "is_symlink": info.is_symlink,
    }
    if info.is_symlink:
        data["symlink_target"] = info.symlink_target
    return data


def add_content(settings: FileConfig, data: dict[str, Any]) -> Result:
    """Reads the file through the host (one byte when only readability is asked) and reports it."""
    path = settings.path
    wanted = settings.read_content or settings.hash
    try:
        found = fs.read(path, max_bytes=MAX_CONTENT if wanted else 1)
    except CapabilityError as exc:  # e.g. a granted link whose target is not granted
        return Result.from_error(exc.detail)
    except FsNotFoundError:  # removed since it was examined
        return Result.success(f"{path} does not exist", {"path": path, "exists": False, "readable": False})
    except FsError as exc:
        data["readable"] = False
        return Result.failure(f"{path} exists but cannot be read: {exc.detail.message}", data)
    data["readable"] = True
    if settings.hash and found.truncated:
        return Result.from_error(
            ErrorDetail(
                "fs",
                f"{path} is {found.size} bytes, more than the {MAX_CONTENT} the host reads, so it was not hashed "
                "(a hash of its first part would not identify the file)",
                code="TRUNCATED",
            )
        )
    if settings.read_content:
        data["content_b64"] = base64.b64encode(found.content).decode("ascii")
        data["encoding"] = "base64"
        data["content_truncated"] = found.truncated
    if settings.hash:
        data["sha256"] = hashlib.sha256(found.content).hexdigest()
    return Result.success(f"{path} exists ({data['size']} bytes)", data)


class File(plugin.Plugin):
    """Inspects one path per check."""

    def describe(self, ctx: Context) -> Metadata:
        """Who this plugin is."""
        return Metadata(name="file", version="1.0.0")

    def schema(self, ctx: Context) -> bytes:
        """The JSON Schema of FileConfig."""
        return schema.generate_schema(FileConfig)

    def check(self, ctx: Context, cfg: dict[str, Any]) -> Result:
        """Reports the path's facts; success unless it exists but cannot be read."""
        settings = config.load(FileConfig, cfg)
        path = settings.path
        try:
            info = fs.stat(path)
        except RegletError as exc:
            return Result.from_error(exc.detail)
        if not info.exists:
            return Result.success(f"{path} does not exist", {"path": path, "exists": False, "readable": False})
        data = facts(path, info)
        if info.is_dir:
            data["readable"] = True
            return Result.success(f"{path} is a directory", data)
        return add_content(settings, data)


plugin.register(File())
