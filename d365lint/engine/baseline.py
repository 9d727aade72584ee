"""Baselines: accept today's findings, report only new ones.

A baseline records findings by fingerprint — the rule, the component or file
and a hash of what was found, never a line number (as detect-secrets and
checkov key theirs) — with a count, because one file can hold the same
finding twice. Moving code, or re-exporting a solution with its XML in
another order, keeps every fingerprint, so nothing resurfaces. The file
holds no message and no evidence: a secret's value never lands in it.

Shape::

    {"version": 1, "tool": "d365lint", "fingerprint": "v1",
     "findings": [{"fingerprint": "…", "rule": "sec-hardcoded-credential",
                   "component": "step:…", "count": 1}]}
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from d365lint.engine.fingerprint import FINGERPRINT_VERSION
from d365lint.reporting import json_layout

if TYPE_CHECKING:
    from d365lint.engine.run import Result

BASELINE_VERSION = 1
NEW = "new"
UNCHANGED = "unchanged"


class BaselineError(Exception):
    """The baseline file cannot be read or is not a d365lint baseline."""


class BaselineEntry(NamedTuple):
    """One accepted finding: its fingerprint and, for people reading the file, rule and component."""

    fingerprint: str
    rule: str
    component: str


class Baseline(NamedTuple):
    """Accepted findings, by fingerprint, with how many of each were accepted."""

    counts: Mapping[str, int]
    path: str = ""


def read_baseline(path: str | Path) -> Baseline:
    """Read a baseline written by :func:`write_baseline`; raise :class:`BaselineError` otherwise."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"{path}: cannot read baseline: {error.strerror or error}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"{path}: not a d365lint baseline (invalid JSON: {error})") from error
    if not isinstance(document, dict) or document.get("tool") != "d365lint" or not isinstance(document.get("findings"), list):
        raise BaselineError(f"{path}: not a d365lint baseline (expected a 'findings' list written by --write-baseline)")
    if document.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: baseline version {document.get('version')!r} is not supported (expected {BASELINE_VERSION})")
    counts: Counter[str] = Counter()
    for index, item in enumerate(document["findings"]):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise BaselineError(f"{path}: findings[{index}] has no fingerprint")
        count = item.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise BaselineError(f"{path}: findings[{index}].count must be a positive integer")
        counts[item["fingerprint"]] += count
    return Baseline(dict(counts), str(path))


def render_baseline(entries: Iterable[BaselineEntry]) -> str:
    """The baseline document for ``entries``, sorted so that it diffs well."""
    counted = Counter(entries)
    findings: list[dict[str, Any]] = [
        {"fingerprint": e.fingerprint, "rule": e.rule, "component": e.component, "count": n}
        for e, n in sorted(counted.items(), key=lambda item: (item[0].rule, item[0].component, item[0].fingerprint))
    ]
    document = {"version": BASELINE_VERSION, "tool": "d365lint", "fingerprint": FINGERPRINT_VERSION, "findings": findings}
    return json_layout.dumps(document, [(document, "findings")])


def write_baseline(path: str | Path, entries: Iterable[BaselineEntry]) -> Baseline:
    """Write ``entries`` to ``path``; return the baseline they make."""
    listed = list(entries)
    try:
        Path(path).write_text(render_baseline(listed), encoding="utf-8")
    except OSError as error:
        raise BaselineError(f"{path}: cannot write baseline: {error.strerror or error}") from error
    return Baseline(dict(Counter(entry.fingerprint for entry in listed)), str(path))


def states(fingerprints: Sequence[str], baseline: Baseline) -> list[str]:
    """``new`` or ``unchanged`` for each fingerprint, in order.

    When a fingerprint occurs more often than the baseline accepted, the
    first occurrences (in report order) are unchanged and the rest new.
    """
    remaining = Counter(baseline.counts)
    found = []
    for fingerprint in fingerprints:
        if remaining[fingerprint] > 0:
            remaining[fingerprint] -= 1
            found.append(UNCHANGED)
        else:
            found.append(NEW)
    return found


def result_entry(result: Result) -> BaselineEntry:
    return BaselineEntry(result.fingerprint, result.rule.id, result.finding.component)


def apply_baseline(results: Sequence[Result], baseline: Baseline) -> list[Result]:
    """Results with ``baseline_state`` set; suppressed results are left as they are."""
    open_results = [result for result in results if result.suppression is None]
    by_identity = dict(zip(map(id, open_results), states([r.fingerprint for r in open_results], baseline)))
    return [
        result._replace(baseline_state=by_identity[id(result)]) if id(result) in by_identity else result
        for result in results
    ]
