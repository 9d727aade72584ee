"""`d365lint gate`: one decision over SARIF from d365lint and from other tools."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from d365lint.cli.main import main
from d365lint.gate import gate, read_logs
from tests.conftest import FIXTURES

UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"


def _checker_log() -> dict:
    """A log shaped like the solution checker's: levels on some results, rule defaults for others."""
    rules = [
        {"id": "il-specify-column", "defaultConfiguration": {"level": "warning"}},
        {"id": "web-use-async", "defaultConfiguration": {"level": "error"}},
        {"id": "meta-remove-inactive"},
    ]
    location = {"physicalLocation": {"artifactLocation": {"uri": "Plugins/InvoicePlugin.cs"}, "region": {"startLine": 12, "startColumn": 5}}}
    return {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "PowerApps Checker", "rules": rules}},
                "results": [
                    {"ruleId": "il-specify-column", "ruleIndex": 0, "message": {"text": "ColumnSet(true)"}, "locations": [location]},
                    {"ruleIndex": 1, "message": {"text": "Synchronous request"}, "locations": [location]},
                    {"ruleId": "meta-remove-inactive", "message": {"text": "Inactive step"}},
                    {"ruleId": "il-specify-column", "level": "note", "message": {"text": "lowered"}},
                    {"ruleId": "web-use-async", "level": "none", "message": {"text": "informational"}},
                    {"ruleId": "web-use-async", "kind": "pass", "message": {"text": "passed"}},
                    {"ruleId": "web-use-async", "message": {"text": "accepted"}, "suppressions": [{"kind": "external"}]},
                    {"ruleId": "web-use-async", "message": {"text": "rejected"}, "suppressions": [{"kind": "inSource", "status": "rejected"}]},
                ],
            }
        ],
    }


def _write(path: Path, document: dict) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_levels_come_from_the_result_then_the_rule_then_warning(tmp_path):
    report = gate([_write(tmp_path / "checker.sarif", _checker_log())])
    levels = [(r.rule_id, r.level, r.counts) for r in report.results]
    assert levels == [
        ("il-specify-column", "warning", True),
        ("web-use-async", "error", True),
        ("meta-remove-inactive", "warning", True),
        ("il-specify-column", "note", True),
        ("web-use-async", "error", False),  # an accepted suppression
        ("web-use-async", "error", True),  # a rejected one does not count
    ]
    assert report.tools == ("PowerApps Checker",)


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("note", 1), ("never", 0)])
def test_thresholds(tmp_path, capsys, fail_on, code):
    log = _write(tmp_path / "checker.sarif", _checker_log())
    assert main(["gate", str(log), "--fail-on", fail_on]) == code
    out = capsys.readouterr().out
    assert "Gate: 5 results (2 errors, 2 warnings, 1 note, 1 suppressed or baselined) from PowerApps Checker in 1 SARIF log" in out
    assert "Plugins/InvoicePlugin.cs:12:5: error web-use-async Synchronous request [PowerApps Checker]" in out


def test_only_notes_pass_an_error_gate(tmp_path):
    log = _checker_log()
    log["runs"][0]["results"] = [{"ruleId": "il-specify-column", "level": "note", "message": {"text": "x"}}]
    assert main(["gate", str(_write(tmp_path / "x.sarif", log)), "--fail-on", "warning"]) == 0


def test_the_solution_checker_zip_is_read_directly(tmp_path):
    archive = tmp_path / "checker-results.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("Contoso_managed_results.sarif", json.dumps(_checker_log()))
        out.writestr("readme.txt", "not SARIF")
    assert [name for name, _ in read_logs(archive)] == [f"{archive}!/Contoso_managed_results.sarif"]
    assert main(["gate", str(archive), "--fail-on", "error"]) == 1


def test_d365lint_and_checker_logs_gate_together_and_share_the_baseline(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(UNSAFE, tmp_path / "solution")
    assert main(["check", "--format", "sarif", "-o", "d365lint.sarif", "--fail-on", "never", "solution"]) == 0
    main(["check", "--write-baseline", "accepted.json", "solution"])
    _write(tmp_path / "checker.sarif", _checker_log())
    capsys.readouterr()
    assert main(["gate", "d365lint.sarif", "checker.sarif", "--fail-on", "error"]) == 1
    assert "from d365lint, PowerApps Checker in 2 SARIF logs" in capsys.readouterr().out
    # d365lint's own findings are covered by the baseline written by `check`; the checker's are not.
    assert main(["gate", "d365lint.sarif", "--baseline", "accepted.json"]) == 0
    assert main(["gate", "d365lint.sarif", "checker.sarif", "--baseline", "accepted.json", "--fail-on", "error"]) == 1
    assert main(["gate", "d365lint.sarif", "checker.sarif", "--write-baseline", "all.json"]) == 0
    assert main(["gate", "d365lint.sarif", "checker.sarif", "--baseline", "all.json", "--fail-on", "note"]) == 0


def test_gate_prints_annotations(tmp_path, capsys):
    log = _write(tmp_path / "checker.sarif", _checker_log())
    main(["gate", str(log), "--format", "github"])
    lines = capsys.readouterr().out.splitlines()
    assert "::error file=Plugins/InvoicePlugin.cs,line=12,col=5,title=web-use-async::Synchronous request [PowerApps Checker]" in lines
    assert lines[-1].startswith("Gate: ")


@pytest.mark.parametrize(("content", "problem"), [("{", "invalid JSON"), ('{"version": "2.1.0"}', "no 'runs' list")])
def test_unreadable_sarif_exits_2(tmp_path, capsys, content, problem):
    path = tmp_path / "bad.sarif"
    path.write_text(content, encoding="utf-8")
    assert main(["gate", str(path)]) == 2
    error = capsys.readouterr().err
    assert str(path) in error and problem in error
