"""The report people read: grouped by file, with the offending line and a caret."""

from __future__ import annotations

from collections import Counter
from itertools import groupby

import click

from d365lint.engine.run import Report, Result
from d365lint.redaction import mask
from d365lint.reporting.annotations import AZURE_COMMAND, INERT_AZURE_COMMAND
from d365lint.reporting.sources import source_line

_LEVEL_COLOURS = {"error": "red", "warning": "yellow", "note": "cyan"}
_MAX_SHOWN_LINE = 200


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\x1b``).

    A file named ``x\\n::error::…`` printed as it is would start a line of
    its own, which a CI runner reads as a workflow command, and an escape
    sequence in a name would drive the terminal (found by tests/test_hostile_input.py).
    """
    return text if text.isprintable() else "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)


def _header(result: Result) -> str:
    return printable(result.finding.location.display_path)


def _excerpt(result: Result) -> list[str]:
    """The source line under the finding, secrets masked, with a caret."""
    location = result.finding.location
    line = source_line(location)
    if line is None or not line.strip():
        return []
    line = mask(line, result.finding.secrets).expandtabs(1)
    column = max(location.column - 1, 0)
    if len(line) > _MAX_SHOWN_LINE:
        start = max(0, column - _MAX_SHOWN_LINE // 2)
        line, column = line[start : start + _MAX_SHOWN_LINE], column - start
    width = len(line.rstrip()) - column if location.end_line in (None, location.line) else 1
    if location.end_line == location.line and location.end_column:
        width = location.end_column - location.column
    caret = " " * column + "^" * max(1, min(width, len(line) - column, 80))
    gutter = f"{location.line:>5} | "
    return [f"{gutter}{line.rstrip()}", f"{' ' * (len(gutter) - 2)}| {caret}"]


def render(report: Report, *, colour: bool, show_source: bool = True, include_suppressed: bool = False) -> str:
    """The whole text report, ending with a summary line."""
    shown = [r for r in report.results if include_suppressed or r.counts]
    lines: list[str] = []
    for path, results in groupby(shown, key=_header):
        lines.append(click.style(path, bold=True) if colour else path)
        for result in results:
            location = result.finding.location
            level = result.level.label
            styled_level = click.style(level, fg=_LEVEL_COLOURS[level], bold=True) if colour else level
            rule_id = click.style(result.rule.id, bold=True) if colour else result.rule.id
            state = " [suppressed]" if result.suppression else " [baseline]" if result.baseline_state == "unchanged" else ""
            message = mask(result.finding.message, result.finding.secrets)
            lines.append(f"{printable(location.display_path)}:{location.line}:{location.column}: {styled_level} {rule_id} {printable(message)}{state}")
            if show_source:
                lines.extend(_excerpt(result))
        lines.append("")
    for diagnostic in report.diagnostics:
        location = diagnostic.location
        lines.append(f"{printable(location.display_path)}:{location.line}:{location.column}: tool-{diagnostic.kind} {printable(diagnostic.message)}")
    if report.diagnostics:
        lines.append("")
    lines.append(summary(report, shown))
    # Azure Pipelines runs a "##vso[" found anywhere in a log line: an echoed line must never be one.
    return "\n".join(lines).replace(AZURE_COMMAND, INERT_AZURE_COMMAND) + "\n"


def summary(report: Report, shown: list[Result]) -> str:
    counts = Counter(result.level.label for result in shown if result.counts)
    parts = [f"{counts[level]} {level}{'s' if counts[level] != 1 else ''}" for level in ("error", "warning", "note")]
    hidden = len(report.results) - len(report.counted)
    extra = f", {hidden} suppressed or baselined" if hidden else ""
    problems = f", {len(report.diagnostics)} input problem{'s' if len(report.diagnostics) != 1 else ''}" if report.diagnostics else ""
    total = sum(counts.values())
    return (
        f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(parts)}{extra}) "
        f"in {report.files} file{'s' if report.files != 1 else ''}{problems}, {report.seconds:.2f}s."
    )
