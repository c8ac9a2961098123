"""The toolchain: runs on the author's machine, never inside a component.

It turns a plugin folder into a WebAssembly component (`build`, on top of `componentize`, which
drives componentize-py) and creates new plugin folders (`scaffold`). The generator behind
`reglet-sdk codegen` is the separate package `reglet_codegen` (the top-level `codegen/` folder).

Example::

    from pathlib import Path
    from reglet_sdk.toolchain import build_plugin

    wasm = build_plugin(Path("examples/hello"))
"""

from reglet_sdk.toolchain.build import (
    Extension,
    PluginSource,
    build_plugin,
    component_spec,
    default_cache_dir,
    explain_build_failure,
    inspect_plugin,
)
from reglet_sdk.toolchain.componentize import BuildError, ComponentSpec, build_cached, build_component

__all__ = [
    "BuildError",
    "ComponentSpec",
    "Extension",
    "PluginSource",
    "build_cached",
    "build_component",
    "build_plugin",
    "component_spec",
    "default_cache_dir",
    "explain_build_failure",
    "inspect_plugin",
]
