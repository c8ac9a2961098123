"""`reglet-sdk`: build plugins, and describe, inspect and run them in the reference host.

    reglet-sdk build PLUGIN_DIR [-o OUT.wasm] [--no-cache] [--no-precompile]
    reglet-sdk test PLUGIN_DIR [--grant RULE ...]
    reglet-sdk new NAME [--dir FOLDER]
    reglet-sdk codegen --config FILE [--check]
    reglet-sdk describe PLUGIN.wasm [--format text|json]
    reglet-sdk schema PLUGIN.wasm
    reglet-sdk check PLUGIN.wasm [--config '{...}' | --config @file] [--timeout S] [--memory-limit MIB]
                                 [--format text|json] [-v] [--grant RULE ...] [--grants FILE] [--trust]
                                 [--security default|strict]

`check` exits 0 when the check succeeds, 1 when it fails and 2 when it could not be carried out
(130 when interrupted with Ctrl-C). The plugin's log records go to stderr, prefixed with its name.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from reglet_sdk import __version__
from reglet_sdk.host.display import attributed, escape, json_text

if TYPE_CHECKING:
    from reglet_sdk.errors import ErrorDetail
    from reglet_sdk.host import Host, NetworkSettings, PluginDescription
    from reglet_sdk.host.rules import Rule
    from reglet_sdk.results import Result

# Start-up time is part of every command, so each command imports what it needs when it runs: the
# network stack, YAML, the toolchain and the testing aids are not loaded to describe or check a plugin
# (tests/cli/test_cli_imports.py holds this).

EXIT_SUCCESS, EXIT_FAILURE, EXIT_ERROR = 0, 1, 2
MAX_TIMEOUT = 86400.0
"""Largest --timeout in seconds (one day)."""
MAX_MEMORY_MIB = 4096
"""Largest --memory-limit: a 32-bit WebAssembly memory holds at most 4 GiB."""
MAX_INPUT_BYTES = 16 << 20
"""Largest --config @FILE or --grants FILE read."""
MAX_CONFIG_DEPTH = 100
"""Deepest nesting of lists and objects accepted in a config."""
MAX_CONFIG_VALUES = 1_000_000
"""Most values (of any kind, at any depth) accepted in a config."""
EXIT_INTERRUPTED = 128 + 2  # the shell's code for SIGINT
_EXIT_BY_STATUS = {"success": EXIT_SUCCESS, "failure": EXIT_FAILURE, "error": EXIT_ERROR}


class UsageError(Exception):
    """A command-line argument is wrong; the message says which and how to fix it."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reglet-sdk", description="Build and run Reglet plugins.")
    parser.add_argument("--version", action="version", version=f"reglet-sdk {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build a plugin folder into a WebAssembly component")
    build.add_argument("plugin_dir", type=Path, metavar="PLUGIN_DIR")
    build.add_argument("-o", "--output", type=Path, metavar="OUT.wasm", help="default: PLUGIN_DIR/<name>.wasm")
    build.add_argument("--no-cache", action="store_true", help="rebuild even if nothing changed")
    build.add_argument(
        "--no-precompile",
        action="store_true",
        help="skip compiling it for this machine's host (by default the first check is then a cached load)",
    )

    for name, text in (
        ("describe", "show a plugin's metadata and requested capabilities"),
        ("schema", "print a plugin's config schema"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("plugin", type=Path, metavar="PLUGIN.wasm")
        command.add_argument("--format", choices=("text", "json"), default="text" if name == "describe" else "json")
        _add_limits(command)

    new = commands.add_parser("new", help="create a plugin folder that builds and whose tests pass")
    new.add_argument("name", metavar="NAME", help="lower-case words joined by dashes, e.g. tls-expiry")
    new.add_argument("--dir", type=Path, metavar="FOLDER", help="where to create it (default: ./NAME)")

    codegen = commands.add_parser("codegen", help="generate WIT and Python bindings from a project's .proto files")
    codegen.add_argument(
        "--config", type=Path, required=True, metavar="FILE", help="TOML file with a [tool.reglet-codegen] table"
    )
    codegen.add_argument("--check", action="store_true", help="exit 1 when the generated folder is not up to date")

    test = commands.add_parser("test", help="build a plugin folder and run the examples of its plugin.yaml")
    test.add_argument("plugin_dir", type=Path, metavar="PLUGIN_DIR")
    test.add_argument(
        "--grant",
        action="append",
        default=[],
        metavar="RULE",
        help="grant only these rules (default: what the plugin requests)",
    )
    _add_limits(test)

    check = commands.add_parser("check", help="run a plugin's check")
    check.add_argument("plugin", type=Path, metavar="PLUGIN.wasm")
    check.add_argument("--config", default="{}", help="the config as JSON, or @FILE (JSON or YAML)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-v: debug)")
    check.add_argument(
        "--grant",
        action="append",
        default=[],
        metavar="RULE",
        help="grant one rule, e.g. exec:/usr/bin/uname, fs:read:/data/**, network:api.example.com:443 (repeatable)",
    )
    check.add_argument(
        "--grants", type=Path, metavar="FILE", help="grant the rules of a YAML file with a capabilities: block"
    )
    check.add_argument("--trust", action="store_true", help="grant exactly what the plugin requests")
    check.add_argument(
        "--security", choices=("default", "strict"), default="default", help="strict: refuse broad rules"
    )
    check.add_argument("--ca-bundle", type=Path, metavar="FILE", help="extra trusted CA certificates (PEM) for TLS")
    _add_limits(check)
    return parser


def _add_limits(command: argparse.ArgumentParser) -> None:
    command.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="per-call limit (default 30)")
    command.add_argument(
        "--memory-limit", type=int, default=100, metavar="MIB", help="linear memory limit (default 100)"
    )


def read_input(path: Path, flag: str, expected: str) -> str:
    """The text of a file named on the command line (UTF-8, at most MAX_INPUT_BYTES); UsageError otherwise."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{flag}: cannot read {path} ({exc.strerror}).") from exc
    if len(data) > MAX_INPUT_BYTES:
        raise UsageError(f"{flag} {path}: the file is larger than {MAX_INPUT_BYTES >> 20} MiB.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{flag} {path}: not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}); pass {expected}."
        ) from exc


def load_config(value: str) -> dict[str, Any]:
    """The check config from `--config`: JSON text, or @FILE holding JSON or YAML."""
    source = "--config"
    text = value
    yaml_file = False
    if value.startswith("@"):
        path = Path(value[1:])
        source = str(path)
        text = read_input(path, "--config", "a JSON or YAML file")
        yaml_file = path.suffix in (".yaml", ".yml")
    try:
        loaded = _parse_yaml(text, source) if yaml_file else _parse_json(text, source)
    except RecursionError as exc:
        raise UsageError(f"{source} nests too deeply (at most {MAX_CONFIG_DEPTH} levels are accepted).") from exc
    _check_shape(loaded, source)
    return _config_object(loaded, source)


def _parse_json(text: str, source: str) -> object:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}). "
            """Quote it for the shell, e.g. --config '{"name": "Ada"}', or use --config @config.json."""
        ) from exc
    except ValueError as exc:
        raise _unaccepted(source, exc) from exc


def _unaccepted(source: str, exc: ValueError) -> UsageError:
    if "integer string conversion" in str(exc):
        return UsageError(
            f"{source} is not a config this host accepts: it holds an integer of more than "
            f"{sys.get_int_max_str_digits()} digits; pass such a number as a string."
        )
    return UsageError(f"{source} is not a config this host accepts: {exc}.")


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _parse_yaml(text: str, source: str) -> object:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{source} is not valid YAML: {' '.join(str(exc).split())}") from exc
    except ValueError as exc:
        raise _unaccepted(source, exc) from exc


def _check_shape(value: object, source: str) -> None:
    """UsageError for a config too deep, too large (YAML aliases included) or holding NaN/infinity.

    Walked without recursion, and bounded: a YAML alias bomb stops at MAX_CONFIG_VALUES.
    """
    pending = [(value, 1)]
    seen = 0
    while pending:
        item, depth = pending.pop()
        seen += 1
        if seen > MAX_CONFIG_VALUES:
            raise UsageError(f"{source} holds more than {MAX_CONFIG_VALUES} values (YAML aliases counted each time).")
        if isinstance(item, float) and not math.isfinite(item):
            raise UsageError(f"{source} holds {item}, which is not a JSON number.")
        if isinstance(item, (list, dict)):
            if depth > MAX_CONFIG_DEPTH:
                raise UsageError(f"{source} nests deeper than {MAX_CONFIG_DEPTH} levels of lists and objects.")
            pending += [(child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)]


def _config_object(value: object, source: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UsageError(f'{source} must be a JSON object like {{"key": "value"}}, not {type(value).__name__}.')
    return value


class _LogFormatter(logging.Formatter):
    """`[plugin] LEVEL message key=value` for a plugin's records, `reglet-sdk: LEVEL message` for the host's.

    The plugin's text is escaped, and a record that spans lines (a traceback) keeps its lines, each
    one after `[plugin] | `, so no line of it can pass for a record of its own.
    """

    def format(self, record: logging.LogRecord) -> str:
        if record.name.startswith("reglet.plugin."):
            source = f"[{record.name.removeprefix('reglet.plugin.')}]"
            message = getattr(record, "reglet_message", None)  # the plugin's own text, unescaped
            attributes = getattr(record, "reglet_attributes", {}) or {}
            text = (record.getMessage() if message is None else message) + "".join(
                f" {k}={v}" for k, v in attributes.items()
            )
        else:
            source, text = "reglet-sdk:", record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        first, *rest = attributed(text, "")
        return "\n".join([f"{source} {record.levelname} {first}", *(f"{source} | {line}" for line in rest)])


def _configure_logging(verbose: int, stream: TextIO) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_LogFormatter())
    plugin_log = logging.getLogger("reglet.plugin")
    plugin_log.handlers[:] = [handler]
    plugin_log.setLevel(logging.DEBUG if verbose else logging.INFO)
    plugin_log.propagate = False
    # The host's own records (warnings, failures of a host function) are shown the same way; they
    # still propagate, so an embedding program's logging configuration sees them too.
    logging.getLogger("reglet.host").handlers[:] = [handler]


def _host(args: argparse.Namespace) -> Host:
    from reglet_sdk.host import Host, HostConfig, NetworkSettings

    if not (math.isfinite(args.timeout) and 0 < args.timeout <= MAX_TIMEOUT):
        raise UsageError(
            f"--timeout must be a positive number of seconds, at most {MAX_TIMEOUT:g}, not {args.timeout}."
        )
    if not 1 <= args.memory_limit <= MAX_MEMORY_MIB:
        raise UsageError(
            f"--memory-limit must be a positive number of MiB, at most {MAX_MEMORY_MIB}, not {args.memory_limit}."
        )
    ca_bundle = getattr(args, "ca_bundle", None)
    if ca_bundle is not None and not ca_bundle.is_file():
        raise UsageError(f"--ca-bundle {ca_bundle}: no such file (a PEM file of CA certificates).")
    network = NetworkSettings() if ca_bundle is None else _network_settings(ca_bundle)
    return Host(HostConfig(timeout=args.timeout, memory_limit_mib=args.memory_limit, network=network))


def _network_settings(ca_bundle: Path) -> NetworkSettings:
    from reglet_sdk.host import NetworkSettings
    from reglet_sdk.host.net.tls import CaBundleError

    try:
        return NetworkSettings(ca_bundle=ca_bundle)
    except CaBundleError as exc:
        raise UsageError(f"--ca-bundle {exc}") from exc


class _Progress:
    """Shows that a build is running: a live elapsed-time line on a terminal, else start/end lines."""

    def __init__(self, label: str, stream: TextIO) -> None:
        self._label = label
        self._stream = stream
        self._done = threading.Event()
        self._start = time.monotonic()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> _Progress:
        if self._stream.isatty():
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()
        else:
            print(f"{self._label} ...", file=self._stream, flush=True)
        return self

    def _spin(self) -> None:
        frames = "|/-\\"
        i = 0
        while not self._done.wait(0.2):
            elapsed = time.monotonic() - self._start
            print(f"\r{frames[i % 4]} {self._label} ({elapsed:.0f} s)", end="", file=self._stream, flush=True)
            i += 1

    def __exit__(self, *_: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            print("\r", end="", file=self._stream)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start


def _cmd_build(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from reglet_sdk.toolchain import build_plugin, default_cache_dir

    label = f"building {args.plugin_dir} with componentize-py"
    with _Progress(label, err) as progress:
        target = build_plugin(args.plugin_dir, args.output, cache_dir=None if args.no_cache else default_cache_dir())
    size = target.stat().st_size / 2**20
    print(f"built {target} ({size:.1f} MiB) in {progress.elapsed:.1f} s", file=out)
    if not args.no_precompile:
        _precompile(target, out, err)
    return EXIT_SUCCESS


def _precompile(target: Path, out: TextIO, err: TextIO) -> None:
    """Compiles the built component into this user's compilation cache, so its first check is a cached load."""
    from reglet_sdk.host.compile_cache import default_cache_dir, precompile

    cache = default_cache_dir()
    with _Progress(f"compiling {target.name} for this machine", err) as progress:
        compiled = precompile(target, cache)
    if compiled:
        print(f"compiled it into {cache} in {progress.elapsed:.1f} s (checks load it from there)", file=out)


def _describe_text(info: PluginDescription) -> str:
    from reglet_sdk.host.rules import rules_from_grant_set
    from reglet_sdk.host.strict import why_broad

    lines = [f"{info.name} {info.version}", f"  {info.description}" if info.description else ""]
    lines.append(
        f"  built with reglet-sdk {info.sdk_version} (ABI {info.abi_version}), needs host >= {info.min_host_version}"
    )
    rules = rules_from_grant_set(info.capabilities)
    if not rules:
        lines.append("  capabilities: none requested")
    else:
        lines.append("  capabilities requested (risk):")
        lines += [
            f"    {rule}   ({rule.risk}{', broad: ' + why if (why := why_broad(rule)) else ''})" for rule in rules
        ]
    if info.examples:
        lines.append("  examples (reglet-sdk test):")
        lines += [
            f"    {e.name}: expects {e.expect_status}{' - ' + e.description if e.description else ''}"
            for e in info.examples
        ]
    schema = info.config_schema or {}
    properties = schema.get("properties", {})
    if properties:
        required = set(schema.get("required", []))
        lines.append("  config:")
        for name, prop in properties.items():
            flag = "required" if name in required else f"default {json.dumps(prop.get('default'))}"
            lines.append(
                f"    {name} ({_type_label(prop)}, {flag}){': ' + prop['description'] if 'description' in prop else ''}"
            )
    return "\n".join(escape(line) for line in lines if line)


def _type_label(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(json.dumps(v) for v in prop["enum"])
    if "type" in prop:
        return str(prop["type"])
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    return "any"


def _cmd_describe(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _host(args) as host:
        plugin = host.load(args.plugin)
        info = plugin.description or plugin.describe()
    print(json_text(info.to_dict()) if args.format == "json" else _describe_text(info), file=out)
    return EXIT_SUCCESS


def _cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _host(args) as host:
        schema = host.load(args.plugin).schema()
    print(json_text(schema), file=out)
    return EXIT_SUCCESS


def _result_text(result: Result, plugin: str) -> str:
    marks = {"success": "PASS", "failure": "FAIL", "error": "ERROR"}
    duration = f" ({result.metadata.duration_ms} ms)" if result.metadata else ""
    lines = [f"{marks[result.status]} {plugin}: {result.message}{duration}"]
    for key, value in result.data.items():
        lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
    error = result.error
    if error is not None:
        lines.append(f"  error: {error.type}{' [' + error.code + ']' if error.code else ''}: {error.message}")
    lines = [escape(line) for line in lines]
    if error is not None and error.stack:
        lines += attributed(error.stack.rstrip(), "    | ")  # the plugin's traceback, marked as such
    return "\n".join(lines)


def explicit_grants(args: argparse.Namespace, requested: list[Rule]) -> list[Rule] | None:
    """The rules granted on the command line, or None when no --grant, --grants or --trust was given."""
    if not (args.grant or args.grants or args.trust):
        return None
    from reglet_sdk.host.rules import RuleError, parse_rule, rules_from_grant_set

    rules: list[Rule] = list(requested) if args.trust else []
    for text in args.grant:
        try:
            rules.append(parse_rule(text))
        except RuleError as exc:
            raise UsageError(f"--grant {exc}") from exc
    if args.grants:
        from reglet_sdk.toolchain.plugin_yaml import ManifestError, parse_grants

        try:
            rules += rules_from_grant_set(
                parse_grants(read_input(args.grants, "--grants", "a YAML file with a capabilities: block"), args.grants)
            )
        except (ManifestError, RuleError) as exc:
            raise UsageError(f"--grants {exc}") from exc
    return rules


def _terminal_prompt(err: TextIO) -> Callable[[str], str]:
    def read(question: str) -> str:
        print(question, end="", file=err, flush=True)
        return sys.stdin.readline()

    return read


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from reglet_sdk.host.grant_store import GrantStore, PluginIdentity, decide, prompt_on_terminal
    from reglet_sdk.host.strict import refuse_broad

    config = load_config(args.config)
    with _host(args) as host:
        plugin = host.load(args.plugin)
        requested = plugin.requested_rules
        identity = PluginIdentity(plugin.name, plugin.sha256)
        ask = prompt_on_terminal(str(identity), _terminal_prompt(err)) if sys.stdin.isatty() else None
        store = GrantStore()
        try:
            decision = decide(identity, requested, explicit_grants(args, requested), store, ask)
        finally:  # also when the decision fails: the warning may be why
            for warning in store.warnings:
                print(f"reglet-sdk check: warning: {warning}", file=err)
        if args.security == "strict":
            refuse_broad(decision.rules)
        plugin.grant(decision.rules)
        result = plugin.check(config)
    if args.format == "json":
        print(json_text(result.to_dict()), file=out)
    else:
        print(_result_text(result, plugin.name), file=out)
    return _EXIT_BY_STATUS[result.status]


def _cmd_new(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from reglet_sdk.toolchain.scaffold import ScaffoldError, create

    try:
        folder = create(args.name, args.dir)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from exc
    print(f"created {folder}/ (plugin.py, plugin.yaml, test_plugin.py, README.md)", file=out)
    print(f"next: cd {folder} && pytest && reglet-sdk build . && reglet-sdk test .", file=out)
    return EXIT_SUCCESS


def _cmd_codegen(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from reglet_sdk.toolchain.codegen import run_codegen

    return run_codegen(args.config, check=args.check, out=out, err=err)


def _cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from reglet_sdk.host.rules import parse_rule
    from reglet_sdk.testing.plugin_examples import run_examples
    from reglet_sdk.toolchain import build_plugin, default_cache_dir

    with _Progress(f"building {args.plugin_dir}", err):
        wasm = build_plugin(
            args.plugin_dir,
            default_cache_dir() / "tested" / f"{args.plugin_dir.resolve().name}.wasm",
            cache_dir=default_cache_dir(),
        )
    with _host(args) as host:
        plugin = host.load(wasm)
        info = plugin.description or plugin.describe()
        grants: list[Rule] = [parse_rule(g) for g in args.grant] if args.grant else plugin.requested_rules
        plugin.grant(grants)
        if not info.examples:
            print(
                f"{info.name} declares no examples; add an `examples:` list to {args.plugin_dir / 'plugin.yaml'}.",
                file=err,
            )
            return EXIT_ERROR
        outcomes = run_examples(list(info.examples), plugin.check)
    for outcome in outcomes:
        print(escape(f"{'PASS' if outcome.passed else 'FAIL'} {outcome.name}"), file=out)
        for problem in outcome.problems:
            print(escape(f"    {problem}"), file=out)
    failed = sum(not o.passed for o in outcomes)
    print(f"{len(outcomes) - failed} passed, {failed} failed", file=out)
    return EXIT_FAILURE if failed else EXIT_SUCCESS


_COMMANDS = {
    "build": _cmd_build,
    "describe": _cmd_describe,
    "schema": _cmd_schema,
    "check": _cmd_check,
    "test": _cmd_test,
    "new": _cmd_new,
    "codegen": _cmd_codegen,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Runs the command line; returns the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    _configure_logging(getattr(args, "verbose", 0), err)
    try:
        return _COMMANDS[args.command](args, out, err)
    except KeyboardInterrupt:
        print(f"reglet-sdk {args.command}: interrupted", file=err)
        return EXIT_INTERRUPTED
    except Exception as exc:
        failure = _plugin_failure(exc)
        if failure is not None:
            print(escape(f"reglet-sdk {args.command}: the plugin failed: {failure}"), file=err)
            if failure.stack:
                print("\n".join(attributed(failure.stack.rstrip(), "  | ")), file=err)
            return EXIT_ERROR
        if not _for_the_user(exc):
            raise
        # The messages are ours and may span lines; whatever of the plugin's text they quote is
        # escaped where they are written, and escaping each line again here keeps a missed quote harmless.
        print("\n".join(escape(line) for line in f"reglet-sdk {args.command}: {exc}".split("\n")), file=err)
        return EXIT_ERROR


_USER_ERRORS = (
    ("reglet_sdk.toolchain.componentize", "BuildError"),
    ("reglet_sdk.host.runtime", "PluginLoadError"),
    ("reglet_sdk.host.grant_store", "GrantsNeeded"),
    ("reglet_sdk.host.grant_store", "GrantStoreError"),
    ("reglet_sdk.host.strict", "StrictModeRefusal"),
    ("reglet_sdk.host.rules", "RuleError"),
)
"""The errors, besides UsageError, whose message is written for the user: (module, class name)."""


def _for_the_user(exc: Exception) -> bool:
    """Whether `exc` is reported as its message alone (exit 2) rather than as a crash.

    An error class is looked up only in a module already imported: the commands import their modules
    when they run, and an error of a module that was never imported cannot have been raised.
    """
    if isinstance(exc, UsageError):
        return True
    for module_name, class_name in _USER_ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(exc, getattr(module, class_name)):
            return True
    return False


def _plugin_failure(exc: Exception) -> ErrorDetail | None:
    """The plugin's ErrorDetail when `exc` is a PluginCallError (Describe or Schema failed), else None."""
    if "reglet_sdk.host.runtime" not in sys.modules:
        return None  # no plugin was loaded
    from reglet_sdk.host.runtime import PluginCallError

    return exc.detail if isinstance(exc, PluginCallError) else None


def _stuck_calls() -> int:
    """Plugin calls still blocked in a system call (none when no plugin ran: nothing imported the calls)."""
    if "reglet_sdk.host.call_thread" not in sys.modules:
        return 0
    from reglet_sdk.host.call_thread import stuck_calls

    return stuck_calls()


def entry_point() -> None:
    """Console-script entry point.

    When a plugin call is still blocked in a system call (given up on at its deadline, or interrupted),
    the process ends at once, output flushed, rather than finalise the interpreter while that thread
    may wake inside wasmtime and run Python code.
    """
    status = main()
    if _stuck_calls():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)
