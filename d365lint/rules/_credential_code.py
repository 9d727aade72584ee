"""Where string literals go in code: the names that receive them, for the credential rules.

A secret in code is a string literal that something credential-shaped
receives: a variable, field, property or parameter named like a credential
(``clientSecret = "…"``), a dictionary key or header (``{"x-api-key": "…"}``,
``headers.Add("Authorization", "…")``), an object initialiser
(``new Options { Password = "…" }``), a named argument (``password="…"``)
or a positional parameter of a credential API (``new NetworkCredential(user,
"…")``, ``ClientSecretCredential(tenant, client, "…")``). This module finds,
for every literal of a C#, JavaScript/TypeScript or Python file, the name it
is given; :mod:`d365lint.detectors.secrets` judges the value. Reads from
configuration are calls, not literals, and are never candidates.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import tree_sitter

from d365lint.model import Language, Location
from d365lint.parsing.js_helpers import string_value, unwrap
from d365lint.parsing.python import PythonModule
from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily

# Positional parameters of credential APIs: type or method name -> {argument index: what it receives}.
CSHARP_CREDENTIAL_ARGUMENTS: Mapping[str, Mapping[int, str]] = {
    "NetworkCredential": {1: "password"},
    "ClientCredential": {1: "clientSecret"},
    "ClientSecretCredential": {2: "clientSecret"},
    "UsernamePasswordCredential": {1: "password"},
    "UserPasswordCredential": {1: "password"},
    "AuthenticationHeaderValue": {1: "authorization"},
    "WithClientSecret": {0: "clientSecret"},
    "AcquireTokenByUsernamePassword": {2: "password"},
    "StorageCredentials": {1: "accountKey"},
    "StorageSharedKeyCredential": {1: "accountKey"},
    "AzureNamedKeyCredential": {1: "accessKey"},
    "AzureKeyCredential": {0: "apiKey"},
    "AzureSasCredential": {0: "sasToken"},
    "ApiKeyServiceClientCredentials": {0: "apiKey"},
    "TokenCredentials": {0: "accessToken"},
    "BasicAWSCredentials": {1: "secretKey"},
    "CreateSharedAccessSignatureTokenProvider": {1: "sharedAccessKey"},
}
SCRIPT_CREDENTIAL_ARGUMENTS: Mapping[str, Mapping[int, str]] = {
    "ClientSecretCredential": {2: "clientSecret"},
    "UsernamePasswordCredential": {3: "password"},
    "AzureKeyCredential": {0: "apiKey"},
    "AzureSASCredential": {0: "sasToken"},
    "AzureNamedKeyCredential": {1: "accessKey"},
    "StorageSharedKeyCredential": {1: "accountKey"},
}
PYTHON_CREDENTIAL_ARGUMENTS: Mapping[str, Mapping[int, str]] = {
    "ClientSecretCredential": {2: "client_secret"},
    "UsernamePasswordCredential": {2: "password"},
    "ConfidentialClientApplication": {1: "client_credential"},
    "acquire_token_by_username_password": {1: "password"},
    "HTTPBasicAuth": {1: "password"},
    "HTTPDigestAuth": {1: "password"},
    "BasicAuth": {1: "password"},
    "AzureKeyCredential": {0: "api_key"},
    "AzureSasCredential": {0: "sas_token"},
    "AzureNamedKeyCredential": {1: "access_key"},
}
# Calls that turn "user:password" into Basic credentials.
_ENCODERS = frozenset({"GetBytes", "btoa", "from", "b64encode", "encode"})
_BASE64_HINT = compile_lazily(r"base64|btoa|b64encode", re.I)
_COMPARISONS = frozenset({"==", "!=", "===", "!=="})


@dataclass(frozen=True, slots=True)
class Literal:
    """A string literal, its value, and the name of what receives it (empty when nothing named does).

    ``value`` is the literal's text after escapes; ``partial`` says it is
    only part of a value (a piece of an interpolated or concatenated
    string), so it cannot be judged as a whole. ``scheme`` is the scheme
    an ``AuthenticationHeaderValue`` gives the literal. The location is
    computed only for literals that are reported: in a minified script a
    column costs the length of its line.
    """

    value: str
    name: str
    locate: Callable[[], Location] = field(compare=False, repr=False)
    key: object = None
    partial: bool = False
    basic_pair: bool = False
    scheme: str = ""

    @property
    def location(self) -> Location:
        return self.locate()


def known(location: Location) -> Callable[[], Location]:
    """The ``locate`` of a literal whose location is already known (Python's positions are computed at parse time)."""
    return functools.partial(_identity, location)


def _identity(location: Location) -> Location:
    return location


# ---------------------------------------------------------------- tree-sitter (C#, JavaScript, TypeScript)

_CSHARP_STRINGS = frozenset({"string_literal", "verbatim_string_literal", "raw_string_literal", "interpolated_string_expression"})
_SCRIPT_STRINGS = frozenset({"string", "template_string"})
_CSHARP_ESCAPES = compile_lazily(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{1,4}|.)", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def code_literals(parsed: ParsedSource) -> list[Literal]:
    """Every string literal of a C#, JavaScript or TypeScript file with the name that receives it, once per file."""
    return parsed.fact(_code_literals)


_CALLS = frozenset({"object_creation_expression", "invocation_expression", "new_expression", "call_expression"})


def call_nodes(parsed: ParsedSource) -> list[tree_sitter.Node]:
    """Every call and ``new`` expression of a file, in document order."""
    return parsed.of(*_CALLS)


def _outermost_strings(parsed: ParsedSource, csharp: bool) -> list[tree_sitter.Node]:
    """String literals that are not pieces of another (an interpolated string's parts)."""
    strings = _CSHARP_STRINGS if csharp else _SCRIPT_STRINGS
    return [node for node in parsed.of(*strings) if not _inside_string(node, strings)]


def _code_literals(parsed: ParsedSource) -> list[Literal]:
    csharp = parsed.source.language is Language.CSHARP
    nodes = _outermost_strings(parsed, csharp)
    constants = _constants(parsed, nodes) if csharp else {}
    literals: dict[int, Literal] = {}
    for node in nodes:
        value, partial = _tree_string(parsed, node, csharp)
        if value is None:
            continue
        name, scheme = _receiver(parsed, node, csharp)
        literals.setdefault(node.start_byte, Literal(value, name, functools.partial(parsed.location, node), node.start_byte,
                                                     partial or _concatenated(parsed, node), _is_basic_pair(parsed, node), scheme))
    for literal in _resolved_arguments(parsed, constants, csharp):
        literals[literal.key] = literal  # type: ignore[index]  # the parameter it fills names it best
    return [literals[key] for key in sorted(literals)]


def _inside_string(node: tree_sitter.Node, strings: frozenset[str]) -> bool:
    parent = node.parent
    return parent is not None and (parent.type in strings or parent.type in ("interpolation", "template_substitution")
                                   and parent.parent is not None and parent.parent.type in strings)


def _tree_string(parsed: ParsedSource, node: tree_sitter.Node, csharp: bool) -> tuple[str | None, bool]:
    """The literal's value and whether it has interpolations (then only its constant pieces are known)."""
    if not csharp:
        value = string_value(parsed, node)
        if value is not None:
            return value, False
        pieces = [parsed.text(child) for child in node.named_children if child.type == "string_fragment"]
        return "\0".join(pieces), True
    raw = parsed.text(node)
    if node.type == "interpolated_string_expression":
        pieces = [parsed.text(child) for child in node.named_children if child.type in ("string_content", "escape_sequence")]
        return "\0".join(pieces), True
    if node.type == "raw_string_literal":
        return raw.strip('"'), False
    if node.type == "verbatim_string_literal":
        return raw[2:-1].replace('""', '"'), False
    return _CSHARP_ESCAPES.sub(_unescape_csharp, raw[1:-1]), False


def _unescape_csharp(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if escaped[0] in "uUx" and len(escaped) > 1:
        try:
            return chr(int(escaped[1:], 16))
        except (ValueError, OverflowError):
            return "\ufffd"
    return _SIMPLE_ESCAPES.get(escaped, escaped)


def _parent(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The parent, through parentheses, casts and TypeScript wrappers."""
    parent = node.parent
    while parent is not None and parent.type in (
        "parenthesized_expression", "cast_expression", "as_expression", "non_null_expression", "satisfies_expression",
        "equals_value_clause",
    ):
        parent = parent.parent
    return parent


def _concatenated(parsed: ParsedSource, node: tree_sitter.Node) -> bool:
    parent = _parent(node)
    return parent is not None and parent.type == "binary_expression" and _operator(parsed, parent) == "+"


def _operator(parsed: ParsedSource, node: tree_sitter.Node) -> str:
    operator = node.child_by_field_name("operator")
    if operator is not None:
        return parsed.text(operator)
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or right is None:
        return ""
    return parsed.data[left.end_byte : right.start_byte].decode("utf-8", "replace").strip()


def _receiver(parsed: ParsedSource, node: tree_sitter.Node, csharp: bool) -> tuple[str, str]:
    """The name that receives the literal ``node``, and an authorization scheme given with it."""
    parent = _parent(node)
    if parent is None:
        return "", ""
    kind = parent.type
    if kind in ("variable_declarator", "property_declaration", "parameter", "public_field_definition",
                "field_definition", "required_parameter", "optional_parameter"):
        name = parent.child_by_field_name("name") or parent.child_by_field_name("pattern") or parent.child_by_field_name("property")
        return (parsed.text(name) if name is not None and name.type in ("identifier", "property_identifier") else ""), ""
    if kind == "arrow_expression_clause" and parent.parent is not None and parent.parent.type == "property_declaration":
        name = parent.parent.child_by_field_name("name")
        return (parsed.text(name) if name is not None else ""), ""
    if kind in ("assignment_expression", "assignment_pattern") and parent.child_by_field_name("right") == node:
        return _target_name(parsed, parent.child_by_field_name("left")), ""
    if kind == "pair" and parent.child_by_field_name("value") == node:
        return _key_name(parsed, parent.child_by_field_name("key")), ""
    if kind == "binary_expression" and _operator(parsed, parent) in _COMPARISONS:
        other = parent.child_by_field_name("left" if parent.child_by_field_name("right") == node else "right")
        return _target_name(parsed, other), ""
    if kind == "argument":
        named = parent.child_by_field_name("name")
        if named is not None:
            return parsed.text(named), ""
        return _argument_receiver(parsed, parent, parent.parent, csharp)
    if kind == "arguments":
        return _argument_receiver(parsed, node, parent, csharp)
    if kind in ("initializer_expression", "array"):
        return _pair_key(parsed, node, parent.named_children), ""
    return "", ""


def _target_name(parsed: ParsedSource, target: tree_sitter.Node | None) -> str:
    """The last name an assignment target or compared operand spells: ``this.apiKey``, ``headers["Authorization"]``."""
    if target is None:
        return ""
    target = unwrap(target)
    kind = target.type
    if kind in ("identifier", "property_identifier", "shorthand_property_identifier"):
        return parsed.text(target)
    if kind in ("member_access_expression", "member_expression"):
        return _target_name(parsed, target.child_by_field_name("name") or target.child_by_field_name("property"))
    if kind == "subscript_expression":
        return _literal_text(parsed, target.child_by_field_name("index"))
    if kind in ("element_access_expression", "element_binding_expression"):
        arguments = next((c for c in target.named_children if c.type in ("bracketed_argument_list", "argument")), None)
        argument = arguments if arguments is not None and arguments.type == "argument" else (
            arguments.named_children[0] if arguments is not None and arguments.named_children else None)
        return _literal_text(parsed, argument.named_children[-1] if argument is not None and argument.named_children else None)
    return ""


def _key_name(parsed: ParsedSource, key: tree_sitter.Node | None) -> str:
    if key is None:
        return ""
    if key.type == "computed_property_name" and key.named_children:
        return _literal_text(parsed, key.named_children[0])
    return _literal_text(parsed, key) or (parsed.text(key) if key.type == "property_identifier" else "")


def _literal_text(parsed: ParsedSource, node: tree_sitter.Node | None) -> str:
    """The value of a plain string literal node, or "" for anything else."""
    if node is None:
        return ""
    node = unwrap(node)
    if node.type in ("string", "template_string"):
        return string_value(parsed, node) or ""
    if node.type in ("string_literal", "verbatim_string_literal", "raw_string_literal"):
        value, _ = _tree_string(parsed, node, True)
        return value or ""
    return ""


def _pair_key(parsed: ParsedSource, node: tree_sitter.Node, elements: list[tree_sitter.Node]) -> str:
    """``{ "client_secret", "…" }`` or ``["x-api-key", "…"]``: the first of two elements names the second."""
    if len(elements) == 2 and elements[1] == node:
        return _literal_text(parsed, elements[0])
    return ""


def call_name(parsed: ParsedSource, call: tree_sitter.Node | None) -> str:
    """The method or type a call or creation names: ``Add`` for ``headers.Add(…)``, ``NetworkCredential``."""
    if call is None:
        return ""
    target = call.child_by_field_name("type") or call.child_by_field_name("function") or call.child_by_field_name("constructor")
    while target is not None and target.type in ("member_access_expression", "member_expression", "qualified_name",
                                                 "generic_name", "attribute"):
        target = (target.child_by_field_name("name") or target.child_by_field_name("property")
                  or next((c for c in target.named_children if c.type == "identifier"), None))
    return parsed.text(target) if target is not None else ""


def _arguments_of(arguments: tree_sitter.Node | None) -> list[tree_sitter.Node]:
    """Argument expressions (C# ``argument`` nodes unwrapped), comments left out."""
    if arguments is None:
        return []
    values = []
    for child in arguments.named_children:
        if child.type == "comment":
            continue
        values.append(child.named_children[-1] if child.type == "argument" and child.named_children else child)
    return values


def _argument_receiver(parsed: ParsedSource, argument: tree_sitter.Node, arguments: tree_sitter.Node | None,
                       csharp: bool) -> tuple[str, str]:
    """The parameter a positional argument fills: from a credential API's table, or from a key given first."""
    call = arguments.parent if arguments is not None else None
    values = _arguments_of(arguments)
    expression = argument.named_children[-1] if argument.type == "argument" and argument.named_children else argument
    index = next((i for i, value in enumerate(values) if value == expression), -1)
    table = CSHARP_CREDENTIAL_ARGUMENTS if csharp else SCRIPT_CREDENTIAL_ARGUMENTS
    name = table.get(call_name(parsed, call), {}).get(index, "")
    if name == "authorization" and values:
        return name, _literal_text(parsed, values[0])
    if name:
        return name, ""
    if index == 1 and len(values) >= 2:
        return _literal_text(parsed, values[0]), ""
    return "", ""


def _is_basic_pair(parsed: ParsedSource, node: tree_sitter.Node) -> bool:
    """A ``"user:password"`` literal being turned into Basic credentials (``GetBytes``, ``btoa``)."""
    parent = _parent(node)
    arguments = parent.parent if parent is not None and parent.type == "argument" else parent
    if arguments is None or arguments.type not in ("argument_list", "arguments"):
        return False
    if call_name(parsed, arguments.parent) not in _ENCODERS:
        return False
    context = arguments.parent
    for _ in range(5):
        if context is None:
            return False
        if _BASE64_HINT.search(parsed.text(context)):
            return True
        context = context.parent
    return False


def _constants(parsed: ParsedSource, nodes: list[tree_sitter.Node]) -> dict[str, tree_sitter.Node]:
    """Names declared once with a plain literal in this file (``const string Pw = "…"``)."""
    found: dict[str, tree_sitter.Node] = {}
    seen: set[str] = set()
    for node in nodes:
        parent = _parent(node)
        if parent is not None and parent.type == "variable_declarator" and node.type != "interpolated_string_expression":
            name = parent.child_by_field_name("name")
            text = parsed.text(name) if name is not None else ""
            if text in seen:
                found.pop(text, None)
            elif text:
                found[text] = node
            seen.add(text)
    return found


def _resolved_arguments(parsed: ParsedSource, constants: Mapping[str, tree_sitter.Node], csharp: bool) -> Iterator[Literal]:
    """Constants passed by name to a credential API: ``new NetworkCredential(User, ServicePassword)``."""
    if not constants:
        return
    for node in call_nodes(parsed):
        positions = CSHARP_CREDENTIAL_ARGUMENTS.get(call_name(parsed, node), {})
        values = _arguments_of(node.child_by_field_name("arguments"))
        for index, name in positions.items():
            if index < len(values) and values[index].type == "identifier" and parsed.text(values[index]) in constants:
                literal = constants[parsed.text(values[index])]
                value, _ = _tree_string(parsed, literal, csharp)
                scheme = _literal_text(parsed, values[0]) if name == "authorization" else ""
                yield Literal(value or "", name, functools.partial(parsed.location, literal), literal.start_byte, scheme=scheme)


# ---------------------------------------------------------------- Python (libcst)
# libcst is imported only when a Python file is analysed (d365lint.rules._credential_python).


def python_literals(module: PythonModule) -> list[Literal]:
    """Every string literal of a Python file with the name that receives it."""
    from d365lint.rules._credential_python import python_literals as literals

    return literals(module)


def python_calls(module: PythonModule, names: frozenset[str]) -> list[tuple[str, Location]]:
    """Calls of functions or classes named ``names`` (by their last name), where they are."""
    from d365lint.rules._credential_python import python_calls as calls

    return calls(module, names)
