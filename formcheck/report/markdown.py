"""Markdown tables for benchmark results pages."""

from __future__ import annotations

from collections.abc import Iterable


def md_row(*cells: object) -> str:
    """One table row: ``| a | b |``."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def md_table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> list[str]:
    """Header, separator and rows as lines.

    >>> md_table(["a", "b"], [[1, 2]])
    ['| a | b |', '|---|---|', '| 1 | 2 |']
    """
    header = list(header)
    return [md_row(*header), "|" + "---|" * len(header), *(md_row(*row) for row in rows)]
