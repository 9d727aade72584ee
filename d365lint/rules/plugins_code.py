"""Plug-in and workflow-activity rules of Microsoft's solution checker, from source.

The checker's ``il-*`` rules read the compiled IL of plug-in assemblies; in a
repository the C# sources are there, so d365lint reads those (with exact
lines). Where a solution ships only the DLL, the same rules read what its
metadata holds — the framework and SDK members it references — which shows
*that* an assembly calls ``Parallel.ForEach`` or ``new ColumnSet(bool)``, but
not where, nor with which argument. The rules apply to code that runs in
Dataverse: files that use the SDK and are neither client programs (a
``Main`` method, a ``ServiceClient``) nor tests, because parallel calls or
batches are fine in a console tool.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import tree_sitter

from d365lint.detectors.sources import is_server_code, is_test_path, uses_sdk
from d365lint.parsing.assembly import Assembly, MemberRef
from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily
from d365lint.rules._checker import checker_rule, reported_as
from d365lint.rules.base import Finding, Precision, Related, Rule, RuleContext, Severity, Target

BEST_PRACTICES = "https://learn.microsoft.com/power-apps/developer/data-platform/best-practices/"

Unit = ParsedSource | Assembly

# ---------------------------------------------------------------------------
# Reading C# syntax


def _of(parsed: ParsedSource, *types: str) -> list[tree_sitter.Node]:
    """The nodes of ``types`` by start (nodes of an earlier type first when they start together)."""
    index = parsed.nodes().by_type
    return sorted((node for kind in types for node in index.get(kind, ())), key=lambda node: node.start_byte)


def _simple_name(parsed: ParsedSource, node: tree_sitter.Node | None) -> str:
    """The last name of a type or member reference: ``ColumnSet`` for ``Microsoft.Xrm.Sdk.Query.ColumnSet``."""
    while node is not None:
        kind = node.type
        if kind == "identifier":
            return parsed.text(node)
        if kind in ("qualified_name", "member_access_expression", "alias_qualified_name"):
            node = node.child_by_field_name("name")
        elif kind == "generic_name":
            node = next((child for child in node.named_children if child.type == "identifier"), None)
        elif kind == "nullable_type":
            node = node.child_by_field_name("type")
        else:
            return parsed.text(node)
    return ""


def _created_type(parsed: ParsedSource, node: tree_sitter.Node) -> str:
    return _simple_name(parsed, node.child_by_field_name("type"))


def _argument_values(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    args = node.child_by_field_name("arguments")
    if args is None:
        return []
    return [arg.named_children[-1] for arg in args.named_children if arg.type == "argument" and arg.named_children]


def _invocation_parts(parsed: ParsedSource, node: tree_sitter.Node) -> tuple[str, str, tree_sitter.Node | None]:
    """``(receiver text, method name, receiver node)`` of an invocation: ``("Parallel", "ForEach", …)``."""
    function = node.child_by_field_name("function")
    if function is None:
        return "", "", None
    if function.type == "member_access_expression":
        receiver = function.child_by_field_name("expression")
        return (parsed.text(receiver) if receiver is not None else ""), _simple_name(parsed, function), receiver
    return "", _simple_name(parsed, function), None


def _is_true(parsed: ParsedSource, node: tree_sitter.Node | None) -> bool:
    return node is not None and node.type == "boolean_literal" and parsed.text(node) == "true"


def _finding(parsed: ParsedSource, node: tree_sitter.Node, message: str, evidence: str,
             related: tuple[Related, ...] = ()) -> Finding:
    return Finding(message, parsed.location(node), parsed.component, evidence, related)


# Which code runs inside Dataverse

def _is_sdk_code(parsed: ParsedSource) -> bool:
    """Whether the file calls Dataverse through the SDK (plug-in, library or client) and is no test."""
    return uses_sdk(parsed.source.text) and not is_test_path(parsed.source.location.display_path)


def _is_server_code(parsed: ParsedSource) -> bool:
    """Whether the file is plug-in or workflow code (see :func:`d365lint.detectors.sources.is_server_code`)."""
    return is_server_code(parsed.source.text, parsed.source.location.display_path)


def _base_names(parsed: ParsedSource, declaration: tree_sitter.Node) -> list[str]:
    bases = next((child for child in declaration.named_children if child.type == "base_list"), None)
    return [_simple_name(parsed, base) for base in bases.named_children] if bases is not None else []


def _is_plugin_class(parsed: ParsedSource, declaration: tree_sitter.Node) -> bool:
    """A class Dataverse instantiates once and reuses: it implements IPlugin or derives from a plug-in base.

    Not the per-request context objects of plug-in frameworks (``LocalPluginContext : ILocalPluginContext``).
    """
    return any(
        name in ("IPlugin", "CodeActivity") or ("Plugin" in name and "Context" not in name)
        for name in _base_names(parsed, declaration)
    )


# ---------------------------------------------------------------------------
# Rules over source and over assemblies


class AssemblyPattern(NamedTuple):
    """Member references that betray a pattern in a compiled assembly."""

    matches: Callable[[MemberRef], bool]
    describe: str


def _member(full_type: str, *names: str, signature: bytes | None = None) -> Callable[[MemberRef], bool]:
    def matches(ref: MemberRef) -> bool:
        return ref.full_type == full_type and ref.name in names and (signature is None or ref.signature == signature)

    return matches


def _assembly_findings(assembly: Assembly, patterns: Iterable[AssemblyPattern], rule_text: str) -> Iterator[Finding]:
    """One finding per pattern the assembly's member references show."""
    for pattern in patterns:
        hits = sorted({f"{ref.full_type}::{ref.name}" for ref in assembly.member_refs if pattern.matches(ref)})
        if hits:
            yield Finding(
                message=f"Assembly {assembly.name} uses {pattern.describe} ({', '.join(hits)}): {rule_text} "
                "Found in the assembly's metadata; the source shows where.",
                location=assembly.location,
                component=assembly.component,
                evidence=", ".join(hits),
            )


