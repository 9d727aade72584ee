"""The command line as users run it: the installed script, ``python -m``, exit codes, extensions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from d365lint.cli.main import cli
from tests.conftest import FIXTURES, ROOT

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


def test_json_report_shape_is_stable():
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(UNSAFE.relative_to(ROOT))])
    document = json.loads(result.output)
    assert set(document) == {"version", "tool", "summary", "findings", "input_problems"}
    assert document["version"] == 1
    assert set(document["summary"]) >= {"files", "findings", "error", "warning", "note", "suppressed", "baselined", "input_problems", "seconds"}
    finding = document["findings"][0]
    assert set(finding) == {
        "rule", "level", "message", "path", "member", "line", "column", "end_line", "end_column",
        "component", "fingerprint", "suppressed", "baseline_state", "related",
    }


def test_rules_lists_every_rule_and_explain_prints_help():
    listed = CliRunner().invoke(cli, ["rules"])
    assert listed.exit_code == 0 and "sec-hardcoded-credential" in listed.output and "web-avoid-eval" in listed.output
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


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("raise ImportError('broken dependency')", "failed to load"),
        ("RULES = [object()]", "not a d365lint.rules.base.Rule"),
        (GOOD_EXTENSION.replace('"contoso-invoice-seen"', '"Bad_Id"'), "not a kebab-case slug"),
        (GOOD_EXTENSION.replace('"contoso-invoice-seen"', '"sec-hardcoded-credential"'), "defined by both"),
    ],
    ids=["import-error", "not-a-rule", "bad-id", "duplicate-id"],
)
def test_a_malformed_extension_fails_loudly(tmp_path, body, message):
    completed = _run(sys.executable, "-m", "d365lint", "rules", env=_extension(tmp_path, body))
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr


def test_never_writes_into_the_input(tmp_path):
    copy = tmp_path / "solution"
    shutil.copytree(UNSAFE, copy)
    before = {path: path.read_bytes() for path in copy.rglob("*") if path.is_file()}
    CliRunner().invoke(cli, ["check", "--format", "sarif", "-o", str(tmp_path / "out.sarif"), str(copy)])
    after = {path: path.read_bytes() for path in copy.rglob("*") if path.is_file()}
    assert before == after
