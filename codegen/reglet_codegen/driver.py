"""`reglet-sdk codegen --config FILE [--check]`: regenerate a project's generated/ or prove it is up to date.

Runs `python -m grpc_tools.protoc` (no system protoc) once with two plugins into a scratch
directory: betterproto2 writes the messages, `reglet_codegen.plugin` writes the WIT package, the
stubs, the bindings and the runtime support. The result is byte-for-byte deterministic and names
paths only relative to the config file, so `--check` simply compares the scratch tree with out_dir.
`python -m reglet_codegen ARGS` is `reglet-sdk codegen ARGS`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from packaging.requirements import Requirement

from reglet_codegen.config import ConfigError, Settings

GENERATED_MARKERS = ("DO NOT EDIT", "@generated")
IGNORED_PARTS = {"__pycache__"}
EXIT_STALE, EXIT_ERROR = 1, 2
INSTALL_HINT = "pip install 'reglet-sdk[codegen]'"


class CodegenFailed(Exception):
    """protoc or one of its plugins reported a problem."""


def missing_dependencies() -> list[str]:
    """The pins of the `codegen` extra that are not installed as pinned, e.g. ["ruff==0.17.6 (found 0.18.0)"].

    The exact versions matter: the same protoc, compiler and formatter give the same bytes everywhere.
    """
    try:
        requirements = [Requirement(line) for line in importlib.metadata.requires("reglet-sdk") or []]
    except importlib.metadata.PackageNotFoundError:  # run from a bare source tree: imports will tell
        return []
    missing = []
    for requirement in requirements:
        if requirement.marker is None or not requirement.marker.evaluate({"extra": "codegen"}):
            continue
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(f"{requirement.name}{requirement.specifier}")
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            missing.append(f"{requirement.name}{requirement.specifier} (found {version})")
    return missing


def _plugin_wrapper(folder: Path, name: str, module: str) -> Path:
    """A protoc plugin executable that runs `python -m module` with this interpreter."""
    wrapper = folder / f"protoc-gen-{name}"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return wrapper


def _protoc_env() -> dict[str, str]:
    """The environment for protoc and its plugins: the pinned ruff first on PATH, this package importable."""
    from ruff import find_ruff_bin  # found through its package, also when its scripts folder is not on PATH

    env = dict(os.environ)
    # betterproto2's compiler formats its output with the `ruff` on PATH: use the pinned one.
    env["PATH"] = os.pathsep.join([str(Path(find_ruff_bin()).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")])
    return env


def run_protoc(
    include_dirs: Sequence[Path],
    protos: Sequence[str],
    *,
    reglet_out: Path,
    reglet_parameters: str,
    betterproto_out: Path | None,
    extra_plugins: Sequence[str] = (),
) -> None:
    """Runs `python -m grpc_tools.protoc` with the reglet plugin (and betterproto2 when asked)."""
    import grpc_tools

    with tempfile.TemporaryDirectory(prefix="reglet-codegen-") as scratch:
        well_known = Path(grpc_tools.__file__).parent / "_proto"
        command = [sys.executable, "-m", "grpc_tools.protoc", *(f"-I{d}" for d in include_dirs), f"-I{well_known}"]
        if betterproto_out is not None:
            betterproto = _plugin_wrapper(Path(scratch), "python_betterproto2", "betterproto2_compiler.plugin")
            command += [
                f"--plugin=protoc-gen-python_betterproto2={betterproto}",
                f"--python_betterproto2_out=client_generation=none:{betterproto_out}",
            ]
        command += [
            *extra_plugins,
            f"--plugin=protoc-gen-reglet={_plugin_wrapper(Path(scratch), 'reglet', 'reglet_codegen.plugin')}",
            # Parameters go in --reglet_opt: the WIT package name contains ':', which --reglet_out
            # would take for the end of the parameters.
            f"--reglet_opt={reglet_parameters}",
            f"--reglet_out={reglet_out}",
            *protos,
        ]
        result = subprocess.run(command, cwd=scratch, env=_protoc_env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise CodegenFailed((result.stderr or result.stdout).strip())


def generate(settings: Settings, out: Path) -> None:
    """Writes the complete generated tree for `settings` into the empty folder `out`."""
    protos = sorted(p.relative_to(settings.proto_dir).as_posix() for p in settings.proto_dir.rglob("*.proto"))
    if not protos:
        raise CodegenFailed(f"no .proto files under {settings.proto_dir}")
    python_root = out / "python" / settings.python_package
    python_root.mkdir(parents=True)
    parameters = ",".join(
        [
            f"wit_package={settings.wit_package}",
            f"python_package={settings.python_package}",
            f"world={settings.world}",
            f"exports={'+'.join(settings.exports)}",
            f"proto_root={settings.relative(settings.proto_dir)}",
            f"emit_runtime={'false' if settings.provided else 'true'}",
            f"runtime_package={settings.runtime_package}",
            *([f"include_world={settings.include_world}"] if settings.include_world else []),
        ]
    )
    run_protoc(
        [settings.proto_dir, *settings.include_dirs],
        protos,
        reglet_out=out,
        reglet_parameters=parameters,
        betterproto_out=python_root,
    )
    from reglet_codegen import es  # es builds on run_protoc above: imported here, not in a cycle

    es.generate(settings, out, protos, parameters)
    _alias_provided_packages(python_root, settings)
    _mark_generated(out, settings)
    (out / "README.md").write_text(_readme(settings), encoding="utf-8")


def _alias_provided_packages(python_root: Path, settings: Settings) -> None:
    """Replaces betterproto2's copies of imported packages (reglet.v1, ...) with aliases of the originals.

    betterproto2 writes the messages an extension imports from another package into the extension's
    own tree; an alias keeps one class per message, so SDK code and extension code share types.
    """
    for proto_package, python_package in settings.provided:
        module = python_root.joinpath(*proto_package.split("."), "__init__.py")
        if module.exists():
            original = f"{python_package}.{proto_package}"
            module.write_text(
                f"# Generated by reglet codegen (codegen/): {proto_package} is provided by {original}.\n"
                "# DO NOT EDIT: change the .proto files or codegen/ and run `make codegen`.\n"
                f'"""Alias of {original}: one class per message across the SDK and this extension."""\n\n'
                f"from {original} import *  # noqa: F403\n",
                encoding="utf-8",
            )


def _mark_generated(out: Path, settings: Settings) -> None:
    """Gives every file without a generated-file header one (betterproto2's package scaffolding)."""
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        head = "\n".join(text.splitlines()[:3])
        if any(marker in head for marker in GENERATED_MARKERS):
            continue
        sources = f"{settings.relative(settings.proto_dir)}/**/*.proto via betterproto2"
        path.write_text(
            f"# Generated by reglet codegen (codegen/) from {sources}.\n"
            "# DO NOT EDIT: change the .proto files or codegen/ and run `make codegen`.\n" + text,
            encoding="utf-8",
        )


def _readme(settings: Settings) -> str:
    return (
        "# generated/ — DO NOT EDIT\n\n"
        "Everything here is written by `make codegen` from the `.proto` files in "
        f"`{settings.relative(settings.proto_dir)}/` and the generator in `codegen/`; `make check-codegen` (part "
        "of the test command) fails when this folder differs from a fresh run.\n\n"
        f"- `wit/`: the WIT package `{settings.wit_package}` (one interface per service, world "
        f"`{settings.world}`).\n"
        f"- `python/{settings.python_package}/`: betterproto2 messages, `services.py` (rpc tables), "
        "`guest.py` (stubs bundled into plugins), `host.py` (wasmtime bindings) and the runtime support "
        "modules `_rpc.py` and `_wasmtime_rpc.py`.\n"
        + (
            "- `js/`: protoc-gen-es messages (`*_pb.js` + `.d.ts`) and `services.js` (rpc tables) for the Node "
            "host in hosts/node; its package.json and package-lock.json declare no dependencies (@bufbuild/protobuf "
            "resolves from hosts/node's locked node_modules).\n"
            if settings.javascript
            else ""
        )
    )


def tree(root: Path) -> dict[str, bytes]:
    """Relative path -> content of every file under `root`, ignoring bytecode caches."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not IGNORED_PARTS.intersection(p.relative_to(root).parts) and p.suffix != ".pyc"
    }


def differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    """Human-readable list of how `actual` differs from `expected`."""
    out = [f"missing: {p}" for p in sorted(expected.keys() - actual.keys())]
    out += [f"not generated (stray or renamed): {p}" for p in sorted(actual.keys() - expected.keys())]
    out += [f"differs: {p}" for p in sorted(expected.keys() & actual.keys()) if expected[p] != actual[p]]
    return out


def run(config: Path, *, check: bool, out: TextIO, err: TextIO) -> int:
    """Generates (or with `check`, compares) out_dir for `config`; 0 done, 1 stale, 2 could not run."""
    missing = missing_dependencies()
    if missing:
        print(f"reglet-sdk codegen: the generator needs {', '.join(missing)}; run `{INSTALL_HINT}`.", file=err)
        return EXIT_ERROR
    try:
        settings = Settings.load(config)
    except ConfigError as exc:
        print(f"reglet-sdk codegen: {exc}", file=err)
        return EXIT_ERROR
    shown = settings.relative(settings.out_dir)
    with tempfile.TemporaryDirectory(prefix="reglet-generated-") as scratch:
        fresh = Path(scratch) / "generated"
        try:
            generate(settings, fresh)
        except CodegenFailed as exc:
            print(f"reglet-sdk codegen: generating from {config} failed:\n{exc}", file=err)
            return EXIT_ERROR
        files = tree(fresh)
        if check:
            problems = differences(files, tree(settings.out_dir))
            if problems:
                print(
                    f"{shown}/ is stale or was edited by hand:\n  " + "\n  ".join(problems) + "\n"
                    f"Run `reglet-sdk codegen --config {config}` and commit the result.",
                    file=err,
                )
                return EXIT_STALE
            print(f"{shown}/ is up to date ({len(files)} files).", file=out)
            return 0
        if settings.out_dir.exists():
            shutil.rmtree(settings.out_dir)
        shutil.copytree(fresh, settings.out_dir)
    print(f"wrote {len(files)} files to {shown}/", file=out)
    return 0
