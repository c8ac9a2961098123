"""plugin.yaml on the author's machine: read, validate, and turn into a Manifest.

Every problem names the file, the line and the key. `parse_grants` reads a grants file (one
`capabilities:` block in plugin.yaml's shape) the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from reglet_abi.reglet.v1 import (
    EnvCapability,
    ExecCapability,
    FsCapability,
    FsRule,
    GrantSet,
    KvCapability,
    KvRule,
    NetworkCapability,
    NetworkRule,
    PluginExample,
)
from reglet_sdk.host.rules import Rule, RuleError, check_rule
from reglet_sdk.jsonvalue import to_json_object
from reglet_sdk.manifest import (
    CONTROL_CHARACTERS,
    KV_OPERATIONS,
    MIN_HOST_VERSION,
    PLUGIN_NAME,
    PORT_SYNTAX,
    Manifest,
    port_range,
)

_VERSION = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?\Z")  # \Z: no trailing newline


class ManifestError(ValueError):
    """plugin.yaml is invalid; the message names the file, line and key, and what to do."""


class _Reader:
    """Walks PyYAML nodes, raising ManifestError with the file, line and key path."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: Any, key: str, problem: str) -> ManifestError:
        line = node.start_mark.line + 1 if node is not None else 1
        where = f" {key}:" if key else ""
        return ManifestError(f"{self.path}:{line}:{where} {problem}")

    def mapping(self, node: Any, key: str, allowed: set[str], required: Collection[str] = ()) -> dict[str, Any]:

        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, key, f"expected a mapping with keys {', '.join(sorted(allowed))}")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            name = key_node.value
            path = f"{key}.{name}" if key else name
            if name not in allowed:
                raise self.fail(key_node, path, f"unknown key; allowed here: {', '.join(sorted(allowed))}")
            if name in out:
                raise self.fail(key_node, path, "appears twice")
            out[name] = value_node
        missing = sorted(set(required) - set(out))
        if missing:
            raise self.fail(node, key, f"missing required key(s): {', '.join(missing)}")
        return out

    def string(self, node: Any, key: str) -> str:

        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            raise self.fail(node, key, "expected a string")
        return str(node.value)

    def text(self, node: Any, key: str) -> str:
        """A string shown to people (a description, an example's name): one line, no control characters."""
        value = self.string(node, key)
        found = CONTROL_CHARACTERS.search(value)
        if found:
            raise self.fail(
                node,
                key,
                f"contains the control character U+{ord(found.group()):04X}. Hosts show this text on terminals, so "
                "it must be one line of printable text (a folded block, `>-`, joins long text into one line).",
            )
        return value

    def strings(self, node: Any, key: str) -> list[str]:

        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, key, 'expected a list of strings, e.g. ["a", "b"]')
        return [self.string(item, f"{key}[{i}]") for i, item in enumerate(node.value)]

    def sequence(self, node: Any, key: str) -> list[Any]:

        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, key, "expected a list")
        return list(node.value)


def _port(reader: _Reader, node: Any, key: str, value: str) -> None:
    if port_range(value) is None:
        raise reader.fail(node, key, f"{value!r} is not a port: {PORT_SYNTAX}")


def _checked(reader: _Reader, node: Any, key: str, rule: Callable[[str], Rule]) -> list[str]:
    """The strings of a rule list, each checked and normalised as a rule (`rule` makes one of a string)."""
    patterns = []
    for i, text in enumerate(reader.strings(node, key)):
        try:
            patterns.append(check_rule(rule(text)).pattern)
        except RuleError as exc:
            raise reader.fail(node.value[i], f"{key}[{i}]", str(exc)) from exc
    return patterns


