"""The `reglet-sdk` command line on built components: output, formats and exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reglet_sdk.cli import main
from tests.conftest import COMPILE_CACHE

pytestmark = pytest.mark.component


@pytest.fixture(autouse=True)
def _shared_compile_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGLET_CACHE_DIR", str(COMPILE_CACHE.parent))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_describe_text_and_json(hello_wasm: Path) -> None:
    code, out, _ = run("describe", str(hello_wasm))
    assert code == 0
    assert out.startswith("hello 1.0.0\n")
    assert "name (string, required): Who to greet." in out
    code, out, _ = run("describe", str(hello_wasm), "--format", "json")
    assert code == 0
    assert json.loads(out)["config_schema"]["required"] == ["name"]


def test_schema_prints_the_json_schema(hello_wasm: Path) -> None:
    code, out, _ = run("schema", str(hello_wasm))
    assert code == 0
    assert json.loads(out)["title"] == "HelloConfig"


def test_check_success_is_exit_0_with_logs_on_stderr(hello_wasm: Path) -> None:
    code, out, err = run("check", str(hello_wasm), "--config", '{"name": "Ada"}')
    assert code == 0
    assert out.startswith("PASS hello: Hello, Ada!")
    assert '  name: "Ada"' in out
    assert "[hello] INFO greeting Ada person=Ada times=1" in err


def test_check_failure_is_exit_1(hello_wasm: Path) -> None:
    code, out, _ = run("check", str(hello_wasm), "--config", '{"name": "ada", "require_name_capitalised": true}')
    assert code == 1
    assert out.startswith("FAIL hello:")


def test_check_json_output_has_the_result_keys(hello_wasm: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("name: Grace\ntimes: 3\n")
    code, out, _ = run("check", str(hello_wasm), "--config", f"@{config}", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"status", "message", "data", "error", "timestamp", "metadata"}
    assert result["status"] == "success" and result["data"]["name"] == "Grace" and result["error"] is None
    assert result["metadata"]["plugin_name"] == "hello" and result["timestamp"].endswith("Z")


def test_check_error_is_exit_2_with_the_error(misbehaving_wasm: Path) -> None:
    code, out, _ = run("check", str(misbehaving_wasm), "--config", '{"mode": "raise"}', "--format", "json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["type"] == "panic" and "ZeroDivisionError" in error["stack"]


def test_timeout_and_memory_limit_flags(misbehaving_wasm: Path) -> None:
    code, out, _ = run(
        "check", str(misbehaving_wasm), "--config", '{"mode": "loop"}', "--timeout", "1", "--format", "json"
    )
    assert code == 2 and json.loads(out)["error"]["type"] == "timeout"
    code, out, _ = run(
        "check", str(misbehaving_wasm), "--config", '{"mode": "bomb"}', "--memory-limit", "60", "--format", "json"
    )
    assert code == 2 and json.loads(out)["error"]["type"] == "memory"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--config", "{bad"], "--config is not valid JSON"),
        (["--config", "[1, 2]"], "must be a JSON object"),
        (["--config", "@/nonexistent/config.json"], "cannot read /nonexistent/config.json"),
        (["--timeout", "0"], "--timeout must be a positive number"),
    ],
)
def test_bad_arguments_are_exit_2_with_a_clear_message(hello_wasm: Path, argv: list[str], message: str) -> None:
    code, _, err = run("check", str(hello_wasm), *argv)
    assert code == 2
    assert message in err


def test_not_a_plugin_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "x.wasm"
    path.write_bytes(b"nope")
    code, _, err = run("check", str(path))
    assert code == 2 and "is not a WebAssembly file" in err


def test_console_script_runs(hello_wasm: Path) -> None:
    script = Path(sys.executable).parent / "reglet-sdk"
    completed = subprocess.run(
        [str(script), "check", str(hello_wasm), "--config", '{"name": "Ada"}', "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "REGLET_CACHE_DIR": str(COMPILE_CACHE.parent)},
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["status"] == "success"
