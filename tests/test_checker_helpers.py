"""The pieces the solution checker rule families stand on: script chains and strings, assembly member
references, PNG headers, and custom connectors read from both solution layouts."""

from __future__ import annotations

import struct
import zlib

import pytest

from d365lint.loading.components import KNOWN_MESSAGE_IDS
from d365lint.loading.discover import load
from d365lint.model import Language, Location, SourceFile
from d365lint.parsing.assembly import AssemblyError, pe_problem, read_assembly
from d365lint.parsing.js_helpers import CALL, script_index, string_value, strip_window
from d365lint.parsing.treesitter import parse_source
from d365lint.rules.connectors import read_png
from tests.conftest import FIXTURES, ROOT


def _script(text: str, language: Language = Language.JAVASCRIPT):
    return parse_source(SourceFile(language, text, Location("inline.js")))


def _first(parsed, kind: str, text: str):
    return next(node for node in parsed.walk() if node.type == kind and parsed.text(node) == text)


def test_chains_follow_aliases_and_keep_the_written_spelling() -> None:
    parsed = _script('var page = Xrm.Page; page.getAttribute("name").getValue();')
    ix = script_index(parsed)
    member = _first(parsed, "member_expression", 'page.getAttribute("name").getValue')
    assert ix.chain(member, through_calls=True) == ("Xrm", "Page", "getAttribute", CALL, "getValue")
    assert ix.chain(member, through_calls=True, resolve=False) == ("page", "getAttribute", CALL, "getValue")


def test_chains_see_through_typescript_casts_and_window_hops() -> None:
    parsed = _script("const top = (<any>window).parent.Xrm.Page;", Language.TYPESCRIPT)
    member = _first(parsed, "member_expression", "(<any>window).parent.Xrm.Page")
    chain = script_index(parsed).chain(member)
    assert chain is not None and strip_window(chain) == ("Xrm", "Page")


def test_string_values_unescape_and_concatenations_fold() -> None:
    parsed = _script('var u = "http:\\/\\/crm" + ".example.com/" + `api/data`;')
    ix = script_index(parsed)
    assert string_value(parsed, _first(parsed, "string", '"http:\\/\\/crm"')) == "http://crm"
    assert [run.text for run in ix.string_runs] == ["http://crm.example.com/api/data"]


def test_declared_names_shadow_globals() -> None:
    ix = script_index(_script("function openObj(id) { return id; } var USER_GUID = 1;"))
    assert "openObj" in ix.declared_functions and "USER_GUID" in ix.declared_names


def _named_nodes(node):
    """Every named node below and including ``node``, depth first, as tree-sitter's own child lists give them."""
    found = [node] if node.is_named else []
    for child in node.children:
        found.extend(_named_nodes(child))
    return found


@pytest.mark.parametrize(("language", "text", "broken"), [
    (Language.JAVASCRIPT, 'function f(a) { if (a?.b ?? 1) { return `x${a}`; } }', False),
    (Language.JAVASCRIPT, "function ( { var x = ;; if (", True),
    (Language.TYPESCRIPT, "class C { private x: number = 1; m<T>(a: T): T { return a as T; } }", False),
    (Language.CSHARP, 'class P { void Execute(IServiceProvider s) { var x = $"{s}"; } }', False),
    (Language.CSHARP, "class { void ( {", True),
])
def test_the_node_index_holds_every_named_node_in_order_under_its_own_type(language, text, broken) -> None:
    parsed = _script(text, language)
    expected = _named_nodes(parsed.root)
    index = parsed.nodes()
    assert [node.id for node in index.nodes] == [node.id for node in expected]
    assert list(index.types) == [node.type for node in expected]
    assert {kind: [node.id for node in nodes] for kind, nodes in index.by_type.items()} == {
        kind: [node.id for node in expected if node.type == kind] for kind in {node.type for node in expected}
    }
    assert ("ERROR" in index.by_type) == broken  # ERROR nodes (kind 65535, outside the grammar's count) are named too


def test_member_references_of_the_compiled_fixture() -> None:
    dll = FIXTURES / "sources" / "plugins-assembly" / "ContosoCompiled.dll"
    assembly = read_assembly(dll.name, dll.read_bytes(), Location(str(dll)))
    names = {(ref.full_type, ref.name) for ref in assembly.member_refs}
    assert ("System.Threading.Tasks.Parallel", "For") in names
    assert ("System.Threading.Thread", "Sleep") in names
    assert ("Microsoft.Xrm.Sdk.Query.ColumnSet", ".ctor") in names


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"plain text, not a program" * 4, "not a .NET assembly: DOS Header magic not found"),
        (b"MZ", "not a .NET assembly: Unable to read the DOS Header, possibly a truncated file"),
    ],
)
def test_a_file_that_is_no_assembly_is_told_in_pefile_words_without_quotes(data, problem):
    with pytest.raises(AssemblyError) as raised:
        read_assembly("junk.dll", data, Location("junk.dll"))
    assert str(raised.value) == problem


def test_a_low_level_read_past_the_end_says_the_file_is_cut_short():
    """A truncated DLL from a real repository made pefile ask for 'a buffer of at least 538976417 bytes'."""
    error = struct.error("unpack_from requires a buffer of at least 538976417 bytes for unpacking 4 bytes at offset 538976413")
    assert pe_problem(error, 51088) == "the file is truncated or corrupt (51,088 bytes)"


def _png(width: int, height: int, pixel: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + pixel * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_png_size_and_corner_pixel() -> None:
    png = read_png(_png(160, 160, bytes((0x1F, 0x4E, 0x79, 0xFF))))
    assert png is not None and (png.width, png.height) == (160, 160)
    assert png.corner == (0x1F, 0x4E, 0x79, 0xFF)
    assert read_png(b"GIF89a" + bytes(40)) is None


def test_connectors_load_from_unpacked_and_exported_solutions() -> None:
    unpacked = load([str(FIXTURES / "solutions" / "connectors-fabrikam")], cwd=ROOT)
    exported = load([str(FIXTURES / "solutions" / "connectors-export")], cwd=ROOT)
    names = {connector.name for solution in unpacked.solutions for connector in solution.connectors}
    assert {"fabrikam_expenses", "fabrikam_timesheets"} <= names
    invoicing = [connector for solution in exported.solutions for connector in solution.connectors]
    assert [connector.name for connector in invoicing] == ["nw_invoicing"]
    assert invoicing[0].definition is not None and invoicing[0].icon is not None


def test_message_ids_are_the_platform_guids() -> None:
    assert KNOWN_MESSAGE_IDS["20bebb1b-ea3e-db11-86a7-000a3a5473e8"] == "Update"
    assert KNOWN_MESSAGE_IDS["03bebb1b-ea3e-db11-86a7-000a3a5473e8"] == "RetrieveMultiple"
