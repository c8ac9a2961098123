"""`make codegen` / `make check-codegen`: regenerate generated/ or prove it is up to date.

Runs `python -m grpc_tools.protoc` (no system protoc) once with two plugins into a scratch
directory: betterproto2 writes the messages, `codegen.plugin` writes the WIT package, the stubs, the
bindings and the runtime support. The result is byte-for-byte deterministic, so `--check` simply
compares the scratch tree with generated/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc_tools

REPO = Path(__file__).resolve().parents[2]
GENERATED_MARKERS = ("DO NOT EDIT", "@generated")
IGNORED_PARTS = {"__pycache__"}


@dataclass(frozen=True)
class Settings:
    """`[tool.reglet-codegen]` in pyproject.toml."""

    proto_dir: Path
    out_dir: Path
    wit_package: str
    python_package: str
    world: str
    exports: tuple[str, ...]
    # Extensions (a project's own services on top of the SDK's):
    include_dirs: tuple[Path, ...] = ()  # more proto roots to import from (the SDK's proto/)
    include_world: str = ""  # a world the generated world includes, e.g. "reglet:abi/reglet-plugin@0.1.0"
    provided: tuple[tuple[str, str], ...] = ()  # proto package -> Python package that already has it
    javascript: bool = False  # also write generated/js/ for the Node host (see reglet_codegen.es)

    @classmethod
    def load(cls, pyproject: Path) -> Settings:
        """Reads the settings, paths relative to the pyproject's folder."""
        table = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["reglet-codegen"]
        root = pyproject.resolve().parent
        return cls(
            proto_dir=root / table["proto_dir"],
            out_dir=root / table["out_dir"],
            wit_package=table["wit_package"],
            python_package=table["python_package"],
            world=table["world"],
            exports=tuple(table.get("exports", [])),
            include_dirs=tuple((root / d).resolve() for d in table.get("include_dirs", [])),
            include_world=table.get("include_world", ""),
            provided=tuple(sorted(table.get("provided", {}).items())),
            javascript=bool(table.get("javascript", False)),
        )

    @property
    def runtime_package(self) -> str:
        """Where the generated code finds _rpc: the SDK's package for extensions, else its own."""
        return dict(self.provided).get("reglet.v1", self.python_package)


class CodegenFailed(Exception):
    """protoc or one of its plugins reported a problem."""


def _tool(name: str) -> str:
    """A console script of this environment (next to the running interpreter), else from PATH."""
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise CodegenFailed(f"{name} is not installed; run `pip install -e '.[dev]'` first.")
    return found


def _display_path(path: Path) -> str:
    """`path` relative to the repository when inside it (generated headers never name /home/...)."""
    return path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else path.name


def run_protoc(
    include_dirs: Sequence[Path],
    protos: Sequence[str],
    *,
    reglet_out: Path,
    reglet_parameters: str,
    betterproto_out: Path | None,
    extra_plugins: Sequence[str] = (),
) -> None:
    """Runs `python -m grpc_tools.protoc` with the reglet plugin (and betterproto2, or others, when asked)."""
    with tempfile.TemporaryDirectory(prefix="reglet-codegen-") as scratch:
        wrapper = Path(scratch) / "protoc-gen-reglet"
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m reglet_codegen.plugin "$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)
        well_known = Path(grpc_tools.__file__).parent / "_proto"
        command = [sys.executable, "-m", "grpc_tools.protoc", *(f"-I{d}" for d in include_dirs), f"-I{well_known}"]
        if betterproto_out is not None:
            command += [
                f"--plugin=protoc-gen-python_betterproto2={_tool('protoc-gen-python_betterproto2')}",
                f"--python_betterproto2_out=client_generation=none:{betterproto_out}",
            ]
        command += [
            *extra_plugins,
            f"--plugin=protoc-gen-reglet={wrapper}",
            # Parameters go in --reglet_opt: the WIT package name contains ':', which --reglet_out
            # would take for the end of the parameters.
            f"--reglet_opt={reglet_parameters}",
            f"--reglet_out={reglet_out}",
            *protos,
        ]
        env = dict(os.environ)
        # betterproto2's compiler formats its output with the `ruff` on PATH: use the pinned one.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONPATH"] = f"{Path(__file__).resolve().parent.parent}{os.pathsep}{env.get('PYTHONPATH', '')}"
        result = subprocess.run(command, cwd=scratch, env=env, capture_output=True, text=True, check=False)
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
            f"proto_root={_display_path(settings.proto_dir)}",
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
        sources = f"{settings.proto_dir.name}/**/*.proto via betterproto2"
        path.write_text(
            f"# Generated by reglet codegen (codegen/) from {sources}.\n"
            "# DO NOT EDIT: change the .proto files or codegen/ and run `make codegen`.\n" + text,
            encoding="utf-8",
        )


def _readme(settings: Settings) -> str:
    return (
        "# generated/ — DO NOT EDIT\n\n"
        "Everything here is written by `make codegen` from the `.proto` files in "
        f"`{settings.proto_dir.name}/` and the generator in `codegen/`; `make check-codegen` (part of the "
        "test command) fails when this folder differs from a fresh run.\n\n"
        f"- `wit/`: the WIT package `{settings.wit_package}` (one interface per service, world "
        f"`{settings.world}`).\n"
        f"- `python/{settings.python_package}/`: betterproto2 messages, `services.py` (rpc tables), "
        "`guest.py` (stubs bundled into plugins), `host.py` (wasmtime bindings) and the runtime support "
        "modules `_rpc.py` and `_wasmtime_rpc.py`.\n"
        + (
            "- `js/`: protoc-gen-es messages (`*_pb.js` + `.d.ts`) and `services.js` (rpc tables) for the Node "
            "host in hosts/node.\n"
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


def main(argv: list[str] | None = None) -> int:
    """Command line: `python -m codegen [--check]`."""
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when generated/ differs from a fresh run")
    parser.add_argument("--pyproject", type=Path, default=REPO / "pyproject.toml")
    args = parser.parse_args(argv)
    settings = Settings.load(args.pyproject)
    with tempfile.TemporaryDirectory(prefix="reglet-generated-") as scratch:
        fresh = Path(scratch) / "generated"
        try:
            generate(settings, fresh)
        except CodegenFailed as exc:
            print(f"codegen failed:\n{exc}", file=sys.stderr)
            return 1
        if args.check:
            problems = differences(tree(fresh), tree(settings.out_dir))
            if problems:
                print(
                    f"{settings.out_dir.name}/ is stale or was edited by hand:\n  "
                    + "\n  ".join(problems)
                    + "\nRun `make codegen` and commit the result.",
                    file=sys.stderr,
                )
                return 1
            print(f"{settings.out_dir.name}/ is up to date ({len(tree(fresh))} files).")
            return 0
        if settings.out_dir.exists():
            shutil.rmtree(settings.out_dir)
        shutil.copytree(fresh, settings.out_dir)
        print(f"wrote {len(tree(fresh))} files to {settings.out_dir.name}/")
        return 0
