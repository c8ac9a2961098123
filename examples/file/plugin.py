"""The built-in `file` plugin: facts about one path.

Config (as in Reglet): `path` (required), `read_content` (false), `hash` (false). Owner, permission
bits, size and times come from the host (`reglet_sdk.fs.stat`: WASI reports no owners or modes);
content is read through the sandbox's granted directories. A missing file is a success with
exists=false; a path the plugin was not granted is an error of type `capability`, never a false
"does not exist".
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from reglet_sdk import Metadata, Result, config, fs, plugin, schema
from reglet_sdk.context import Context
from reglet_sdk.errors import RegletError

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
        try:
            info = fs.stat(path)
        except RegletError as exc:
            return Result.from_error(exc.detail)
        if not info.exists:
            return Result.success(f"{path} does not exist", {"path": path, "exists": False, "readable": False})
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
        if info.is_dir:
            data["readable"] = True
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
        return Result.success(f"{path} exists ({info.size} bytes)", data)


plugin.register(File())
