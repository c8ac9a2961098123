"""On-disk cache of compiled components, so a second load of the same plugin skips compilation.

Entries are keyed by a SHA-256 of the component bytes, the wasmtime version and the engine settings
that affect code generation (the engine every Host uses is made here, by `new_engine`, so the build's
`precompile` fills the same entries a check reads).

Trust: a compiled entry is native code that wasmtime loads without checking it (deserialising
untrusted bytes is unsafe), so only entries this host compiled itself are ever read. They live in a
per-user folder created private (0700) and are read only while that folder is owned by this user and
writable by nobody else; a plugin is always given as its `.wasm`, whose bytes are the key, so a
`.cwasm` shipped next to a plugin is never looked at. See docs/troubleshooting.md, "First load".
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from importlib.metadata import version
from pathlib import Path

from wasmtime import Config, Engine, WasmtimeError
from wasmtime.component import Component

ENGINE_SETTINGS = "epoch_interruption"
"""The engine settings `new_engine` applies that change generated code: part of every cache key."""


def new_engine() -> Engine:
    """The engine a Host runs plugins in: epoch interruption on (the per-call wall-clock limit)."""
    config = Config()
    config.epoch_interruption = True
    return Engine(config)


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

    def key(self, wasm: bytes, sha256: str | None = None) -> str:
        """The cache key of a component under this engine; `sha256` is the bytes' digest if already known."""
        digest = sha256 or hashlib.sha256(wasm).hexdigest()
        return hashlib.sha256(f"{self._fingerprint}\0{digest}".encode()).hexdigest()

    def path(self, wasm: bytes, sha256: str | None = None) -> Path:
        """Where the compiled form of `wasm` is (or would be) stored."""
        return self.directory / f"{self.key(wasm, sha256)}.cwasm"

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

    def load(self, engine: Engine, wasm: bytes, sha256: str | None = None) -> tuple[Component, bool]:
        """The compiled component and whether it came from the cache (compiled and stored otherwise).

        `sha256` is the component's SHA-256 (hex) when the caller has it already: hashing 20 MiB
        again would cost more than the rest of a cached load.
        """
        entry = self.path(wasm, sha256)
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


def precompile(wasm_path: Path, directory: Path | None = None) -> bool:
    """Compiles a component into the compilation cache unless it is there already; True when it compiled.

    `reglet-sdk build` calls this so the first check of a freshly built plugin is a cached load. The
    entry is compiled here, from the `.wasm` the build just wrote, into this user's private cache.
    """
    cache = CompileCache(directory or default_cache_dir(), ENGINE_SETTINGS)
    _, from_cache = cache.load(new_engine(), wasm_path.read_bytes())
    return not from_cache
