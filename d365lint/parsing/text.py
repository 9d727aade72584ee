"""Decoding bytes to text and turning offsets into lines and columns."""

from __future__ import annotations

import bisect
import codecs
from itertools import accumulate

from d365lint.model import Location, TextValue
from d365lint.patterns import compile_lazily

_XML_DECLARED_ENCODING = compile_lazily(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class DecodeError(ValueError):
    """The bytes are not text in any encoding we accept."""


def mentions_d365lint(data: bytes) -> bool:
    """Whether a file's bytes name d365lint, in UTF-8 or UTF-16: only such a file can hold a suppression directive.

    Every XML file of a solution is asked as it is read. The UTF-16 spelling
    is looked for only in bytes that hold a NUL at all: for the 195 MB of
    XML of the benchmark's L solution that makes 0.09 s instead of 0.17 s.
    """
    return b"d365lint" in data or b"\x00" in data and b"d\x003\x006\x005" in data


def sniff_encoding(data: bytes) -> str:
    """The encoding of ``data``: its byte-order mark, an XML declaration, or UTF-8.

    UTF-16 without a byte-order mark is recognised by the NUL bytes of an
    ASCII ``<?xml`` or ``<`` start, which is how XML processors detect it.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    if data[:4] == b"<\x00?\x00" or data[:2] == b"<\x00":
        return "utf-16-le"
    if data[:4] == b"\x00<\x00?" or data[:2] == b"\x00<":
        return "utf-16-be"
    declared = _XML_DECLARED_ENCODING.match(data)
    if declared:
        name = declared.group(1).decode("ascii").lower()
        try:
            codecs.lookup(name)
        except LookupError:
            return "utf-8"
        return name
    return "utf-8"


def decode_text(data: bytes) -> str:
    """Decode source bytes; raise :class:`DecodeError` for binary junk.

    A declared encoding that the bytes contradict falls back to UTF-8,
    because exports often declare one encoding and use another; text that is
    not UTF-8 either is read as Windows-1252, what editors on Windows save
    ("NON CLASSIFI\xc9" in tc-ca's web resources), rather than left unanalysed.
    """
    if b"\x00" in data[:8192] and not _is_utf16_or_32(data):
        raise DecodeError("the file holds binary data, not text")
    encoding = sniff_encoding(data)
    for candidate in dict.fromkeys((encoding, "utf-8-sig", "cp1252")):
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")  # cp1252 leaves five bytes undefined; latin-1 maps every byte


def _is_utf16_or_32(data: bytes) -> bool:
    return sniff_encoding(data).startswith(("utf-16", "utf-32"))


class LineIndex:
    """Maps character offsets of a text to 1-based (line, column) pairs."""

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        # Each line starts one past the end of the one before; summed in C, not line by line in Python.
        starts = list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))
        starts.pop()
        self._starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        """Line and column (both 1-based, column in code points) of ``offset``."""
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def line_start(self, line: int) -> int:
        """Offset of the first character of the 1-based ``line``."""
        return self._starts[min(max(line, 1), len(self._starts)) - 1]

    def location(self, base: Location, offset: int) -> Location:
        line, column = self.position(offset)
        return base.at(line, column)


def text_value_location(value: TextValue, offset: int, exact_start: bool = False) -> Location:
    """Where ``offset`` of a located piece of text (a step's configuration, a variable's value) lies.

    The text starts at its element's location; lines after the first start
    at column 1. With ``exact_start`` the location is where the text's first
    character is (a YAML scalar, the text after a start tag), so offsets on
    the first line keep their column too.
    """
    line, column = LineIndex(value.text).position(offset)
    base = value.location
    if line == 1:
        return base.at(base.line, base.column + column - 1 if exact_start else base.column)
    return base.at(base.line + line - 1, column)
