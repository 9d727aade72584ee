"""Fuzzing: broken copies of the fixtures never crash, hang, bloat or misplace a finding.

A short, derandomised campaign of the strategies and properties in
``tests/support/fuzz.py`` (the long one is ``benchmarks/fuzz.py``), the
inputs the campaigns found breaking d365lint, reduced by hand to what
matters, and checks that each property can fail.
"""

from __future__ import annotations

import gc
import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from d365lint.cli.main import main

from tests.support.fuzz import (
    CASES,
    ZIP_CASES,
    Fuzzer,
    FuzzInput,
    InputFiles,
    Place,
    case_input,
    file_inputs,
    folder_inputs,
    solution_zip,
    unzip_members,
    zip_inputs,
    zip_members,
)

CI_CAMPAIGN = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def fuzzer() -> Fuzzer:
    return Fuzzer()


def _problems(fuzzer: Fuzzer, fuzz_input: FuzzInput) -> tuple[str, ...]:
    with tempfile.TemporaryDirectory(prefix="d365lint-fuzz-") as work:
        return fuzzer.run(fuzz_input, Path(work)).problems


def _assert_holds(fuzzer: Fuzzer, fuzz_input: FuzzInput) -> None:
    problems = _problems(fuzzer, fuzz_input)
    assert not problems, f"{fuzz_input.description}\n" + "\n".join(problems)


@CI_CAMPAIGN
@given(fuzz_input=folder_inputs())
def test_fixture_folders_with_a_mutated_file(fuzzer, fuzz_input):
    _assert_holds(fuzzer, fuzz_input)


@CI_CAMPAIGN
@given(fuzz_input=file_inputs())
def test_mutated_scripts_checked_alone(fuzzer, fuzz_input):
    _assert_holds(fuzzer, fuzz_input)


@CI_CAMPAIGN
@given(fuzz_input=zip_inputs())
def test_mutated_solution_zips(fuzzer, fuzz_input):
    _assert_holds(fuzzer, fuzz_input)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_unmutated_fixtures_keep_the_properties(fuzzer, case):
    _assert_holds(fuzzer, case_input(case))


@pytest.mark.parametrize("case", ZIP_CASES, ids=lambda case: case.name)
def test_unmutated_solution_zips_keep_the_properties(fuzzer, case):
    _assert_holds(fuzzer, FuzzInput(f"zip {case.name}", (("solution.zip", solution_zip(case)),), ("solution.zip",)))


# ------------------------------------------------------------ found by fuzzing

OBSCURITY_RIBBON = next(case for case in ZIP_CASES if case.name == "obscurity-ribbon")
_MANIFEST = b'<ImportExportXml version="9.2"><SolutionManifest><UniqueName>x</UniqueName></SolutionManifest></ImportExportXml>'


def _corrupt_deflate(archive: bytes, index: int) -> bytes:
    """Member ``index``'s deflate stream starting with a block of the reserved type 3 (zlib: 'invalid block type')."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        info = opened.infolist()[index]
    start = info.header_offset + 30 + len(info.filename.encode())  # local header, name; writestr adds no extra field
    return archive[:start] + b"\x07" + archive[start + 1 :]


def _zip(name: str, data: bytes) -> FuzzInput:
    return FuzzInput(name, ((name, data),), (name,))


REGRESSIONS = [
    pytest.param(
        # zip solutions/access-ownership: drop_member(181) | duplicate_member(93901) | drop_member(0):
        # a member-level diagnostic (duplicate name) and a whole-archive one at the same place could not be sorted.
        _zip("duplicate-manifest.zip", zip_members([("solution.xml", _MANIFEST), ("solution.xml", _MANIFEST)])),
        id="duplicate-member-and-not-a-solution",
    ),
    pytest.param(
        # zip solutions/connectors-fabrikam: flip_bytes(((42173, 75), ...)): zlib.error escaped reading a member.
        _zip(
            "corrupt-deflate.zip",
            _corrupt_deflate(zip_members([("solution.xml", _MANIFEST * 4), ("customizations.xml", b"<ImportExportXml/>")]), 0),
        ),
        id="corrupt-deflate-stream",
    ),
    pytest.param(
        # zip solutions/obscurity-ribbon: duplicate_member(106) | duplicate_member(1141) | duplicate_member(1141) |
        # flip_bytes(...): the source line of a finding was read from the last, corrupt duplicate (zlib.error).
        _zip("corrupt-duplicate.zip", _corrupt_deflate(zip_members([*unzip_members(solution_zip(OBSCURITY_RIBBON)), ("customizations.xml", _MANIFEST * 4)]), -1)),
        id="finding-in-a-member-with-a-corrupt-duplicate",
    ),
]


@pytest.mark.parametrize("fuzz_input", REGRESSIONS)
def test_inputs_the_fuzzer_found(fuzzer, fuzz_input):
    _assert_holds(fuzzer, fuzz_input)


def test_a_check_in_process_leaves_the_collector_as_it_found_it(capsys):
    """Found by the long campaign: its memory grew by 0.45 MB an input (contoso-unsafe), each check's
    objects kept out of garbage collection for the rest of the process by the check's gc.freeze().
    A check also collects rarely while its rules run: the process's thresholds come back after it."""
    before = (gc.get_freeze_count(), gc.get_threshold())
    assert main(["check", str(CASES[0]), "--format", "json", "--no-cache"]) in (0, 1)
    assert (gc.get_freeze_count(), gc.get_threshold()) == before
    capsys.readouterr()


# ------------------------------------------------------------ the properties can fail


def test_a_place_outside_the_input_is_caught(tmp_path):
    archive = zip_members([("customizations.xml", b"<a/>\n<b/>\n"), ("../evil.xml", b"<c/>")])
    fuzz_input = FuzzInput("two files", (("a.js", b"x\ny\n"), ("s.zip", archive)), ("a.js", "s.zip"))
    source = InputFiles(fuzz_input, tmp_path)
    script, zipped = str(tmp_path / "a.js"), str(tmp_path / "s.zip")
    assert source.misplaced(Place(script, None, 3, 1)) is None
    assert source.misplaced(Place(zipped, "customizations.xml", 2, 4)) is None
    assert "not a file of the input" in source.misplaced(Place(str(tmp_path / "b.js"), None, 1, 1))
    assert "not a member" in source.misplaced(Place(zipped, "solution.xml", 1, 1))
    assert "not a member" in source.misplaced(Place(zipped, "../evil.xml", 1, 1))
    assert "outside the file" in source.misplaced(Place(script, None, 4, 1))
    assert "outside the file" in source.misplaced(Place(zipped, "customizations.xml", 1, 0))


def test_the_time_bound_is_checked():
    problems = _problems(Fuzzer(cpu_seconds=0.0), case_input(CASES[0]))
    assert any("CPU time" in problem for problem in problems), problems


def test_a_changed_finding_in_another_file_is_caught():
    """An input claiming to change one script but emptying another: the findings lost there are caught."""
    case = next(case for case in CASES if case.name == "credentials-scripts")
    unmutated = case_input(case)
    emptied = f"{case.name}/contoso_partnerlookup.js"
    files = tuple((name, b"" if name == emptied else data) for name, data in unmutated.files)
    claimed = FuzzInput("claims to change the .ts", files, unmutated.checked, unmutated.case, "contoso_partnerclient.ts")
    problems = _problems(Fuzzer(), claimed)
    assert any("changed findings in other files" in problem for problem in problems), problems
