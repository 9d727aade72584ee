"""SARIF output: the official schema, Microsoft's multitool with GitHub's rules, and GitHub's line hashes."""

from __future__ import annotations

import json
import os

import pytest

from d365lint.cli.main import main
from d365lint.reporting.line_hash import line_hashes
from tests.conftest import CORPUS, FIXTURES
from tests.support.sarif import MULTITOOL, multitool_problems, schema_errors, schema_is_official

UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"
SITES = FIXTURES / "sites"


def _sarif(tmp_path, *paths, extra=()):
    out = tmp_path / "results.sarif"
    main(["check", "--format", "sarif", "-o", str(out), "--fail-on", "never", *extra, *map(str, paths)])
    return out, json.loads(out.read_text(encoding="utf-8"))


def test_the_schema_is_the_official_errata01_file():
    assert schema_is_official()


@pytest.mark.parametrize("extra", [(), ("--include-suppressed", "--category", "solutions/contoso")])
def test_sarif_passes_the_official_schema(tmp_path, extra):
    _, log = _sarif(tmp_path, UNSAFE, SITES, FIXTURES / "sources", extra=extra)
    assert log["runs"][0]["results"], "the fixtures must produce results for this test to mean anything"
    assert schema_errors(log) == []


def test_input_problems_become_tool_execution_notifications(tmp_path):
    broken = tmp_path / "broken"
    (broken / "Other").mkdir(parents=True)
    (broken / "Other" / "Solution.xml").write_text("<ImportExportXml><SolutionManifest>", encoding="utf-8")
    _, log = _sarif(tmp_path, broken)
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "Solution.xml" in invocation["toolExecutionNotifications"][0]["message"]["text"]
    assert schema_errors(log) == []


def test_results_carry_level_rule_index_fingerprints_and_security_severity(tmp_path):
    _, log = _sarif(tmp_path, UNSAFE)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert run["columnKind"] == "unicodeCodePoints"
    for result in run["results"]:
        assert result["level"] in {"error", "warning", "note"}
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert {"primaryLocationLineHash", "d365lint/v1"} <= set(result["partialFingerprints"])
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    credential = next(rule for rule in rules if rule["id"] == "sec-hardcoded-credential")
    assert credential["properties"]["security-severity"] == "8.5"
    assert credential["helpUri"].endswith("/docs/rules/sec-hardcoded-credential.md")
    assert credential["help"]["markdown"].startswith("## What it finds")


def test_a_warning_level_survives_serialisation(tmp_path):
    _, log = _sarif(tmp_path, UNSAFE)
    assert any(result["level"] == "warning" for result in log["runs"][0]["results"])


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent (a fresh clone has no shared/)")
def test_results_inside_a_zip_point_at_the_zip_and_name_the_member(tmp_path):
    _, log = _sarif(tmp_path, *sorted(CORPUS.glob("*.zip")))
    for result in log["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert location.endswith(".zip")
        assert "(in " in result["message"]["text"]


@pytest.mark.skipif(not MULTITOOL.exists(), reason="the SARIF multitool is not installed (bash .ci/run installs it)")
def test_microsofts_multitool_with_github_rules_reports_nothing(tmp_path):
    sarif_file, log = _sarif(tmp_path, UNSAFE, SITES, FIXTURES / "sources")
    assert log["runs"][0]["results"]
    if not os.access(MULTITOOL, os.X_OK):
        MULTITOOL.chmod(0o755)
    assert multitool_problems(sarif_file, tmp_path) == []


# Expected values from github/codeql-action's src/fingerprints.test.ts.
GITHUB_LINE_HASH_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (
        " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n",
        ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
         "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"],
    ),
    (
        "Lorem ipsum dolor sit amet.\n" * 10,
        ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
         "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
         "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), GITHUB_LINE_HASH_VECTORS)
def test_line_hashes_match_githubs_upload_action(text, expected):
    hashes = line_hashes(text)
    assert [hashes[line] for line in range(1, len(expected) + 1)] == expected
