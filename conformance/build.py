"""`python -m conformance.build`: builds every plugin the cases use, once per source hash.

Plugin folders (plugin.py + plugin.yaml) are built with the SDK's own command line,
`reglet-sdk build`, whose component cache is keyed by a hash of the staged sources
($REGLET_CACHE_DIR/components, by default the repository's .cache/components, shared with the tests).
The round-trip component (a folder with one module that serves the exports itself, not a plugin) is
built with the same componentize step. Each component is then published under a name holding its
content hash, by an atomic rename, so runners in parallel never read a half-written file.

Prints one JSON object mapping each plugin folder (as the cases name it) to its .wasm file, or to
{"error": why} when it could not be built (so the cases of the other plugins still run).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from filelock import FileLock

from conformance.cases import ROOT, load_cases, plugin_folders
from reglet_sdk.toolchain import componentize


def cache_root() -> Path:
    """$REGLET_CACHE_DIR, else the repository's .cache (components/ and compiled/ live under it)."""
    return Path(os.environ.get("REGLET_CACHE_DIR") or ROOT / ".cache")


def _reglet_sdk() -> list[str]:
    local = Path(sys.executable).parent / "reglet-sdk"
    return [str(local)] if local.exists() else [sys.executable, "-m", "reglet_sdk.cli"]


def _publish(built: Path, directory: Path, name: str) -> Path:
    """Moves `built` to its content-named place and removes the versions built from older sources."""
    digest = hashlib.sha256(built.read_bytes()).hexdigest()[:16]
    target = directory / f"{name}-{digest}.wasm"
    if target.exists():
        built.unlink(missing_ok=True)
    else:
        os.replace(built, target)
    for older in directory.glob(f"{name}-{'[0-9a-f]' * 16}.wasm"):
        if older != target:
            older.unlink(missing_ok=True)
    return target


def build_one(folder: Path) -> Path:
    """The component of one plugin folder (built, or reused from the cache)."""
    root = cache_root()
    out = root / "conformance"
    out.mkdir(parents=True, exist_ok=True)
    name = folder.relative_to(ROOT).as_posix().replace("/", "_")
    with FileLock(str(out / f"{name}.lock")):
        if (folder / "plugin.yaml").is_file():
            partial = out / f"{name}.partial.wasm"
            env = {**os.environ, "REGLET_CACHE_DIR": str(root)}
            command = [*_reglet_sdk(), "build", str(folder), "-o", str(partial)]
            result = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=900)
            if result.returncode != 0:
                raise RuntimeError(f"`{' '.join(command)}` failed:\n{result.stdout}{result.stderr}")
            return _publish(partial, out, name)
        modules = sorted(folder.glob("*.py"))
        if len(modules) != 1:
            raise RuntimeError(f"{folder} has no plugin.yaml and not exactly one module to build as a component")
        built = componentize.build_cached(_raw_spec(modules[0]), root / "components")
        copy = out / f"{name}.partial.wasm"
        copy.write_bytes(built.read_bytes())
        return _publish(copy, out, name)


def _raw_spec(module: Path) -> componentize.ComponentSpec:
    """The spec of a component whose one module serves the exports itself (the ABI round trip).

    That module builds its messages with reglet_sdk.testing.messages, the guest-safe part of the
    testing aids, which plugin components do not carry: the spec bundles it (`sdk_parts`).
    """
    parts = getattr(componentize, "TESTING_PARTS", None)
    if parts is None:
        raise RuntimeError(
            f"{module.parent} needs reglet_sdk.testing.messages inside the component, and this SDK cannot bundle it "
            "(reglet_sdk.toolchain.componentize has no TESTING_PARTS / ComponentSpec.sdk_parts yet)."
        )
    fields: dict[str, Any] = {"app_module": module.stem, "python_paths": (module.parent,), "sdk_parts": parts}
    return componentize.ComponentSpec(**fields)


def main() -> int:
    """Builds every plugin the cases use and prints the map as JSON."""
    built: dict[str, str | dict[str, str]] = {}
    for folder in plugin_folders(load_cases()):
        name = folder.relative_to(ROOT).as_posix()
        try:
            built[name] = str(build_one(folder))
        except (RuntimeError, OSError, subprocess.SubprocessError, componentize.BuildError) as exc:
            built[name] = {"error": str(exc)}
    print(json.dumps(built, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
