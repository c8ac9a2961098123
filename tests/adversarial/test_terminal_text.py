"""Issue 10, item 7: a plugin's text reaches the terminal escaped, and never as a line of its own.

The probe forges results, errors, tracebacks, log records, printed output and its Describe answer
with escape sequences (erase line + carriage return + a fake PASS, an OSC window title, BEL), an 8-bit
CSI, a right-to-left override and newlines; every test runs the real CLI in a subprocess and reads
the exact bytes it wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reglet_sdk.host import Host, HostConfig, PluginLoadError
from tests.adversarial.leaks_support import cli, forged_name_wasm, forged_rules_wasm, probe_wasm, raw_controls
from tests.conftest import COMPILE_CACHE

pytestmark = pytest.mark.component

ERASE, TITLE, CSI8, RLO = "\x1b[2K\r", "\x1b]0;pwned\x07", "\x9b31m", "\u202e"


def check(tmp_path: Path, mode: str, *extra: str) -> tuple[int, list[bytes], list[bytes]]:
    run = cli(
        "check",
        str(probe_wasm()),
        "--config",
        json.dumps({"mode": mode}),
        "--grant",
        "env:NONE",
        *extra,
        store=tmp_path / "g.yaml",
    )
    assert raw_controls(run.stdout) == [] and raw_controls(run.stderr) == [], (run.stdout, run.stderr)
    return run.code, run.stdout.splitlines(), run.stderr.splitlines()


def test_a_forged_result_is_one_escaped_line_per_entry(tmp_path: Path) -> None:
    code, out, _ = check(tmp_path, "result")
    assert code == 0 and len(out) == 3  # the header and two data lines: no line of the plugin's own
    assert out[0].startswith(rb"PASS leaks-probe: \x1b[2K\rPASS other-plugin: all good\x1b]0;pwned\x07\x9b31m\u202e")
    assert out[1].startswith(rb"  key\x1b]0;pwned\x07: ") and out[2] == b"  n: 1"


def test_a_forged_traceback_keeps_its_lines_each_marked_as_the_plugins(tmp_path: Path) -> None:
    code, out, _ = check(tmp_path, "error")
    assert code == 2
    assert out[0].startswith(b"ERROR leaks-probe: boom\\x1b[2K\\rPASS") and out[1].startswith(b"  error: panic")
    assert out[2:] == [
        b"    | Traceback (most recent call last):",
        rb"    | \x1b[2K\rPASS other-plugin: fine",
        rb"    | reglet-sdk: ok\x1b]0;pwned\x07",
    ]


def test_a_newline_in_a_log_record_cannot_start_another_record(tmp_path: Path) -> None:
    _, _, err = check(tmp_path, "log")
    records = [line for line in err if not line.startswith(b"[leaks-probe] | ")]
    assert records == [b"[leaks-probe] WARNING first"]
    assert err[1] == rb"[leaks-probe] | [other-plugin] INFO forged record\x1b]0;pwned\x07 k\x1b[2K\r=v"
    assert err[2] == rb"[leaks-probe] | \u202ex"


def test_printed_output_is_escaped_per_line(tmp_path: Path) -> None:
    _, _, err = check(tmp_path, "print")
    assert err == [
        rb"[leaks-probe] INFO stdout: printed\x1b[2K\rPASS other-plugin\x1b]0;pwned\x07",
        rb"[leaks-probe] WARNING stderr: to stderr\x9b31m\u202e",
    ]


def test_describe_text_is_escaped_and_describe_json_stays_faithful(tmp_path: Path) -> None:
    text = cli("describe", str(probe_wasm()), store=tmp_path / "g.yaml")
    assert text.code == 0 and raw_controls(text.stdout) == [], text.stdout
    lines = text.stdout.splitlines()
    assert (
        lines[1]
        == rb"  honest\x1b[2K\rPASS other-plugin: all good\x1b]0;pwned\x07\x9b31m\u202e\nreglet-sdk: nothing to see"
    )
    assert rb"    ex\x1b[2K\rPASS: expects success - d\x1b]0;pwned\x07\nforged" in lines
    assert not any(line.startswith((b"reglet-sdk", b"forged", b"PASS")) for line in lines)
    as_json = cli("describe", str(probe_wasm()), "--format", "json", store=tmp_path / "g.yaml")
    assert as_json.code == 0 and raw_controls(as_json.stdout) == []
    described = json.loads(as_json.stdout)  # JSON's own escapes: the exact strings come back
    assert (
        described["description"]
        == f"honest{ERASE}PASS other-plugin: all good{TITLE}{CSI8}{RLO}\nreglet-sdk: nothing to see"
    )
    assert described["examples"][0]["name"] == f"ex{ERASE}PASS"


def test_check_json_output_is_faithful_and_terminal_safe(tmp_path: Path) -> None:
    code, out, _ = check(tmp_path, "result", "--format", "json")
    result = json.loads(b"\n".join(out))
    assert code == 0 and result["message"] == f"{ERASE}PASS other-plugin: all good{TITLE}{CSI8}{RLO}"
    assert result["data"] == {f"key{TITLE}": f"value{ERASE}PASS\nforged: line{RLO}", "n": 1}


def test_a_component_naming_itself_with_control_characters_is_refused_escaped(tmp_path: Path) -> None:
    for command in ("describe", "check"):
        run = cli(command, str(forged_name_wasm()), store=tmp_path / "g.yaml")
        assert run.code == 2 and raw_controls(run.stderr) == [] and run.stderr.count(b"\n") == 1, run.stderr
        assert (
            rb"calls itself 'evil\x1b]0;pwned\x07\x1b[2K\rPASS\nreglet.host', which is not a plugin name" in run.stderr
        )
    with Host(HostConfig(cache_dir=COMPILE_CACHE)) as host, pytest.raises(PluginLoadError, match="not a plugin name"):
        host.load(forged_name_wasm())


def test_a_component_requesting_rules_with_control_characters_is_refused_escaped(tmp_path: Path) -> None:
    # The host checks every rule a component requests when it loads it (the build refuses such a
    # plugin.yaml): the forged rules never reach a grant list or the prompt, and the refusal is one
    # escaped line.
    for command in ("describe", "check"):
        run = cli(command, str(forged_rules_wasm()), store=tmp_path / "g.yaml")
        assert run.code == 2 and raw_controls(run.stderr) == [] and run.stderr.count(b"\n") == 1, run.stderr
        assert rb"requests a capability no host grants" in run.stderr
    with Host(HostConfig(cache_dir=COMPILE_CACHE)) as host, pytest.raises(PluginLoadError, match="no host grants"):
        host.load(forged_rules_wasm())


@pytest.mark.parametrize(
    ("field", "yaml_text"),
    [
        ("description", 'description: "looks fine\\e]0;pwned\\a"'),
        ("description", 'description: "two\\nlines"'),
        ("examples[0].name", 'examples:\n  - name: "ok\\u202e"\n    expect: {status: success}'),
        ("examples[0].description", 'examples:\n  - name: ok\n    description: "\\r"\n    expect: {status: success}'),
    ],
)
def test_plugin_yaml_refuses_control_characters_at_build_time(tmp_path: Path, field: str, yaml_text: str) -> None:
    folder = tmp_path / "sneaky"
    folder.mkdir()
    (folder / "plugin.yaml").write_text(f"name: sneaky\nversion: 0.1.0\n{yaml_text}\n", encoding="utf-8")
    (folder / "plugin.py").write_text("raise SystemExit('never built')\n", encoding="utf-8")
    run = cli("build", str(folder), store=tmp_path / "g.yaml")
    assert run.code == 2 and raw_controls(run.stderr) == [], run.stderr
    assert f" {field}: contains the control character U+".encode() in run.stderr
    assert b"must be one line of printable text" in run.stderr
