"""Issue 10 items 2 and 3 on a built component: exec contains what it starts, and its environment is an
allow-list.

A probe component (plugins/exec_probe) sends the ExecRequest its config describes straight to the
generated host stub.

Containment: granted `exec:/bin/sh`, it asks for shell lines that leave processes behind (setsid,
setsid -f, double fork, nohup, SIGTERM ignored, a new session that forks again): after the call
returns none of them is left, whether the command exited or timed out; a command in its own session
ends at the deadline and the host does not spin meanwhile; and the command line leaves nothing
behind when it exits.

Environment: granted only a script (`exec:/path/check.sh`, which would first create a marker file,
then run `uname -s`), it asks for it with variables that make bash, perl, ruby, glibc, Java, git,
OpenSSL or the resolver run other code or read other files. Each is refused with a validation error
naming the variable and the rule that would pass it, and the script never runs. A variable an env
rule grants, and LANG, pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reglet_sdk.host import Host, HostConfig, LoadedPlugin
from tests.conftest import COMPILE_CACHE, build_test_plugin
from tests.unit.host.test_process import ESCAPES, escaping_script, host_cpu, processes_with, unique_sleep

pytestmark = pytest.mark.component

PROBE = Path(__file__).parent / "plugins" / "exec_probe"


@pytest.fixture(scope="module")
def probe_wasm() -> Path:
    return build_test_plugin(PROBE)


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host(HostConfig(timeout=10.0, cache_dir=COMPILE_CACHE)) as host:
        yield host


@pytest.fixture(scope="module")
def probe(host: Host, probe_wasm: Path) -> LoadedPlugin:
    """The probe, compiled and granted `exec:/bin/sh` once, before anything is timed."""
    return host.load(probe_wasm, grants=["exec:/bin/sh"])


# --- containment ------------------------------------------------------------------------------------


def shell(probe: LoadedPlugin, line: str, timeout_ms: int) -> dict[str, Any]:
    """The host's answer to the probe asking for `/bin/sh -c line`."""
    result = probe.check({"command": "/bin/sh", "args": ["-c", line], "timeout_ms": timeout_ms})
    assert result.status == "success", result.error
    return result.data


@pytest.mark.parametrize("escape", list(ESCAPES))
@pytest.mark.parametrize("then", ["exit 0", "sleep 60"], ids=["command exits", "command times out"])
def test_nothing_the_command_starts_survives_the_call(
    probe: LoadedPlugin, tmp_path: Path, escape: str, then: str
) -> None:
    sleep = unique_sleep()
    script, up = escaping_script(escape, tmp_path, sleep, then)
    started = time.monotonic()
    answer = shell(probe, script, timeout_ms=3000)
    assert time.monotonic() - started < 3 + 2
    assert up.exists(), f"the escape never started: {answer}"
    assert answer["error"] is None and answer["is_timeout"] == (then != "exit 0")
    assert processes_with(sleep) == []


def test_a_command_in_its_own_session_ends_at_the_deadline_and_the_host_does_not_spin(probe: LoadedPlugin) -> None:
    sleep = unique_sleep()
    started, cpu = time.monotonic(), host_cpu()
    answer = shell(probe, f"setsid sleep {sleep}", timeout_ms=3000)
    elapsed, used = time.monotonic() - started, host_cpu() - cpu
    assert answer["is_timeout"] is True and answer["exit_code"] == -1
    assert elapsed < 3 + 2, f"returned after {elapsed:.1f} s"
    assert used < 1, f"the host used {used:.2f} s of CPU while the command slept"
    assert processes_with(sleep) == []


