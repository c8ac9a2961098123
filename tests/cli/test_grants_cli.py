"""Granting from the command line: --trust, --grant, --grants, strict mode, the store and its prompt."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from reglet_sdk.cli import main
from reglet_sdk.host.grant_store import Answer, GrantsNeeded, GrantStore, PluginIdentity, decide
from reglet_sdk.host.rules import Rule, parse_rule
from tests.cli.terminal import run_answering
from tests.conftest import COMPILE_CACHE

P = PluginIdentity("p", "ab" * 32)
ID = ["--config", json.dumps({"op": "exec", "command": "/usr/bin/id", "args": ["-u"]}), "--format", "json"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REGLET_CACHE_DIR", str(COMPILE_CACHE.parent))
    monkeypatch.setenv("REGLET_GRANTS_STORE", str(tmp_path / "store" / "grants.yaml"))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


@pytest.mark.component
def test_describe_shows_requested_rules_with_risk(capabilities_wasm: Path) -> None:
    code, out, _ = run("describe", str(capabilities_wasm))
    assert code == 0
    assert "exec:/usr/bin/id   (critical)" in out
    assert "env:REGLET_TEST_*   (low, broad: it matches more than one variable name" in out
    code, out, _ = run("describe", str(capabilities_wasm), "--format", "json")
    assert {"rule": "exec:/usr/bin/id", "risk": "critical", "broad": None} in json.loads(out)["requested_rules"]


@pytest.mark.component
def test_without_grants_and_without_a_terminal_the_run_fails_listing_the_rules(capabilities_wasm: Path) -> None:
    code, out, err = run("check", str(capabilities_wasm), *ID)
    assert code == 2 and out == ""
    assert "capabilities requests capabilities that were not granted" in err
    assert "exec:/usr/bin/id   (risk: critical)" in err and "env:REGLET_TEST_*" in err
    assert "--grant exec:/usr/bin/id" in err and "--grants FILE" in err and "--trust" in err


@pytest.mark.component
def test_trust_grants_exactly_what_is_requested(capabilities_wasm: Path, tmp_path: Path) -> None:
    code, out, _ = run("check", str(capabilities_wasm), "--trust", *ID)
    assert code == 0 and json.loads(out)["data"]["stdout"] == f"{os.getuid()}\n"
    marker = tmp_path / "m"
    config = json.dumps({"op": "exec", "command": "/usr/bin/touch", "args": [str(marker)]})
    code, out, _ = run("check", str(capabilities_wasm), "--trust", "--config", config, "--format", "json")
    assert json.loads(out)["data"] == {"ok": False, "type": "capability", "code": "exec:/usr/bin/touch"}
    assert not marker.exists()


@pytest.mark.component
def test_explicit_grant_is_the_whole_decision(capabilities_wasm: Path) -> None:
    # A rule the plugin did not request may be granted; a requested one not granted is denied.
    config = json.dumps({"op": "exec", "command": "/usr/bin/uname"})
    code, out, _ = run(
        "check", str(capabilities_wasm), "--grant", "exec:/usr/bin/uname", "--config", config, "--format", "json"
    )
    assert code == 0 and json.loads(out)["data"]["stdout"].strip() == os.uname().sysname
    code, out, _ = run("check", str(capabilities_wasm), "--grant", "exec:/usr/bin/uname", *ID)
    assert json.loads(out)["data"]["code"] == "exec:/usr/bin/id"


@pytest.mark.component
def test_grants_file(capabilities_wasm: Path, tmp_path: Path) -> None:
    grants = tmp_path / "grants.yaml"
    grants.write_text("capabilities:\n  exec:\n    commands: [/usr/bin/id]\n")
    code, out, _ = run("check", str(capabilities_wasm), "--grants", str(grants), *ID)
    assert code == 0 and json.loads(out)["data"]["ok"] is True
    grants.write_text("capabilities:\n  exec:\n    command: [/usr/bin/id]\n")
    code, _, err = run("check", str(capabilities_wasm), "--grants", str(grants), *ID)
    assert code == 2 and "grants.yaml:3: capabilities.exec.command: unknown key" in err


@pytest.mark.component
def test_strict_mode_refuses_broad_rules(capabilities_wasm: Path) -> None:
    code, _, err = run(
        "check",
        str(capabilities_wasm),
        "--security",
        "strict",
        "--grant",
        "exec:/bin/sh",
        "--grant",
        "fs:read:/etc/**",
        *ID,
    )
    assert code == 2
    assert "--security strict refuses broad rules" in err
    assert "exec:/bin/sh: sh is a shell" in err and "fs:read:/etc/**: it grants system configuration" in err
    code, _, _ = run("check", str(capabilities_wasm), "--security", "strict", "--grant", "exec:/usr/bin/id", *ID)
    assert code == 0


@pytest.mark.component
def test_strict_mode_accepts_an_exact_file_grant_and_the_file_check_works_with_it(file_wasm: Path) -> None:
    # Issue 12: the narrowest grant there is passes strict mode, and examples/file reads the file
    # through the host with nothing else granted (WASI mounts nothing for it).
    config = ["--config", json.dumps({"path": "/etc/passwd", "hash": True}), "--format", "json"]
    code, out, err = run("check", str(file_wasm), "--security", "strict", "--grant", "fs:read:/etc/passwd", *config)
    assert code == 0, err
    assert json.loads(out)["data"]["sha256"] == hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    code, _, err = run("check", str(file_wasm), "--security", "strict", "--grant", "fs:read:/etc/**", *config)
    assert code == 2 and "fs:read:/etc/**: it grants system configuration under /etc" in err


@pytest.mark.component
def test_bad_grant_syntax_is_a_usage_error(capabilities_wasm: Path) -> None:
    code, _, err = run("check", str(capabilities_wasm), "--grant", "network:example.com", *ID)
    assert code == 2
    assert "--grant 'network:example.com' is not a capability rule" in err and "network:api.example.com:443" in err


def test_store_answers_always_are_remembered_with_mode_0600(tmp_path: Path) -> None:
    store = GrantStore(tmp_path / "cfg" / "grants.yaml")
    requested = [parse_rule("exec:/usr/bin/id"), parse_rule("env:HOME"), parse_rule("fs:read:/data/**")]
    answers: Iterator[Answer] = iter(["always", "run", "deny"])
    asked = []

    def ask(rule: Rule) -> Answer:
        asked.append(str(rule))
        return next(answers)

    decision = decide(P, requested, None, store, ask)
    assert [str(r) for r in decision.rules] == ["exec:/usr/bin/id", "env:HOME"]
    assert asked == ["exec:/usr/bin/id", "env:HOME", "fs:read:/data/**"]
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [str(r) for r in store.rules_for(P)] == ["exec:/usr/bin/id"]
    # Next run: the remembered rule is not asked again; the others are.
    asked.clear()
    answers = iter(["deny", "deny"])
    decide(P, requested, None, store, ask)
    assert asked == ["env:HOME", "fs:read:/data/**"]
    with pytest.raises(GrantsNeeded) as needed:
        decide(P, requested, None, store, None)
    assert [str(r) for r in needed.value.missing] == ["env:HOME", "fs:read:/data/**"]


def test_explicit_grants_skip_the_store(tmp_path: Path) -> None:
    store = GrantStore(tmp_path / "grants.yaml")
    decision = decide(P, [parse_rule("exec:/usr/bin/id")], [], store, None)
    assert decision.rules == () and decision.source == "explicit"


@pytest.mark.component
def test_ca_bundle_flag_trusts_a_private_ca(http_wasm: Path, tmp_path: Path) -> None:
    from reglet_sdk.testing.servers import http_server, make_ca

    ca = make_ca(tmp_path)
    with http_server(ca.server_context()) as server:
        grant = ["--grant", f"network:localhost:{server.port}"]
        config = ["--config", json.dumps({"url": server.url("/ok", "localhost")}), "--format", "json"]
        code, out, _ = run("check", str(http_wasm), *grant, *config)
        assert code == 2 and json.loads(out)["error"]["code"] == "TLS_ERROR"
        code, out, _ = run("check", str(http_wasm), *grant, *config, "--ca-bundle", str(ca.bundle))
        assert code == 0 and json.loads(out)["data"]["status_code"] == 200
    code, _, err = run("check", str(http_wasm), *grant, "--ca-bundle", str(tmp_path / "missing.pem"))
    assert code == 2 and "no such file" in err


@pytest.mark.component
def test_terminal_prompt_asks_and_remembers_always(capabilities_wasm: Path, tmp_path: Path) -> None:
    store = tmp_path / "prompted" / "grants.yaml"
    env = {**os.environ, "REGLET_GRANTS_STORE": str(store), "REGLET_CACHE_DIR": str(COMPILE_CACHE.parent)}
    command = [str(Path(sys.executable).parent / "reglet-sdk"), "check", str(capabilities_wasm), *ID]
    answers = {b"exec:/usr/bin/id": b"a\n", b"env:REGLET_TEST_*": b"r\n"}  # always / this run only
    code, out, seen = run_answering(command, env, answers)
    assert code == 0, seen.decode(errors="replace")
    digest = hashlib.sha256(capabilities_wasm.read_bytes()).hexdigest()
    asked = f"capabilities (sha256 {digest[:16]}) requests exec:/usr/bin/id (risk: critical). Allow? [r]un once"
    assert asked.encode() in seen
    assert json.loads(out)["data"]["stdout"] == f"{os.getuid()}\n"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert "exec:/usr/bin/id" in store.read_text() and "REGLET_TEST" not in store.read_text()
    assert yaml.safe_load(store.read_text()) == {
        "components": {digest: {"name": "capabilities", "rules": ["exec:/usr/bin/id"]}}
    }
    # Without a terminal the stored rule is used and only the one granted "this run" is missing.
    again = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert again.returncode == 2
    assert "env:REGLET_TEST_*" in again.stderr and "exec:/usr/bin/id" not in again.stderr.split("Grant them")[0]


def test_store_is_keyed_by_component_and_drops_name_keyed_entries_when_written(tmp_path: Path) -> None:
    store = GrantStore(tmp_path / "cfg" / "grants.yaml")
    store.path.parent.mkdir(mode=0o700)
    store.path.write_text(yaml.safe_dump({"plugins": {"p": ["exec:/usr/bin/id"]}}))
    store.path.chmod(0o600)
    assert store.rules_for(P) == [] and "by plugin name ('p')" in store.warnings[0]
    other = PluginIdentity("p", "cd" * 32)  # same name, other bytes
    store.add(P, [parse_rule("exec:/usr/bin/id")])
    store.add(PluginIdentity("renamed", P.sha256), [parse_rule("env:HOME")])
    assert yaml.safe_load(store.path.read_text()) == {
        "components": {P.sha256: {"name": "renamed", "rules": ["exec:/usr/bin/id", "env:HOME"]}}
    }
    assert store.rules_for(other) == []
    assert str(P) == f"p (sha256 {'ab' * 8})"


def test_end_of_input_at_the_prompt_denies() -> None:
    from reglet_sdk.host.grant_store import prompt_on_terminal

    replies = iter(["maybe\n", ""])
    ask = prompt_on_terminal("p", lambda _question: next(replies))
    assert ask(parse_rule("exec:/usr/bin/id")) == "deny"
