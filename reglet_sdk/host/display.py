"""Showing a plugin's text to people: the one place control characters are escaped.

Everything a plugin supplies is hostile, and text is no exception: an escape sequence can rewrite the
line a result was printed on or set the terminal's title, a newline can start a line that looks like
another record, a bidi override can reorder what is read. Wherever the host or the CLI shows a
plugin's string as text (results, errors, log records, describe output, grant prompts, messages
that quote a rule), it passes through `escape` (one line) or `attributed` (a multi-line text such as
a traceback: its lines kept, each one prefixed, so none can pass for a line of its own). The set of
characters is reglet_sdk.manifest.CONTROL_CHARACTERS.

Escaping is for display only, and idempotent (the escaped form holds no control character); data
stays faithful: `json_text` keeps every value exactly, written with JSON's own escapes.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from reglet_sdk.manifest import CONTROL_CHARACTERS

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@functools.cache
def _characters() -> tuple[str, ...]:
    """The characters of CONTROL_CHARACTERS, all in the Basic Multilingual Plane (test_display checks)."""
    return tuple(CONTROL_CHARACTERS.findall("".join(map(chr, range(0x10000)))))


@functools.cache
def _display_table() -> dict[int, str]:
    # str.translate with a table runs in C: plain text costs ~3 ms per MB, a flood of escape
    # characters ~0.3 s per million of them, a tenth of what a regex callback per character cost.
    table = {}
    for char in _characters():
        code = ord(char)
        table[code] = _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
    return table


@functools.cache
def _json_table() -> dict[int, str]:
    # json.dumps escapes every C0 character inside strings, so a raw newline is its own indentation.
    return {ord(char): f"\\u{ord(char):04x}" for char in _characters() if char != "\n"}


def escape(text: str) -> str:
    r"""`text` as one line a terminal shows as written: every control character as a visible escape.

    Newline, carriage return and tab become `\n`, `\r`, `\t`; other characters below U+0100 `\xNN`,
    the rest `\uNNNN`. Backslashes stay as they are (this is for reading, not a reversible encoding).
    """
    return text.translate(_display_table())


def attributed(text: str, prefix: str) -> list[str]:
    """The lines of a multi-line text (split at newlines only), each escaped and starting with `prefix`."""
    return [prefix + escape(line) for line in text.split("\n")]


def json_text(value: Any, *, indent: int | None = 2) -> str:
    r"""`value` as JSON that is faithful and terminal-safe: non-ASCII text kept, control characters escaped.

    json.dumps escapes C0 characters itself but, with ensure_ascii=False, leaves DEL, C1, the line
    separators and bidi controls raw; they can only occur inside strings, where `\uNNNN` is JSON's
    own escape for the same character, so the document decodes to exactly the same value.
    """
    return json.dumps(value, indent=indent, ensure_ascii=False).translate(_json_table())
