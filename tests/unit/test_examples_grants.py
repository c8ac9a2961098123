"""The README's example table and examples/run.py agree on each example's minimum grants."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- minimum-grants:"


@functools.cache
def run_module() -> ModuleType:
    """examples/run.py as a module (it is a script, not a package member), loaded once."""
    spec = importlib.util.spec_from_file_location("examples_run", ROOT / "examples" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def readme_table() -> dict[str, list[str]]:
    """{example: [grant templates]} from the README's minimum-grants table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = text[text.index(MARKER) :].splitlines()[1:]
    table: dict[str, list[str]] = {}
    for line in lines[2:]:  # after the header and the --- row
        if not line.startswith("|"):
            break
        name_cell, _, grants_cell = [cell.strip() for cell in line.strip("|").split("|")]
        name = re.search(r"`([^`]+)`", name_cell)
        assert name, line
        # The grants are the backquoted rules that hold a "{field}" placeholder; the other backquoted
        # text (e.g. a filled-in example) is commentary.
        table[name.group(1)] = [g for g in re.findall(r"`([^`]+)`", grants_cell) if "{" in g]
    return table


def test_the_readme_lists_the_minimum_grants_run_py_uses() -> None:
    assert readme_table() == run_module().MINIMUM_GRANTS


def test_every_example_plugin_is_listed() -> None:
    plugins = {p.parent.name for p in (ROOT / "examples").glob("*/plugin.py")} - {"abi_roundtrip"}
    assert set(readme_table()) == plugins


def test_each_succeeding_control_gets_exactly_the_minimum_grants() -> None:
    run = run_module()
    checks = run.controls(1001, 1002, 1003, 1004)
    for control in checks:
        if control.expect != "error":
            assert control.refused_grants is None, control.title
            assert control.grants == run.minimum_grants(control.plugin, control.config)
    by_title = {c.title: c for c in checks}
    assert by_title["README.md exists"].grants == [f"fs:read:{ROOT / 'README.md'}"]
    assert by_title["web server answers 200"].grants == ["network:127.0.0.1:1004"]
    assert by_title["expired certificate is found"].grants == ["network:localhost:1003"]


def test_optional_fields_drop_their_grant() -> None:
    run = run_module()
    assert run.minimum_grants("dns", {"hostname": "example.com"}) == ["network:example.com:53"]
    assert run.minimum_grants("dns", {"hostname": "example.com", "nameserver": "10.0.0.53:53"}) == [
        "network:example.com:53",
        "network:10.0.0.53:53",
    ]
    assert run.minimum_grants("http", {"url": "https://example.com/x"}) == ["network:example.com:443"]
