"""Shared fixtures: built components (once per session, cached by source hash) and a wasmtime engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from filelock import FileLock
from hypothesis import settings
from wasmtime import Config, Engine
from wasmtime.component import Component

from reglet_sdk.host.compile_cache import CompileCache
from reglet_sdk.toolchain import component_spec, inspect_plugin
from reglet_sdk.toolchain.componentize import ComponentSpec, build_cached

# Hypothesis's default 200 ms deadline per example is a timing assertion: on a loaded machine it failed
# correct code (a Metadata round trip took 350 ms once, 89 ms on the retry). Bounded by max_examples instead.
settings.register_profile("reglet", deadline=None)
settings.load_profile("reglet")

REPO = Path(__file__).resolve().parent.parent
COMPONENT_CACHE = Path(os.environ.get("REGLET_COMPONENT_CACHE", REPO / ".cache" / "components"))


def build_test_component(app_module: str, folder: Path, sdk_parts: tuple[str, ...] = ()) -> Path:
    """Builds (or reuses) a component; a file lock keeps parallel workers from building it twice."""
    COMPONENT_CACHE.mkdir(parents=True, exist_ok=True)
    spec = ComponentSpec(app_module=app_module, python_paths=(folder,), sdk_parts=sdk_parts)
    with FileLock(str(COMPONENT_CACHE / f"{app_module}.lock")):
        return build_cached(spec, COMPONENT_CACHE)


def build_test_plugin(folder: Path) -> Path:
    """Builds (or reuses) a plugin folder the way `reglet-sdk build` does."""
    COMPONENT_CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(COMPONENT_CACHE / f"{folder.name}.lock")):
        return build_cached(component_spec(inspect_plugin(folder)), COMPONENT_CACHE)


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine(Config())


def compile_component(engine: Engine, wasm: Path) -> Component:
    """Compiles a component once per content hash across test sessions (the host's own cache)."""
    component, _ = CompileCache(COMPONENT_CACHE.parent / "compiled", "plain-engine").load(engine, wasm.read_bytes())
    return component


REPO_EXAMPLES = REPO / "examples"
TEST_PLUGINS = REPO / "tests" / "plugins"
COMPILE_CACHE = COMPONENT_CACHE.parent / "compiled"


@pytest.fixture(scope="session")
def hello_wasm() -> Path:
    return build_test_plugin(REPO_EXAMPLES / "hello")


@pytest.fixture(scope="session")
def misbehaving_wasm() -> Path:
    return build_test_plugin(TEST_PLUGINS / "misbehaving")


@pytest.fixture(scope="session")
def capabilities_wasm() -> Path:
    return build_test_plugin(TEST_PLUGINS / "capabilities")


@pytest.fixture(scope="session")
def command_wasm() -> Path:
    return build_test_plugin(REPO_EXAMPLES / "command")


@pytest.fixture(scope="session")
def file_wasm() -> Path:
    return build_test_plugin(REPO_EXAMPLES / "file")


def _example(name: str) -> Path:
    return build_test_plugin(REPO_EXAMPLES / name)


@pytest.fixture(scope="session")
def dns_wasm() -> Path:
    return _example("dns")


@pytest.fixture(scope="session")
def http_wasm() -> Path:
    return _example("http")


@pytest.fixture(scope="session")
def tcp_wasm() -> Path:
    return _example("tcp")


@pytest.fixture(scope="session")
def smtp_wasm() -> Path:
    return _example("smtp")


@pytest.fixture(scope="session")
def tls_check_wasm() -> Path:
    return _example("tls_check")
