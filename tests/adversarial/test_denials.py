"""Issue 10, item 8: denials and host failures tell the plugin nothing about the host.

A denial names the rule built from what the plugin asked for, normalised on its text only: no
symlink resolved (`/proc/self/exe` is not the host's Python), no search path consulted (a command
that exists is denied exactly like one that does not), no working directory added. A host handler
that fails sends an incident id, not its traceback; the traceback goes to the `reglet.host` log.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from reglet_sdk.host import Host, HostConfig, LoadedPlugin, PluginLogRecord
from tests.adversarial.leaks_support import probe_wasm
from tests.conftest import COMPILE_CACHE

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host(HostConfig(cache_dir=COMPILE_CACHE)) as host:
        yield host


def probe(plugin: LoadedPlugin, config: dict[str, Any]) -> dict[str, Any]:
    """What the probe reports for one check (its Result data)."""
    result = plugin.check(config)
    assert result.status == "success", result.error
    data: dict[str, Any] = result.data
    return data


def host_facts() -> set[str]:
    """What a denial must not reveal: where this (host) process's files really are."""
    facts = {os.getcwd(), os.path.realpath(sys.executable), os.path.realpath("/proc/self/exe")}
    for fd in os.listdir("/proc/self/fd"):
        target = os.path.realpath(f"/proc/self/fd/{fd}")
        if target.startswith("/") and len(target) > 5:  # /dev/pts and friends are not secret, but harmless
            facts.add(target)
    return facts


def test_fs_stat_denials_name_the_path_as_asked(host: Host) -> None:
    paths = {
        "/proc/self/exe": "/proc/self/exe",
        "/proc/self/cwd": "/proc/self/cwd",
        f"/proc/{os.getpid()}/cwd/secret": f"/proc/{os.getpid()}/cwd/secret",
        "/proc/self/root/etc/../etc/shadow": "/proc/self/root/etc/shadow",
        "//proc/self/./fd/3": "/proc/self/fd/3",
        "relative/../name": "name",
        **{f"/proc/self/fd/{n}": f"/proc/self/fd/{n}" for n in range(10)},
    }
    facts = host_facts()
    answers = probe(host.load(probe_wasm()), {"mode": "stat", "paths": list(paths)})
    for asked, rule in paths.items():
        answer = answers[asked]
        assert answer["type"] == "capability" and answer["code"] == f"fs:read:{rule}", answer
        assert answer["details"] == {"rule": f"fs:read:{rule}"}
        shown = answer["message"].replace(f"fs:read:{rule}", "")
        assert [fact for fact in facts if fact in shown] == [], answer["message"]


def test_fs_stat_of_a_path_with_a_nul_is_bad_input_not_a_host_failure(host: Host) -> None:
    answer = probe(host.load(probe_wasm()), {"mode": "stat", "paths": ["/tmp/a\0b"]})["/tmp/a\0b"]
    assert (answer["type"], answer["code"], answer["stack"]) == ("validation", "INVALID_REQUEST", "")


def test_exec_denials_do_not_reveal_whether_a_command_exists(host: Host) -> None:
    plugin = host.load(probe_wasm())
    exists = probe(plugin, {"mode": "exec", "command": "ls"})
    missing = probe(plugin, {"mode": "exec", "command": "no-such-command-reglet"})
    assert (exists["code"], missing["code"]) == ("exec:ls", "exec:no-such-command-reglet")
    assert exists["message"].replace("ls", "X") == missing["message"].replace("no-such-command-reglet", "X")
    assert "/usr/bin" not in exists["message"] and "/bin/ls" not in exists["message"]
    dotted = probe(plugin, {"mode": "exec", "command": "/bin/../usr/bin/./ls"})
    assert dotted["code"] == "exec:/usr/bin/ls"  # lexical only


def test_an_exec_working_directory_denial_names_the_directory_as_asked(host: Host) -> None:
    true = "/bin/true" if os.path.exists("/bin/true") else "/usr/bin/true"
    plugin = host.load(probe_wasm(), grants=[f"exec:{true}"])
    answer = probe(plugin, {"mode": "exec", "command": true, "dir": "/proc/self/cwd"})
    assert answer["code"] == "fs:read:/proc/self/cwd" and os.getcwd() not in answer["message"]


def test_a_failing_host_handler_sends_an_incident_id_and_logs_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "/srv/host-only/secret.key"

    def broken_log_sink(record: PluginLogRecord) -> None:
        raise RuntimeError(f"cannot write {secret}")

    with Host(HostConfig(cache_dir=COMPILE_CACHE, on_log=broken_log_sink)) as host:
        plugin = host.load(probe_wasm())
        with caplog.at_level(logging.ERROR, logger="reglet.host"):
            answer = probe(plugin, {"mode": "host-log"})
    assert (answer["type"], answer["code"], answer["stack"]) == ("internal", "HOST_HANDLER_FAILED", "")
    match = re.fullmatch(r"Host\.Log failed inside the host \(incident ([0-9a-f]{12})\)\. .*", answer["message"])
    assert match is not None, answer["message"]
    assert secret not in str(answer) and "Traceback" not in str(answer) and "RuntimeError" not in str(answer)
    (logged,) = [r for r in caplog.records if r.name == "reglet.host" and match.group(1) in r.getMessage()]
    assert logged.exc_info is not None and secret in str(logged.exc_info[1])
