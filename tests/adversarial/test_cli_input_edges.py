"""Item 10 of issue 10: hostile or broken input to the CLI ends in one clear line and exit 2, never a traceback.

Every case runs the real `reglet-sdk check` as a subprocess on a built component.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.adversarial.impostor import impostor_wasm, reglet

pytestmark = pytest.mark.component

BINARY = bytes(range(256)) * 4


@pytest.fixture(scope="module")
def probe() -> Path:
    return impostor_wasm()


def one_line_error(stderr: str, *expected: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("reglet-sdk check: ") and all(text in lines[0] for text in expected), lines[0]


def _nested(depth: int) -> str:
    return '{"a": ' + "[" * depth + "]" * depth + "}"


_ALIAS_BOMB = (
    "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
).encode()

CONFIG_FILES: list[tuple[str, bytes, tuple[str, ...]]] = [
    ("deep.json", _nested(100_000).encode(), ("nests",)),
    ("deep.yaml", ("a: " + "[" * 100_000 + "]" * 100_000).encode(), ("nests",)),
    ("deeper-than-allowed.json", _nested(150).encode(), ("nests deeper than 100 levels",)),
    ("big.json", ('{"a": ' + "9" * 5000 + "}").encode(), ("not a config this host accepts", "digits")),
    ("big.yaml", ("a: " + "9" * 5000).encode(), ("not a config this host accepts", "digits")),
    ("binary.json", BINARY, ("not UTF-8 text",)),
    ("binary.yaml", BINARY, ("not UTF-8 text",)),
    ("nan.json", b'{"a": NaN}', ("NaN is not a JSON number",)),
    ("control.yaml", b"a: \x1b[2K\x00", ("not valid YAML",)),
    ("inf.yaml", b"a: .inf", ("holds inf, which is not a JSON number",)),
    ("aliases.yaml", _ALIAS_BOMB, ("holds more than 1000000 values",)),
]


@pytest.mark.parametrize(("name", "content", "expected"), CONFIG_FILES, ids=[c[0] for c in CONFIG_FILES])
def test_config_files(probe: Path, tmp_path: Path, name: str, content: bytes, expected: tuple[str, ...]) -> None:
    config = tmp_path / name
    config.write_bytes(content)
    run = reglet("check", str(probe), "--trust", "--config", f"@{config}", store=tmp_path / "s.yaml")
    assert run.returncode == 2
    one_line_error(run.stderr, *expected)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("binary.yaml", BINARY, ("--grants", "not UTF-8 text")),
        ("nul.yaml", b"capabilities:\n  env: {vars: [A]}\n\x00", ("not valid YAML",)),
        ("deep.yaml", b"capabilities: " + b"[" * 100_000, ("grants",)),
        ("dotdot.yaml", b"capabilities:\n  fs: {rules: [{write: [/tmp/../**]}]}\n", ("contains `..`", "fs:write:/**")),
    ],
)
def test_grants_files(probe: Path, tmp_path: Path, name: str, content: bytes, expected: tuple[str, ...]) -> None:
    grants = tmp_path / name
    grants.write_bytes(content)
    run = reglet("check", str(probe), "--grants", str(grants), store=tmp_path / "s.yaml")
    assert run.returncode == 2
    one_line_error(run.stderr, *expected)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e300", "-1", "0", "86401"])
def test_timeout_out_of_range(probe: Path, tmp_path: Path, value: str) -> None:
    run = reglet("check", str(probe), "--trust", f"--timeout={value}", store=tmp_path / "s.yaml")
    assert run.returncode == 2
    one_line_error(run.stderr, "--timeout must be a positive number of seconds, at most 86400")


@pytest.mark.parametrize("value", ["0", "-1", "4097", "1" + "0" * 30])
def test_memory_limit_out_of_range(probe: Path, tmp_path: Path, value: str) -> None:
    run = reglet("check", str(probe), "--trust", f"--memory-limit={value}", store=tmp_path / "s.yaml")
    assert run.returncode == 2
    one_line_error(run.stderr, "--memory-limit must be a positive number of MiB, at most 4096")


def _write(content: bytes) -> Callable[[Path], None]:
    def make(store: Path) -> None:
        store.write_bytes(content)
        store.chmod(0o600)

    return make


def _entry(value: object) -> Callable[[Path], None]:
    return _write(yaml.safe_dump({"components": {"ab" * 32: value}}).encode())


def _directory(store: Path) -> None:
    store.mkdir()


def _chmod(mode: int, folder: bool = False) -> Callable[[Path], None]:
    def make(store: Path) -> None:
        _write(b"components: {}\n")(store)
        (store.parent if folder else store).chmod(mode)

    return make


STORES: list[tuple[str, Callable[[Path], None], tuple[str, ...]]] = [
    ("invalid-yaml", _write(b"components: [\n"), ("is not valid YAML", "Fix it, or remove it")),
    ("binary", _write(BINARY), ("is not UTF-8 text",)),
    ("nul", _write(b"components: {}\n\x00"), ("is not valid YAML",)),
    ("deep", _write(b"components: " + b"[" * 100_000), ("grants store",)),
    ("not-a-mapping", _write(b"- exec:/bin/sh\n"), ("is not a mapping with a `components:` key",)),
    ("non-list-entry", _entry({"name": "command", "rules": "exec:/bin/sh"}), ("is not a list of rules",)),
    ("entry-not-a-mapping", _entry(["exec:/bin/sh"]), ("not a mapping with `name` and `rules`",)),
    ("bad-rule", _entry({"name": "c", "rules": ["exec:/usr/bin/../bin/sh"]}), ("bad rule", "contains `..`")),
    ("bad-key", _write(b"components: {command: {name: command, rules: []}}\n"), ("not a component's SHA-256",)),
    ("directory", _directory, ("is not a regular file",)),
    ("others-can-write-the-file", _chmod(0o666), ("others can write the file", "chmod go-w")),
    ("others-can-write-the-folder", _chmod(0o777, folder=True), ("others can write its folder", "chmod go-w")),
]


@pytest.mark.parametrize(("name", "make", "expected"), STORES, ids=[s[0] for s in STORES])
def test_grant_stores(
    probe: Path, tmp_path: Path, name: str, make: Callable[[Path], None], expected: tuple[str, ...]
) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir(mode=0o700)
    store = folder / "grants.yaml"
    make(store)
    run = reglet("check", str(probe), "--config", json.dumps({"exec": ["/usr/bin/id"]}), store=store)
    assert run.returncode == 2 and run.stdout == ""
    one_line_error(run.stderr, f"the grants store {store}", *expected)


def test_a_grant_store_that_is_not_yours_is_refused(probe: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir(mode=0o700)
    store = folder / "grants.yaml"
    _write(b"components: {}\n")(store)
    if os.getuid() == 0:
        os.chown(store, 65534, -1)  # root can give it away; anyone else checks a file root owns
    else:
        store = Path("/etc/hostname")
    run = reglet("check", str(probe), store=store)
    assert run.returncode == 2
    one_line_error(run.stderr, f"the grants store {store}", "belongs to uid", "not to you")
