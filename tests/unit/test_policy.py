"""The capability policy: every matcher, property-tested, including traversal and symlink escapes."""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from hypothesis import assume, given, settings, strategies as st

from reglet_abi.reglet.v1 import FsCapability, FsRule as FsRuleMessage, GrantSet
from reglet_sdk.host.policy import Policy, as_policy, path_glob, port_matches
from reglet_sdk.host.rules import Rule, RuleError, grant_set_from_rules, parse_rule, rules_from_grant_set

SEGMENT = st.text(alphabet=string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=8)
LABEL = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=10)
PORT = st.integers(1, 65535)


# --- rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("exec:/usr/bin/uname", Rule("exec", "/usr/bin/uname")),
        ("fs:read:/data/**", Rule("fs", "/data/**", "read")),
        ("fs:write:/tmp/out/**", Rule("fs", "/tmp/out/**", "write")),
        ("env:AWS_REGION", Rule("env", "AWS_REGION")),
        ("network:api.example.com:443", Rule("network", "api.example.com", "443")),
        ("network:api.example.com:80-90", Rule("network", "api.example.com", "80-90")),
        ("network:*.example.com:*", Rule("network", "*.example.com", "*")),
        ("network:[::1]:53", Rule("network", "::1", "53")),
        ("kv:read-write:config-*", Rule("kv", "config-*", "read-write")),
        ("kv:read:a", Rule("kv", "a", "read")),
    ],
)
def test_grant_syntax(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule
    assert str(rule) == text


@pytest.mark.parametrize(
    "text",
    ["exec", "fs:read", "fs:exec:/x", "network:host", "network:::1:53", "kv:delete:k", "disk:/x"],
)
def test_malformed_rules_are_refused_with_the_syntax(text: str) -> None:
    with pytest.raises(RuleError, match="exec:/usr/bin/uname, fs:read:/data/\\*\\*"):
        parse_rule(text)


@pytest.mark.parametrize("text", ["network:h:0", "network:h:70000", "network:h:9-1", "network:h:x"])
def test_bad_ports_are_refused(text: str) -> None:
    with pytest.raises(RuleError, match="is not a port"):
        parse_rule(text)


RULES = st.one_of(
    st.builds(lambda p: Rule("exec", "/" + "/".join(p)), st.lists(SEGMENT, min_size=1, max_size=3)),
    st.builds(
        lambda p, m: Rule("fs", "/" + "/".join(p) + "/**", m),
        st.lists(SEGMENT, min_size=1, max_size=3),
        st.sampled_from(["read", "write"]),
    ),
    st.builds(lambda n: Rule("env", n.upper()), SEGMENT.filter(lambda s: s[0].isalpha())),
    st.builds(lambda h, p: Rule("network", h + ".example.com", str(p)), LABEL, PORT),
    st.builds(lambda k, m: Rule("kv", k, m), SEGMENT, st.sampled_from(["read", "write", "read-write"])),
)


@given(st.lists(RULES, max_size=6))
def test_rules_survive_text_and_grant_set_round_trips(rules: list[Rule]) -> None:
    for rule in rules:
        assert parse_rule(str(rule)) == rule
    assert sorted(rules_from_grant_set(grant_set_from_rules(rules))) == sorted(set(rules))


def test_risk_levels() -> None:
    risks = {
        str(r): r.risk
        for r in map(
            parse_rule,
            ["exec:/bin/ls", "network:*:443", "network:a.com:443", "fs:write:/x/**", "fs:read:/x/**", "env:A"],
        )
    }
    assert risks == {
        "exec:/bin/ls": "critical",
        "network:*:443": "critical",
        "network:a.com:443": "medium",
        "fs:write:/x/**": "high",
        "fs:read:/x/**": "medium",
        "env:A": "low",
    }


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("fs:read://etc/**", "fs:read:/etc/**"),
        ("fs:read:/./etc/**", "fs:read:/etc/**"),
        ("fs:write:/data//out/./x/", "fs:write:/data/out/x"),
        ("exec://usr/bin/./uname", "exec:/usr/bin/uname"),
        ("network:API.Example.COM.:0443", "network:api.example.com:443"),
        ("network:[0:0::1]:53-53", "network:[::1]:53"),
        ("network:*.Example.com:80-90", "network:*.example.com:80-90"),
    ],
)
def test_rules_are_normalised(text: str, normal: str) -> None:
    assert str(parse_rule(text)) == normal
    assert str(parse_rule(normal)) == normal


