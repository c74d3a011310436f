"""formcheck.safe_text: outside text made safe for the terminal, JSON/CSV/HTML and spreadsheets."""

from __future__ import annotations

import json
import os
import unicodedata
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formcheck.safe_text import for_terminal, raw_name, spreadsheet_cell, valid_text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("", ""),
        ("p1__bridge.mp4", "p1__bridge.mp4"),
        ("Hüftbrücke – 2 s", "Hüftbrücke – 2 s"),
        ("two\nlines", "two\nlines"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("x\r=cmd", "x\\r=cmd"),
        ("tab\there", "tab\\there"),
        ("\u202egnp.exe", "\\u202egnp.exe"),
        ("\x9b2J", "\\x9b2J"),
        ("caf\udce9.mp4", "caf\\xe9.mp4"),
    ],
    ids=["empty", "plain", "unicode", "newline", "ansi", "cr", "tab", "bidi", "c1", "bytes"],
)
def test_for_terminal_escapes_control_characters(text: str, shown: str) -> None:
    assert for_terminal(text) == shown


@given(st.text())
def test_for_terminal_output_has_no_control_character_but_newlines(text: str) -> None:
    shown = for_terminal(text)
    categories = {unicodedata.category(c) for c in shown.replace("\n", "")}
    assert not categories & {"Cc", "Cf", "Cs", "Zl", "Zp"}


@given(st.binary(min_size=1, max_size=40))
def test_any_file_name_becomes_valid_text_and_its_bytes_stay_recoverable(name: bytes) -> None:
    text = os.fsdecode(name)  # how Python hands a name from the file system
    valid = valid_text(text)
    valid.encode("utf-8")  # strict: no lone surrogates
    json.loads(json.dumps(valid, ensure_ascii=False))
    raw = raw_name(text)
    if raw is None:
        assert valid == text
    else:
        assert unquote_to_bytes(raw) == name


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("", ""),
        ("p1", "p1"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("a=b", "a=b"),
    ],
)
def test_spreadsheet_cell_neutralises_formulas(cell: str, safe: str) -> None:
    assert spreadsheet_cell(cell) == safe
