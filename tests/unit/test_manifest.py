"""plugin.yaml parsing: the seed's format, validated with file, line and key in every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from reglet_abi.reglet.v1 import KvOperation
from reglet_sdk import manifest
from reglet_sdk.toolchain import plugin_yaml
from reglet_sdk.toolchain.plugin_yaml import ManifestError

SEED_EXAMPLE = """\
name: my-plugin
version: 1.0.0
capabilities:
  network:
    rules:
      - hosts: ["api.example.com", "*.google.com"]
        ports: ["443", "80-90"]
  fs:
    rules:
      - read: ["/data/**"]
        write: ["/tmp/app.log"]
  env:
    vars: ["AWS_REGION", "DEBUG"]
  exec:
    commands: ["/usr/bin/grep"]
  kv:
    rules:
      - keys: ["config-*"]
        op: "read-write"
"""


def test_the_seed_example_parses() -> None:
    parsed = plugin_yaml.parse(SEED_EXAMPLE)
    caps = parsed.capabilities
    assert caps.network is not None and caps.fs is not None and caps.env is not None
    assert caps.exec is not None and caps.kv is not None
    assert (parsed.name, parsed.version, parsed.min_host_version) == ("my-plugin", "1.0.0", "0.1.0")
    assert caps.network.rules[0].hosts == ["api.example.com", "*.google.com"]
    assert caps.network.rules[0].ports == ["443", "80-90"]
    assert caps.fs.rules[0].read == ["/data/**"] and caps.fs.rules[0].write == ["/tmp/app.log"]
    assert caps.env.vars == ["AWS_REGION", "DEBUG"] and caps.exec.commands == ["/usr/bin/grep"]
    assert caps.kv.rules[0].keys == ["config-*"] and caps.kv.rules[0].op == KvOperation.READ_WRITE


def test_embedding_round_trips() -> None:
    parsed = plugin_yaml.parse(SEED_EXAMPLE)
    manifest.embed(manifest.to_frame(parsed))
    try:
        assert manifest.embedded() == parsed
    finally:
        manifest.use(None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\nversion: 1.0.0\nextra: 1\n", "plugin.yaml:3: extra: unknown key"),
        ("version: 1.0.0\n", "missing required key(s): name"),
        ("name: a\nversion: one\n", "plugin.yaml:2: version: 'one' is not a semantic version"),
        ("name: a\nversion: 1.0.0\ncapabilities:\n  net: {}\n", "plugin.yaml:4: capabilities.net: unknown key"),
        ("name: a\nversion: 1.0.0\ncapabilities:\n  env:\n    vars: AWS\n", "capabilities.env.vars: expected a list"),
        (
            "name: a\nversion: 1.0.0\ncapabilities:\n  network:\n    rules:\n      - hosts: [x]\n        ports: ['90-80']\n",
            "'90-80' is not a port",
        ),
        (
            "name: a\nversion: 1.0.0\ncapabilities:\n  kv:\n    rules:\n      - keys: [k]\n        op: delete\n",
            "plugin.yaml:7: capabilities.kv.rules[0].op: 'delete' is not one of",
        ),
        (
            "name: a\nversion: 1.0.0\ncapabilities:\n  fs:\n    rules:\n      - {}\n",
            "capabilities.fs.rules[0]: needs `read` and/or `write`",
        ),
        ("", "the file is empty"),
        ("name: a\n  version: 1\n", "not valid YAML"),
    ],
)
def test_errors_name_line_and_key(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as error:
        plugin_yaml.parse(text, Path("plugin.yaml"))
    assert message in str(error.value)


CAPS = "name: a\nversion: 1.0.0\ncapabilities:\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            CAPS + "  fs:\n    rules:\n      - write: [/data/out/**, /tmp/../**]\n",
            "plugin.yaml:6: capabilities.fs.rules[0].write[1]: 'fs:write:/tmp/../**' is refused: its path contains "
            "`..`, which hides the directory it grants. Write fs:write:/** instead.",
        ),
        (
            CAPS + "  fs:\n    rules:\n      - read: [data/**]\n",
            "capabilities.fs.rules[0].read[0]: 'fs:read:data/**' is refused: its path is relative",
        ),
        (
            CAPS + "  exec:\n    commands: ['']\n",
            "capabilities.exec.commands[0]: 'exec:' is refused: its pattern is empty",
        ),
        (
            CAPS + '  env:\n    vars: ["A\\e[2K"]\n',
            "capabilities.env.vars[0]: 'env:A\\x1b[2K' is refused: it contains the control character '\\x1b'",
        ),
        (
            CAPS + "  network:\n    rules:\n      - hosts: ['a b']\n        ports: ['443']\n",
            "capabilities.network.rules[0].hosts[0]: 'network:a b:*' is refused",
        ),
        (
            CAPS + "  kv:\n    rules:\n      - keys: ['']\n        op: read\n",
            "capabilities.kv.rules[0].keys[0]: 'kv:read:' is refused: its pattern is empty",
        ),
    ],
)
def test_capabilities_are_checked_as_rules(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as error:
        plugin_yaml.parse(text, Path("plugin.yaml"))
    assert message in str(error.value)
    assert "\x1b" not in str(error.value)


def test_capabilities_are_stored_normalised() -> None:
    text = CAPS + (
        "  fs:\n    rules:\n      - read: ['//data/./in/']\n"
        "  exec:\n    commands: ['/usr//bin/uname']\n"
        "  network:\n    rules:\n      - hosts: ['API.Example.com.']\n        ports: ['0443']\n"
    )
    caps = plugin_yaml.parse(text).capabilities
    assert caps.fs is not None and caps.exec is not None and caps.network is not None
    assert caps.fs.rules[0].read == ["/data/in"] and caps.exec.commands == ["/usr/bin/uname"]
    assert caps.network.rules[0].hosts == ["api.example.com"] and caps.network.rules[0].ports == ["443"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "capabilities:\n  exec:\n    commands: [/usr/bin/../bin/sh]\n",
            "grants.yaml:3: capabilities.exec.commands[0]",
        ),
        ("capabilities: \x00\n", "grants.yaml: not valid YAML"),
        ("[" * 100_000, "grants.yaml"),
    ],
)
def test_grants_files_are_checked_like_plugin_yaml(text: str, message: str) -> None:
    with pytest.raises(ManifestError) as error:
        plugin_yaml.parse_grants(text, Path("grants.yaml"))
    assert message in str(error.value)
