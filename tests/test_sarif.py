"""SARIF output: the official schema, Microsoft's multitool with GitHub's rules, and GitHub's line hashes."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from d365lint.cli.main import main
from d365lint.reporting import json_layout, line_hash
from d365lint.reporting.line_hash import file_line_hashes, line_hashes
from tests.conftest import CORPUS, FIXTURES, ROOT
from tests.support.pack import pack_to
from tests.support.sarif import MULTITOOL, MULTITOOL_MISSING, multitool_problems, schema_errors, schema_is_official

UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"
SITES = FIXTURES / "sites"


def _sarif(tmp_path, *paths, extra=(), name="results.sarif"):
    out = tmp_path / name
    main(["check", "--format", "sarif", "-o", str(out), "--fail-on", "never", *extra, *map(str, paths)])
    return out, json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture()
def every_kind_of_result(tmp_path, monkeypatch):
    """One SARIF log holding every shape a result or notification can take.

    Results in files, in zip members and outside the working folder (file:
    URIs); related locations; suppressed and baselined results; and a tool
    execution notification for an input that could not be read.
    """
    monkeypatch.chdir(ROOT)
    broken = tmp_path / "broken"
    (broken / "Other").mkdir(parents=True)
    (broken / "Other" / "Solution.xml").write_text("<ImportExportXml><SolutionManifest>", encoding="utf-8")
    outside = tmp_path / "outside.js"
    outside.write_text('"use strict";\neval(window.name);\n', encoding="utf-8")
    export = pack_to(UNSAFE, tmp_path / "contoso-unsafe.zip")
    sources = FIXTURES / "sources"
    baseline = tmp_path / "baseline.json"
    main(["check", "--format", "json", "-o", str(tmp_path / "ignored.json"), "--write-baseline", str(baseline), str(sources / "web-quality")])
    paths = (UNSAFE, SITES, sources, export, outside, broken)
    sarif_file, log = _sarif(tmp_path, *paths, extra=("--include-suppressed", "--baseline", str(baseline)))
    run = log["runs"][0]
    results = run["results"]
    uris = [result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for result in results]
    assert any(uri.endswith(".zip") for uri in uris) and any(uri.startswith("file:///") for uri in uris)
    assert any("relatedLocations" in result for result in results)
    assert any("suppressions" in result for result in results)
    assert {result.get("baselineState") for result in results} >= {"unchanged", None}
    assert run["invocations"][0]["toolExecutionNotifications"]
    return sarif_file, log


def test_the_schema_is_the_official_errata01_file():
    assert schema_is_official()


@pytest.mark.parametrize("extra", [(), ("--include-suppressed", "--category", "solutions/contoso")])
def test_sarif_passes_the_official_schema(tmp_path, extra):
    _, log = _sarif(tmp_path, UNSAFE, SITES, FIXTURES / "sources", extra=extra)
    assert log["runs"][0]["results"], "the fixtures must produce results for this test to mean anything"
    assert schema_errors(log) == []


def test_every_kind_of_result_passes_the_official_schema(every_kind_of_result):
    _, log = every_kind_of_result
    assert schema_errors(log) == []


def test_the_schema_check_catches_a_broken_log():
    """The validator must be able to fail: a result without its message, a level that does not exist."""
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "d365lint"}}, "results": [{"ruleId": "x", "level": "fatal"}]}]}
    assert len(schema_errors(broken)) >= 2


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
    for rule in rules:
        properties = rule["properties"]
        if "security" in properties["tags"]:
            assert isinstance(properties["security-severity"], str) and 0 < float(properties["security-severity"]) <= 10
        else:
            assert properties["problem.severity"] in {"error", "warning", "recommendation"}
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        assert {"shortDescription", "fullDescription", "help"} <= set(rule)
    assert credential["helpUri"].endswith("/docs/rules/sec-hardcoded-credential.md")
    assert credential["help"]["markdown"].startswith("## What it finds")


def test_every_level_survives_serialisation(tmp_path):
    """"warning" is SARIF's default level, which sarif-om's own serialiser drops; ours must write it."""
    json_path = tmp_path / "report.json"
    _, log = _sarif(tmp_path, UNSAFE, FIXTURES / "sources", extra=("--output-json", str(json_path)))
    sarif_levels = sorted((r["ruleId"], r["partialFingerprints"]["d365lint/v1"], r["level"]) for r in log["runs"][0]["results"])
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert sarif_levels == sorted((f["rule"], f["fingerprint"], f["level"]) for f in report["findings"])
    assert {level for *_, level in sarif_levels} == {"error", "warning", "note"}


def test_results_in_a_zip_point_at_the_zip_and_name_the_member(every_kind_of_result):
    _, log = every_kind_of_result
    in_zip = [r for r in log["runs"][0]["results"] if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".zip")]
    assert in_zip
    for result in in_zip:
        assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
        assert "primaryLocationLineHash" not in result["partialFingerprints"]  # GitHub hashes the file it can open
        assert re.search(r" \(in (customizations\.xml|WebResources/\S+|environmentvariabledefinitions/\S+), line \d+\)$", result["message"]["text"])


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent (a fresh clone has no shared/)")
def test_results_inside_a_zip_point_at_the_zip_and_name_the_member(tmp_path):
    _, log = _sarif(tmp_path, *sorted(CORPUS.glob("*.zip")))
    for result in log["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert location.endswith(".zip")
        assert "(in " in result["message"]["text"]


def test_paths_above_the_working_folder_are_file_uris_not_relative_escapes(tmp_path, monkeypatch):
    (tmp_path / "outside.js").write_text('"use strict";\neval(window.name);\n', encoding="utf-8")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    _, log = _sarif(tmp_path, "../outside.js")
    (location,) = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert location == (tmp_path / "outside.js").as_uri()


@pytest.mark.skipif(not MULTITOOL.exists(), reason=MULTITOOL_MISSING)
def test_microsofts_multitool_with_github_rules_reports_nothing(every_kind_of_result, tmp_path):
    sarif_file, _ = every_kind_of_result
    assert multitool_problems(sarif_file, tmp_path) == []


@pytest.mark.skipif(not MULTITOOL.exists(), reason=MULTITOOL_MISSING)
def test_the_multitool_check_catches_what_github_rejects(tmp_path):
    """The multitool must be able to fail: a log without rule metadata or a tool version."""
    weak = tmp_path / "weak.sarif"
    weak.write_text(json.dumps({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "d365lint"}}, "results": [
            {"ruleId": "x", "message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.js"}}}]}
        ]}],
    }), encoding="utf-8")
    assert multitool_problems(weak, tmp_path)


# Expected values from github/codeql-action's src/fingerprints.test.ts (its test 'hash').
_GREETINGS = ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
              "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"]
GITHUB_LINE_HASH_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
        ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
         "b86d3392aea1be30:1", "e6ceba753e1a442:1"],
    ),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n", _GREETINGS),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r", _GREETINGS),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n", _GREETINGS),
    (" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n", _GREETINGS),
    (
        "Lorem ipsum dolor sit amet.\n" * 10,
        ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
         "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
         "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), GITHUB_LINE_HASH_VECTORS)
def test_line_hashes_match_githubs_upload_action(text, expected):
    assert line_hashes(text) == {line: value for line, value in enumerate(expected, start=1)}


def test_line_hashes_read_files_as_the_upload_action_does(tmp_path):
    """Node keeps a UTF-8 byte-order mark as the first character and replaces invalid bytes; so must we."""
    with_bom = tmp_path / "bom.js"
    with_bom.write_bytes(b"\xef\xbb\xbfeval(x);\nfoo();\n")
    assert file_line_hashes(str(with_bom)) == line_hashes("\ufeffeval(x);\nfoo();\n")
    assert file_line_hashes(str(with_bom))[1] != line_hashes("eval(x);\nfoo();\n")[1]
    latin = tmp_path / "latin.js"
    latin.write_bytes(b"var caf\xe9 = 1;\n")
    assert file_line_hashes(str(latin)) == line_hashes("var caf\ufffd = 1;\n")


def test_sarif_line_hash_of_a_file_with_a_byte_order_mark(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "form.js").write_bytes(b'\xef\xbb\xbfeval(window.name);\n"use strict";\n')
    _, log = _sarif(tmp_path, "form.js")
    hashes = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r["partialFingerprints"]["primaryLocationLineHash"]
              for r in log["runs"][0]["results"]}
    assert hashes and hashes.get(1) == line_hashes('\ufeffeval(window.name);\n"use strict";\n')[1]


def _rolling_line_hashes(text: str) -> dict[int, str]:
    """GitHub's algorithm step by step, as fingerprints.ts writes it: the oracle for the one-pass version."""
    mask, first_mod = (1 << 64) - 1, pow(37, 100, 1 << 64)
    window, starts = [0] * 100, [-1] * 100
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}
    hashes: dict[int, str] = {}
    counts: Counter = Counter()

    def output() -> None:
        value = format(state["hash"], "x")
        counts[value] += 1
        hashes[starts[state["index"]]] = f"{value}:{counts[value]}"
        starts[state["index"]] = -1

    def update(unit: int) -> None:
        index = state["index"]
        state["hash"] = (37 * state["hash"] + unit - first_mod * window[index]) & mask
        window[index] = unit
        state["index"] = (index + 1) % 100

    def process(unit: int) -> None:
        if unit in (32, 9) or (state["prev_cr"] and unit == 10):
            state["prev_cr"] = False
            return
        state["prev_cr"] = unit == 13
        unit = 10 if unit == 13 else unit
        if starts[state["index"]] != -1:
            output()
        if state["line_start"]:
            state["line_start"], state["line"] = False, state["line"] + 1
            starts[state["index"]] = state["line"]
        state["line_start"] = unit == 10
        update(unit)

    data = text.encode("utf-16-le", "surrogatepass")
    for offset in range(0, len(data), 2):
        process(int.from_bytes(data[offset : offset + 2], "little"))
    process(65535)
    for _ in range(100):
        if starts[state["index"]] != -1:
            output()
        update(0)
    return hashes


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", " ", "\t", "\r", "\n", "\r\n", "é", "😀", "x" * 40]), max_size=60).map("".join))
def test_one_pass_line_hashes_equal_the_rolling_algorithm(text):
    assert line_hashes(text) == _rolling_line_hashes(text)


