"""Deciding what a plugin run is granted: explicit grants, or the per-user store and a prompt.

Explicit grants (`--grant`, `--grants FILE`, `--trust`, combinable) are the whole decision: the run
goes ahead with exactly those, and whatever the plugin requested beyond them is denied when used.
Without explicit grants the host takes the rules stored for the plugin in the per-user grants store
(a YAML file, mode 0600); requested rules not stored there are asked about when stdin is a terminal
(this run / always / deny), and otherwise the run fails with a message that lists them and the ways
to grant them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from reglet_sdk.host.display import escape
from reglet_sdk.host.rules import Rule, RuleError, parse_rule

Answer = Literal["run", "always", "deny"]


def default_store_path() -> Path:
    """$REGLET_GRANTS_STORE, else ~/.config/reglet-sdk/grants.yaml (or under $XDG_CONFIG_HOME)."""
    if "REGLET_GRANTS_STORE" in os.environ:
        return Path(os.environ["REGLET_GRANTS_STORE"])
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "reglet-sdk" / "grants.yaml"


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


class StrictModeRefusal(Exception):
    """`--security strict` refuses a broad rule."""


class GrantStore:
    """Rules granted "always", per plugin name, in a private YAML file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_store_path()

    def _load(self) -> dict[str, list[str]]:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            return {}
        plugins = data.get("plugins", {}) if isinstance(data, dict) else {}
        if not isinstance(plugins, dict):
            raise ValueError(f"{self.path}: `plugins:` must map plugin names to lists of rules")
        return {str(name): [str(rule) for rule in rules or []] for name, rules in plugins.items()}

    def rules_for(self, plugin: str) -> list[Rule]:
        """The rules stored for `plugin`."""
        try:
            return [parse_rule(text) for text in self._load().get(plugin, [])]
        except RuleError as exc:
            raise ValueError(f"{self.path}: {exc}") from exc

    def add(self, plugin: str, rules: Iterable[Rule]) -> None:
        """Stores more rules for `plugin` (the file is written atomically, mode 0600)."""
        data = self._load()
        known = data.setdefault(plugin, [])
        known += [str(rule) for rule in rules if str(rule) not in known]
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".grants-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("# Capabilities granted to Reglet plugins with 'always'. Written by reglet-sdk.\n")
            yaml.safe_dump({"plugins": data}, out, sort_keys=True)
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)


@dataclass(frozen=True)
class Decision:
    """The rules a run is granted, and where they came from."""

    rules: tuple[Rule, ...]
    source: str  # "explicit" or "store"


def decide(
    plugin: str,
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
        raise GrantsNeeded(plugin, missing)
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


def refuse_broad(rules: Iterable[Rule]) -> None:
    """Raises StrictModeRefusal naming every broad rule (what `--security strict` refuses)."""
    broad = [(rule, rule.broad) for rule in rules if rule.broad]
    if broad:
        listed = "\n".join(f"  {escape(str(rule))}: {why}" for rule, why in broad)
        raise StrictModeRefusal(
            f"--security strict refuses broad rules:\n{listed}\nGrant narrower rules (a specific command, "
            "directory, port or variable), or run without --security strict."
        )


_ANSWERS: dict[str, Answer] = {"r": "run", "a": "always", "d": "deny"}


def prompt_on_terminal(plugin: str, read: Callable[[str], str] = input) -> Callable[[Rule], Answer]:
    """An `ask` function that asks on the terminal: [r]un once / [a]lways / [d]eny."""

    def ask(rule: Rule) -> Answer:
        while True:
            question = f"{escape(plugin)} requests {escape(str(rule))} (risk: {rule.risk})."
            reply = read(f"{question} Allow? [r]un once / [a]lways / [d]eny: ")
            choice = reply.strip().lower()[:1]
            if choice in ("r", "a", "d"):
                return _ANSWERS[choice]

    return ask
