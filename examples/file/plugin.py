"""The built-in `file` plugin: facts about one path, read through the sandbox's granted directories.

Config (as in Reglet): `path` (required), `read_content` (false), `hash` (false). A missing file is a
success with exists=false; a path outside the granted directories is reported as not readable.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from reglet_sdk import Metadata, Result, config, plugin, schema
from reglet_sdk.context import Context

MAX_CONTENT = 10 << 20  # bytes of content returned at most


@dataclass
class FileConfig:
    """Which path to inspect."""

    path: str = field(metadata={"description": "The file or directory to inspect."})
    read_content: bool = field(default=False, metadata={"description": "Return the content (base64, at most 10 MiB)."})
    hash: bool = field(default=False, metadata={"description": "Return the SHA-256 of the content."})


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
        data: dict[str, Any] = {"path": path}
        try:
            link = os.lstat(path)
        except FileNotFoundError:
            return Result.success(f"{path} does not exist", {**data, "exists": False, "readable": False})
        except OSError as exc:
            return Result.failure(
                f"{path} cannot be inspected: {exc.strerror}",
                {**data, "exists": False, "readable": False, "error": exc.strerror},
            )
        is_symlink = stat.S_ISLNK(link.st_mode)
        info = os.stat(path) if is_symlink else link
        data.update(
            exists=True,
            is_dir=stat.S_ISDIR(info.st_mode),
            size=info.st_size,
            mode=oct(stat.S_IMODE(info.st_mode)),
            permissions=stat.filemode(info.st_mode),
            mod_time=datetime.datetime.fromtimestamp(info.st_mtime, datetime.UTC).isoformat().replace("+00:00", "Z"),
            uid=info.st_uid,
            gid=info.st_gid,
            is_symlink=is_symlink,
        )
        if is_symlink:
            data["symlink_target"] = os.readlink(path)
        if data["is_dir"]:
            data["readable"] = os.access(path, os.R_OK)
            return Result.success(f"{path} is a directory", data)
        try:
            with open(path, "rb") as handle:
                content = handle.read(MAX_CONTENT + 1) if settings.read_content or settings.hash else b""
                digest = hashlib.sha256(content)
                if settings.hash:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
        except OSError as exc:
            data["readable"] = False
            return Result.failure(f"{path} exists but cannot be read: {exc.strerror}", data)
        data["readable"] = True
        if settings.read_content:
            data["content_b64"] = base64.b64encode(content[:MAX_CONTENT]).decode("ascii")
            data["encoding"] = "base64"
            data["content_truncated"] = len(content) > MAX_CONTENT
        if settings.hash:
            data["sha256"] = digest.hexdigest()
        return Result.success(f"{path} exists ({info.st_size} bytes)", data)


plugin.register(File())
