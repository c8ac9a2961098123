"""`reglet-sdk build`: turns a plugin folder (plugin.py + plugin.yaml) into a WebAssembly component.

The folder's Python files, the SDK, the generated ABI package and the plugin's pure-Python
dependencies are staged as the guest's whole Python path; plugin.yaml is validated and embedded; the
entry module imports plugin.py at build time (componentize-py pre-initialises the component), so a
plugin that raises on import, never calls `register` or calls it twice fails the build. Every failure
is a `BuildError` whose message says what is wrong and what to do.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from importlib.util import find_spec
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from reglet_abi._rpc import RpcService
from reglet_sdk import manifest as manifest_module, preinit
from reglet_sdk.manifest import Manifest
from reglet_sdk.toolchain import plugin_yaml
from reglet_sdk.toolchain.componentize import GUEST_PACKAGES, BuildError, ComponentSpec, build_cached, build_component
from reglet_sdk.toolchain.plugin_yaml import ManifestError

PLUGIN_MODULE = "plugin"
BUILD_ERROR_MARKER = preinit.MARKER
_COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")


def default_cache_dir() -> Path:
    """Where built components are kept by source hash ($REGLET_CACHE_DIR, else the user cache)."""
    if "REGLET_CACHE_DIR" in os.environ:
        return Path(os.environ["REGLET_CACHE_DIR"]) / "components"
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "reglet-sdk" / "components"


@dataclass(frozen=True)
class PluginSource:
    """A validated plugin folder."""

    directory: Path
    manifest: Manifest
    dependencies: tuple[Path, ...]
    imported_modules: tuple[str, ...]  # every module the plugin's files import, anywhere


def inspect_plugin(directory: Path) -> PluginSource:
    """Validates a plugin folder: plugin.py present and compiling, plugin.yaml valid, imports bundleable."""
    directory = directory.resolve()
    if not directory.is_dir():
        raise BuildError(f"{directory} is not a folder. Pass the plugin's folder (the one holding plugin.py).")
    plugin_py = directory / "plugin.py"
    if not plugin_py.is_file():
        raise BuildError(
            f"{directory} has no plugin.py. A plugin folder holds plugin.py (a Plugin subclass and a call to "
            "reglet_sdk.plugin.register) and plugin.yaml (its name, version and capabilities); see examples/hello."
        )
    manifest_path = directory / "plugin.yaml"
    if not manifest_path.is_file():
        raise BuildError(
            f"{directory} has no plugin.yaml. Add one with at least `name:` and `version:` (and the "
            "`capabilities:` the plugin needs); see examples/hello/plugin.yaml."
        )
    try:
        manifest = plugin_yaml.load(manifest_path)
    except ManifestError as exc:
        raise BuildError(f"plugin.yaml is invalid: {exc}") from exc
    sources = sorted(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)
    trees = {path: _parse(path) for path in sources}
    local = {p.stem for p in directory.iterdir() if p.suffix == ".py"} | {
        p.name for p in directory.iterdir() if p.is_dir() and (p / "__init__.py").exists()
    }
    imported = sorted({name for tree in trees.values() for name in _imported_names(tree)})
    return PluginSource(directory, manifest, tuple(_dependencies(trees, local)), tuple(imported))


def _parse(path: Path) -> ast.Module:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        line = (exc.text or "").rstrip("\n")
        pointer = f"\n    {line}\n    {' ' * max((exc.offset or 1) - 1, 0)}^" if line else ""
        raise BuildError(f"{path}:{exc.lineno}:{exc.offset}: syntax error: {exc.msg}.{pointer}") from exc


def _imported_modules(tree: ast.Module) -> Iterable[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.partition(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0], node.lineno


def _imported_names(tree: ast.Module) -> Iterable[str]:
    """Full dotted names of the modules a file imports (at top level or inside functions)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def _dependencies(trees: dict[Path, ast.Module], local: set[str]) -> list[Path]:
    """Paths of the third-party modules the plugin imports, with their own requirements."""
    skip = set(sys.stdlib_module_names) | set(GUEST_PACKAGES) | local | {"__future__"}
    found: dict[str, Path] = {}
    for path, tree in trees.items():
        for module, line in _imported_modules(tree):
            if module not in skip and module not in found:
                found.update(_closure(module, f"{path.name}:{line}", skip | set(found)))
    return [found[name] for name in sorted(found)]


def _closure(module: str, where: str, skip: set[str]) -> dict[str, Path]:
    """`module` and the top-level modules of everything its distribution requires."""
    out: dict[str, Path] = {}
    pending = [(module, where)]
    while pending:
        name, origin = pending.pop()
        if name in skip or name in out:
            continue
        out[name] = _bundleable_path(name, origin)
        for dist_name in packages_distributions().get(name, []):
            for requirement in _requirements(dist_name):
                for top in _top_level_modules(requirement):
                    pending.append((top, f"{name} (needs {requirement})"))
    return out


