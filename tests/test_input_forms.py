"""One solution, every input form: folder, exported zip, hand-unzipped export, loose files.

Each solution fixture is packed into a real exported zip (tests/support/pack.py)
and the findings of each form are compared by rule and fingerprint, which
never include line numbers: the forms must agree on what they find.
"""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter

import pytest

from tests.conftest import FIXTURES, ROOT, run_analysis
from tests.support.pack import pack_to

SOLUTIONS = sorted(
    path for path in (FIXTURES / "solutions").iterdir() if (path / "Other" / "Solution.xml").is_file()
)


def _identities(report) -> Counter:
    return Counter((result.rule.id, result.fingerprint) for result in report.results)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.name)
def test_zip_and_folder_find_the_same(solution, ruleset, tmp_path):
    folder_report = run_analysis([solution], ruleset)
    zip_report = run_analysis([pack_to(solution, tmp_path / f"{solution.name}.zip")], ruleset, cwd=tmp_path)
    assert _identities(zip_report) == _identities(folder_report)
    assert not [d for d in zip_report.diagnostics if d.kind == "error"], zip_report.diagnostics


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.name)
def test_an_unzipped_export_is_read_like_the_zip(solution, ruleset, tmp_path):
    archive = pack_to(solution, tmp_path / "export.zip")
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(unzipped)
    assert _identities(run_analysis([unzipped], ruleset, cwd=tmp_path)) == _identities(
        run_analysis([archive], ruleset, cwd=tmp_path)
    )


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.name)
def test_loose_files_as_pre_commit_passes_them_find_the_same(solution, ruleset):
    files = sorted(path.relative_to(ROOT) for path in solution.rglob("*") if path.is_file())
    assert _identities(run_analysis(files, ruleset)) == _identities(run_analysis([solution], ruleset))


def test_a_single_file_reports_only_its_own_findings(ruleset):
    solution = FIXTURES / "solutions" / "contoso-unsafe"
    whole = run_analysis([solution], ruleset)
    path = whole.results[0].finding.location.path
    single = run_analysis([path], ruleset)
    assert single.results and {r.finding.location.path for r in single.results} == {path}


def test_a_repository_root_finds_every_solution_and_keeps_copies_apart(ruleset, tmp_path):
    repository = tmp_path / "repo"
    shutil.copytree(FIXTURES / "solutions" / "contoso-unsafe", repository / "src" / "unpacked")
    (repository / "dist").mkdir()
    pack_to(FIXTURES / "solutions" / "contoso-unsafe", repository / "dist" / "contoso.zip")
    report = run_analysis([repository], ruleset, cwd=tmp_path)
    paths = {result.finding.location.path.split("/")[1] for result in report.results}
    assert paths == {"src", "dist"}
    per_copy = Counter(result.finding.location.path.split("/")[1] for result in report.results)
    assert per_copy["src"] == per_copy["dist"]


def test_pac_solution_clone_layout_is_found_under_src(ruleset, tmp_path):
    clone = tmp_path / "ContosoClone"
    shutil.copytree(FIXTURES / "solutions" / "contoso-unsafe", clone / "src")
    (clone / "ContosoClone.cdsproj").write_text("<Project />", encoding="utf-8")
    report = run_analysis([clone], ruleset, cwd=tmp_path)
    assert _identities(report) == _identities(run_analysis([FIXTURES / "solutions" / "contoso-unsafe"], ruleset))


def test_managed_twins_of_packagetype_both_are_skipped(ruleset, tmp_path):
    solution = tmp_path / "both"
    shutil.copytree(FIXTURES / "solutions" / "contoso-unsafe", solution)
    for step in (solution / "SdkMessageProcessingSteps").glob("*.xml"):
        shutil.copy(step, step.with_name(step.stem + "_managed.xml"))
    assert _identities(run_analysis([solution], ruleset, cwd=tmp_path)) == _identities(
        run_analysis([FIXTURES / "solutions" / "contoso-unsafe"], ruleset)
    )
