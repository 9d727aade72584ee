"""Power Pages sites: every layout reaches the same model, and the rules read it.

The marker fixtures (fixtures/sites/*) fix which lines each rule reports;
these tests cover what markers cannot: severities, the model the loader
builds from each layout, single files as pre-commit passes them, a site
inside a zipped solution, SARIF locations, load problems and suppressions.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from d365lint.cli.main import main
from d365lint.detectors.secrets import named_secret, scan_code
from d365lint.engine.run import RunSettings, analyse
from d365lint.loading.discover import load
from d365lint.model import PERMISSION_SCOPE_GLOBAL
from d365lint.rules.base import Severity
from tests.conftest import FIXTURES, ROOT, run_analysis

SITES = FIXTURES / "sites"
STANDARD = SITES / "contoso-portal-unsafe"
CODE_SITE = SITES / "contoso-codesite-unsafe"
IN_SOLUTION = SITES / "contoso-portal-solution"


def _site(path: Path):
    workspace = load([str(path)], cwd=ROOT)
    assert len(workspace.sites) == 1, workspace.sites
    return workspace.sites[0]


def _results(report, rule_id: str):
    return [result for result in report.results if result.rule.id == rule_id]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_standard_model_download_becomes_a_site():
    site = _site(STANDARD)
    assert (site.name, site.data_model, site.source) == ("Contoso Community - contosocommunity", "standard", "download")
    assert [role.name for role in site.web_roles if role.anonymous] == ["Anonymous Users"]
    directory = next(p for p in site.table_permissions if p.name == "Contact Directory")
    assert (directory.table, directory.scope, directory.privileges) == ("contact", PERMISSION_SCOPE_GLOBAL, ("read",))
    assert directory.location.line == 3 and directory.scope_location.line == 14
    notes = next(p for p in site.table_permissions if p.name == "Contact Directory_Notes")
    assert notes.parent_id == directory.permission_id and notes.web_roles == ()
    fields = next(s for s in site.settings if s.name == "Webapi/contact/fields")
    assert (fields.value.text, fields.value.location.line) == ("*", 46)
    assert {s.name for s in site.settings if s.profile == "prod"} >= {"Authentication/Registration/IsDemoMode"}
    assert {c.kind for c in site.contents} == {"content snippet", "web template", "web page script"}


def test_a_code_site_is_the_enhanced_model_with_unprefixed_fields():
    site = _site(CODE_SITE)
    assert (site.name, site.data_model, site.source) == ("Contoso Grants", "enhanced", "code-site")
    lookup = next(p for p in site.table_permissions if p.name == "Organisation Lookup")
    assert lookup.table == "account" and len(lookup.web_roles) == 2  # entitypermission_webrole without adx_
    assert {c.kind for c in site.contents} == {"content snippet", "server logic"}


def test_site_components_of_a_solution_become_a_site():
    site = _site(IN_SOLUTION)
    assert (site.name, site.source, site.site_id) == (
        "Contoso Applicants - applicants",
        "solution",
        "5e0b9c3a-7d21-4f6e-8a4b-2c9d1e7f3a58",
    )
    assert site.location.path.endswith("Assets/powerpagesites.xml")
    permission = next(p for p in site.table_permissions if p.name == "Applicants - Public")
    assert permission.location.path.endswith("7a2d4f1e-0b3c-4d5e-9f60-1a2b3c4d5e03/powerpagecomponent.xml")
    assert permission.location.line == 2  # the start tag, after the marker comment


def test_site_components_in_a_solution_zip(tmp_path, ruleset):
    archive = tmp_path / "ContosoApplicantPortal_1_2_0_0.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(IN_SOLUTION.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(IN_SOLUTION).as_posix())
    report = run_analysis([archive], ruleset, cwd=tmp_path)
    found = _results(report, "sec-portal-anonymous-global-read")
    assert [r.finding.location.member for r in found] == [
        "powerpagecomponents/7a2d4f1e-0b3c-4d5e-9f60-1a2b3c4d5e03/powerpagecomponent.xml"
    ]


def test_severity_follows_the_shared_sensitivity_definition(ruleset):
    report = run_analysis([STANDARD, IN_SOLUTION], ruleset)
    levels = {r.finding.component.rsplit("/", 1)[-1]: r.level for r in _results(report, "sec-portal-anonymous-global-read")}
    assert levels["Contact Directory"] is Severity.ERROR  # a standard table with personal data
    assert levels["Applicants - Public"] is Severity.ERROR  # date of birth and national id columns
    assert levels["Product Catalog"] is Severity.WARNING
    rule = ruleset.get("sec-portal-anonymous-global-read")
    narrowed = RunSettings(rule_options={rule.id: {"sensitive-columns": ("nickname",)}})
    again = analyse(load([str(IN_SOLUTION)], cwd=ROOT), [rule], narrowed)
    assert [r.level for r in again.results] == [Severity.WARNING]


def test_webapi_all_fields_is_an_error_only_when_anonymous_visitors_read_the_table(ruleset):
    report = run_analysis([CODE_SITE, SITES / "contoso-portal-clean"], ruleset)
    assert [r.level for r in _results(report, "sec-portal-webapi-all-fields")] == [Severity.ERROR]
    (write,) = _results(report, "sec-portal-anonymous-write")
    assert write.level is Severity.ERROR  # write, not only append


def test_a_single_yaml_file_loads_its_whole_site_and_reports_only_on_it(ruleset, monkeypatch):
    monkeypatch.chdir(ROOT)
    settings = STANDARD / "sitesetting.yml"
    report = run_analysis([settings.relative_to(ROOT)], ruleset)
    assert {r.finding.location.path for r in report.results} == {settings.relative_to(ROOT).as_posix()}
    # the Web API finding needs the table permissions of other files
    assert [r.finding.location.line for r in _results(report, "sec-portal-webapi-all-fields")] == [46]


def test_a_file_deep_in_a_code_site_finds_the_site_root(ruleset):
    permission = CODE_SITE / ".powerpages-site" / "table-permissions" / "Organisation-Lookup.tablepermission.yml"
    report = run_analysis([permission], ruleset)
    assert [r.rule.id for r in report.results] == ["sec-portal-anonymous-global-read"]


def test_sarif_points_at_the_yaml_line_of_the_permission_and_the_setting(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    main(["check", "--format", "sarif", "--fail-on", "never", "--select", "sec-portal", str(STANDARD.relative_to(ROOT))])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    places = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1])
        : r["locations"][0]["physicalLocation"]["region"]["startLine"]
        for r in results
    }
    assert places[("sec-portal-anonymous-global-read", "Contact-Directory.tablepermission.yml")] == 3
    assert places[("sec-portal-webapi-all-fields", "sitesetting.yml")] == 46
    secret = next(r for r in results if r["ruleId"] == "sec-portal-credential-in-site" and "AppSecret" in r["message"]["text"])
    assert "9f3c2b7e4d1a6f8e0b5c3d7a2e9f4b1c" not in json.dumps(secret)


def test_website_yml_alone_is_not_a_site(tmp_path):
    _write(tmp_path, {"website.yml": "- hosts: web\n  roles: [nginx]\n", "roles/nginx/tasks/main.yml": "- name: x\n"})
    assert load([str(tmp_path)], cwd=tmp_path).sites == ()


def test_unreadable_yaml_is_a_diagnostic_and_the_rest_of_the_site_still_loads(tmp_path, ruleset):
    shutil.copytree(STANDARD, tmp_path / "site")
    (tmp_path / "site" / "webrole.yml").write_text("- adx_name: [unclosed\n", encoding="utf-8")
    report = run_analysis([tmp_path / "site"], ruleset, cwd=tmp_path)
    problems = [d for d in report.diagnostics if d.location.path.endswith("webrole.yml")]
    assert problems and problems[0].message.startswith("invalid YAML") and problems[0].location.line == 2
    assert _results(report, "sec-portal-webapi-without-permission")  # settings were still read
    assert not _results(report, "sec-portal-anonymous-global-read")  # no roles: nobody is known to be anonymous


def test_inactive_and_cyclic_parent_permissions_grant_nothing(tmp_path, ruleset):
    role = "11111111-0000-4000-8000-000000000001"
    permission = "adx_entitylogicalname: {table}\nadx_entitypermissionid: {pid}\nadx_entitypermission_webrole:\n- {role}\n" \
        "adx_read: true\nadx_write: true\nadx_scope: {scope}\n{extra}"
    _write(tmp_path, {
        "website.yml": "adx_name: Test\nadx_websiteid: 22222222-0000-4000-8000-000000000001\n",
        "webrole.yml": f"- adx_anonymoususersrole: true\n  adx_name: Anonymous Users\n  adx_webroleid: {role}\n",
        "table-permissions/Inactive.tablepermission.yml": permission.format(
            table="contact", pid="a1", role=role, scope=756150000, extra="statecode: 1\n"),
        "table-permissions/A.tablepermission.yml": permission.format(
            table="account", pid="b1", role=role, scope=756150003, extra="adx_parententitypermission: b2\n"),
        "table-permissions/B.tablepermission.yml": permission.format(
            table="lead", pid="b2", role=role, scope=756150003, extra="adx_parententitypermission: b1\n"),
    })
    report = run_analysis([tmp_path], ruleset, cwd=tmp_path)
    assert not [r for r in report.results if r.rule.id.startswith("sec-portal-anonymous")]


def test_yaml_findings_can_be_suppressed_inline(tmp_path, ruleset, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {
        "website.yml": "adx_name: Test\nadx_websiteid: 33333333-0000-4000-8000-000000000001\n",
        "sitesetting.yml": (
            "- adx_name: HTTP/Access-Control-Allow-Origin\n"
            "  # d365lint-disable-next-line sec-portal-insecure-setting -- a public read-only API\n"
            "  adx_value: '*'\n"
        ),
    })
    report = run_analysis([tmp_path], ruleset, cwd=tmp_path)
    (result,) = _results(report, "sec-portal-insecure-setting")
    assert result.suppression is not None and result.suppression.justification == "a public read-only API"


def test_code_scanning_ignores_expressions_and_named_settings_need_a_credential_name():
    code = 'var token = getToken();\nvar apiKey = "Zt7Q~p3.Vd9_KmX2aLr8NwYc5BfHs1Ue0jGo6Ti4";\nsend({ token: apiKey });'
    assert [secret.value for secret in scan_code(code)] == ["Zt7Q~p3.Vd9_KmX2aLr8NwYc5BfHs1Ue0jGo6Ti4"]
    assert named_secret("Authentication/OpenAuth/Twitter/ConsumerSecret", "a9Fk2Lm8Qp3Rs7Tv1Wx5Yz0B").kind == "secret"
    assert named_secret("Authentication/OpenAuth/Twitter/ConsumerKey", "a9Fk2Lm8Qp3Rs7Tv1Wx5Yz0B") is None
    assert named_secret("Authentication/Registration/ResetPasswordEnabled", "True") is None
    assert scan_code("routes = { '/account/login/forgotpassword': '/forgot-password' };") == []


def test_nested_yaml_aliases_are_not_expanded(tmp_path):
    """Without the depth cap the copy of this record would hold 10**9 items and never finish."""
    lines = ["adx_entitylogicalname: contact", "adx_entitypermissionid: p1", "x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    _write(tmp_path, {
        "website.yml": "adx_name: Test\nadx_websiteid: 44444444-0000-4000-8000-000000000001\n",
        "webrole.yml": "- adx_webroleid: r1\n  adx_anonymoususersrole: true\n",
        "table-permissions/Bomb.tablepermission.yml": "\n".join(lines) + "\nadx_entitypermission_webrole: [*a8]\n",
    })
    (permission,) = _site(tmp_path).table_permissions
    assert permission.table == "contact" and permission.web_roles == ()


def test_a_site_serialised_by_dataverse_git_integration_is_found_without_website_yml(tmp_path, ruleset):
    site = tmp_path / "solutions" / "ContosoPortal" / "powerpagesites" / "Contoso"
    _write(site, {
        "web-roles/Anonymous-Users.webrole.yml": "anonymoususersrole: true\nid: 55555555-0000-4000-8000-000000000001\nname: Anonymous Users\n",
        "table-permissions/Leads.tablepermission.yml": (
            "adx_entitypermission_webrole:\n- 55555555-0000-4000-8000-000000000001\n"
            "entitylogicalname: lead\nentityname: Leads\nid: 55555555-0000-4000-8000-000000000002\nread: true\nscope: 756150000\n"
        ),
    })
    report = run_analysis([tmp_path], ruleset, cwd=tmp_path)
    (result,) = _results(report, "sec-portal-anonymous-global-read")
    assert result.finding.location.path == "solutions/ContosoPortal/powerpagesites/Contoso/table-permissions/Leads.tablepermission.yml"
    assert result.level is Severity.ERROR


def test_liquid_in_a_script_is_no_syntax_warning_but_a_broken_script_is(tmp_path, ruleset):
    """Every site has templates whose scripts hold Liquid; they parse only once the server renders them."""
    (tmp_path / "template.html").write_text(
        "<script>\nvar user = {{ user | json }};\n{% if user %}show();{% endif %}\n</script>\n", encoding="utf-8"
    )
    (tmp_path / "broken.html").write_text("<script>\nvar total = (1 + ;\n</script>\n", encoding="utf-8")
    report = run_analysis([tmp_path / "template.html", tmp_path / "broken.html"], ruleset, cwd=tmp_path)
    warned = {(d.location.path, d.location.line) for d in report.diagnostics if "syntax errors" in d.message}
    assert warned == {("broken.html", 1)}
