"""Locations are exact: where a tag really starts, columns in code points, script blocks in place."""

from __future__ import annotations

import pytest

from d365lint.model import Language, Location, SourceFile
from d365lint.parsing.html import script_blocks
from d365lint.parsing.treesitter import parse_source
from d365lint.parsing.xml import descendants, parse_xml

BASE = Location("x.xml")

MULTI_LINE = """<?xml version="1.0" encoding="utf-8"?>
<!-- <cell visible="false"> in a comment is not a tag -->
<form><![CDATA[ <cell> ]]>
  <cell id="a"><control datafieldname="one" /></cell><cell
      id="b"
      visible="false">
    <control datafieldname="two" />
  </cell>
  <label description="Zürich – 東京"/><cell id="c"/>
</form>"""


def _cells(document):
    return {element.get("id"): document.locate(element) for element in descendants(document.root, "cell")}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le"])
def test_start_tags_are_located_where_they_begin(encoding):
    data = MULTI_LINE.encode(encoding) if encoding != "utf-16-le" else MULTI_LINE.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16-le")
    cells = _cells(parse_xml(data, BASE))
    assert (cells["a"].line, cells["a"].column) == (4, 3)
    assert (cells["b"].line, cells["b"].column) == (4, 54)  # lxml says 6: where the start tag ends
    assert (cells["c"].line, cells["c"].column) == (9, 37)  # columns count code points, not bytes


def test_tree_sitter_columns_are_code_points():
    parsed = parse_source(SourceFile(Language.JAVASCRIPT, 'var s = "東京"; eval(s);\n', Location("a.js")))
    call = next(node for node in parsed.walk() if node.type == "call_expression")
    assert (parsed.location(call).line, parsed.location(call).column) == (1, 15)


def test_script_blocks_keep_their_place_in_the_page():
    page = SourceFile(Language.HTML, '<html>\n<body><p>é</p><script type="text/javascript">\n  eval(x);</script>\n<script type="text/template">eval(y)</script></body></html>', Location("p.html"))
    (block,) = script_blocks(page)
    parsed = parse_source(block)
    call = next(node for node in parsed.walk() if node.type == "call_expression")
    assert (parsed.location(call).line, parsed.location(call).column) == (3, 3)
    first_line = SourceFile(Language.HTML, "<p>é</p><script>eval(z)</script>", Location("q.html"))
    parsed = parse_source(script_blocks(first_line)[0])
    call = next(node for node in parsed.walk() if node.type == "call_expression")
    assert parsed.location(call).column == 17
