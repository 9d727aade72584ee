"""Microsoft's solution checker rules for custom connectors shipped in a solution.

A solution carries each custom connector as its XML (display name, brand
colour) plus three files: the OpenAPI definition, the connection parameters
and the icon. Everything the checker's ``connector-validate-*`` rules look at
is in those files, except whether the title is unique among all published
connectors, which needs the connector catalogue (d365lint checks the title's
form only).
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from d365lint.model import CustomConnector, Location, RawFile, Solution
from d365lint.parsing.text import DecodeError, decode_text
from d365lint.patterns import compile_lazily
from d365lint.rules._checker import checker_rule
from d365lint.rules.base import Finding, Precision, Rule, RuleContext, Severity, Target

CERTIFICATION = "https://learn.microsoft.com/connectors/custom-connectors/certification-submission"
CHECKER_RULES = "https://learn.microsoft.com/power-platform/admin/managed-environment-solution-checker"
OPENAPI_2 = "https://swagger.io/specification/v2/"
CONNECTION_PARAMETERS = "https://learn.microsoft.com/connectors/custom-connectors/connection-parameters"

# ---------------------------------------------------------------------------
# Reading the files


class JsonFile(NamedTuple):
    """A connector file parsed as JSON, or the reason it is not JSON."""

    raw: RawFile
    text: str
    value: Any
    error: str | None
    error_line: int = 1

    def location(self, *keys: str) -> Location:
        """Where the first of ``keys`` (searched in order, each after the previous) is in the file."""
        return self.raw.location.at(_line_of_keys(self.text, keys))


def _line_of_keys(text: str, keys: tuple[str, ...]) -> int:
    position = 0
    for key in keys:
        found = text.find(json.dumps(key), position)
        if found < 0:
            break
        position = found
    return text.count("\n", 0, position) + 1


def _read_json(raw: RawFile | None) -> JsonFile | None:
    if raw is None:
        return None
    try:
        text = decode_text(raw.content)
    except DecodeError as error:
        return JsonFile(raw, "", None, str(error))
    try:
        return JsonFile(raw, text, json.loads(text), None)
    except json.JSONDecodeError as error:
        return JsonFile(raw, text, None, f"{error.msg} (line {error.lineno}, column {error.colno})", error.lineno)


def _component(connector: CustomConnector) -> str:
    return f"connector:{connector.name}"


def _finding(connector: CustomConnector, location: Location, message: str, evidence: str) -> Finding:
    return Finding(f"Connector '{connector.display_name or connector.name}': {message}", location, _component(connector), evidence)


def _each_connector(check: Callable[[CustomConnector, RuleContext], Iterator[Finding]]) -> Callable[[Solution, RuleContext], Iterator[Finding]]:
    def run(solution: Solution, context: RuleContext) -> Iterator[Finding]:
        for connector in solution.connectors:
            yield from check(connector, context)

    return run


# ---------------------------------------------------------------------------
# The OpenAPI definition

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
PARAMETER_LOCATIONS = ("query", "header", "path", "formData", "body")
VISIBILITIES = ("important", "advanced", "internal", "none")


def _operations(definition: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    paths = definition.get("paths")
    for path, item in (paths.items() if isinstance(paths, Mapping) else ()):
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, Mapping) else None
            if isinstance(operation, Mapping):
                yield path, method, operation


def check_swagger_json(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    parsed = _read_json(connector.definition)
    if parsed is not None and (parsed.error or not isinstance(parsed.value, dict)):
        reason = parsed.error or "the top level is not a JSON object"
        yield _finding(connector, parsed.raw.location.at(parsed.error_line),
                       f"the OpenAPI definition is not valid JSON: {reason}.", "definition not JSON")


def _swagger_problems(definition: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], str]]:
    """OpenAPI 2.0 structural problems, each with the keys that lead to it."""
    if definition.get("swagger") != "2.0":
        yield ("swagger",), f"'swagger' must be \"2.0\" (found {json.dumps(definition.get('swagger'))})"
    info = definition.get("info")
    if not isinstance(info, Mapping) or not info.get("title") or not info.get("version"):
        yield ("info",), "'info' must have a title and a version"
    if not isinstance(definition.get("paths"), Mapping):
        yield ("paths",), "'paths' is missing"
    host = definition.get("host")
    if isinstance(host, str) and ("://" in host or "/" in host):
        yield ("host",), f"'host' must be a host name without scheme or path (found {host!r})"
    base_path = definition.get("basePath")
    if isinstance(base_path, str) and not base_path.startswith("/"):
        yield ("basePath",), "'basePath' must start with '/'"
    for path, method, operation in _operations(definition):
        responses = operation.get("responses")
        if not isinstance(responses, Mapping) or not responses:
            yield ("paths", path, method), f"{method.upper()} {path} has no responses"
        for parameter in operation.get("parameters", []) or []:
            if not isinstance(parameter, Mapping) or "$ref" in parameter:
                continue
            name = parameter.get("name", "?")
            where = parameter.get("in")
            if where not in PARAMETER_LOCATIONS:
                yield ("paths", path, method, str(name)), f"parameter '{name}' of {method.upper()} {path} has an invalid 'in' ({where!r})"
            elif where == "body" and "schema" not in parameter:
                yield ("paths", path, method, str(name)), f"body parameter '{name}' of {method.upper()} {path} has no schema"
            elif where != "body" and "type" not in parameter:
                yield ("paths", path, method, str(name)), f"parameter '{name}' of {method.upper()} {path} has no type"
            if where == "path" and parameter.get("required") is not True:
                yield ("paths", path, method, str(name)), f"path parameter '{name}' of {method.upper()} {path} must be required"
    yield from _dangling_references(definition)


def _dangling_references(definition: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], str]]:
    seen: set[str] = set()
    for reference in _references(definition):
        if reference in seen or not reference.startswith("#/"):
            continue
        seen.add(reference)
        target: Any = definition
        for part in reference[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, Mapping) else None
        if target is None:
            yield (reference,), f"$ref {reference} points at nothing"


def _references(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            reference = current.get("$ref")
            if isinstance(reference, str):
                yield reference
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _definition(connector: CustomConnector) -> JsonFile | None:
    parsed = _read_json(connector.definition)
    return parsed if parsed is not None and parsed.error is None and isinstance(parsed.value, dict) else None


def check_swagger(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    parsed = _definition(connector)
    if parsed is None:
        return
    for keys, problem in _swagger_problems(parsed.value):
        yield _finding(connector, parsed.location(*keys), f"the definition does not conform to OpenAPI 2.0: {problem}.", problem)


def check_swagger_extended(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    parsed = _definition(connector)
    if parsed is None:
        return
    operation_ids: dict[str, str] = {}
    for path, method, operation in _operations(parsed.value):
        where = f"{method.upper()} {path}"
        operation_id = operation.get("operationId")
        keys = ("paths", path, method)
        if not operation_id:
            yield _finding(connector, parsed.location(*keys), f"{where} has no operationId, which actions and flows "
                           "refer to.", f"{where}: no operationId")
        elif operation_id in operation_ids:
            yield _finding(connector, parsed.location(*keys, "operationId"), f"{where} reuses the operationId "
                           f"'{operation_id}' of {operation_ids[operation_id]}.", f"duplicate operationId {operation_id}")
        else:
            operation_ids[operation_id] = where
        if not operation.get("summary"):
            yield _finding(connector, parsed.location(*keys), f"{where} has no summary, which is the action's name in "
                           "the designer.", f"{where}: no summary")
        visibility = operation.get("x-ms-visibility")
        if visibility is not None and visibility not in VISIBILITIES:
            yield _finding(connector, parsed.location(*keys, "x-ms-visibility"), f"{where} has x-ms-visibility "
                           f"{visibility!r}; use one of {', '.join(VISIBILITIES)}.", f"{where}: x-ms-visibility {visibility}")


_GENERIC_TITLE_WORDS = compile_lazily(r"\b(api|connector|power\s*(apps|automate|platform)|copilot\s*studio)\b", re.I)
MAX_TITLE = 30


def check_title(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    parsed = _definition(connector)
    if parsed is None:
        return
    info = parsed.value.get("info")
    title = str(info.get("title") or "").strip() if isinstance(info, Mapping) else ""
    location = parsed.location("info", "title")
    if not title:
        yield _finding(connector, location, "the definition has no title.", "no title")
    elif len(title) > MAX_TITLE:
        yield _finding(connector, location, f"the title '{title}' is {len(title)} characters long; keep it to "
                       f"{MAX_TITLE} so that it stays distinguishable in lists.", f"title length {len(title)}")
    elif _GENERIC_TITLE_WORDS.search(title):
        word = _GENERIC_TITLE_WORDS.search(title).group(0)
        yield _finding(connector, location, f"the title '{title}' contains '{word}', which does not distinguish it "
                       "from other connectors: name the service.", f"title word {word}")


# ---------------------------------------------------------------------------
# Brand colour and icon

_HEX_COLOR = compile_lazily(r"^#[0-9a-fA-F]{6}$")
RESERVED_COLORS = {"#007ee5": "the default blue", "#ffffff": "white"}


def _color_location(connector: CustomConnector) -> Location:
    return connector.brand_color.location if connector.brand_color else connector.location


def check_brand_color(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    color = connector.brand_color.text.strip().lower() if connector.brand_color else ""
    if not color:
        yield _finding(connector, connector.location, "no brand colour is set (iconbrandcolor).", "no brand color")
    elif color in RESERVED_COLORS:
        yield _finding(connector, _color_location(connector), f"the brand colour {color} is {RESERVED_COLORS[color]}; "
                       "use the brand colour of the service.", color)


def check_hex_brand_color(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    color = connector.brand_color.text.strip() if connector.brand_color else ""
    if color and not _HEX_COLOR.match(color):
        yield _finding(connector, _color_location(connector), f"the brand colour {color!r} is not a hexadecimal colour "
                       "(#RRGGBB).", color)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_ICON_BYTES = 1024 * 1024
ICON_SIDES = (100, 230)


class Png(NamedTuple):
    width: int
    height: int
    corner: tuple[int, int, int, int] | None
    """The top-left pixel as RGBA, when the format is one d365lint decodes (8-bit, not interlaced)."""


def read_png(data: bytes) -> Png | None:
    """Width, height and top-left pixel of a PNG, or None when ``data`` is not a PNG."""
    if not data.startswith(PNG_SIGNATURE) or len(data) < 33 or data[12:16] != b"IHDR":
        return None
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    chunks = dict(_chunks(data))
    return Png(width, height, _corner(chunks, width, depth, color_type, interlace))


def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    position, idat = 8, []
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IDAT":
            idat.append(body)
        else:
            yield kind, body
        position += 12 + length
    yield b"IDAT", b"".join(idat)


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _corner(chunks: Mapping[bytes, bytes], width: int, depth: int, color_type: int, interlace: int) -> tuple[int, int, int, int] | None:
    if depth != 8 or interlace != 0 or color_type not in _CHANNELS:
        return None
    channels = _CHANNELS[color_type]
    try:
        raw = zlib.decompressobj().decompress(chunks.get(b"IDAT", b""), 1 + width * channels)
    except zlib.error:
        return None
    if len(raw) < 1 + channels:
        return None
    # Every PNG filter adds a function of the left and upper neighbours, which are zero for the first pixel of the
    # first row: its filtered bytes are its values.
    pixel = list(raw[1:1 + channels])
    if color_type == 3:
        palette, alpha = chunks.get(b"PLTE", b""), chunks.get(b"tRNS", b"")
        index = pixel[0]
        if 3 * index + 3 > len(palette):
            return None
        red, green, blue = palette[3 * index:3 * index + 3]
        return red, green, blue, alpha[index] if index < len(alpha) else 255
    if color_type == 0:
        return pixel[0], pixel[0], pixel[0], 255
    if color_type == 4:
        return pixel[0], pixel[0], pixel[0], pixel[1]
    if color_type == 2:
        return pixel[0], pixel[1], pixel[2], 255
    return pixel[0], pixel[1], pixel[2], pixel[3]


def _icon_name(icon: RawFile) -> str:
    return icon.name.rsplit("/", 1)[-1]


def check_icon_image(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    icon = connector.icon
    if icon is None:
        yield _finding(connector, connector.location, "the solution has no icon for the connector.", "no icon")
    elif len(icon.content) >= MAX_ICON_BYTES:
        yield _finding(connector, icon.location, f"the icon {_icon_name(icon)} is {len(icon.content)} bytes; keep it "
                       "under 1 MB.", f"icon size {len(icon.content)}")


def check_png_icon(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    icon = connector.icon
    if icon is not None and read_png(icon.content) is None:
        yield _finding(connector, icon.location, f"the icon {_icon_name(icon)} is not a PNG image.", "icon not PNG")


def check_icon_size(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    icon = connector.icon
    png = read_png(icon.content) if icon is not None else None
    low, high = ICON_SIDES
    if icon is not None and png is not None and (png.width != png.height or not low <= png.width <= high):
        yield _finding(connector, icon.location, f"the icon is {png.width}x{png.height} pixels; it must be square, "
                       f"between {low}x{low} and {high}x{high}.", f"icon {png.width}x{png.height}")


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def check_icon_background(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    icon = connector.icon
    png = read_png(icon.content) if icon is not None else None
    if icon is None or png is None or png.corner is None:
        return
    red, green, blue, alpha = png.corner
    background = _hex((red, green, blue))
    color = connector.brand_color.text.strip().lower() if connector.brand_color else ""
    if alpha < 255:
        problem = "transparent"
    elif background in RESERVED_COLORS:
        problem = f"{RESERVED_COLORS[background]} ({background})"
    elif _HEX_COLOR.match(color) and background != color:
        problem = f"{background}, not the brand colour {color}"
    else:
        return
    yield _finding(connector, icon.location, f"the icon's background is {problem}: fill it with the brand colour.",
                   f"icon background {problem}")


# ---------------------------------------------------------------------------
# Connection parameters

PARAMETER_TYPES = ("string", "securestring", "bool", "int", "oauthSetting", "gatewaySetting", "clientCertificate")
DEFAULT_IDENTITY_PROVIDERS = (
    "aad", "aadcertificate", "oauth2", "oauth2generic", "facebook", "google", "github", "instagram", "dropbox",
)


def _parameters(connector: CustomConnector) -> JsonFile | None:
    parsed = _read_json(connector.parameters)
    return parsed if parsed is not None and parsed.error is None and isinstance(parsed.value, dict) else None


def check_parameters_json(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    parsed = _read_json(connector.parameters)
    if parsed is not None and (parsed.error or not isinstance(parsed.value, dict)):
        reason = parsed.error or "the top level is not a JSON object"
        yield _finding(connector, parsed.raw.location.at(parsed.error_line),
                       f"the connection parameters are not valid JSON: {reason}.", "parameters not JSON")


def check_parameters(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    parsed = _parameters(connector)
    if parsed is None:
        return
    for name, parameter in parsed.value.items():
        if not isinstance(parameter, Mapping):
            yield _finding(connector, parsed.location(name), f"connection parameter '{name}' is not an object.", f"{name}: not an object")
            continue
        kind = parameter.get("type")
        if kind not in PARAMETER_TYPES:
            yield _finding(connector, parsed.location(name), f"connection parameter '{name}' has type {kind!r}; use one "
                           f"of {', '.join(PARAMETER_TYPES)}.", f"{name}: type {kind}")
        elif kind == "oauthSetting" and not isinstance(parameter.get("oAuthSettings"), Mapping):
            yield _finding(connector, parsed.location(name), f"OAuth parameter '{name}' has no oAuthSettings.", f"{name}: no oAuthSettings")
        elif kind == "oauthSetting" and not parameter["oAuthSettings"].get("clientId"):
            yield _finding(connector, parsed.location(name, "oAuthSettings"), f"OAuth parameter '{name}' has no clientId.",
                           f"{name}: no clientId")


def check_identity_provider(connector: CustomConnector, context: RuleContext) -> Iterator[Finding]:
    parsed = _parameters(connector)
    if parsed is None:
        return
    supported = {provider.lower() for provider in context.options.get("identity-providers", DEFAULT_IDENTITY_PROVIDERS)}
    for name, parameter in parsed.value.items():
        settings = parameter.get("oAuthSettings") if isinstance(parameter, Mapping) and parameter.get("type") == "oauthSetting" else None
        if not isinstance(settings, Mapping):
            continue
        provider = str(settings.get("identityProvider") or "")
        if provider.lower() not in supported:
            shown = repr(provider) if provider else "none"
            yield _finding(connector, parsed.location(name, "identityProvider"), f"OAuth parameter '{name}' uses identity "
                           f"provider {shown}, which is not a supported OAuth 2.0 provider ({', '.join(sorted(supported))}).",
                           f"{name}: identityProvider {provider}")


# ---------------------------------------------------------------------------
# The rules


def _rule(rule_id: str, name: str, summary: str, severity: Severity,
          check: Callable[[CustomConnector, RuleContext], Iterator[Finding]], *, link: str = CERTIFICATION,
          lang: str = "json", **details: Any) -> Rule:
    """A rule run on each custom connector of a solution."""
    origin = (f"Microsoft's solution checker reports this as `{rule_id}` (see [the checker's rules]({CHECKER_RULES}) "
              f"and [the connector guidance]({link})).")
    return checker_rule(rule_id, name, summary, severity, _each_connector(check), target=Target.SOLUTION, lang=lang,
                        link=link, origin=origin, tags=("connector",), references=(CHECKER_RULES,),
                        reports_in=("connectors",), reads=("connectors",), **details)


_XML_COLOR = "<Connector>\n  <name>fabrikam_erp</name>\n  <iconbrandcolor>{color}</iconbrandcolor>\n</Connector>"

RULES = (
    _rule(
        "connector-validate-swagger-isproperjson", "ConnectorValidateSwaggerIsProperJson",
        "A custom connector's OpenAPI definition is not valid JSON.", Severity.ERROR, check_swagger_json,
        what="The connector's `…_openapidefinition.json` does not parse as a JSON object.",
        why="The connector cannot be imported or used; every flow and app calling it breaks.",
        fix="Fix the JSON (a trailing comma, a missing quote); `paconn validate` shows where.",
        bad='{ "swagger": "2.0", "info": { "title": "Fabrikam ERP", } }',
        good='{ "swagger": "2.0", "info": { "title": "Fabrikam ERP", "version": "1.0" } }',
    ),
    _rule(
        "connector-validate-swagger", "ConnectorValidateSwagger",
        "A custom connector's definition does not conform to OpenAPI 2.0.", Severity.ERROR, check_swagger,
        what="OpenAPI 2.0 structure: `swagger` is \"2.0\", `info` has a title and version, `paths` exists, `host` is "
        "a bare host name and `basePath` starts with '/', every operation has responses, every parameter has a "
        "valid `in` with a `type` (or a `schema` for body parameters), path parameters are required, and local "
        "`$ref`s resolve.",
        why="Power Platform reads connectors as OpenAPI 2.0 (Swagger); anything else fails to import or produces "
        "actions that fail at run time.",
        fix="Correct the definition; validate it with `paconn validate` before exporting the solution.",
        bad='"/orders/{id}": { "get": { "parameters": [ { "name": "id", "in": "path", "type": "string" } ] } }',
        good='"/orders/{id}": { "get": { "parameters": [ { "name": "id", "in": "path", "type": "string", "required": true } ],\n  "responses": { "200": { "description": "OK" } } } }',
        link=OPENAPI_2,
    ),
    _rule(
        "connector-validate-swagger-extended", "ConnectorValidateSwaggerExtended",
        "A custom connector's operations miss what the connector standard requires.", Severity.WARNING,
        check_swagger_extended,
        what="Operations without an `operationId`, with an `operationId` another operation uses, without a "
        "`summary`, or with an `x-ms-visibility` other than important, advanced, internal or none.",
        why="Flows and apps refer to actions by operationId and show them by summary; duplicates and gaps break "
        "or confuse the designer.",
        fix="Give every operation a unique operationId and a summary.",
        bad='"get": { "responses": { "200": { "description": "OK" } } }',
        good='"get": { "operationId": "GetOrder", "summary": "Get an order", "responses": { "200": { "description": "OK" } } }',
    ),
    _rule(
        "connector-validate-title", "ConnectorValidateTitle",
        "A custom connector's title is missing, too long or generic.", Severity.WARNING, check_title,
        what="A definition without `info.title`, a title longer than 30 characters, or one containing words such as "
        "API, Connector or a Power Platform product name. Whether the title is unique among published connectors "
        "needs the catalogue and is not checked.",
        why="Users pick connectors by title; a long or generic one cannot be told apart from others.",
        fix="Use the service's name, at most 30 characters.",
        bad='"info": { "title": "Fabrikam Timesheet Management API Connector", "version": "1.0" }',
        good='"info": { "title": "Fabrikam Timesheets", "version": "1.0" }',
    ),
    _rule(
        "connector-validate-brandcolor", "ConnectorValidateBrandColor",
        "A custom connector has no brand colour, or white or the default blue.", Severity.WARNING, check_brand_color,
        what="Connectors without `iconbrandcolor`, or with `#ffffff` or the default `#007ee5`.",
        why="The brand colour frames the connector's icon everywhere in the designers; white or the default makes "
        "the connector look unfinished and hard to recognise.",
        fix="Set the service's brand colour.",
        bad=_XML_COLOR.format(color="#007ee5"), good=_XML_COLOR.format(color="#3c2f80"), lang="xml",
    ),
    _rule(
        "connector-validate-hexadecimalbrandcolor", "ConnectorValidateHexadecimalBrandColor",
        "A custom connector's brand colour is not a hexadecimal colour.", Severity.WARNING, check_hex_brand_color,
        what="An `iconbrandcolor` that is not of the form `#RRGGBB`.",
        why="The platform accepts only hexadecimal colours; other values are rejected or ignored.",
        fix="Write the colour as `#RRGGBB`.",
        bad=_XML_COLOR.format(color="purple"), good=_XML_COLOR.format(color="#3c2f80"), lang="xml",
    ),
    _rule(
        "connector-validate-iconimage", "ConnectorValidateIconImage",
        "A custom connector has no icon, or one of 1 MB or more.", Severity.WARNING, check_icon_image,
        what="Connectors shipped without an icon file, or with an icon of 1 MB or more.",
        why="The icon identifies the connector in every designer; a missing or oversized one fails validation.",
        fix="Add a PNG icon under 1 MB.",
        bad="<!-- no …_iconblob.png beside the connector -->", good="<iconblob>/Connector/fabrikam_erp_iconblob.Png</iconblob>",
        lang="xml",
    ),
    _rule(
        "connector-validate-pngiconimage", "ConnectorValidatePngIconImage",
        "A custom connector's icon is not a PNG image.", Severity.WARNING, check_png_icon,
        what="Icon files that do not start with the PNG signature.",
        why="Connector icons must be PNG images.",
        fix="Convert the icon to PNG.",
        bad="fabrikam_erp_iconblob.Png  (a JPEG file renamed)", good="fabrikam_erp_iconblob.Png  (a PNG file)", lang="text",
    ),
    _rule(
        "connector-validate-iconsize", "ConnectorValidateIconSize",
        "A custom connector's icon is not square between 100 and 230 pixels.", Severity.WARNING, check_icon_size,
        what="PNG icons whose width and height differ, or fall outside 100–230 pixels.",
        why="Icons outside this size are scaled badly or rejected.",
        fix="Export the icon square, for example 160x160 pixels.",
        bad="icon.png: 64x64", good="icon.png: 160x160", lang="text",
    ),
    _rule(
        "connector-validate-backgroundwithbrandiconcolor", "ConnectorValidateBackgroundWithBrandIconColor",
        "A custom connector's icon background is transparent, white, default blue or not the brand colour.",
        Severity.NOTE, check_icon_background, precision=Precision.MEDIUM,
        what="The top-left pixel of the icon (for 8-bit, non-interlaced PNGs): transparent, white, `#007ee5`, or "
        "different from the brand colour.",
        why="The icon is shown on its brand colour; a background that differs leaves a visible box or a hole.",
        fix="Fill the icon's background with the brand colour.",
        bad="icon background #ffffff, iconbrandcolor #3c2f80", good="icon background #3c2f80, iconbrandcolor #3c2f80",
        lang="text",
    ),
    _rule(
        "connector-validate-connectionparam-isproperjson", "ConnectorValidateConnectionParamIsProperJson",
        "A custom connector's connection parameters are not valid JSON.", Severity.ERROR, check_parameters_json,
        what="The connector's `…_connectionparameters.json` does not parse as a JSON object.",
        why="Connections to the connector cannot be created.",
        fix="Fix the JSON.",
        bad='{ "api_key": { "type": "securestring", } }', good='{ "api_key": { "type": "securestring" } }',
        link=CONNECTION_PARAMETERS,
    ),
    _rule(
        "connector-validate-connectionparameters", "ConnectorValidateConnectionParameters",
        "A custom connector's connection parameter is not well formed.", Severity.WARNING, check_parameters,
        what="Connection parameters that are not objects, whose `type` is not one of string, securestring, bool, "
        "int, oauthSetting, gatewaySetting or clientCertificate, or OAuth parameters without `oAuthSettings` or "
        "`clientId`.",
        why="Makers cannot create a connection from a malformed parameter.",
        fix="Give each parameter a valid type and, for OAuth, complete settings.",
        bad='{ "token": { "type": "oauth", "oAuthSettings": { "identityProvider": "aad" } } }',
        good='{ "token": { "type": "oauthSetting", "oAuthSettings": { "identityProvider": "aad", "clientId": "…" } } }',
        link=CONNECTION_PARAMETERS,
    ),
    _rule(
        "connector-validate-connectionparam-oauth2idp", "ConnectorValidateConnectionParamOauth2Idp",
        "A custom connector's OAuth parameter names an unsupported identity provider.", Severity.WARNING,
        check_identity_provider, precision=Precision.MEDIUM,
        options={"identity-providers": DEFAULT_IDENTITY_PROVIDERS},
        what="OAuth connection parameters whose `identityProvider` is missing or not among the supported providers "
        f"(configurable with the `identity-providers` option; default {', '.join(DEFAULT_IDENTITY_PROVIDERS)}).",
        why="The platform runs OAuth only through its supported providers; any other value fails when a connection "
        "is created.",
        fix="Use `oauth2generic` (or `aad` for Microsoft Entra ID) with the provider's authorisation and token URLs.",
        bad='"oAuthSettings": { "identityProvider": "okta", "clientId": "…" }',
        good='"oAuthSettings": { "identityProvider": "oauth2generic", "clientId": "…" }',
        link=CONNECTION_PARAMETERS,
    ),
)
