"""The command line as users run it: the installed script, ``python -m``, exit codes, extensions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from d365lint.cli.main import cli
from d365lint.reporting import json_report
from tests.conftest import FIXTURES, ROOT
from tests.support.pack import pack_to

UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"
CLEAN = FIXTURES / "solutions" / "contoso-clean"
SCRIPT = Path(sys.executable).with_name("d365lint")


def _run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False)


@pytest.mark.parametrize("command", [[str(SCRIPT)], [sys.executable, "-m", "d365lint"]], ids=["script", "module"])
def test_installed_command_and_module_report_and_exit_1_on_findings(command):
    completed = _run(*command, "check", str(UNSAFE.relative_to(ROOT)))
    assert completed.returncode == 1, completed.stderr
    assert "error sec-hardcoded-credential" in completed.stdout
    assert completed.stdout.rstrip().splitlines()[-1].startswith("Found ")
    assert "\x1b[" not in completed.stdout  # no colour when piped


def test_clean_fixture_exits_0():
    completed = _run(str(SCRIPT), "check", str(CLEAN.relative_to(ROOT)))
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("note", 1), ("never", 0)])
def test_fail_on_threshold(fail_on, code):
    assert CliRunner().invoke(cli, ["check", "--fail-on", fail_on, str(UNSAFE)]).exit_code == code


NOTE_ONLY = '"use strict";\nfunction applyTheme(theme) { loadTheme(theme); }\n'


@pytest.mark.parametrize(("extra", "code"), [((), 0), (("--fail-on", "warning"), 0), (("--fail-on", "note"), 1)])
def test_notes_fail_the_run_only_when_asked(tmp_path, extra, code):
    script = tmp_path / "theme.js"
    script.write_text(NOTE_ONLY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", *extra, str(script)])
    assert result.exit_code == code, result.output
    assert ": note web-avoid-loadtheme " in result.output


def test_an_input_that_cannot_be_analysed_exits_2_whatever_the_threshold(tmp_path):
    broken = tmp_path / "broken"
    (broken / "Other").mkdir(parents=True)
    (broken / "Other" / "Solution.xml").write_text("<ImportExportXml><SolutionManifest>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--fail-on", "never", str(broken), str(CLEAN)])
    assert result.exit_code == 2
    assert "Solution.xml:1:1: tool-error malformed XML" in result.output
    assert "1 input problem" in result.output.splitlines()[-1]


def test_fail_on_error_passes_when_only_notes_and_warnings(tmp_path):
    script = tmp_path / "form.js"
    script.write_text('"use strict";\nfunction onLoad() { console.log("loaded"); }\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--fail-on", "error", str(script)])
    assert result.exit_code == 0, result.output
    assert "web-remove-console" in result.output


def test_a_missing_path_is_a_usage_error():
    result = CliRunner().invoke(cli, ["check", "no/such/solution"])
    assert result.exit_code == 2
    assert "no/such/solution" in result.output


def test_text_lines_have_path_line_column_severity_rule():
    result = CliRunner().invoke(cli, ["check", str(UNSAFE.relative_to(ROOT))])
    first = next(line for line in result.output.splitlines() if ": error " in line or ": warning " in line)
    path, line, column, rest = first.split(":", 3)
    assert Path(path).is_file() and int(line) > 0 and int(column) > 0
    assert rest.split()[0] in {"error", "warning", "note"}


def _documented_json_shape() -> dict:
    """The example in json_report's docstring, which is the documentation users read."""
    doc = json_report.__doc__ or ""
    return json.loads(doc.split("::", 1)[1].strip().split("\n\n")[0])


