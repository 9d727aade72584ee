"""Insecure transport: plain http:// endpoints and switched-off certificate checks.

Plug-ins, webhooks and pages exchange records, tokens and credentials with
other services. Over plain HTTP anyone on the path reads and changes them;
with certificate validation switched off, anyone who can answer in the
server's place does. The rule reads every place a solution names an
endpoint: plug-in step configuration, environment variables, service
endpoints (webhooks), the markup and styles of web resources, and plug-in
C# sources. URLs in web-resource *scripts* are reported by Microsoft's
``web-sdl-no-insecure-url`` rule, so they are not reported twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

import tree_sitter

from d365lint.detectors.sources import is_client_program, is_test_path
from d365lint.detectors.transport import insecure_urls, is_insecure_url
from d365lint.model import Location, Solution, SourceFile, TextValue, WebResourceType
from d365lint.parsing.text import DecodeError, LineIndex, decode_text, text_value_location
from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily
from d365lint.rules.base import Finding, Precision, Rule, RuleContext, Severity, Target

GUIDANCE = "https://learn.microsoft.com/dynamics365/guidance/implementation-guide/security-strategy-security-controls"
WEB_SERVICES_DOC = "https://learn.microsoft.com/power-apps/developer/data-platform/access-web-services"
WEBHOOK_DOC = "https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks"

INSECURE_TRANSPORT_HELP = f"""\
## What it finds
* Plain `http://` endpoints to another machine in plug-in step configuration,
  environment variable values, service endpoints (webhooks), the markup and
  style sheets of web resources, and plug-in C# code. Addresses of the local
  machine (`localhost`, `127.0.0.1`) and XML namespace or schema names
  (`xmlns="http://www.w3.org/…"`, `http://schemas.microsoft.com/…`,
  `[DataContract(Namespace = …)]`) are not endpoints and are left alone.
  URLs in web-resource scripts are reported by `web-sdl-no-insecure-url`.
* C# that turns off TLS certificate validation: a
  `ServerCertificateValidationCallback` or `ServerCertificateCustomValidationCallback`
  that accepts every certificate (`=> true`, `delegate {{ return true; }}`), or
  `HttpClientHandler.DangerousAcceptAnyServerCertificateValidator`.

## Why it matters
Microsoft's Dynamics 365 guidance counts encryption of data in transit among
the security controls every implementation relies on ([security
controls]({GUIDANCE})). A plug-in that posts a record to an `http://` address,
or a webhook registered on one, sends customer data and often an
authentication header in clear text: anyone on the network path can read
and change it. Accepting any certificate is the same in disguise — the
connection is encrypted, but to whoever answers. Dataverse plug-ins and
webhooks can reach HTTPS endpoints ([access external web
services]({WEB_SERVICES_DOC}), [webhooks]({WEBHOOK_DOC})), so nothing requires
plain HTTP.

## How to fix
Use `https://` endpoints, and keep the address in an environment variable so
each environment points at its own TLS endpoint. Remove certificate
validation overrides; if a test endpoint has a self-signed certificate, give
it a trusted one rather than disabling the check in code that ships.

