"""Microsoft's solution checker rules for web resources, offline.

Every rule keeps the id the solution checker reports (``web-…``) and the
meaning of the matching rule of ``@microsoft/eslint-plugin-power-apps`` or
``@microsoft/eslint-plugin-sdl``, which is what the checker runs in the cloud.
Where those rules miss a common spelling (a variable standing for
``Xrm.Page.context``, a URL built by concatenation, ``$.ajax`` outside a
declaration) d365lint follows it too; where they report something harmless
(an XML namespace as an "insecure URL", a page's own DOM in an HTML web
resource) d365lint does not. The README's solution checker coverage table lists the
differences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import tree_sitter

from d365lint.parsing.html import has_liquid
from d365lint.parsing.js_helpers import (
    CALL,
    INDEX,
    WINDOW_NAMES,
    Chain,
    ScriptIndex,
    arguments,
    dotted,
    is_false_literal,
    json_string,
    script_index,
    string_value,
    strip_window,
    unwrap,
    without_calls,
)
from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily
from d365lint.rules._checker import checker_rule
from d365lint.rules.base import Finding, Precision, Rule, RuleContext, Severity, Target

CHECKER = "https://learn.microsoft.com/power-apps/maker/data-platform/powerapps-checker/rules/web/"
SDL = "https://github.com/microsoft/eslint-plugin-sdl/blob/main/docs/rules/"
CLIENT_API_DEPRECATIONS = "https://learn.microsoft.com/power-platform/important-changes-coming#some-client-apis-are-deprecated"

Check = Callable[[ParsedSource, RuleContext], Iterator[Finding]]

# ---------------------------------------------------------------------------
# Building blocks


def _evidence(parsed: ParsedSource, node: tree_sitter.Node) -> str:
    """The code of ``node`` on one line: stable when lines move, short enough to read."""
    text = " ".join(parsed.text(node).split())
    return text if len(text) <= 160 else text[:157] + "..."


def _finding(parsed: ParsedSource, node: tree_sitter.Node, message: str, evidence: str | None = None) -> Finding:
    return Finding(
        message=message,
        location=parsed.location(node),
        component=parsed.component,
        evidence=evidence if evidence is not None else _evidence(parsed, node),
    )


def _is_html_page(parsed: ParsedSource) -> bool:
    """Whether the script is a block of an HTML web resource (its own page, not a form)."""
    names = (parsed.source.location.display_path, parsed.source.web_resource or "")
    return any(name.lower().endswith((".htm", ".html")) for name in names)


# Scripts that are not web resources of the app: build and test tooling (Node runs it) and vendored libraries,
# which their authors maintain (the checker's users exclude them with ExcludedFileNamePattern, e.g. "*jquery*").
_NOT_APP_SCRIPT = compile_lazily(
    r"(^|/)(node_modules|__tests__|__mocks__)/"
    r"|\.(mjs|cjs)$|(^|/)[^/]*\.(config|conf|test|spec)\.[cm]?[jt]sx?$|(^|/)(gulpfile|gruntfile|webpack\.[^/]*|\.eslintrc)\.[cm]?js$"
    r"|\.min\.js$|(^|/)(jquery|bootstrap|knockout|moment|lodash|underscore|require|json2|handlebars|angular|react|vue|d3"
    r"|ckeditor|tinymce|codemirror|select2|html2canvas|html2pdf|jspdf|pdfmake|papaparse|xlsx|crypto-js|polyfills?)"
    r"([.-][^/]*)?\.js$",
    re.I,
)


def _is_app_script(parsed: ParsedSource) -> bool:
    """Whether the script runs in the app: not tooling, tests or a vendored library."""
    names = (parsed.source.web_resource or "", parsed.source.location.display_path)
    return not any(_NOT_APP_SCRIPT.search(name) for name in names if name)


def _app_scripts_only(check: Check) -> Check:
    def guarded(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
        if _is_app_script(parsed):
            yield from check(parsed, context)

    return guarded


def _is_typescript(parsed: ParsedSource) -> bool:
    return parsed.source.language.value == "typescript"


def _names(ix: ScriptIndex, node: tree_sitter.Node) -> Chain | None:
    """What ``node`` names once aliases, calls and window hops are set aside."""
    chain = ix.chain(node, through_calls=True)
    return strip_window(without_calls(chain)) if chain else None


# The names Client API chains start with (window hops and calls aside): every rule that reads
# ``_member_chains`` looks for chains rooted here, so member expressions rooted elsewhere are skipped.
_CLIENT_API_ROOTS = frozenset({"Xrm", "GetGlobalContext", "Microsoft", "CrmEncodeDecode", "Mscrm", "MSCRM", "XUI"})


def _root(chain: Chain) -> str | None:
    """The first name of ``strip_window(without_calls(chain))``, without building either."""
    last = None
    for segment in chain:
        if segment == CALL:
            continue
        if segment not in WINDOW_NAMES:
            return segment
        last = segment
    return last


# The word a member expression's text starts with: its innermost name when that is an identifier.
_LEADING_WORD = compile_lazily(rb"[A-Za-z_$\\\x80-\xff][\w$\\\x80-\xff]*")


def _leading_word(ix: ScriptIndex, node: tree_sitter.Node) -> str | None:
    """The identifier ``node``'s text starts with (``a`` of ``a.b().c``), or None when it starts otherwise."""
    match = _LEADING_WORD.match(ix.parsed.data, node.start_byte)
    return match.group().decode("utf-8", "replace") if match else None


def _may_lead_to_client_api(ix: ScriptIndex, word: str) -> bool:
    """Whether a chain starting with the name ``word`` can be rooted in ``_CLIENT_API_ROOTS``.

    Through an alias, the chain starts with what the alias stands for; a
    window hop (``window``, ``parent``, an alias of ``window``) leaves the
    root to the rest of the chain, so it may.
    """
    if word in _CLIENT_API_ROOTS or word in WINDOW_NAMES:
        return True
    if word not in ix.aliases:
        return False
    root = _root(ix.resolve((word,)))
    return root is None or root in _CLIENT_API_ROOTS or root in WINDOW_NAMES


def _member_chains(ix: ScriptIndex) -> tuple[tuple[tree_sitter.Node, tuple[Chain, ...]], ...]:
    """Each member expression of the Client API with what it names, through calls: resolved through aliases, and as written.

    Both spellings count, as in ESLint's rules: after ``Xrm = frame.getXrm()``,
    ``Xrm.Page`` still means the Client API. Only chains rooted in
    ``_CLIENT_API_ROOTS`` are kept: scripts are mostly ``formContext`` chains,
    which no rule reading this looks at.
    """
    found: list[tuple[tree_sitter.Node, tuple[Chain, ...]]] = []
    if not ix.mentions("Xrm", "GetGlobalContext", "Mscrm", "MSCRM", "XUI", "CrmEncodeDecode", "Microsoft.Crm"):
        return ()
    aliases = ix.aliases
    candidate_words: dict[str, bool] = {}
    for node in ix.of("member_expression"):
        word = _leading_word(ix, node)
        if word is not None and word not in candidate_words:
            candidate_words[word] = _may_lead_to_client_api(ix, word)
        if word is not None and not candidate_words[word]:
            continue  # rooted in a local object (formContext, this…): its chain cannot start in the Client API
        written = ix.chain(node, through_calls=True, resolve=False)
        if written is None:
            continue
        resolved = ix.chain(node, through_calls=True) if written[0] in aliases else written
        if _root(written) in _CLIENT_API_ROOTS or (resolved is not written and _root(resolved) in _CLIENT_API_ROOTS):
            found.append((node, tuple(dict.fromkeys((resolved, written)))))
    return tuple(found)


def _members_by_name(ix: ScriptIndex) -> dict[Chain, list[tuple[tree_sitter.Node, Chain]]]:
    """Member expressions by the Client API name they spell (window hops and calls set aside).

    Restricted-member rules look their few names up here instead of visiting
    every member expression of the file.
    """
    index: dict[Chain, list[tuple[tree_sitter.Node, Chain]]] = {}
    for node, chains in ix.derived(_member_chains):
        for names in dict.fromkeys(strip_window(without_calls(chain)) for chain in chains):
            chain = next(c for c in chains if strip_window(without_calls(c)) == names)
            index.setdefault(names, []).append((node, chain))
    return index


def _callee(call: tree_sitter.Node) -> tree_sitter.Node | None:
    return call.child_by_field_name("function") or call.child_by_field_name("constructor")


def _callee_names(ix: ScriptIndex, call: tree_sitter.Node) -> Chain | None:
    callee = _callee(call)
    return _names(ix, callee) if callee is not None else None


def _property(node: tree_sitter.Node, parsed: ParsedSource) -> str | None:
    """The property name of a member expression (``a.b`` → ``b``)."""
    node = unwrap(node)
    if node.type != "member_expression":
        return None
    prop = node.child_by_field_name("property")
    return parsed.text(prop) if prop is not None else None


def _object(node: tree_sitter.Node) -> tree_sitter.Node | None:
    node = unwrap(node)
    return node.child_by_field_name("object") if node.type == "member_expression" else None


def _is_global(ix: ScriptIndex, name: str) -> bool:
    """A global the file does not shadow with its own declaration."""
    return name not in ix.declared_names


def _is_stringish(node: tree_sitter.Node, parsed: ParsedSource) -> bool:
    """A string, template or ``+`` concatenation with a string in it: code passed as text."""
    node = unwrap(node)
    if node.type in ("string", "template_string"):
        return True
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is not None and parsed.text(operator) == "+":
            return any(_is_stringish(side, parsed) for side in (node.child_by_field_name("left"), node.child_by_field_name("right")) if side is not None)
    return False


def _rule(rule_id: str, name: str, summary: str, severity: Severity, check: Check, **details: Any) -> Rule:
    """A web-resource rule: scripts of the app only, tagged as such."""
    tags = ("web-resource", *details.pop("tags", ()))
    return checker_rule(rule_id, name, summary, severity, _app_scripts_only(check), target=Target.SCRIPT, lang="js",
                        tags=tags, reads=(), **details)


# ---------------------------------------------------------------------------
# Restricted members: the Client API members Microsoft deprecated or removed.