def test_line_hashes_follow_the_file_not_its_relative_name(tmp_path, monkeypatch):
    """Runs in one process from two working folders name different files form.js; a file may also change."""
    for folder, body in (("a", "eval(a);\n"), ("b", "eval(b);\n")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "form.js").write_text(body, encoding="utf-8")
        monkeypatch.chdir(tmp_path / folder)
        assert file_line_hashes("form.js") == line_hashes(body)
    (tmp_path / "b" / "form.js").write_text("eval(changed);\n", encoding="utf-8")
    assert file_line_hashes("form.js") == line_hashes("eval(changed);\n")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \t\r\n\u00e9\U0001f600"), max_size=400))
def test_both_ways_of_hashing_line_windows_agree(text):
    """Long-lined files hash each line's window on its own, others roll over the file: the values must be the same."""
    units = line_hash._units(text)
    starts = [0, *(index + 1 for index, unit in enumerate(units) if unit == line_hash._LF)]
    assert line_hash._each_window(units, starts) == line_hash._rolled_windows(units, starts)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=st.sampled_from('a"\\\n\x00é😀 ')),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(head=st.dictionaries(st.text(max_size=4), _JSON_VALUES, max_size=3), items=st.lists(_JSON_VALUES, max_size=4),
       inner=st.lists(_JSON_VALUES, max_size=3))
def test_reports_with_one_item_per_line_are_the_same_json(head, items, inner):
    """Reports write their findings one per line: the JSON must be the document's, and the document left as it was."""
    document = {**head, "findings": items, "runs": [{"results": inner}]}
    expected = json.loads(json.dumps(document))
    text = json_layout.dumps(document, [(document, "findings"), (document["runs"][0], "results")])
    assert json.loads(text) == expected == document
    lines = {line.rstrip(",") for line in text.split("\n")}
    assert all(f"    {json.dumps(item, ensure_ascii=False)}" in lines for item in items)


def test_a_report_that_spells_a_placeholder_is_still_the_same_json():
    document = {"message": json_layout._placeholder(0), "findings": [{"rule": "x"}]}
    assert json.loads(json_layout.dumps(document, [(document, "findings")])) == document
