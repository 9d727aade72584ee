"""One test checks every fixture: findings must match the markers exactly.

Each folder below ``fixtures/solutions``, ``fixtures/sources`` and
``fixtures/sites`` is a case. Every ``ruleid:`` marker must be matched by a
finding of that rule on that line, no ``ok:`` line may have one, and no
finding may appear where no marker announced it.
"""

from __future__ import annotations

import pytest

from d365lint.engine.work import Worker, collections_in, plan
from d365lint.loading.discover import load
from d365lint.rules.base import Target
from tests.conftest import FIXTURES, ROOT, run_analysis
from tests.support.markers import Expectation, case_expectations

CASE_FOLDERS = ("solutions", "sources", "sites")
CASES = sorted(p for folder in CASE_FOLDERS if (FIXTURES / folder).is_dir() for p in (FIXTURES / folder).iterdir() if p.is_dir())


def _found(report) -> set[tuple[str, int, str]]:
    return {
        (result.finding.location.path, result.finding.location.line, result.rule.id)
        for result in report.results
        if result.finding.location.member is None
    }


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_findings_match_markers(case, ruleset):
    report = run_analysis([case], ruleset)
    expectations = case_expectations(case, ROOT)
    found = _found(report)
    expected = {(e.path, e.line, e.rule) for e in expectations if e.kind == "ruleid"}
    forbidden = {(e.path, e.line, e.rule) for e in expectations if e.kind == "ok"}
    missing = sorted(expected - found)
    unexpected = sorted(found - expected)
    assert not missing, f"markers without a finding: {missing}"
    assert not unexpected, f"findings without a marker: {unexpected}"
    assert not (found & forbidden), f"findings on ok: lines: {sorted(found & forbidden)}"
    assert not [d for d in report.diagnostics if d.kind == "error"], report.diagnostics


def _all_expectations() -> list[Expectation]:
    return [e for case in CASES for e in case_expectations(case, ROOT)]


def test_every_rule_has_a_firing_and_a_near_miss_fixture(ruleset):
    expectations = _all_expectations()
    fired = {e.rule for e in expectations if e.kind == "ruleid"}
    near_missed = {e.rule for e in expectations if e.kind == "ok"}
    rule_ids = set(ruleset.ids())
    assert not rule_ids - fired, f"rules with no firing fixture: {sorted(rule_ids - fired)}"
    assert not rule_ids - near_missed, f"rules with no near-miss fixture: {sorted(rule_ids - near_missed)}"


def test_markers_name_existing_rules(ruleset):
    unknown = sorted({e.rule for e in _all_expectations()} - set(ruleset.ids()))
    assert not unknown, f"markers name unknown rules: {unknown}"


def test_every_built_in_solution_rule_says_where_it_reports(ruleset):
    """Without ``reports_in`` a pre-commit run would check every role and table for each changed script."""
    silent = [rule.id for rule in ruleset.rules if Target.SOLUTION in rule.targets and not rule.reports_in]
    assert not silent, f"solution rules without reports_in: {silent}"


def test_every_built_in_rule_says_what_it_reads_of_a_solution(ruleset):
    """Without ``reads`` a pre-commit run from the cache would decode every collection of the solution again."""
    silent = [rule.id for rule in ruleset.rules if rule.reads is None]
    assert not silent, f"rules without reads: {silent}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_solution_findings_lie_where_their_rule_says(case, ruleset):
    """A pre-commit run skips a rule whose ``reports_in`` collections have nothing in the changed files: it must be right."""
    worker = Worker(load([str(case)], cwd=ROOT), ruleset.rules, lambda rule: dict(rule.options))
    rules = {rule.id: rule for rule in ruleset.rules}
    for task in plan(worker):
        if task.target is not Target.SOLUTION:
            continue
        solution = worker.inputs(Target.SOLUTION)[task.unit]
        for rule_id, finding in worker.run(task).findings:
            there = collections_in(solution, frozenset({finding.location.path}))
            assert there & set(rules[rule_id].reports_in), (
                f"{rule_id} reports in {finding.location.path} (holding {sorted(there)}), not in its reports_in"
            )
