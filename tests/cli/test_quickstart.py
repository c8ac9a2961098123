"""The README quickstart, run verbatim in a temporary folder (the setup block is this environment)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COMPILE_CACHE, REPO

pytestmark = pytest.mark.component


def quickstart_commands() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    assert blocks[0].split() == ["make", "setup", "source", ".venv/bin/activate"]  # what this test stands in for
    return str(blocks[1])


def test_readme_quickstart_runs_verbatim(tmp_path: Path) -> None:
    script = quickstart_commands()
    assert script.startswith("reglet-sdk new demo\n")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # = source .venv/bin/activate
        "REGLET_CACHE_DIR": str(COMPILE_CACHE.parent),
        "REGLET_GRANTS_STORE": str(tmp_path / "grants.yaml"),
    }
    completed = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "4 passed" in output  # pytest in demo/
    assert (tmp_path / "demo" / "demo.wasm").exists()
    assert "PASS demo: 42" in output  # reglet-sdk check
    assert "3 passed, 0 failed" in output  # reglet-sdk test
