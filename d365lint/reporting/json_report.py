"""The JSON report: a documented, stable shape for scripts.

Shape (``version`` changes only when a field changes meaning or goes away)::

    {
      "version": 1,
      "tool": {"name": "d365lint", "version": "0.1.0"},
      "summary": {"files": 12, "findings": 3, "error": 1, "warning": 2, "note": 0,
                  "suppressed": 0, "baselined": 0, "input_problems": 0, "seconds": 0.31},
      "findings": [
        {"rule": "sec-hardcoded-credential", "level": "error", "message": "…",
         "path": "solutions/x.zip", "member": "customizations.xml", "line": 12, "column": 7,
         "end_line": null, "end_column": null, "component": "step:…",
         "fingerprint": "…", "suppressed": null, "baseline_state": null,
         "related": [{"message": "…", "path": "…", "member": null, "line": 3, "column": 1}]}
      ],
      "input_problems": [{"kind": "error", "message": "…", "path": "…", "member": null, "line": 1, "column": 1}]
    }
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from d365lint import __version__
from d365lint.engine.run import Report, Result
from d365lint.model import Location
from d365lint.redaction import mask
from d365lint.reporting import json_layout

JSON_REPORT_VERSION = 1


def _place(location: Location) -> dict[str, Any]:
    return {"path": location.path, "member": location.member, "line": location.line, "column": location.column}


def _finding(result: Result) -> dict[str, Any]:
    finding = result.finding
    return {
        "rule": result.rule.id,
        "level": result.level.label,
        "message": mask(finding.message, finding.secrets),
        **_place(finding.location),
        "end_line": finding.location.end_line,
        "end_column": finding.location.end_column,
        "component": finding.component,
        "fingerprint": result.fingerprint,
        "suppressed": result.suppression.kind if result.suppression else None,
        "baseline_state": result.baseline_state,
        "related": [{"message": mask(r.message, finding.secrets), **_place(r.location)} for r in finding.related],
    }


def render(report: Report, *, include_suppressed: bool = False) -> str:
    shown = [r for r in report.results if include_suppressed or r.counts]
    counts = Counter(result.level.label for result in report.counted)
    document = {
        "version": JSON_REPORT_VERSION,
        "tool": {"name": "d365lint", "version": __version__},
        "summary": {
            "files": report.files,
            "findings": len(report.counted),
            **{level: counts[level] for level in ("error", "warning", "note")},
            "suppressed": sum(1 for r in report.results if r.suppression),
            "baselined": sum(1 for r in report.results if r.baseline_state == "unchanged" and not r.suppression),
            "input_problems": len(report.diagnostics),
            "seconds": round(report.seconds, 3),
        },
        "findings": [_finding(result) for result in shown],
        "input_problems": [{"kind": d.kind, "message": d.message, **_place(d.location)} for d in report.diagnostics],
    }
    return json_layout.dumps(document, [(document, "findings"), (document, "input_problems")])
