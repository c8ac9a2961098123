"""Testing aids for plugin authors and for the SDK's own conformance suite.

- `NativePlugin` runs a plugin folder natively (no build) against a `FakeHost` or the real handlers;
- `comparable(result)` drops what differs between runs, to compare native and component Results;
- the pytest plugin (registered by the package) adds the `reglet_native` and `reglet_component` fixtures;
- `messages.populated` / `strategies.messages` build ABI messages for round-trip and property tests.
"""

from reglet_sdk.testing.native import FakeHost, NativePlugin, comparable

__all__ = ["FakeHost", "NativePlugin", "comparable"]
