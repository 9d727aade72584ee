"""Where secrets sit in the files a solution carries besides code.

Cloud flows (``Workflows/*.json``), classic workflows (``Workflows/*.xaml``),
configuration-migration data (``data.xml``), custom connector definitions,
the markup of HTML web resources and the user strings of compiled
assemblies each keep a secret's name in a different place. This module
reads each format, pairs every value with the name that describes it, and
lets :mod:`d365lint.detectors.secrets` judge it. Each place comes back as a
:class:`Exposure`: the secret, where it is, the component it belongs to and
how the place is called in a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from lxml import etree

from d365lint.detectors.secrets import Secret, is_credential_name, is_random_token, named_secret, scan_json, scan_text
from d365lint.model import Location, RawFile, SourceFile
from d365lint.parsing.assembly import Assembly
from d365lint.parsing.html import script_spans
from d365lint.parsing.text import DecodeError, LineIndex, decode_text
from d365lint.parsing.xml import XmlDocument, XmlError, attribute, descendants, local_name, parse_xml
from d365lint.patterns import compile_lazily


class Exposure(NamedTuple):
    """A secret found in an artifact, with the component it belongs to and how to call the place."""

    secret: Secret
    location: Location
    component: str
    place: str


# ---------------------------------------------------------------- which raw file is which


def artifact_kind(raw: RawFile) -> str:
    """``flow``, ``classic-workflow``, ``configuration-data``, ``connector`` or "" for files no rule here reads."""
    path = raw.location.member or raw.location.path
    lowered = path.lower().replace("\\", "/")
    *folders, name = lowered.split("/")
    if name == "data.xml":
        return "configuration-data"
    if "workflows" in folders and name.endswith(".json"):
        return "flow"
    if "workflows" in folders and name.endswith(".xaml"):
        return "classic-workflow"
    if ("connector" in folders or "connectors" in folders) and name.endswith((".json", ".csx")):
        return "connector"
    return ""


def _file_name(raw: RawFile) -> str:
    return raw.name.replace("\\", "/").rsplit("/", 1)[-1]


def _text(raw: RawFile) -> str | None:
    try:
        return decode_text(raw.content)
    except DecodeError:
        return None


def raw_file_exposures(raw: RawFile, extra_keywords: tuple[str, ...]) -> Iterator[Exposure]:
    """Secrets in a flow, classic workflow, configuration data file or connector file."""
    kind = artifact_kind(raw)
    text = _text(raw) if kind else None
    if text is None:
        return
    if kind == "flow":
        yield from _located(scan_json(text, extra_keywords), text, raw.location, f"workflow:{_stem(raw)}",
                            f"Cloud flow '{_display_name(raw)}'")
    elif kind == "connector":
        secrets = scan_json(text, extra_keywords) if raw.name.lower().endswith(".json") else scan_text(text, extra_keywords)
        yield from _located(secrets, text, raw.location, f"connector-file:{_file_name(raw)}",
                            f"Custom connector file '{_file_name(raw)}'")
    elif kind == "classic-workflow":
        yield from _xaml_exposures(raw, extra_keywords)
    elif kind == "configuration-data":
        yield from _data_exposures(raw, extra_keywords)


def _stem(raw: RawFile) -> str:
    name = _file_name(raw)
    return name.rsplit(".", 1)[0] if "." in name else name


_GUID_SUFFIX = compile_lazily(r"-[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")


def _display_name(raw: RawFile) -> str:
    """A workflow's name as people know it: the file name without the GUID exports append."""
    return _GUID_SUFFIX.sub("", _stem(raw))


def _located(secrets: list[Secret], text: str, base: Location, component: str, place: str) -> Iterator[Exposure]:
    lines = LineIndex(text)
    for secret in secrets:
        line, column = lines.position(secret.start)
        yield Exposure(secret, base.at(line, column), component, place)


# XAML names CLR namespaces with spaces ("…;assembly=System.Activities, Version=4.0.0.0, …"), which
# libxml2 rejects as namespace URIs; the same number of underscores keeps every offset.
_NAMESPACE_DECLARATION = compile_lazily(rb'(xmlns(?::[\w.-]+)?\s*=\s*")([^"]*)"')


