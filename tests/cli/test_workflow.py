"""The author's workflow: `reglet-sdk new`, native tests of the scaffold, `reglet-sdk test` examples."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reglet_sdk.cli import main
from reglet_sdk.testing.plugin_examples import data_mismatches
from tests.conftest import COMPILE_CACHE, REPO_EXAMPLES


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _caches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGLET_CACHE_DIR", str(COMPILE_CACHE.parent))


def test_new_refuses_bad_names_and_existing_folders(tmp_path: Path) -> None:
    code, _, err = run("new", "Bad Name", "--dir", str(tmp_path / "x"))
    assert code == 2 and "lower-case words joined by dashes" in err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "f").write_text("x")
    code, _, err = run("new", "taken", "--dir", str(tmp_path / "taken"))
    assert code == 2 and "already exists and is not empty" in err


def test_new_plugin_tests_pass_unchanged(tmp_path: Path) -> None:
    code, out, _ = run("new", "demo-check", "--dir", str(tmp_path / "demo"))
    assert code == 0 and "created" in out
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == [
        "README.md",
        "plugin.py",
        "plugin.yaml",
        "test_plugin.py",
    ]
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path / "demo",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "4 passed" in completed.stdout


@pytest.mark.component
def test_new_plugin_builds_and_its_examples_pass(tmp_path: Path) -> None:
    assert run("new", "demo", "--dir", str(tmp_path / "demo"))[0] == 0
    code, out, err = run("test", str(tmp_path / "demo"))
    assert code == 0, out + err
    assert out.splitlines() == [
        "PASS within-bounds",
        "PASS above-the-maximum",
        "PASS missing-value",
        "3 passed, 0 failed",
    ]


@pytest.mark.component
def test_reglet_sdk_test_reports_a_failing_example(tmp_path: Path) -> None:
    assert run("new", "demo", "--dir", str(tmp_path / "demo"))[0] == 0
    yaml_path = tmp_path / "demo" / "plugin.yaml"
    yaml_path.write_text(yaml_path.read_text().replace("data: {within: true}", "data: {within: false, value: 41}"))
    code, out, _ = run("test", str(tmp_path / "demo"))
    assert code == 1
    assert (
        "FAIL within-bounds" in out
        and "data.within is True, expected False" in out
        and "data.value is 42.0, expected 41" in out
    )


@pytest.mark.component
def test_hello_examples_pass_and_describe_lists_them(hello_wasm: Path) -> None:
    code, out, _ = run("test", str(REPO_EXAMPLES / "hello"))
    assert code == 0 and out.endswith("3 passed, 0 failed\n")
    code, out, _ = run("describe", str(hello_wasm))
    assert "examples (reglet-sdk test):" in out and "greets-twice: expects success" in out


def test_data_subset_matching() -> None:
    assert data_mismatches({"a": 1, "n": {"x": [1]}}, {"a": 1, "b": 2, "n": {"x": [1], "y": 0}}) == []
    assert data_mismatches({"a": 1}, {"a": 1.0}) == ["data.a is 1.0, expected 1"]
    assert data_mismatches({"n": {"x": 2}}, {"n": {}}) == ["data.n.x is missing"]


def test_console_script_new(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "reglet-sdk"
    completed = subprocess.run(
        [str(script), "new", "cli-made"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dict(os.environ),
    )
    assert completed.returncode == 0 and (tmp_path / "cli-made" / "plugin.py").exists()
