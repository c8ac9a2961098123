"""How proto names become WIT and Python names.

WIT identifiers are kebab-case words that each start with a letter; Python names are snake_case.
Both have keywords that must not be used bare: WIT escapes them with `%`, Python gets a trailing `_`.
"""

from __future__ import annotations

import keyword
import re

# From the WIT specification (component-model/design/mvp/WIT.md, "Keywords").
WIT_KEYWORDS = frozenset(
    {
        *("as", "async", "bool", "borrow", "char", "constructor", "enum", "export", "f32", "f64", "flags"),
        *("from", "func", "future", "import", "include", "interface", "list", "option", "own", "package"),
        *("record", "resource", "result", "s16", "s32", "s64", "s8", "static", "stream", "string", "tuple"),
        *("type", "u16", "u32", "u64", "u8", "use", "variant", "with", "world"),
    }
)

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_VALID_WIT_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$")


def words(name: str) -> list[str]:
    """Splits a proto identifier (CamelCase or snake_case) into lower-case words."""
    spaced = _WORD_BOUNDARY.sub("_", name)
    return [w.lower() for w in spaced.split("_") if w]


def kebab(name: str) -> str:
    """`ExecCommand` -> `exec-command`; `HTTPRequest` -> `http-request`."""
    return "-".join(words(name))


def snake(name: str) -> str:
    """`ExecCommand` -> `exec_command`."""
    return "_".join(words(name))


def is_valid_wit_identifier(ident: str) -> bool:
    """True when `ident` is a WIT identifier (each dash-separated word starts with a letter)."""
    return bool(_VALID_WIT_ID.match(ident))


def wit_identifier(ident: str) -> str:
    """Escapes a WIT keyword (`record` -> `%record`); other identifiers are returned unchanged."""
    return f"%{ident}" if ident in WIT_KEYWORDS else ident


def python_identifier(ident: str) -> str:
    """Escapes a Python keyword (`import` -> `import_`); other identifiers are returned unchanged."""
    return f"{ident}_" if keyword.iskeyword(ident) or keyword.issoftkeyword(ident) else ident


def lower_camel(name: str) -> str:
    """`exec-command` -> `execCommand`: how jco names a WIT function in JavaScript."""
    first, *rest = words(name.replace("-", "_")) or [""]
    return first + "".join(word.capitalize() for word in rest)
