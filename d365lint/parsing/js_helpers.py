"""Shared questions about JavaScript and TypeScript syntax trees.

Script rules ask the same things again and again: what dotted name does this
expression spell (``window.parent.Xrm.Page``), what is the value of this
string literal, which names does the file declare, what did a variable stand
for (``var ctx = Xrm.Page.context``). The answers are computed once per file
in a :class:`ScriptIndex` — dozens of rules read one file, and walking a large
tree once per rule would make d365lint slower than the tools it replaces.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar

import tree_sitter

from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily

T = TypeVar("T")
Chain = tuple[str, ...]
"""A dotted name as its segments: ``("window", "parent", "Xrm", "Page")``."""

CALL = "()"
"""The segment a call leaves in a chain walked through calls: ``a.b().c`` is ``a, b, (), c``."""
INDEX = "[]"
"""The segment of a computed index (``rows[i]``)."""

# Wrappers that do not change what an expression denotes.
_TRANSPARENT = frozenset(
    {"parenthesized_expression", "non_null_expression", "as_expression", "satisfies_expression", "type_assertion"}
)
# Host objects that all lead to the global window (``window.parent.Xrm`` is ``Xrm`` of another frame).
WINDOW_NAMES = frozenset({"window", "self", "parent", "opener", "top", "globalThis", "frames"})
_FUNCTION_TYPES = frozenset(
    {"function_declaration", "function_expression", "function", "arrow_function", "generator_function_declaration",
     "generator_function", "method_definition"}
)
_STRING_ESCAPE = compile_lazily(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def unwrap(node: tree_sitter.Node) -> tree_sitter.Node:
    """``node`` without parentheses and TypeScript-only wrappers around it."""
    while node.type in _TRANSPARENT and node.named_child_count:
        # ``<T>value`` keeps the value last; every other wrapper keeps it first.
        node = node.named_children[-1 if node.type == "type_assertion" else 0]
    return node


def member_chain(parsed: ParsedSource, node: tree_sitter.Node, *, through_calls: bool = False) -> Chain | None:
    """The dotted name ``node`` spells, or None when it is not a plain name.

    ``a["b"].c`` is ``a, b, c``; a computed index is :data:`INDEX`. With
    ``through_calls`` a call is a :data:`CALL` segment (``getGlobalContext().userSettings``),
    otherwise a chain that passes through a call is not a name at all.
    """
    return _chain(parsed, node, through_calls, {})


def _chain(
    parsed: ParsedSource, node: tree_sitter.Node, through_calls: bool, memo: dict[tuple[int, bool], Chain | None]
) -> Chain | None:
    """:func:`member_chain`, remembering the chain of every node on the way in ``memo``.

    ``a.b.c`` and its inner ``a.b`` share work, so a file's member
    expressions cost one step each however deep they nest.
    """
    path: list[tuple[tuple[int, bool], str]] = []
    current = unwrap(node)
    while True:
        key = (current.id, through_calls)
        if key in memo:
            base = memo[key]
            break
        kind = current.type
        if kind in ("identifier", "this", "property_identifier", "shorthand_property_identifier"):
            base = memo[key] = (parsed.text(current),)
            break
        inner: tree_sitter.Node | None = None
        if kind == "member_expression":
            prop = current.child_by_field_name("property")
            segment = parsed.text(prop) if prop is not None else None
            inner = current.child_by_field_name("object")
        elif kind == "subscript_expression":
            index = current.child_by_field_name("index")
            value = string_value(parsed, index) if index is not None else None
            segment = value if value is not None else INDEX
            inner = current.child_by_field_name("object")
        elif kind == "call_expression" and through_calls:
            segment = CALL
            inner = current.child_by_field_name("function")
        else:
            segment = None
        if segment is None or inner is None:
            base = memo[key] = None
            break
        path.append((key, segment))
        current = unwrap(inner)
    for key, segment in reversed(path):
        base = base + (segment,) if base is not None else None
        memo[key] = base
    return base


def without_calls(chain: Chain) -> Chain:
    """The names of a chain walked through calls: ``getGlobalContext().getClientUrl`` is two names."""
    return tuple(segment for segment in chain if segment != CALL)


def strip_window(chain: Chain) -> Chain:
    """``chain`` without the leading window, parent, top… hops (``parent.Xrm.Page`` → ``Xrm.Page``)."""
    start = 0
    while start < len(chain) - 1 and chain[start] in WINDOW_NAMES:
        start += 1
    return chain[start:]


def dotted(chain: Chain) -> str:
    return ".".join(chain).replace(".()", "()").replace(".[]", "[]")


def string_value(parsed: ParsedSource, node: tree_sitter.Node | None) -> str | None:
    """The value of a string literal, or of a template literal without substitutions."""
    if node is None:
        return None
    node = unwrap(node)
    if node.type == "string":
        raw = parsed.text(node)[1:-1]
        return _unescape(raw)
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return _unescape(parsed.text(node)[1:-1])
    return None


def _unescape(raw: str) -> str:
    def replace(match: re.Match[str]) -> str:
        escaped = match.group(1)
        if escaped.startswith("u{"):
            return _code_point(escaped[2:-1])
        if escaped[0] in "ux" and len(escaped) > 1:
            return _code_point(escaped[1:])
        if escaped in ("\n", "\r"):
            return ""
        return _SIMPLE_ESCAPES.get(escaped, escaped)

    return _STRING_ESCAPE.sub(replace, raw) if "\\" in raw else raw


def _code_point(hex_digits: str) -> str:
    try:
        return chr(int(hex_digits, 16))
    except (ValueError, OverflowError):
        return "\ufffd"


def is_false_literal(parsed: ParsedSource, node: tree_sitter.Node | None) -> bool:
    """``false``, ``0``, ``null``, ``undefined`` or ``""``: what a synchronous flag looks like."""
    if node is None:
        return False
    node = unwrap(node)
    if node.type in ("false", "null", "undefined"):
        return True
    if node.type == "number":
        return parsed.text(node) in ("0", "0.0")
    if node.type == "identifier" and parsed.text(node) == "undefined":
        return True
    return string_value(parsed, node) == ""


def arguments(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The argument expressions of a call or ``new`` expression."""
    args = node.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return []
    return [child for child in args.named_children if child.type != "comment"]


