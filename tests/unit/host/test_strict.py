"""`--security strict`: rules judged after normalisation, on what they would mount or match on this host."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reglet_sdk.host.rules import RuleError, parse_rule
from reglet_sdk.host.strict import StrictModeRefusal, broad_rules, refuse_broad, why_broad

BROAD = [
    # the examples that strict mode accepted, judged on the normalised rule
    ("fs:read://etc/**", "system configuration under /etc"),
    ("fs:read:/./etc/**", "system configuration under /etc"),
    ("exec:/usr/bin/*", "allows any command"),
    ("exec:/usr/bin/[b]ash", "matches bash, a shell"),
    ("exec:/usr/bin/env", "env is a launcher of other programs"),
    ("network:*.*:1-65535", "any port"),
    ("network:*.*:443", "matches any host"),
    ("env:?*", "more than one variable name"),
    ("env:**", "more than one variable name"),
    # and their relatives
    ("fs:read:/**", "the whole filesystem"),
    ("fs:write:/*", "the whole filesystem"),
    ("fs:read:/[e]tc/**", "the whole filesystem"),
    ("fs:read:/proc/self/root/**", "the whole filesystem (/proc/self/root is /)"),
    ("fs:write:/etc/passwd", "system configuration under /etc"),
    ("fs:read:/usr/**", "the whole of /usr, a top-level system directory"),
    ("fs:read:/home/*/.ssh/**", "the whole of /home"),
    ("fs:write:/tmp/**", "the whole of /tmp"),
    ("fs:read:/proc/1/environ", "the host's processes under /proc"),
    # exact files are accepted for reading, but not where one file is the host's environment or memory
    ("fs:read:/proc/self/environ", "the host's processes under /proc"),
    ("fs:read:/dev/mem", "the host's devices under /dev"),
    ("fs:read:/sys/kernel/notes", "kernel settings under /sys"),
    ("fs:read:/etc/ssh/*", "system configuration under /etc"),
    ("fs:read:/etc/ssh/**", "system configuration under /etc"),
    ("fs:read:/etc", "system configuration under /etc"),
    ("fs:write:/usr/local/bin/**", "change installed software under /usr"),
    ("exec:*", "allows any command"),
    ("exec:/usr/bin/**", "allows any command"),
    ("exec:/bin/sh", "sh is a shell"),
    ("exec:/usr/bin/python3", "python3 is an interpreter"),
    ("exec:/usr/bin/py*", "matches python3, an interpreter"),
    ("exec:/usr/bin/pyth?n3.1?", "matches python3.10, an interpreter"),
    ("exec:py*", "matches python3, an interpreter"),
    ("exec:bash", "bash is a shell"),
    ("exec:/usr/bin/xargs", "a launcher of other programs"),
    ("exec:/usr/bin/find", "a launcher of other programs"),
    ("exec:/usr/bin/timeout", "a launcher of other programs"),
    ("exec:/usr/bin/gawk", "an interpreter"),
    ("exec:/usr/bin/perl", "an interpreter"),
    ("exec:/lib64/ld-linux-x86-64.so.2", "an interpreter"),
    ("exec:/usr/bin/x*", "matches xonsh, a shell"),
    ("network:*:443", "matches any host"),
    ("network:?*:443", "matches any host"),
    ("network:*.com:443", "any domain"),
    ("network:example.*:443", "any domain"),
    ("network:10.*:22", "any network"),
    ("network:*.*.*.*:22", "matches any host"),
    ("network:1*.*.*.*:22", "any network"),
    ("network:[2001:db8::*]:443", "IPv6 glob"),
    ("network:a.com:*", "any port"),
    ("network:a.com:2-65535", "65534 ports"),
    ("env:*", "more than one variable name"),
    ("env:AWS_*", "more than one variable name"),
    ("env:AWS_[RS]EGION", "more than one variable name"),
    ("kv:read:*", "every key"),
    ("kv:read-write:?*", "every key"),
]

NARROW = [
    "fs:read:/data/**",
    "fs:write:/srv/reports/out/**",
    "fs:read:/tmp/run-42/**",
    "fs:read:/var/log/app/*.log",
    # exact-file read rules: the narrowest grant (fs.read_* reads just that file)
    "fs:read:/etc/ssh/sshd_config",
    "fs:read:/etc/passwd",
    "fs:read:/etc/not-there-yet.conf",
    "fs:read:/root/.ssh/authorized_keys",
    "fs:read:/boot/grub/grub.cfg",
    "exec:/usr/bin/uname",
    "exec:/usr/bin/id",
    "exec:uname",
    "exec:/opt/checks/check-*",
    "network:api.example.com:443",
    "network:*.example.com:443",
    "network:10.0.*.*:22",
    "network:[::1]:53",
    "network:a.com:8000-9000",
    "env:AWS_REGION",
    "env:AWS_[R]EGION",
    "kv:read:cfg-*",
]


@pytest.mark.parametrize(("text", "why"), BROAD)
def test_strict_mode_refuses_broad_rules_saying_why(text: str, why: str) -> None:
    rule = parse_rule(text)
    assert why in why_broad(rule)
    with pytest.raises(StrictModeRefusal) as refused:
        refuse_broad([parse_rule("exec:/usr/bin/id"), rule])
    assert f"  {rule}: {why_broad(rule)}" in str(refused.value)
    assert "exec:/usr/bin/id" not in str(refused.value)


@pytest.mark.parametrize("text", NARROW)
def test_strict_mode_accepts_narrow_rules(text: str) -> None:
    assert why_broad(parse_rule(text)) == ""
    refuse_broad([parse_rule(text)])


@pytest.mark.parametrize("text", ["fs:read:/tmp/../**", "fs:write:/tmp/../**", "fs:read:**", "exec:./sh"])
def test_rules_strict_mode_cannot_judge_never_get_that_far(text: str) -> None:
    with pytest.raises(RuleError, match="is refused"):
        parse_rule(text)


def test_fs_rules_are_judged_on_the_directory_they_mount(tmp_path: Path) -> None:
    (tmp_path / "root").symlink_to("/")
    (tmp_path / "config").symlink_to("/etc")
    (tmp_path / "mine").mkdir()
    assert "whole filesystem" in why_broad(parse_rule(f"fs:write:{tmp_path}/root/**"))
    assert f"({tmp_path}/root is /)" in why_broad(parse_rule(f"fs:write:{tmp_path}/root/**"))
    assert "under /etc" in why_broad(parse_rule(f"fs:read:{tmp_path}/config/**"))
    assert why_broad(parse_rule(f"fs:write:{tmp_path}/mine/**")) == ""


def test_exec_rules_are_judged_on_the_programs_they_match(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    shell = shutil.which("sh", path="/usr/bin:/bin")
    assert shell is not None
    (tools / "check-disk").symlink_to(shell)  # an innocent name for a shell
    checker = tools / "check-ok"
    checker.write_text("#!/usr/bin/uname\n")
    assert "which is" in why_broad(parse_rule(f"exec:{tools}/check-disk"))
    assert "a shell" in why_broad(parse_rule(f"exec:{tools}/check-*"))
    assert why_broad(parse_rule(f"exec:{checker}")) == ""
    assert os.path.realpath(shell) in why_broad(parse_rule(f"exec:{tools}/check-disk"))


def test_a_program_the_plugin_may_write_is_broad(tmp_path: Path) -> None:
    program = f"exec:{tmp_path}/out/check"
    assert broad_rules([parse_rule(program)]) == []
    found = broad_rules([parse_rule(f"fs:write:{tmp_path}/**"), parse_rule(program)])
    assert [(str(rule), why) for rule, why in found] == [
        (program, f"fs:write:{tmp_path}/** lets the plugin write the program it would run")
    ]
    assert broad_rules([parse_rule(f"fs:read:{tmp_path}/**"), parse_rule(program)]) == []
    assert broad_rules([parse_rule(f"fs:write:{tmp_path}/**"), parse_rule(f"exec:{tmp_path}/out/c*")])


def test_an_exact_file_rule_through_a_symlink_into_proc_is_judged_on_its_target(tmp_path: Path) -> None:
    (tmp_path / "env").symlink_to("/proc/self/environ")
    assert "under /proc" in why_broad(parse_rule(f"fs:read:{tmp_path}/env"))
    (tmp_path / "conf").symlink_to("/etc/hostname")
    assert why_broad(parse_rule(f"fs:read:{tmp_path}/conf")) == ""


def test_an_exact_rule_naming_a_directory_under_etc_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "etc").symlink_to("/etc")
    assert "under /etc" in why_broad(parse_rule(f"fs:read:{tmp_path}/etc"))