def _shape(value):
    """Keys and value types, recursively (null stands for "any type, may be null")."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _conforms(actual, documented) -> bool:
    if documented == "NoneType" or actual == "NoneType":
        return True
    if isinstance(documented, dict):
        return isinstance(actual, dict) and set(actual) == set(documented) and all(_conforms(actual[k], documented[k]) for k in documented)
    if isinstance(documented, list):
        return isinstance(actual, list) and (not actual or not documented or _conforms(actual[0], documented[0]))
    return actual == documented or {actual, documented} == {"int", "float"}


def test_json_report_has_the_documented_shape(tmp_path):
    broken = tmp_path / "broken"
    (broken / "Other").mkdir(parents=True)
    (broken / "Other" / "Solution.xml").write_text("<ImportExportXml>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(UNSAFE.relative_to(ROOT)), str(broken)])
    document = json.loads(result.output)
    documented = _shape(_documented_json_shape())
    assert _conforms(_shape(document), documented), (_shape(document), documented)
    assert document["version"] == json_report.JSON_REPORT_VERSION == 1
    assert document["findings"] and document["input_problems"]
    assert any(finding["related"] for finding in document["findings"])
    for finding in document["findings"]:
        assert _conforms(_shape(finding), documented["findings"][0]), finding
    assert document["summary"]["findings"] == len(document["findings"])
    assert sum(document["summary"][level] for level in ("error", "warning", "note")) == len(document["findings"])


def _summary_files(*paths: str) -> int:
    result = CliRunner().invoke(cli, ["check", "--format", "json", "--no-cache", *paths])
    return json.loads(result.output)["summary"]["files"]


def test_the_summary_counts_the_files_of_a_solution_and_only_the_given_files_of_a_focused_run(tmp_path):
    unpacked = sum(1 for path in UNSAFE.rglob("*") if path.is_file())
    exported = pack_to(UNSAFE, tmp_path / "unsafe.zip")
    with zipfile.ZipFile(exported) as archive:
        members = len(archive.namelist())
    script = UNSAFE / "WebResources" / "contoso_" / "scripts" / "account.js"
    assert _summary_files(str(UNSAFE)) == unpacked
    assert _summary_files(str(exported)) == members
    assert _summary_files(str(script), str(UNSAFE / "Other" / "Solution.xml")) == 2


def test_the_json_shape_check_catches_a_changed_field():
    documented = _shape(_documented_json_shape())
    changed = _documented_json_shape()
    changed["findings"][0]["line_number"] = changed["findings"][0].pop("line")
    assert not _conforms(_shape(changed), documented)


def test_sarif_and_json_files_through_the_installed_command(tmp_path):
    sarif_file, json_file = tmp_path / "out" / "results.sarif", tmp_path / "report.json"
    completed = _run(str(SCRIPT), "check", "--format", "sarif", "-o", str(sarif_file), str(UNSAFE.relative_to(ROOT)))
    assert completed.returncode == 1 and completed.stdout == ""
    log = json.loads(sarif_file.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0" and log["runs"][0]["results"]
    completed = _run(sys.executable, "-m", "d365lint", "check", "--format", "json", str(UNSAFE.relative_to(ROOT)))
    assert completed.returncode == 1
    assert len(json.loads(completed.stdout)["findings"]) == len(log["runs"][0]["results"])
    CliRunner().invoke(cli, ["check", "--format", "json", "-o", str(json_file), str(UNSAFE)])
    assert len(json.loads(json_file.read_text(encoding="utf-8"))["findings"]) == len(log["runs"][0]["results"])


def test_rules_lists_every_rule_and_explain_prints_help(ruleset):
    listed = CliRunner().invoke(cli, ["rules"])
    assert listed.exit_code == 0
    rows = {line.split()[0]: line.split(maxsplit=2)[1:] for line in listed.output.splitlines() if line.strip()}
    for rule in ruleset.rules:
        assert rows[rule.id] == [rule.severity.label, rule.summary], rule.id
    explained = CliRunner().invoke(cli, ["explain", "sec-hardcoded-credential"])
    assert explained.exit_code == 0
    for section in ("## What it finds", "## Why it matters", "## How to fix", "## Example"):
        assert section in explained.output
    assert CliRunner().invoke(cli, ["explain", "no-such-rule"]).exit_code == 2


def _extension(tmp_path: Path, body: str) -> dict[str, str]:
    """An extension package on PYTHONPATH with its dist-info, so no install is needed and nothing leaks."""
    site = tmp_path / "site"
    (site / "contoso_rules").mkdir(parents=True)
    (site / "contoso_rules" / "__init__.py").write_text(textwrap.dedent(body), encoding="utf-8")
    info = site / "contoso_rules-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: contoso-rules\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[d365lint.rules]\ncontoso = contoso_rules:RULES\n", encoding="utf-8")
    return {**os.environ, "PYTHONPATH": str(site)}


GOOD_EXTENSION = """
from d365lint.model import Solution
from d365lint.rules.base import Finding, Rule, Severity, Target

def check(solution: Solution, context):
    for table in solution.tables:
        if table.logical_name == "contoso_invoice":
            yield Finding(f"table {table.logical_name} seen by the extension", table.location, f"table:{table.logical_name}")

RULES = (Rule(id="contoso-invoice-seen", name="InvoiceSeen", summary="The extension saw the invoice table.",
              help="## What it finds\\nThe invoice table; a test extension proving that entry points load.",
              severity=Severity.NOTE, target=Target.SOLUTION, check=check),)
