"""Running the selected rules over a workspace and collecting results.

The engine owns everything a rule does not: which rules run, the units they
see, the severity each result gets, the fingerprint, the deterministic order
of results, and the files a pre-commit run is narrowed to. Suppressions and
baselines then mark results without removing them, so reports can still
show them on request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from d365lint.engine.baseline import Baseline, apply_baseline
from d365lint.engine.fingerprint import fingerprint
from d365lint.engine.suppressions import UNUSED_RULE_ID, Suppression, Suppressions
from d365lint.engine.suppressions import apply as apply_suppressions
from d365lint.engine.work import Task, TaskResult, Worker, execute, plan
from d365lint.model import Diagnostic, Workspace
from d365lint.rules.base import Finding, Rule, Severity, matches_rule


class Result(NamedTuple):
    """A finding of a rule, with everything the engine decided about it."""

    rule: Rule
    finding: Finding
    level: Severity
    fingerprint: str
    suppression: Suppression | None = None
    baseline_state: str | None = None  # "new" or "unchanged" when a baseline is in use

    @property
    def counts(self) -> bool:
        """Whether the result counts toward the exit code and default reports."""
        return self.suppression is None and self.baseline_state != "unchanged"

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (*self.finding.location.sort_key, self.rule.id, self.fingerprint)


class Report(NamedTuple):
    """The outcome of one analysis."""

    results: tuple[Result, ...]
    diagnostics: tuple[Diagnostic, ...]
    rules: tuple[Rule, ...]
    files: int
    seconds: float

    @property
    def counted(self) -> tuple[Result, ...]:
        return tuple(result for result in self.results if result.counts)

    @property
    def has_tool_errors(self) -> bool:
        return any(diagnostic.kind == "error" for diagnostic in self.diagnostics)


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What the configuration decides for a run."""

    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    suppressions: Suppressions = Suppressions()
    baseline: Baseline | None = None


Progress = Callable[[str, int, int], None]
"""Told ``(stage, done, total)`` after each unit, to draw a progress bar."""


def select_rules(rules: Iterable[Rule], select: Sequence[str] = (), ignore: Sequence[str] = ()) -> tuple[Rule, ...]:
    """Rules whose id equals or starts with a selected id/prefix, minus ignored ones.

    A prefix matches whole id segments: ``web-sdl`` selects ``web-sdl-no-cookies``
    but ``web-s`` selects nothing. An empty selection selects every rule.
    """

    def matches(rule_id: str, patterns: Sequence[str]) -> bool:
        return any(matches_rule(rule_id, pattern) for pattern in patterns)

    return tuple(
        rule for rule in rules if (not select or matches(rule.id, select)) and not matches(rule.id, ignore)
    )


def _options(rule: Rule, settings: RunSettings) -> dict[str, Any]:
    return {**rule.options, **settings.rule_options.get(rule.id, {})}


def _in_focus(finding: Finding, workspace: Workspace) -> bool:
    return workspace.focus is None or finding.location.path in workspace.focus


def _file_count(workspace: Workspace) -> int:
    """The files a run looked at: those it was given in a focused run, else every file of every input."""
    if workspace.focus is not None:
        return len(workspace.focus)
    return len(workspace.files) + len(workspace.raw_files) + sum(solution.file_count for solution in workspace.solutions)


def analyse(
    workspace: Workspace,
    rules: Sequence[Rule],
    settings: RunSettings = RunSettings(),
    progress: Progress | None = None,
    jobs: int = 1,
) -> Report:
    """Run ``rules`` over ``workspace``; results come sorted by file, position and rule.

    Suppressed results stay in the report, marked; with a baseline, each open
    result is marked ``new`` or ``unchanged``. ``jobs`` > 1 runs the units in
    that many processes (see :mod:`d365lint.engine.work`); the report is the
    same for any number of jobs.
    """
    started = time.perf_counter()
    worker = Worker(workspace, rules, lambda rule: _options(rule, settings))
    tasks = plan(worker)
    by_task: dict[Task, TaskResult] = {}
    for done, finished in enumerate(execute(worker, tasks, jobs), start=1):
        by_task[finished.task] = finished
        if progress is not None:
            progress(finished.task.target.value, done, len(tasks))
    worker.units.release()
    rules_by_id = {rule.id: rule for rule in rules}
    results = [
        _result(rules_by_id[rule_id], finding, settings)
        for task in tasks
        for rule_id, finding in by_task[task].findings
        if _in_focus(finding, workspace)
    ]
    unit_diagnostics = {diagnostic for task in tasks for diagnostic in by_task[task].diagnostics}
    results = _suppressed(_sharing_secrets(results), workspace, rules, settings)
    diagnostics = tuple(sorted(set(workspace.diagnostics) | unit_diagnostics, key=lambda d: (d.location.sort_key, d.message)))
    ordered = sorted(results, key=lambda result: result.sort_key)
    if settings.baseline is not None:
        ordered = apply_baseline(ordered, settings.baseline)
    return Report(
        results=tuple(ordered),
        diagnostics=diagnostics,
        rules=tuple(rules),
        files=_file_count(workspace),
        seconds=time.perf_counter() - started,
    )


def _sharing_secrets(results: list[Result]) -> list[Result]:
    """Results whose findings know every secret found in their file.

    Reports echo source lines and messages; a line another rule reports (an
    insecure URL, a password sign-in) may hold a secret the credential rule
    found, and must be masked all the same.
    """
    by_file: dict[str, set[str]] = {}
    for result in results:
        by_file.setdefault(result.finding.location.display_path, set()).update(result.finding.secrets)
    shared = []
    for result in results:
        known = by_file[result.finding.location.display_path]
        missing = known.difference(result.finding.secrets)
        finding = replace(result.finding, secrets=result.finding.secrets + tuple(sorted(missing))) if missing else result.finding
        shared.append(result._replace(finding=finding) if missing else result)
    return shared


def _suppressed(results: list[Result], workspace: Workspace, rules: Sequence[Rule], settings: RunSettings) -> list[Result]:
    """Results with suppressions applied, plus the unused-suppression findings when that rule runs."""
    unused_rule = next((rule for rule in rules if rule.id == UNUSED_RULE_ID), None)
    marked, unused = apply_suppressions(
        results, workspace, (rule.id for rule in rules), settings.suppressions, report_unused=unused_rule is not None
    )
    return marked + [_result(unused_rule, finding, settings) for finding in unused if unused_rule is not None]


def _result(rule: Rule, finding: Finding, settings: RunSettings) -> Result:
    level = settings.severity_overrides.get(rule.id) or finding.severity or rule.severity
    return Result(rule, finding, level, fingerprint(rule.id, finding.component, finding.evidence))
