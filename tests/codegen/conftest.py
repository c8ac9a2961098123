"""Fixtures of the generator's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def extension(tmp_path: Path) -> Path:
    """The host-runtime example's codegen project (codegen.toml, proto/, generated/) in a folder outside the checkout."""
    assert not tmp_path.resolve().is_relative_to(REPO)
    source = REPO / "examples" / "host_runtime"
    for name in ("proto", "generated"):
        shutil.copytree(source / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(source / "codegen.toml", tmp_path / "codegen.toml")
    return tmp_path
