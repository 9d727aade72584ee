"""Where string literals go in Python code, for the credential rules (see :mod:`d365lint.rules._credential_code`).

Kept apart so that libcst is imported only when a Python file is analysed.
"""

from __future__ import annotations

import libcst

from d365lint.model import Location
from d365lint.parsing.python import PythonModule
from d365lint.rules._credential_code import _BASE64_HINT, _ENCODERS, PYTHON_CREDENTIAL_ARGUMENTS, Literal, known


def python_literals(module: PythonModule) -> list[Literal]:
    """Every string literal of a Python file with the name that receives it."""
    collector = _PythonLiterals(module)
    module.module.visit(collector)
    return [collector.found[key] for key in sorted(collector.found, key=lambda key: collector.order[key])]


def _python_string(node: libcst.CSTNode | None) -> str | None:
    """The value of a plain (possibly implicitly concatenated) string or bytes literal."""
    if isinstance(node, (libcst.SimpleString, libcst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except (ValueError, SyntaxError):
            return None
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return value if isinstance(value, str) else None
    return None


def _python_name(node: libcst.CSTNode | None) -> str:
    """The last name of an assignment target: ``API_KEY``, ``self.password``, ``headers["Authorization"]``."""
    if isinstance(node, libcst.Name):
        return node.value
    if isinstance(node, libcst.Attribute):
        return node.attr.value
    if isinstance(node, libcst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, libcst.Index):
        return _python_string(node.slice[0].slice.value) or ""
    return ""


def _python_call_name(call: libcst.Call) -> str:
    return _python_name(call.func)


def python_calls(module: PythonModule, names: frozenset[str]) -> list[tuple[str, Location]]:
    """Calls of functions or classes named ``names`` (by their last name), where they are."""
    collector = _PythonCalls(module, names)
    module.module.visit(collector)
    return collector.found


class _PythonCalls(libcst.CSTVisitor):
    def __init__(self, module: PythonModule, names: frozenset[str]) -> None:
        super().__init__()
        self.module, self.names = module, names
        self.found: list[tuple[str, Location]] = []

    def visit_Call(self, node: libcst.Call) -> None:
        name = _python_call_name(node)
        if name in self.names:
            self.found.append((name, self.module.location(node)))


class _PythonLiterals(libcst.CSTVisitor):
    """Collects each literal once, with the most specific name any context gives it."""

    def __init__(self, module: PythonModule) -> None:
        super().__init__()
        self.module = module
        self.found: dict[int, Literal] = {}
        self.order: dict[int, tuple[int, int]] = {}
        self.docstrings: set[int] = set()

    def _add(self, node: libcst.CSTNode | None, name: str = "", basic_pair: bool = False) -> None:
        value = _python_string(node)
        if value is None or node is None:
            return
        key = id(node)
        if key in self.found and (self.found[key].name or not name):
            return
        location = self.module.location(node)
        self.order[key] = (location.line, location.column)
        self.found[key] = Literal(value, name, known(location), key, basic_pair=basic_pair)

    def visit_SimpleStatementLine(self, node: libcst.SimpleStatementLine) -> None:
        for statement in node.body:
            if isinstance(statement, libcst.Expr) and _python_string(statement.value) is not None:
                self.docstrings.add(id(statement.value))

    def visit_SimpleString(self, node: libcst.SimpleString) -> None:
        if id(node) not in self.docstrings:
            self._add(node)

    def visit_ConcatenatedString(self, node: libcst.ConcatenatedString) -> bool:
        if id(node) not in self.docstrings:
            self._add(node)
        return False

    def visit_FormattedString(self, node: libcst.FormattedString) -> None:
        pieces = [part.value for part in node.parts if isinstance(part, libcst.FormattedStringText)]
        location = self.module.location(node)
        self.order[id(node)] = (location.line, location.column)
        self.found[id(node)] = Literal("\0".join(pieces), "", known(location), id(node), partial=True)

    def visit_Assign(self, node: libcst.Assign) -> None:
        for target in node.targets:
            self._add(node.value, _python_name(target.target))

    def visit_AnnAssign(self, node: libcst.AnnAssign) -> None:
        self._add(node.value, _python_name(node.target))

    def visit_Param(self, node: libcst.Param) -> None:
        self._add(node.default, node.name.value)

    def visit_DictElement(self, node: libcst.DictElement) -> None:
        self._add(node.value, _python_string(node.key) or "")

    def visit_Comparison(self, node: libcst.Comparison) -> None:
        for target in node.comparisons:
            if isinstance(target.operator, (libcst.Equal, libcst.NotEqual)):
                self._add(target.comparator, _python_name(node.left))
                self._add(node.left, _python_name(target.comparator))

    def visit_Call(self, node: libcst.Call) -> None:
        name = _python_call_name(node)
        positions = PYTHON_CREDENTIAL_ARGUMENTS.get(name, {})
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        for index, arg in enumerate(positional):
            self._add(arg.value, positions.get(index, ""))
        if len(positional) >= 2 and _python_string(positional[0].value):
            self._add(positional[1].value, _python_string(positional[0].value) or "")
        for arg in node.args:
            if arg.keyword is not None:
                self._add(arg.value, arg.keyword.value)
                if arg.keyword.value == "auth" and isinstance(arg.value, libcst.Tuple) and len(arg.value.elements) == 2:
                    self._add(arg.value.elements[1].value, "password")
        if name in _ENCODERS and positional and _BASE64_HINT.search(self.module.module.code_for_node(node.func)):
            self._add(_encoded(positional[0].value), basic_pair=True)


def _encoded(node: libcst.BaseExpression) -> libcst.BaseExpression:
    """The literal of ``"user:password".encode()``, or ``node`` itself."""
    if isinstance(node, libcst.Call) and isinstance(node.func, libcst.Attribute) and node.func.attr.value == "encode":
        return node.func.value
    return node

