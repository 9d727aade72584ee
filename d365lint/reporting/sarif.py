"""SARIF 2.1.0 for GitHub code scanning, Azure DevOps and other consumers.

The log is built from sarif-om's classes and serialised by :func:`to_json`,
which writes each property under its schema name (camelCase) and keeps
every value that was set — sarif-om's own helpers keep snake_case names or
drop values equal to the schema default, which would lose a result's
explicit ``level``. Property bags are plain dicts.

GitHub ignores ``suppressions`` and would show suppressed or baselined
results as open alerts, so they are left out unless asked for.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import quote

import attr
import sarif_om as om

from d365lint import __version__
from d365lint.engine.run import Report, Result
from d365lint.model import Diagnostic, Location
from d365lint.redaction import mask
from d365lint.reporting import json_layout
from d365lint.reporting.line_hash import file_line_hashes
from d365lint.rules.base import Rule

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
INFORMATION_URI = "https://github.com/d365lint/d365lint"
LOGICAL_FINGERPRINT = "d365lint/v1"


# Properties written even when they equal the schema default: a consumer
# must see the level we chose, and the column unit we count in.
ALWAYS_WRITTEN = frozenset({"level", "column_kind"})


_KEEP = object()
"""The default of a field whose value is written whenever it is set (a factory's, or one in :data:`ALWAYS_WRITTEN`)."""


@functools.cache
def _properties(cls: type) -> tuple[tuple[str, str, Any], ...] | None:
    """A sarif-om class's fields: attribute name, schema property name, and the default that is left out.

    Worked out once per class: a log of 57,213 results holds 927,345 sarif-om
    objects, and asking attrs about each one's class took most of the time.
    """
    if not attr.has(cls):
        return None
    return tuple(
        (
            field.name,
            field.metadata.get("schema_property_name", field.name),
            _KEEP if isinstance(field.default, attr.Factory) or field.default is attr.NOTHING or field.name in ALWAYS_WRITTEN
            else field.default,
        )
        for field in attr.fields(cls)
    )


def to_json(value: Any) -> Any:
    """sarif-om objects as JSON-ready values under their schema property names.

    A value nobody set is left out: None, or sarif-om's default (``index`` -1…).
    """
    properties = _properties(type(value))
    if properties is not None:
        document = {}
        for name, schema_name, default in properties:
            item = getattr(value, name)
            if item is None or item is attr.NOTHING or (default is not _KEEP and item == default):
                continue
            document[schema_name] = to_json(item)
        return document
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def _rule_descriptor(rule: Rule) -> om.ReportingDescriptor:
    properties: dict[str, Any] = {"tags": list(rule.tags), "precision": rule.precision.value}
    if rule.security_severity is not None:
        properties["security-severity"] = f"{rule.security_severity:.1f}"
    else:
        properties["problem.severity"] = rule.severity.label if rule.severity.label != "note" else "recommendation"
    return om.ReportingDescriptor(
        id=rule.id,
        name=rule.name,
        short_description=om.MultiformatMessageString(text=rule.summary),
        full_description=om.MultiformatMessageString(text=rule.summary),
        help=om.MultiformatMessageString(text=_plain(rule.help), markdown=rule.help),
        help_uri=rule.help_uri,
        default_configuration=om.ReportingConfiguration(level=rule.severity.label),
        properties=properties,
    )


def _plain(markdown: str) -> str:
    return "\n".join(line.lstrip("#").strip() if line.startswith("#") else line for line in markdown.splitlines())


def _physical_location(location: Location, with_region: bool = True) -> om.PhysicalLocation:
    region = None
    if with_region:
        region = om.Region(start_line=max(location.line, 1), start_column=max(location.column, 1))
        if location.end_line and location.end_column and (location.end_line, location.end_column) > (
            location.line,
            location.column,
        ):
            region.end_line = location.end_line
            region.end_column = location.end_column
    # A zip member cannot be opened by code scanning: the zip is the location,
    # and the member is named in the message.
    return om.PhysicalLocation(
        artifact_location=_artifact_location(location.path),
        region=region if location.member is None else om.Region(start_line=1),
    )


def _artifact_location(path: str) -> om.ArtifactLocation:
    """Paths below the working folder are relative to ``%SRCROOT%``; others are ``file:`` URIs."""
    if path.startswith("/"):
        return om.ArtifactLocation(uri="file://" + _uri(path))
    return om.ArtifactLocation(uri=_uri(path), uri_base_id=SRCROOT)


@functools.lru_cache(maxsize=4096)
def _uri(path: str) -> str:
    """``path`` quoted for a URI; kept, as a file is named once per finding in it.

    A file name that is not UTF-8 holds surrogate escapes (PEP 383): its URI names the real bytes.
    """
    return quote(path, safe="/:@!$&'()*+,;=-._~", errors="surrogateescape")


def _message(result: Result) -> str:
    finding = result.finding
    text = mask(finding.message, finding.secrets)
    location = finding.location
    if location.member:
        text += f" (in {location.member}, line {location.line})"
    return text


def _sarif_result(result: Result, rule_index: int, include_state: bool) -> om.Result:
    finding = result.finding
    location = finding.location
    sarif_result = om.Result(
        rule_id=result.rule.id,
        rule_index=rule_index,
        level=result.level.label,
        message=om.Message(text=_message(result)),
        locations=[om.Location(physical_location=_physical_location(location))],
        partial_fingerprints={LOGICAL_FINGERPRINT: result.fingerprint},
    )
    line_hash = _line_hash(location)
    if line_hash:
        sarif_result.partial_fingerprints["primaryLocationLineHash"] = line_hash
    if finding.related:
        sarif_result.related_locations = [
            om.Location(
                id=index,
                physical_location=_physical_location(related.location),
                message=om.Message(text=mask(related.message, finding.secrets)),
            )
            for index, related in enumerate(finding.related)
        ]
    if include_state:
        if result.suppression:
            sarif_result.suppressions = [
                om.Suppression(kind=result.suppression.kind, justification=result.suppression.justification or None)
            ]
        if result.baseline_state:
            sarif_result.baseline_state = result.baseline_state
    return sarif_result


def _line_hash(location: Location) -> str | None:
    return None if location.member else file_line_hashes(location.path).get(location.line)


def _notification(diagnostic: Diagnostic) -> om.Notification:
    location = diagnostic.location
    text = diagnostic.message if not location.member else f"{diagnostic.message} (in {location.member})"
    return om.Notification(
        level="error" if diagnostic.kind == "error" else "warning",
        message=om.Message(text=f"{location.display_path}: {text}"),
        locations=[om.Location(physical_location=_physical_location(location, with_region=False))],
    )


def build_log(report: Report, *, include_suppressed: bool = False, category: str | None = None) -> dict[str, Any]:
    """The SARIF log of ``report`` as a JSON-ready dict."""
    rules = sorted(report.rules, key=lambda rule: rule.id)
    index = {rule.id: position for position, rule in enumerate(rules)}
    shown = [r for r in report.results if include_suppressed or r.counts]
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="d365lint",
                version=__version__,
                semantic_version=__version__,
                information_uri=INFORMATION_URI,
                rules=[_rule_descriptor(rule) for rule in rules],
            )
        ),
        invocations=[
            om.Invocation(
                execution_successful=not report.has_tool_errors,
                tool_execution_notifications=[_notification(d) for d in report.diagnostics] or None,
            )
        ],
        original_uri_base_ids={SRCROOT: om.ArtifactLocation(description=om.Message(text="The folder d365lint ran in."))},
        column_kind="unicodeCodePoints",
        results=[_sarif_result(result, index[result.rule.id], include_suppressed) for result in shown],
    )
    if category:
        run.automation_details = om.RunAutomationDetails(id=category if category.endswith("/") else f"{category}/")
    log = om.SarifLog(version=SARIF_VERSION, schema_uri=SARIF_SCHEMA, runs=[run])
    document = to_json(log)
    return {"$schema": document.pop("$schema", SARIF_SCHEMA), **document}


def render(report: Report, *, include_suppressed: bool = False, category: str | None = None) -> str:
    log = build_log(report, include_suppressed=include_suppressed, category=category)
    return json_layout.dumps(log, [(run, "results") for run in log["runs"]])