def _dual(
    source_check: Callable[[ParsedSource], Iterator[Finding]],
    patterns: tuple[AssemblyPattern, ...],
    rule_text: str,
    in_scope: Callable[[ParsedSource], bool] = _is_server_code,
) -> Callable[[Unit, RuleContext], Iterator[Finding]]:
    """A check for C# sources in scope (plug-in code unless told) and, through ``patterns``, for compiled assemblies."""

    def check(unit: Unit, context: RuleContext) -> Iterator[Finding]:
        if isinstance(unit, Assembly):
            yield from _assembly_findings(unit, patterns, rule_text)
        elif in_scope(unit):
            yield from source_check(unit)

    return check


# il-specify-column ----------------------------------------------------------

def _specify_column(parsed: ParsedSource) -> Iterator[Finding]:
    for node in _of(parsed, "object_creation_expression", "assignment_expression"):
        if node.type == "object_creation_expression":
            args = _argument_values(node)
            if _created_type(parsed, node) == "ColumnSet" and len(args) == 1 and _is_true(parsed, args[0]):
                yield _finding(parsed, node, "new ColumnSet(true) retrieves every column of the table: name the columns "
                               "the code reads.", "new ColumnSet(true)")
        elif _simple_name(parsed, node.child_by_field_name("left")) == "AllColumns" and _is_true(parsed, node.child_by_field_name("right")):
            yield _finding(parsed, node, "AllColumns = true retrieves every column of the table: name the columns the "
                           "code reads.", "AllColumns = true")


# il-avoid-parallel-plugin ------------------------------------------------------

_PARALLEL_CALLS = {
    "Parallel": {"For", "ForEach", "Invoke"},
    "Task": {"Run", "WhenAll", "WhenAny", "Factory.StartNew"},
    "Task.Factory": {"StartNew"},
    "ThreadPool": {"QueueUserWorkItem", "UnsafeQueueUserWorkItem"},
}


def _avoid_parallel(parsed: ParsedSource) -> Iterator[Finding]:
    for node in _of(parsed, "invocation_expression", "object_creation_expression", "method_declaration"):
        if node.type == "invocation_expression":
            receiver, name, _ = _invocation_parts(parsed, node)
            receiver = receiver.replace("System.Threading.Tasks.", "").replace("System.Threading.", "")
            if name in _PARALLEL_CALLS.get(receiver, ()) or name == "AsParallel":
                call = f"{receiver}.{name}" if receiver and name != "AsParallel" else name
                yield _finding(parsed, node, f"{call}() runs work on other threads inside the plug-in's transaction, which "
                               "is unsupported and can corrupt it: do the work sequentially.", call)
        elif node.type == "object_creation_expression" and _created_type(parsed, node) in ("Thread", "Task") \
                and _argument_values(node):
            # new Task() without a delegate is the Dataverse task activity of early-bound code, not a thread.
            kind = _created_type(parsed, node)
            yield _finding(parsed, node, f"new {kind}(…) starts parallel work inside the plug-in's transaction: do the "
                           "work sequentially.", f"new {kind}")
        elif node.type == "method_declaration" and any(
            child.type == "modifier" and parsed.text(child) == "async" for child in node.named_children
        ):
            name = node.child_by_field_name("name")
            yield Finding(
                "An async method in plug-in code uses the task-based asynchronous pattern, which Microsoft lists as "
                "unsupported in plug-ins: write it synchronously.",
                parsed.location(name or node), parsed.component, f"async {parsed.text(name) if name is not None else ''}",
                severity=Severity.WARNING,
            )


# il-avoid-batch-plugin / il-avoid-specialized-update-ops / il-avoid-unpub-metadata

def _created(types: Mapping[str, str]) -> Callable[[ParsedSource], Iterator[Finding]]:
    """Report ``new T(…)`` of each type in ``types`` (type → message)."""

    def check(parsed: ParsedSource) -> Iterator[Finding]:
        for node in _of(parsed, "object_creation_expression"):
            kind = _created_type(parsed, node)
            if kind in types:
                yield _finding(parsed, node, types[kind], f"new {kind}")

    return check