class StringPiece(NamedTuple):
    """A literal part of a string run; ``node`` is None for an interpolated value."""

    text: str
    node: tree_sitter.Node | None


class StringRun(NamedTuple):
    """A string as the code builds it: one literal, a template, or a ``+`` concatenation.

    URL rules search the joined text, so ``"/XRMServices/2011/" + "Organization.svc"``
    is found too; unknown parts read as ``\\x00`` and never match a search.
    """

    node: tree_sitter.Node
    pieces: tuple[StringPiece, ...]

    @property
    def text(self) -> str:
        return "".join(piece.text if piece.node is not None else "\x00" for piece in self.pieces)

    def node_at(self, offset: int) -> tree_sitter.Node:
        """The literal holding character ``offset`` of :attr:`text`."""
        position = 0
        for piece in self.pieces:
            length = len(piece.text) if piece.node is not None else 1
            if position <= offset < position + length and piece.node is not None:
                return piece.node
            position += length
        return self.node


class ScriptIndex:
    """The nodes of one script grouped by type, its aliases and declared names.

    Built by one walk of the tree. ``aliases`` maps a variable to the chain it
    was given (``var ctx = Xrm.Page.context`` → ``ctx: Xrm, Page, context``),
    in the order the file assigns them, as ESLint's Power Apps rules do.
    """

    def __init__(self, parsed: ParsedSource) -> None:
        self.parsed = parsed
        self.nodes: Mapping[str, list[tree_sitter.Node]] = parsed.nodes().by_type
        self.aliases: Mapping[str, Chain] = self._aliases()
        self.declared_functions: frozenset[str] = self._declared_functions()
        self.declared_names: frozenset[str] = self._declared_names()
        self._written: dict[tuple[int, bool], Chain | None] = {}
        self._resolved: dict[tuple[int, bool], Chain | None] = {}
        self._derived: dict[Callable[[ScriptIndex], Any], Any] = {}

    def of(self, *types: str) -> Iterator[tree_sitter.Node]:
        for kind in types:
            yield from self.nodes.get(kind, ())

    def chain(self, node: tree_sitter.Node, *, through_calls: bool = False, resolve: bool = True) -> Chain | None:
        """The chain of ``node``; with ``resolve``, a variable at its root is replaced by what it was given.

        Answers are kept: several rules ask about every member expression of a file.
        """
        chain = _chain(self.parsed, node, through_calls, self._written)
        if not resolve or chain is None or chain[0] not in self.aliases:
            return chain
        key = (node.id, through_calls)
        if key not in self._resolved:
            self._resolved[key] = self.resolve(chain)
        return self._resolved[key]

    def mentions(self, *words: str) -> bool:
        """Whether the source text contains one of ``words``: a cheap test before looking at nodes."""
        text = self.parsed.source.text
        return any(word in text for word in words)

    def calls_named(self, *names: str) -> list[tree_sitter.Node]:
        """Calls and ``new`` expressions of a function or method with one of ``names``, in source order.

        ``a.b.open(…)``, ``open(…)`` and ``a["open"](…)`` are all calls named ``open``.
        """
        return self._named(self._calls_by_name, names)

    def members_named(self, *names: str) -> list[tree_sitter.Node]:
        """Member expressions whose property is one of ``names``, in source order."""
        return self._named(self._members_by_name, names)

    @staticmethod
    def _named(index: Mapping[str, list[tree_sitter.Node]], names: tuple[str, ...]) -> list[tree_sitter.Node]:
        found = [node for name in dict.fromkeys(names) for node in index.get(name, ())]
        return sorted(found, key=lambda node: node.start_byte) if len(names) > 1 else found

    @functools.cached_property
    def _calls_by_name(self) -> dict[str, list[tree_sitter.Node]]:
        index: dict[str, list[tree_sitter.Node]] = defaultdict(list)
        for node in sorted(self.of("call_expression", "new_expression"), key=lambda n: n.start_byte):
            callee = node.child_by_field_name("function") or node.child_by_field_name("constructor")
            name = _last_name(self.parsed, callee) if callee is not None else None
            if name is not None:
                index[name].append(node)
        return index

    @functools.cached_property
    def _members_by_name(self) -> dict[str, list[tree_sitter.Node]]:
        index: dict[str, list[tree_sitter.Node]] = defaultdict(list)
        for node in self.of("member_expression"):
            prop = node.child_by_field_name("property")
            if prop is not None:
                index[self.parsed.text(prop)].append(node)
        return index

    def derived(self, compute: Callable[[ScriptIndex], T]) -> T:
        """``compute(self)``, computed once per file: rules share facts such as "this script uses Xrm"."""
        if compute not in self._derived:
            self._derived[compute] = compute(self)
        return self._derived[compute]

    def resolve(self, chain: Chain) -> Chain:
        seen: set[str] = set()
        while chain and chain[0] in self.aliases and chain[0] not in seen:
            seen.add(chain[0])
            chain = self.aliases[chain[0]] + chain[1:]
        return chain

    def _aliases(self) -> dict[str, Chain]:
        aliases: dict[str, Chain] = {}
        pairs = [
            (node.child_by_field_name("name"), node.child_by_field_name("value"))
            for node in self.nodes.get("variable_declarator", ())
        ] + [
            (node.child_by_field_name("left"), node.child_by_field_name("right"))
            for node in self.nodes.get("assignment_expression", ())
        ]
        for name, value in sorted(
            ((n, v) for n, v in pairs if n is not None and v is not None and n.type == "identifier"),
            key=lambda pair: pair[0].start_byte,
        ):
            target = self.parsed.text(name)
            chain = member_chain(self.parsed, value, through_calls=True)
            if chain is None or chain[0] == target:
                aliases.pop(target, None)
                continue
            resolved = chain
            seen = {target}
            while resolved[0] in aliases and resolved[0] not in seen:
                seen.add(resolved[0])
                resolved = aliases[resolved[0]] + resolved[1:]
            aliases[target] = resolved
        return aliases

    def _declared_functions(self) -> frozenset[str]:
        names = {
            self.parsed.text(name)
            for node in self.of("function_declaration", "generator_function_declaration")
            if (name := node.child_by_field_name("name")) is not None
        }
        for node in self.nodes.get("variable_declarator", ()):
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and value is not None and unwrap(value).type in _FUNCTION_TYPES:
                names.add(self.parsed.text(name))
        return frozenset(names)

    def _declared_names(self) -> frozenset[str]:
        """Every name the file binds: variables, functions, classes, parameters, imports."""
        names = set(self.declared_functions)
        for node in self.of("variable_declarator", "class_declaration", "import_specifier", "namespace_import"):
            name = node.child_by_field_name("name") or (node.named_children[0] if node.named_children else None)
            if name is not None and name.type == "identifier":
                names.add(self.parsed.text(name))
        for params in self.of("formal_parameters"):
            for param in params.named_children:
                target = param.child_by_field_name("pattern") or param.child_by_field_name("left") or param
                if target.type == "identifier":
                    names.add(self.parsed.text(target))
        return frozenset(names)

    @functools.cached_property
    def string_runs(self) -> tuple[StringRun, ...]:
        """Every string the code builds: concatenations whole, other literals alone."""
        runs: list[StringRun] = []
        inside: set[int] = set()
        for node in self.nodes.get("binary_expression", ()):
            if not _is_concatenation(self.parsed, node) or _is_concatenation_operand(self.parsed, node):
                continue
            pieces = tuple(self._pieces(node))
            if any(piece.node is not None for piece in pieces):
                runs.append(StringRun(node, pieces))
                inside.update(piece.node.id for piece in pieces if piece.node is not None)
        for node in self.of("string", "template_string"):
            if node.id not in inside:
                runs.append(StringRun(node, tuple(self._literal_pieces(node))))
        return tuple(sorted(runs, key=lambda run: run.node.start_byte))

    @functools.cached_property
    def string_texts(self) -> tuple[tuple[StringRun, str, str], ...]:
        """Each string run with its text and that text in lower case, worked out once for the rules that search them."""
        texts = [run.text for run in self.string_runs]
        return tuple(zip(self.string_runs, texts, [text.lower() for text in texts]))

    @functools.cached_property
    def all_strings(self) -> str:
        """Every string run's lower-case text, joined by ``\\x01``: a needle found nowhere in it is in no run."""
        return "\x01".join(lowered for _, _, lowered in self.string_texts)

    def _pieces(self, node: tree_sitter.Node) -> Iterator[StringPiece]:
        node = unwrap(node)
        if node.type == "binary_expression" and _is_concatenation(self.parsed, node):
            yield from self._pieces(node.child_by_field_name("left") or node)
            yield from self._pieces(node.child_by_field_name("right") or node)
        elif node.type in ("string", "template_string"):
            yield from self._literal_pieces(node)
        else:
            yield StringPiece("", None)

    def _literal_pieces(self, node: tree_sitter.Node) -> Iterator[StringPiece]:
        if node.type == "string":
            yield StringPiece(string_value(self.parsed, node) or "", node)
            return
        text: list[str] = []
        for child in node.named_children:
            if child.type == "template_substitution":
                yield StringPiece("".join(text), node)
                text = []
                yield StringPiece("", None)
            elif child.type in ("string_fragment", "escape_sequence"):
                text.append(_unescape(self.parsed.text(child)))
        yield StringPiece("".join(text), node)


def _last_name(parsed: ParsedSource, node: tree_sitter.Node) -> str | None:
    """The name a callee ends in: ``open`` for ``xhr.open``, ``alert`` for ``alert``."""
    node = unwrap(node)
    if node.type == "identifier":
        return parsed.text(node)
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return parsed.text(prop) if prop is not None else None
    if node.type == "subscript_expression":
        return string_value(parsed, node.child_by_field_name("index"))
    return None


def _is_concatenation(parsed: ParsedSource, node: tree_sitter.Node) -> bool:
    operator = node.child_by_field_name("operator")
    return operator is not None and parsed.text(operator) == "+"


def _is_concatenation_operand(parsed: ParsedSource, node: tree_sitter.Node) -> bool:
    parent = node.parent
    while parent is not None and parent.type in _TRANSPARENT:
        parent = parent.parent
    return parent is not None and parent.type == "binary_expression" and _is_concatenation(parsed, parent)


def script_index(parsed: ParsedSource) -> ScriptIndex:
    """The index of ``parsed``, built once per parse however many rules ask for it, in any order."""
    return parsed.fact(ScriptIndex)


def json_string(value: str) -> str:
    """``value`` as a short quoted string for messages."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + '…"'
