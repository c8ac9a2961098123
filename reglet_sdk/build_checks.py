"""Checks the build's entry module runs inside the component, right after importing plugin.py.

They run at build time (componentize-py pre-initialises the component), so a plugin that never
registers, or whose describe() disagrees with plugin.yaml, fails the build instead of the first run.
A failure raises SystemExit with a message the builder recognises (`REGLET_BUILD_ERROR: `).
"""

from __future__ import annotations

from reglet_sdk import manifest, plugin
from reglet_sdk.context import Context
from reglet_sdk.metadata import Metadata

MARKER = "REGLET_BUILD_ERROR: "


def after_import() -> None:
    """Fails the build when no plugin registered or describe() contradicts plugin.yaml."""
    registered = plugin.registered()
    if registered is None:
        raise SystemExit(
            MARKER + "plugin.py never called reglet_sdk.plugin.register(...). Add "
            "`plugin.register(MyPlugin())` at the end of plugin.py so the component has a plugin to serve."
        )
    built = manifest.embedded()
    try:
        metadata = registered.describe(Context())
    except Exception:  # noqa: BLE001 - describe() may need a host; the runtime check covers it
        return
    if (
        built is not None
        and isinstance(metadata, Metadata)
        and (metadata.name, metadata.version)
        != (
            built.name,
            built.version,
        )
    ):
        raise SystemExit(
            MARKER + f"describe() says {metadata.name} {metadata.version} but plugin.yaml says "
            f"{built.name} {built.version}. Make them agree."
        )
