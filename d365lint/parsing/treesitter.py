"""Parsing JavaScript, TypeScript and C# with tree-sitter.

tree-sitter recovers from syntax errors, so a file with errors is still
analysed (and a diagnostic says it had errors). Its columns count bytes;
:meth:`ParsedSource.location` turns them into the code-point columns SARIF
declares, and adds the offset of a script block inside an HTML page.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import tree_sitter

from d365lint.model import Language, Location, SourceFile


T = TypeVar("T")


@functools.cache
def _language(language: Language, tsx: bool) -> tree_sitter.Language:
    if language is Language.JAVASCRIPT:
        import tree_sitter_javascript as grammar

        return tree_sitter.Language(grammar.language())
    if language is Language.TYPESCRIPT:
        import tree_sitter_typescript as grammar

        return tree_sitter.Language(grammar.language_tsx() if tsx else grammar.language_typescript())
    if language is Language.CSHARP:
        import tree_sitter_c_sharp as grammar

        return tree_sitter.Language(grammar.language())
    raise ValueError(f"tree-sitter does not parse {language.value} here")


@functools.cache
def _parser(language: Language, tsx: bool) -> tree_sitter.Parser:
    return tree_sitter.Parser(_language(language, tsx))


@dataclass(frozen=True, slots=True)
class ParsedSource:
    """A source file with its syntax tree."""

    source: SourceFile
    tree: tree_sitter.Tree
    data: bytes
    _facts: dict[Callable[[Any], Any], Any] = field(default_factory=dict, compare=False, repr=False)

    def fact(self, compute: Callable[[ParsedSource], T]) -> T:
        """``compute(self)``, computed once for this parse.

        Indexes and flow analyses that many rules share live exactly as long
        as the tree they describe: as long as the engine keeps the parse,
        whatever order the rules ask in, and no longer.
        """
        if compute not in self._facts:
            self._facts[compute] = compute(self)
        return self._facts[compute]

    def forget(self) -> None:
        """Drop the facts computed so far (they are computed again if asked for).

        Indexes and flows refer back to the parse: without this, a parse the
        engine no longer keeps lives on in that cycle, trees and all, until
        the cyclic garbage collector happens to run (300 MB on L).
        """
        self._facts.clear()

    @property
    def root(self) -> tree_sitter.Node:
        return self.tree.root_node

    @property
    def has_errors(self) -> bool:
        return self.tree.root_node.has_error

    @property
    def component(self) -> str:
        """The logical identity of the file for fingerprints."""
        return self.source.component

    def text(self, node: tree_sitter.Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def location(self, node: tree_sitter.Node) -> Location:
        """Where ``node`` starts and ends, in the file a person opens."""
        line, column = self._position(node.start_byte, node.start_point)
        end_line, end_column = self._position(node.end_byte, node.end_point)
        base = self.source.location
        return Location(base.path, line, column, base.member, end_line, end_column)

    def _position(self, byte: int, point: tree_sitter.Point) -> tuple[int, int]:
        row, byte_column = point
        line_start = byte - byte_column
        column = len(self.data[line_start:byte].decode("utf-8", "replace")) + 1
        if row == 0:
            column += self.source.column_offset
        return row + 1 + self.source.line_offset, column

    def walk(self) -> Iterator[tree_sitter.Node]:
        """Every named node in document order, from the one walk of the tree all rules share."""
        return iter(self.nodes().nodes)

    def nodes(self) -> NodeIndex:
        """The named nodes of the file, by document order and by type, from one walk of the tree.

        A dozen rules and indexes visit every node of a script; walking the
        tree once and handing out lists makes each further visit a plain loop.
        """
        return self.fact(_node_index)

    def of(self, *types: str) -> list[tree_sitter.Node]:
        """The named nodes of ``types``, in document order."""
        return self.nodes().of(*types)


class NodeIndex(NamedTuple):
    """Named nodes in document order, their types alongside, and the nodes of each type."""

    nodes: tuple[tree_sitter.Node, ...]
    types: tuple[str, ...]
    by_type: dict[str, list[tree_sitter.Node]]

    def of(self, *types: str) -> list[tree_sitter.Node]:
        if len(types) == 1:
            return list(self.by_type.get(types[0], ()))
        wanted = frozenset(types)
        return [node for node, kind in zip(self.nodes, self.types) if kind in wanted]


def _node_index(parsed: ParsedSource) -> NodeIndex:
    """Every named node, depth first, in one loop that files each under its type as it goes.

    It is the one walk of a script every rule shares (600,000 nodes on M),
    so it is written flat: a cursor, no generator, and each node's type
    looked up by its number rather than read as a new string.
    """
    names = _kind_names(parsed.tree.language)
    nodes: list[tree_sitter.Node] = []
    types: list[str] = []
    by_type: dict[str, list[tree_sitter.Node]] = {}
    cursor = parsed.tree.root_node.walk()
    down, across, up = cursor.goto_first_child, cursor.goto_next_sibling, cursor.goto_parent
    climbing = False
    while True:
        if not climbing:
            node = cursor.node
            if node is not None and node.is_named:
                kind = names[node.kind_id]
                nodes.append(node)
                types.append(kind)
                if kind in by_type:
                    by_type[kind].append(node)
                else:
                    by_type[kind] = [node]
            if down():
                continue
        if across():
            climbing = False
        elif not up():
            return NodeIndex(tuple(nodes), tuple(types), by_type)
        else:
            climbing = True


class _KindNames(dict[int, str]):
    """The name of each node kind of a language, by kind number: one string per kind, shared by every index.

    Filled on first sight of a number, which covers ``ERROR`` (kind 65535,
    outside the grammar's own count) like any other.
    """

    def __init__(self, language: tree_sitter.Language) -> None:
        super().__init__()
        self.language = language

    def __missing__(self, kind: int) -> str:
        name = self[kind] = sys.intern(self.language.node_kind_for_id(kind) or "ERROR")
        return name


@functools.cache
def _kind_names(language: tree_sitter.Language) -> _KindNames:
    return _KindNames(language)


def parse_source(source: SourceFile) -> ParsedSource:
    """Parse a JavaScript, TypeScript or C# source file."""
    data = source.text.encode("utf-8", "surrogatepass")
    tsx = source.location.display_path.lower().endswith(".tsx")
    tree = _parser(source.language, tsx).parse(data)
    return ParsedSource(source, tree, data)