def _capabilities(reader: _Reader, node: Any) -> GrantSet:
    sections = reader.mapping(node, "capabilities", {"network", "fs", "env", "exec", "kv"})
    grants = GrantSet()
    if "network" in sections:
        network = reader.mapping(sections["network"], "capabilities.network", {"rules"}, {"rules"})
        rules = []
        for i, rule_node in enumerate(reader.sequence(network["rules"], "capabilities.network.rules")):
            key = f"capabilities.network.rules[{i}]"
            rule = reader.mapping(rule_node, key, {"hosts", "ports"}, {"hosts", "ports"})
            hosts = _checked(reader, rule["hosts"], f"{key}.hosts", lambda host: Rule.network(host, "*"))
            ports = reader.strings(rule["ports"], f"{key}.ports")
            for j, port in enumerate(ports):
                _port(reader, rule["ports"].value[j], f"{key}.ports[{j}]", port)
                ports[j] = check_rule(Rule.network("reglet.invalid", port)).mode
            rules.append(NetworkRule(hosts=hosts, ports=ports))
        grants.network = NetworkCapability(rules=rules)
    if "fs" in sections:
        fs = reader.mapping(sections["fs"], "capabilities.fs", {"rules"}, {"rules"})
        fs_rules = []
        for i, rule_node in enumerate(reader.sequence(fs["rules"], "capabilities.fs.rules")):
            key = f"capabilities.fs.rules[{i}]"
            rule = reader.mapping(rule_node, key, {"read", "write"})
            if not rule:
                raise reader.fail(rule_node, key, "needs `read` and/or `write` paths")
            read = _checked(reader, rule["read"], f"{key}.read", Rule.fs) if "read" in rule else []
            write = (
                _checked(reader, rule["write"], f"{key}.write", lambda path: Rule.fs(path, write=True))
                if "write" in rule
                else []
            )
            fs_rules.append(FsRule(read=read, write=write))
        grants.fs = FsCapability(rules=fs_rules)
    if "env" in sections:
        env = reader.mapping(sections["env"], "capabilities.env", {"vars"}, {"vars"})
        grants.env = EnvCapability(vars=_checked(reader, env["vars"], "capabilities.env.vars", Rule.env))
    if "exec" in sections:
        exec_ = reader.mapping(sections["exec"], "capabilities.exec", {"commands"}, {"commands"})
        grants.exec = ExecCapability(
            commands=_checked(reader, exec_["commands"], "capabilities.exec.commands", Rule.exec)
        )
    if "kv" in sections:
        kv = reader.mapping(sections["kv"], "capabilities.kv", {"rules"}, {"rules"})
        kv_rules = []
        for i, rule_node in enumerate(reader.sequence(kv["rules"], "capabilities.kv.rules")):
            key = f"capabilities.kv.rules[{i}]"
            rule = reader.mapping(rule_node, key, {"keys", "op"}, {"keys", "op"})
            op = reader.string(rule["op"], f"{key}.op")
            if op not in KV_OPERATIONS:
                raise reader.fail(rule["op"], f"{key}.op", f"{op!r} is not one of {', '.join(KV_OPERATIONS)}")
            keys = _checked(reader, rule["keys"], f"{key}.keys", partial(Rule, "kv", mode=op))
            kv_rules.append(KvRule(keys=keys, op=KV_OPERATIONS[op]))
        grants.kv = KvCapability(rules=kv_rules)
    return grants


