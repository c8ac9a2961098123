"""The pytest plugin of reglet-sdk (registered by the package): fixtures for plugin tests.

- `reglet_native(folder, host=None, grants=None)`: the plugin imported natively (no build), against a
  FakeHost or the real host handlers with `grants`;
- `reglet_component(folder, grants=None)`: the plugin built into a component (once per session, cached
  by source hash under pytest's cache folder) and loaded into a wasmtime host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reglet_sdk.testing.native import NativePlugin


@pytest.fixture
def reglet_native() -> Callable[..., NativePlugin]:
    """A loader of plugin folders, run natively.

    Use it as `reglet_native("plugin_dir", host=FakeHost(...))` or with `grants=[...]`.
    """

    def load(folder: str | Path, **options: Any) -> NativePlugin:
        return NativePlugin.load(folder, **options)

    return load


@pytest.fixture(scope="session")
def _reglet_host(pytestconfig: pytest.Config) -> Iterator[Any]:
    from reglet_sdk.host import Host, HostConfig

    cache = Path(str(pytestconfig.cache.mkdir("reglet"))) if pytestconfig.cache is not None else None
    with Host(HostConfig(cache_dir=cache / "compiled" if cache else None)) as host:
        yield host


@pytest.fixture
def reglet_component(_reglet_host: Any, pytestconfig: pytest.Config) -> Callable[..., Any]:
    """A loader of plugin folders as components, built once per source hash.

    Use it as `reglet_component("plugin_dir", grants=[...])`.
    """
    from reglet_sdk.toolchain import component_spec, inspect_plugin
    from reglet_sdk.toolchain.componentize import build_cached

    cache = (
        Path(str(pytestconfig.cache.mkdir("reglet"))) / "components"
        if pytestconfig.cache
        else Path(".reglet-components")
    )

    def load(folder: str | Path, grants: Any = None) -> Any:
        wasm = build_cached(component_spec(inspect_plugin(Path(folder))), cache)
        return _reglet_host.load(wasm, grants=grants)

    return load
