"""Inline suppressions in every language, component suppressions in configuration, unused ones reported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import libcst
import pytest

from d365lint.cli.main import main
from d365lint.engine.run import RunSettings, analyse
from d365lint.engine.suppressions import (
    ComponentSuppression,
    PathIgnore,
    Suppressions,
    Syntax,
    parse_directives,
)
from d365lint.loading.discover import load
from d365lint.model import Location, PortalSite, Solution, Workspace
from d365lint.parsing.python import PythonModule
from d365lint.rules.base import Finding, RuleContext, Severity, Target
from tests.conftest import FIXTURES, ROOT, run_analysis
from tests.support.rules import rule_for_test as make_rule

BASE = Location("f")
UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"
INVOICE_TYPE = Path("Entities/contoso_InvoiceType/Entity.xml")


def _targets(text: str, syntax: Syntax) -> list[tuple[int, tuple[str, ...], str, int]]:
    return [(d.location.line, d.rule_ids, d.reason, d.target_line) for d in parse_directives(text, syntax, BASE)]


# --- reading directives -------------------------------------------------------


def test_slash_comments_cover_the_next_code_line_with_ids_and_reason():
    text = "a();\n// d365lint-disable-next-line web-avoid-eval, web-remove-alert -- vetted input\neval(x); alert(1);\n"
    assert _targets(text, Syntax.SLASH) == [(2, ("web-avoid-eval", "web-remove-alert"), "vetted input", 3)]


def test_directives_stack_and_skip_comment_lines():
    text = "// d365lint-disable-next-line a-b\n// d365lint-disable-next-line c-d -- why\n// other comment\ncode();\n"
    assert [t[3] for t in _targets(text, Syntax.SLASH)] == [4, 4]


def test_block_comment_spanning_lines_covers_the_line_after_it():
    text = "/* d365lint-disable-next-line web-avoid-eval\n   because the formula table is vetted */\neval(x);\n"
    assert _targets(text, Syntax.SLASH) == [(1, ("web-avoid-eval",), "", 3)]


def test_python_form_applies_to_its_own_line_when_trailing_and_to_the_next_when_alone():
    text = 'key = "abc"  # d365lint: disable=sec-hardcoded-credential -- test key\n# d365lint: disable=a-b,c-d\nx = 1\n'
    assert _targets(text, Syntax.HASH) == [
        (1, ("sec-hardcoded-credential",), "test key", 1),
        (2, ("a-b", "c-d"), "", 3),
    ]


def test_xml_comments_take_a_single_dash_before_the_reason():
    text = '<Entity>\n  <!-- d365lint-disable-next-line sec-org-owned-reference-table - lookup data -->\n  <OwnershipTypeMask/>\n'
    assert _targets(text, Syntax.XML) == [(2, ("sec-org-owned-reference-table",), "lookup data", 3)]


def test_yaml_comments():
    text = "# d365lint-disable-next-line sec-site-anonymous-access -- public price list\nanonymous: true\n"
    assert _targets(text, Syntax.HASH) == [(1, ("sec-site-anonymous-access",), "public price list", 2)]


def test_each_language_accepts_only_its_own_comment_form():
    assert _targets("# d365lint-disable-next-line a-b\nx\n", Syntax.SLASH) == []
    assert _targets("// d365lint: disable=a-b\nx\n", Syntax.SLASH) == []
    assert _targets("// d365lint-disable-next-line a-b\nx\n", Syntax.XML) == []
    assert _targets("<!-- d365lint-disable-next-line a-b -->\n// d365lint-disable-next-line c-d\nx\n", Syntax.MARKUP) == [
        (1, ("a-b",), "", 3),
        (2, ("c-d",), "", 3),
    ]


def test_a_reason_without_separator_reads_as_rule_ids_and_is_reported():
    """The rule ids end at the separator; words before it are taken for (unknown) ids."""
    assert _targets("// d365lint-disable-next-line web-avoid-eval because vetted\nx\n", Syntax.SLASH)[0][1] == (
        "web-avoid-eval",
        "because",
        "vetted",
    )


# --- the engine ---------------------------------------------------------------


def _copy_unsafe(tmp_path: Path) -> Path:
    target = tmp_path / "contoso-unsafe"
    shutil.copytree(UNSAFE, target)
    return target


def _insert_before(path: Path, needle: str, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    index = text.index(needle)
    start = text.rindex("\n", 0, index) + 1
    path.write_text(text[:start] + line + "\n" + text[start:], encoding="utf-8")


def _run(paths, ruleset, cwd: Path, settings: RunSettings = RunSettings()):
    return analyse(load([str(p) for p in paths], cwd=cwd), ruleset.rules, settings)


def _org_owned(report):
    return [r for r in report.results if r.rule.id == "sec-org-owned-reference-table"]


def test_xml_inline_suppression_marks_the_result_in_source(tmp_path, ruleset, monkeypatch):
    solution = _copy_unsafe(tmp_path)
    monkeypatch.chdir(tmp_path)
    baseline_results = _org_owned(_run([solution], ruleset, tmp_path))
    assert baseline_results and baseline_results[0].suppression is None
    needle = baseline_results[0].finding.location
    lines = (tmp_path / needle.path).read_text(encoding="utf-8").splitlines()
    _insert_before(
        tmp_path / needle.path,
        lines[needle.line - 1].strip(),
        "<!-- d365lint-disable-next-line sec-org-owned-reference-table - lookup data read by everyone -->",
    )
    report = _run([solution], ruleset, tmp_path)
    [result] = _org_owned(report)
    assert result.suppression is not None
    assert (result.suppression.kind, result.suppression.justification) == ("inSource", "lookup data read by everyone")
    assert not result.counts
    assert not [r for r in report.results if r.rule.id == "unused-suppression"]


def test_unused_xml_suppression_is_reported_where_the_comment_is(tmp_path, ruleset, monkeypatch):
    solution = _copy_unsafe(tmp_path)
    monkeypatch.chdir(tmp_path)
    entity = solution / INVOICE_TYPE
    _insert_before(entity, "<Name", "<!-- d365lint-disable-next-line sec-audit-whole-table - nothing here -->")
    report = _run([solution], ruleset, tmp_path)
    unused = [r for r in report.results if r.rule.id == "unused-suppression"]
    assert len(unused) == 1
    assert unused[0].finding.location.path == entity.relative_to(tmp_path).as_posix()
    assert "suppresses nothing" in unused[0].finding.message
    assert unused[0].level is Severity.NOTE


def test_only_xml_files_that_mentioned_d365lint_when_loaded_are_searched_for_directives(tmp_path, ruleset, monkeypatch):
    """The loader notes the XML files that mention d365lint as it reads them; nothing reads the solution's XML again."""
    solution = _copy_unsafe(tmp_path)
    monkeypatch.chdir(tmp_path)
    workspace = load([str(solution)], cwd=tmp_path)
    without_findings = solution / "Entities" / "Account" / "Entity.xml"
    _insert_before(without_findings, "<Name", "<!-- d365lint-disable-next-line sec-audit-whole-table - written after -->")
    report = analyse(workspace, ruleset.rules)
    assert not [r for r in report.results if r.rule.id == "unused-suppression"]
    assert len([r for r in _run([solution], ruleset, tmp_path).results if r.rule.id == "unused-suppression"]) == 1


