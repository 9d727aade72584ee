"""Baselines: written by fingerprint, robust to moved code and reordered XML, reported as SARIF states."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

from d365lint.cli.main import main
from d365lint.engine.baseline import Baseline, BaselineError, read_baseline, states
from tests.conftest import FIXTURES

UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"
SCRIPTS = FIXTURES / "sources"


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """A copy of the unsafe solution and some scripts, in a folder the test runs from."""
    shutil.copytree(UNSAFE, tmp_path / "solution")
    shutil.copytree(SCRIPTS / "web-sdl", tmp_path / "scripts")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _json_report(capsys, *args: str) -> dict:
    main(["check", "--format", "json", *args])
    return json.loads(capsys.readouterr().out)


def _shift_every_file(folder: Path) -> None:
    """Move all code down: blank and comment lines at the top of every script and XML file."""
    for path in folder.rglob("*"):
        if path.suffix in (".js", ".ts") and path.is_file():
            path.write_text("// moved\n\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
        elif path.suffix == ".xml" and path.is_file():
            text = path.read_text(encoding="utf-8-sig")
            head, sep, rest = text.partition("?>") if text.startswith("<?xml") else ("", "", text)
            path.write_text(head + sep + "\n<!-- moved -->\n\n" + rest, encoding="utf-8")


def _reorder_every_xml(folder: Path) -> int:
    """Re-export with another element order: reverse every run of same-named siblings."""
    reordered = 0
    for path in sorted(folder.rglob("*.xml")):
        tree = etree.parse(str(path))
        for element in tree.getroot().iter(etree.Element):
            children = [c for c in element if isinstance(c.tag, str)]
            if len(children) > 1 and len({c.tag for c in children}) == 1:
                for child in children:
                    element.remove(child)
                element.extend(reversed(children))
                reordered += 1
        tree.write(str(path), xml_declaration=True, encoding="utf-8")
    return reordered


def test_a_baseline_accepts_todays_findings(workspace, capsys):
    assert main(["check", "--write-baseline", ".d365lint-baseline.json", "solution", "scripts"]) == 0
    captured = capsys.readouterr()
    assert "to the baseline .d365lint-baseline.json" in captured.err
    assert "Found 0 findings" in captured.out
    written = json.loads((workspace / ".d365lint-baseline.json").read_text(encoding="utf-8"))
    assert written["findings"] and all(set(item) == {"fingerprint", "rule", "component", "count"} for item in written["findings"])
    report = _json_report(capsys, "--baseline", ".d365lint-baseline.json", "solution", "scripts")
    assert report["summary"]["findings"] == 0
    assert report["summary"]["baselined"] == sum(item["count"] for item in written["findings"])
    assert main(["check", "--baseline", ".d365lint-baseline.json", "solution", "scripts"]) == 0


def test_the_baseline_holds_no_line_numbers_and_no_secret(workspace, capsys):
    full = _json_report(capsys, "solution")
    secrets = [f for f in full["findings"] if f["rule"] == "sec-hardcoded-credential"]
    assert secrets
    main(["check", "--write-baseline", "b.json", "solution"])
    capsys.readouterr()
    text = (workspace / "b.json").read_text(encoding="utf-8")
    assert "line" not in text and "message" not in text
    for value in ("Wm7Q~r4.Xf2bN9kLz_hT5vYc8dPe1sGu3jA6oRiK", "Jv3~Hq9.Lp6sTz_2Wn8kRb4Xc7Ym1Dg5Fe0Ua3Io"):
        assert value not in text


def test_moving_code_and_reordering_xml_do_not_resurface_baselined_findings(workspace, capsys):
    before = _json_report(capsys, "solution", "scripts")
    assert before["summary"]["findings"] > 5
    main(["check", "--write-baseline", "b.json", "solution", "scripts"])
    capsys.readouterr()
    _shift_every_file(workspace)
    assert _reorder_every_xml(workspace / "solution") > 3
    after = _json_report(capsys, "solution", "scripts")
    assert after["summary"]["findings"] == before["summary"]["findings"]  # the same findings, elsewhere
    assert {f["line"] for f in after["findings"]} != {f["line"] for f in before["findings"]}
    new = _json_report(capsys, "--baseline", "b.json", "solution", "scripts")
    assert new["findings"] == [], [(f["rule"], f["component"]) for f in new["findings"]]


def test_new_findings_are_reported_and_marked_in_sarif(workspace, capsys):
    main(["check", "--write-baseline", "b.json", "solution", "scripts"])
    capsys.readouterr()
    script = next((workspace / "scripts").glob("*.js"))
    script.write_text(script.read_text(encoding="utf-8") + "\nfunction later(x) { return eval(x); }\n", encoding="utf-8")
    assert main(["check", "--baseline", "b.json", "--format", "json", "solution", "scripts"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["rule"], f["baseline_state"]) for f in findings] == [("web-avoid-eval", "new")]
    main(["check", "--baseline", "b.json", "--format", "sarif", "solution", "scripts"])
    default = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert [r["ruleId"] for r in default] == ["web-avoid-eval"]
    assert all("baselineState" not in r for r in default)  # GitHub would ignore it; unchanged ones are left out
    main(["check", "--baseline", "b.json", "--format", "sarif", "--include-suppressed", "solution", "scripts"])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    by_state: dict[str, list[str]] = {}
    for result in results:
        by_state.setdefault(result["baselineState"], []).append(result["ruleId"])
    assert by_state["new"] == ["web-avoid-eval"]
    assert len(by_state["unchanged"]) == len(results) - 1 > 5


def test_repeated_findings_beyond_the_accepted_count_are_new():
    baseline = Baseline({"a": 2, "b": 1})
    assert states(["a", "b", "a", "c", "a", "b"], baseline) == ["unchanged", "unchanged", "unchanged", "new", "new", "new"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read baseline"),
        ("{", "invalid JSON"),
        ('{"version": 1, "findings": []}', "not a d365lint baseline"),
        ('{"version": 9, "tool": "d365lint", "findings": []}', "version 9 is not supported"),
        ('{"version": 1, "tool": "d365lint", "findings": [{"rule": "x"}]}', "findings[0] has no fingerprint"),
        ('{"version": 1, "tool": "d365lint", "findings": [{"fingerprint": "x", "count": 0}]}', "positive integer"),
    ],
)
def test_a_bad_baseline_is_an_error_naming_the_file(workspace, capsys, content, problem):
    path = workspace / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        read_baseline(path)
    assert main(["check", "--baseline", "baseline.json", "solution"]) == 2
    assert "baseline.json" in capsys.readouterr().err


def test_the_baseline_can_be_configured(workspace, capsys):
    main(["check", "--write-baseline", "accepted.json", "solution"])
    capsys.readouterr()
    (workspace / ".d365lint.toml").write_text('baseline = "accepted.json"\n', encoding="utf-8")
    assert main(["check", "solution"]) == 0
    assert "suppressed or baselined" in capsys.readouterr().out