## Example
Bad — a step's unsecure configuration and plug-in code:
```json
{{"validationServiceUrl": "http://validation.contoso.com/api/taxid"}}
```
```csharp
ServicePointManager.ServerCertificateValidationCallback = (s, cert, chain, errors) => true;
```
Good:
```json
{{"validationServiceUrl": "https://validation.contoso.com/api/taxid"}}
```
```csharp
// no override: the platform validates the certificate
using var client = new HttpClient();
```
"""

# ---------------------------------------------------------------------------
# Solution components


def _text_findings(value: TextValue, component: str, place: str) -> Iterator[Finding]:
    for found in insecure_urls(value.text):
        yield _url_finding(found.url, text_value_location(value, found.start), component, place)


def _url_finding(url: str, location: Location, component: str, place: str) -> Finding:
    return Finding(
        message=f"{place} uses the unencrypted endpoint {url}: use https://.",
        location=location,
        component=component,
        evidence=url,
    )


def _solution_findings(solution: Solution) -> Iterator[Finding]:
    for step in solution.plugin_steps:
        if step.configuration is not None:
            yield from _text_findings(step.configuration, f"step:{step.name}", f"The configuration of plug-in step '{step.name}'")
    for variable in solution.environment_variables:
        values = (variable.default_value, *variable.values) if variable.default_value else variable.values
        for value in values:
            yield from _text_findings(value, f"envvar:{variable.schema_name}", f"Environment variable '{variable.schema_name}'")
    for endpoint in solution.service_endpoints:
        for value in (endpoint.url, endpoint.namespace_address):
            if value is not None:
                yield from _text_findings(value, f"serviceendpoint:{endpoint.name}", f"Service endpoint '{endpoint.name}'")
    for resource in solution.web_resources:
        if resource.type is WebResourceType.CSS and resource.content and resource.content_location:
            try:
                text = decode_text(resource.content)
            except DecodeError:
                continue  # the loader reports undecodable content of the resources it reads
            place = Place(resource.content_location, 0, f"webresource:{resource.name}", f"Style sheet '{resource.name}'")
            yield from _markup_findings(text, place, _css_references)


# ---------------------------------------------------------------------------
# Web-resource markup and styles

# Attributes whose URL the browser loads or submits to. ``href`` loads only on
# <link> and <base>; on <a> it is a link the user follows, not an endpoint.
_FETCH_ATTRIBUTES = frozenset({"src", "action", "formaction", "data", "poster", "background", "codebase", "manifest", "srcset"})
_HREF_LOADS = frozenset({"link", "base"})
_START_TAG = compile_lazily(r"""<([A-Za-z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_ATTRIBUTE = compile_lazily(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_CSS_URL = compile_lazily(r"""(?:url\(\s*["']?|@import\s+["'])\s*(http://[^"')\s]+)""", re.I)
# Comments, and the code of script blocks (their src attribute stays): scripts have their own rule.
_HIDDEN_MARKUP = compile_lazily(r"<!--.*?-->|(?<=<script)(?:\b[^>]*>)?(?P<code>.*?)(?=</script\s*>)", re.I | re.S)


class Place(NamedTuple):
    """Where scanned markup lies and what it is: its file, first line, component and name for messages."""

    location: Location
    line_offset: int
    component: str
    name: str


def _blank(match: re.Match[str]) -> str:
    """The matched comment, or the code of a script block, as spaces (lines and columns stay put)."""
    hidden = match.group("code")
    kept = match.group(0)[: len(match.group(0)) - len(hidden)] if hidden is not None else ""
    return kept + re.sub(r"[^\n]", " ", match.group(0)[len(kept) :])


def _html_references(visible: str) -> Iterator[tuple[str, int]]:
    """Each URL a page loads through its markup, with its offset."""
    for tag in _START_TAG.finditer(visible):
        element = tag.group(1).lower()
        for attribute in _ATTRIBUTE.finditer(tag.group(2)):
            name = attribute.group(1).lower()
            if name in _FETCH_ATTRIBUTES or (name == "href" and element in _HREF_LOADS):
                group = next(index for index in (2, 3, 4) if attribute.group(index) is not None)
                value = attribute.group(group)
                yield value.strip(), tag.start(2) + attribute.start(group) + len(value) - len(value.lstrip())


def _css_references(visible: str) -> Iterator[tuple[str, int]]:
    """Each URL a style sheet (or a page's styles) imports or draws from, with its offset."""
    for match in _CSS_URL.finditer(visible):
        yield match.group(1), match.start(1)


def _markup_findings(text: str, place: Place, *readers: Callable[[str], Iterator[tuple[str, int]]]) -> Iterator[Finding]:
    """http:// references of a page or style sheet; comments and script code are blanked out first."""
    visible = _HIDDEN_MARKUP.sub(_blank, text)
    lines = LineIndex(visible)
    for read in readers:
        for value, offset in read(visible):
            if is_insecure_url(value):
                url = value.split()[0]
                line, column = lines.position(offset)
                yield _url_finding(url, place.location.at(place.line_offset + line, column), place.component, place.name)


def _html_findings(page: SourceFile) -> Iterator[Finding]:
    name = f"Web resource '{page.web_resource}'" if page.web_resource else "The page"
    place = Place(page.location, page.line_offset, page.component, name)
    yield from _markup_findings(page.text, place, _html_references, _css_references)


# ---------------------------------------------------------------------------
# C# plug-in code

_STRING_LITERALS = ("string_literal", "verbatim_string_literal", "raw_string_literal", "interpolated_string_expression")
_VALIDATION_CALLBACKS = frozenset({"ServerCertificateValidationCallback", "ServerCertificateCustomValidationCallback"})
_VALIDATOR_TYPES = frozenset({"RemoteCertificateValidationCallback", "SslStream"})
_ACCEPT_ANY = "DangerousAcceptAnyServerCertificateValidator"
_NAMESPACE_NAME = compile_lazily(r"namespace|xmlns|\bns\b", re.I)
_WEB_SITE_NAME = compile_lazily(r"web_?site|home_?page", re.I)


def _literal_value(parsed: ParsedSource, node: tree_sitter.Node) -> str:
    """The text of a C# string literal; for an interpolated string, its text up to the first hole,
    with ``{…}`` standing for the hole (``$"http://{host}/"`` reads ``http://{…}``)."""
    if node.type == "interpolated_string_expression":
        pieces = []
        for part in node.named_children:
            if part.type == "interpolation":
                pieces.append("{…}")
                break
            if part.type == "string_content":
                pieces.append(parsed.text(part))
        return "".join(pieces)
    text = parsed.text(node)
    return text.lstrip("@$u8").strip('"')


def _last_name(parsed: ParsedSource, node: tree_sitter.Node | None) -> str:
    """``Callback`` of ``a.b.Callback``, ``Name`` of ``Name``; empty for anything else."""
    if node is None:
        return ""
    if node.type == "member_access_expression":
        node = node.child_by_field_name("name")
    if node is not None and node.type in ("identifier", "generic_name"):
        return parsed.text(node).split("<", 1)[0]
    return ""


def _receiver(parsed: ParsedSource, literal: tree_sitter.Node) -> tuple[str, str]:
    """What a literal is given to, as (kind, names): an ``attribute`` argument, a ``variable``
    (its name and declared type), an ``assignment`` target (``account["websiteurl"]``), or a
    ``call``'s function; ("", "") for anything else."""
    node = literal.parent
    while node is not None and node.type in ("argument", "argument_list", "equals_value_clause", "parenthesized_expression"):
        node = node.parent
    if node is None:
        return "", ""
    if node.type in ("attribute_argument", "attribute_argument_list", "attribute"):
        return "attribute", ""
    if node.type == "variable_declarator":
        declaration = node.parent
        declared_type = declaration.child_by_field_name("type") if declaration is not None else None
        name = node.child_by_field_name("name") or node.named_children[0]
        return "variable", f"{parsed.text(name)} {parsed.text(declared_type) if declared_type is not None else ''}"
    if node.type == "assignment_expression":
        left = node.child_by_field_name("left")
        return "assignment", parsed.text(left) if left is not None else ""
    if node.type == "invocation_expression":
        function = node.child_by_field_name("function")
        return "call", parsed.text(function) if function is not None else ""
    return "", ""


def _is_not_an_endpoint(parsed: ParsedSource, literal: tree_sitter.Node) -> bool:
    """An XML/WCF namespace name (attribute argument, namespace variable or call), or a record's
    web site (``WebSiteURL = "http://…"``): values that are never called."""
    kind, names = _receiver(parsed, literal)
    if kind == "attribute":
        return True
    if kind == "call":
        return bool(re.search(r"namespace|XName\.Get|XNamespace\.Get", names, re.I))
    return bool(kind) and bool(_NAMESPACE_NAME.search(names) or _WEB_SITE_NAME.search(names))


def _builds_http_url(literal: tree_sitter.Node) -> bool:
    """A bare ``"http://"`` that starts a concatenation (``"http://" + host``) rather than a test of a prefix."""
    parent = literal.parent
    return parent is not None and parent.type == "binary_expression" and parent.child_by_field_name("left") == literal


def _url_in_literal(parsed: ParsedSource, literal: tree_sitter.Node) -> str | None:
    value = _literal_value(parsed, literal)
    if not value.lower().startswith("http://") or _is_not_an_endpoint(parsed, literal):
        return None
    if value.lower() == "http://":
        return " ".join(parsed.text(literal.parent).split()) if _builds_http_url(literal) else None
    if not is_insecure_url(value.replace("{…}", "host")):
        return None
    written = parsed.text(literal).lstrip("@$u8").strip('"')  # as written: holes keep their expressions
    return written.split()[0]


def _true_validator(parsed: ParsedSource, node: tree_sitter.Node | None, methods: dict[str, tree_sitter.Node]) -> bool:
    """A validation callback that returns true whatever the certificate: ``=> true``,
    ``delegate { return true; }``, a method of the file that does only that, or the
    framework's own accept-any validator."""
    if node is None:
        return False
    if node.type in ("lambda_expression", "anonymous_method_expression"):
        return _returns_only_true(parsed, node.child_by_field_name("body") or node.named_children[-1])
    name = _last_name(parsed, node)
    if name == _ACCEPT_ANY:
        return True
    method = methods.get(name)
    return method is not None and _returns_only_true(parsed, method.child_by_field_name("body"))


def _returns_only_true(parsed: ParsedSource, body: tree_sitter.Node | None) -> bool:
    if body is None:
        return False
    if body.type == "arrow_expression_clause" and body.named_children:
        body = body.named_children[0]
    if body.type == "boolean_literal":
        return parsed.text(body) == "true"
    statements = [child for child in body.named_children if child.type != "comment"] if body.type == "block" else []
    return (
        len(statements) == 1
        and statements[0].type == "return_statement"
        and bool(statements[0].named_children)
        and parsed.text(statements[0].named_children[0]) == "true"
    )


def _arguments(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The argument expressions of a call or ``new`` expression."""
    arguments = node.child_by_field_name("arguments")
    return [arg.named_children[-1] for arg in (arguments.named_children if arguments is not None else ()) if arg.named_children]


def _callback_assignment(parsed: ParsedSource, node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """The ``x.ServerCertificate…Callback = …`` assignment whose right side ``node`` is (or is part of)."""
    while node is not None and node.type in ("member_access_expression", "object_creation_expression", "argument", "argument_list"):
        node = node.parent
    if node is not None and node.type == "assignment_expression":
        if _last_name(parsed, node.child_by_field_name("left")) in _VALIDATION_CALLBACKS:
            return node
    return None


def _disabled_validation(parsed: ParsedSource, node: tree_sitter.Node, methods: dict[str, tree_sitter.Node]) -> str:
    """The member through which ``node`` turns certificate validation off, or empty."""
    if node.type == "assignment_expression":
        member = _last_name(parsed, node.child_by_field_name("left"))
        right = node.child_by_field_name("right")
        if right is not None and right.type == "object_creation_expression" and _arguments(right):
            right = _arguments(right)[0]  # new RemoteCertificateValidationCallback(handler)
        return member if member in _VALIDATION_CALLBACKS and _true_validator(parsed, right, methods) else ""
    if node.type == "object_creation_expression" and _callback_assignment(parsed, node) is None:
        created = _last_name(parsed, node.child_by_field_name("type"))
        if created in _VALIDATOR_TYPES and any(_true_validator(parsed, arg, methods) for arg in _arguments(node)):
            return created
    if node.type == "identifier" and parsed.text(node) == _ACCEPT_ANY and _callback_assignment(parsed, node.parent) is None:
        return _ACCEPT_ANY
    return ""


def _tls_findings(parsed: ParsedSource) -> Iterator[Finding]:
    methods = {
        parsed.text(name): node
        for node in parsed.of("method_declaration", "local_function_statement")
        if (name := node.child_by_field_name("name"))
    }
    for node in parsed.of("assignment_expression", "object_creation_expression", "identifier"):
        member = _disabled_validation(parsed, node, methods)
        if member:
            yield Finding(
                message=f"{member} accepts every server certificate: TLS no longer proves who is on the other end. "
                "Remove the override.",
                location=parsed.location(node),
                component=parsed.component,
                evidence=f"tls-validation-off:{member}",
            )


def _csharp_findings(parsed: ParsedSource) -> Iterator[Finding]:
    if is_test_path(parsed.source.location.display_path) or is_client_program(parsed.source.text):
        return  # tests and console tools never run in Dataverse; they set sample data such as web sites
    for node in parsed.of(*_STRING_LITERALS):
        if (url := _url_in_literal(parsed, node)):
            yield Finding(
                message=f"The plug-in code calls the unencrypted endpoint {url}: use https://.",
                location=parsed.location(node),
                component=parsed.component,
                evidence=url,
            )
    yield from _tls_findings(parsed)


def check_insecure_transport(unit: object, context: RuleContext) -> Iterator[Finding]:
    """Dispatch on the unit: a solution, an HTML page, or a C# source."""
    if isinstance(unit, Solution):
        yield from _solution_findings(unit)
    elif isinstance(unit, SourceFile):
        yield from _html_findings(unit)
    elif isinstance(unit, ParsedSource):
        yield from _csharp_findings(unit)


INSECURE_TRANSPORT = Rule(
    id="sec-insecure-transport",
    name="InsecureTransport",
    summary="An endpoint is reached over plain http://, or C# code turns off TLS certificate validation.",
    help=INSECURE_TRANSPORT_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("plugin_steps", "environment_variables", "service_endpoints", "web_resources"),
    reads=("plugin_steps", "environment_variables", "service_endpoints", "web_resources"),
    linked=("plugin_steps", "environment_variables", "service_endpoints", "web_resources"),
    also=(Target.HTML, Target.CSHARP),
    check=check_insecure_transport,
    tags=("security", "transport", "external/cwe/cwe-319", "external/cwe/cwe-295"),
    precision=Precision.HIGH,
    security_severity=6.5,
    references=(GUIDANCE, WEB_SERVICES_DOC, WEBHOOK_DOC),
)

RULES = (INSECURE_TRANSPORT,)