def _parse(raw: RawFile) -> XmlDocument | None:
    data = _NAMESPACE_DECLARATION.sub(lambda m: m.group(1) + m.group(2).replace(b" ", b"_") + b'"', raw.content)
    try:
        return parse_xml(data, raw.location)
    except XmlError:
        return None


# ---------------------------------------------------------------- classic workflows (XAML)

_VB_STRING = compile_lazily(r'"((?:[^"]|"")*)"')
# A variable passed on: [CustomActivityStep1_1_converted], or cast: [DirectCast(CustomActivityStep1_1_converted, System.String)].
_VARIABLE = compile_lazily(r"^\[\s*(?:(?:DirectCast|CType|TryCast)\(\s*)?([A-Za-z_][\w]*)\s*(?:,[^\]]*\))?\s*\]$")


def _xaml_exposures(raw: RawFile, extra: tuple[str, ...]) -> Iterator[Exposure]:
    """Literals a classic workflow passes to credential-named inputs, and secrets in any literal.

    The designer never writes a literal into a custom activity's input: it
    creates it in an ``EvaluateExpression`` step (``CreateCrmType`` with the
    literal among its ``Parameters``), converts the result, and passes the
    converted variable (``[CustomActivityStep1_1_converted]``). The literal
    is followed through those variables to the ``x:Key`` (or the column of
    ``SetEntityProperty``) that receives it.
    """
    doc = _parse(raw)
    component, place = f"workflow:{_stem(raw)}", f"Classic workflow '{_display_name(raw)}'"
    if doc is None:
        text = _text(raw)
        yield from _located(scan_text(text, extra), text, raw.location, component, place) if text else ()
        return
    literals: dict[str, tuple[str, etree._Element]] = {}
    aliases: dict[str, str] = {}
    reported: set[tuple[int, str]] = set()
    for activity in descendants(doc.root, "ActivityReference"):
        arguments = {attribute(argument, "Key"): argument for argument in activity.iter("{*}InArgument", "{*}OutArgument")
                     if attribute(argument, "Key")}  # lxml picks the arguments out: a workflow nests activities deep
        result = _variable(arguments.get("Result"))
        created = _vb_strings(arguments.get("Parameters"))
        if result and created:
            literals[result] = (created[0], arguments["Parameters"])
        source = _variable(arguments.get("Value")) or _variable(arguments.get("Input"))
        if result and source:
            aliases[result] = source
    for element in doc.root.iter(etree.Element):
        for name, value in _credential_inputs(element):
            literal = _resolve(value, literals, aliases)
            secret = named_secret(name, literal[0], extra) if literal else None
            if secret is not None and (id(literal[1]), secret.value) not in reported:
                reported.add((id(literal[1]), secret.value))
                yield Exposure(secret, doc.locate(literal[1]), component, place)
        for literal in _vb_strings(element):
            for secret in scan_text(literal, extra):
                if (id(element), secret.value) not in reported:
                    reported.add((id(element), secret.value))
                    yield Exposure(secret, doc.locate(element), component, place)


def _variable(element: etree._Element | None) -> str:
    match = _VARIABLE.match((element.text or "").strip()) if element is not None else None
    return match.group(1) if match else ""


def _vb_strings(element: etree._Element | None) -> list[str]:
    """The string literals of a VB expression held by ``element``'s own text."""
    text = (element.text or "").strip() if element is not None else ""
    if not text.startswith("["):
        return []
    return [match.group(1).replace('""', '"') for match in _VB_STRING.finditer(text)]


def _credential_inputs(element: etree._Element) -> Iterator[tuple[str, str]]:
    """``(name, variable)`` of a credential-named activity input or a credential-named column being set."""
    name = local_name(element)
    if name == "InArgument" and is_credential_name(attribute(element, "Key")):
        variable = _variable(element)
        if variable:
            yield attribute(element, "Key"), variable
    elif name == "SetEntityProperty" and is_credential_name(attribute(element, "Attribute")):
        value = _VARIABLE.match(attribute(element, "Value").strip())
        if value:
            yield attribute(element, "Attribute"), value.group(1)