BATCH_REQUESTS = {
    kind: f"{kind} inside a plug-in or workflow activity multiplies the work of one transaction and risks the "
    "2-minute limit: send the requests one by one (they already run in the caller's transaction)."
    for kind in ("ExecuteMultipleRequest", "ExecuteTransactionRequest")
}
SPECIALIZED_UPDATES = {
    "AssignRequest": "ownerid",
    "SetStateRequest": "statecode and statuscode",
    "SetParentSystemUserRequest": "parentsystemuserid",
    "SetParentTeamRequest": "businessunitid",
    "SetParentBusinessUnitRequest": "parentbusinessunitid",
    "SetBusinessEquipmentRequest": "businessunitid",
    "SetBusinessSystemUserRequest": "businessunitid",
}
_SPECIALIZED_MESSAGES = {
    kind: f"{kind} is a deprecated specialised update: set {columns} in an UpdateRequest (or IOrganizationService.Update)."
    for kind, columns in SPECIALIZED_UPDATES.items()
}
_UNPUBLISHED_REQUESTS = {
    kind: f"{kind} reads unpublished customisations, which are slower to read and may never be published: read "
    "published metadata."
    for kind in ("RetrieveUnpublishedRequest", "RetrieveUnpublishedMultipleRequest")
}


def _avoid_specialized(parsed: ParsedSource) -> Iterator[Finding]:
    yield from _created(_SPECIALIZED_MESSAGES)(parsed)
    for node in _of(parsed, "object_creation_expression"):
        args = _argument_values(node)
        if _created_type(parsed, node) == "OrganizationRequest" and args:
            name = parsed.text(args[0]).strip('"')
            if name in ("Assign", "SetState", "SetStateDynamicEntity"):
                yield _finding(parsed, node, f"The {name} message is a deprecated specialised update: use Update.",
                               f"new OrganizationRequest({name})")


def _avoid_unpublished(parsed: ParsedSource) -> Iterator[Finding]:
    yield from _created(_UNPUBLISHED_REQUESTS)(parsed)
    for node in _of(parsed, "assignment_expression"):
        if _simple_name(parsed, node.child_by_field_name("left")) == "RetrieveAsIfPublished" \
                and _is_true(parsed, node.child_by_field_name("right")):
            yield _finding(parsed, node, "RetrieveAsIfPublished = true reads unpublished metadata, which is slower: read "
                           "published metadata (false).", "RetrieveAsIfPublished = true")


# il-avoid-lock-plugin --------------------------------------------------------

def _avoid_lock(parsed: ParsedSource) -> Iterator[Finding]:
    for node in _of(parsed, "lock_statement", "invocation_expression"):
        if node.type == "lock_statement":
            target = next((child for child in node.named_children if child.type != "block"), None)
            code = parsed.text(target) if target is not None else ""
            yield _finding(parsed, node, f"lock ({code}) in plug-in code serialises every request of the sandbox "
                           "worker on shared state and risks deadlocks and timeouts: keep plug-ins stateless.", f"lock {code}")
        else:
            receiver, name, _ = _invocation_parts(parsed, node)
            if receiver.endswith("Monitor") and name in ("Enter", "TryEnter"):
                yield _finding(parsed, node, f"Monitor.{name}() in plug-in code serialises requests on shared state: "
                               "keep plug-ins stateless.", f"Monitor.{name}")


# il-turn-off-keepalive -------------------------------------------------------

def _keepalive(parsed: ParsedSource) -> Iterator[Finding]:
    text = parsed.source.text
    keepalive_off = re.search(r"\bKeepAlive\s*=\s*false\b", text) is not None
    connection_close = re.search(r"\bConnectionClose\s*=\s*true\b|[\"']Connection[\"']\s*,\s*[\"']close[\"']", text, re.I) is not None
    for node in _of(parsed, "invocation_expression", "object_creation_expression"):
        if node.type == "invocation_expression":
            receiver, name, _ = _invocation_parts(parsed, node)
            if not keepalive_off and receiver.split(".")[-1] in ("WebRequest", "HttpWebRequest") and name in ("Create", "CreateHttp"):
                yield _finding(parsed, node, f"{receiver}.{name}() keeps the connection to the external host alive by "
                               "default, which exhausts the sandbox's connections: set KeepAlive = false.", "WebRequest.Create")
        elif not connection_close and _created_type(parsed, node) == "HttpClient":
            yield _finding(parsed, node, "new HttpClient() keeps connections to the external host alive: set "
                           "DefaultRequestHeaders.ConnectionClose = true.", "new HttpClient")


# plugin-avoid-blocking-call --------------------------------------------------

def _task_variables(parsed: ParsedSource) -> dict[str, bool]:
    """Locals holding a task (declared Task/Task<T>, or given a call of an …Async method), and whether it is HTTP I/O."""
    names: dict[str, bool] = {}
    for declarator in _of(parsed, "variable_declarator"):
        name = declarator.child_by_field_name("name") or next(
            (c for c in declarator.named_children if c.type == "identifier"), None)
        value = next((c for c in declarator.named_children if name is None or c.id != name.id), None)
        declaration = declarator.parent
        declared = _simple_name(parsed, declaration.child_by_field_name("type")) if declaration is not None else ""
        if name is not None and (declared in ("Task", "ValueTask") or (value is not None and _is_async_call(parsed, value))):
            names[parsed.text(name)] = value is not None and _is_io_task(parsed, value, {})
    return names


