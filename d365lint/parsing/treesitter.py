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
    nodes = tuple(walk(parsed.tree.root_node))
    types = tuple(sys.intern(node.type) for node in nodes)  # one string per type: a parse is kept with its index
    by_type: dict[str, list[tree_sitter.Node]] = {}
    for node, kind in zip(nodes, types):
        if kind in by_type:
            by_type[kind].append(node)
        else:
            by_type[kind] = [node]
    return NodeIndex(nodes, types, by_type)


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Named nodes below and including ``node``, depth first, iteratively."""
    cursor = node.walk()
    climbing = False
    while True:
        if not climbing:
            current = cursor.node
            if current is not None and current.is_named:
                yield current
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            climbing = False
        elif not cursor.goto_parent():
            return
        else:
            climbing = True


def parse_source(source: SourceFile) -> ParsedSource:
    """Parse a JavaScript, TypeScript or C# source file."""
    data = source.text.encode("utf-8", "surrogatepass")
    tsx = source.location.display_path.lower().endswith(".tsx")
    tree = _parser(source.language, tsx).parse(data)
    return ParsedSource(source, tree, data)
