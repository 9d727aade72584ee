"""Hardened XML parsing with exact element locations.

The parser never resolves entities, never loads a DTD and never touches the
network: solution files come from anywhere. lxml reports, as ``sourceline``,
the line where a start tag *ends* and no column, so :class:`XmlDocument`
scans the text once for start tags and pairs them with elements in document
order, which gives the exact line and column where each tag begins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from d365lint.model import Location
from d365lint.parsing.text import DecodeError, LineIndex, decode_text

# Comments, CDATA, processing instructions and declarations are skipped;
# group 1 captures the start of a real start tag.
_MARKUP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!(?:[^\[>]|\[[^\]]*\])*>|<([A-Za-z_])", re.S)


class XmlError(ValueError):
    """The bytes are not well-formed XML (or not text at all)."""


def _hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        collect_ids=False,
        remove_blank_text=False,
    )


@dataclass(slots=True)
class XmlDocument:
    """A parsed XML file that can tell where each of its elements starts."""

    root: etree._Element
    text: str
    base: Location
    _offsets: list[int] | None = field(default=None, repr=False)
    _order: dict[etree._Element, int] | None = field(default=None, repr=False)
    _lines: LineIndex | None = field(default=None, repr=False)

    def locate(self, element: etree._Element) -> Location:
        """The location of the ``<`` that opens ``element``."""
        if self._order is None:
            self._index()
        assert self._order is not None and self._offsets is not None and self._lines is not None
        index = self._order.get(element)
        if index is None or index >= len(self._offsets):
            return self.base.at(element.sourceline or 1)
        return self._lines.location(self.base, self._offsets[index])

    def _index(self) -> None:
        self._offsets = [m.start() for m in _MARKUP.finditer(self.text) if m.group(1)]
        self._order = {el: i for i, el in enumerate(self.root.iter(etree.Element))}
        self._lines = LineIndex(self.text)


def parse_xml(data: bytes, base: Location) -> XmlDocument:
    """Parse ``data`` with the hardened parser; raise :class:`XmlError` if it is not XML."""
    try:
        text = decode_text(data)
    except DecodeError as error:
        raise XmlError(str(error)) from error
    try:
        root = etree.fromstring(data, _hardened_parser())
    except etree.XMLSyntaxError as error:
        raise XmlError(f"malformed XML: {error.msg}" if error.msg else "malformed XML") from error
    except ValueError as error:
        raise XmlError(f"unreadable XML: {error}") from error
    if root is None:
        raise XmlError("empty XML document")
    return XmlDocument(root=root, text=text, base=base)


def local_name(element: etree._Element) -> str:
    """The tag without a namespace."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child named ``name``, ignoring case (exports vary in case)."""
    wanted = name.lower()
    for candidate in element:
        if local_name(candidate).lower() == wanted:
            return candidate
    return None


def children(element: etree._Element | None, name: str) -> list[etree._Element]:
    """Every child named ``name``, ignoring case."""
    if element is None:
        return []
    wanted = name.lower()
    return [c for c in element if local_name(c).lower() == wanted]


def descendants(element: etree._Element | None, name: str) -> list[etree._Element]:
    """Every descendant named ``name``, ignoring case."""
    if element is None:
        return []
    wanted = name.lower()
    return [c for c in element.iter(etree.Element) if local_name(c).lower() == wanted]


def child_text(element: etree._Element | None, name: str, default: str = "") -> str:
    """The stripped text of the first child named ``name``."""
    if element is None:
        return default
    found = child(element, name)
    if found is None or found.text is None:
        return default
    return found.text.strip()


def attribute(element: etree._Element | None, name: str, default: str = "") -> str:
    """An attribute value, ignoring the case of its name."""
    if element is None:
        return default
    wanted = name.lower()
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1].lower() == wanted:
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
