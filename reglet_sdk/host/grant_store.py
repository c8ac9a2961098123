"""Deciding what a plugin run is granted: explicit grants, or the per-user store and a prompt.

Explicit grants (`--grant`, `--grants FILE`, `--trust`, combinable) are the whole decision: the run
goes ahead with exactly those, and whatever the plugin requested beyond them is denied when used.
Without explicit grants the host takes the rules stored for the component in the per-user grants
store; requested rules not stored there are asked about when stdin is a terminal (this run / always /
deny), and otherwise the run fails with a message that lists them and the ways to grant them.

The store is keyed by the SHA-256 of the component's bytes, never by the name a plugin gives itself
(any component can call itself `command`); the name is kept beside the hash for people to read. It is
a YAML file, mode 0600, that only its owner may write: a store file or folder that is not the
user's own, or that others can write, is refused, and so is a store that is not what this module
writes. Stores of older versions, keyed by plugin name, are ignored with a warning.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from reglet_sdk.host.display import escape
from reglet_sdk.host.rules import Rule, RuleError, parse_rule

Answer = Literal["run", "always", "deny"]
MAX_STORE_BYTES = 4 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def default_store_path() -> Path:
    """$REGLET_GRANTS_STORE, else ~/.config/reglet-sdk/grants.yaml (or under $XDG_CONFIG_HOME)."""
    if "REGLET_GRANTS_STORE" in os.environ:
        return Path(os.environ["REGLET_GRANTS_STORE"])
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "reglet-sdk" / "grants.yaml"


@dataclass(frozen=True)
class PluginIdentity:
    """Which component a grant is for: its content hash, and the name it gives itself (for display)."""

    name: str
    sha256: str

    def __str__(self) -> str:
        return f"{self.name} (sha256 {self.sha256[:16]})"


class GrantStoreError(Exception):
    """The grants store cannot be used; the one-line message says why and what to do."""


class GrantsNeeded(Exception):
    """The plugin requested rules nobody granted, and there is no terminal to ask."""

    def __init__(self, plugin: str, missing: Sequence[Rule]) -> None:
        self.plugin = plugin
        self.missing = list(missing)
        listed = "\n".join(f"  {escape(str(rule))}   (risk: {rule.risk})" for rule in self.missing)
        flags = escape(" ".join(f"--grant {rule}" for rule in self.missing))
        super().__init__(
            f"{escape(plugin)} requests capabilities that were not granted:\n{listed}\n"
            f"Grant them explicitly with --grant RULE (once per rule, e.g. {flags}), with --grants FILE "
            "(a YAML file with a capabilities: block like plugin.yaml's), or with --trust (everything the "
            "plugin requests); or run from a terminal to be asked, and store the answer for next time."
        )


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks = []
    while limit > 0:
        chunk = os.read(fd, min(limit, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        limit -= len(chunk)
    return b"".join(chunks)


@dataclass
class _Stored:
    name: str
    rules: list[str] = field(default_factory=list)


class GrantStore:
    """Rules granted "always", per component (by SHA-256), in a private YAML file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_store_path()
        self.warnings: list[str] = []
        """Problems that did not stop the store from working (e.g. an old name-keyed store ignored)."""

    def _fail(self, problem: str, fix: str) -> GrantStoreError:
        return GrantStoreError(f"the grants store {self.path} {problem}. {fix}.")

    def _check_private(self, info: os.stat_result, what: str, where: Path) -> None:
        if info.st_uid != os.getuid():
            raise self._fail(
                f"is refused: {what} {where} belongs to uid {info.st_uid}, not to you (uid {os.getuid()})",
                "Use a store of your own: remove it, or set REGLET_GRANTS_STORE to a file in a folder only you can "
                "write",
            )
        if info.st_mode & 0o022:
            raise self._fail(
                f"is refused: others can write {what} {where} (mode {stat.S_IMODE(info.st_mode):o})",
                f"Run `chmod go-w {where}`, or set REGLET_GRANTS_STORE to a file in a folder only you can write",
            )

    def _check_folders(self) -> None:
        for folder in dict.fromkeys([self.path.parent, Path(os.path.realpath(self.path)).parent]):
            try:
                info = folder.stat()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise self._fail(
                    f"cannot be used: its folder cannot be read ({exc.strerror})", "Fix its folder"
                ) from exc
            self._check_private(info, "its folder", folder)

    def _read(self) -> str | None:
        """The store's text (None when there is none), after checking who can write it."""
        self._check_folders()
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._fail(f"cannot be read ({exc.strerror})", "Fix or remove it") from exc
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise self._fail("is not a regular file", "Remove it, or set REGLET_GRANTS_STORE to a file")
            self._check_private(info, "the file", self.path)
            data = _read_at_most(fd, MAX_STORE_BYTES + 1)
        finally:
            os.close(fd)
        if len(data) > MAX_STORE_BYTES:
            raise self._fail(f"is larger than {MAX_STORE_BYTES >> 20} MiB", "It is not a grants store; remove it")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._fail(f"is not UTF-8 text (byte {exc.start})", "It is not a grants store; remove it") from exc

    def _load(self) -> dict[str, _Stored]:
        text = self._read()
        if text is None:
            return {}
        import yaml  # only with a store to read (or write, in add): not on every check's start-up

        broken = "Fix it, or remove it (it only holds answers 'always'; you will be asked again)"
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise self._fail(f"is not valid YAML ({problem}{where})", broken) from exc
        except RecursionError as exc:
            raise self._fail("nests too deeply to be a grants store", broken) from exc
        if data is None:
            return {}
        if not isinstance(data, dict) or not set(data) <= {"components", "plugins"}:
            raise self._fail("is not a mapping with a `components:` key", broken)
        if data.get("plugins"):
            self._warn_legacy(data["plugins"])
        components = data.get("components") or {}
        if not isinstance(components, dict):
            raise self._fail("has a `components:` that is not a mapping of SHA-256 to grants", broken)
        return {str(key): self._entry(key, value, broken) for key, value in components.items()}

    def _entry(self, key: Any, value: Any, broken: str) -> _Stored:
        if not isinstance(key, str) or not _SHA256.match(key):
            raise self._fail(f"has an entry {key!r} that is not a component's SHA-256", broken)
        if not isinstance(value, dict) or not isinstance(value.get("name", ""), str):
            raise self._fail(f"has an entry {key[:16]} that is not a mapping with `name` and `rules`", broken)
        rules = value.get("rules") or []
        if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
            raise self._fail(f"has an entry {key[:16]} whose `rules` is not a list of rules", broken)
        for rule in rules:
            try:
                parse_rule(rule)
            except RuleError as exc:
                raise self._fail(f"has a bad rule in entry {key[:16]}: {exc}", broken) from exc
        return _Stored(value.get("name", ""), list(rules))

    def _warn_legacy(self, plugins: Any) -> None:
        names = ", ".join(repr(str(name)) for name in list(plugins)[:5]) if isinstance(plugins, dict) else ""
        warning = (
            f"the grants store {self.path} holds grants by plugin name ({names}) from an older reglet-sdk; they "
            "are ignored, because any component can give itself any name. Run the plugin from a terminal to be "
            "asked again (answer 'always' to store the grant for that exact component), or grant with --grant; "
            "the old entries are dropped the next time the store is written."
        )
        if warning not in self.warnings:
            self.warnings.append(warning)

    def rules_for(self, plugin: PluginIdentity) -> list[Rule]:
        """The rules stored for exactly this component."""
        stored = self._load().get(plugin.sha256)
        return [parse_rule(text) for text in stored.rules] if stored is not None else []

    def add(self, plugin: PluginIdentity, rules: Iterable[Rule]) -> None:
        """Stores more rules for the component (the file is written atomically, mode 0600)."""
        import yaml

        data = self._load()
        entry = data.setdefault(plugin.sha256, _Stored(plugin.name))
        entry.name = plugin.name
        entry.rules += [str(rule) for rule in rules if str(rule) not in entry.rules]
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._check_folders()
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".grants-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(
                "# Capabilities granted to Reglet plugins with 'always', by the SHA-256 of the component "
                "(the name is what the plugin calls itself). Written by reglet-sdk.\n"
            )
            components = {key: {"name": value.name, "rules": value.rules} for key, value in data.items()}
            yaml.safe_dump({"components": components}, out, sort_keys=True)
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)


