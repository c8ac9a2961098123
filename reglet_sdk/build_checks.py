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


def warm_up() -> None:
    """Does once, at build time, the lazy work every call would otherwise repeat in its fresh instance.

    betterproto2 computes each message class's codec metadata (resolving its type hints) on first
    use. A fresh sandbox per call would pay that on every check (measured: ~25 ms of a ~30 ms check);
    computed here, during pre-initialisation, it is part of the component's memory snapshot.
    """
    import inspect

    import betterproto2

    from reglet_abi.reglet import v1 as abi

    for _, cls in inspect.getmembers(abi, inspect.isclass):
        if issubclass(cls, betterproto2.Message) and cls is not betterproto2.Message:
            bytes(cls.parse(bytes(cls())))  # builds the class metadata, the parser and the serialiser paths


def after_import() -> None:
    """Fails the build when no plugin registered or describe() contradicts plugin.yaml; warms up."""
    warm_up()
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