def _restricted_members(table: Mapping[Chain, str], *, allow: Callable[[ParsedSource, Chain], bool] | None = None) -> Check:
    """A check reporting each member expression that names an entry of ``table``.

    Names are compared after aliases, calls and window hops are resolved, so
    ``parent.Xrm.Page``, ``var ctx = Xrm.Page.context; ctx.getOrgLcid()`` and
    ``Xrm.Utility.getGlobalContext().getServerUrl()`` are all found.
    """

    outside = {names[0] for names in table} - _CLIENT_API_ROOTS
    if outside:
        raise ValueError(f"restricted members rooted outside _CLIENT_API_ROOTS: {sorted(outside)}")

    def check(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
        ix = script_index(parsed)
        index = ix.derived(_members_by_name)
        hits = {
            node.id: (node, message)
            for names, message in table.items()
            for node, chain in index.get(names, ())
            if allow is None or not allow(parsed, chain)
        }
        for node, message in sorted(hits.values(), key=lambda hit: hit[0].start_byte):
            yield _finding(parsed, node, message.format(code=_evidence(parsed, node)))

    return check


def _chains(*names: str) -> list[Chain]:
    return [tuple(name.split(".")) for name in names]


_CONTEXTS_2011 = ("Xrm.Page.context", "Xrm.Utility.getGlobalContext", "GetGlobalContext")
AVOID_2011_API = {
    **{
        chain: "'{code}' was removed: use getClientUrl() instead of getServerUrl()."
        for chain in _chains(*(f"{c}.getServerUrl" for c in _CONTEXTS_2011))
    },
    **{
        chain: "'{code}' was removed with Dynamics 365 and has no replacement: use the Web API or the current Client API."
        for chain in _chains(*(f"{c}.getAuthenticationHeader" for c in _CONTEXTS_2011))
    },
    **{
        chain: "'{code}' was removed: use client.getClient() and client.getClientState() of the global context."
        for chain in _chains(*(f"{c}.{m}" for c in _CONTEXTS_2011 for m in ("isOutlookClient", "isOutlookOnline")))
    },
    ("Xrm", "Page", "ui", "getCurrentControl"): "'{code}' was removed (deprecated since CRM 2013) and has no replacement.",
}
IS_ACTIVITY_TYPE = {
    ("Xrm", "Utility", "isActivityType"): "'{code}' is deprecated: use Xrm.Utility.getEntityMetadata() and its IsActivity "
    "property (asynchronous, so return a promise from ribbon rules).",
}
CLIENT_CONTEXT = {
    ("Xrm", "Page"): "'{code}' is deprecated: use the form context from executionContext.getFormContext().",
}
GLOBAL_CONTEXT = {
    ("Xrm", "Page", "context"): "'{code}' is deprecated: use Xrm.Utility.getGlobalContext().",
}
ORG_SETTINGS = {
    ("Xrm", "Page", "context", "getIsAutoSaveEnabled"): "'{code}' is deprecated: use "
    "Xrm.Utility.getGlobalContext().organizationSettings.isAutoSaveEnabled.",
    ("Xrm", "Page", "context", "getOrgLcid"): "'{code}' is deprecated: use "
    "Xrm.Utility.getGlobalContext().organizationSettings.languageId.",
    ("Xrm", "Page", "context", "getOrgUniqueName"): "'{code}' is deprecated: use "
    "Xrm.Utility.getGlobalContext().organizationSettings.uniqueName.",
}
NAVIGATION_API = {
    ("Xrm", "Utility", "alertDialog"): "'{code}' is deprecated: use Xrm.Navigation.openAlertDialog().",
    ("Xrm", "Utility", "confirmDialog"): "'{code}' is deprecated: use Xrm.Navigation.openConfirmDialog().",
    ("Xrm", "Utility", "openEntityForm"): "'{code}' is deprecated: use Xrm.Navigation.openForm().",
    ("Xrm", "Utility", "openQuickCreate"): "'{code}' is deprecated: use Xrm.Navigation.openForm().",
    ("Xrm", "Utility", "openWebResource"): "'{code}' is deprecated: use Xrm.Navigation.openWebResource().",
    ("Xrm", "Navigation", "openDialog"): "'{code}' is not a published API: use Xrm.Navigation.navigateTo().",
}
OFFLINE = {
    ("Xrm", "Mobile", "offline"): "'{code}' uses the legacy Xrm.Mobile.offline namespace: use Xrm.WebApi.offline.",
}
APP_SIDE_PANE = {
    ("Xrm", "Panel", "loadPanel"): "'{code}' supports a single pane only and is being replaced: use "
    "Xrm.App.sidePanes.createPane().",
}


def _parent_xrm_in_html_page(parsed: ParsedSource, chain: Chain) -> bool:
    """``parent.Xrm.Page`` in an HTML web resource: Microsoft's documented way to reach the form."""
    return _is_html_page(parsed) and chain[0] in WINDOW_NAMES


# ---------------------------------------------------------------------------
# Security (SDL) rules


def _is_document(chain: Chain | None) -> bool:
    """``document``, ``window.document``, ``parent.document``, ``myWindow.document``."""
    if not chain or chain[-1] != "document":
        return False
    return all(seg in WINDOW_NAMES or seg == "this" or seg.lower().endswith("window") for seg in chain[:-1])


def check_no_cookies(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for node in ix.members_named("cookie"):
        obj = _object(node)
        if obj is not None and _is_document(ix.chain(obj)):
            yield _finding(parsed, node, f"'{_evidence(parsed, node)}' uses HTTP cookies: keep client state in Web Storage "
                           "or IndexedDB, and leave session cookies to the platform.")


def check_no_document_domain(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    if not ix.mentions("domain"):
        return
    for node in ix.of("assignment_expression"):
        left = node.child_by_field_name("left")
        obj = _object(left) if left is not None else None
        if left is not None and _property(left, parsed) == "domain" and obj is not None and _is_document(ix.chain(obj)):
            yield _finding(parsed, node, "Writing document.domain relaxes the same-origin policy for the page; "
                           "use postMessage with an explicit origin instead.")


def check_no_document_write(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named("write", "writeln"):
        callee = _callee(call)
        obj = _object(callee) if callee is not None else None
        if callee is not None and obj is not None \
                and _is_document(ix.chain(obj)) and arguments(call):
            yield _finding(parsed, call, f"'{_evidence(parsed, callee)}' writes unsanitised markup into the page: "
                           "build elements with document.createElement() and set textContent.")


def check_no_html_method(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named("html"):
        callee = _callee(call)
        args = arguments(call)
        if callee is None or _property(callee, parsed) != "html" or len(args) != 1:
            continue
        if string_value(parsed, args[0]) == "" or unwrap(args[0]).type == "null":
            continue
        yield _finding(parsed, call, f"'{_evidence(parsed, callee)}(…)' writes unsanitised markup into the page: "
                       "use .text() or build elements.")


_INNER_HTML = compile_lazily(r"innerHTML|outerHTML")


def check_no_inner_html(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    if not ix.mentions("HTML"):
        return
    for node in ix.of("assignment_expression", "augmented_assignment_expression"):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        prop = _property(left, parsed) if left is not None else None
        if prop is None or not _INNER_HTML.search(prop) or string_value(parsed, right) == "":
            continue
        yield _finding(parsed, node, f"Assigning {prop} writes unsanitised markup into the page: set textContent or build elements.")
    for call in ix.calls_named("insertAdjacentHTML"):
        callee = _callee(call)
        args = arguments(call)
        if callee is not None and call.type == "call_expression" and len(args) == 2 \
                and string_value(parsed, args[1]) != "":
            yield _finding(parsed, call, "insertAdjacentHTML() writes unsanitised markup into the page: use insertAdjacentText() or build elements.")


_INSECURE_URL = compile_lazily(r"^(ftp|http|telnet|ws)://", re.I)
# The SDL plug-in's exceptions, plus XML namespace names: an xmlns is an identifier, never fetched.
_INSECURE_URL_EXCEPTIONS = compile_lazily(
    r"^http://(schemas\.microsoft\.com|schemas\.openxmlformats\.org|schemas\.xmlsoap\.org|schemas\.datacontract\.org"
    r"|docs\.oasis-open\.org|(www\.)?w3\.org|localhost(?=[:/]|$)|127\.0\.0\.1(?=[:/]|$))",
    re.I,
)


def check_no_insecure_url(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for run in ix.string_runs:
        for piece in run.pieces:
            if piece.node is not None and _INSECURE_URL.match(piece.text) and not _INSECURE_URL_EXCEPTIONS.match(piece.text):
                url = piece.text.split()[0] if piece.text.split() else piece.text
                yield _finding(parsed, piece.node, f"{json_string(url)} uses an unencrypted protocol: use https:// (or wss://, ftps://).", url)


def check_no_msapp_exec_unsafe(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named("execUnsafeLocalFunction"):
        if _callee_names(ix, call) == ("MSApp", "execUnsafeLocalFunction"):
            yield _finding(parsed, call, "MSApp.execUnsafeLocalFunction() turns off script-injection validation.")


def check_no_postmessage_star(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named("postMessage"):
        callee = _callee(call)
        args = arguments(call)
        if callee is not None and _property(callee, parsed) == "postMessage" and 2 <= len(args) <= 3 \
                and string_value(parsed, args[1]) == "*":
            yield _finding(parsed, call, "postMessage(…, \"*\") sends the data to whatever page the target window shows: "
                           "name the receiving origin.")


_WINJS_UNSAFE = frozenset({"insertAdjacentHTMLUnsafe", "setInnerHTMLUnsafe", "setOuterHTMLUnsafe"})


def check_no_winjs_html_unsafe(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named(*_WINJS_UNSAFE):
        names = _callee_names(ix, call)
        if names and len(names) == 3 and names[:2] == ("WinJS", "Utilities"):
            yield _finding(parsed, call, f"WinJS.Utilities.{names[2]}() skips input validation: use the method without 'Unsafe'.")


_TIMER_FUNCTIONS = frozenset({"setTimeout", "setInterval", "setImmediate", "execScript"})


def check_avoid_eval(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named("eval", "Function", *_TIMER_FUNCTIONS):
        names = _callee_names(ix, call)
        if not names or len(names) != 1 or not _is_global(ix, names[0]):
            continue
        args = arguments(call)
        if names[0] == "eval" and call.type == "call_expression":
            yield _finding(parsed, call, "eval() runs a string as code: parse data with JSON.parse and call functions directly.")
        elif names[0] == "Function":
            yield _finding(parsed, call, "The Function constructor compiles a string into code, like eval(): use a real function.")
        elif names[0] in _TIMER_FUNCTIONS and args and _is_stringish(args[0], parsed):
            yield _finding(parsed, call, f"{names[0]}() with a string evaluates it as code: pass a function instead.")


# ---------------------------------------------------------------------------
# Synchronous requests (web-use-async)

_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "MERGE"})
_JQUERY_AJAX = frozenset(
    f"{root}.{name}" for root in ("$", "jQuery") for name in ("ajax", "ajaxSetup", "get", "getJSON", "getScript", "post", "ajaxPrefilter")
)
# XrmServiceToolkit REST and SOAP: index of the async flag (from the ESLint plug-in's tables).
_XST_REST_ASYNC_ARG = {"Create": 4, "Delete": 4, "Retrieve": 6, "Disassociate": 6, "Update": 5, "RetrieveMultiple": 5, "Associate": 7}
_XST_SOAP_CALLBACK_ARG = {
    **dict.fromkeys(("Create", "Update", "Execute", "RetrieveMultiple", "QueryByAttribute", "QueryAll", "GrantAccess",
                     "ModifyAccess", "RevokeAccess", "RetrievePrincipalAccess"), 1),
    **dict.fromkeys(("Delete", "Fetch", "RetrieveAllEntitiesMetadata"), 2),
    **dict.fromkeys(("Retrieve", "RetrieveEntityMetadata", "RetrieveAttributeMetadata"), 3),
    **dict.fromkeys(("SetState", "Assign"), 4),
    **dict.fromkeys(("Associate", "Disassociate"), 5),
}
_XST_SOAP_ALWAYS_SYNC = frozenset({"GetCurrentUserBusinessUnitId", "GetCurrentUserId", "GetCurrentUserRoles", "IsCurrentUserRole"})
_SDK_SYNC = frozenset({"associate", "create", "del", "disassociate", "execute", "retrieve", "retrieveMultiple", "update"})
_ASYNC_LIBRARY_METHODS = tuple(
    {name.split(".")[1] for name in _JQUERY_AJAX} | set(_XST_REST_ASYNC_ARG) | set(_XST_SOAP_CALLBACK_ARG)
    | _XST_SOAP_ALWAYS_SYNC | _SDK_SYNC
)


def _is_xhr_construction(ix: ScriptIndex, node: tree_sitter.Node) -> bool:
    node = unwrap(node)
    if node.type != "new_expression":
        return False
    names = _callee_names(ix, node)
    if names == ("XMLHttpRequest",):
        return True
    args = arguments(node)
    value = string_value(ix.parsed, args[0]) if args else None
    return names == ("ActiveXObject",) and value is not None and "xmlhttp" in value.lower()


def _assignment_pairs(ix: ScriptIndex) -> Iterator[tuple[tree_sitter.Node, tree_sitter.Node]]:
    for node in ix.of("variable_declarator"):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is not None and value is not None:
            yield name, value
    for node in ix.of("assignment_expression"):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None:
            yield left, right


def _holders(ix: ScriptIndex, is_value: Callable[[ScriptIndex, tree_sitter.Node], bool]) -> frozenset[Chain]:
    """Variables and properties assigned a value ``is_value`` accepts."""
    return frozenset(
        chain for target, value in _assignment_pairs(ix)
        if is_value(ix, value) and (chain := ix.chain(target, through_calls=True)) is not None
    )


def _is_construction(ix: ScriptIndex, node: tree_sitter.Node) -> bool:
    return unwrap(node).type == "new_expression"


def _false_variables(ix: ScriptIndex) -> frozenset[str]:
    """Variables only ever given ``false`` (or another falsy literal)."""
    falsy: set[str] = set()
    other: set[str] = set()
    for target, value in _assignment_pairs(ix):
        if target.type == "identifier":
            (falsy if is_false_literal(ix.parsed, value) else other).add(ix.parsed.text(target))
    return frozenset(falsy - other)


def _is_sync_flag(ix: ScriptIndex, node: tree_sitter.Node | None, false_vars: frozenset[str]) -> bool:
    if node is None:
        return False
    node = unwrap(node)
    return is_false_literal(ix.parsed, node) or (node.type == "identifier" and ix.parsed.text(node) in false_vars)


def _async_false_option(ix: ScriptIndex, node: tree_sitter.Node | None, false_vars: frozenset[str]) -> bool:
    """An options object ``{ async: false }``."""
    if node is None or unwrap(node).type != "object":
        return False
    for pair in unwrap(node).named_children:
        key = pair.child_by_field_name("key") if pair.type == "pair" else None
        if key is not None and (string_value(ix.parsed, key) or ix.parsed.text(key)) == "async" \
                and _is_sync_flag(ix, pair.child_by_field_name("value"), false_vars):
            return True
    return False


def _sync_library_call(names: Chain, args: list[tree_sitter.Node], ix: ScriptIndex, false_vars: frozenset[str]) -> bool:
    if len(names) != 3:
        return False
    root, method = names[:2], names[2]
    if root == ("XrmServiceToolkit", "Rest") and method in _XST_REST_ASYNC_ARG and len(args) > 3:
        position = _XST_REST_ASYNC_ARG[method]
        return len(args) == position or (len(args) > position and _is_sync_flag(ix, args[position], false_vars))
    if root == ("XrmServiceToolkit", "Soap"):
        if method in _XST_SOAP_ALWAYS_SYNC:
            return True
        position = _XST_SOAP_CALLBACK_ARG.get(method)
        if position is None or not args:
            return False
        if len(args) <= position:
            return True
        callback = unwrap(args[position])
        return callback.type in ("null", "undefined") or ix.parsed.text(callback) == "undefined"
    return root == ("Sdk", "Sync") and method in _SDK_SYNC


def check_use_async(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    calls = ix.calls_named("open", *_ASYNC_LIBRARY_METHODS)
    if not calls:
        return
    holders = _holders(ix, _is_xhr_construction)
    false_vars = _false_variables(ix)
    for call in calls:
        callee = _callee(call)
        if callee is None or call.type != "call_expression":
            continue
        args = arguments(call)
        names = _names(ix, callee)
        if _property(callee, parsed) == "open" and len(args) >= 3 and _is_sync_flag(ix, args[2], false_vars):
            receiver = _object(callee)
            receiver_chain = ix.chain(receiver, through_calls=True) if receiver is not None else None
            method = string_value(parsed, args[0])
            if (receiver is not None and _is_xhr_construction(ix, receiver)) or receiver_chain in holders \
                    or (method is not None and method.upper() in _HTTP_METHODS):
                yield _finding(parsed, call, f"'{_evidence(parsed, callee)}(…, false)' sends a synchronous request and freezes "
                               "the form until the server answers: pass true and handle onreadystatechange, or use Xrm.WebApi.")
        elif names and dotted(names) in _JQUERY_AJAX and args and _async_false_option(ix, args[0], false_vars):
            yield _finding(parsed, call, f"'{dotted(names)}({{ async: false }})' sends a synchronous request: "
                           "drop async: false and continue in the promise.")
        elif names and _sync_library_call(names, args, ix, false_vars):
            yield _finding(parsed, call, f"'{dotted(names)}' is called synchronously: pass a callback (or async true), "
                           "or replace the library with Xrm.WebApi.")


# ---------------------------------------------------------------------------
# URLs in strings


def _string_rule(needles: Iterable[str], message: str, *, absolute_only: bool = False) -> Check:
    """Report strings (concatenations included) that contain one of ``needles``, ignoring case."""
    lowered = tuple(needle.lower() for needle in needles)

    def check(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
        ix = script_index(parsed)
        present = tuple(needle for needle in lowered if needle in ix.all_strings)  # most scripts hold none
        if not present:
            return
        for run, original, text in ix.string_texts:
            if absolute_only and not _ABSOLUTE_URL.match(text.lstrip()):
                continue
            for needle in present:
                offset = text.find(needle)
                if offset >= 0:
                    value = original.replace("\x00", "…")
                    yield _finding(parsed, run.node_at(offset), message.format(url=json_string(value)), value)
                    break

    return check


_ABSOLUTE_URL = compile_lazily(r"^[a-z][a-z0-9+.-]*://")
DATAVERSE_ENDPOINTS = (
    "/api/data/v",
    "/api/discovery/v",
    "/xrmservices/2011/organization.svc",
    "/xrmservices/2011/organizationdata.svc",
    "/xrmservices/2011/discovery.svc",
    "/mscrmservices/2007/crmservice.asmx",
    "/mscrmservices/2007/metadataservice.asmx",
    "/mscrmservices/2007/ad/crmdiscoveryservice.asmx",
    "/mscrmservices/2007/spla/crmdiscoveryservice.asmx",
    "/mscrmservices/2007/passport/crmdiscoveryservice.asmx",
)

# ---------------------------------------------------------------------------
# Unpublished API (web-avoid-unpub-api), lists from the ESLint plug-in

_SUPPORTED_XRM = frozenset({"Page", "Utility", "Mobile", "WebApi", "Navigation", "Encoding", "Device", "Panel", "App"})
_UNSUPPORTED_NAMESPACES = frozenset({"CrmEncodeDecode", "Mscrm", "MSCRM", "XUI"})
_UNSUPPORTED_GLOBAL_OBJECTS = frozenset(
    """APPLICATION_VERSION APPLICATION_FULL_VERSION AUTO_SAVE_ENABLED CLIENT_MAJOR_VERSION IS_CLAIMS IS_LIVE IS_ONPREMISE
    IS_OUTLOOK_14_CLIENT IS_OUTLOOK_CLIENT IS_OUTLOOK_LAPTOP_CLIENT IS_PATHBASEDURLS IS_PREVIEW_ORG IS_SANDBOX_ORG IS_SPLA
    IS_UEIP_ENABLED IsDuplicateDetectionEnabled IsDuplicateDetectionEnabledFormOnlineCreateUpdate REQ_ID USER_GUID USER_ROLES
    WEB_APP_URL WEB_RESOURCE_ORG_VERSION_NUMBER WEB_SERVER_HOST WEB_SERVER_PORT YAMMER_APP_ID YAMMER_GROUP_ID
    YAMMER_HAS_CONFIGURE_PRIVILEGE YAMMER_IS_CONFIGURED_FOR_ORG YAMMER_IS_CONFIGURED_FOR_USER YAMMER_IS_INSTALLED
    YAMMER_NETWORK_NAME YAMMER_POST_METHOD YAMMER_TOKEN_EXPIRED YAMMER_YAMMEREMBED_TIMESTAMP YAMMER_YAMMEREMBED_WRPCTOKEN
    crmFormSubmit crmGrid crmTopBar crmNavBar crmContentPanel crmNotifications""".split()
)
_UNSUPPORTED_GLOBAL_CALLS = frozenset(
    """addElementSipRequest addIsvParameters addPassiveAuthParameters addSipRequest AsyncResultHandler
    attachWindowOnBeforeUnload attachWindowOnUnload AuthExpiryReminder buildWindowFeatures buildWinName cancelSignIn
    catchError checkForAllScriptsLoaded CheckForDuplicates CheckReminderState closeCurrentWindow closeOutlookWindow
    closeSession closeTabletExperienceError closeWindow closeWindowScript CommandParameter compareGuids ConcatenateUrl
    ConstructPopUp createGuid createMainUrl createPresenceControlInfo createPresenceInfo createPresenceInfoArray
    CreateXslTemplate CreateXslTemplateByXml crmCreate CrmEncodeDecodeLibrary CRMWindowInfo customErrorHandler
    destroyPresenceControlInstance detachWindowOnBeforeUnload detachWindowOnUnload displayNavTourOnFirstRun
    executeDialogCloseCallback executeOnBeforeUnloadHandlers executeOnUnloadHanlders findAndRefreshGrids finishPreload
    formatString formatUrlForToken genericRefreshGridCallback getCrmGrid GetCrmWrpcToken getDialogArguments
    getDialogReturnValue getDomEventElement GetEntityIdAndDisplayName getFormMode getGridId getGridRecords
    getHomePageQueryStringParams getHomePageUrlForRecordPage getIconPath getImageLocation getInlineDialogArguments
    getMainPageManager getNavigationMode getOutlookHostedWindow getOutlookMajorVersion getPageManager getPageUrl
    getPreloadInfo getPresenceUri getRecordPageQueryStringParams getRecordUrl getStickyViewIdForSubAreaPage
    getTodayBarHtml GetTokenasQS getViewUrl GetWindowInformation getWindowInformation getWindowOpenTimeJson
    getXmlFromExecuteRibbonCommand getXYPos goTo HandleKeysForCalPopUp handlePopupBlockerError handleXMLErr
    hasSipAttribute HideActionMsg InitDateVars IsActionMsgShow IsActivityTypeCode isComingFromReport isControlVisible
    isDigit isEditMode isHelpContext isHompageUrl isInlinedDialog isNewPageModel IsOutlook14Client IsOutlookHostedWindow
    IsOutlookInstance isPreloadComplete isPresenceType isRibbonControlEnabled isRibbonControlVisible isRichClient
    IsUserDefinedEntityObjectTypeCode isValidForStickyViews LaunchCalendar LaunchInlineCalendar loadCachedPage
    loadCommandData loadHelp loadRibbonData loadScriptAdv loadScriptsAdv loadXmlDocument loadXmlDocumentAsFreeThreaded
    LocalDateTimeNow MainAspxPageOnload masterWindow notifyOnAllScriptsLoaded openErrorDlg openErrorDlgWithDetailedInfo
    openFrmObj openFrmObject openInPlace openIsvWin openItem openObj openObject openObjEtn openObjEx openPopup openStdDlg
    openStdDlgWithCallback openStdWin openStdWinWithFeatures openStdWinWithUrlPreload openUrl openUrlByCrmUrl
    pendingEmailApprovalAction performActionAfterSwitch performActionAfterViewDuplicates popOutSourceUrl
    populateWindowArgumentsForDialog preloadPage promptAndReportScriptErrors QualifyLeadSuppressDeDup raiseEvent
    raiseRibbonRootEvent raiseTabSwitchEvent ReadyStateChanged refreshCurrentGrid refreshParentGrid refreshRibbon
    RefreshServiceCalendar refreshWorkflowGrid ReInitializeAuthExpireReminder reloadReadForm reportScriptError
    ribbonDebugAlert safeEmailWindowOpen safeWindowOpen safeWindowShowModalDialog safeWindowShowModelessDialog
    SetCrmWrpcToken SetDateValues SetDefaultStyles setElementSize SetFieldRequiredOrRecommended setFocusOnLastRibbonControl
    setFocusOnRibbon setFormMode setPreloadPageParameters setSelectedControl setSizeMaintainRatio SetTokenInHeader
    shouldLaunchPageInOutlookHostWindow showAuthDiv showHelp ShowSessionExpired showTabletExperienceError signin
    startLoadContent storeScriptCrashData Trim TrimSpaces TryRefreshWebGrid unloadRibbonData
    ValidateStartDateIsSmallerThanEndDate validateUrlProtocol ViewXml waitForContentToStartLoaded waitForJScriptsToLoad
    ShowAppNav IsValid SubmitCrmForm IsReadyToClose detachCloseAlert RunReport Print BuildXml BuildXmlToSubmitForm
    SetFieldReqLevel SetAllFieldsToNonReqLevel displayMissingValue GetLabelControl FireSaveEvent HideField
    VerifyFieldIsSet SetDeferredCmdId CheckFormDirty CloseAlertAttached SetViewPortTabSection ModifyMinimumTabHeight
    GetXml ParseXml RaiseOnChange CreateInnerSlug ResetToDefault ResetDefault FormatDuration AddDependentParameter AddParam
    AddBindingColumn getLookupField Clear Lookup AddItems Remove UpdateItem IsPermissableType RaiseOnAfterSelectEvent
    RaiseSetAdditionalParamsEvent AreValuesDifferent RefreshLookupItemImage GetLookupTypeIcon GetDataXml SetCurrency
    InitializeLookupPresence QueryLookupPresence SetTime AddOptionGroup InsertSlugControl UpdateOperatorControl
    UpdateInnerHtml DeleteDataSlug CurrentOperatorIsClear CalculateDataSlugTabIndex refreshTimeValue attachAsOnlyHandler
    GetLookupControl Sort""".split()
)
_IDENTIFIER_TYPES = ("identifier", "property_identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern")


def _is_unpublished_namespace(chain: Chain) -> bool:
    """``Xrm.Internal``, ``Mscrm.X``, ``Microsoft.Crm``: the first member of an internal namespace."""
    names = strip_window(chain)
    if len(names) != 2 or CALL in names:
        return False
    root, prop = names
    return (root == "Xrm" and prop not in _SUPPORTED_XRM) or (root == "Microsoft" and prop == "Crm") \
        or root in _UNSUPPORTED_NAMESPACES


# Const enums that XrmDefinitelyTyped declares in the Xrm namespace: TypeScript writes their values into the output.
_XRM_CONST_ENUMS = frozenset({"FormType", "SaveMode", "StageCategory", "ProcessStatus"})


def _names_the_global(ix: ScriptIndex, node: tree_sitter.Node, name: str) -> bool:
    """Whether ``node`` refers to the global ``name`` rather than an object's key or property, or a local of that name.

    ESLint's plug-in reports every identifier of the name; metadata objects and SDK
    wrappers have properties such as ``IsDuplicateDetectionEnabled`` that are not the global.
    """
    if node.type == "identifier":
        return _is_global(ix, name)
    if node.type == "shorthand_property_identifier":
        return _is_global(ix, name)
    parent = node.parent
    if node.type == "property_identifier" and parent is not None and parent.type == "member_expression":
        target = parent.child_by_field_name("object")
        chain = ix.chain(target) if target is not None else None
        return chain is not None and len(chain) == 1 and chain[0] in WINDOW_NAMES
    return False


def _own_xrm_namespaces(ix: ScriptIndex) -> dict[str, set[int]]:
    """Members the script itself assigns to ``Xrm`` (``Xrm.RESTBuilder = …``), with the assigned member expressions.

    Such a namespace is reported where it is defined, not at each of its (often thousands of) uses.
    """
    own: dict[str, set[int]] = {}
    for assignment in ix.of("assignment_expression"):
        left = assignment.child_by_field_name("left")
        chain = ix.chain(left, resolve=False) if left is not None and left.type == "member_expression" else None
        names = strip_window(chain) if chain is not None else ()
        if len(names) == 2 and names[0] == "Xrm" and _is_unpublished_namespace(names):
            own.setdefault(names[1], set()).add(left.id)
    return own


def _unpublished_global_call(ix: ScriptIndex, call: tree_sitter.Node) -> str | None:
    """The name of a platform-internal global function ``call`` calls, if it does."""
    callee = _callee(call)
    if callee is None:
        return None
    callee = unwrap(callee)
    chain = ix.chain(callee)
    if chain is None:
        return None
    if len(chain) == 1 and callee.type == "identifier":
        name = chain[0]
    elif len(chain) > 1 and chain[0] in ("window", "parent"):
        name = chain[-1]
    else:
        return None
    return name if name in _UNSUPPORTED_GLOBAL_CALLS and name not in ix.declared_functions else None


def check_avoid_unpub_api(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    own = _own_xrm_namespaces(ix)
    for node, chains in ix.derived(_member_chains):
        unpublished = [chain for chain in chains if _is_unpublished_namespace(chain)]
        if not unpublished:
            continue
        member = strip_window(unpublished[0])[1]
        defined = own.get(member)
        if member in _XRM_CONST_ENUMS and _is_typescript(parsed):
            continue
        if defined is None:
            yield _finding(parsed, node, f"'{_evidence(parsed, node)}' is an unpublished, internal namespace that can change "
                           "or disappear with any update: use the documented Client API.")
        elif node.id in defined:
            yield _finding(parsed, node, f"'{_evidence(parsed, node)}' puts the script's own namespace inside Xrm, which "
                           "belongs to the platform and may gain a member of that name: use a namespace of your own.")
    if ix.mentions(*_UNSUPPORTED_GLOBAL_OBJECTS):
        for node in ix.of(*_IDENTIFIER_TYPES):
            name = parsed.text(node)
            if name in _UNSUPPORTED_GLOBAL_OBJECTS and _names_the_global(ix, node, name):
                yield _finding(parsed, node, f"'{name}' is an internal global of the web client, not part of the Client API.")
    reported_calls = set()
    for call in ix.calls_named(*_UNSUPPORTED_GLOBAL_CALLS):
        name = _unpublished_global_call(ix, call) if call.type == "call_expression" else None
        if name is not None:
            reported_calls.add(call.id)
            yield _finding(parsed, call, f"'{name}()' is an internal function of the web client, not part of the Client API.")
    if not ix.mentions("ms-crm-"):
        return
    for call in ix.of("call_expression"):
        if call.id in reported_calls:
            continue
        for arg in arguments(call):
            value = string_value(parsed, arg)
            if value is not None and "ms-crm-" in value:
                yield _finding(parsed, arg, f"{json_string(value)} relies on the web client's internal CSS classes "
                               "(ms-crm-…), which change without notice.", value)


# ---------------------------------------------------------------------------
# Other Client API rules


def check_browser_specific(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for node in ix.calls_named("ActiveXObject"):
        if node.type == "new_expression" and _callee_names(ix, node) == ("ActiveXObject",) and arguments(node):
            value = string_value(parsed, arguments(node)[0]) or ""
            replacement = "XMLHttpRequest" if "xmlhttp" in value.lower() else "DOMParser and the DOM" if "xmldom" in value.lower() \
                or "domdocument" in value.lower() else "a standard browser API"
            yield _finding(parsed, node, f"'{_evidence(parsed, node)}' works only in Internet Explorer, which model-driven apps "
                           f"no longer support: use {replacement}.")


def check_avoid_modals(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named("showModalDialog"):
        if _callee_names(ix, call) == ("showModalDialog",):
            yield _finding(parsed, call, "showModalDialog() is removed from modern browsers: use Xrm.Navigation.navigateTo() "
                           "with target 2 (dialog).")


_FREE_TOP = compile_lazily(r"(?<![\w$.])top\s*\.")


def check_avoid_window_top(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    free_top = _is_global(ix, "top") and _FREE_TOP.search(parsed.source.text) is not None
    candidates = ix.members_named("top", "parent") + ([n for n in ix.of("member_expression")] if free_top else [])
    for node in sorted({n.id: n for n in candidates}.values(), key=lambda n: n.start_byte):
        chain = ix.chain(node)
        if chain is None:
            continue
        hops = chain[:3] if chain[:3] == ("window", "parent", "parent") else chain[:2]
        if hops != chain:
            continue
        if chain in (("window", "top"), ("self", "top"), ("window", "parent", "parent"), ("parent", "parent")) \
                or (free_top and chain[0] == "top" and unwrap(node.child_by_field_name("object") or node).type == "identifier"):
            yield _finding(parsed, node, f"'{_evidence(parsed, node)}' assumes the page's top window is the app; hosted "
                           "elsewhere (Teams, Outlook, another origin) this fails with a cross-origin error.")


def check_avoid_loadtheme(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named("loadTheme"):
        if call.type == "call_expression" and _callee_names(ix, call) == ("loadTheme",):
            yield _finding(parsed, call, "loadTheme() changes the theme of the whole app: wrap your component in a ThemeProvider.")


def check_ui_refresh_ribbon(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named("refreshRibbon"):
        callee = _callee(call)
        obj = _object(callee) if callee is not None else None
        if callee is not None and obj is not None and _property(obj, parsed) == "ui":
            yield _finding(parsed, call, "ui.refreshRibbon() re-evaluates every ribbon rule; called from a rule or on load it "
                           "multiplies network calls: return a promise from the enable rule instead.")


def check_security_role_privileges(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for node in ix.members_named("securityRolePrivileges"):
        names = _names(ix, node)
        if names and names[-2:] == ("userSettings", "securityRolePrivileges"):
            yield _finding(parsed, node, "userSettings.securityRolePrivileges returns bare privilege ids and invites extra "
                           "queries: use userSettings.getSecurityRolePrivilegesInfo().")


_GRID_ROW_LISTS = frozenset({"getRows", "getSelectedRows"})


def _is_grid_row(chain: Chain | None) -> bool:
    """A chain ending in a row of a grid: ``….getRows().get(0)`` or ``rows[i]``."""
    if not chain:
        return False
    names = without_calls(chain)
    return len(names) >= 2 and names[-2] in _GRID_ROW_LISTS and names[-1] in ("get", INDEX, "getByIndex")


def _grid_row_parameters(ix: ScriptIndex) -> frozenset[str]:
    """Names of callback parameters that receive grid rows (``rows.forEach(function (row) …)``)."""
    names: set[str] = set()
    for call in ix.calls_named("forEach"):
        callee = _callee(call)
        obj = _object(callee) if callee is not None else None
        chain = ix.chain(obj, through_calls=True) if obj is not None else None
        if callee is None or _property(callee, ix.parsed) != "forEach" or not chain or without_calls(chain)[-1] not in _GRID_ROW_LISTS:
            continue
        args = arguments(call)
        params = args[0].child_by_field_name("parameters") if args else None
        first = params.named_children[0] if params is not None and params.named_children else None
        if first is not None and first.type == "identifier":
            names.add(ix.parsed.text(first))
    for loop in ix.of("for_in_statement"):
        left, right = loop.child_by_field_name("left"), loop.child_by_field_name("right")
        chain = ix.chain(right, through_calls=True) if right is not None else None
        if left is not None and left.type == "identifier" and chain and without_calls(chain)[-1] in _GRID_ROW_LISTS:
            names.add(ix.parsed.text(left))
    return frozenset(names)


def check_grid_api(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    calls = ix.calls_named("getData")
    row_params = _grid_row_parameters(ix) if calls else frozenset()
    for call in calls:
        callee = _callee(call)
        obj = _object(callee) if callee is not None else None
        if callee is None or obj is None or _property(callee, parsed) != "getData" or arguments(call):
            continue
        chain = ix.chain(obj, through_calls=True)
        if _is_grid_row(chain) or (chain is not None and len(chain) == 1 and chain[0] in row_params):
            yield _finding(parsed, call, f"'{_evidence(parsed, call)}' uses the deprecated GridRow.getData(): read the row's "
                           "data property instead.")


# ---------------------------------------------------------------------------
# Code quality rules of the checker (ESLint core equivalents)


def check_avoid_with(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    for node in script_index(parsed).of("with_statement"):
        obj = node.child_by_field_name("object")
        yield _finding(parsed, node, "'with' makes every name ambiguous, defeats optimisation and is a syntax error in strict "
                       "mode: name the object explicitly.", f"with {_evidence(parsed, obj) if obj is not None else ''}")


def check_strict_equality(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    for node in script_index(parsed).of("binary_expression"):
        operator = node.child_by_field_name("operator")
        if operator is not None and parsed.text(operator) in ("==", "!="):
            strict = parsed.text(operator) + "="
            yield Finding(
                message=f"'{parsed.text(operator)}' converts types before comparing: use '{strict}'.",
                location=parsed.location(operator),
                component=parsed.component,
                evidence=_evidence(parsed, node),
            )


def check_debug_script(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    for node in script_index(parsed).of("debugger_statement"):
        yield _finding(parsed, node, "A 'debugger' statement stops every user with developer tools open: remove it.")


_DIALOG_GLOBALS = frozenset({"alert", "confirm", "prompt"})


def check_remove_alert(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    for call in ix.calls_named(*_DIALOG_GLOBALS):
        names = _callee_names(ix, call)
        if call.type == "call_expression" and names and len(names) == 1 and _is_global(ix, names[0]):
            yield _finding(parsed, call, f"{names[0]}() blocks the browser and looks foreign in the app: use "
                           "Xrm.Navigation.openAlertDialog()/openConfirmDialog() or a form notification.")


def check_remove_console(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    if not ix.mentions("console") or not _is_global(ix, "console"):
        return
    for node in ix.of("member_expression"):
        chain = ix.chain(node)
        if chain is not None and len(strip_window(chain)) == 2 and strip_window(chain)[0] == "console" \
                and (len(chain) == 2 or chain[0] in WINDOW_NAMES):
            yield _finding(parsed, node, f"'{_evidence(parsed, node)}' leaves debugging output in production code: remove "
                           "it or route it through a logger that is off by default.")


def _directive_strict(parsed: ParsedSource, body: tree_sitter.Node | None) -> bool:
    """Whether a program or function body opens with a "use strict" directive."""
    if body is None:
        return False
    for statement in body.named_children:
        if statement.type == "comment":
            continue
        if statement.type != "expression_statement" or not statement.named_children \
                or statement.named_children[0].type != "string":
            return False
        if string_value(parsed, statement.named_children[0]) == "use strict":
            return True
    return False


_FUNCTIONS = ("function_declaration", "function_expression", "function", "arrow_function", "generator_function_declaration")


def _enclosing_function(node: tree_sitter.Node) -> tree_sitter.Node | None:
    parent = node.parent
    while parent is not None:
        if parent.type in _FUNCTIONS or parent.type in ("method_definition", "class_body"):
            return parent
        parent = parent.parent
    return None


def check_strict_mode(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    """Once per file: the first top-level function that does not run in strict mode.

    ES modules and class bodies are strict anyway; TypeScript is skipped
    because the compiler's ``alwaysStrict`` decides what the emitted script
    holds.
    """
    ix = script_index(parsed)
    if _is_typescript(parsed) or any(ix.of("import_statement", "export_statement")) or _directive_strict(parsed, parsed.root):
        return
    for function in ix.of(*_FUNCTIONS):
        if _enclosing_function(function) is not None:
            continue
        if not _directive_strict(parsed, function.child_by_field_name("body")):
            yield _finding(parsed, function, "This script does not use strict mode: add \"use strict\"; at the top of the file "
                           "or of its outer function, so that silent mistakes become errors.", "missing 'use strict'")
            return


# Syntax newer than ES2018 and globals newer than ES2015, which the checker rejects.
_NEW_GLOBALS = {
    "globalThis": "ES2020", "BigInt": "ES2020", "BigInt64Array": "ES2020", "BigUint64Array": "ES2020",
    "WeakRef": "ES2021", "FinalizationRegistry": "ES2021", "AggregateError": "ES2021",
    "SharedArrayBuffer": "ES2017", "Atomics": "ES2017",
}


def _unsupported_syntax(parsed: ParsedSource, node: tree_sitter.Node) -> str | None:
    kind = node.type
    if kind == "optional_chain":
        return "optional chaining '?.' (ES2020)"
    if kind == "binary_expression":
        operator = node.child_by_field_name("operator")
        return "nullish coalescing '??' (ES2020)" if operator is not None and parsed.text(operator) == "??" else None
    if kind == "augmented_assignment_expression":
        operator = node.child_by_field_name("operator")
        text = parsed.text(operator) if operator is not None else ""
        return f"logical assignment '{text}' (ES2021)" if text in ("??=", "||=", "&&=") else None
    if kind == "number":
        text = parsed.text(node)
        if text.endswith("n") and not text.lower().startswith("0x"):
            return "BigInt literal (ES2020)"
        return "numeric separator '_' (ES2021)" if "_" in text else None
    if kind in ("field_definition", "public_field_definition"):
        return "class field (ES2022)"
    if kind == "private_property_identifier":
        return "private class member '#' (ES2022)"
    if kind == "class_static_block":
        return "class static block (ES2022)"
    if kind == "catch_clause" and node.child_by_field_name("parameter") is None:
        return "catch without a binding (ES2019)"
    if kind == "meta_property" and parsed.text(node).startswith("import"):
        return "import.meta (ES2020)"
    if kind == "call_expression":
        function = node.child_by_field_name("function")
        return "dynamic import() (ES2020)" if function is not None and function.type == "import" else None
    if kind in ("jsx_element", "jsx_self_closing_element"):
        return "JSX markup, which a classic web resource script cannot contain"
    if kind in ("import_statement", "export_statement"):
        return "ES module syntax (import/export), which a classic web resource script cannot contain"
    if kind == "regex":
        flags = node.child_by_field_name("flags")
        return "regular expression flag 'd' or 'v' (ES2022+)" if flags is not None and set(parsed.text(flags)) & {"d", "v"} else None
    return None


# Node types worth visiting, each with words of which the source must contain one first (none: always visit).
_SYNTAX_GATES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("optional_chain", ()), ("field_definition", ()), ("public_field_definition", ()),
    ("private_property_identifier", ()), ("class_static_block", ()), ("catch_clause", ()),
    ("meta_property", ()), ("regex", ()), ("number", ()),
    ("binary_expression", ("??",)),
    ("augmented_assignment_expression", ("??=", "||=", "&&=")),
    ("call_expression", ("import",)),
    ("import_statement", ()), ("export_statement", ()),
    ("jsx_element", ()), ("jsx_self_closing_element", ()),
)




def _first_syntax_error(parsed: ParsedSource) -> tree_sitter.Node | None:
    """The first node tree-sitter could not parse (an ERROR or a token it had to assume), if any."""
    node = parsed.tree.root_node
    while node.has_error:
        if node.type == "ERROR" or node.is_missing:
            return node
        node = next((child for child in node.children if child.has_error or child.is_missing), None)
        if node is None:
            return None
    return None


def check_unsupported_syntax(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    """Once per file: the first construct the checker's ES2018 parser cannot read."""
    if _is_typescript(parsed):
        return
    ix = script_index(parsed)
    found = sorted(
        (
            (node, what)
            for kind, words in _SYNTAX_GATES if not words or ix.mentions(*words)
            for node in ix.of(kind) if (what := _unsupported_syntax(parsed, node)) is not None
        ),
        key=lambda pair: pair[0].start_byte,
    )
    globals_used = sorted(
        (node for node in ix.of("identifier") if parsed.text(node) in _NEW_GLOBALS and _is_global(ix, parsed.text(node))),
        key=lambda node: node.start_byte,
    ) if ix.mentions(*_NEW_GLOBALS) else []
    candidates = [(node, what) for node, what in found[:1]]
    # Liquid templates (Power Pages) are filled in on the server, so their scripts only parse once rendered.
    if not has_liquid(parsed.source.text) and (error := _first_syntax_error(parsed)) is not None:
        candidates.append((error, "a syntax error"))
    candidates += [(node, f"the global {parsed.text(node)} ({_NEW_GLOBALS[parsed.text(node)]})") for node in globals_used[:1]]
    if candidates:
        node, what = min(candidates, key=lambda pair: pair[0].start_byte)
        if what == "a syntax error":
            yield _finding(parsed, node, "This script has a syntax error here that neither the solution checker nor a "
                           "browser can parse: fix it before adding the script to the solution.", what)
            return
        reason = "" if what.startswith(("ES module", "JSX")) else ", newer than the ES2018 syntax and ES2015 globals the solution checker accepts"
        yield _finding(parsed, node, f"This script uses {what}{reason}: transpile or bundle it (TypeScript, Babel, webpack "
                       "with an ES2017 target and no modules) before adding it to the solution.", what)


# ---------------------------------------------------------------------------
# Form DOM rules (ESLint plug-in's avoid-dom-form, avoid-dom-form-event, use-utility-dialogs)

_XRM_SDK_NAMESPACES = frozenset({"Page", "Utility", "Panel", "Device", "Encoding", "Navigation", "WebApi", "App"})
_DOCUMENT_PROPERTIES = frozenset(
    """all activeElement alinkColor anchors applets async bgColor body characterSet compatible compatMode cookie contentType
    defaultView designMode doctype documentElement documentMode documentURI documentURIObject domConfig domain embeds fgColor
    forms fullscreenElement fullscreenEnabled head height images implementation inputEncoding lastModified lastStyleSheetSet
    linkColor links location msFullscreenElement msFullScreenEnabled mozFullScreen mozFullScreenElement mozFullScreenEnabled
    mozSyntheticDocument origin plugins pointerLockElement popupNode preferredStyleSheetSet protocol readyState referrer
    scripts scrollingElement styleSheets styleSheetSets timeline tooltipNode URL visibilityState vlinkColor width
    attributes childElementCount childNodes children dir firstChild firstElementChild hidden lastChild lastElementChild
    namespaceURI ownerDocument parentWindow textContent title""".split()
)
_DOCUMENT_FUNCTIONS = frozenset(
    """adoptNode caretPositionFromPoint careRangeFromPoint clear close createAttribute createCDATASection createComment
    createDocumentFragment createElement createEntityReference createEvent createExpression createNodeIterator
    createProcessingInstruction createRange createTextNode elementFromPoint enableStyleSheetsForSet evaluate execCommand
    exitPointerLock getElementById getElementsByName getSelection hasFocus importNode loadOverlay mozCancelFullScreen
    mozSetImageElement normalizeDocument open queryCommandEnabled queryCommandSupported registerElement releaseCapture write
    writeln appendChild cloneNode compareDocumentPosition focus getElementsByClassName getElementsByTagName hasAttribute
    hasAttributes hasChildNodes hasOwnProperty insertBefore isDefaultNamespace isEqualNode isSameNode isSupported
    lookupNamespaceURI lookupPrefix normalize querySelector querySelectorAll removeChild removeNode replaceChild""".split()
)
_EVENT_REGISTRATION = frozenset({"attachEvent", "addEventListener", "detachEvent", "removeEventListener"})
_JQUERY_EVENTS = frozenset(
    """off on one blur change click dblclick error focus focusin focusout hover keyup keydown keypress load mousedown
    mouseenter mouseleave mousemove mouseout mouseover mouseup ready resize scroll select submit toggle unload""".split()
)
_DOM_EVENT_PROPERTIES = frozenset(
    """onclick oncontextmenu ondblclick onmousedown onmouseleave onmousemove onmouseover onmouseout onmouseup onkeydown
    onkeypress onkeyup onabort onbeforeunload onerror onhashchange onpageshow onpagehide onresize onscroll onload onunload
    onblur onchange onfocus onfocusin onfocusout oninput oninvalid onreset onsearch onselect onsubmit ondrag ondragend
    ondragenter ondragleave ondragover ondragstart ondrop oncopy oncut onpaste onafterprint onbeforeprint""".split()
)


def _uses_form_api(ix: ScriptIndex) -> bool:
    return ix.derived(_form_api_used)


def _form_api_used(ix: ScriptIndex) -> bool:
    """Whether the script runs on a form: it uses the Xrm Client API (or the CRM 4 ``crmForm``)."""
    for _, chains in ix.derived(_member_chains):
        for chain in chains:
            names = strip_window(without_calls(chain))
            if len(names) >= 2 and names[0] == "Xrm" and (names[1] in _XRM_SDK_NAMESPACES or names[1] == "Internal"):
                return True
    return any(ix.parsed.text(node) in ("crmForm", "Mscrm") for node in ix.of("identifier"))


def _document_aliases(ix: ScriptIndex) -> frozenset[str]:
    return frozenset(name for name, chain in ix.aliases.items() if CALL not in chain and chain[-1] == "document")


def _is_form_document_access(ix: ScriptIndex, member: tree_sitter.Node, doc_aliases: frozenset[str]) -> bool:
    obj = _object(member)
    if obj is None:
        return False
    obj = unwrap(obj)
    if obj.type == "identifier":
        return ix.parsed.text(obj) in ("document", *doc_aliases)
    inner = _property(obj, ix.parsed)
    return inner is not None and inner in ("document", *doc_aliases)


def check_avoid_dom_form(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    if _is_html_page(parsed) or not _uses_form_api(ix):
        return
    doc_aliases = _document_aliases(ix)
    message = "'{code}' reaches into the form's HTML, which is not a supported API and changes with every release: use the Client API (formContext)."
    candidates = ix.members_named(*_DOCUMENT_PROPERTIES, *_DOCUMENT_FUNCTIONS)
    frames = [node for node in ix.of("member_expression") if (_property(node, parsed) or "").startswith("contentIFrame")] \
        if ix.mentions("contentIFrame") else []
    for node in sorted(candidates + frames, key=lambda n: n.start_byte):
        prop = _property(node, parsed) or ""
        is_call = node.parent is not None and node.parent.type == "call_expression" and node.parent.child_by_field_name("function") == node
        if prop.startswith("contentIFrame"):
            yield _finding(parsed, node, message.format(code=_evidence(parsed, node)))
        elif (prop in _DOCUMENT_PROPERTIES or (is_call and prop in _DOCUMENT_FUNCTIONS)) and _is_form_document_access(ix, node, doc_aliases):
            yield _finding(parsed, node, message.format(code=_evidence(parsed, node)))
    for call in ix.calls_named("$", "$get", "$find"):
        names = _callee_names(ix, call)
        callee = _callee(call)
        if call.type == "call_expression" and names and len(names) == 1 and callee is not None \
                and (unwrap(callee).type == "identifier" or (ix.chain(callee) or ("",))[0] == "window"):
            yield _finding(parsed, call, message.format(code=_evidence(parsed, call)))


def _jquery_rooted(ix: ScriptIndex, callee: tree_sitter.Node) -> bool:
    """``$(…).click``/``jQuery(…).on``: the receiver chain starts at a jQuery call."""
    chain = ix.chain(callee, through_calls=True)
    return bool(chain) and strip_window(chain)[0] in ("$", "jQuery")


def check_avoid_dom_form_event(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    if _is_html_page(parsed) or not _uses_form_api(ix):
        return
    message = "'{code}' handles an HTML event of the form directly: register handlers through the Client API (addOnChange, addOnLoad, addOnSave)."
    for call in ix.calls_named(*_EVENT_REGISTRATION, *_JQUERY_EVENTS):
        callee = _callee(call)
        prop = _property(callee, parsed) if callee is not None else None
        if prop in _EVENT_REGISTRATION or (prop in _JQUERY_EVENTS and callee is not None and _jquery_rooted(ix, callee)):
            yield _finding(parsed, call, message.format(code=_evidence(parsed, callee)))
    # Objects the script made itself (a request, a FileReader, an Image) are not the form's DOM.
    own_objects = _holders(ix, _is_construction)
    for node in ix.of("assignment_expression") if ix.mentions("on") else ():
        left = node.child_by_field_name("left")
        target = _object(left) if left is not None else None
        if left is not None and target is not None and _property(left, parsed) in _DOM_EVENT_PROPERTIES \
                and ix.chain(target, through_calls=True) not in own_objects:
            yield _finding(parsed, node, message.format(code=_evidence(parsed, left)))


def check_utility_dialogs(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    calls = ix.calls_named("alert", "confirm")
    if not calls or not _uses_form_api(ix):
        return
    for call in calls:
        callee = _callee(call)
        chain = ix.chain(callee) if callee is not None else None
        if not chain or chain[-1] not in ("alert", "confirm") or not (len(chain) == 1 or chain[0] in ("window", "parent")):
            continue
        if len(chain) == 1 and not _is_global(ix, chain[0]):
            continue
        replacement = "openAlertDialog" if chain[-1] == "alert" else "openConfirmDialog"
        yield _finding(parsed, call, f"{chain[-1]}() on a form does not work on every client: use Xrm.Navigation.{replacement}().")


_PARENT_TERMS = (("global.parent", False), ("window.parent", False), ("this.parent", False), ("parent", True),
                 ("window.opener", False), ("opener", True))


def _parent_assumption(text: str) -> str | None:
    parts = text.split(".")
    for term, can_end in _PARENT_TERMS:
        if "Xrm" not in parts and (text.startswith(term + ".") or text == term):
            return term
        if not can_end and text.endswith("." + term):
            return term
    return None




def check_parent_assumption(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    ix = script_index(parsed)
    if not ix.mentions("parent", "opener"):
        return
    # A variable holding the parent, with the function it was declared in: unlike ESLint's plug-in, which keys
    # them by name for the whole file, a variable counts only inside its function and until it is declared again
    # (minified libraries reuse one-letter names everywhere).
    parent_vars: dict[str, tuple[str, tree_sitter.Node | None]] = {}
    nodes = sorted(
        [(n, n.child_by_field_name("value")) for n in ix.of("variable_declarator")]
        + [(n, n.named_children[0] if n.named_children else None) for n in ix.of("expression_statement")],
        key=lambda pair: pair[0].start_byte,
    )
    for owner, expression in nodes:
        name = owner.child_by_field_name("name") if owner.type == "variable_declarator" else None
        declared = parsed.text(name) if name is not None and name.type == "identifier" else None
        if expression is None or expression.type == "string":
            parent_vars.pop(declared or "", None)
            continue
        text = "".join(parsed.text(expression).split())
        head = text.split(".")[0]
        held = parent_vars.get(head)
        term = held[0] if held is not None and _within(expression, held[1]) else _parent_assumption(text)
        if term == "this.parent" and _this_is_an_object(parsed, expression):
            term = None
        if declared is not None:
            parent_vars.pop(declared, None)
        if term is None:
            continue
        yield _finding(parsed, expression, f"'{_evidence(parsed, expression)}' assumes that {term} is the record's form; "
                       "the parent differs between clients, dialogs and versions: pass the form context instead.")
        if declared is not None:
            parent_vars[declared] = (term, _enclosing_function(owner))


def _this_is_an_object(parsed: ParsedSource, node: tree_sitter.Node) -> bool:
    """Whether ``this`` at ``node`` is an object of the script's own rather than the window.

    That is so in class members, object-literal and prototype methods, and constructors (functions that assign
    ``this.…``); ESLint's plug-in reports ``this.parent`` everywhere, which in libraries is a tree node's parent.
    """
    function = node.parent
    while function is not None and (function.type not in _FUNCTIONS or function.type == "arrow_function"):
        if function.type in ("method_definition", "class_body"):
            return True
        function = function.parent
    if function is None:
        return False
    holder = function.parent
    while holder is not None and holder.type in ("parenthesized_expression", "sequence_expression"):
        holder = holder.parent
    if holder is not None and holder.type == "pair":
        return True
    if holder is not None and holder.type in ("assignment_expression", "augmented_assignment_expression"):
        left = holder.child_by_field_name("left")
        if left is not None and "prototype" in parsed.text(left):
            return True
    body = function.child_by_field_name("body")
    return body is not None and re.search(r"\bthis\.[\w$]+\s*=[^=]", parsed.text(body)) is not None


def _within(node: tree_sitter.Node, scope: tree_sitter.Node | None) -> bool:
    return scope is None or scope.start_byte <= node.start_byte < scope.end_byte


# ---------------------------------------------------------------------------
# The rules

RULES = (
    _rule(
        "web-avoid-eval", "AvoidEval", "eval(), new Function() or a string passed to setTimeout runs text as code.",
        Severity.ERROR, check_avoid_eval, tags=("security", "external/cwe/cwe-95"), security_severity=7.5,
        what="Calls to `eval()`, the `Function` constructor, and `setTimeout`/`setInterval`/`setImmediate`/`execScript` "
        "with a string instead of a function.",
        why="Text evaluated as code runs with the user's privileges; when any part of it comes from data (a field "
        "value, a URL, a server response) an attacker can run script in the app. It is also slow and breaks under a "
        "Content Security Policy.",
        fix="Parse data with `JSON.parse`, look functions up in an object instead of building their names, and pass "
        "functions to timers.",
        bad='setTimeout("refresh(" + id + ")", 500);\nvar settings = eval("(" + json + ")");',
        good="setTimeout(function () { refresh(id); }, 500);\nvar settings = JSON.parse(json);",
        link="https://developer.mozilla.org/docs/Web/JavaScript/Reference/Global_Objects/eval",
    ),
    _rule(
        "web-sdl-no-cookies", "SdlNoCookies", "A script reads or writes document.cookie.",
        Severity.WARNING, check_no_cookies, tags=("security",), security_severity=4.0,
        what="Accesses to `document.cookie` (also through `window.document`, `parent.document` or a variable holding it).",
        why="Cookies travel with every request, are easily leaked and are shared with the app's own session cookies; "
        "a web resource has no business with them.",
        fix="Keep client-side state in `sessionStorage`/`localStorage` or IndexedDB, or in Dataverse.",
        bad='document.cookie = "lastAccount=" + id;', good='sessionStorage.setItem("lastAccount", id);',
        link=SDL + "no-cookies.md",
    ),
    _rule(
        "web-sdl-no-document-domain", "SdlNoDocumentDomain", "A script writes document.domain.",
        Severity.WARNING, check_no_document_domain, tags=("security",), security_severity=5.0,
        what="Assignments to `document.domain`.",
        why="Setting document.domain relaxes the same-origin policy so that pages of sibling sub-domains can script "
        "each other; browsers are removing the feature.",
        fix="Exchange data between frames with `postMessage` and a named target origin.",
        bad='document.domain = "dynamics.com";', good='frame.contentWindow.postMessage(data, "https://contoso.crm.dynamics.com");',
        link=SDL + "no-document-domain.md",
    ),
    _rule(
        "web-sdl-no-document-write", "SdlNoDocumentWrite", "A script writes markup with document.write().",
        Severity.WARNING, check_no_document_write, tags=("security", "external/cwe/cwe-79"), security_severity=5.5,
        what="Calls to `document.write()` and `document.writeln()`.",
        why="Markup written from strings is not sanitised: a value with HTML in it becomes script (cross-site scripting).",
        fix="Create elements with `document.createElement()` and set their `textContent`.",
        bad='document.write("<b>" + name + "</b>");',
        good='var b = document.createElement("b");\nb.textContent = name;\ndocument.body.appendChild(b);',
        link=SDL + "no-document-write.md",
    ),
    _rule(
        "web-sdl-no-html-method", "SdlNoHtmlMethod", "A script sets markup with jQuery's html().",
        Severity.WARNING, check_no_html_method, tags=("security", "external/cwe/cwe-79"), security_severity=5.5,
        what="Calls of a `.html(value)` method (jQuery and look-alikes) with one argument, except `html(\"\")`.",
        why="`html()` parses its argument as markup without sanitising it: data with HTML in it becomes script.",
        fix="Use `.text(value)` for text, or build elements.",
        bad='$("#name").html(account.name);', good='$("#name").text(account.name);',
        link=SDL + "no-html-method.md",
    ),
    _rule(
        "web-sdl-no-inner-html", "SdlNoInnerHtml", "A script assigns innerHTML/outerHTML or calls insertAdjacentHTML().",
        Severity.WARNING, check_no_inner_html, tags=("security", "external/cwe/cwe-79"), security_severity=5.5,
        what="Assignments to `innerHTML`/`outerHTML` (except `= \"\"`) and calls to `insertAdjacentHTML()`.",
        why="The assigned string is parsed as markup without sanitising: data with HTML in it becomes script.",
        fix="Set `textContent`, or build elements with `document.createElement()`.",
        bad='cell.innerHTML = record.description;', good="cell.textContent = record.description;",
        link=SDL + "no-inner-html.md",
    ),
    _rule(
        "web-sdl-no-insecure-url", "SdlNoInsecureUrl", "A script uses an http://, ftp://, ws:// or telnet:// URL.",
        Severity.WARNING, check_no_insecure_url, tags=("security", "external/cwe/cwe-319"), security_severity=5.0,
        what="String literals that start with `http://`, `ftp://`, `telnet://` or `ws://`. XML namespace names "
        "(`http://www.w3.org/…`, `http://schemas.xmlsoap.org/…`, `http://schemas.microsoft.com/…`) and localhost are "
        "not reported: they are identifiers, never fetched.",
        why="Data sent over an unencrypted protocol can be read and changed by anyone on the network path.",
        fix="Use `https://`, `wss://` or `ftps://`.",
        bad='fetch("http://api.contoso.com/rates");', good='fetch("https://api.contoso.com/rates");',
        link=SDL + "no-insecure-url.md",
    ),
    _rule(
        "web-sdl-no-msapp-exec-unsafe", "SdlNoMsappExecUnsafe", "A script calls MSApp.execUnsafeLocalFunction().",
        Severity.WARNING, check_no_msapp_exec_unsafe, tags=("security",), security_severity=5.0,
        what="Calls to `MSApp.execUnsafeLocalFunction()`.",
        why="The function switches off the script-injection checks of the host for the code it runs.",
        fix="Remove the call and sanitise or build the content safely.",
        bad="MSApp.execUnsafeLocalFunction(function () { el.innerHTML = html; });", good="el.textContent = text;",
        link=SDL + "no-msapp-exec-unsafe.md",
    ),
    _rule(
        "web-sdl-no-postmessage-star-origin", "SdlNoPostMessageStarOrigin", "postMessage() sends data to any origin ('*').",
        Severity.WARNING, check_no_postmessage_star, tags=("security", "external/cwe/cwe-201"), security_severity=5.0,
        what="`postMessage(message, \"*\")` calls.",
        why="With `*` the message goes to whatever page the target window shows at that moment, which may be another "
        "site: record data leaks outside the app.",
        fix="Pass the exact origin of the receiving page.",
        bad='window.parent.postMessage({ id: accountId }, "*");',
        good='window.parent.postMessage({ id: accountId }, "https://contoso.crm.dynamics.com");',
        link=SDL + "no-postmessage-star-origin.md",
    ),
    _rule(
        "web-sdl-no-winjs-html-unsafe", "SdlNoWinjsHtmlUnsafe", "A script calls WinJS.Utilities.*HTMLUnsafe().",
        Severity.WARNING, check_no_winjs_html_unsafe, tags=("security", "external/cwe/cwe-79"), security_severity=5.0,
        what="Calls to `WinJS.Utilities.setInnerHTMLUnsafe()`, `setOuterHTMLUnsafe()` and `insertAdjacentHTMLUnsafe()`.",
        why="These methods skip the input validation of their safe counterparts: data with HTML in it becomes script.",
        fix="Use `setInnerHTML()`, `setOuterHTML()` or `insertAdjacentHTML()`.",
        bad="WinJS.Utilities.setInnerHTMLUnsafe(el, html);", good="WinJS.Utilities.setInnerHTML(el, html);",
        link=SDL + "no-winjs-html-unsafe.md",
    ),
    _rule(
        "web-use-getsecurityroleprivilegesinfo", "UseGetSecurityRolePrivilegesInfo",
        "A script reads userSettings.securityRolePrivileges.",
        Severity.ERROR, check_security_role_privileges, tags=("performance",),
        what="Reads of `userSettings.securityRolePrivileges` (also through a variable holding `userSettings`).",
        why="The property returns bare privilege ids; scripts then query Dataverse for each to learn what it means, "
        "which slows the form. Remember also that a check in the browser only shapes the UI: it never protects data "
        "(see `sec-client-side-authorization`).",
        fix="Call `userSettings.getSecurityRolePrivilegesInfo()`, which returns names and details in one call, and "
        "enforce access with security roles on the server.",
        bad="var ids = Xrm.Utility.getGlobalContext().userSettings.securityRolePrivileges;",
        good="Xrm.Utility.getGlobalContext().userSettings.getSecurityRolePrivilegesInfo().then(function (info) { /* … */ });",
        link=CHECKER + "use-getsecurityroleprivilegesinfo",
    ),
    _rule(
        "web-use-async", "UseAsync", "A script sends a synchronous HTTP request.",
        Severity.ERROR, check_use_async, tags=("performance",),
        what="`XMLHttpRequest.open(method, url, false)` (on a request object, or whenever the first argument is an "
        "HTTP method), jQuery `$.ajax`/`$.ajaxSetup` with `async: false`, and synchronous calls of XrmServiceToolkit "
        "and the SOAP `Sdk.Sync` library.",
        why="A synchronous request freezes the form, and the whole browser tab, until the server answers; browsers "
        "are deprecating them on the main thread.",
        fix="Use `Xrm.WebApi` or `fetch` and continue in the promise; return the promise from OnLoad/OnSave "
        "handlers that must wait.",
        bad='var req = new XMLHttpRequest();\nreq.open("GET", url, false);\nreq.send();',
        good='Xrm.WebApi.retrieveRecord("account", id, "?$select=name").then(function (account) { /* … */ });',
        link=CHECKER + "use-async",
    ),
    _rule(
        "web-avoid-crm2011-service-odata", "AvoidCrm2011ServiceOdata", "A script calls the CRM 2011 OData endpoint.",
        Severity.ERROR, _string_rule(("/xrmservices/2011/organizationdata.svc",),
                                     "{url} targets the deprecated CRM 2011 OData 2.0 endpoint: use the Web API (/api/data/v9.2/)."),
        tags=("upgrade-readiness",),
        what="Strings (concatenations included) that contain `/XRMServices/2011/OrganizationData.svc`.",
        why="The OData 2.0 endpoint was deprecated with Dynamics CRM 2016 and is being removed; scripts using it stop working.",
        fix="Call the Web API through `Xrm.WebApi` or `getClientUrl() + \"/api/data/v9.2/…\"`.",
        bad='var url = clientUrl + "/XRMServices/2011/OrganizationData.svc/AccountSet";',
        good='Xrm.WebApi.retrieveMultipleRecords("account", "?$select=name");',
        link=CHECKER + "avoid-crm2011-service-odata",
    ),
    _rule(
        "web-avoid-crm2011-service-soap", "AvoidCrm2011ServiceSoap", "A script calls the CRM 2011 SOAP services.",
        Severity.ERROR, _string_rule(("/xrmservices/2011/organization.svc", "/xrmservices/2011/discovery.svc"),
                                     "{url} targets the deprecated CRM 2011 SOAP service: use the Web API."),
        tags=("upgrade-readiness",),
        what="Strings that contain `/XRMServices/2011/Organization.svc` or `/XRMServices/2011/Discovery.svc`.",
        why="Client scripts calling the 2011 SOAP endpoint are unsupported and break as the endpoint is retired.",
        fix="Use `Xrm.WebApi` or the Web API (`/api/data/v9.2/`, `/api/discovery/v9.2/`).",
        bad='xhr.open("POST", clientUrl + "/XRMServices/2011/Organization.svc/web", true);',
        good='Xrm.WebApi.online.execute(request);',
        link=CHECKER + "avoid-crm2011-service-soap",
    ),
    _rule(
        "web-avoid-browser-specific-api", "AvoidBrowserSpecificApi", "A script creates an Internet Explorer ActiveXObject.",
        Severity.ERROR, check_browser_specific, tags=("upgrade-readiness",),
        what="`new ActiveXObject(…)` (also `new window.ActiveXObject(…)`).",
        why="ActiveX exists only in Internet Explorer, which model-driven apps no longer support.",
        fix="Use `XMLHttpRequest`/`fetch` instead of MSXML HTTP objects and `DOMParser` instead of XML DOM objects.",
        bad='var xhr = new ActiveXObject("Msxml2.XMLHTTP");', good="var xhr = new XMLHttpRequest();",
        link=CHECKER + "avoid-browser-specific-api",
    ),
    _rule(
        "web-avoid-2011-api", "Avoid2011Api", "A script uses a Client API member removed since CRM 2011.",
        Severity.ERROR, _restricted_members(AVOID_2011_API), tags=("upgrade-readiness",),
        what="`getServerUrl`, `getAuthenticationHeader`, `isOutlookClient` and `isOutlookOnline` of the context "
        "(`Xrm.Page.context`, `Xrm.Utility.getGlobalContext()`, `GetGlobalContext()`), and `Xrm.Page.ui.getCurrentControl`.",
        why="These members were removed from the Client API; calls fail at run time.",
        fix="Use `getClientUrl()`, `client.getClient()` and `client.getClientState()`; there is no replacement for "
        "`getAuthenticationHeader` (the Web API uses the user's session) or `getCurrentControl`.",
        bad="var url = Xrm.Page.context.getServerUrl();", good="var url = Xrm.Utility.getGlobalContext().getClientUrl();",
        link=CHECKER + "avoid-2011-api",
    ),
    _rule(
        "web-avoid-unpub-api", "AvoidUnpubApi", "A script uses internal, unpublished parts of the web client.",
        Severity.ERROR, check_avoid_unpub_api, tags=("supportability",),
        what="Unpublished namespaces (`Xrm.Internal` and other `Xrm.*` outside the Client API, `Mscrm`, `XUI`, "
        "`CrmEncodeDecode`, `Microsoft.Crm`), internal globals (`USER_GUID`, `crmGrid`, …), internal global functions "
        "(`openObj`, `openStdDlg`, …, unless the script defines a function of that name itself) and `ms-crm-` CSS class "
        "names passed to calls. A namespace the script makes inside Xrm (`Xrm.Contoso = …`) is reported where it is "
        "made, not at each use; keys and properties of the script's own objects named like an internal global are not "
        "reported, nor XrmDefinitelyTyped's const enums (`Xrm.FormType`) in TypeScript, which the compiler inlines.",
        why="Internal members are not part of the supported Client API; Microsoft changes or removes them without notice.",
        fix="Use the documented Client API (`Xrm.Navigation`, `Xrm.Utility`, `formContext`).",
        bad='var id = Xrm.Internal.getEntityCode("account");\nopenObj(1, id);',
        good='Xrm.Navigation.openForm({ entityName: "account", entityId: id });',
        link=CHECKER + "avoid-unpub-api",
    ),
    _rule(
        "web-avoid-isactivitytype", "AvoidIsActivityType", "A script calls the deprecated Xrm.Utility.isActivityType.",
        Severity.WARNING, _restricted_members(IS_ACTIVITY_TYPE), tags=("upgrade-readiness",),
        what="References to `Xrm.Utility.isActivityType`.",
        why="The method is deprecated and will be removed.",
        fix="Use `Xrm.Utility.getEntityMetadata(name)` and its `IsActivity` property; it is asynchronous, so return "
        "its promise from ribbon rules.",
        bad='if (Xrm.Utility.isActivityType("task")) { /* … */ }',
        good='Xrm.Utility.getEntityMetadata("task").then(function (m) { if (m.IsActivity) { /* … */ } });',
        link=CHECKER + "avoid-isactivitytype",
    ),
    _rule(
        "web-avoid-modals", "AvoidModals", "A script opens a window with showModalDialog().",
        Severity.ERROR, check_avoid_modals, tags=("supportability",),
        what="Calls to `showModalDialog()` (also through `window` or `parent`).",
        why="Modern browsers removed `showModalDialog`; the call throws.",
        fix="Open a dialog with `Xrm.Navigation.navigateTo({ pageType: \"webresource\", … }, { target: 2 })`.",
        bad='var result = window.showModalDialog(url, args, "dialogWidth:400px");',
        good='Xrm.Navigation.navigateTo({ pageType: "webresource", webresourceName: "new_/dialog.html" }, { target: 2 });',
        link=CHECKER + "avoid-modals",
    ),
    _rule(
        "web-avoid-window-top", "AvoidWindowTop", "A script uses window.top or window.parent.parent.",
        Severity.ERROR, check_avoid_window_top, tags=("supportability",),
        what="`window.top`, `self.top`, `window.parent.parent`, `parent.parent`, and the global `top` (when the "
        "script does not declare a variable of that name), also through a variable holding `window`.",
        why="The top window is not the app when the app is hosted elsewhere (Teams, Outlook, a portal, another "
        "origin); access then fails with a cross-origin error.",
        fix="Use the Client API for what you need from the app; pass data to embedded pages with `postMessage`.",
        bad="var xrm = window.top.Xrm;", good="var formContext = executionContext.getFormContext();",
        link=CHECKER + "avoid-window-top",
    ),
    _rule(
        "web-use-client-context", "UseClientContext", "A script uses the deprecated Xrm.Page.",
        Severity.WARNING, _restricted_members(CLIENT_CONTEXT, allow=_parent_xrm_in_html_page), tags=("upgrade-readiness",),
        what="References to `Xrm.Page` (also `parent.Xrm.Page` and through variables), except `parent.Xrm.Page` in "
        "an HTML web resource, where it is the documented way to reach the hosting form.",
        why="`Xrm.Page` is deprecated: it always means the primary form, which is wrong in quick-create forms, "
        "subgrids and multi-form pages.",
        fix="Register handlers with *Pass execution context as first parameter* and use `executionContext.getFormContext()`.",
        bad='function onLoad() { var name = Xrm.Page.getAttribute("name").getValue(); }',
        good='function onLoad(executionContext) {\n  var name = executionContext.getFormContext().getAttribute("name").getValue();\n}',
        link=CHECKER + "use-client-context", references=(CLIENT_API_DEPRECATIONS,),
    ),
    _rule(
        "web-use-global-context", "UseGlobalContext", "A script uses the deprecated Xrm.Page.context.",
        Severity.ERROR, _restricted_members(GLOBAL_CONTEXT), tags=("upgrade-readiness",),
        what="References to `Xrm.Page.context`.",
        why="`Xrm.Page.context` is deprecated together with `Xrm.Page`.",
        fix="Use `Xrm.Utility.getGlobalContext()`.",
        bad="var userId = Xrm.Page.context.getUserId();", good="var userId = Xrm.Utility.getGlobalContext().userSettings.userId;",
        link=CHECKER + "use-global-context", references=(CLIENT_API_DEPRECATIONS,),
    ),
    _rule(
        "web-use-navigation-api", "UseNavigationApi", "A script uses a deprecated Xrm.Utility dialog or form method.",
        Severity.WARNING, _restricted_members(NAVIGATION_API), tags=("upgrade-readiness",),
        what="`Xrm.Utility.alertDialog`, `confirmDialog`, `openEntityForm`, `openQuickCreate`, `openWebResource`, "
        "and the unpublished `Xrm.Navigation.openDialog`.",
        why="These methods are deprecated and are replaced by `Xrm.Navigation`.",
        fix="Use `Xrm.Navigation.openAlertDialog`, `openConfirmDialog`, `openForm`, `openWebResource` or `navigateTo`.",
        bad='Xrm.Utility.openEntityForm("account", id);', good='Xrm.Navigation.openForm({ entityName: "account", entityId: id });',
        link=CHECKER + "use-navigation-api", references=(CLIENT_API_DEPRECATIONS,),
    ),
    _rule(
        "web-use-offline", "UseOffline", "A script uses the legacy Xrm.Mobile.offline namespace.",
        Severity.WARNING, _restricted_members(OFFLINE), tags=("upgrade-readiness",),
        what="References to `Xrm.Mobile.offline`.",
        why="The namespace is deprecated; offline data access moved to `Xrm.WebApi.offline`.",
        fix="Use `Xrm.WebApi.offline`.",
        bad='Xrm.Mobile.offline.retrieveRecord("account", id);', good='Xrm.WebApi.offline.retrieveRecord("account", id);',
        link=CHECKER + "use-offline",
    ),
    _rule(
        "web-use-org-setting", "UseOrgSetting", "A script reads organisation settings through deprecated context methods.",
        Severity.ERROR, _restricted_members(ORG_SETTINGS), tags=("upgrade-readiness",),
        what="`Xrm.Page.context.getIsAutoSaveEnabled()`, `getOrgLcid()` and `getOrgUniqueName()`.",
        why="These methods are deprecated.",
        fix="Read `Xrm.Utility.getGlobalContext().organizationSettings` (`isAutoSaveEnabled`, `languageId`, `uniqueName`).",
        bad="var lcid = Xrm.Page.context.getOrgLcid();",
        good="var lcid = Xrm.Utility.getGlobalContext().organizationSettings.languageId;",
        link=CHECKER + "use-org-setting", references=(CLIENT_API_DEPRECATIONS,),
    ),
    _rule(
        "web-use-grid-api", "UseGridApi", "A script calls the deprecated GridRow.getData().",
        Severity.WARNING, check_grid_api, tags=("upgrade-readiness",),
        what="`getData()` called on a grid row: `grid.getRows().get(0).getData()`, a variable holding such a row, "
        "or the parameter of `rows.forEach(function (row) { … })`.",
        why="`GridRow.getData()` is deprecated.",
        fix="Read the row's `data` property.",
        bad="gridContext.getGrid().getSelectedRows().forEach(function (row) { var d = row.getData(); });",
        good="gridContext.getGrid().getSelectedRows().forEach(function (row) { var d = row.data; });",
        link=CHECKER + "use-grid-api", references=(CLIENT_API_DEPRECATIONS,),
    ),
    _rule(
        "web-use-appsidepane-api", "UseAppSidePaneApi", "A script opens a side panel with the legacy Xrm.Panel.loadPanel.",
        Severity.WARNING, _restricted_members(APP_SIDE_PANE), tags=("upgrade-readiness",),
        what="References to `Xrm.Panel.loadPanel`.",
        why="`loadPanel` supports a single pane and is being replaced.",
        fix="Use `Xrm.App.sidePanes.createPane()`.",
        bad='Xrm.Panel.loadPanel(url, "Help");', good='Xrm.App.sidePanes.createPane({ title: "Help", paneId: "help" });',
        link=CHECKER + "use-appsidepane-api",
    ),
    _rule(
        "web-avoid-loadtheme", "AvoidLoadTheme", "A script calls Fluent UI v8 loadTheme().",
        Severity.NOTE, check_avoid_loadtheme, tags=("supportability",),
        what="Calls to the global `loadTheme()` of Fluent UI v8.",
        why="`loadTheme` changes the theme of everything on the page, including the app around your control.",
        fix="Wrap your component in a `ThemeProvider`.",
        bad="loadTheme(myTheme);", good="<ThemeProvider theme={myTheme}><MyControl /></ThemeProvider>",
        link=CHECKER + "avoid-loadtheme",
    ),
    _rule(
        "web-avoid-with", "AvoidWith", "A script uses a 'with' statement.",
        Severity.ERROR, check_avoid_with, tags=("performance",),
        what="`with` statements.",
        why="`with` makes every name inside it ambiguous, prevents optimisation, and is a syntax error in strict mode.",
        fix="Refer to the object explicitly, or through a short variable.",
        bad="with (formContext) { getAttribute(\"name\").setValue(\"x\"); }",
        good='var f = formContext;\nf.getAttribute("name").setValue("x");',
        link="https://developer.mozilla.org/docs/Web/JavaScript/Reference/Statements/with",
    ),
    _rule(
        "web-use-strict-mode", "UseStrictMode", "A script's functions do not run in strict mode.",
        Severity.WARNING, check_strict_mode, tags=("maintainability",), precision=Precision.MEDIUM,
        what="Once per script: the first top-level function when neither the file nor that function opens with "
        "`\"use strict\";`. ES modules and TypeScript sources are not reported.",
        why="Strict mode turns silent mistakes (assigning an undeclared variable, duplicate parameters) into errors "
        "and forbids constructs that slow scripts down.",
        fix="Add `\"use strict\";` at the top of the file, or as the first statement of the outer function (IIFE) "
        "that holds your namespace.",
        bad="var Contoso = Contoso || {};\nContoso.onLoad = function (ctx) { total = 0; };",
        good='(function () {\n  "use strict";\n  window.Contoso = window.Contoso || {};\n  Contoso.onLoad = function (ctx) { var total = 0; };\n})();',
        link="https://developer.mozilla.org/docs/Web/JavaScript/Reference/Strict_mode/Transitioning_to_strict_mode",
    ),
    _rule(
        "web-use-strict-equality-operators", "UseStrictEqualityOperators", "A script compares with == or !=.",
        Severity.WARNING, check_strict_equality, tags=("maintainability",),
        what="The `==` and `!=` operators.",
        why="Loose equality converts types first (`\"0\" == false` is true), a frequent source of bugs with field "
        "values that may be null, numbers or strings.",
        fix="Use `===` and `!==`, converting explicitly where needed.",
        bad='if (status == 1) { /* … */ }', good="if (status === 1) { /* … */ }",
        link="https://developer.mozilla.org/docs/Web/JavaScript/Equality_comparisons_and_sameness",
    ),
    _rule(
        "web-remove-debug-script", "RemoveDebugScript", "A script contains a debugger statement.",
        Severity.WARNING, check_debug_script, tags=("maintainability",),
        what="`debugger` statements.",
        why="A `debugger` statement halts the script for every user who has developer tools open, and marks code "
        "that was never meant to ship.",
        fix="Remove it; set breakpoints in the browser's developer tools instead.",
        bad="function onSave(ctx) {\n  debugger;\n  validate(ctx);\n}", good="function onSave(ctx) {\n  validate(ctx);\n}",
        link="https://learn.microsoft.com/power-apps/developer/model-driven-apps/best-practices/",
    ),
    _rule(
        "web-remove-alert", "RemoveAlert", "A script calls alert(), confirm() or prompt().",
        Severity.WARNING, check_remove_alert, tags=("usability",),
        what="Calls to the global `alert`, `confirm` and `prompt` (unless the script defines a function of that name).",
        why="Browser dialogs block the page, cannot be styled or localised with the app, and do not work on every client.",
        fix="Use `Xrm.Navigation.openAlertDialog`/`openConfirmDialog`, or `formContext.ui.setFormNotification`.",
        bad='alert("Saved");', good='Xrm.Navigation.openAlertDialog({ text: "Saved" });',
        link="https://eslint.org/docs/latest/rules/no-alert",
    ),
    _rule(
        "web-remove-console", "RemoveConsole", "A script writes to the console.",
        Severity.WARNING, check_remove_console, tags=("maintainability",),
        what="Uses of the global `console` object (`console.log`, `console.error`, …).",
        why="Console output is debugging left in production code; it can also print record data where anyone with "
        "developer tools can see it.",
        fix="Remove it, or route messages through a logger that is off unless diagnostics are on.",
        bad='console.log("account", account);', good="// no console output in shipped code",
        link="https://eslint.org/docs/latest/rules/no-console",
    ),
    _rule(
        "web-unsupported-syntax", "UnsupportedSyntax", "A script uses syntax newer than ES2018 or globals newer than ES2015.",
        Severity.ERROR, check_unsupported_syntax, tags=("supportability",),
        what="Once per script: the first construct newer than ES2018 (optional chaining, `??`, logical assignment, "
        "numeric separators, BigInt, class fields, private members, static blocks, `catch` without a binding, "
        "`import.meta`, dynamic `import()`), ES module syntax (`import`/`export`) or JSX markup, which classic "
        "scripts cannot contain, a syntax error, or a global newer than ES2015 (`globalThis`, `BigInt`, `WeakRef`, "
        "…). TypeScript sources are not reported: the compiler's target decides what ships.",
        why="The solution checker parses web resources as ES2018 with ES2015 globals and reports anything newer; "
        "older clients embedded in Outlook or mobile apps cannot run it either.",
        fix="Compile the script (TypeScript, Babel) to an ES2017 target before adding it to the solution.",
        bad="var name = account?.name ?? \"\";", good='var name = (account && account.name) || "";',
        link="https://learn.microsoft.com/power-apps/maker/data-platform/use-powerapps-checker",
    ),
    _rule(
        "web-avoid-dom-form", "AvoidDomForm", "A form script reaches into the form's HTML document.",
        Severity.ERROR, check_avoid_dom_form, tags=("supportability",), precision=Precision.MEDIUM,
        what="In scripts that use the Xrm Client API: `document` members and methods (`getElementById`, `body`, …), "
        "jQuery `$()`, `$get`, `$find`, and `contentIFrame…` frames. Scripts of HTML web resources own their page "
        "and are not reported.",
        why="The form's HTML is not an API: element ids and structure change with every release and differ between "
        "clients, so DOM code breaks without warning.",
        fix="Use the Client API (`formContext.getControl(…).setVisible`, `setLabel`, notifications) instead.",
        bad='document.getElementById("name_d").style.display = "none";',
        good='formContext.getControl("name").setVisible(false);',
        link=CHECKER + "avoid-dom-form",
    ),
    _rule(
        "web-avoid-dom-form-event", "AvoidDomFormEvent", "A form script handles HTML DOM events of the form.",
        Severity.ERROR, check_avoid_dom_form_event, tags=("supportability",), precision=Precision.MEDIUM,
        what="In scripts that use the Xrm Client API: `addEventListener`/`attachEvent` (and their removal), jQuery "
        "event methods on `$(…)`, and assignments to `on…` handler properties. Scripts of HTML web resources are not reported.",
        why="Form HTML events are not an API; handlers attached to them stop firing when the form's markup changes.",
        fix="Register `addOnChange`, `addOnLoad`, `addOnSave` or control events through the Client API.",
        bad='document.getElementById("name").addEventListener("change", onNameChange);',
        good='formContext.getAttribute("name").addOnChange(onNameChange);',
        link=CHECKER + "avoid-dom-form-event",
    ),
    _rule(
        "web-do-not-make-parent-assumption", "DoNotMakeParentAssumption", "A script assumes window.parent or window.opener is the form.",
        Severity.ERROR, check_parent_assumption, tags=("design",), precision=Precision.MEDIUM,
        what="Statements and variable initialisers that start with `parent.`, `window.parent.`, `opener.`, "
        "`window.opener.` or `this.parent.` (except those through `Xrm`), and variables holding them, within the "
        "function that declares them. `this.parent` is not reported where `this` is the script's own object: class "
        "members, object-literal and prototype methods, constructors.",
        why="What the parent or opener window is differs between the web client, mobile apps, dialogs and versions; "
        "code relying on it breaks when the hosting changes.",
        fix="Pass the data or form context explicitly (for example through `Xrm.Navigation.navigateTo` data).",
        bad='var name = window.parent.document.getElementById("name").value;',
        good='var name = formContext.getAttribute("name").getValue();',
        link=CHECKER + "do-not-make-parent-assumption",
    ),
    _rule(
        "web-use-cached-webresource", "UseCachedWebResource", "A script loads a web resource by its /WebResources/ URL.",
        Severity.WARNING, _string_rule(("/webresources/",),
                                       "{url} loads a web resource through /WebResources/, which bypasses the versioned "
                                       "cache: use a relative URL."),
        tags=("performance",),
        what="Strings (concatenations included) that contain `/WebResources/`.",
        why="URLs through `/WebResources/` skip the cache-busting version token of the app, so every load goes to "
        "the server, and an absolute URL points at the caller's default organisation.",
        fix="Refer to web resources with relative paths (`../contoso_/page.html`) or open them with "
        "`Xrm.Navigation.openWebResource`.",
        bad='iframe.src = clientUrl + "/WebResources/contoso_/page.html";',
        good='Xrm.Navigation.openWebResource("contoso_/page.html");',
        link=CHECKER + "use-cached-webresource",
    ),
    _rule(
        "web-use-relative-uri", "UseRelativeUri", "A script uses an absolute Dataverse endpoint URL.",
        Severity.WARNING, _string_rule(DATAVERSE_ENDPOINTS,
                                       "{url} is an absolute Dataverse endpoint URL: build it from getClientUrl() and a "
                                       "relative path.", absolute_only=True),
        tags=("maintainability",),
        what="Absolute URLs (`scheme://…`, concatenations included) that contain a Dataverse endpoint path "
        "(`/api/data/v…`, `/XRMServices/2011/…`, `/mscrmservices/2007/…`).",
        why="A hard-coded organisation URL breaks when the solution moves to another environment.",
        fix="Use `Xrm.WebApi`, or `Xrm.Utility.getGlobalContext().getClientUrl() + \"/api/data/v9.2/…\"`.",
        bad='var url = "https://contoso.crm.dynamics.com/api/data/v9.2/accounts";',
        good='var url = Xrm.Utility.getGlobalContext().getClientUrl() + "/api/data/v9.2/accounts";',
        link=CHECKER + "use-relative-uri",
    ),
    _rule(
        "web-use-utility-dialogs", "UseUtilityDialogs", "A form script calls alert() or confirm().",
        Severity.WARNING, check_utility_dialogs, tags=("usability",),
        what="In scripts that use the Xrm Client API: calls to `alert()` and `confirm()` (also `window.`/`parent.`).",
        why="Browser dialogs do not work in every client that shows the form (mobile apps, Outlook).",
        fix="Use `Xrm.Navigation.openAlertDialog()` and `openConfirmDialog()`.",
        bad='if (confirm("Close the case?")) { /* … */ }',
        good='Xrm.Navigation.openConfirmDialog({ text: "Close the case?" }).then(function (r) { if (r.confirmed) { /* … */ } });',
        link=CHECKER + "use-utility-dialogs",
    ),
    _rule(
        "web-avoid-ui-refreshribbon", "AvoidUiRefreshRibbon", "A script calls ui.refreshRibbon().",
        Severity.ERROR, check_ui_refresh_ribbon, tags=("performance",),
        what="Calls to `….ui.refreshRibbon()`.",
        why="Refreshing the ribbon re-evaluates every rule; called from an enable rule or on load it multiplies "
        "network calls and slows the form.",
        fix="Make the enable rule asynchronous: return a promise that resolves to true or false.",
        bad="formContext.ui.refreshRibbon();",
        good="function isEnabled() { return Xrm.WebApi.retrieveRecord(/* … */).then(function (r) { return r.active; }); }",
        link=CHECKER + "avoid-ui-refreshribbon",
    ),
    _rule(
        "web-avoid-jquery211-library", "AvoidJquery211Library", "A script loads the jQuery 2.1.1 copy bundled with the app.",
        Severity.WARNING, _string_rule(("/_static/_common/scripts/jquery-2.1.1.min.js",),
                                       "{url} loads the app's internal jQuery 2.1.1, which Microsoft removed: ship your own library."),
        tags=("upgrade-readiness",),
        what="Strings that contain `/_static/_common/scripts/jquery-2.1.1.min.js`.",
        why="The internal jQuery 2.1.1 file was removed from model-driven apps; pages that load it break.",
        fix="Add the jQuery version you need as your own web resource, or drop jQuery.",
        bad='$.getScript(clientUrl + "/_static/_common/scripts/jquery-2.1.1.min.js");',
        good='// ship jQuery as your own web resource: contoso_/lib/jquery.min.js',
        link="https://learn.microsoft.com/power-platform/important-changes-coming#jquery-211-to-be-removed-in-model-driven-apps",
    ),
)