@dataclass(frozen=True)
class Decision:
    """The rules a run is granted, and where they came from."""

    rules: tuple[Rule, ...]
    source: str  # "explicit" or "store"


def decide(
    plugin: PluginIdentity,
    requested: Sequence[Rule],
    explicit: Sequence[Rule] | None,
    store: GrantStore,
    ask: Callable[[Rule], Answer] | None,
) -> Decision:
    """The grants of one run (see the module docstring); `ask` is None when there is no terminal."""
    if explicit is not None:
        return Decision(tuple(dict.fromkeys(explicit)), "explicit")
    stored = store.rules_for(plugin)
    missing = [rule for rule in dict.fromkeys(requested) if rule not in stored]
    if not missing:
        return Decision(tuple(stored), "store")
    if ask is None:
        raise GrantsNeeded(plugin.name, missing)
    granted = list(stored)
    remember = []
    for rule in missing:
        answer = ask(rule)
        if answer in ("run", "always"):
            granted.append(rule)
        if answer == "always":
            remember.append(rule)
    if remember:
        store.add(plugin, remember)
    return Decision(tuple(granted), "store")


_ANSWERS: dict[str, Answer] = {"r": "run", "a": "always", "d": "deny"}


def prompt_on_terminal(plugin: str, read: Callable[[str], str] = input) -> Callable[[Rule], Answer]:
    """An `ask` function that asks on the terminal: [r]un once / [a]lways / [d]eny (end of input: deny)."""

    def ask(rule: Rule) -> Answer:
        while True:
            question = f"{escape(plugin)} requests {escape(str(rule))} (risk: {rule.risk})."
            reply = read(f"{question} Allow? [r]un once / [a]lways / [d]eny: ")
            if not reply:  # end of input: nobody is there to allow anything
                return "deny"
            choice = reply.strip().lower()[:1]
            if choice in ("r", "a", "d"):
                return _ANSWERS[choice]

    return ask