@pytest.mark.parametrize(
    ("text", "why", "instead"),
    [
        ("fs:read:/tmp/../**", "contains `..`", "fs:read:/**"),
        ("fs:write:/tmp/../**", "contains `..`", "fs:write:/**"),
        ("fs:read:/data/x/../../etc/**", "contains `..`", "fs:read:/etc/**"),
        ("exec:/usr/bin/../bin/sh", "contains `..`", "exec:/usr/bin/sh"),
        ("fs:read:data/**", "is relative", "fs:read:/ABSOLUTE/PATH/data/**"),
        ("fs:read:**", "is relative", "fs:read:/ABSOLUTE/PATH/**"),
        ("exec:./check.sh", "is relative", "exec:/ABSOLUTE/PATH/check.sh"),
        ("exec:..", "names a directory", "exec:/usr/bin/uname or exec:uname"),
        ("env:AWS_REGION\x1b[2K", "control character '\\x1b'", "the rule without it"),
        ("exec:/usr/bin/id\n", "control character '\\n'", "the rule without it"),
        ("network:a.com\r:443", "control character '\\r'", "the rule without it"),
        ("env:A=B", "cannot contain `=`", "env:NAME"),
        ("network:a b:443", "a host is a DNS name", "network:api.example.com:443"),
        ("network:a..b:443", "a host is a DNS name", "network:api.example.com:443"),
        ("network:.:443", "a host is a DNS name", "network:api.example.com:443"),
    ],
)
def test_rules_that_do_not_say_what_they_grant_are_refused(text: str, why: str, instead: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse_rule(text)
    message = str(refused.value)
    assert message.startswith(repr(text)) and why in message and f"Write {instead} instead." in message
    assert "\n" not in message and "\x1b" not in message and "\r" not in message


def test_grant_sets_are_checked_like_grant_text() -> None:
    forged = GrantSet(fs=FsCapability(rules=[FsRuleMessage(write=["/tmp/../**"])]))
    with pytest.raises(RuleError, match=r"contains `\.\.`"):
        rules_from_grant_set(forged)
    with pytest.raises(RuleError, match=r"contains `\.\.`"):
        as_policy(forged)
    cleaned = GrantSet(fs=FsCapability(rules=[FsRuleMessage(read=["//data/./x/**"])]))
    assert [str(r) for r in rules_from_grant_set(cleaned)] == ["fs:read:/data/x/**"]


# --- network ----------------------------------------------------------------------------------------


@given(LABEL, LABEL, PORT)
def test_wildcard_host_matches_subdomains_only(sub: str, other: str, port: int) -> None:
    policy = Policy([parse_rule("network:*.example.com:443")])
    assert policy.network(f"{sub}.example.com", 443) is not None
    assert policy.network(f"{sub}.EXAMPLE.com", 443) is not None  # DNS names are case-insensitive
    assert policy.network("example.com", 443) is None
    assert policy.network(f"{sub}.example.com.{other}.org", 443) is None
    assert policy.network(f"{sub}example.com", 443) is None
    assume(port != 443)
    assert policy.network(f"{sub}.example.com", port) is None


@given(st.integers(1, 65535), st.integers(1, 65535), PORT)
def test_port_ranges(a: int, b: int, port: int) -> None:
    low, high = min(a, b), max(a, b)
    assert port_matches(f"{low}-{high}", port) == (low <= port <= high)
    assert port_matches("*", port)
    assert port_matches(str(port), port)


def test_host_and_port_must_match_in_the_same_rule() -> None:
    policy = as_policy(["network:a.com:443", "network:b.com:80"])
    assert policy.network("a.com", 443) and policy.network("b.com", 80)
    assert policy.network("a.com", 80) is None and policy.network("b.com", 443) is None


def test_ipv6_addresses_compare_canonically() -> None:
    policy = as_policy(["network:[::1]:53"])
    assert policy.network("0:0:0:0:0:0:0:1", 53) is not None
    assert policy.network("[::1]", 53) is not None
    assert policy.network("::2", 53) is None


# --- fs ---------------------------------------------------------------------------------------------


@given(st.lists(SEGMENT, min_size=1, max_size=5))
def test_double_star_matches_any_depth_below_the_directory(segments: list[str]) -> None:
    regex = path_glob("/data/**")
    assert regex.match("/data/" + "/".join(segments))
    assert regex.match("/data")
    assert not regex.match("/database/" + "/".join(segments))
    assert not regex.match("/" + "/".join(segments)) or segments[0] == "data"


@given(st.lists(SEGMENT, min_size=2, max_size=4))
def test_single_star_stays_in_one_segment(segments: list[str]) -> None:
    regex = path_glob("/data/*")
    assert regex.match(f"/data/{segments[0]}")
    assert not regex.match("/data/" + "/".join(segments))


@given(st.lists(SEGMENT, min_size=1, max_size=3), SEGMENT)
def test_dot_dot_cannot_leave_a_granted_tree(inside: list[str], target: str) -> None:
    assume(target != "data")
    policy = Policy([Rule("fs", "/data/**", "read")])
    escape = "/data/" + "/".join(inside) + "/.." * (len(inside) + 1) + f"/{target}"
    assert policy.fs(escape, write=False) is None
    assert policy.fs("/data/../etc/passwd", write=False) is None


@given(st.lists(SEGMENT, min_size=1, max_size=3))
def test_write_implies_read_but_not_the_reverse(segments: list[str]) -> None:
    path = "/srv/" + "/".join(segments)
    read_only = Policy([Rule("fs", "/srv/**", "read")])
    writable = Policy([Rule("fs", "/srv/**", "write")])
    assert read_only.fs(path, write=False) and read_only.fs(path, write=True) is None
    assert writable.fs(path, write=False) and writable.fs(path, write=True)


def test_symlink_out_of_a_granted_tree_is_outside_it(tmp_path: Path) -> None:
    granted = tmp_path / "granted"
    granted.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    (granted / "link").symlink_to(secret)
    (granted / "dirlink").symlink_to(tmp_path)
    policy = as_policy([f"fs:read:{granted}/**"])
    assert policy.fs(str(granted / "file"), write=False) is not None
    assert policy.fs(str(granted / "link"), write=False) is None
    assert policy.fs(str(granted / "dirlink" / "secret.txt"), write=False) is None


def test_relative_paths_resolve_against_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    policy = as_policy([f"fs:read:{tmp_path}/**"])
    assert policy.fs("some/file", write=False) is not None
    assert policy.fs("../elsewhere", write=False) is None


def test_granted_directory_behind_a_symlink_still_matches(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real)
    policy = as_policy([f"fs:read:{tmp_path / 'alias'}/**"])
    assert policy.fs(str(real / "x"), write=False) is not None


def test_preopens_only_for_whole_directories(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "out").mkdir()
    policy = as_policy(
        [
            f"fs:read:{tmp_path}/data/**",
            f"fs:write:{tmp_path}/out/**",
            f"fs:read:{tmp_path}/data/*.log",
            "fs:read:/etc/hostname",
        ]
    )
    preopens, problems = policy.preopens()
    assert [(p.host_path, p.writable) for p in preopens] == [
        (str(tmp_path / "data"), False),
        (str(tmp_path / "out"), True),
    ]
    assert len(problems) == 2 and all("WASI gives a sandbox whole directories" in p for p in problems)


# --- exec, env, kv ----------------------------------------------------------------------------------


def test_exec_matches_the_resolved_command() -> None:
    policy = as_policy(["exec:/usr/bin/uname", "exec:id"])
    assert policy.exec("/usr/bin/uname") is not None
    assert policy.exec("uname") is not None  # a bare name resolves through the host's search path
    assert policy.exec("/usr/bin/../bin/uname") is not None
    assert policy.exec("id") is not None and policy.exec("/usr/bin/id") is not None
    assert policy.exec("/tmp/id") is None  # a bare rule means the id the search path finds
    assert policy.exec("/usr/bin/touch") is None
    assert policy.exec("no-such-command-anywhere") is None


@given(SEGMENT, SEGMENT)
def test_exec_glob_stays_in_one_directory(a: str, b: str) -> None:
    regex = path_glob("/usr/bin/*")
    assert regex.match(f"/usr/bin/{a}")
    assert not regex.match(f"/usr/bin/{a}/{b}")
    assert not regex.match(f"/usr/binx/{a}")


@given(SEGMENT, SEGMENT)
def test_env_globs(prefix: str, rest: str) -> None:
    policy = as_policy([f"env:{prefix.upper()}_*"])
    assert policy.env(f"{prefix.upper()}_{rest}") is not None
    assert policy.env(f"X{prefix.upper()}_{rest}") is None


@given(SEGMENT)
def test_kv_keys_and_operations(key: str) -> None:
    read_write = as_policy(["kv:read-write:cfg-*"])
    read = as_policy(["kv:read:cfg-*"])
    assert read_write.kv(f"cfg-{key}", "read") and read_write.kv(f"cfg-{key}", "write")
    assert read.kv(f"cfg-{key}", "read") and read.kv(f"cfg-{key}", "write") is None
    assert read_write.kv(f"other-{key}", "read") is None


def test_default_policy_denies_everything() -> None:
    policy = Policy()
    assert policy.exec("/usr/bin/id") is None
    assert policy.fs("/", write=False) is None
    assert policy.network("example.com", 443) is None
    assert policy.env("PATH") is None
    assert policy.kv("k", "read") is None
    assert policy.environment(os.environ) == []


@settings(max_examples=30)
@given(st.dictionaries(SEGMENT.map(str.upper), SEGMENT, max_size=6))
def test_sandbox_environment_is_exactly_the_granted_variables(environ: dict[str, str]) -> None:
    policy = as_policy(["env:A*"])
    assert dict(policy.environment(environ)) == {k: v for k, v in environ.items() if k.startswith("A")}