def _bundleable_path(module: str, where: str) -> Path:
    spec = find_spec(module)
    if spec is None or spec.origin in (None, "built-in", "frozen"):
        raise BuildError(
            f"{where} imports {module!r}, which is not installed where the build runs, so it cannot be "
            f"bundled. Install it (`pip install {module}`) in the environment that runs `reglet-sdk build`, "
            "or remove the import."
        )
    origin = Path(spec.origin)
    root = origin.parent if origin.name == "__init__.py" else origin
    compiled = [p for p in ([root] if root.is_file() else root.rglob("*")) if p.suffix in _COMPILED_SUFFIXES]
    if compiled:
        raise BuildError(
            f"{where} imports {module!r}, which contains compiled code ({compiled[0].name}) that cannot run "
            "inside a WebAssembly component. Only pure-Python packages can be bundled: use a pure-Python "
            "alternative, or do that work through a host function."
        )
    return root


def _requirements(dist_name: str) -> list[str]:
    try:
        requires = distribution(dist_name).requires or []
    except PackageNotFoundError:
        return []
    names = []
    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        names.append(requirement.name)
    return names


def _top_level_modules(dist_name: str) -> list[str]:
    try:
        dist = distribution(dist_name)
    except PackageNotFoundError:
        return []
    top_level = dist.read_text("top_level.txt")
    if top_level:
        return [line.strip() for line in top_level.splitlines() if line.strip()]
    names = set()
    for file in dist.files or []:
        parts = file.parts
        if parts and not parts[0].endswith((".dist-info", ".data")) and parts[0] != "..":
            names.add(Path(parts[0]).stem if len(parts) == 1 else parts[0])
    return sorted(n for n in names if n.isidentifier())


def component_spec(source: PluginSource, extension: Extension | None = None) -> ComponentSpec:
    """The componentize spec of a validated plugin: manifest embedded, registration checked."""
    frame = manifest_module.to_frame(source.manifest)
    spec = ComponentSpec(
        app_module=PLUGIN_MODULE,
        python_paths=(source.directory,),
        modules=source.dependencies,
        before_import=(
            "from reglet_sdk import manifest as _reglet_manifest",
            f"_reglet_manifest.embed({frame!r})",
        ),
        after_import=(
            "from reglet_sdk import preinit as _reglet_preinit",
            f"_reglet_preinit.after_import({list(source.imported_modules)!r})",
        ),
    )
    if extension is None:
        return spec
    return dataclasses.replace(
        spec, services=(*spec.services, *extension.services), world=extension.world, wit_dirs=(extension.wit_dir,)
    )


@dataclass(frozen=True)
class Extension:
    """Host functions of a project's own, generated by the SDK's codegen (see examples/host_runtime).

    `services` are the generated rpc tables (e.g. kvdemo_abi.kvdemo.v1.services.SERVICES), `wit_dir`
    the generated WIT package, `world` its world (which includes the SDK's).
    """

    services: tuple[RpcService, ...]
    wit_dir: Path
    world: str


def build_plugin(
    directory: Path, output: Path | None = None, *, cache_dir: Path | None = None, extension: Extension | None = None
) -> Path:
    """Builds the plugin in `directory` into `output` (default `<directory>/<name>.wasm`)."""
    source = inspect_plugin(directory)
    target = output or source.directory / f"{source.manifest.name}.wasm"
    spec = component_spec(source, extension)
    try:
        if cache_dir is None:
            build_component(spec, target)
        else:
            built = build_cached(spec, cache_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(built.read_bytes())
    except BuildError as exc:
        raise BuildError(explain_build_failure(str(exc), source.directory)) from exc
    return target


_MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([^']+)'")
_EXCEPTION_LINE = re.compile(r"^(\w+(?:\.\w+)*(?:Error|Exception|Exit)): (.*)$", re.MULTILINE)


def explain_build_failure(output: str, directory: Path) -> str:
    """A one-paragraph explanation of a failed componentize-py run."""
    if BUILD_ERROR_MARKER in output:
        return output.split(BUILD_ERROR_MARKER, 1)[1].splitlines()[0].strip()
    missing = _MISSING_MODULE.search(output)
    if missing:
        return (
            f"the plugin imports {missing.group(1)!r}, which could not be bundled into the component. "
            f"Install it where the build runs (pure-Python packages only), or remove the import."
        )
    trace = [line for line in output.splitlines() if 'File "/' in line and "/reglet_component_entry.py" not in line]
    where = trace[-1].strip() if trace else ""
    errors = _EXCEPTION_LINE.findall(output)
    if errors:
        kind, message = errors[-1]
        located = f" ({where.replace('/0/', str(directory) + '/')})" if where else ""
        return f"plugin.py raised {kind} while it was imported at build time{located}: {message}"
    return output
