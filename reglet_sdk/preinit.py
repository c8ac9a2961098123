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

    from reglet_abi._wire import prepare_message
    from reglet_abi.reglet import v1 as abi

    for _, cls in inspect.getmembers(abi, inspect.isclass):
        if issubclass(cls, betterproto2.Message) and cls is not betterproto2.Message:
            bytes(cls.parse(bytes(cls())))  # builds the class metadata, the parser and the serialiser paths
            prepare_message(cls)  # and the strict decoder's tables (reglet_abi._wire)


ALWAYS_PRELOADED = (
    # Codecs the standard library looks up lazily (socket and http use idna, for example).
    *("encodings.idna", "encodings.punycode", "encodings.ascii", "encodings.latin_1", "encodings.utf_16"),
    *("encodings.utf_32", "encodings.utf_8_sig", "encodings.cp1252", "encodings.base64_codec", "encodings.hex_codec"),
)


def preload(modules: list[str]) -> None:
    """Imports `modules` at build time, so they exist at run time.

    A component has no filesystem for Python to import from when it runs: only modules imported while
    it was built (pre-initialised) are there. The build therefore imports every module the plugin's
    files name anywhere (also inside functions); a module that cannot be imported here is skipped, and
    an import of it at run time fails as it would have.
    """
    import importlib

    for name in (*ALWAYS_PRELOADED, *modules):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - optional: only what imports cleanly is kept
            continue


def after_import(modules: list[str] | None = None) -> None:
    """Fails the build when no plugin registered or describe() contradicts plugin.yaml; preloads, warms up."""
    preload(modules or [])
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
