"""Script blocks of HTML web resources, placed where they really are."""

from __future__ import annotations

import re

from d365lint.model import Language, SourceFile
from d365lint.parsing.text import LineIndex
from d365lint.patterns import compile_lazily

_SCRIPT = compile_lazily(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
_TYPE = compile_lazily(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript", "application/ecmascript"}
_LIQUID = compile_lazily(r"\{\{|\{%")


def has_liquid(text: str) -> bool:
    """Whether ``text`` holds Liquid (Power Pages templates): its scripts only parse once the server renders them."""
    return _LIQUID.search(text) is not None


def script_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of the inline JavaScript of each script block of an HTML page.

    Blocks of other types (templates, JSON data) and empty blocks are left
    out: they are markup, not script.
    """
    spans = []
    for match in _SCRIPT.finditer(text):
        declared = _TYPE.search(match.group(1))
        if declared and declared.group(1).lower() not in _SCRIPT_TYPES:
            continue
        if match.group(2).strip():
            spans.append((match.start(2), match.end(2)))
    return spans


def script_blocks(page: SourceFile) -> list[SourceFile]:
    """Each inline JavaScript block of ``page`` as a source file of its own.

    The blocks keep the page's location with line and column offsets, so a
    finding in a block points at the right line of the HTML file. Blocks of
    other types (templates, JSON data) are left out.
    """
    lines = LineIndex(page.text)
    blocks = []
    for start, end in script_spans(page.text):
        line, column = lines.position(start)
        blocks.append(
            SourceFile(
                Language.JAVASCRIPT,
                page.text[start:end],
                page.location,
                web_resource=page.web_resource,
                line_offset=page.line_offset + line - 1,
                column_offset=column - 1,
            )
        )
    return blocks
