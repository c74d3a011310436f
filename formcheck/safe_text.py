"""Text from outside (file names, spec texts) made safe for where it is written.

* the terminal: control characters (ANSI escapes, carriage returns, bidirectional
  overrides) are shown as escapes, never executed;
* JSON, CSV and HTML: a file name that is not valid UTF-8 (Linux allows any bytes)
  becomes a valid string with the undecodable bytes written as ``\\xff``, and its
  exact bytes stay recoverable (:func:`raw_name`);
* spreadsheets: a cell that a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import os
import unicodedata
from urllib.parse import quote_from_bytes

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def for_terminal(text: str) -> str:
    """``text`` with control and format characters escaped (newlines kept).

    Example:
        >>> for_terminal("a\\x1b[31mred\\rb")
        'a\\\\x1b[31mred\\\\rb'
    """
    text = valid_text(text)
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char == "\n" or char.isprintable():
            out.append(char)
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif unicodedata.category(char) == "Zs":
            out.append(char)
        else:
            out.append(_escape(char))
    return "".join(out)


def valid_text(text: str) -> str:
    """``text`` as valid Unicode: bytes a file name could not decode become ``\\xNN``.

    Python keeps such bytes as lone surrogates (``'\\udcff'``), which UTF-8 output,
    strict JSON readers and browsers reject.

    Example:
        >>> valid_text("caf\\udce9.mp4")
        'caf\\\\xe9.mp4'
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


def raw_name(text: str) -> str | None:
    """The exact bytes of a file name that is not valid UTF-8, percent-encoded; else ``None``.

    ``urllib.parse.unquote_to_bytes(raw_name(name))`` gives the name's bytes back.
    """
    if valid_text(text) == text:
        return None
    return quote_from_bytes(os.fsencode(text), safe="/")


def spreadsheet_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ``= + - @``, tab or CR gets a ``'``.

    Example:
        >>> spreadsheet_cell("=HYPERLINK(1)")
        "'=HYPERLINK(1)"
    """
    return "'" + text if text.startswith(_FORMULA_START) else text
