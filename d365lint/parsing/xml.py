"""Hardened XML parsing with exact element locations.

The parser never resolves entities, never loads a DTD and never touches the
network: solution files come from anywhere. lxml reports, as ``sourceline``,
the line where a start tag *ends* and no column, so :class:`XmlDocument`
scans the text once for start tags and pairs them with elements in document
order, which gives the exact line and column where each tag begins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from d365lint.model import Location
from d365lint.parsing.text import DecodeError, LineIndex, decode_text
from d365lint.patterns import compile_lazily

# Comments, CDATA, processing instructions and declarations are skipped;
# group 1 captures the start of a real start tag.
_MARKUP = compile_lazily(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!(?:[^\[>]|\[[^\]]*\])*>|<([A-Za-z_])", re.S)
# The same, for text without comments, CDATA, declarations or processing instructions.
_START_TAG = compile_lazily(r"<[A-Za-z_]")


class XmlError(ValueError):
    """The bytes are not well-formed XML (or not text at all)."""


class _RefuseExternal(etree.Resolver):
    """Refuses every external DTD and entity libxml2 asks to load.

    ``load_dtd=False`` does not stop libxml2 from opening an external DTD or
    a parameter entity named by a ``file:`` URL or a relative path (seen
    with strace: ``<!DOCTYPE r SYSTEM "file:///…">`` opened the file, and a
    named pipe there hung the run); a resolver is asked first, and this one
    never lets it open anything.
    """

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> None:
        raise XmlError(f"refers to an external DTD or entity ({system_url or public_id}), which is never loaded")


def _hardened_parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        collect_ids=False,
        remove_blank_text=False,
    )
    parser.resolvers.add(_RefuseExternal())
    return parser


def _external_reference(root: etree._Element) -> str | None:
    """The first external DTD or entity the document declares (solution files declare none)."""
    info = root.getroottree().docinfo
    if info.system_url or info.public_id:
        return info.system_url or info.public_id
    dtd = info.internalDTD
    entities = dtd.iterentities() if dtd is not None else ()
    return next((entity.system_url or entity.name for entity in entities if entity.system_url), None)


# libxml2 keeps an element's line in 16 bits: past this line, ``sourceline`` cannot be trusted.
_LAST_RELIABLE_LINE = 65534


@dataclass(slots=True)
class XmlDocument:
    """A parsed XML file that can tell where each of its elements starts.

    Most start tags in solution XML sit alone on their line, so the line lxml
    reports and the line's text give the exact position at once; the full
    index (every start tag's offset paired with every element) is built only
    for a document where that does not hold. ``line_offset`` places a
    document cut out of a larger file (one component of a large
    ``customizations.xml``) at its lines in that file.
    """

    root: etree._Element
    text: str
    base: Location
    line_offset: int = 0
    _offsets: list[int] | None = field(default=None, repr=False)
    _order: dict[etree._Element, int] | None = field(default=None, repr=False)
    _lines: LineIndex | None = field(default=None, repr=False)

    def locate(self, element: etree._Element) -> Location:
        """The location of the ``<`` that opens ``element``."""
        if self._lines is None:
            self._lines = LineIndex(self.text)
        line = element.sourceline
        if line is not None and 0 < line <= _LAST_RELIABLE_LINE:
            column = self._column_on_own_line(element, line)
            if column is not None:
                return self.base.at(line + self.line_offset, column)
        return self._exact(element)

    def _column_on_own_line(self, element: etree._Element, line: int) -> int | None:
        """The column of ``element``'s start tag when it is the only start tag of ``line`` and opens it.

        lxml's ``sourceline`` is the line where the start tag ends. A line
        whose first non-blank character opens this element's start tag, and
        which holds no other ``<`` but end tags, ends no other start tag
        (``<`` cannot occur inside a tag): the tag is this one.
        """
        start = self._lines.line_start(line) if self._lines is not None else 0
        end = self.text.find("\n", start)
        segment = self.text[start:] if end == -1 else self.text[start:end]
        stripped = segment.lstrip()
        name = written_name(element)
        after = stripped[len(name) + 1 : len(name) + 2]
        if (
            stripped.startswith(name, 1)
            and stripped[:1] == "<"
            and after in ("", " ", "\t", "\r", "/", ">")
            and segment.count("<") - segment.count("</") == 1
        ):
            return len(segment) - len(stripped) + 1
        return None

    def _exact(self, element: etree._Element) -> Location:
        if self._order is None:
            self._index()
        assert self._order is not None and self._offsets is not None and self._lines is not None
        index = self._order.get(element)
        if index is None or index >= len(self._offsets):
            return self.base.at((element.sourceline or 1) + self.line_offset)
        line, column = self._lines.position(self._offsets[index])
        return self.base.at(line + self.line_offset, column)

    def _index(self) -> None:
        plain = "<!" not in self.text and self.text.find("<?", 1) == -1
        self._offsets = [m.start() for m in _START_TAG.finditer(self.text)] if plain else [
            m.start() for m in _MARKUP.finditer(self.text) if m.group(1)
        ]
        self._order = {el: i for i, el in enumerate(self.root.iter(etree.Element))}


def written_name(element: etree._Element) -> str:
    """The element's name as the file spells it: ``prefix:local`` or ``local``."""
    local = local_name(element)
    return f"{element.prefix}:{local}" if element.prefix else local


def parse_xml(data: bytes, base: Location) -> XmlDocument:
    """Parse ``data`` with the hardened parser; raise :class:`XmlError` if it is not XML."""
    try:
        text = decode_text(data)
    except DecodeError as error:
        raise XmlError(str(error)) from error
    try:
        root = etree.fromstring(data, _hardened_parser())
    except XmlError:
        raise
    except etree.XMLSyntaxError as error:
        raise XmlError(f"malformed XML: {error.msg}" if error.msg else "malformed XML") from error
    except ValueError as error:
        raise XmlError(f"unreadable XML: {error}") from error
    if root is None:
        raise XmlError("empty XML document")
    external = _external_reference(root)
    if external is not None:
        raise XmlError(f"refers to an external DTD or entity ({external}), which is never loaded")
    return XmlDocument(root=root, text=text, base=base)


def local_name(element: etree._Element) -> str:
    """The tag without a namespace."""
    tag = element.tag
    return tag[tag.rfind("}") + 1 :] if isinstance(tag, str) else ""


def _lower_local(tag: str) -> str:
    return tag[tag.rfind("}") + 1 :].lower()


def _named(elements: Iterable[etree._Element], wanted: str) -> Iterator[etree._Element]:
    """The ``elements`` whose local name is ``wanted`` (lower case), ignoring case.

    Only a tag of the same length or namespaced can match an ASCII name, so most tags are
    told apart by their length without lower-casing them: the lookups of
    optional children that are not there scan every sibling.
    """
    size = len(wanted)
    for element in elements:
        tag = element.tag
        if (len(tag) == size or "}" in tag) and _lower_local(tag) == wanted:
            yield element


def child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child named ``name``, ignoring case (exports vary in case).

    A child spelled exactly ``name`` wins: solution XML is spelled
    consistently, so the first match in another case is only the fallback.
    One pass over the children answers both (lxml's ``find`` costs more than
    the whole pass for the few children solution elements have).
    """
    exact = name if name.isidentifier() else None
    wanted = name.lower()
    size = len(wanted)
    fallback = None
    for candidate in element.iterchildren(etree.Element):
        tag = candidate.tag
        if tag == exact:
            return candidate
        if fallback is None and (len(tag) == size or "}" in tag) and _lower_local(tag) == wanted:
            fallback = candidate
    return fallback


class Children:
    """The children of one element by name, ignoring case, as :func:`child` finds them, from one pass.

    A column's ``attribute`` element has 40 to 60 children and is read field
    by field: eight :func:`child` scans of its siblings cost more than the
    rest of reading the column (118,339 scans on a 53 MB solution).
    """

    __slots__ = ("_by_tag", "_by_name")

    def __init__(self, element: etree._Element | None) -> None:
        self._by_tag: dict[str, etree._Element] = {}
        self._by_name: dict[str, etree._Element] | None = None
        if element is not None:
            for candidate in element.iterchildren(etree.Element):
                self._by_tag.setdefault(candidate.tag, candidate)

    def get(self, name: str) -> etree._Element | None:
        """What ``child(element, name)`` returns: the first child spelled ``name``, else the first in another case."""
        found = self._by_tag.get(name) if name.isidentifier() else None
        if found is not None:
            return found
        if self._by_name is None:  # spelled otherwise, or absent: asked for once or twice per element
            self._by_name = {}
            for tag, candidate in reversed(self._by_tag.items()):
                self._by_name[_lower_local(tag)] = candidate
        return self._by_name.get(name.lower())

    def text(self, name: str, default: str = "") -> str:
        """What ``child_text(element, name, default)`` returns."""
        return _stripped_text(self.get(name), default)


def children(element: etree._Element | None, name: str) -> list[etree._Element]:
    """Every child named ``name``, ignoring case."""
    if element is None:
        return []
    return list(_named(element.iterchildren(etree.Element), name.lower()))


def descendants(element: etree._Element | None, name: str) -> list[etree._Element]:
    """Every descendant named ``name``, ignoring case."""
    if element is None:
        return []
    return list(_named(element.iter(etree.Element), name.lower()))


def child_text(element: etree._Element | None, name: str, default: str = "") -> str:
    """The stripped text of the first child named ``name``."""
    if element is None:
        return default
    return _stripped_text(child(element, name), default)


def _stripped_text(element: etree._Element | None, default: str) -> str:
    if element is None or element.text is None:
        return default
    return element.text.strip()


def attribute(element: etree._Element | None, name: str, default: str = "") -> str:
    """An attribute value, ignoring the case of its name."""
    if element is None:
        return default
    exact = element.get(name)
    if exact is not None:
        return exact
    wanted = name.lower()
    for key, value in element.items():
        if _lower_local(key) == wanted:
            return value
    return default


def localized_label(element: etree._Element | None) -> str:
    """The first ``description`` of a LocalizedNames/displaynames/Descriptions block.

    Solution XML stores names and descriptions as ``<label description=…/>``
    or ``<LocalizedName description=…/>`` children, or as a ``default``
    attribute on the block.
    """
    if element is None:
        return ""
    default = attribute(element, "default")
    if default:
        return default
    for item in element.iter(etree.Element):
        value = attribute(item, "description")
        if value:
            return value
    return (element.text or "").strip()