def _resolve(variable: str, literals: dict[str, tuple[str, etree._Element]], aliases: dict[str, str]) -> tuple[str, etree._Element] | None:
    seen = set()
    while variable not in literals and variable in aliases and variable not in seen:
        seen.add(variable)
        variable = aliases[variable]
    return literals.get(variable)


# ---------------------------------------------------------------- configuration data (data.xml)

_NAME_FIELD = compile_lazily(r"(?:^|_)(?:name|key|settingname)$", re.I)
_VALUE_FIELD = compile_lazily(r"(?:^|_)(?:value|settingvalue|secret)$", re.I)


def _data_exposures(raw: RawFile, extra: tuple[str, ...]) -> Iterator[Exposure]:
    """Secrets in records of a configuration-migration ``data.xml``.

    A field named like a credential (``contoso_apikey``) holds one; so does
    the value field of a setting record whose name field names a credential
    (``adx_name`` = ``Authentication/OpenAuth/Facebook/AppSecret`` beside
    ``adx_value``) — the "configuration table" design Microsoft warns about.
    """
    doc = _parse(raw)
    if doc is None or local_name(doc.root) != "entities":
        return
    for entity in descendants(doc.root, "entity"):
        table = attribute(entity, "name")
        for record in descendants(entity, "record"):
            fields = [(attribute(field, "name"), attribute(field, "value"), field) for field in descendants(record, "field")]
            setting = next((value for name, value, _ in fields if _NAME_FIELD.search(name) and value), "")
            setting_name = setting.rstrip("/").rsplit("/", 1)[-1]
            component = f"data:{table}/{attribute(record, 'id')}"
            place = f"Configuration data record of '{table}'"
            for name, value, field in fields:
                secrets = scan_text(value, extra) or [
                    found for found in (
                        named_secret(name, value, extra),
                        named_secret(setting_name, value, extra) if _VALUE_FIELD.search(name) and setting_name else None,
                    ) if found is not None
                ][:1]
                for secret in secrets:
                    yield Exposure(secret, doc.locate(field), f"{component}/{name}", place)


# ---------------------------------------------------------------- HTML markup


def html_exposures(page: SourceFile, extra: tuple[str, ...]) -> Iterator[Exposure]:
    """Secrets in an HTML page's markup: attributes (``data-api-key``, ``<input name=… value=…>``), URLs, data blocks.

    Inline JavaScript is left to the script rules; ``data:`` images are not read.
    """
    text = page.text
    for start, end in script_spans(text):
        text = text[:start] + " " * (end - start) + text[end:]
    lines = LineIndex(page.text)
    base = page.location
    for secret in scan_text(text, extra):
        line, column = lines.position(secret.start)
        yield Exposure(secret, base.at(line + page.line_offset, column), page.component, "The HTML page")


# ---------------------------------------------------------------- compiled assemblies

_KEY_STRING = compile_lazily(r"^[A-Za-z][A-Za-z0-9_.-]*$")
# Generated, not written: hex, or random characters with the punctuation of base64 and secret formats.
_GENERATED = compile_lazily(r"^(?:[0-9a-fA-F]{16,}|(?=.*[~+/=.-])[A-Za-z0-9~+/=._-]{16,})$")


def assembly_exposures(assembly: Assembly, extra: tuple[str, ...]) -> Iterator[Exposure]:
    """Secrets among an assembly's user strings (its string literals), with their heap offsets.

    Names of variables do not survive compilation, but a literal key and
    its value do, one after the other, when code builds a request
    (``new KeyValuePair<string, string>("client_secret", "…")``). Neighbouring
    strings are often unrelated (column names, messages, identifiers), so a
    value counts after a key only when it looks generated, not merely secret.
    """
    previous = ""
    for string in assembly.user_strings:
        secrets = scan_text(string.value, extra)
        if not secrets and _KEY_STRING.match(previous) and _GENERATED.match(string.value) and is_random_token(string.value):
            paired = named_secret(previous, string.value, extra)
            secrets = [paired] if paired else []
        for secret in secrets:
            place = f"Assembly '{assembly.name}' (user string at #US heap offset 0x{string.offset:x})"
            yield Exposure(secret, assembly.location, assembly.component, place)
        previous = string.value
