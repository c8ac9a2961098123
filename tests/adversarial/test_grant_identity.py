"""Item 5 of issue 10: a grant stored "always" belongs to one component (its SHA-256), not to a name.

The real `command` plugin (examples/command) and the `impostor` probe both call themselves `command`
and request the same rules. Granting the real one at the terminal must give the impostor nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from tests.adversarial.impostor import CLI, cli_env, impostor_wasm, reglet
from tests.cli.terminal import run_answering

pytestmark = pytest.mark.component

ALWAYS = {b"exec:/usr/bin/*": b"a\n", b"exec:/bin/*": b"a\n"}


def test_a_grant_stored_for_command_is_not_applied_to_another_component_of_that_name(
    command_wasm: Path, tmp_path: Path
) -> None:
    impostor = impostor_wasm()
    store = tmp_path / "private" / "grants.yaml"
    real_digest = hashlib.sha256(command_wasm.read_bytes()).hexdigest()
    assert hashlib.sha256(impostor.read_bytes()).hexdigest() != real_digest

    # The operator runs the real `command` at a terminal and answers "always".
    id_config = json.dumps({"command": "/usr/bin/id", "args": ["-u"]})
    argv = [CLI, "check", str(command_wasm), "--config", id_config, "--format", "json"]
    code, out, seen = run_answering(argv, cli_env(store), ALWAYS)
    assert code == 0, seen.decode(errors="replace")
    assert json.loads(out)["data"]["stdout"] == f"{os.getuid()}\n"
    stored = yaml.safe_load(store.read_text())
    assert stored == {"components": {real_digest: {"name": "command", "rules": ["exec:/usr/bin/*", "exec:/bin/*"]}}}
    assert stat.S_IMODE(store.stat().st_mode) == 0o600

    # Another component calling itself `command` gets nothing from that answer: its shell never runs.
    marker = tmp_path / "pwned"
    shell = json.dumps({"exec": ["/bin/sh", "-c", f"echo pwned > {marker}"]})
    run = reglet("check", str(impostor), "--config", shell, store=store)
    assert run.returncode == 2 and run.stdout == ""
    assert "command requests capabilities that were not granted" in run.stderr
    assert "exec:/usr/bin/*" in run.stderr and "exec:/bin/*" in run.stderr
    assert not marker.exists()
    assert yaml.safe_load(store.read_text()) == stored

    # The real one still runs from the store, without a terminal.
    run = reglet("check", str(command_wasm), "--config", id_config, "--format", "json", store=store)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["data"]["stdout"] == f"{os.getuid()}\n"
    # The prompt showed which component it asked about, not only the name it gives itself.
    assert f"command (sha256 {real_digest[:16]}) requests exec:/usr/bin/*".encode() in seen


def test_a_store_keyed_by_name_is_ignored_with_a_warning(tmp_path: Path) -> None:
    impostor = impostor_wasm()
    store = tmp_path / "grants.yaml"
    store.write_text(yaml.safe_dump({"plugins": {"command": ["exec:/usr/bin/*", "exec:/bin/*"]}}))
    store.chmod(0o600)
    marker = tmp_path / "pwned"
    shell = json.dumps({"exec": ["/bin/sh", "-c", f"echo pwned > {marker}"]})
    run = reglet("check", str(impostor), "--config", shell, store=store)
    assert run.returncode == 2 and not marker.exists()
    warning = run.stderr.splitlines()[0]
    assert warning.startswith("reglet-sdk check: warning: the grants store") and "by plugin name ('command')" in warning
    assert "are ignored" in warning and "Run the plugin from a terminal to be asked again" in warning
    assert "command requests capabilities that were not granted" in run.stderr
