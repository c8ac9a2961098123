"""On-disk cache of compiled components, so a second load of the same plugin skips compilation.

Entries are keyed by a SHA-256 of the component bytes, the wasmtime version and the engine settings
that affect code generation. wasmtime's serialized artifacts are native code: only load what this
host wrote itself, so the cache folder is created private (0700).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib.metadata import version
from pathlib import Path

from wasmtime import Engine, WasmtimeError
from wasmtime.component import Component


def default_cache_dir() -> Path:
    """$REGLET_CACHE_DIR/compiled, else the user cache folder."""
    if "REGLET_CACHE_DIR" in os.environ:
        return Path(os.environ["REGLET_CACHE_DIR"]) / "compiled"
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "reglet-sdk" / "compiled"


class CompileCache:
    """Compiled components by content hash; counts hits and misses."""

    def __init__(self, directory: Path, engine_fingerprint: str) -> None:
        self.directory = directory
        self._fingerprint = f"wasmtime={version('wasmtime')};{engine_fingerprint}"
        self.hits = 0
        self.misses = 0

    def key(self, wasm: bytes) -> str:
        """The cache key of a component's bytes under this engine."""
        return hashlib.sha256(self._fingerprint.encode() + b"\0" + wasm).hexdigest()

    def path(self, wasm: bytes) -> Path:
        """Where the compiled form of `wasm` is (or would be) stored."""
        return self.directory / f"{self.key(wasm)}.cwasm"

    def trusted(self) -> bool:
        """Whether the cache folder is ours alone (owned by this user, not writable by others).

        Deserialising runs native code, so entries are read only from a folder nobody else could
        have written to; otherwise the component is compiled again.
        """
        try:
            info = self.directory.stat()
        except OSError:
            return False
        return info.st_uid == os.getuid() and not info.st_mode & 0o022

    def load(self, engine: Engine, wasm: bytes) -> tuple[Component, bool]:
        """The compiled component and whether it came from the cache."""
        entry = self.path(wasm)
        if entry.exists() and self.trusted():
            try:
                component = Component.deserialize_file(engine, str(entry))
            except WasmtimeError:
                entry.unlink(missing_ok=True)  # stale or damaged: compile again below
            else:
                self.hits += 1
                return component, True
        component = Component(engine, wasm)
        self.misses += 1
        self._store(entry, bytes(component.serialize()))
        return component, False

    def _store(self, entry: Path, compiled: bytes) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temporary = tempfile.mkstemp(dir=self.directory, suffix=".partial")
            with os.fdopen(fd, "wb") as out:
                out.write(compiled)
            os.replace(temporary, entry)
        except OSError:
            pass  # a cache that cannot be written only costs speed
