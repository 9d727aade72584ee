"""Where a form script's decisions come from: identity data flow and what it hides.

Two questions about Dynamics 365 form scripts need more than a look at one
call:

* Does the user's identity (security roles, teams, user id or name) decide
  what the form shows? The value is read in one place
  (``userSettings.roles``), kept in locals, passed to and returned from
  helper functions, iterated with ``forEach``/``some``, delivered by a
  promise (``then``) — and finally tested in the condition around a
  ``setVisible(false)``. :meth:`ScriptFlow.identity_changes` follows it.
* What does a form handler hide unconditionally? :meth:`ScriptFlow.hides`
  starts at a handler and follows unconditional calls, binding literal
  arguments to helper parameters (``hideField(fc, "contoso_ssn")``).

The analysis is file-local, flow-insensitive and deliberately simple: a
variable is tainted if any assignment to it is (including assignments made
under a tainted condition — ``if (role.name === "Admin") isAdmin = true``),
and a function parameter is tainted if any call passes a tainted value.
That over-approximates inside one file and is what the rules need: a role
test that reaches a hiding call through any path is worth reporting.

Names follow the shapes real web resources use, so that a handler named in
FormXml (``Contoso.Account.onLoad``) finds its function: namespaced ES5
assignments, object-literal namespaces (also ``Contoso.Account =
Contoso.Account || {…}``), IIFE namespaces (``(function (ns) {…})(window.Contoso
= window.Contoso || {})``), revealing modules, classes and TypeScript
namespaces.
"""

from __future__ import annotations

import enum
import re
import weakref
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import tree_sitter

from d365lint.parsing.js_helpers import (
    ScriptIndex,
    arguments,
    member_chain,
    script_index,
    string_value,
    strip_window,
    unwrap,
    without_calls,
)
from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily

