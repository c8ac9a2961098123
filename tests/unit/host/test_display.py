"""host.display: the one place a plugin's text is made safe to show."""

from __future__ import annotations

import json

import pytest

from reglet_sdk.host.display import attributed, escape, json_text
from reglet_sdk.manifest import CONTROL_CHARACTERS


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, ünïcødé and 日本語", "plain text, ünïcødé and 日本語"),
        ("\x1b[2K\rPASS", "\\x1b[2K\\rPASS"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\nb\tc", "a\\nb\\tc"),
        ("\x00\x7f\x85\x9b", "\\x00\\x7f\\x85\\x9b"),
        ("\u2028\u2029", "\\u2028\\u2029"),
        (
            "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
            "".join(f"\\u{c:04x}" for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]),
        ),
        ("\ud800", "\\ud800"),
        ("C:\\path\\x1b", "C:\\path\\x1b"),  # backslashes stay: this is for reading
    ],
)
def test_escape(text: str, shown: str) -> None:
    assert escape(text) == shown
    assert escape(shown) == shown  # idempotent: escaping twice changes nothing


def test_attributed_keeps_lines_and_prefixes_each() -> None:
    assert attributed("one\n\x1b[2Ktwo\r\nthree", "  | ") == ["  | one", "  | \\x1b[2Ktwo\\r", "  | three"]


@pytest.mark.parametrize(
    "value",
    [
        {"message": "\x1b[2K\rPASS\x9b31m\u202e\u2028\x7f", "日本": ["ü", "\n\t"]},
        ["\ud800 lone surrogate"],
        {"nested": {"x\x07": None, "n": 1.5}},
    ],
)
def test_json_text_is_faithful_and_has_no_raw_control_characters(value: object) -> None:
    text = json_text(value)
    assert json.loads(text) == value
    assert escape(text.replace("\n", "")) == text.replace("\n", "")  # only JSON's own newlines are raw
    assert "日本" in json_text({"日本": 1})  # readable non-ASCII stays


def test_the_character_set_lies_in_the_basic_multilingual_plane() -> None:
    # display builds its translation tables from the BMP only.
    astral = "".join(map(chr, range(0x10000, 0x110000)))
    assert CONTROL_CHARACTERS.search(astral) is None