def _compose(text: str, path: Path) -> Any:
    """The YAML node tree of `text` (None for an empty document); ManifestError for bad syntax."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 1
        raise ManifestError(f"{path}:{line}: not valid YAML: {exc.problem}. Fix the syntax there.") from exc
    except yaml.YAMLError as exc:  # e.g. a control character or NUL in the text
        raise ManifestError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc
    except RecursionError as exc:
        raise ManifestError(f"{path}: nests too deeply to be read; it is not a {path.name} this SDK writes.") from exc


def parse(text: str, path: Path = Path("plugin.yaml")) -> Manifest:
    """Validates plugin.yaml text; raises ManifestError naming the line and key of the first problem."""
    reader = _Reader(path)
    root = _compose(text, path)
    if root is None:
        raise ManifestError(f"{path}:1: the file is empty; it needs at least `name:` and `version:`.")
    top = reader.mapping(
        root,
        "",
        {"name", "version", "description", "min_host_version", "capabilities", "examples"},
        {"name", "version"},
    )
    name = reader.string(top["name"], "name")
    if not PLUGIN_NAME.match(name):
        raise reader.fail(
            top["name"],
            "name",
            f"{name!r} must be lower-case words joined by dashes (at most 64 characters), e.g. tls-check",
        )
    version = reader.string(top["version"], "version")
    if not _VERSION.match(version):
        raise reader.fail(top["version"], "version", f"{version!r} is not a semantic version like 1.2.3")
    min_host = reader.string(top["min_host_version"], "min_host_version") if "min_host_version" in top else None
    if min_host is not None and not _VERSION.match(min_host):
        raise reader.fail(top["min_host_version"], "min_host_version", f"{min_host!r} is not a version like 0.1.0")
    return Manifest(
        name=name,
        version=version,
        description=reader.text(top["description"], "description") if "description" in top else "",
        min_host_version=min_host or MIN_HOST_VERSION,
        capabilities=_capabilities(reader, top["capabilities"]) if "capabilities" in top else GrantSet(),
        examples=_examples(reader, top["examples"], yaml.safe_load(text)["examples"]) if "examples" in top else (),
    )


_STATUSES = ("success", "failure", "error")


def _examples(reader: _Reader, node: Any, values: Any) -> tuple[PluginExample, ...]:
    """The `examples:` list: name, description, config, expect {status, data, error {type, code}}."""
    examples = []
    names: set[str] = set()
    for i, item in enumerate(reader.sequence(node, "examples")):
        key = f"examples[{i}]"
        fields = reader.mapping(item, key, {"name", "description", "config", "expect"}, {"name", "expect"})
        name = reader.text(fields["name"], f"{key}.name")
        if name in names:
            raise reader.fail(fields["name"], f"{key}.name", f"{name!r} is used by another example")
        names.add(name)
        expect = reader.mapping(fields["expect"], f"{key}.expect", {"status", "data", "error"}, {"status"})
        status = reader.string(expect["status"], f"{key}.expect.status")
        if status not in _STATUSES:
            raise reader.fail(
                expect["status"], f"{key}.expect.status", f"{status!r} is not one of {', '.join(_STATUSES)}"
            )
        value = values[i]
        config, data = value.get("config") or {}, value["expect"].get("data") or {}
        for part, content, part_node in (
            ("config", config, fields.get("config")),
            ("expect.data", data, expect.get("data")),
        ):
            if not isinstance(content, dict):
                raise reader.fail(part_node, f"{key}.{part}", "expected a mapping")
        error: dict[str, Any] = {}
        if "error" in expect:
            error_fields = reader.mapping(expect["error"], f"{key}.expect.error", {"type", "code"})
            error = {k: reader.string(v, f"{key}.expect.error.{k}") for k, v in error_fields.items()}
        examples.append(
            PluginExample(
                name=name,
                description=reader.text(fields["description"], f"{key}.description") if "description" in fields else "",
                config=to_json_object(config, f"{key}.config"),
                expect_status=status,
                expect_data=to_json_object(data, f"{key}.expect.data"),
                expect_error_type=error.get("type", ""),
                expect_error_code=error.get("code", ""),
            )
        )
    return tuple(examples)


def parse_grants(text: str, path: Path = Path("grants.yaml")) -> GrantSet:
    """Validates a grants file: a YAML mapping with one `capabilities:` block in plugin.yaml's shape."""
    reader = _Reader(path)
    root = _compose(text, path)
    if root is None:
        return GrantSet()
    top = reader.mapping(root, "", {"capabilities"}, {"capabilities"})
    return _capabilities(reader, top["capabilities"])


def load(path: Path) -> Manifest:
    """Reads and validates a plugin.yaml file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot be read ({exc.strerror}).") from exc
    return parse(text, path)
