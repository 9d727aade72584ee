"""Script blocks of HTML web resources, placed where they really are."""

from __future__ import annotations

import re

from d365lint.model import Language, SourceFile
from d365lint.parsing.text import LineIndex

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_SCRIPT_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript", "application/ecmascript"}


def script_blocks(page: SourceFile) -> list[SourceFile]:
    """Each inline JavaScript block of ``page`` as a source file of its own.

    The blocks keep the page's location with line and column offsets, so a
    finding in a block points at the right line of the HTML file. Blocks of
    other types (templates, JSON data) are left out.
    """
    lines = LineIndex(page.text)
    blocks = []
    for match in _SCRIPT.finditer(page.text):
        declared = _TYPE.search(match.group(1))
        if declared and declared.group(1).lower() not in _SCRIPT_TYPES:
            continue
        if not match.group(2).strip():
            continue
        line, column = lines.position(match.start(2))
        blocks.append(
            SourceFile(
                Language.JAVASCRIPT,
                match.group(2),
                page.location,
                web_resource=page.web_resource,
                line_offset=page.line_offset + line - 1,
                column_offset=column - 1,
            )
        )
    return blocks
