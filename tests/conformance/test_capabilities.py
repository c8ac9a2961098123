"""Capabilities on a built component: each kind granted works, not granted is refused and nothing
happens (a side-effect probe proves it), and escapes fail."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reglet_sdk.host import Host, HostConfig, LoadedPlugin
from tests.conftest import COMPILE_CACHE
from tests.unit.host.test_process import processes_with

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host(HostConfig(timeout=10.0, cache_dir=COMPILE_CACHE)) as host:
        yield host


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "a.txt").write_text("inside")
    (tmp_path / "outside.txt").write_text("secret")
    (tmp_path / "data" / "escape").symlink_to(tmp_path / "outside.txt")
    (tmp_path / "out").mkdir()
    return tmp_path


def plugin(host: Host, wasm: Path, *grants: str) -> LoadedPlugin:
    return host.load(wasm, grants=list(grants))


def probe(loaded: LoadedPlugin, **config: Any) -> dict[str, Any]:
    result = loaded.check(config)
    assert result.status == "success", result.error
    return result.data


# --- exec -------------------------------------------------------------------------------------------


def test_exec_granted_runs(host: Host, capabilities_wasm: Path) -> None:
    data = probe(plugin(host, capabilities_wasm, "exec:/usr/bin/id"), op="exec", command="/usr/bin/id", args=["-u"])
    assert data["ok"] and data["stdout"] == f"{os.getuid()}\n" and data["exit_code"] == 0


def test_exec_not_granted_is_refused_and_nothing_runs(host: Host, capabilities_wasm: Path, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    data = probe(
        plugin(host, capabilities_wasm, "exec:/usr/bin/id"), op="exec", command="/usr/bin/touch", args=[str(marker)]
    )
    assert data == {"ok": False, "type": "capability", "code": "exec:/usr/bin/touch"}
    assert not marker.exists()


def test_bare_command_names_resolve_on_the_host_search_path(host: Host, capabilities_wasm: Path) -> None:
    data = probe(plugin(host, capabilities_wasm, "exec:/usr/bin/id"), op="exec", command="id", args=["-u"])
    assert data["ok"] and data["stdout"].strip() == str(os.getuid())


def test_the_command_environment_is_the_safe_set_and_what_env_rules_grant(host: Host, capabilities_wasm: Path) -> None:
    env = ["PATH=/opt/evil", "FOO=bar", "LANG=C.UTF-8"]
    refused = probe(plugin(host, capabilities_wasm, "exec:/usr/bin/env"), op="exec", command="/usr/bin/env", env=env)
    assert refused == {"ok": False, "type": "validation", "code": "ENV_NOT_ALLOWED"}
    granted = probe(
        plugin(host, capabilities_wasm, "exec:/usr/bin/env", "env:PATH", "env:FOO"),
        op="exec",
        command="/usr/bin/env",
        env=env,
    )
    assert sorted(granted["stdout"].splitlines()) == ["FOO=bar", "LANG=C.UTF-8", "PATH=/opt/evil"]
    loader = probe(
        plugin(host, capabilities_wasm, "exec:/usr/bin/env", "env:*"),
        op="exec",
        command="/usr/bin/env",
        env=["LD_PRELOAD=/tmp/evil.so"],
    )
    assert loader == {"ok": False, "type": "validation", "code": "ENV_NOT_ALLOWED"}


def test_working_directory_must_be_granted(host: Host, capabilities_wasm: Path, tree: Path) -> None:
    loaded = plugin(host, capabilities_wasm, "exec:/usr/bin/pwd", f"fs:read:{tree}/data/**")
    assert probe(loaded, op="exec", command="/usr/bin/pwd", dir=str(tree / "data"))["stdout"] == f"{tree / 'data'}\n"
    refused = probe(loaded, op="exec", command="/usr/bin/pwd", dir=str(tree))
    assert refused == {"ok": False, "type": "capability", "code": f"fs:read:{tree}"}


def test_fifty_mib_of_output_is_cut_at_ten(capabilities_wasm: Path) -> None:
    # The probe echoes the 10 MiB it gets back in its result: more than the 8 MiB answer cap by default.
    with Host(HostConfig(timeout=10.0, cache_dir=COMPILE_CACHE, max_response_bytes=32 << 20)) as roomy:
        data = probe(
            plugin(roomy, capabilities_wasm, "exec:/usr/bin/head"),
            op="exec",
            command="/usr/bin/head",
            args=["-c", str(50 << 20), "/dev/zero"],
        )
    assert data["stdout_len"] == 10 << 20 and data["stdout_truncated"] is True and data["exit_code"] == 0


def test_a_forking_command_is_killed_at_its_timeout_and_leaves_no_process(host: Host, capabilities_wasm: Path) -> None:
    marker = f"{uuid.uuid4().int % 10**6}"
    child, parent = f"40{marker}.1", f"40{marker}.2"
    data = probe(
        plugin(host, capabilities_wasm, "exec:/bin/sh"),
        op="exec",
        command="/bin/sh",
        args=["-c", f"sleep {child} & sleep {parent}"],
        timeout=1,
    )
    assert data["is_timeout"] is True and data["exit_code"] == -1 and data["duration_ms"] < 2500
    assert processes_with(f"sleep {child}") == [] and processes_with(f"sleep {parent}") == []


# --- filesystem -------------------------------------------------------------------------------------


def test_granted_directory_is_readable_and_the_rest_is_not(host: Host, capabilities_wasm: Path, tree: Path) -> None:
    loaded = plugin(host, capabilities_wasm, f"fs:read:{tree}/data/**")
    assert probe(loaded, op="read", path=str(tree / "data" / "a.txt")) == {"ok": True, "content": "inside"}
    assert probe(loaded, op="stat", path=str(tree / "data" / "a.txt"))["size"] == 6
    assert probe(loaded, op="read", path="/etc/passwd")["ok"] is False
    assert probe(loaded, op="read", path=str(tree / "outside.txt"))["ok"] is False


def test_dot_dot_and_symlink_escapes_fail(host: Host, capabilities_wasm: Path, tree: Path) -> None:
    loaded = plugin(host, capabilities_wasm, f"fs:read:{tree}/data/**")
    assert probe(loaded, op="read", path=f"{tree}/data/../outside.txt")["ok"] is False
    assert probe(loaded, op="read", path=f"{tree}/data/sub/../../outside.txt")["ok"] is False
    assert probe(loaded, op="read", path=str(tree / "data" / "escape"))["ok"] is False


def test_read_grant_is_read_only_and_write_grant_writes(host: Host, capabilities_wasm: Path, tree: Path) -> None:
    loaded = plugin(host, capabilities_wasm, f"fs:read:{tree}/data/**", f"fs:write:{tree}/out/**")
    assert probe(loaded, op="write", path=str(tree / "data" / "new.txt"))["ok"] is False
    assert not (tree / "data" / "new.txt").exists()
    assert probe(loaded, op="write", path=str(tree / "out" / "new.txt"))["ok"] is True
    assert (tree / "out" / "new.txt").read_text() == "written by the plugin"


def test_without_grants_there_is_no_filesystem(host: Host, capabilities_wasm: Path, tree: Path) -> None:
    loaded = plugin(host, capabilities_wasm)
    assert probe(loaded, op="read", path=str(tree / "data" / "a.txt"))["ok"] is False
    assert probe(loaded, op="stat", path="/")["ok"] is False


# --- environment ------------------------------------------------------------------------------------


def test_env_grants_are_the_only_variables_the_plugin_sees(
    host: Host, capabilities_wasm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGLET_TEST_REGION", "eu-west-1")
    monkeypatch.setenv("REGLET_OTHER_SECRET", "hunter2")
    assert probe(plugin(host, capabilities_wasm), op="env")["environ"] == {}
    seen = probe(plugin(host, capabilities_wasm, "env:REGLET_TEST_*"), op="env")["environ"]
    assert seen == {"REGLET_TEST_REGION": "eu-west-1"}


# --- network ----------------------------------------------------------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[int, list[object]]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    server.close()


def test_wasi_sockets_are_unavailable(host: Host, capabilities_wasm: Path, listener: tuple[int, list[object]]) -> None:
    port, accepted = listener
    data = probe(plugin(host, capabilities_wasm, f"network:127.0.0.1:{port}"), op="socket", port=port)
    assert data["ok"] is False
    assert accepted == []


def test_network_host_function_without_a_grant_sends_nothing(
    host: Host, capabilities_wasm: Path, listener: tuple[int, list[object]]
) -> None:
    port, accepted = listener
    data = probe(plugin(host, capabilities_wasm), op="tcp", port=port)
    assert data == {"ok": False, "type": "capability", "code": f"network:127.0.0.1:{port}"}
    assert accepted == []


def test_concurrent_calls_each_reach_only_their_own_plugins_grants(host: Host, capabilities_wasm: Path) -> None:
    # One linker per plugin forwards host calls to the call being served on that thread: two plugins
    # with different grants, called at the same time on one Host, must never see each other's.
    granted = plugin(host, capabilities_wasm, "exec:/usr/bin/id")
    refused = plugin(host, capabilities_wasm)
    outcomes: dict[str, list[bool]] = {"granted": [], "refused": []}

    def run(name: str, loaded: LoadedPlugin) -> None:
        for _ in range(15):
            outcomes[name].append(probe(loaded, op="exec", command="/usr/bin/id", args=["-u"])["ok"])

    threads = [threading.Thread(target=run, args=(n, p)) for n, p in (("granted", granted), ("refused", refused))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == {"granted": [True] * 15, "refused": [False] * 15}