def _is_async_call(parsed: ParsedSource, node: tree_sitter.Node) -> bool:
    while node.type in ("parenthesized_expression", "await_expression") and node.named_children:
        node = node.named_children[0]
    if node.type != "invocation_expression":
        return False
    _, name, _ = _invocation_parts(parsed, node)
    return name.endswith("Async") or name in ("Run", "StartNew", "Delay", "WhenAll", "WhenAny")


def _is_task(parsed: ParsedSource, node: tree_sitter.Node | None, task_vars: Mapping[str, bool]) -> bool:
    if node is None:
        return False
    return _is_async_call(parsed, node) or (node.type == "identifier" and parsed.text(node) in task_vars)


# HttpClient and HttpContent have no synchronous methods on .NET Framework 4.6.2, which plug-ins target; Microsoft's
# own plug-in sample blocks on them, so those waits are notes, not warnings.
_IO_ASYNC = compile_lazily(r"^(?:Get|Post|Put|Patch|Delete|Send)Async$|^ReadAs\w*Async$|^(?:GetString|GetByteArray|GetStream)Async$")


def _is_io_task(parsed: ParsedSource, node: tree_sitter.Node | None, task_vars: Mapping[str, bool]) -> bool:
    if node is None:
        return False
    if node.type == "identifier":
        return task_vars.get(parsed.text(node), False)
    return node.type == "invocation_expression" and bool(_IO_ASYNC.match(_invocation_parts(parsed, node)[1]))




def _blocking_calls(parsed: ParsedSource) -> Iterator[Finding]:
    task_vars = _task_variables(parsed)
    for node in _of(parsed, "invocation_expression", "member_access_expression"):
        if node.type == "invocation_expression":
            receiver_text, name, receiver = _invocation_parts(parsed, node)
            simple_receiver = receiver_text.split(".")[-1]
            if simple_receiver == "Thread" and name == "Sleep":
                yield _finding(parsed, node, "Thread.Sleep() holds a sandbox worker doing nothing and counts against the "
                               "2-minute limit: schedule the work asynchronously (an asynchronous step or a flow) instead.",
                               "Thread.Sleep")
            elif simple_receiver == "Task" and name in ("WaitAll", "WaitAny"):
                yield _finding(parsed, node, f"Task.{name}() blocks the plug-in on other threads' work: do the work "
                               "sequentially.", f"Task.{name}")
            elif name == "Wait" and _is_task(parsed, receiver, task_vars):
                yield _blocking(parsed, node, receiver, task_vars, f"{receiver_text}.Wait()")
            elif name == "GetResult" and receiver is not None and receiver.type == "invocation_expression" \
                    and _invocation_parts(parsed, receiver)[1] == "GetAwaiter":
                awaited = _invocation_parts(parsed, receiver)[2]
                yield _blocking(parsed, node, awaited, task_vars, "GetAwaiter().GetResult()")
        else:
            name_node = node.child_by_field_name("name")
            receiver = node.child_by_field_name("expression")
            if name_node is not None and parsed.text(name_node) == "Result" and _is_task(parsed, receiver, task_vars):
                yield _blocking(parsed, node, receiver, task_vars, f"{parsed.text(receiver)}.Result")


def _blocking(parsed: ParsedSource, node: tree_sitter.Node, task: tree_sitter.Node | None,
              task_vars: Mapping[str, bool], evidence: str) -> Finding:
    """A wait on a task; a note when the task is HTTP I/O, which has no synchronous API in the sandbox."""
    if _is_io_task(parsed, task, task_vars):
        message = (f"'{evidence}' blocks the sandbox worker on an HTTP call. The sandbox's HttpClient has no "
                   "synchronous API, so this is the usual pattern: make sure HttpClient.Timeout is well below the "
                   "2-minute limit of the plug-in.")
        return Finding(message, parsed.location(node), parsed.component, evidence, severity=Severity.NOTE)
    return _finding(parsed, node, f"'{evidence}' blocks the sandbox worker until the task ends and can deadlock: "
                    "call the synchronous API instead.", evidence)


# plugin-avoid-stateful-class ---------------------------------------------------

class _Field(NamedTuple):
    name: str
    node: tree_sitter.Node
    static: bool
    readonly: bool
    volatile: bool


def _fields(parsed: ParsedSource, declaration: tree_sitter.Node) -> dict[str, _Field]:
    body = declaration.child_by_field_name("body")
    fields: dict[str, _Field] = {}
    for member in body.named_children if body is not None else []:
        if member.type != "field_declaration":
            continue
        modifiers = {parsed.text(c) for c in member.named_children if c.type == "modifier"}
        if "const" in modifiers:
            continue
        variables = next((c for c in member.named_children if c.type == "variable_declaration"), None)
        for declarator in variables.named_children if variables is not None else []:
            if declarator.type == "variable_declarator":
                name = declarator.child_by_field_name("name") or next(
                    (c for c in declarator.named_children if c.type == "identifier"), None)
                if name is not None:
                    fields[parsed.text(name)] = _Field(
                        parsed.text(name), declarator, "static" in modifiers, "readonly" in modifiers, "volatile" in modifiers
                    )
    return fields


def _local_names(parsed: ParsedSource, method: tree_sitter.Node) -> frozenset[str]:
    """Parameters and locals of a method: they shadow fields of the same name."""
    names = set()
    for node in _walk_types(method, ("parameter", "variable_declarator")):
        name = node.child_by_field_name("name") or next((c for c in node.named_children if c.type == "identifier"), None)
        if name is not None:
            names.add(parsed.text(name))
    return frozenset(names)


