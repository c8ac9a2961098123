"""The `[tool.reglet-codegen]` table of a config file (pyproject.toml or codegen.toml), checked.

Every path in the table is relative to the config file's folder, and every path the generator writes
into generated files is relative to that folder too, so a project generates the same bytes wherever
it is checked out. An extension's protos import the SDK's (`import "reglet/v1/common.proto";`):
those are found in the installed SDK (`reglet_abi/proto`), or in a source checkout's `proto/`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TABLE = "tool.reglet-codegen"
_REQUIRED = ("proto_dir", "out_dir", "wit_package", "python_package", "world")
_OPTIONAL = ("exports", "include_dirs", "include_world", "provided", "javascript")


class ConfigError(Exception):
    """The config file is missing, unreadable or its table is wrong; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    """What one generation run needs, read from a config file."""

    config: Path  # the config file; its folder is the root of every relative path
    proto_dir: Path
    out_dir: Path
    wit_package: str
    python_package: str
    world: str
    exports: tuple[str, ...]
    # Extensions (a project's own services on top of the SDK's):
    include_dirs: tuple[Path, ...] = ()  # proto roots to import from; the SDK's protos come last
    include_world: str = ""  # a world the generated world includes, e.g. "reglet:abi/reglet-plugin@0.1.0"
    provided: tuple[tuple[str, str], ...] = ()  # proto package -> Python package that already has it
    javascript: bool = False  # also write js/ for the Node host (see reglet_codegen.es)

    @classmethod
    def load(cls, config: Path) -> Settings:
        """Reads `config`; raises ConfigError naming the file and what to change."""
        table = _read_table(config)
        root = config.resolve().parent
        exports = _strings(table, "exports", config)
        include_dirs = [(root / d).resolve() for d in _strings(table, "include_dirs", config)]
        provided = table.get("provided", {})
        if not isinstance(provided, Mapping) or not all(isinstance(v, str) for v in provided.values()):
            raise ConfigError(f'{config}: [{TABLE}.provided] must map proto packages to Python packages ("a.b" = "x").')
        proto_dir = (root / _string(table, "proto_dir", config)).resolve()
        out_dir = (root / _string(table, "out_dir", config)).resolve()
        if root.is_relative_to(out_dir) or proto_dir.is_relative_to(out_dir):
            # Generation replaces out_dir as a whole: it must not hold the project's own files.
            raise ConfigError(
                f"{config}: [{TABLE}] out_dir {out_dir} contains the config file or proto_dir, and generation "
                'replaces out_dir entirely. Give generated files a folder of their own, e.g. out_dir = "generated".'
            )
        sdk_protos = sdk_proto_dir()
        if sdk_protos not in (proto_dir, *include_dirs):
            include_dirs.append(sdk_protos)
        return cls(
            config=config.resolve(),
            proto_dir=proto_dir,
            out_dir=out_dir,
            wit_package=_string(table, "wit_package", config),
            python_package=_string(table, "python_package", config),
            world=_string(table, "world", config),
            exports=tuple(exports),
            include_dirs=tuple(include_dirs),
            include_world=_string(table, "include_world", config, required=False),
            provided=tuple(sorted(provided.items())),
            javascript=_flag(table, "javascript", config),
        )

    @property
    def root(self) -> Path:
        """The config file's folder."""
        return self.config.parent

    def relative(self, path: Path) -> str:
        """`path` as written into generated files: relative to the config file's folder, with `/`."""
        return Path(os.path.relpath(path, self.root)).as_posix()

    @property
    def runtime_package(self) -> str:
        """Where the generated code finds _rpc: the SDK's package for extensions, else its own."""
        return dict(self.provided).get("reglet.v1", self.python_package)


def _read_table(config: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(config.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the codegen config {config}: {exc.strerror or exc}.") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config} is not valid TOML: {exc}. Fix the file.") from exc
    table = document.get("tool", {}).get("reglet-codegen")
    if not isinstance(table, dict):
        raise ConfigError(
            f"{config} has no [{TABLE}] table. Add one with proto_dir, out_dir, wit_package, python_package "
            "and world (see docs/abi.md, 'Adding host functions of your own')."
        )
    missing = [key for key in _REQUIRED if key not in table]
    unknown = sorted(set(table) - {*_REQUIRED, *_OPTIONAL})
    if missing or unknown:
        known = ", ".join(_REQUIRED + _OPTIONAL)
        problems = [f"missing key(s) {', '.join(missing)}"] if missing else []
        problems += [f"unknown key(s) {', '.join(unknown)} (known: {known})"] if unknown else []
        raise ConfigError(f"{config}: [{TABLE}] has {'; '.join(problems)}.")
    return table


def _string(table: Mapping[str, Any], key: str, config: Path, *, required: bool = True) -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (required and not value):
        kind = "a non-empty string" if required else "a string"
        raise ConfigError(f"{config}: [{TABLE}] {key} must be {kind}, not {value!r}.")
    return value


def _strings(table: Mapping[str, Any], key: str, config: Path) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{config}: [{TABLE}] {key} must be a list of strings, not {value!r}.")
    return value


def sdk_proto_dir() -> Path:
    """The SDK's own .proto files: `reglet_abi/proto` in an installed wheel, `proto/` in a source checkout.

    Found next to this package rather than by importing reglet_abi, so the SDK can regenerate its own
    generated/ (where reglet_abi lives in a checkout) even after it was deleted.
    """
    here = Path(__file__).resolve().parent
    # The wheel installs reglet_abi beside reglet_codegen; a checkout has codegen/reglet_codegen and proto/.
    candidates = (here.parent / "reglet_abi" / "proto", here.parents[1] / "proto")
    for candidate in candidates:
        if (candidate / "reglet" / "v1").is_dir():
            return candidate
    raise ConfigError(
        f"the SDK's .proto files are missing (looked in {' and '.join(map(str, candidates))}); reinstall reglet-sdk."
    )


def _flag(table: Mapping[str, Any], key: str, config: Path) -> bool:
    """An optional true/false setting (default false)."""
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{config}: [{TABLE}] {key} must be true or false, not {value!r}.")
    return value