"""


def test_an_extension_rule_is_loaded_listed_and_run(tmp_path):
    env = _extension(tmp_path, GOOD_EXTENSION)
    assert "contoso-invoice-seen" in _run(sys.executable, "-m", "d365lint", "rules", env=env).stdout
    completed = _run(sys.executable, "-m", "d365lint", "check", "--select", "contoso", "--fail-on", "note", str(UNSAFE), env=env)
    assert completed.returncode == 1
    assert "note contoso-invoice-seen table contoso_invoice seen by the extension" in completed.stdout


def test_an_extension_installed_after_a_run_that_found_none_is_found(tmp_path, cache_home):
    """A run that finds no extension leaves a marker, and the next run looks no further: installing one must change that."""
    site, work = tmp_path / "site", tmp_path / "work"
    site.mkdir()
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    for folder in (site, work):
        os.utime(folder, (time.time() - 60,) * 2)  # changed a while ago: no longer racy
    markers = cache_home / "d365lint" / "no-extensions"
    before = set(markers.iterdir()) if markers.is_dir() else set()
    assert _run(sys.executable, "-m", "d365lint", "check", str(CLEAN), env=env, cwd=work).returncode == 0
    assert len(set(markers.iterdir()) - before) == 1
    _extension(tmp_path, GOOD_EXTENSION)  # installed in site
    os.utime(site, (time.time() - 30,) * 2)  # and settled again: only the marker's name can tell
    completed = _run(sys.executable, "-m", "d365lint", "check", "--select", "contoso", "--fail-on", "note", str(UNSAFE), env=env, cwd=work)
    assert completed.returncode == 1, completed.stderr
    assert "contoso-invoice-seen table contoso_invoice seen by the extension" in completed.stdout


def _documented_extension() -> str:
    """The extension docs/extensions.md shows, as its reader would copy it."""
    text = (ROOT / "docs" / "extensions.md").read_text(encoding="utf-8")
    return next(block for block in text.split("```python\n")[1:] if block.startswith("# contoso_d365lint_rules")).split("```")[0]


def test_the_extension_the_docs_show_loads_and_reports(tmp_path):
    solution = tmp_path / "solution"
    shutil.copytree(CLEAN, solution)
    entity = solution / "Entities" / "contoso_InvoiceType" / "Entity.xml"
    entity.write_text(entity.read_text(encoding="utf-8").replace("Reference data: invoice types and their tax rates.", ""), encoding="utf-8")
    env = _extension(tmp_path, _documented_extension())
    completed = _run(sys.executable, "-m", "d365lint", "check", "--select", "contoso-table-description", "--format", "json", str(solution), env=env)
    assert completed.returncode == 1, completed.stderr
    findings = json.loads(completed.stdout)["findings"]
    assert [(f["rule"], f["component"]) for f in findings] == [("contoso-table-description", "table:contoso_invoicetype")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("raise ImportError('broken dependency')", "failed to load"),
        ("RULES = [object()]", "not a d365lint.rules.base.Rule"),
        (GOOD_EXTENSION.replace('"contoso-invoice-seen"', '"Bad_Id"'), "not a kebab-case slug"),
        (GOOD_EXTENSION.replace('"contoso-invoice-seen"', '"sec-hardcoded-credential"'), "defined by both"),
        (GOOD_EXTENSION.replace("check=check)", "check=check, reports_in=('entities',))"), "reports_in names no collection of a solution: entities"),
        (GOOD_EXTENSION.replace("check=check)", "check=check, reads=('forms', 'entities'))"), "reads names no collection of a solution: entities"),
        (GOOD_EXTENSION.replace("check=check)", "check=check, reads=('forms', 'roles'), linked=('tables', 'views', 'roles'))"),
         "linked names collections that reads does not: tables, views"),
    ],
    ids=["import-error", "not-a-rule", "bad-id", "duplicate-id", "unknown-collection", "unknown-read", "unlinkable"],
)
def test_a_malformed_extension_fails_loudly(tmp_path, body, message):
    completed = _run(sys.executable, "-m", "d365lint", "rules", env=_extension(tmp_path, body))
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_rule_that_raises_is_an_error_of_the_run_not_a_crash(tmp_path):
    crashing = GOOD_EXTENSION.replace("    for table in solution.tables:", "    raise KeyError('contoso_invoice')\n    for table in solution.tables:")
    env = _extension(tmp_path, crashing)
    completed = _run(sys.executable, "-m", "d365lint", "check", "--select", "contoso,sec-hardcoded-credential", str(UNSAFE), env=env)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr + completed.stdout
    assert "tool-error rule contoso-invoice-seen (contoso-rules) failed: KeyError: 'contoso_invoice' at " in completed.stdout
    assert "error sec-hardcoded-credential" in completed.stdout  # the other rules still ran


def test_never_writes_into_the_input(tmp_path):
    copy = tmp_path / "solution"
    shutil.copytree(UNSAFE, copy)
    before = {path: path.read_bytes() for path in copy.rglob("*") if path.is_file()}
    CliRunner().invoke(cli, ["check", "--format", "sarif", "-o", str(tmp_path / "out.sarif"), str(copy)])
    after = {path: path.read_bytes() for path in copy.rglob("*") if path.is_file()}
    assert before == after
