"""Shared fixtures: built components (once per session, cached by source hash) and a wasmtime engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from filelock import FileLock
from wasmtime import Config, Engine

from reglet_sdk.componentize import ComponentSpec, build_cached

REPO = Path(__file__).resolve().parent.parent
COMPONENT_CACHE = Path(os.environ.get("REGLET_COMPONENT_CACHE", REPO / ".cache" / "components"))


def build_test_component(app_module: str, folder: Path) -> Path:
    """Builds (or reuses) a component; a file lock keeps parallel workers from building it twice."""
    COMPONENT_CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(COMPONENT_CACHE / f"{app_module}.lock")):
        return build_cached(ComponentSpec(app_module=app_module, python_paths=(folder,)), COMPONENT_CACHE)


@pytest.fixture(scope="session")
def engine() -> Engine:
    config = Config()
    config.cache = True
    return Engine(config)
