"""Gating a merge on SARIF written earlier, by d365lint or any other tool.

A pipeline often runs several analysers — d365lint, Microsoft's solution
checker (``pac solution check`` writes SARIF, zipped), others — and one step
should decide on all of them with one threshold and one baseline. This
module reads SARIF 2.1.0 logs (plain or in zips) into flat results:

* the level is the result's ``level``, else its rule's
  ``defaultConfiguration.level``, else ``warning`` (SARIF's default for a
  failing result); results of another ``kind`` than ``fail`` and level
  ``none`` are not counted;
* a result with an accepted suppression, or a ``baselineState`` of
  ``unchanged``/``updated``/``absent``, is not counted;
* the fingerprint is d365lint's own (``partialFingerprints["d365lint/v1"]``)
  when present, so ``check --write-baseline`` and ``gate --baseline`` share
  baselines; for other tools it hashes the tool, rule, file and message —
  never the line.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote, urlparse

from d365lint.engine.baseline import Baseline, BaselineEntry, states
from d365lint.loading.archive import ArchiveError, SafeZip, is_zip
from d365lint.reporting.annotations import Annotation, place
from d365lint.model import Location

LEVELS = ("error", "warning", "note")
LEVEL_ORDER = {"note": 1, "warning": 2, "error": 3}
D365LINT_FINGERPRINT = "d365lint/v1"
NOT_NEW = ("unchanged", "updated", "absent")


class GateError(Exception):
    """A SARIF file cannot be read at all."""


class GateResult(NamedTuple):
    """One result of one SARIF log, flattened."""

    tool: str
    rule_id: str
    level: str
    message: str
    location: Location
    fingerprint: str
    suppressed: bool = False
    baseline_state: str | None = None

    @property
    def counts(self) -> bool:
        return not self.suppressed and self.baseline_state not in NOT_NEW

    @property
    def annotation(self) -> Annotation:
        line, column, message = place(self.location, f"{self.message} [{self.tool}]")
        return Annotation(self.level, self.location.path, line, column, self.rule_id, message)


class GateReport(NamedTuple):
    results: tuple[GateResult, ...]
    logs: int
    tools: tuple[str, ...]

    @property
    def counted(self) -> tuple[GateResult, ...]:
        return tuple(result for result in self.results if result.counts)


def read_logs(path: Path) -> list[tuple[str, Any]]:
    """``(name, parsed JSON)`` of a SARIF file, or of every ``.sarif`` member of a zip."""
    try:
        with path.open("rb") as stream:
            start = stream.read(4)
    except OSError as error:
        raise GateError(f"{path}: cannot read: {error.strerror or error}") from error
    if is_zip(start):
        try:
            archive = SafeZip(str(path))
            members = [name for name in archive.names() if name.lower().endswith(".sarif")]
            if not members:
                raise GateError(f"{path}: the zip holds no .sarif file")
            return [(f"{path}!/{name}", _json(archive.read(name), f"{path}!/{name}")) for name in members]
        except ArchiveError as error:
            raise GateError(f"{path}: {error}") from error
    try:
        return [(str(path), _json(path.read_bytes(), str(path)))]
    except OSError as error:
        raise GateError(f"{path}: cannot read: {error.strerror or error}") from error


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GateError(f"{name}: not a SARIF file (invalid JSON: {error})") from error


def _runs(document: Any, name: str) -> list[Mapping[str, Any]]:
    if not isinstance(document, dict) or not isinstance(document.get("runs"), list):
        raise GateError(f"{name}: not a SARIF log (no 'runs' list)")
    return [run for run in document["runs"] if isinstance(run, dict)]


def _tool(run: Mapping[str, Any]) -> str:
    return str(_dict(_dict(run.get("tool")).get("driver")).get("name") or "unknown tool")


def results_of(document: Any, name: str) -> Iterator[GateResult]:
    """Every result of a SARIF log."""
    for run in _runs(document, name):
        driver = _dict(_dict(run.get("tool")).get("driver"))
        tool = _tool(run)
        rules = [_dict(rule) for rule in driver.get("rules") or [] if isinstance(rule, dict)]
        by_id = {str(rule.get("id")): rule for rule in rules}
        for result in run.get("results") or []:
            if isinstance(result, dict):
                flattened = _result(result, tool, rules, by_id)
                if flattened is not None:
                    yield flattened


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _result(result: Mapping[str, Any], tool: str, rules: Sequence[Mapping[str, Any]], by_id: Mapping[str, Mapping[str, Any]]) -> GateResult | None:
    if result.get("kind", "fail") != "fail":
        return None
    rule_index = result.get("ruleIndex", _dict(result.get("rule")).get("index"))
    descriptor = rules[rule_index] if isinstance(rule_index, int) and 0 <= rule_index < len(rules) else None
    rule_id = str(result.get("ruleId") or _dict(result.get("rule")).get("id") or (descriptor or {}).get("id") or "unknown-rule")
    descriptor = descriptor or by_id.get(rule_id, {})
    level = result.get("level") or _dict(descriptor.get("defaultConfiguration")).get("level") or "warning"
    if level not in LEVELS:
        return None  # "none": informational
    message = _message(result, descriptor)
    location = _location(result)
    fingerprint = _dict(result.get("partialFingerprints")).get(D365LINT_FINGERPRINT) or _foreign_fingerprint(
        tool, rule_id, location, message
    )
    suppressed = any(_dict(s).get("status", "accepted") == "accepted" for s in result.get("suppressions") or [])
    state = result.get("baselineState")
    return GateResult(tool, rule_id, level, message, location, str(fingerprint), suppressed, state if isinstance(state, str) else None)


def _message(result: Mapping[str, Any], descriptor: Mapping[str, Any]) -> str:
    message = _dict(result.get("message"))
    text = message.get("text")
    if not text and message.get("id"):
        text = _dict(_dict(descriptor.get("messageStrings")).get(message["id"])).get("text")
    text = str(text or "")
    for index, argument in enumerate(message.get("arguments") or []):
        text = text.replace(f"{{{index}}}", str(argument))
    return text


def _location(result: Mapping[str, Any]) -> Location:
    locations = result.get("locations") or [{}]
    physical = _dict(_dict(locations[0]).get("physicalLocation"))
    uri = str(_dict(physical.get("artifactLocation")).get("uri") or "")
    region = _dict(physical.get("region"))
    line = region.get("startLine")
    column = region.get("startColumn")
    parsed = urlparse(uri)
    path = unquote(parsed.path) if parsed.scheme in ("", "file") else uri
    return Location(path or "(no file)", line if isinstance(line, int) else 1, column if isinstance(column, int) else 1)


def _foreign_fingerprint(tool: str, rule_id: str, location: Location, message: str) -> str:
    digest = hashlib.sha256("\0".join((tool, rule_id, location.path, message)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def gate(paths: Sequence[Path], baseline: Baseline | None = None) -> GateReport:
    """Read every log; with a baseline, mark each open result new or unchanged."""
    results: list[GateResult] = []
    tools: list[str] = []
    logs = 0
    for path in paths:
        for name, document in read_logs(path):
            logs += 1
            tools.extend(_tool(run) for run in _runs(document, name))
            results.extend(results_of(document, name))
    if baseline is not None:
        open_results = [r for r in results if r.counts]
        marked = dict(zip(map(id, open_results), states([r.fingerprint for r in open_results], baseline)))
        results = [r._replace(baseline_state=marked[id(r)]) if id(r) in marked else r for r in results]
    return GateReport(tuple(results), logs, tuple(dict.fromkeys(tools)))


def baseline_entries(report: GateReport) -> list[BaselineEntry]:
    return [BaselineEntry(r.fingerprint, r.rule_id, f"file:{r.location.path}") for r in report.results if r.counts]


def failing(report: GateReport, fail_on: str) -> list[GateResult]:
    """Counted results at or above ``fail_on`` (none for ``never``)."""
    if fail_on == "never":
        return []
    return [r for r in report.counted if LEVEL_ORDER[r.level] >= LEVEL_ORDER[fail_on]]


def summary(report: GateReport, fail_on: str) -> str:
    counts = Counter(result.level for result in report.counted)
    parts = ", ".join(f"{counts[level]} {level}{'s' if counts[level] != 1 else ''}" for level in LEVELS)
    hidden = len(report.results) - len(report.counted)
    extra = f", {hidden} suppressed or baselined" if hidden else ""
    tools = ", ".join(report.tools) or "no tool"
    verdict = f"{len(failing(report, fail_on))} at or above {fail_on}" if fail_on != "never" else "not gating (--fail-on never)"
    return f"Gate: {len(report.counted)} results ({parts}{extra}) from {tools} in {report.logs} SARIF log{'s' if report.logs != 1 else ''}; {verdict}."


def render_text(report: GateReport, fail_on: str) -> str:
    lines = [
        f"{r.location.path}:{r.location.line}:{r.location.column}: {r.level} {r.rule_id} {r.message} [{r.tool}]"
        for r in sorted(report.counted, key=lambda r: (r.location, r.rule_id))
    ]
    return "\n".join([*lines, summary(report, fail_on)]) + "\n"