def _walk_types(node: tree_sitter.Node, types: tuple[str, ...]) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in types:
            yield current
        stack.extend(reversed(current.named_children))


def _assignment_operator(parsed: ParsedSource, node: tree_sitter.Node) -> str:
    operator = node.child_by_field_name("operator")
    if operator is not None:
        return parsed.text(operator)
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    if left is None or right is None:
        return "="
    return parsed.data[left.end_byte:right.start_byte].decode("utf-8", "replace").strip()


def _is_lazy_initialisation(parsed: ParsedSource, write: tree_sitter.Node) -> bool:
    """``field ??= value``, ``field = field ?? value`` or ``field ?? (field = value)``."""
    operator = _assignment_operator(parsed, write)
    if operator == "??=":
        return True
    target, value = write.child_by_field_name("left"), write.child_by_field_name("right")
    if operator == "=" and target is not None and value is not None and value.type == "binary_expression" \
            and _assignment_operator(parsed, value) == "??":
        first = value.child_by_field_name("left")
        if first is not None and parsed.text(first) == parsed.text(target):
            return True
    outer = write.parent
    while outer is not None and outer.type == "parenthesized_expression":
        outer = outer.parent
    if outer is None or outer.type != "binary_expression" or _assignment_operator(parsed, outer) != "??":
        return False
    left, target = outer.child_by_field_name("left"), write.child_by_field_name("left")
    return left is not None and target is not None and parsed.text(left) == parsed.text(target)


def _written_field(parsed: ParsedSource, target: tree_sitter.Node | None, fields: Mapping[str, _Field],
                   locals_: frozenset[str]) -> _Field | None:
    if target is None:
        return None
    if target.type == "identifier" and parsed.text(target) not in locals_:
        return fields.get(parsed.text(target))
    if target.type == "member_access_expression":
        receiver = target.child_by_field_name("expression")
        is_this = receiver is None or parsed.text(receiver) == "this"
        return fields.get(_simple_name(parsed, target)) if is_this else None
    return None


def _stateful_classes(parsed: ParsedSource) -> Iterator[Finding]:
    for declaration in _of(parsed, "class_declaration"):
        if not _is_plugin_class(parsed, declaration):
            continue
        # readonly fields cannot be written after construction; volatile ones say the author designed for concurrency.
        fields = {name: f for name, f in _fields(parsed, declaration).items() if not f.readonly and not f.volatile}
        if not fields:
            continue
        reported: set[str] = set()
        bases = next((parsed.text(child) for child in declaration.named_children if child.type == "base_list"), "")
        what = "workflow activity" if re.search(r"\bCodeActivity\b", bases) else "plug-in"
        body = declaration.child_by_field_name("body")
        for method in body.named_children if body is not None else []:
            if method.type not in ("method_declaration", "property_declaration", "local_function_statement"):
                continue
            locals_ = _local_names(parsed, method)
            for write in _walk_types(method, ("assignment_expression", "postfix_unary_expression", "prefix_unary_expression")):
                target = write.child_by_field_name("left") if write.type == "assignment_expression" else (
                    write.named_children[0] if write.named_children else None)
                if write.type != "assignment_expression" and not re.search(r"\+\+|--", parsed.text(write)):
                    continue
                if write.type == "assignment_expression" and _is_lazy_initialisation(parsed, write):
                    continue  # lazy initialisation of a cache: idempotent
                field = _written_field(parsed, target, fields, locals_)
                if field is None or field.name in reported:
                    continue
                reported.add(field.name)
                kind = "static field" if field.static else "field"
                yield _finding(
                    parsed, write,
                    f"The {what} writes its {kind} '{field.name}' outside the constructor; Dataverse caches one "
                    "instance and runs it for many requests at once, so they overwrite each other's state: keep "
                    "per-request data in local variables.",
                    f"{parsed.text(declaration.child_by_field_name('name') or declaration)}.{field.name}",
                    (Related(f"'{field.name}' is declared here", parsed.location(field.node)),),
                )


# ---------------------------------------------------------------------------
# Metadata patterns for compiled assemblies

_SDK_QUERY = "Microsoft.Xrm.Sdk.Query"
_MESSAGES = ("Microsoft.Xrm.Sdk.Messages", "Microsoft.Crm.Sdk.Messages")
_BOOL_CTOR = bytes.fromhex("20010102")  # instance void .ctor(bool)


def _created_in(namespaces: tuple[str, ...], *types: str) -> Callable[[MemberRef], bool]:
    return lambda ref: ref.name == ".ctor" and ref.namespace in namespaces and ref.type_name in types


