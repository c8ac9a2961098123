"""Builds WebAssembly components from Python with componentize-py, against the SDK's WIT world.

The guest's Python path is staged hermetically: the app's own folders plus exactly the packages a
plugin needs at run time (the SDK, the generated ABI package and betterproto2 with its dependencies),
so nothing else from the build machine leaks into the component. Builds are cached by a hash of
everything that goes into them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import distribution, packages_distributions, version
from pathlib import Path

import reglet_abi
from reglet_abi._rpc import RpcService
from reglet_abi.reglet.v1 import services as abi

GUEST_PACKAGES = ("reglet_sdk", "reglet_abi", "betterproto2", "dateutil", "typing_extensions")
"""Top-level modules every component carries (the SDK and what it imports at run time)."""

NOT_IN_COMPONENT = ("host", "toolchain", "testing", "cli.py")
"""The parts of reglet_sdk that run on the host or the author's machine, never inside a component.

Everything else in reglet_sdk is the guest author API, compiled into every component; it may import
nothing from these (tests/test_layout.py checks).
"""

TESTING_PARTS = ("testing/__init__.py", "testing/messages.py")
"""The guest-safe part of reglet_sdk.testing, which a test component may bundle (`ComponentSpec.sdk_parts`).

The ABI round-trip plugin builds its deterministic messages with testing.messages inside the
component; tests/test_layout.py checks these files import only what a component carries.
"""

_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.wasm")
# Parts of the runtime packages that never run inside a component: the host, the toolchain, the
# testing aids, the WIT and .proto files (componentize-py reads the WIT from wit_dir()).
_SKIP_IN_PACKAGE = {
    "reglet_sdk": shutil.ignore_patterns("__pycache__", "*.pyc", *NOT_IN_COMPONENT),
    "reglet_abi": shutil.ignore_patterns("__pycache__", "*.pyc", "wit", "proto", "_wasmtime_rpc.py", "host.py"),
}
ENTRY_MODULE = "reglet_component_entry"


class BuildError(Exception):
    """componentize-py could not build the component; the message says why and what to do."""


def wit_dir() -> Path:
    """The SDK's WIT package: inside an installed wheel, or generated/wit in a source checkout."""
    packaged = Path(reglet_abi.__file__).parent / "wit"
    if packaged.is_dir():
        return packaged
    source = Path(reglet_abi.__file__).resolve().parents[2] / "wit"
    if source.is_dir():
        return source
    raise BuildError(f"the SDK's WIT files are missing (looked in {packaged} and {source}); reinstall reglet-sdk.")


