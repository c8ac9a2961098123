"""Testing aids for plugin authors and for the SDK's own conformance suite.

- `NativePlugin` runs a plugin folder natively (no build) against a `FakeHost` or the real handlers;
- `comparable(result)` drops what differs between runs, to compare native and component Results;
- the pytest plugin (registered by the package) adds the `reglet_native` and `reglet_component` fixtures;
- `messages.populated` / `strategies.messages` build ABI messages for round-trip and property tests.

The names are imported on first use, so `reglet_sdk.testing.messages` also works inside a component
(the ABI round-trip plugin bundles it), where the native runner's host-side imports do not exist.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reglet_sdk.testing.native import FakeHost, NativePlugin, comparable

__all__ = ["FakeHost", "NativePlugin", "comparable"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("reglet_sdk.testing.native"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