SPECIFY_COLUMN_REFS = (
    AssemblyPattern(_member(f"{_SDK_QUERY}.ColumnSet", ".ctor", signature=_BOOL_CTOR), "new ColumnSet(bool), which selects all columns when true"),
    AssemblyPattern(_member(f"{_SDK_QUERY}.ColumnSet", "set_AllColumns"), "ColumnSet.AllColumns"),
)
PARALLEL_REFS = (
    AssemblyPattern(_member("System.Threading.Tasks.Parallel", "For", "ForEach", "Invoke"), "parallel loops"),
    AssemblyPattern(_member("System.Threading.Tasks.Task", "Run", "WhenAll", "WhenAny"), "tasks on other threads"),
    AssemblyPattern(_member("System.Threading.Tasks.TaskFactory", "StartNew"), "tasks on other threads"),
    AssemblyPattern(_member("System.Threading.Thread", ".ctor"), "new threads"),
    AssemblyPattern(_member("System.Threading.ThreadPool", "QueueUserWorkItem", "UnsafeQueueUserWorkItem"), "thread-pool work"),
    AssemblyPattern(_member("System.Linq.ParallelEnumerable", "AsParallel"), "PLINQ"),
    AssemblyPattern(lambda ref: ref.namespace == "System.Runtime.CompilerServices" and ref.type_name.startswith("AsyncTaskMethodBuilder"),
                    "async methods"),
)
BATCH_REFS = (AssemblyPattern(_created_in(_MESSAGES, *BATCH_REQUESTS), "batch requests"),)
SPECIALIZED_REFS = (AssemblyPattern(_created_in(_MESSAGES, *SPECIALIZED_UPDATES), "deprecated specialised update requests"),)
UNPUBLISHED_REFS = (
    AssemblyPattern(_created_in(_MESSAGES, *_UNPUBLISHED_REQUESTS), "requests for unpublished customisations"),
)
LOCK_REFS = (AssemblyPattern(_member("System.Threading.Monitor", "Enter", "TryEnter"), "locks (a lock statement compiles to Monitor.Enter)"),)
BLOCKING_REFS = (
    AssemblyPattern(_member("System.Threading.Thread", "Sleep"), "sleeping"),
    AssemblyPattern(_member("System.Threading.Tasks.Task", "Wait", "WaitAll", "WaitAny"), "waiting on tasks"),
    AssemblyPattern(_member("System.Threading.Tasks.Task`1", "get_Result"), "blocking on task results"),
    AssemblyPattern(lambda ref: ref.type_name.startswith("TaskAwaiter") and ref.name == "GetResult"
                    and ref.namespace == "System.Runtime.CompilerServices", "blocking on task results"),
)


def _keepalive_assembly(assembly: Assembly, context: RuleContext) -> Iterator[Finding]:
    refs = assembly.member_refs
    web_request = any(r.type_name in ("WebRequest", "HttpWebRequest") and r.name in ("Create", "CreateHttp") for r in refs)
    keepalive_set = any(r.type_name == "HttpWebRequest" and r.name == "set_KeepAlive" for r in refs)
    client = any(r.full_type == "System.Net.Http.HttpClient" and r.name == ".ctor" for r in refs)
    close_set = any(r.name == "set_ConnectionClose" for r in refs)
    found = [what for what, hit in (("WebRequest.Create without KeepAlive", web_request and not keepalive_set),
                                    ("HttpClient without ConnectionClose", client and not close_set)) if hit]
    if found:
        yield Finding(
            message=f"Assembly {assembly.name} calls external hosts ({'; '.join(found)}): set KeepAlive = false "
            "(or ConnectionClose = true) so that the sandbox does not run out of connections (found in metadata).",
            location=assembly.location,
            component=assembly.component,
            evidence="; ".join(found),
        )


def _check_keepalive(unit: Unit, context: RuleContext) -> Iterator[Finding]:
    if isinstance(unit, Assembly):
        yield from _keepalive_assembly(unit, context)
    elif _is_server_code(unit):
        yield from _keepalive(unit)


def _check_stateful(unit: Unit, context: RuleContext) -> Iterator[Finding]:
    if isinstance(unit, ParsedSource) and _is_server_code(unit):
        yield from _stateful_classes(unit)


# ---------------------------------------------------------------------------
# The rules


_FROM_SOURCE = ("It reads compiled IL; d365lint reads the C# source, or the member references of a DLL when no source "
                "is at hand.")


def _rule(rule_id: str, name: str, summary: str, severity: Severity, check: Callable[[Unit, RuleContext], Iterator[Finding]],
          *, link: str, checker: bool = True, assembly: bool = True, **details: Any) -> Rule:
    """A plug-in rule over C# sources and, unless told, compiled assemblies."""
    origin = f"{reported_as(rule_id, link)} {_FROM_SOURCE}" if checker else f"See Microsoft's guidance: {link}."
    tags = ("plug-in", *details.pop("tags", ()))
    return checker_rule(rule_id, name, summary, severity, check, target=Target.CSHARP, lang="csharp", link=link,
                        origin=origin, checker=checker, also=(Target.ASSEMBLY,) if assembly else (), tags=tags, reads=(),
                        **details)


_SCOPE = ("Only code that runs in Dataverse is checked: C# files that name the plug-in or workflow contracts "
          "(`IPlugin`, `CodeActivity`, `IPluginExecutionContext`, `ITracingService`, …) and are not client programs or "
          "tests; in a DLL, its member references.")
_SDK_SCOPE = ("Every C# file that uses the SDK (`Microsoft.Xrm.Sdk`, `IOrganizationService`) is checked, tests "
              "excepted — the guidance holds for clients too; in a DLL, its member references.")

