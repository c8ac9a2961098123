"""Loading conformance cases: the YAML files, validated against case.schema.json, placeholders filled.

A case names a plugin folder, a call (describe, schema, check or roundtrip), the config and grants,
and what the host must answer (see case.schema.json and docs/abi.md). Strings may hold placeholders
that the local servers define (`{http.port}`, `{ca_bundle}`, `{files.dir}`, ...; see
conformance.serve); a string that is exactly one placeholder takes the placeholder's value with its
type (a port stays an integer).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "conformance" / "cases"
SCHEMA_PATH = ROOT / "conformance" / "case.schema.json"
PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\}")


class CaseError(Exception):
    """A case file is malformed or refers to something that does not exist."""


@dataclass(frozen=True)
class Case:
    """One conformance case, as written (placeholders not yet filled)."""

    id: str
    name: str
    description: str
    plugin: str
    call: str
    config: dict[str, Any] = field(default_factory=dict)
    grants: tuple[str, ...] = ()
    timeout: float | None = None
    ca_bundle: bool = False
    servers: tuple[str, ...] = ()
    expect: dict[str, Any] = field(default_factory=dict)
    vectors: str = ""
    known_bugs: dict[str, str] = field(default_factory=dict)
    """Hosts known to fail this case today, with the bug (the case must fail there)."""

    @property
    def plugin_dir(self) -> Path:
        """The plugin's folder."""
        return ROOT / self.plugin


def _schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return document


def load_file(path: Path) -> list[Case]:
    """The cases of one file, validated against the schema; raises CaseError naming the problem."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CaseError(f"{path} is not valid YAML: {exc}") from exc
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise CaseError(f"{path.name}: {where}: {errors[0].message}")
    cases = []
    for raw in document["cases"]:
        case = Case(
            id=f"{path.stem}/{raw['name']}",
            name=raw["name"],
            description=raw["description"],
            plugin=raw["plugin"],
            call=raw["call"],
            config=raw.get("config", {}),
            grants=tuple(raw.get("grants", ())),
            timeout=raw.get("timeout"),
            ca_bundle=raw.get("ca_bundle", False),
            servers=tuple(raw.get("servers", ())),
            expect=raw.get("expect", {}),
            vectors=raw.get("vectors", ""),
            known_bugs=raw.get("known_bugs", {}),
        )
        if not case.plugin_dir.is_dir():
            raise CaseError(f"{case.id}: plugin folder {case.plugin} does not exist")
        unlisted = sorted(_placeholder_servers(raw) - set(case.servers))
        if unlisted:
            raise CaseError(f"{case.id}: uses placeholders of {', '.join(unlisted)}; list them under `servers:`")
        cases.append(case)
    return cases


def _placeholder_servers(value: Any) -> set[str]:
    """The servers whose placeholders (`{http.port}`, `{files.dir}`) a raw case uses."""
    if isinstance(value, dict):
        return {name for key, item in value.items() if key != "description" for name in _placeholder_servers(item)}
    if isinstance(value, list):
        return {name for item in value for name in _placeholder_servers(item)}
    if isinstance(value, str):
        return {match.group(1).split(".")[0] for match in PLACEHOLDER.finditer(value) if "." in match.group(1)}
    return set()


def load_cases(directory: Path = CASES_DIR) -> list[Case]:
    """Every case of every file, in file and then case order; ids must be unique."""
    cases = [case for path in sorted(directory.glob("*.yaml")) for case in load_file(path)]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise CaseError(f"case {case.id} is defined twice")
        seen.add(case.id)
    if not cases:
        raise CaseError(f"{directory} holds no cases")
    return cases


def flatten(servers: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The placeholders of a server description: {"http": {"port": 1}} gives {"http.port": 1}."""
    values: dict[str, Any] = {}
    for key, value in servers.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            values.update(flatten(value, f"{name}."))
        else:
            values[name] = value
    return values


def substitute(value: Any, placeholders: dict[str, Any]) -> Any:
    """`value` with every placeholder filled; raises CaseError for an unknown one."""
    if isinstance(value, dict):
        return {key: substitute(item, placeholders) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(item, placeholders) for item in value]
    if not isinstance(value, str):
        return value
    whole = PLACEHOLDER.fullmatch(value)
    if whole and whole.group(1) in placeholders:
        return placeholders[whole.group(1)]

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in placeholders:
            raise CaseError(f"unknown placeholder {{{name}}} (known: {', '.join(sorted(placeholders))})")
        return str(placeholders[name])

    return PLACEHOLDER.sub(fill, value)


def plugin_folders(cases: list[Case]) -> list[Path]:
    """The distinct plugin folders the cases use, in first-use order."""
    return list(dict.fromkeys(case.plugin_dir for case in cases))