def _module_path(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise BuildError(f"{name} is not installed, but every component needs it; run `pip install reglet-sdk`.")
    origin = Path(spec.origin)
    return origin.parent if origin.name == "__init__.py" else origin


def _copy(source: Path, target_dir: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target_dir / source.name, ignore=_SKIP_IN_PACKAGE.get(source.name, _SKIP))
    else:
        shutil.copy2(source, target_dir / source.name)


def _files(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


@dataclass(frozen=True)
class ComponentSpec:
    """What to build: an app module found on `python_paths`, exporting the given services.

    `modules` are extra packages or single-file modules to bundle (the app's dependencies).
    `before_import` and `after_import` are Python lines the entry module runs around the import of
    the app module, at build time (e.g. to embed the manifest, then check that a plugin registered).
    """

    app_module: str
    python_paths: tuple[Path, ...]
    modules: tuple[Path, ...] = ()
    before_import: tuple[str, ...] = ()
    after_import: tuple[str, ...] = ()
    services: tuple[RpcService, ...] = abi.SERVICES
    world: str = abi.WIT_WORLD
    world_module: str = abi.WORLD_MODULE
    wit_dirs: tuple[Path, ...] = ()
    """WIT packages besides the SDK's (an extension's world that includes the SDK's)."""
    sdk_parts: tuple[str, ...] = ()
    """Files of reglet_sdk's host-side folders to bundle after all (e.g. TESTING_PARTS), relative to it."""


def _copy_metadata(module: str, stage: Path) -> None:
    """Copies the METADATA of the distribution that provides `module` (betterproto2 reads its own version)."""
    for dist_name in packages_distributions().get(module, []):
        dist = distribution(dist_name)
        metadata = dist.read_text("METADATA")
        if metadata is None:
            continue
        dist_info = stage / f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}.dist-info"
        dist_info.mkdir(exist_ok=True)
        (dist_info / "METADATA").write_text(metadata, encoding="utf-8")


_VERSION_LOOKUP = ("from importlib import metadata\n", 'metadata.version("betterproto2")')


def _pin_betterproto2_version(stage: Path) -> None:
    """Makes the staged betterproto2 state its version instead of looking it up when imported.

    Its `_version.py` calls importlib.metadata, which imports email, zipfile, pathlib, tempfile and
    more: 1.4 MiB of every component's memory snapshot (21.0 -> 19.5 MiB for examples/hello), for a
    string known at build time. The staged copy gets that string (the installed version); a
    betterproto2 whose `_version.py` reads differently is left as it is.
    """
    path = stage / "betterproto2" / "_version.py"
    text = path.read_text(encoding="utf-8")
    if all(part in text for part in _VERSION_LOOKUP):
        pinned = text.replace(_VERSION_LOOKUP[0], "").replace(_VERSION_LOOKUP[1], repr(version("betterproto2")))
        path.write_text(pinned, encoding="utf-8")


def _stage(spec: ComponentSpec, stage: Path) -> None:
    """Lays out the guest's Python path in `stage`: runtime packages, app folders, entry module."""
    for name in GUEST_PACKAGES:
        _copy(_module_path(name), stage)
        _copy_metadata(name, stage)
    _pin_betterproto2_version(stage)
    for part in spec.sdk_parts:
        target = stage / "reglet_sdk" / part
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(_module_path("reglet_sdk") / part, target)
    for module in spec.modules:
        if not (stage / module.name).exists():
            _copy(module, stage)
            _copy_metadata(module.stem, stage)
    for path in spec.python_paths:
        for child in sorted(path.iterdir()):
            if child.name in ("__pycache__", ".venv", ".git") or child.suffix in (".wasm", ".pyc"):
                continue
            if (stage / child.name).exists():
                raise BuildError(f"{child} has the same name as a module the SDK bundles; rename it.")
            _copy(child, stage)
    lines = [
        f'"""Entry point of the component: imports {spec.app_module} and exposes the export adapters."""',
        # componentize-py generates the import bindings only while it builds: import them now so
        # they are part of the pre-initialised snapshot the stubs find at run time.
        *(f"import {spec.world_module}.imports.{s.binding_module}" for s in spec.services if not s.exported),
        *spec.before_import,
        f"import {spec.app_module}  # noqa: F401  (registers the implementation at build time)",
        *spec.after_import,
    ]
    for service in (s for s in spec.services if s.exported):
        package = service.full_name.rsplit(".", 1)[0]
        lines.append(
            f"from {reglet_abi.__name__}.{package}.guest import {service.name}Export as {service.export_class_name}"
        )
    (stage / f"{ENTRY_MODULE}.py").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _hash(stage: Path, spec: ComponentSpec) -> str:
    """SHA-256 over a staged Python path, the WIT files and the build settings."""
    digest = hashlib.sha256()
    for root in (stage, wit_dir(), *spec.wit_dirs):
        for path in _files(root):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    digest.update(repr((spec.world, spec.world_module, version("componentize-py"))).encode())
    return digest.hexdigest()


def _componentize_command() -> list[str]:
    local = Path(sys.executable).parent / "componentize-py"
    return [str(local)] if local.exists() else [sys.executable, "-m", "componentize_py"]


def _componentize(spec: ComponentSpec, stage: Path, output: Path) -> None:
    command = [*_componentize_command(), "-d", str(wit_dir())]
    for extra in spec.wit_dirs:
        command += ["-d", str(extra)]
    command += ["-w", spec.world]
    command += ["--world-module", spec.world_module]
    for service in spec.services:
        flag = "--export-interface-name" if service.exported else "--import-interface-name"
        command += [flag, f"{service.wit_interface}={service.binding_module}"]
    output = output.resolve()  # componentize-py runs in the stage's folder
    partial = output.with_name(output.name + ".partial")
    command += ["componentize", "-p", str(stage), ENTRY_MODULE, "-o", str(partial)]
    # componentize-py adds $VIRTUAL_ENV's site-packages to the guest path; the stage is the whole path.
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    result = subprocess.run(command, cwd=stage.parent, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BuildError(_explain(result.stderr or result.stdout))
    partial.replace(output)


def _explain(output: str) -> str:
    """componentize-py's own error, without its Rust backtrace."""
    text = output.split("\nStack backtrace:", 1)[0].strip()
    return f"componentize-py failed:\n{text}"


def build_component(spec: ComponentSpec, output: Path) -> Path:
    """Builds `spec` into `output` (a .wasm component); raises BuildError with componentize-py's reason."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reglet-build-") as tmp:
        stage = Path(tmp) / "python"
        stage.mkdir()
        _stage(spec, stage)
        _componentize(spec, stage, output)
    return output


def build_cached(spec: ComponentSpec, cache_dir: Path) -> Path:
    """Builds `spec` unless a component with the same source hash is already in `cache_dir`."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reglet-build-") as tmp:
        stage = Path(tmp) / "python"
        stage.mkdir()
        _stage(spec, stage)
        target = cache_dir / f"{spec.app_module}-{_hash(stage, spec)[:24]}.wasm"
        if not target.exists():
            _componentize(spec, stage, target)
    return target