def test_the_command_line_leaves_nothing_running_when_it_exits(probe_wasm: Path) -> None:
    first, second = unique_sleep(), unique_sleep()
    config = {"command": "/bin/sh", "args": ["-c", f"setsid sleep {first} & setsid -f sleep {second}"]}
    cli = str(Path(sys.executable).parent / "reglet-sdk")
    flags = ["--grant", "exec:/bin/sh", "--config", json.dumps(config), "--timeout", "5", "--format", "json"]
    started = time.monotonic()
    completed = subprocess.run(
        [cli, "check", str(probe_wasm), *flags],
        capture_output=True,
        text=True,
        env={**os.environ, "REGLET_CACHE_DIR": str(COMPILE_CACHE.parent)},
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["data"]["error"] is None
    assert time.monotonic() - started < 5 + 10  # the CLI's own start-up and load included
    assert processes_with(f"sleep {first}") == [] and processes_with(f"sleep {second}") == []


# --- environment ------------------------------------------------------------------------------------


@pytest.fixture
def check_sh(tmp_path: Path) -> Path:
    script = tmp_path / "check.sh"
    script.write_text(f'#!/bin/bash\ntouch {tmp_path / "ran"}\necho "MY_VAR=$MY_VAR LANG=$LANG"\nuname -s\n')
    script.chmod(0o755)
    return script


def run(host: Host, wasm: Path, script: Path, env: list[str], *grants: str) -> dict[str, Any]:
    loaded = host.load(wasm, grants=[f"exec:{script}", *grants])
    result = loaded.check({"command": str(script), "env": env, "timeout_ms": 5000})
    assert result.status == "success", result.error
    return result.data


def test_a_bash_function_cannot_replace_what_the_script_runs(
    host: Host, probe_wasm: Path, check_sh: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "shadow"  # stands in for /etc/shadow
    secret.write_text("root:$6$not-a-real-hash:19000:0:99999:7:::\n")
    attack = f"BASH_FUNC_uname%%=() {{ head -c 60 {secret}; }}"
    answer = run(host, probe_wasm, check_sh, [attack])
    assert answer["error"] is not None and (answer["error"]["type"], answer["error"]["code"]) == (
        "validation",
        "ENV_NOT_ALLOWED",
    )
    assert "BASH_FUNC_uname%%" in answer["error"]["message"]
    assert "not-a-real-hash" not in answer["stdout"] and not (tmp_path / "ran").exists()


CODE_RUNNING = [
    "PERL5OPT=-Mstrict",
    "RUBYOPT=-rnet/http",
    "GCONV_PATH=/tmp/gconv",
    "GLIBC_TUNABLES=glibc.malloc.check=3",
    "JAVA_TOOL_OPTIONS=-javaagent:/tmp/agent.jar",
    "GIT_CONFIG_COUNT=1",
    "GIT_CONFIG_KEY_0=core.fsmonitor",
    "GIT_CONFIG_VALUE_0=/tmp/evil",
    "OPENSSL_CONF=/tmp/openssl.cnf",
    "http_proxy=http://127.0.0.1:9",
    "HOSTALIASES=/tmp/hosts",
    "SHELLOPTS=xtrace",
    "NLSPATH=/tmp/%N",
    "PATH=/tmp/evil",
    "PYTHONSTARTUP=/tmp/evil.py",
]


@pytest.mark.parametrize("entry", CODE_RUNNING, ids=[entry.partition("=")[0] for entry in CODE_RUNNING])
def test_a_variable_no_rule_grants_is_refused_and_nothing_runs(
    host: Host, probe_wasm: Path, check_sh: Path, tmp_path: Path, entry: str
) -> None:
    name = entry.partition("=")[0]
    answer = run(host, probe_wasm, check_sh, ["LANG=C.UTF-8", entry])
    error = answer["error"]
    assert error is not None and (error["type"], error["code"]) == ("validation", "ENV_NOT_ALLOWED")
    assert f"{name} may not be passed" in error["message"] and f"env:{name}" in error["message"]
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("entry", ["LD_PRELOAD=/tmp/evil.so", "BASH_ENV=/tmp/evil.sh", "BASH_FUNC_uname%%=() { :; }"])
def test_loader_and_shell_variables_are_refused_even_under_a_wildcard_env_grant(
    host: Host, probe_wasm: Path, check_sh: Path, tmp_path: Path, entry: str
) -> None:
    answer = run(host, probe_wasm, check_sh, [entry], "env:*")
    assert answer["error"] is not None and answer["error"]["code"] == "ENV_NOT_ALLOWED"
    assert "never reaches a command" in answer["error"]["message"]
    assert not (tmp_path / "ran").exists()


def test_a_granted_variable_and_the_safe_set_pass(host: Host, probe_wasm: Path, check_sh: Path, tmp_path: Path) -> None:
    answer = run(host, probe_wasm, check_sh, ["MY_VAR=granted", "LANG=C.UTF-8"], "env:MY_VAR")
    assert answer["error"] is None and answer["exit_code"] == 0
    assert answer["stdout"] == f"MY_VAR=granted LANG=C.UTF-8\n{os.uname().sysname}\n"
    assert (tmp_path / "ran").exists()
