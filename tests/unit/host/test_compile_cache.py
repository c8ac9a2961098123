"""host.compile_cache: entries are read only from a folder this user owns and others cannot write."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reglet_sdk.host.compile_cache import CompileCache


def test_compile_cache_is_read_only_from_a_private_folder(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path / "compiled", "test")
    (tmp_path / "compiled").mkdir(mode=0o700)
    assert cache.trusted()
    (tmp_path / "compiled").chmod(0o777)
    assert not cache.trusted()
    assert not CompileCache(tmp_path / "missing", "test").trusted()


def test_the_key_is_the_same_whether_or_not_the_digest_is_passed(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path, "test")
    wasm = b"\0asm component bytes"
    assert cache.key(wasm) == cache.key(wasm, hashlib.sha256(wasm).hexdigest())
    assert cache.key(wasm) != CompileCache(tmp_path, "other settings").key(wasm)
    assert cache.key(wasm) != cache.key(wasm + b"!")