Node = tree_sitter.Node
Symbol = tuple[int, str]
"""A variable: the id of the scope (function or program node) declaring it, and its name."""

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
_DECLARATIONS = frozenset({"function_declaration", "generator_function_declaration"})
_FIELD_SCOPE = -1  # member expressions written somewhere (``this.isAdmin``, ``Contoso.state.isAdmin``)
_TRANSPARENT_PARENTS = frozenset(
    {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression", "type_assertion"}
)
_SELF_NAMES = frozenset({"this", "self", "that", "_this", "me"})
_EXPORT_ROOTS = frozenset({"this", "exports", "module"})

# userSettings members and context methods that read who the user is.
IDENTITY_PROPERTIES = {
    "roles": "security roles",
    "securityRoles": "security roles",
    "securityRolePrivileges": "security role privileges",
    "userId": "user id",
    "userName": "user name",
}
IDENTITY_CALLS = {
    "getUserRoles": "security roles",
    "getUserId": "user id",
    "getUserName": "user name",
    "getSecurityRolePrivilegesInfo": "security role privileges",
}
# Web API / FetchXML names of the tables that link users to roles and teams.
MEMBERSHIP_TABLES = (("systemuserroles", "security roles"), ("teammembership", "team membership"))
IDENTITY_WORDS = ("userSettings", "systemuserroles", "teammembership", *IDENTITY_CALLS)

# Client API calls that hide, disable or remove part of a form.
UI_METHODS = frozenset({"setVisible", "setDisabled", "removeOption", "clearOptions", "setDisplayState"})
# Methods that put a value into the object they are called on.
_MUTATORS = frozenset({"push", "unshift", "splice", "add", "set", "append"})
_ITERATORS = frozenset({"forEach", "map", "filter", "some", "every", "find"})
_EXITS = frozenset({"return_statement", "throw_statement", "continue_statement", "break_statement"})
_LOGICAL = frozenset({"&&", "||", "??"})
# Calls that name a part of the form: the method, or the collection ``get`` is called on.
_ACCESSORS = {"getControl": "control", "getAttribute": "attribute", "getTab": "tab", "getSection": "section"}
_COLLECTIONS = {"tabs": "tab", "sections": "section", "controls": "control"}
# Node kinds the walk records facts for, keeps the guarding conditions of, and that guard code.
_GUARDED = frozenset(
    {"call_expression", "new_expression", "variable_declarator", "assignment_expression",
     "augmented_assignment_expression", "return_statement", "for_in_statement"}
)
_COLLECTED = _GUARDED | {"catch_clause", "class_declaration", "abstract_class_declaration"}
_REGION_KINDS = frozenset(
    {"if_statement", "ternary_expression", "while_statement", "do_statement", "for_statement", "for_in_statement",
     "switch_statement", "binary_expression", "statement_block", "program", "switch_case", "switch_default"}
)
_HANDLER_NAME = compile_lazily(r"^on[A-Z_]|on(load|change|save|select|tabstatechange|click)$", re.I)
_CONSTANTS = frozenset({"true", "false", "number", "string", "null", "undefined"})
_CONSTANT_HOLDERS = frozenset(
    {"variable_declarator", "assignment_expression", "pair", "public_field_definition", "field_definition"}
)
_MAX_ROUNDS = 12
_MAX_DEPTH = 6
_MAX_VISITS = 2000  # functions visited while following one handler's calls


class Origin(NamedTuple):
    """Where the user's identity is read: what it is (``security roles``) and the expression."""

    what: str
    node: Node


class Function(NamedTuple):
    """A function of the script with the name a handler or caller uses for it."""

    node: Node
    name: str
    params: tuple[str, ...]

    @property
    def id(self) -> int:
        return self.node.id


class IdentityChange(NamedTuple):
    """A call that hides, disables or removes UI, decided by the user's identity.

    ``via`` is where the decision is made when it is not the call's own
    argument: the condition around the call, or the call of the helper that
    holds it.
    """

    call: Node
    method: str
    origin: Origin
    via: Node | None
    function: Function | None


class UiTarget(NamedTuple):
    """What a hiding call hides: a ``control``, ``attribute``, ``tab`` or ``section`` by name.

    ``tab`` is the tab of a section when the script names it; ``anchor`` is
    the call that supplied the name when it came through a helper's
    parameter (the place to fix), else None.
    """

    kind: str
    name: str
    tab: str = ""
    anchor: Node | None = None


class Hide(NamedTuple):
    """An unconditional ``setVisible(false)`` reached from a handler, with what it hides."""

    call: Node
    target: UiTarget

    @property
    def place(self) -> Node:
        """The call a person edits: the helper call that named the column, or the hiding call."""
        return self.target.anchor or self.call


class _Binding(NamedTuple):
    """A helper parameter bound to an argument of one call: the argument, where it was evaluated, the call."""

    value: Node
    env: Env
    call: Node | None


Env = tuple[tuple[Symbol, tuple[_Binding, ...]], ...]
"""Parameter bindings of one path through the calls (an immutable association list)."""


def _lookup(env: Env, symbol: Symbol) -> tuple[_Binding, ...]:
    return next((bindings for bound, bindings in env if bound == symbol), ())


@dataclass(slots=True)
class _Region:
    """Code that runs only when ``condition`` (evaluated in ``scope``) allows it."""

    start: int
    end: int
    condition: Node
    scope: int


@dataclass(slots=True)
class _Frame:
    end: int
    scope: int
    barrier: int


@dataclass(slots=True)
class _Facts:
    """What one walk of the tree collects; the flow analysis then iterates over these lists only."""

    assignments: list[tuple[Node, Node, Node, int]] = field(default_factory=list)
    returns: list[tuple[int, Node, Node]] = field(default_factory=list)
    calls: list[tuple[Node, int]] = field(default_factory=list)
    guards: dict[int, tuple[tuple[Node, int], ...]] = field(default_factory=dict)
    calls_in: dict[int, list[Node]] = field(default_factory=lambda: defaultdict(list))
    values: dict[Symbol, list[Node]] = field(default_factory=lambda: defaultdict(list))


class ScriptFlow:
    """Functions, names and identity flow of one script; see the module docstring."""

    def __init__(self, index: ScriptIndex) -> None:
        self.index = index
        self.parsed: ParsedSource = index.parsed
        self.root: Node = self.parsed.root
        self._declared: dict[int, set[str]] = defaultdict(set)
        self._parent_scope: dict[int, int | None] = {self.root.id: None}
        self._function_nodes: dict[int, Node] = {}
        self._declared_functions: dict[Symbol, int] = {}
        self.callbacks: dict[int, tuple[Node, int]] = {}
        """Functions passed as arguments: the call that receives each, and the argument position."""
        self._resolved: dict[tuple[int, str], Symbol] = {}
        self.facts = _Facts()
        self._walk()
        self._iife_params = self._iife_namespaces()
        self.functions: dict[int, Function] = {
            node_id: Function(node, self._function_name(node), _params(self.parsed, node))
            for node_id, node in self._function_nodes.items()
        }
        self._by_name: dict[str, list[Function]] = defaultdict(list)
        self._by_last: dict[str, list[Function]] = defaultdict(list)
        for function in self.functions.values():
            if function.name:
                self._by_name[function.name].append(function)
                self._by_last[function.name.rsplit(".", 1)[-1]].append(function)
        self._add_revealed_names()
        self._roots = {name.split(".", 1)[0] for name in self._by_name if "." in name} | _SELF_NAMES
        self._call_targets: dict[int, list[Function]] = {}
        self._flow: _Taint | None = None
        self._constant_values: dict[str, str] | None = None

    # ----- the walk -------------------------------------------------------

    def _walk(self) -> None:
        """One pass: scopes and declarations, guarded regions, and the facts the flow analysis reads."""
        frames = [_Frame(self.root.end_byte, self.root.id, 0)]
        regions: list[_Region] = []
        named = self.parsed.nodes()
        for node, kind in zip(named.nodes, named.types):
            start = node.start_byte
            while len(frames) > 1 and start >= frames[-1].end:
                frames.pop()
            while regions and start >= regions[-1].end:
                regions.pop()
            if kind in FUNCTION_TYPES:
                self._enter_function(node, frames, len(regions))
                continue
            scope = frames[-1].scope
            if kind in _GUARDED:
                self.facts.guards[node.id] = tuple(
                    (r.condition, r.scope) for r in regions[frames[-1].barrier :] if r.start <= start < r.end
                )
            if kind in _COLLECTED:
                self._collect(node, kind, scope)
            if kind in _REGION_KINDS:
                regions.extend(_regions_of(node, kind, scope))

    def _enter_function(self, node: Node, frames: list[_Frame], region_count: int) -> None:
        outer = frames[-1]
        self._function_nodes[node.id] = node
        self._parent_scope[node.id] = outer.scope
        parent = _parent(node)
        if node.type in _DECLARATIONS and (name := node.child_by_field_name("name")) is not None:
            self._declare(outer.scope, self.parsed.text(name), node)
        callback = parent is not None and parent.type == "arguments"
        if callback:
            position = next(i for i, arg in enumerate(parent.named_children) if arg.start_byte <= node.start_byte < arg.end_byte)
            self.callbacks[node.id] = (parent.parent, position)
        self._declared[node.id].update(name for name in _params(self.parsed, node) if name)
        self._declared[node.id].update(_pattern_names(self.parsed, _param_nodes(node)))
        body = node.child_by_field_name("body")
        if node.type == "arrow_function" and body is not None and body.type != "statement_block":
            self.facts.returns.append((node.id, body, body))
        frames.append(_Frame(node.end_byte, node.id, outer.barrier if callback else region_count))

    def _collect(self, node: Node, kind: str, scope: int) -> None:
        facts = self.facts
        if kind == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and name.type == "identifier":
                self._declare(scope, self.parsed.text(name), value)
            elif name is not None:
                self._declared[scope].update(_pattern_names(self.parsed, [name]))
            if name is not None and value is not None:
                facts.assignments.append((name, value, node, scope))
        elif kind in ("assignment_expression", "augmented_assignment_expression"):
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and right is not None:
                facts.assignments.append((left, right, node, scope))
                if kind == "assignment_expression" and left.type == "identifier":
                    facts.values[self.resolve(self.parsed.text(left), scope)].append(right)
        elif kind == "for_in_statement":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is not None and any(c.type in ("var", "let", "const") for c in node.children):
                self._declared[scope].update(_pattern_names(self.parsed, [left]))
            if left is not None and right is not None:
                facts.assignments.append((left, right, node, scope))
        elif kind == "return_statement":
            value = node.named_children[0] if node.named_children else None
            if value is not None and value.type != "comment":
                facts.returns.append((scope, value, node))
        elif kind in ("call_expression", "new_expression"):
            facts.calls.append((node, scope))
            facts.calls_in[scope].append(node)
        elif kind == "catch_clause" and (parameter := node.child_by_field_name("parameter")) is not None:
            self._declared[scope].update(_pattern_names(self.parsed, [parameter]))
        elif kind in ("class_declaration", "abstract_class_declaration") and (name := node.child_by_field_name("name")):
            self._declared[scope].add(self.parsed.text(name))

    def _declare(self, scope: int, name: str, value: Node | None) -> None:
        self._declared[scope].add(name)
        if value is None:
            return
        value = unwrap(value)
        symbol = (scope, name)
        if value.type in FUNCTION_TYPES:
            self._declared_functions.setdefault(symbol, value.id)
        self.facts.values[symbol].append(value)

    def resolve(self, name: str, scope: int) -> Symbol:
        """The variable ``name`` denotes in ``scope``: the nearest enclosing declaration, else a global."""
        key = (scope, name)
        found = self._resolved.get(key)
        if found is None:
            current: int | None = scope
            while current is not None and name not in self._declared[current]:
                current = self._parent_scope.get(current)
            found = self._resolved[key] = (current if current is not None else self.root.id, name)
        return found

    # ----- names ----------------------------------------------------------

    def _iife_namespaces(self) -> dict[Symbol, tuple[str, ...]]:
        """``ns`` of ``(function (ns) {…})(window.Contoso = window.Contoso || {})`` stands for ``Contoso``."""
        found: dict[Symbol, tuple[str, ...]] = {}
        for node in self._function_nodes.values():
            call = _parent(node)
            if call is None or call.type != "call_expression" or unwrap(call.child_by_field_name("function")).id != node.id:
                continue
            for name, argument in zip(_params(self.parsed, node), arguments(call)):
                chain = _stored_name(self.parsed, argument)
                if name and chain:
                    found[(node.id, name)] = chain
        return found

    def _function_name(self, node: Node) -> str:
        """The dotted name callers and FormXml handlers use for ``node``; empty for anonymous callbacks."""
        own = node.child_by_field_name("name")
        if node.type in _DECLARATIONS and own is not None:
            return ".".join((*_namespace(self.parsed, node), self.parsed.text(own)))
        if node.type == "method_definition" and own is not None:
            holder = self._value_name(node.parent.parent) if node.parent.type == "class_body" else None
            holder = holder if holder is not None else self._value_name(node.parent)
            return ".".join((*(holder or ()), self.parsed.text(own)))
        name = self._value_name(node)
        if name:
            return ".".join(name)
        return self.parsed.text(own) if own is not None else ""

    def _value_name(self, node: Node | None) -> tuple[str, ...] | None:
        """The dotted name a value is stored under: ``var X = …``, ``A.B = …``, ``{ key: … }``, ``class X``."""
        if node is None:
            return None
        if node.type in ("class_declaration", "abstract_class_declaration") and (name := node.child_by_field_name("name")):
            return (*_namespace(self.parsed, node), self.parsed.text(name))
        parent = _parent(node)
        if parent is None:
            return None
        kind = parent.type
        if kind == "variable_declarator" and (name := parent.child_by_field_name("name")) is not None:
            return (*_namespace(self.parsed, parent), self.parsed.text(name))
        if kind == "assignment_expression" and (left := parent.child_by_field_name("left")) is not None:
            return self._normalise(left, self.scope_of(parent))
        if kind == "binary_expression" and _operator(self.parsed, parent) in ("||", "??"):
            return self._value_name(parent)
        if kind == "pair" and (key := parent.child_by_field_name("key")) is not None:
            holder = self._value_name(parent.parent)
            key_text = string_value(self.parsed, key) or self.parsed.text(key)
            return (*holder, key_text) if holder else None
        if kind in ("public_field_definition", "field_definition") and (key := parent.child_by_field_name("name")):
            holder = self._value_name(parent.parent.parent) if parent.parent is not None else None
            return (*(holder or ()), self.parsed.text(key))
        if kind == "return_statement":
            return self._iife_result_name(parent)
        return None

    def _iife_result_name(self, statement: Node) -> tuple[str, ...] | None:
        """``var Contoso = (function () { …; return { onLoad: onLoad }; })();``: the returned object's name."""
        function = statement.parent
        while function is not None and function.type not in FUNCTION_TYPES:
            function = function.parent
        call = _parent(function) if function is not None else None
        if call is None or call.type != "call_expression":
            return None
        return self._value_name(call)

    def _normalise(self, target: Node, scope: int) -> tuple[str, ...] | None:
        """The dotted name ``target`` writes, without ``window.`` and with IIFE namespaces substituted."""
        chain = member_chain(self.parsed, target)
        if chain is None:
            return None
        chain = strip_window(chain)
        substitute = self._iife_params.get(self.resolve(chain[0], scope))
        if substitute:
            chain = substitute + chain[1:]
        if chain[0] in _EXPORT_ROOTS and len(chain) > 1:
            chain = chain[2:] if chain[:2] == ("module", "exports") else chain[1:]
        return chain or None

    def scope_of(self, node: Node) -> int:
        """The innermost function (or the program) holding ``node``."""
        current = node.parent
        while current is not None and current.id not in self._function_nodes:
            current = current.parent
        return current.id if current is not None else self.root.id

    def _add_revealed_names(self) -> None:
        """``{ onLoad: onLoad }`` in a namespace object: the property names the declared function."""
        for pair in self.index.of("pair"):
            value = pair.child_by_field_name("value")
            if value is None or unwrap(value).type != "identifier":
                continue
            holder = self._value_name(pair.parent)
            key = pair.child_by_field_name("key")
            if not holder or key is None:
                continue
            symbol = self.resolve(self.parsed.text(unwrap(value)), self.scope_of(pair))
            function = self.functions.get(self._declared_functions.get(symbol, -1))
            if function is not None:
                self._by_name[".".join((*holder, self.parsed.text(key)))].append(function)

    def find(self, name: str) -> list[Function]:
        """The functions a handler name (``Contoso.Account.onLoad``) may denote, best matches first."""
        wanted = ".".join(strip_window(tuple(name.strip().split("."))))
        exact = self._by_name.get(wanted)
        if exact:
            return exact
        suffix = [f for f in self.functions.values() if f.name and wanted.endswith("." + f.name)]
        if suffix:
            return suffix
        return self._by_last.get(wanted.rsplit(".", 1)[-1], [])

    def function_of(self, node: Node) -> Function | None:
        """The function holding ``node``; callbacks (``then(function success…)``) count as part of the function passing them."""
        scope = self.scope_of(node)
        while scope in self.callbacks:
            scope = self.scope_of(self.callbacks[scope][0])
        return self.functions.get(scope)

    def calls_of(self, call: Node, scope: int) -> list[Function]:
        """The functions of this file a call may invoke (``helper()``, ``this.helper()``, ``Ns.helper()``)."""
        found = self._call_targets.get(call.id)
        if found is None:
            found = self._call_targets[call.id] = self._resolve_call(call, scope)
        return found

    def _resolve_call(self, call: Node, scope: int) -> list[Function]:
        callee = call.child_by_field_name("function")
        if callee is None:
            return []
        callee = unwrap(callee)
        if callee.type == "identifier":
            symbol = self.resolve(self.parsed.text(callee), scope)
            declared = self.functions.get(self._declared_functions.get(symbol, -1))
            if declared is not None:
                return [declared]
            return self._by_name.get(symbol[1], []) if symbol[0] == self.root.id else []
        if callee.type != "member_expression":
            return []
        chain = self._normalise(callee, scope)
        if not chain:
            return []
        exact = self._by_name.get(".".join(chain))
        if exact:
            return exact
        candidates = self._by_last.get(chain[-1], [])
        return candidates if len(candidates) == 1 and chain[0] in self._roots else []

    # ----- identity flow --------------------------------------------------

    @property
    def reads_identity(self) -> bool:
        return reads_identity(self.parsed.source.text)

    def _taint(self) -> _Taint:
        if self._flow is None:
            self._flow = _Taint(self)
            self._flow.propagate()
        return self._flow

    def identity_changes(self) -> list[IdentityChange]:
        """Every hiding, disabling or option-removing call that the user's identity decides."""
        if not self.reads_identity:
            return []
        hiding = [
            (call, scope, method) for call, scope in self.facts.calls if (method := _method(self.parsed, call)) in UI_METHODS
        ]
        if not hiding:
            return []  # nothing to decide: the taint is not worked out
        flow = self._taint()
        changes = []
        for call, scope, method in hiding:
            decided = flow.decision(call, scope)
            if decided is not None:
                origin, via = decided
                changes.append(IdentityChange(call, method, origin, via, self.function_of(call)))
        return changes

    def returns_identity(self, function: Function) -> tuple[Origin, Node] | None:
        """The identity a function's result depends on, and the ``return`` that yields it."""
        if not self.reads_identity:
            return None
        return self._taint().returns.get(function.id)

    def always_false(self, function: Function) -> bool:
        """Whether every value ``function`` returns is the literal ``false``: a ribbon rule that always hides."""
        values = [value for owner, value, _ in self.facts.returns if owner == function.id]
        return bool(values) and all(unwrap(value).type == "false" for value in values)

    # ----- what handlers hide ---------------------------------------------

    def hides(self, function: Function) -> Iterator[Hide]:
        """``setVisible(false)`` calls that run whenever ``function`` runs, with what they hide."""
        yield from self._hides(function.id, (), (function.id,), [_MAX_VISITS])

    def _hides(self, scope: int, env: Env, path: tuple[int, ...], budget: list[int]) -> Iterator[Hide]:
        """Hides in one function on one path; ``budget`` bounds the paths of a handler (helpers fan out)."""
        budget[0] -= 1
        if budget[0] < 0:
            return
        for call in self.facts.calls_in.get(scope, ()):
            if self.facts.guards.get(call.id):
                continue  # conditional: record data, form type, or the user (another rule's business)
            if _method(self.parsed, call) == "setVisible" and self._is_false(_first_argument(call), scope, env):
                receiver = _receiver(call)
                for target in self.targets(receiver, scope, env) if receiver is not None else ():
                    yield Hide(call, target)
            if len(path) < _MAX_DEPTH:
                yield from self._hides_through(call, scope, env, path, budget)

    def _hides_through(self, call: Node, scope: int, env: Env, path: tuple[int, ...], budget: list[int]) -> Iterator[Hide]:
        """Hides of the helpers a call invokes and of the callbacks it passes."""
        args = arguments(call)
        for target in self.calls_of(call, scope):
            if target.id in path:
                continue
            bindings = tuple(
                ((target.id, name), (_Binding(arg, env, call),)) for name, arg in zip(target.params, args) if name
            )
            yield from self._hides(target.id, bindings, (*path, target.id), budget)
        method = _method(self.parsed, call)
        if method is not None and (method.startswith("addOn") and method != "addOnLoad" or method == "addEventListener"):
            return  # runs on a later event, not when the form loads
        for arg in args:
            if arg.type in FUNCTION_TYPES and arg.id not in path:
                yield from self._hides(arg.id, env + self._callback_bindings(call, arg, scope, env), (*path, arg.id), budget)

    def _callback_bindings(self, call: Node, callback: Node, scope: int, env: Env) -> Env:
        """``["a", "b"].forEach(function (name) {…})``: ``name`` is each literal in turn."""
        params = _params(self.parsed, callback)
        receiver = _receiver(call)
        if _method(self.parsed, call) not in _ITERATORS or not params or not params[0] or receiver is None:
            return ()
        items = self._array_items(receiver, scope, env)
        if not items:
            return ()
        return (((callback.id, params[0]), items),)

    def _array_items(self, node: Node, scope: int, env: Env, depth: int = 0) -> tuple[_Binding, ...]:
        """The items of the array literal ``node`` stands for, each with the call that passed the array."""
        node = unwrap(node)
        if node.type == "array":
            return tuple(_Binding(item, env, None) for item in node.named_children if item.type != "comment")
        if node.type != "identifier" or depth >= _MAX_DEPTH:
            return ()
        return tuple(
            _Binding(item.value, item.env, item.call or binding.call)
            for binding in self._values(node, scope, env)
            for item in self._array_items(binding.value, self.scope_of(binding.value), binding.env, depth + 1)
        )

    def _is_false(self, node: Node | None, scope: int, env: Env) -> bool:
        if node is None:
            return False
        node = unwrap(node)
        if node.type == "false" or self.parsed.text(node) == "!1":
            return True
        if node.type == "identifier":
            values = self._values(node, scope, env)
            return bool(values) and all(self._is_false(b.value, self.scope_of(b.value), b.env) for b in values)
        return False

    def _values(self, node: Node, scope: int, env: Env) -> tuple[_Binding, ...]:
        """What an identifier stands for: its bindings on this path, or the one value it is ever given."""
        symbol = self.resolve(self.parsed.text(node), scope)
        bound = _lookup(env, symbol)
        if bound:
            return bound
        values = self.facts.values.get(symbol, [])
        if len(values) == 1 and values[0].type not in FUNCTION_TYPES:
            return (_Binding(values[0], env, None),)
        return ()

    # ----- what a call hides ----------------------------------------------

    def targets(self, receiver: Node, scope: int, env: Env = (), depth: int = 0) -> list[UiTarget]:
        """What the object a hiding method is called on denotes: controls, tabs, sections by name."""
        node = unwrap(receiver)
        if depth > _MAX_DEPTH:
            return []
        if node.type == "call_expression":
            return self._call_targets_of(node, scope, env, depth)
        if node.type == "identifier":
            return self._identifier_targets(node, scope, env, depth)
        return []

    def _identifier_targets(self, node: Node, scope: int, env: Env, depth: int) -> list[UiTarget]:
        symbol = self.resolve(self.parsed.text(node), scope)
        collection = None if _lookup(env, symbol) else self._iterated_collection(symbol, env)
        if collection is not None:
            return collection
        return [
            _anchored(target, binding.call)
            for binding in self._values(node, scope, env)
            for target in self.targets(binding.value, self.scope_of(binding.value), binding.env, depth + 1)
        ]

    def _iterated_collection(self, symbol: Symbol, env: Env) -> list[UiTarget] | None:
        """``getAttribute("x").controls.forEach(function (c) {…})``: ``c`` is a control of column x."""
        callback = self.functions.get(symbol[0])
        if callback is None or callback.id not in self.callbacks or not callback.params or callback.params[0] != symbol[1]:
            return None
        call, _ = self.callbacks[callback.id]
        receiver = _receiver(call)
        if _method(self.parsed, call) not in _ITERATORS or receiver is None:
            return None
        receiver = unwrap(receiver)
        if receiver.type == "member_expression" and _property(self.parsed, receiver) == "controls":
            holder = unwrap(receiver.child_by_field_name("object"))
            if _method(self.parsed, holder) == "getAttribute":
                names = self._names(_first_argument(holder), self.scope_of(holder), env)
                return [_anchored(UiTarget("attribute", name), anchor) for name, anchor in names]
        return None

    def _call_targets_of(self, call: Node, scope: int, env: Env, depth: int) -> list[UiTarget]:
        """``getControl("x")``, ``getAttribute("x")``, ``ui.tabs.get("t")``, ``tab.sections.get("s")``…"""
        method = _method(self.parsed, call)
        holder = _receiver(call)
        kind, tab = _ACCESSORS.get(method or ""), ""
        if method == "get" and holder is not None and unwrap(holder).type == "member_expression":
            collection = unwrap(holder)
            kind = _COLLECTIONS.get(_property(self.parsed, collection) or "")
            owner = unwrap(collection.child_by_field_name("object"))
            if kind == "section":
                tabs = self.targets(owner, scope, env, depth + 1)
                tab = tabs[0].name if len(tabs) == 1 and tabs[0].kind == "tab" else ""
            elif kind == "control" and _method(self.parsed, owner) == "getAttribute":
                return self._call_targets_of(owner, scope, env, depth + 1)
        if kind is None:
            return []
        names = self._names(_first_argument(call), scope, env)
        return [_anchored(UiTarget(kind, name, tab), anchor) for name, anchor in names]

    def _names(self, node: Node | None, scope: int, env: Env, depth: int = 0) -> list[tuple[str, Node | None]]:
        """The literal names an argument can be on this path, each with the helper call that supplied it."""
        if node is None or depth > _MAX_DEPTH:
            return []
        value = string_value(self.parsed, node)
        if value is not None:
            return [(value, None)]
        node = unwrap(node)
        if node.type == "member_expression":
            constant = self._constant(node, scope)
            return [(constant, None)] if constant is not None else []
        if node.type != "identifier":
            return []
        return [
            (name, anchor or binding.call)
            for binding in self._values(node, scope, env)
            for name, anchor in self._names(binding.value, self.scope_of(binding.value), binding.env, depth + 1)
        ]

    def _constant(self, member: Node, scope: int) -> str | None:
        """The string a namespaced constant holds: ``Contoso.Fields.salary``, ``Form.salaryTab``."""
        chain = self._normalise(member, scope)
        if not chain:
            return None
        constants = self._constants()
        wanted = ".".join(chain)
        if wanted in constants:
            return constants[wanted]
        matches = {value for name, value in constants.items() if name.endswith("." + chain[-1]) and (
            name.endswith("." + wanted) or chain[0] in _SELF_NAMES)}
        return matches.pop() if len(matches) == 1 else None

    def _constants(self) -> dict[str, str]:
        """Strings stored under a dotted name (object-literal properties, class fields, ``A.B = "x"``)."""
        if self._constant_values is None:
            self._constant_values = {}
            for node in self.index.of("string", "template_string"):
                parent = _parent(node)
                if parent is None or parent.type not in _CONSTANT_HOLDERS:
                    continue
                name, value = self._value_name(node), string_value(self.parsed, node)
                if name and value is not None:
                    self._constant_values.setdefault(".".join(name), value)
        return self._constant_values

    def describe(self, call: Node) -> str:
        """A short description of what a hiding call hides, for messages (``control 'contoso_taxid'``)."""
        receiver = _receiver(call)
        scope = self.scope_of(call)
        targets = self.targets(receiver, scope) if receiver is not None else []
        if not targets:
            text = " ".join(self.parsed.text(receiver).split()) if receiver is not None else "the form"
            return f"'{text[:57]}...'" if len(text) > 60 else f"'{text}'"
        return ", ".join(f"{t.kind} '{t.name}'" for t in targets)


class _Read(enum.Enum):
    """How an atom of an expression yields identity: always, or through one of the taint tables."""

    CONSTANT = 1
    TAINTED = 2
    RETURNED = 3
    PROMISED = 4


class _Taint:
    """The fixpoint of identity taint over one script's facts."""

    def __init__(self, flow: ScriptFlow) -> None:
        # The flow keeps its taint: a strong reference back would be a cycle that only the
        # cyclic collector frees, holding the script's tree and indexes until it runs.
        self.flow = weakref.proxy(flow)
        self.parsed = flow.parsed
        self.index = flow.index
        self.tainted: dict[Symbol, Origin] = {}
        self.returns: dict[int, tuple[Origin, Node]] = {}
        self.callback_params: dict[tuple[int, int], Origin] = {}
        self.promises: dict[int, Origin] = {}
        self.entry: dict[int, tuple[Origin, Node]] = {}
        self._fields: dict[int, Symbol | None] = {}
        self.fields = {
            key
            for left, _, _, scope in flow.facts.assignments
            if left.type == "member_expression" and (key := self._field(left)) is not None
        }
        self._memo: dict[int, Origin | None] = {}
        self._reads: dict[tuple[int, int], list[tuple[_Read, Any]]] = {}
        self._changed = False

    def propagate(self) -> None:
        for _ in range(_MAX_ROUNDS):
            self._changed = False
            self._memo = {}
            self._assignments()
            self._returns()
            self._calls()
            if not self._changed:
                break
        self._reads = {}  # the flow is kept with the parse; the few later questions compile their atoms again

    # --- facts

    def _assignments(self) -> None:
        for target, value, statement, scope in self.flow.facts.assignments:
            origin = self.value(value, scope) or self._implicit(value, statement)
            if origin is None:
                continue
            for symbol in self._targets(target, scope):
                self._set(self.tainted, symbol, origin)

    def _returns(self) -> None:
        for function, value, statement in self.flow.facts.returns:
            if function in self.returns:
                continue
            origin = self.value(value, function) or self._implicit(value, statement)
            if origin is not None:
                self._set(self.returns, function, (origin, statement))

    def _calls(self) -> None:
        sites: dict[int, list[tuple[Node, Origin | None]]] = defaultdict(list)
        for call, scope in self.flow.facts.calls:
            args = arguments(call)
            arg_origins = [None if a.type in FUNCTION_TYPES else self.value(a, scope) for a in args]
            targets = self.flow.calls_of(call, scope) if call.type == "call_expression" else []
            guard = self.guard(call) or self._entry_of(scope) if targets else None
            for target in targets:
                self._bind_parameters(target, args, arg_origins)
                sites[target.id].append((call, guard))
            self._pass_to_callbacks(call, scope, args, arg_origins)
            self._mutate(call, scope, arg_origins)
            self._call_parameter(call, scope, arg_origins)
        for target_id, calls in sites.items():
            if all(origin is not None for _, origin in calls) and not _is_handler(self.flow.functions[target_id]):
                call, origin = calls[0]
                self._set(self.entry, target_id, (origin, call))

    def _implicit(self, value: Node, statement: Node) -> Origin | None:
        """``if (role.name === "Admin") isAdmin = true``: a constant set under an identity test encodes the test.

        Only constants count: a record value assigned in an administrator's
        branch (``status = newStatus``) carries the record, not the role.
        """
        return self.guard(statement) if unwrap(value).type in _CONSTANTS else None

    def _bind_parameters(self, target: Function, args: list[Node], origins: list[Origin | None]) -> None:
        for position, (name, arg, origin) in enumerate(zip(target.params, args, origins)):
            if name and origin is not None:
                self._set(self.tainted, (target.id, name), origin)
            callback = self.callback_params.get((target.id, position))
            if callback is not None and arg.type in FUNCTION_TYPES:
                self._taint_parameters(arg, callback)

    def _pass_to_callbacks(self, call: Node, scope: int, args: list[Node], origins: list[Origin | None]) -> None:
        """``roles.forEach(function (role) {…})``, ``query.then(function (result) {…})``: parameters get the taint."""
        callbacks = [arg for arg in args if arg.type in FUNCTION_TYPES]
        if not callbacks:
            return
        receiver = _receiver(call)
        origin = (self.value(receiver, scope) if receiver is not None else None) or next((o for o in origins if o), None)
        if origin is not None:
            for callback in callbacks:
                self._taint_parameters(callback, origin)

    def _mutate(self, call: Node, scope: int, origins: list[Origin | None]) -> None:
        """``names.push(role.name)``: the array now holds identity data."""
        receiver = _receiver(call)
        origin = next((o for o in origins if o), None)
        if origin is not None and receiver is not None and _method(self.parsed, call) in _MUTATORS:
            for symbol in self._targets(unwrap(receiver), scope):
                self._set(self.tainted, symbol, origin)

    def _call_parameter(self, call: Node, scope: int, origins: list[Origin | None]) -> None:
        """A helper calls its callback (or a promise's ``resolve``) with identity data."""
        callee = call.child_by_field_name("function")
        if callee is None or unwrap(callee).type != "identifier":
            return
        origin = next((o for o in origins if o), None) or self.guard(call)
        if origin is None:
            return
        owner, name = self.flow.resolve(self.parsed.text(unwrap(callee)), scope)
        function = self.flow.functions.get(owner)
        if function is None or name not in function.params:
            return
        position = function.params.index(name)
        self._set(self.callback_params, (owner, position), origin)
        executor = self.flow.callbacks.get(owner)
        if position == 0 and executor is not None and executor[0].type == "new_expression":
            self._set(self.promises, executor[0].id, origin)

    def _taint_parameters(self, function: Node, origin: Origin) -> None:
        for name in _params(self.parsed, function):
            if name:
                self._set(self.tainted, (function.id, name), origin)
        for name in _pattern_names(self.parsed, _param_nodes(function)):
            self._set(self.tainted, (function.id, name), origin)

    def _set(self, table: dict, key: object, value: object) -> None:
        if key not in table:
            table[key] = value
            self._changed = True

    def _targets(self, target: Node, scope: int) -> list[Symbol]:
        target = unwrap(target)
        if target.type == "member_expression":
            key = self._field(target)
            return [key] if key is not None else []
        return [self.flow.resolve(name, scope) for name in _pattern_names(self.parsed, [target])]

    def _field(self, node: Node) -> Symbol | None:
        """The field a member expression names; kept, as every round of the fixpoint asks again."""
        if node.id in self._fields:
            return self._fields[node.id]
        chain = member_chain(self.parsed, node)
        field = None if chain is None or len(chain) < 2 or "[]" in chain else (_FIELD_SCOPE, ".".join(strip_window(chain)))
        self._fields[node.id] = field
        return field

    def _entry_of(self, scope: int) -> Origin | None:
        """Identity that decides whether the function holding a call runs at all."""
        while True:
            entry = self.entry.get(scope)
            if entry is not None:
                return entry[0]
            callback = self.flow.callbacks.get(scope)
            if callback is None:
                return None
            scope = self.flow.scope_of(callback[0])

    # --- values

    def guard(self, node: Node) -> Origin | None:
        """The identity a condition around ``node`` reads, if any."""
        for condition, scope in self.flow.facts.guards.get(node.id, ()):
            origin = self.value(condition, scope)
            if origin is not None:
                return origin
        return None

    def value(self, node: Node, scope: int) -> Origin | None:
        """The identity an expression carries: the first identity read found in it, in source order."""
        if node.id in self._memo:
            return self._memo[node.id]
        found = None
        for read, key in self._reads_of(node, scope):
            if read is _Read.CONSTANT:
                found = key
            elif read is _Read.TAINTED:
                found = self.tainted.get(key)
            elif read is _Read.RETURNED:
                found = next((self.returns[target][0] for target in key if target in self.returns), None)
            else:
                found = self.promises.get(key)
            if found is not None:
                break
        self._memo[node.id] = found
        return found

    def _reads_of(self, node: Node, scope: int) -> list[tuple[_Read, Any]]:
        """Where the identity of an expression can come from, in source order: its atoms, compiled.

        The syntax, the names and the call targets do not change between the
        rounds of the fixpoint, so they are read once; each round only looks
        the taint up.
        """
        key = (node.id, scope)
        reads = self._reads.get(key)
        if reads is None:
            reads = self._reads[key] = []
            stack = [node]
            while stack:
                current = stack.pop()
                kind = current.type
                if kind in FUNCTION_TYPES:
                    if current.id in self.flow.callbacks:
                        reads.append((_Read.RETURNED, (current.id,)))
                    continue
                read = self._atom(current, kind, scope)
                if read is not None:
                    reads.append(read)
                stack.extend(reversed(current.named_children))
        return reads

    def _atom(self, node: Node, kind: str, scope: int) -> tuple[_Read, Any] | None:
        if kind in ("identifier", "shorthand_property_identifier"):
            return _Read.TAINTED, self.flow.resolve(self.parsed.text(node), scope)
        if kind == "member_expression":
            what = IDENTITY_PROPERTIES.get(_property(self.parsed, node) or "")
            if what is not None and self._is_user_settings(node.child_by_field_name("object")):
                return _Read.CONSTANT, Origin(what, node)
            key = self._field(node) if self.fields else None
            return (_Read.TAINTED, key) if key in self.fields else None
        if kind == "call_expression":
            what = IDENTITY_CALLS.get(_method(self.parsed, node) or "")
            if what is not None:
                return _Read.CONSTANT, Origin(what, node)
            targets = tuple(target.id for target in self.flow.calls_of(node, scope))
            return (_Read.RETURNED, targets) if targets else None
        if kind == "new_expression":
            return _Read.PROMISED, node.id
        if kind in ("string", "template_string"):
            text = self.parsed.text(node).lower()
            origin = next((Origin(what, node) for table, what in MEMBERSHIP_TABLES if table in text), None)
            return (_Read.CONSTANT, origin) if origin is not None else None
        return None

    def _is_user_settings(self, node: Node | None) -> bool:
        if node is None:
            return False
        chain = self.index.chain(node, through_calls=True)
        return chain is not None and without_calls(chain)[-1:] == ("userSettings",)

    def decision(self, call: Node, scope: int) -> tuple[Origin, Node | None] | None:
        """Why a hiding call hides: its own argument, the condition around it, or a guarded caller."""
        first = _first_argument(call)
        if first is not None and first.type not in FUNCTION_TYPES and (origin := self.value(first, scope)):
            return origin, None
        receiver = _receiver(call)
        if receiver is not None and (origin := self.value(receiver, scope)):
            return origin, None
        for condition, condition_scope in self.flow.facts.guards.get(call.id, ()):
            origin = self.value(condition, condition_scope)
            if origin is not None:
                return origin, condition
        current = scope
        while True:
            entry = self.entry.get(current)
            if entry is not None:
                return entry
            callback = self.flow.callbacks.get(current)
            if callback is None:
                return None
            current = self.flow.scope_of(callback[0])


# ----- syntax helpers ------------------------------------------------------


def _is_handler(function: Function) -> bool:
    """Whether a function looks like an event handler (``onLoad``, ``regionOnChange``): the platform calls it too.

    A helper runs under its callers' conditions only if every caller is
    known; a handler is also called by the form, unconditionally.
    """
    name = function.name.rsplit(".", 1)[-1]
    return bool(_HANDLER_NAME.search(name))


def _parent(node: Node) -> Node | None:
    """The parent, skipping parentheses and TypeScript wrappers."""
    parent = node.parent
    while parent is not None and parent.type in _TRANSPARENT_PARENTS:
        parent = parent.parent
    return parent


def _operator(parsed: ParsedSource, node: Node) -> str:
    operator = node.child_by_field_name("operator")
    return parsed.text(operator) if operator is not None else ""


def _property(parsed: ParsedSource, member: Node) -> str | None:
    prop = member.child_by_field_name("property")
    return parsed.text(prop) if prop is not None else None


def _method(parsed: ParsedSource, call: Node) -> str | None:
    """``setVisible`` of ``x.setVisible(false)``; None for other callees."""
    if call.type != "call_expression":
        return None
    callee = call.child_by_field_name("function")
    callee = unwrap(callee) if callee is not None else None
    if callee is None:
        return None
    if callee.type == "member_expression":
        return _property(parsed, callee)
    if callee.type == "identifier":
        return parsed.text(callee)
    return None


def _receiver(call: Node) -> Node | None:
    callee = call.child_by_field_name("function")
    callee = unwrap(callee) if callee is not None else None
    if callee is not None and callee.type == "member_expression":
        return callee.child_by_field_name("object")
    return None


def _first_argument(call: Node) -> Node | None:
    args = arguments(call)
    return args[0] if args else None


def _anchored(target: UiTarget, call: Node | None) -> UiTarget:
    if call is None or target.anchor is not None:
        return target
    return UiTarget(target.kind, target.name, target.tab, call)


def _param_nodes(function: Node) -> list[Node]:
    single = function.child_by_field_name("parameter")
    if single is not None:
        return [single]
    params = function.child_by_field_name("parameters")
    return [child for child in params.named_children if child.type != "comment"] if params is not None else []


def _params(parsed: ParsedSource, function: Node) -> tuple[str, ...]:
    """Positional parameter names; destructured parameters are an empty name at their position."""
    names = []
    for param in _param_nodes(function):
        target = param
        if target.type in ("required_parameter", "optional_parameter"):
            target = target.child_by_field_name("pattern") or target
        if target.type == "assignment_pattern":
            target = target.child_by_field_name("left") or target
        if target.type == "rest_pattern" and target.named_children:
            target = target.named_children[0]
        names.append(parsed.text(target) if target.type == "identifier" else "")
    return tuple(names)


def _pattern_names(parsed: ParsedSource, nodes: list[Node]) -> list[str]:
    """Names bound by declaration targets and parameter patterns (``{a, b: c}`` binds a and c)."""
    names = []
    stack = list(nodes)
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in ("identifier", "shorthand_property_identifier_pattern"):
            names.append(parsed.text(node))
        elif kind == "pair_pattern":
            value = node.child_by_field_name("value")
            if value is not None:
                stack.append(value)
        elif kind in ("assignment_pattern", "object_assignment_pattern"):
            left = node.child_by_field_name("left")
            if left is not None:
                stack.append(left)
        elif kind in ("required_parameter", "optional_parameter"):
            pattern = node.child_by_field_name("pattern")
            if pattern is not None:
                stack.append(pattern)
        elif kind in ("object_pattern", "array_pattern", "rest_pattern"):
            stack.extend(node.named_children)
    return names


def _namespace(parsed: ParsedSource, node: Node) -> tuple[str, ...]:
    """The TypeScript ``namespace A.B {…}`` names around ``node``."""
    names: list[str] = []
    current = node.parent
    while current is not None:
        if current.type in ("internal_module", "module") and (name := current.child_by_field_name("name")) is not None:
            names[:0] = parsed.text(name).strip("\"'").split(".")
        current = current.parent
    return tuple(names)


def _stored_name(parsed: ParsedSource, argument: Node) -> tuple[str, ...] | None:
    """The namespace an IIFE argument denotes: ``Contoso``, ``window.Contoso = …``, ``Contoso || (Contoso = {})``."""
    node = unwrap(argument)
    if node.type == "assignment_expression":
        node = node.child_by_field_name("left") or node
    elif node.type == "binary_expression":
        node = node.child_by_field_name("left") or node
    chain = member_chain(parsed, node)
    return strip_window(chain) if chain and "[]" not in chain and chain[0] != "this" else None


def _exits(statement: Node | None) -> bool:
    if statement is None:
        return False
    if statement.type in _EXITS:
        return True
    if statement.type == "statement_block":
        body = [child for child in statement.named_children if child.type != "comment"]
        return bool(body) and body[-1].type in _EXITS
    return False


def _regions_of(node: Node, kind: str, scope: int) -> list[_Region]:
    """The code a statement or expression runs only under a condition, with that condition."""

    def region(part: Node | None, condition: Node | None) -> list[_Region]:
        if part is None or condition is None:
            return []
        return [_Region(part.start_byte, part.end_byte, condition, scope)]

    field_ = node.child_by_field_name
    if kind in ("if_statement", "ternary_expression"):
        return region(field_("consequence"), field_("condition")) + region(field_("alternative"), field_("condition"))
    if kind in ("while_statement", "do_statement", "for_statement"):
        return region(field_("body"), field_("condition"))
    if kind == "for_in_statement":
        return region(field_("body"), field_("right"))
    if kind == "switch_statement":
        return region(field_("body"), field_("value"))
    if kind == "binary_expression" and node.child_by_field_name("operator") is not None:
        operator = node.child_by_field_name("operator")
        if operator.type in _LOGICAL:
            return region(field_("right"), field_("left"))
        return []
    if kind in ("statement_block", "program", "switch_case", "switch_default"):
        return _early_exits(node, scope)
    return []


def _early_exits(block: Node, scope: int) -> list[_Region]:
    """``if (!isAdmin) return;``: what follows in the block runs only when the condition is false."""
    regions = []
    for statement in block.named_children:
        if statement.type != "if_statement" or statement.child_by_field_name("alternative") is not None:
            continue
        condition = statement.child_by_field_name("condition")
        if condition is not None and _exits(statement.child_by_field_name("consequence")):
            regions.append(_Region(statement.end_byte, block.end_byte, condition, scope))
    return regions


def reads_identity(text: str) -> bool:
    """Whether a script can read who the user is at all: a cheap test before any analysis."""
    return any(word in text for word in IDENTITY_WORDS)


def flow_of(parsed: ParsedSource) -> ScriptFlow:
    """The flow analysis of a parsed script, built once per parse and shared by the rules that ask.

    The three obscurity rules each walk a solution's scripts in turn, so the
    analysis is kept with the parse rather than in a cache of the last few files.
    """
    return parsed.fact(_flow)


def _flow(parsed: ParsedSource) -> ScriptFlow:
    return ScriptFlow(script_index(parsed))