def _unused_directive(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A copy of the unsafe solution with a directive that suppresses nothing in a file without findings (Account)."""
    solution = _copy_unsafe(tmp_path)
    monkeypatch.chdir(tmp_path)
    without_findings = solution / "Entities" / "Account" / "Entity.xml"
    _insert_before(without_findings, "<Name", "<!-- d365lint-disable-next-line sec-audit-whole-table - nothing here -->")
    return solution, without_findings


def test_directives_in_a_utf16_xml_file_are_read(tmp_path, ruleset, monkeypatch):
    solution, without_findings = _unused_directive(tmp_path, monkeypatch)
    text = without_findings.read_text(encoding="utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    without_findings.write_bytes(text.encode("utf-16"))
    unused = [r.finding.location.path for r in _run([solution], ruleset, tmp_path).results if r.rule.id == "unused-suppression"]
    assert unused == [without_findings.relative_to(tmp_path).as_posix()]


def test_a_cached_solution_keeps_the_files_its_directives_are_in(tmp_path, ruleset, monkeypatch):
    """A warm run reads no XML: the files that mention d365lint come from the cache with the elements."""
    solution, without_findings = _unused_directive(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    for _ in ("cold", "warm"):
        report = analyse(load([str(solution)], cwd=tmp_path, cache_folder=cache), ruleset.rules)
        unused = [r.finding.location.path for r in report.results if r.rule.id == "unused-suppression"]
        assert unused == [without_findings.relative_to(tmp_path).as_posix()]


@pytest.mark.parametrize("inside", [False, True], ids=["from-the-parent", "from-the-solution-folder"])
def test_a_run_focused_on_some_files_judges_the_directives_of_those_files_only(tmp_path, ruleset, monkeypatch, inside):
    """What pre-commit sees: the changed file's directives apply and are judged; other files' are neither read nor reported."""
    solution = _copy_unsafe(tmp_path)
    cwd = solution if inside else tmp_path  # a repository holding only the unpacked solution runs its hook from inside
    monkeypatch.chdir(cwd)
    entity = (solution / INVOICE_TYPE).relative_to(cwd)
    [org_owned] = _org_owned(_run([entity], ruleset, cwd))
    lines = (cwd / entity).read_text(encoding="utf-8").splitlines()
    _insert_before(cwd / entity, lines[org_owned.finding.location.line - 1].strip(),
                   "<!-- d365lint-disable-next-line sec-org-owned-reference-table - lookup data read by everyone -->")
    _insert_before(cwd / entity, "<Name", "<!-- d365lint-disable-next-line sec-audit-whole-table - nothing here -->")
    focused = _run([entity], ruleset, cwd)
    [suppressed] = _org_owned(focused)
    assert suppressed.suppression is not None and not suppressed.counts
    unused = [r.finding.location for r in focused.results if r.rule.id == "unused-suppression"]
    assert [location.path for location in unused] == [entity.as_posix()]
    other = next((solution / "Entities" / "contoso_Invoice" / "FormXml").rglob("*.xml")).relative_to(cwd)
    elsewhere = _run([other], ruleset, cwd)
    assert not [r for r in elsewhere.results if r.rule.id == "unused-suppression" or r.finding.location.path != other.as_posix()]


def test_component_suppression_in_configuration_is_external_and_unused_ones_are_reported(tmp_path, ruleset, monkeypatch):
    solution = _copy_unsafe(tmp_path)
    monkeypatch.chdir(tmp_path)
    config = Location(".d365lint.toml", 7)
    settings = RunSettings(
        suppressions=Suppressions(
            components=(
                ComponentSuppression(("sec-org-owned-reference-table",), "table:contoso_invoice*", "lookup", config),
                ComponentSuppression(("sec-plugin-not-sandboxed",), "table:gone", "", config.at(11)),
            ),
            known_rule_ids=frozenset(ruleset.ids()),
        )
    )
    report = _run([solution], ruleset, tmp_path, settings)
    [result] = _org_owned(report)
    assert (result.suppression.kind, result.suppression.justification) == ("external", "lookup")
    unused = [r for r in report.results if r.rule.id == "unused-suppression"]
    assert [(r.finding.location.path, r.finding.location.line) for r in unused] == [(".d365lint.toml", 11)]
    assert "component 'table:gone'" in unused[0].finding.message


def test_a_run_over_single_files_does_not_judge_configured_suppressions(tmp_path, ruleset, monkeypatch):
    solution = _copy_unsafe(tmp_path)
    monkeypatch.chdir(tmp_path)
    gone = ComponentSuppression(("sec-plugin-not-sandboxed",), "table:gone", "", Location(".d365lint.toml", 3))
    settings = RunSettings(suppressions=Suppressions(components=(gone,), known_rule_ids=frozenset(ruleset.ids())))
    report = _run([solution / INVOICE_TYPE], ruleset, tmp_path, settings)
    assert not [r for r in report.results if r.rule.id == "unused-suppression"]


def test_suppressions_of_rules_left_out_of_the_run_are_not_judged(ruleset):
    only_eval = [rule for rule in ruleset.rules if rule.id in ("web-avoid-eval", "unused-suppression")]
    report = analyse(load([str(FIXTURES / "sources" / "suppressions")], cwd=ROOT), only_eval)
    unused = [r.finding for r in report.results if r.rule.id == "unused-suppression"]
    # Only the misspelt id: the other directives name known rules that did not run.
    assert [(f.location.line, f.evidence) for f in unused] == [(25, "web-avoid-evil")]
    assert "unknown rule 'web-avoid-evil'" in unused[0].message


def test_per_path_ignores_drop_results_and_their_directives_are_not_unused(tmp_path, ruleset, monkeypatch):
    solution = _copy_unsafe(tmp_path)
    monkeypatch.chdir(tmp_path)
    ignores = (PathIgnore("Entities/**", ("sec-org-owned-reference-table",), str(solution)),)
    report = _run([solution], ruleset, tmp_path, RunSettings(suppressions=Suppressions(path_ignores=ignores)))
    assert not _org_owned(report)
    assert [r for r in report.results if r.rule.id == "sec-hardcoded-credential"]


def _eval_calls(module: PythonModule, context: RuleContext):
    for node in module.positions:
        if isinstance(node, libcst.Call) and isinstance(node.func, libcst.Name) and node.func.value == "eval":
            yield Finding("eval() runs text as code.", module.location(node), module.component, "eval")


PYTHON_EVAL = make_rule("test-python-eval", Target.PYTHON, _eval_calls)


def test_python_suppressions_trailing_and_standalone(tmp_path, ruleset, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = tmp_path / "sync.py"
    script.write_text(
        "a = eval('1')  # d365lint: disable=test-python-eval -- constant\n"
        "# d365lint: disable=test-python-eval\n"
        "b = eval('2')\n"
        "c = eval('3')\n"
        "d = 4  # d365lint: disable=test-python-eval\n",
        encoding="utf-8",
    )
    rules = [PYTHON_EVAL, ruleset.get("unused-suppression")]
    report = analyse(load(["sync.py"], cwd=tmp_path), rules)
    by_line = {(r.rule.id, r.finding.location.line): r for r in report.results}
    assert by_line[("test-python-eval", 1)].suppression.justification == "constant"
    assert by_line[("test-python-eval", 3)].suppression.kind == "inSource"
    assert by_line[("test-python-eval", 4)].suppression is None
    assert ("unused-suppression", 5) in by_line
    assert len(report.results) == 4


def _finding_in_yaml(solution: Solution, context: RuleContext):
    """A solution rule that reports a line of a YAML file beside the solution."""
    site = Path(solution.location.path).parent.parent.parent / "site" / "table-permissions.yml"
    yield Finding("anonymous access", Location(site.as_posix(), 2, 1), "site:contoso", "anonymous")


YAML_RULE = make_rule("test-yaml-site", Target.SOLUTION, _finding_in_yaml)


def test_yaml_suppressions_apply_to_findings_in_yaml_files(tmp_path, ruleset, monkeypatch):
    solution = _copy_unsafe(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "table-permissions.yml").write_text(
        "# d365lint-disable-next-line test-yaml-site -- public price list\nanonymous: true\n", encoding="utf-8"
    )
    report = analyse(load([str(solution)], cwd=tmp_path), [YAML_RULE])
    [result] = report.results
    assert (result.suppression.kind, result.suppression.justification) == ("inSource", "public price list")


def _anonymous_permission(site: PortalSite, context: RuleContext):
    yield Finding("anonymous", Location(f"{Path(site.location.path).parent}/table-permissions/invoices.yml", 2), "site:p", "x")


SITE_RULE = make_rule("test-site-permission", Target.SITE, _anonymous_permission)


def test_site_yaml_directives_are_read_even_in_files_without_findings(tmp_path, ruleset, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site" / "table-permissions").mkdir(parents=True)
    (tmp_path / "site" / "website.yml").write_text("adx_name: Contoso\n", encoding="utf-8")
    (tmp_path / "site" / "table-permissions" / "invoices.yml").write_text(
        "# d365lint-disable-next-line test-site-permission -- public price list\nadx_scope: 756150000\n", encoding="utf-8"
    )
    (tmp_path / "site" / "web-roles.yml").write_text(
        "# d365lint-disable-next-line test-site-permission -- stale\nadx_name: Anonymous Users\n", encoding="utf-8"
    )
    site = PortalSite("Contoso", "1", "standard", "download", Location("site/website.yml"))
    report = analyse(Workspace(sites=(site,)), [SITE_RULE, ruleset.get("unused-suppression")])
    by_rule = {r.rule.id: r for r in report.results}
    assert by_rule["test-site-permission"].suppression.justification == "public price list"
    assert by_rule["unused-suppression"].finding.location == Location("site/web-roles.yml", 1, 1)


# --- reports --------------------------------------------------------------------


def test_sarif_leaves_suppressed_results_out_unless_asked(tmp_path, capsys):
    case = FIXTURES / "sources" / "suppressions"
    assert main(["check", "--format", "sarif", "--fail-on", "never", str(case)]) == 0
    default = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert {r["ruleId"] for r in default} == {"unused-suppression"}
    assert all("suppressions" not in r for r in default)
    assert main(["check", "--format", "sarif", "--include-suppressed", "--fail-on", "never", str(case)]) == 0
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert {r["ruleId"] for r in suppressed} == {"web-avoid-eval", "web-remove-console", "web-remove-alert", "il-specify-column"}
    assert {s["kind"] for r in suppressed for s in r["suppressions"]} == {"inSource"}
    assert any(s.get("justification") == "diagnostics page" for r in suppressed for s in r["suppressions"])


def test_external_suppressions_in_sarif(tmp_path, capsys, monkeypatch):
    solution = _copy_unsafe(tmp_path)
    (tmp_path / ".d365lint.toml").write_text(
        '[[suppress]]\nrule = "sec-org-owned-reference-table"\ncomponent = "table:contoso_invoicetype"\nreason = "lookup"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "sarif", "--include-suppressed", "--fail-on", "never", solution.name]) == 0
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    [result] = [r for r in results if r["ruleId"] == "sec-org-owned-reference-table"]
    assert result["suppressions"] == [{"kind": "external", "justification": "lookup"}]


@pytest.mark.parametrize("case", ["suppressions"])
def test_suppression_fixture_counts_only_unused_suppressions(case, ruleset):
    report = run_analysis([FIXTURES / "sources" / case], ruleset)
    assert {r.rule.id for r in report.counted} == {"unused-suppression"}
