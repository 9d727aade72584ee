"""Several outputs from one run, the text report for people, and the progress bar."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

from d365lint.cli.main import main
from d365lint.reporting.progress import TerminalProgress
from tests.conftest import FIXTURES, ROOT

UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"


def test_one_run_writes_text_sarif_and_json(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    sarif_path, json_path = tmp_path / "out" / "results.sarif", tmp_path / "report.json"
    code = main(["check", "--format", "text", "--output-sarif", str(sarif_path), "--output-json", str(json_path), str(UNSAFE)])
    assert code == 1
    text = capsys.readouterr().out
    sarif = json.loads(sarif_path.read_text(encoding="utf-8"))
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == len(report["findings"]) == report["summary"]["findings"] > 5
    assert f"Found {report['summary']['findings']} findings" in text
    assert {f["rule"] for f in report["findings"]} == {r["ruleId"] for r in sarif["runs"][0]["results"]}


def test_category_sets_automation_details(capsys):
    main(["check", "--format", "sarif", "--category", "solutions/contoso", "--fail-on", "never", str(UNSAFE)])
    assert json.loads(capsys.readouterr().out)["runs"][0]["automationDetails"] == {"id": "solutions/contoso/"}


def test_text_report_groups_by_file_with_caret_masked_secrets_and_summary(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    main(["check", str(UNSAFE)])
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # not a terminal: no colours
    step = "fixtures/solutions/contoso-unsafe/SdkMessageProcessingSteps/{b29e7d05-3b7d-f011-8544-6045bd0f7a21}.xml"
    block = out.split(step + "\n", 1)[1].split("\n\n", 1)[0]
    first, source, caret = block.splitlines()[:3]
    assert first.startswith(f"{step}:9:3: error sec-hardcoded-credential ")
    assert source.startswith("    9 |   <CustomConfiguration>") and "ClientSecret=Jv3~…;" in source
    assert "Jv3~Hq9.Lp6sTz_2Wn8kRb4Xc7Ym1Dg5Fe0Ua3Io" not in out
    assert caret.startswith("      |   ^")  # under column 3
    summary = out.rstrip("\n").splitlines()[-1]
    assert summary.startswith("Found ") and " errors, " in summary and " warning" in summary and summary.endswith("s.")


def test_colours_when_asked(capsys):
    main(["check", "--color", str(UNSAFE)])
    assert "\x1b[31m" in capsys.readouterr().out


def test_echoed_input_never_becomes_an_azure_logging_command(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "form.js").write_text('"use strict";\neval("x"); // ##vso[task.setvariable variable=PATH]/tmp/evil\n', encoding="utf-8")
    main(["check", "form.js"])
    out = capsys.readouterr().out
    assert "eval(" in out and "##vso[" not in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_bar_only_on_a_terminal_after_a_second():
    clock = _Clock()
    terminal = _Terminal()
    progress = TerminalProgress.for_stream(terminal, environ={}, clock=clock)
    progress("script", 1, 10)
    assert terminal.getvalue() == ""  # a fast run stays silent
    clock.now += 1.5
    progress("script", 5, 10)
    assert terminal.getvalue().startswith("\rd365lint [##############..............] 5/10 scripts")
    progress.finish()
    assert terminal.getvalue().endswith("\r")
    for stream, environ in ((io.StringIO(), {}), (_Terminal(), {"CI": "true"}), (_Terminal(), {"TF_BUILD": "True"}), (_Terminal(), {"TERM": "dumb"})):
        quiet = TerminalProgress.for_stream(stream, environ=environ, clock=clock)
        clock.now += 5
        quiet("script", 5, 10)
        quiet.finish()
        assert stream.getvalue() == ""


def test_no_progress_output_when_stderr_is_a_pipe(tmp_path):
    copy = tmp_path / "solution"
    shutil.copytree(UNSAFE, copy)
    completed = subprocess.run(
        [sys.executable, "-m", "d365lint", "check", "--fail-on", "never", str(copy)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert completed.stderr == ""
    assert "\r" not in completed.stdout


def test_the_excerpt_is_the_reported_line_whatever_other_line_separators_the_file_holds(tmp_path, capsys, monkeypatch):
    """Form feeds, U+2028 and NEL are no line breaks for the parsers, so they are none for the excerpt either."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "form.js").write_text('"use strict"; // page\x0cbreak \u2028 and \x85\neval(window.name);\n', encoding="utf-8")
    main(["check", "form.js"])
    out = capsys.readouterr().out
    assert "form.js:2:1: error web-avoid-eval " in out
    assert "    2 | eval(window.name);" in out
