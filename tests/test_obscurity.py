"""The obscurity rules' machinery: handler names, what handlers hide, ribbon loading, options.

The fixtures under fixtures/solutions/obscurity-* prove each rule in both
directions; these tests pin down the parts the markers cannot show — which
function a FormXml handler name finds in each shape real web resources use,
and where a hide reached through helpers is reported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from d365lint.analysis.js_flow import flow_of
from d365lint.engine.run import RunSettings, analyse
from d365lint.engine.units import UnitSource
from d365lint.loading.discover import load
from d365lint.model import Language, Location, SourceFile
from d365lint.parsing.treesitter import parse_source
from d365lint.rules.base import Target
from tests.conftest import FIXTURES, ROOT


def _flow(text: str, language: Language = Language.JAVASCRIPT):
    parsed = parse_source(SourceFile(language, text, Location("form.ts" if language is Language.TYPESCRIPT else "form.js")))
    return parsed, flow_of(parsed)


NAMED_HANDLERS = [
    pytest.param(
        "var Contoso = Contoso || {};\nContoso.Account = Contoso.Account || {};\n"
        "Contoso.Account.onLoad = function (executionContext) { return 1; };",
        "Contoso.Account.onLoad",
        "Contoso.Account.onLoad",
        id="namespaced-es5",
    ),
    pytest.param(
        "var Contoso = window.Contoso || {};\nContoso.Account = { onLoad: function (executionContext) { return 1; } };",
        "Contoso.Account.onLoad",
        "Contoso.Account.onLoad",
        id="object-literal",
    ),
    pytest.param(
        "window.Contoso = window.Contoso || {};\nContoso.Account = Contoso.Account || { onLoad(executionContext) { return 1; } };",
        "Contoso.Account.onLoad",
        "Contoso.Account.onLoad",
        id="method-shorthand",
    ),
    pytest.param(
        "(function (ns) {\n  ns.onLoad = function (executionContext) { return 1; };\n})(window.Contoso = window.Contoso || {});",
        "Contoso.onLoad",
        "Contoso.onLoad",
        id="iife-namespace",
    ),
    pytest.param(
        "var Contoso = (function () {\n  function onLoad(executionContext) { return 1; }\n  return { onLoad: onLoad };\n})();",
        "Contoso.onLoad",
        "onLoad",
        id="revealing-module",
    ),
    pytest.param(
        "class AccountForm {\n  static onLoad(executionContext) { return 1; }\n}",
        "AccountForm.onLoad",
        "AccountForm.onLoad",
        id="class",
    ),
    pytest.param(
        "export function onLoad(executionContext) { return 1; }",
        "Contoso.Bundle.onLoad",
        "onLoad",
        id="module-bundled-as-library",
    ),
]


@pytest.mark.parametrize(("source", "handler", "name"), NAMED_HANDLERS)
def test_a_handler_name_finds_its_function(source, handler, name):
    _, flow = _flow(source)
    found = flow.find(handler)
    assert [function.name for function in found] == [name]


def test_typescript_namespaces_and_class_fields_are_named():
    source = (
        "namespace Contoso.Account {\n"
        "  export function onLoad(context: Xrm.Events.EventContext): void { return; }\n"
        "  export class Ribbon { public static canDelete = (control: any): boolean => true; }\n"
        "}\n"
    )
    _, flow = _flow(source, Language.TYPESCRIPT)
    assert [f.name for f in flow.find("Contoso.Account.onLoad")] == ["Contoso.Account.onLoad"]
    assert [f.name for f in flow.find("Contoso.Account.Ribbon.canDelete")] == ["Contoso.Account.Ribbon.canDelete"]


def test_hides_follow_helpers_and_literal_lists_to_the_call_that_names_the_column():
    source = (
        "var Ns = {\n"
        "  onLoad: function (ctx) {\n"
        "    var fc = ctx.getFormContext();\n"
        '    Ns.hideAll(fc, ["contoso_ssn", "contoso_dob"]);\n'
        "  },\n"
        "  hideAll: function (fc, names) {\n"
        "    names.forEach(function (n) { Ns.hide(fc, n); });\n"
        "  },\n"
        "  hide: function (fc, name) { fc.getControl(name).setVisible(false); }\n"
        "};\n"
    )
    parsed, flow = _flow(source)
    hides = list(flow.hides(flow.find("Ns.onLoad")[0]))
    assert sorted((h.target.kind, h.target.name) for h in hides) == [("control", "contoso_dob"), ("control", "contoso_ssn")]
    assert {parsed.location(h.place).line for h in hides} == {4}


def test_conditional_and_later_hides_are_not_unconditional():
    source = (
        "function onLoad(ctx) {\n"
        "  var fc = ctx.getFormContext();\n"
        '  if (fc.getAttribute("statuscode").getValue() === 2) { fc.getControl("a").setVisible(false); }\n'
        '  fc.getAttribute("b").addOnChange(function () { fc.getControl("b").setVisible(false); });\n'
        '  fc.getControl("c").setVisible(true);\n'
        '  fc.ui.tabs.get("t").sections.get("s").setVisible(false);\n'
        "}\n"
    )
    _, flow = _flow(source)
    hides = list(flow.hides(flow.find("onLoad")[0]))
    assert [(h.target.kind, h.target.name, h.target.tab) for h in hides] == [("section", "s", "t")]


def test_identity_through_an_array_filled_in_a_callback():
    source = (
        "var names = [];\n"
        "Xrm.Utility.getGlobalContext().userSettings.roles.forEach(function (role) { names.push(role.name); });\n"
        'if (names.indexOf("Auditor") === -1) { formContext.getControl("contoso_notes").setDisabled(true); }\n'
    )
    parsed, flow = _flow(source)
    changes = flow.identity_changes()
    assert [(parsed.location(c.call).line, c.origin.what) for c in changes] == [(3, "security roles")]


def test_record_values_assigned_in_a_role_branch_carry_no_identity():
    source = (
        "var status = null;\n"
        "function onLoad(ctx) {\n"
        "  var fc = ctx.getFormContext();\n"
        "  if (Xrm.Utility.getGlobalContext().userSettings.roles.get().length > 1) {\n"
        '    status = fc.getAttribute("statuscode").getValue();\n'
        "  }\n"
        '  if (status === 2) { fc.getControl("contoso_notes").setVisible(false); }\n'
        "}\n"
    )
    _, flow = _flow(source)
    assert flow.identity_changes() == []


def test_ribbon_commands_and_rules_are_loaded():
    workspace = load([str(FIXTURES / "solutions" / "obscurity-ribbon")], cwd=ROOT)
    solution = workspace.solutions[0]
    commands = {command.command_id: command for command in solution.ribbon_commands}
    assert set(commands) == {
        "Mscrm.SharePrimaryRecord",
        "Mscrm.DeletePrimaryRecord",
        "Mscrm.ShareSelectedRecord",
        "Mscrm.AssignPrimaryRecord",
        "Mscrm.DeleteSelectedRecord",
    }
    assert [rule.text for rule in commands["Mscrm.DeletePrimaryRecord"].display_rules] == [
        "Mscrm.DeletePrimaryEntityPermission",
        "Mscrm.HideOnModern",
    ]
    rules = {rule.rule_id: rule for rule in solution.ribbon_rules}
    never = rules["contoso.account.NeverShare.EnableRule"]
    assert never.kind == "enable" and never.table == "account"
    assert [(c.kind, c.function_name, c.library) for c in never.checks] == [
        ("CustomRule", "Contoso.AccountRibbon.neverShare", "contoso_/scripts/account_ribbon.js")
    ]
    assert [c.kind for c in rules["contoso.account.CanDelete.EnableRule"].checks] == ["RecordPrivilegeRule"]
    assert {(a.table, a.action_id) for a in solution.hidden_ribbon_actions} >= {("contact", "Mscrm.Form.contact.Delete")}


def test_form_controls_know_their_tab_and_section():
    workspace = load([str(FIXTURES / "solutions" / "obscurity-forms")], cwd=ROOT)
    controls = {c.column: c for form in workspace.solutions[0].forms for c in form.controls}
    assert (controls["contoso_medicalnotes"].tab, controls["contoso_medicalnotes"].section) == ("tab_health", "sec_medical")
    assert controls["contoso_dateofbirth"].hidden_by == "tab"


def test_sensitive_columns_option_replaces_the_list(ruleset):
    workspace = load([str(FIXTURES / "solutions" / "obscurity-forms")], cwd=ROOT)
    rule = ruleset.get("sec-hidden-field-not-secured")
    settings = RunSettings(rule_options={rule.id: {"sensitive-columns": ("nickname",)}})
    report = analyse(workspace, [rule], settings)
    assert sorted({r.finding.evidence.split("|")[0] for r in report.results}) == ["contoso_nickname"]


def test_solution_rules_share_the_engines_parse_of_a_script():
    workspace = load([str(FIXTURES / "solutions" / "obscurity-roles")], cwd=ROOT)
    units = UnitSource(workspace)
    script = next(s for s in workspace.solutions[0].files if s.language is Language.JAVASCRIPT)
    assert units.parsed(script) is units.parsed(script)
    assert units.parsed(script) in units.units(Target.SCRIPT)


def test_obscurity_rules_run_on_real_exports_without_findings_or_errors(ruleset):
    corpus = ROOT.parent / "shared" / "corpus"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus is absent (a fresh clone has no shared corpus)")
    rules = [ruleset.get(rule_id) for rule_id in ("sec-client-side-authorization", "sec-hidden-field-not-secured", "sec-ribbon-hidden-not-privileged")]
    report = analyse(load(sorted(str(p) for p in Path(corpus).glob("*.zip")), cwd=ROOT), rules)
    assert report.results == ()
    assert not [d for d in report.diagnostics if d.kind == "error"]