RULES = (
    _rule(
        "il-specify-column", "SpecifyColumn", "A query retrieves all columns (ColumnSet(true) or AllColumns = true).",
        Severity.WARNING,
        _dual(_specify_column, SPECIFY_COLUMN_REFS, "name the columns the code reads.", _is_sdk_code),
        tags=("performance",),
        what=f"`new ColumnSet(true)` and `AllColumns = true`. {_SDK_SCOPE}",
        why="Retrieving every column reads, transfers and deserialises far more data than the code uses, and fires "
        "Retrieve plug-ins with needless data; queries get slower as the table grows.",
        fix="Pass the logical names of the columns the code reads: `new ColumnSet(\"name\", \"creditlimit\")`.",
        bad='var account = service.Retrieve("account", id, new ColumnSet(true));',
        good='var account = service.Retrieve("account", id, new ColumnSet("name", "creditlimit"));',
        link=BEST_PRACTICES + "work-with-metadata/retrieve-specific-columns-entity-via-query-apis",
    ),
    _rule(
        "il-avoid-parallel-plugin", "AvoidParallelPlugin", "Plug-in code runs work in parallel (threads, tasks, Parallel, async).",
        Severity.ERROR,
        _dual(_avoid_parallel, PARALLEL_REFS, "multi-threading inside plug-ins is unsupported; do the work sequentially."),
        tags=("reliability",), precision=Precision.HIGH,
        what="`Parallel.For/ForEach/Invoke`, `Task.Run`, `Task.Factory.StartNew`, `Task.WhenAll/WhenAny`, `new Thread`, "
        f"`new Task`, `ThreadPool.QueueUserWorkItem`, `AsParallel()` and `async` methods. {_SCOPE}",
        why="A plug-in runs inside one database transaction; calls from other threads corrupt it (\"The transaction "
        "active in this session has been committed or aborted by another session\") and the SDK objects are not "
        "thread-safe.",
        fix="Process items one after the other; move work that must not block the user to an asynchronous step.",
        bad="Parallel.ForEach(contacts, c => service.Update(c));",
        good="foreach (var c in contacts) { service.Update(c); }",
        link=BEST_PRACTICES + "business-logic/do-not-use-parallel-execution-in-plug-ins",
    ),
    _rule(
        "il-avoid-batch-plugin", "AvoidBatchPlugin", "Plug-in code sends ExecuteMultiple or ExecuteTransaction requests.",
        Severity.WARNING,
        _dual(_created(BATCH_REQUESTS), BATCH_REFS, "inside plug-ins, send the requests one by one."),
        tags=("performance",),
        what=f"`new ExecuteMultipleRequest` and `new ExecuteTransactionRequest`. {_SCOPE}",
        why="Batch requests exist to cut round trips from clients; inside a plug-in there is no round trip to save, "
        "while the batch holds locks longer and makes the 2-minute limit likelier.",
        fix="Execute the requests individually; they already share the plug-in's transaction.",
        bad="var batch = new ExecuteMultipleRequest { Requests = requests };\nservice.Execute(batch);",
        good="foreach (var request in requests) { service.Execute(request); }",
        link=BEST_PRACTICES + "business-logic/avoid-batch-requests-plugin",
    ),
    _rule(
        "il-avoid-specialized-update-ops", "AvoidSpecializedUpdateOps", "Code uses a deprecated specialised update request.",
        Severity.WARNING,
        _dual(_avoid_specialized, SPECIALIZED_REFS, "set the columns in an UpdateRequest instead.", _is_sdk_code),
        tags=("upgrade-readiness",),
        what="`AssignRequest`, `SetStateRequest`, `SetParentSystemUserRequest`, `SetParentTeamRequest`, "
        "`SetParentBusinessUnitRequest`, `SetBusinessEquipmentRequest`, `SetBusinessSystemUserRequest`, and "
        f"`OrganizationRequest` for Assign/SetState. {_SDK_SCOPE}",
        why="These messages are deprecated: Update sets the same columns, fires one set of plug-ins, and keeps "
        "integrations simple.",
        fix="Update the record with the column set (`ownerid`, `statecode` and `statuscode`, `parentsystemuserid`, …).",
        bad="service.Execute(new SetStateRequest { EntityMoniker = target, State = new OptionSetValue(1), Status = new OptionSetValue(2) });",
        good='var update = new Entity(target.LogicalName, target.Id) { ["statecode"] = new OptionSetValue(1), ["statuscode"] = new OptionSetValue(2) };\nservice.Update(update);',
        link="https://learn.microsoft.com/power-apps/developer/data-platform/special-update-operation-behavior",
    ),
    _rule(
        "il-avoid-lock-plugin", "AvoidLockPlugin", "Plug-in code takes a lock.",
        Severity.WARNING,
        _dual(_avoid_lock, LOCK_REFS, "keep plug-ins stateless instead of synchronising shared state."),
        tags=("reliability",),
        what=f"`lock` statements and `Monitor.Enter`/`TryEnter`. {_SCOPE}",
        why="A lock in a plug-in guards state shared between requests — which plug-ins must not have — and makes "
        "concurrent requests queue behind each other, risking timeouts and deadlocks with database locks.",
        fix="Remove the shared state: keep per-request data in locals, and cache with a thread-safe structure such "
        "as `ConcurrentDictionary` if you must.",
        bad="lock (Sync) { counter++; }",
        good="var counter = 0; // per request",
        link=BEST_PRACTICES + "business-logic/develop-iplugin-implementations-stateless",
    ),
    _rule(
        "il-turn-off-keepalive", "TurnOffKeepAlive", "Plug-in code calls an external host with keep-alive on.",
        Severity.WARNING, _check_keepalive, tags=("reliability",), precision=Precision.MEDIUM,
        what="`WebRequest.Create`/`HttpWebRequest.Create` in a file that never sets `KeepAlive = false`, and "
        f"`new HttpClient()` in a file that never sets `ConnectionClose = true`. {_SCOPE}",
        why="Connections kept alive to external hosts pile up in the sandbox and calls start to fail intermittently.",
        fix="Set `request.KeepAlive = false`, or `client.DefaultRequestHeaders.ConnectionClose = true`.",
        bad="var client = new HttpClient();\nvar response = client.GetAsync(url).Result;",
        good="var client = new HttpClient();\nclient.DefaultRequestHeaders.ConnectionClose = true;",
        link=BEST_PRACTICES + "business-logic/set-keepalive-false-interacting-external-hosts-plugin",
    ),
    _rule(
        "il-avoid-unpub-metadata", "AvoidUnpubMetadata", "Code reads unpublished metadata.",
        Severity.WARNING,
        _dual(_avoid_unpublished, UNPUBLISHED_REFS, "read published metadata."),
        tags=("performance",),
        what=f"`RetrieveUnpublishedRequest`, `RetrieveUnpublishedMultipleRequest` and `RetrieveAsIfPublished = true`. {_SCOPE}",
        why="Unpublished metadata is slower to read and may describe customisations that never ship.",
        fix="Read published metadata: leave `RetrieveAsIfPublished` false.",
        bad="var request = new RetrieveEntityRequest { LogicalName = \"account\", RetrieveAsIfPublished = true };",
        good="var request = new RetrieveEntityRequest { LogicalName = \"account\", RetrieveAsIfPublished = false };",
        link=BEST_PRACTICES + "work-with-metadata/retrieve-published-metadata",
    ),
    _rule(
        "plugin-avoid-blocking-call", "PluginAvoidBlockingCall", "Plug-in code sleeps or blocks on a task.",
        Severity.WARNING,
        _dual(_blocking_calls, BLOCKING_REFS, "call synchronous APIs, and do not sleep in plug-ins."),
        checker=False, tags=("reliability",), precision=Precision.HIGH,
        what="`Thread.Sleep`, `Task.WaitAll/WaitAny`, and `.Wait()`, `.Result` or `.GetAwaiter().GetResult()` on "
        f"a task (a call of an …Async method, or a variable holding one). {_SCOPE}",
        why="A plug-in must finish within 2 minutes, holding a sandbox worker and a database transaction all along; "
        "sleeping or blocking on asynchronous work wastes both and can deadlock on the synchronisation context. "
        "This complements the checker's il-avoid-parallel-plugin, which reports the task-based pattern itself.",
        fix="Use synchronous APIs (for HTTP, `HttpWebRequest` with `KeepAlive = false`, or `HttpClient.Send` on "
        ".NET versions that have it); move retries and waits to an asynchronous step or a flow.",
        bad="var body = client.GetAsync(url).Result.Content.ReadAsStringAsync().Result;\nThread.Sleep(5000);",
        good="var request = (HttpWebRequest)WebRequest.Create(url);\nrequest.KeepAlive = false;\nusing (var response = request.GetResponse()) { /* … */ }",
        link=BEST_PRACTICES + "business-logic/do-not-use-parallel-execution-in-plug-ins",
    ),
    _rule(
        "plugin-avoid-stateful-class", "PluginAvoidStatefulClass", "A plug-in class writes its own fields while it runs.",
        Severity.ERROR, _check_stateful, checker=False, assembly=False, tags=("reliability",), precision=Precision.HIGH,
        what="In classes that implement `IPlugin`, derive from `CodeActivity` or from a plug-in base class: writes "
        "to instance fields or static fields from any method other than a constructor (including `this.field = …`, "
        "compound assignments and `++`). Lazy initialisation (`f ??= …`, `f = f ?? …`, `f ?? (f = …)`), `readonly` "
        "and `volatile` fields, and the per-request context classes of plug-in frameworks (`LocalPluginContext`) are "
        "left alone. Assemblies are not checked: metadata does not show field writes.",
        why="Dataverse creates one instance of a plug-in class and runs it for many requests, on several threads at "
        "once. A field written during one request is read by another: data of one user leaks into another's "
        "operation, and failures appear only under load.",
        fix="Keep everything a request needs in local variables or parameters; read configuration in the constructor "
        "into readonly fields.",
        bad="private IOrganizationService service;\npublic void Execute(IServiceProvider provider)\n{\n    service = factory.CreateOrganizationService(context.UserId);\n}",
        good="public void Execute(IServiceProvider provider)\n{\n    var service = factory.CreateOrganizationService(context.UserId);\n}",
        link=BEST_PRACTICES + "business-logic/develop-iplugin-implementations-stateless",
    ),
)
