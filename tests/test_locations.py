"""Locations are exact: where a tag really starts, columns in code points, script blocks in place; and elements are found as exports spell them."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from d365lint.model import Language, Location, SourceFile
from d365lint.parsing.html import script_blocks
from d365lint.parsing.treesitter import parse_source
from d365lint.parsing.xml import Children, child, descendants, parse_xml
from tests.conftest import FIXTURES, ROOT, run_analysis

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


def test_xml_columns_count_code_points_beyond_the_basic_plane_and_lines_past_65535():
    """libxml2 stops counting lines at 65535 and counts bytes; an emoji is one code point (4 bytes, 2 UTF-16 units)."""
    body = "<r>\r\n" + "<a/>\r\n" * 70000 + '<x>😀😀</x><b id="t"/>\r\n</r>'
    document = parse_xml(body.encode("utf-8"), BASE)
    located = document.locate(descendants(document.root, "b")[0])
    assert (located.line, located.column) == (70002, 10)
    document = parse_xml('<r>\r\n  <x>😀</x>\r\n  <!-- 😀 --><b\r\n id="1"/></r>'.encode("utf-16"), BASE)
    located = document.locate(descendants(document.root, "b")[0])
    assert (located.line, located.column) == (3, 13)


def test_tree_sitter_ranges_are_code_points_with_crlf_lines():
    parsed = parse_source(SourceFile(Language.JAVASCRIPT, 'var s = "😀😀";\r\n  var t = 1; eval("😀" + s);\r\n', Location("a.js")))
    call = next(node for node in parsed.walk() if node.type == "call_expression")
    located = parsed.location(call)
    assert (located.line, located.column, located.end_line, located.end_column) == (2, 14, 2, 27)


def test_script_block_on_the_first_line_after_astral_and_cjk_text():
    page = SourceFile(Language.HTML, '<p>😀</p><script>var s="東京";eval(s)</script>', Location("q.html"))
    parsed = parse_source(script_blocks(page)[0])
    call = next(node for node in parsed.walk() if node.type == "call_expression")
    located = parsed.location(call)
    assert (located.line, located.column, located.end_column) == (1, 28, 35)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_findings_in_a_re_encoded_solution_file_stay_where_they_are(encoding, ruleset, tmp_path):
    """The same step file in UTF-16 or with a BOM: same findings, same lines and columns."""
    original = FIXTURES / "solutions" / "contoso-unsafe"
    copy = tmp_path / "contoso"
    shutil.copytree(original, copy)
    step = "SdkMessageProcessingSteps/{b29e7d05-3b7d-f011-8544-6045bd0f7a21}.xml"
    text = (original / step).read_text(encoding="utf-8-sig")
    declared = text.replace('encoding="utf-8"', 'encoding="utf-16"') if encoding == "utf-16" else text
    (copy / step).write_bytes(declared.encode(encoding))

    def places(root, cwd):
        report = run_analysis([root], ruleset, cwd=cwd)
        return sorted(
            (r.rule.id, r.finding.location.line, r.finding.location.column)
            for r in report.results
            if r.finding.location.path.endswith(step)
        )

    expected = places(original, ROOT)
    assert expected and places(copy, tmp_path) == expected


def test_a_windows_1252_script_is_analysed_with_code_point_columns(ruleset, tmp_path):
    """Scripts saved as ANSI on Windows are not UTF-8; they are read as Windows-1252 instead of being skipped."""
    script = tmp_path / "ribbon.js"
    script.write_bytes('"use strict";\nvar label = "NON CLASSIFIÉ – ’"; eval(label);\n'.encode("cp1252"))
    report = run_analysis([script], ruleset, cwd=tmp_path)
    assert not report.diagnostics
    (found,) = [r.finding.location for r in report.results if r.rule.id == "web-avoid-eval"]
    assert (found.line, found.column) == (2, 34)


_SPELLINGS = ["LogicalName", "logicalname", "LOGICALNAME", "{urn:x}LogicalName", "Type", "type", "{urn:x}type", "IsSecured"]


@settings(max_examples=200, deadline=None)
@given(tags=st.lists(st.sampled_from(_SPELLINGS), max_size=8), name=st.sampled_from(["LogicalName", "logicalname", "Type", "IsSecured", "Missing", "Is.Secured"]))
def test_a_children_index_finds_what_a_scan_finds(tags, name):
    """Columns are read through :class:`Children`: it must pick the same child as :func:`child` in every case mix."""
    element = etree.Element("attribute")
    for position, tag in enumerate(tags):
        etree.SubElement(element, tag).text = str(position)
    expected = child(element, name)
    found = Children(element).get(name)
    assert (found.text if found is not None else None) == (expected.text if expected is not None else None)
