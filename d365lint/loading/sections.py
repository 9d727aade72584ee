"""Reading a large ``customizations.xml`` one piece at a time.

The ``customizations.xml`` of a large export holds hundreds of megabytes;
as one lxml tree it would take gigabytes. Exports are written one element
per line, each level indented further, so the sections under the root
(``Entities``, ``Roles``…) start at lines with the first indentation and
their components (each ``Entity``, each ``Role``…) at lines with the
second. :func:`split` cuts the file there, and each piece is parsed on its
own — wrapped in the root's start tag (for its namespace declarations) and,
for components, their section's start tag — and dropped once it has been
read. A piece keeps its real lines: the wrapper takes the line before it.

Nothing is taken on trust that lxml does not check: a cut in the wrong
place (an odd layout, a comment or CDATA holding such a line) leaves a
piece that is not well-formed, or not exactly one section, and the caller
then reads the file whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from lxml import etree

from d365lint.model import Location
from d365lint.parsing.text import sniff_encoding
from d365lint.parsing.xml import XmlDocument, XmlError, local_name, parse_xml
from d365lint.patterns import compile_lazily

PIECE_BYTES = 1 << 20
"""The components of one section are read together up to about this size."""
_NAME_START = rb"(?=[A-Za-z_])"
# A start tag, its attribute values quoted (a '>' may stand inside them).
_START_TAG = compile_lazily(rb"<([A-Za-z_][\w.:-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_FIRST_INDENTED = compile_lazily(rb"\r?\n([ \t]*)<" + _NAME_START)


class Piece(NamedTuple):
    """Bytes ``start``–``end``: section number ``section`` whole, or some of its components (then ``opening`` is set)."""

    section: int
    name: str
    start: int
    end: int
    indent: bytes
    opening: bytes = b""
    line: int = 1
    """The line ``start`` is on."""


class SplitFile(NamedTuple):
    """A ``customizations.xml`` cut into pieces, each parsed only when read."""

    data: bytes
    base: Location
    root_tag: bytes
    root_name: bytes
    pieces: tuple[Piece, ...]

    def sections(self, name: str) -> Iterator[tuple[XmlDocument, etree._Element]]:
        """The first section called ``name`` (any case), as (document, section element) for each of its pieces.

        Raises :class:`~d365lint.parsing.xml.XmlError` when a piece is not
        one well-formed section: the file must then be read whole.
        """
        wanted = name.lower()
        first = next((piece.section for piece in self.pieces if piece.name == wanted), None)
        for piece in self.pieces:
            if piece.section == first:
                yield self._parse(piece)

    def _parse(self, piece: Piece) -> tuple[XmlDocument, etree._Element]:
        closing = b"</" + _tag_name(piece.opening) + b">" if piece.opening else b""
        wrapped = b"".join((
            self.root_tag, piece.opening, b"\n", piece.indent, self.data[piece.start : piece.end], closing,
            b"</", self.root_name, b">",
        ))
        doc = parse_xml(wrapped, self.base)
        doc.line_offset = piece.line - 2  # the wrapper takes line 1
        elements = [element for element in doc.root if isinstance(element.tag, str)]
        if len(elements) != 1 or local_name(elements[0]).lower() != piece.name:
            raise XmlError("a piece of the file is not one section")
        return doc, elements[0]


def _tag_name(start_tag: bytes) -> bytes:
    match = _START_TAG.match(start_tag)
    return match.group(1) if match else b""


def split(data: bytes, base: Location, piece_bytes: int | None = None) -> SplitFile | None:
    """``data`` cut into sections and components, or None when it is not laid out for that (read it whole).

    Components are grouped into pieces of about ``piece_bytes`` (default :data:`PIECE_BYTES`).
    """
    piece_bytes = piece_bytes or PIECE_BYTES
    if sniff_encoding(data) not in ("utf-8", "utf-8-sig"):
        return None
    root = _START_TAG.search(data, _after_prolog(data))
    root_end = data.rfind(b"</")
    if root is None or root.group(0).endswith(b"/>") or root_end < root.end():
        return None
    first = _FIRST_INDENTED.search(data, root.end(), root_end)
    if first is None:
        return None
    indent = first.group(1)
    marker = re.compile(rb"\n" + re.escape(indent) + rb"<" + _NAME_START)
    starts = [match.end() - 1 for match in marker.finditer(data, root.end(), root_end)]
    if not starts or data[root.end() : starts[0]].strip():
        return None  # something before the first section that is not on a line of its own
    pieces: list[Piece] = []
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else root_end
        pieces.extend(_section_pieces(data, number, start, end, indent, piece_bytes))
    if any(not piece.name for piece in pieces):
        return None
    return SplitFile(data, base, _one_line(root.group(0)), root.group(1), tuple(_with_lines(data, pieces)))


def _with_lines(data: bytes, pieces: list[Piece]) -> Iterator[Piece]:
    """The pieces (in file order) with the line each starts on, counted in one pass."""
    line, counted = 1, 0
    for piece in pieces:
        line += data.count(b"\n", counted, piece.start)
        counted = piece.start
        yield piece._replace(line=line)


def _after_prolog(data: bytes) -> int:
    """Where the root element can start: after a byte-order mark and the XML declaration."""
    position = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if data.startswith(b"<?", position):
        end = data.find(b"?>", position)
        return end + 2 if end != -1 else position
    return position


def _section_pieces(data: bytes, number: int, start: int, end: int, indent: bytes, piece_bytes: int) -> list[Piece]:
    """A small section as one piece; a large one as groups of its components under its start tag."""
    opening = _START_TAG.match(data, start)
    if opening is None:
        return [Piece(number, "", start, end, indent)]  # no start tag here: the file is read whole
    name = opening.group(1).rsplit(b":", 1)[-1].decode("ascii", "replace").lower()
    whole = [Piece(number, name, start, end, indent)]
    if end - start <= piece_bytes or opening.group(0).endswith(b"/>"):
        return whole
    close = data.rfind(b"\n" + indent + b"</", start, end)
    child = _FIRST_INDENTED.search(data, opening.end(), close) if close != -1 else None
    if child is None or len(child.group(1)) <= len(indent) or data[close:end].strip() != b"</" + opening.group(1) + b">":
        return whole
    marker = re.compile(rb"\n" + re.escape(child.group(1)) + rb"<" + _NAME_START)
    cuts = [match.end() - 1 for match in marker.finditer(data, opening.end(), close)]
    if data[opening.end() : cuts[0]].strip():
        return whole
    tag = _one_line(opening.group(0))
    pieces: list[Piece] = []
    group_start = cuts[0]
    for cut in cuts[1:]:
        if cut - group_start >= piece_bytes:
            pieces.append(Piece(number, name, group_start, cut, child.group(1), tag))
            group_start = cut
    pieces.append(Piece(number, name, group_start, close, child.group(1), tag))
    return pieces


def _one_line(tag: bytes) -> bytes:
    """A start tag on one line: the wrapper must not push the piece's lines down."""
    return tag.replace(b"\r", b" ").replace(b"\n", b" ")
