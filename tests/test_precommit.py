"""The real pre-commit running this checkout's hook on a temporary repository.

pre-commit installs the hook from a git repository at a revision, so the
test first snapshots this checkout — its tracked and not-ignored files as
they are in the working tree, like ``pre-commit try-repo`` does — into a
temporary repository and commits it; a fresh CI clone and a developer's
working tree are tested the same way. pre-commit then installs d365lint
from that snapshot into its own environment (from PyPI's packages, once per
test session) and runs it on a project holding an unpacked solution.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

CLEAN = FIXTURES / "solutions" / "contoso-clean"
UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"
FORM = Path("Entities/contoso_Invoice/FormXml/main/{4d6f8ba2-0f7d-f011-8544-6045bd0f7a21}.xml")
ENTITY = Path("Entities/contoso_Invoice/Entity.xml")
SECRET_STEP = "{b29e7d05-3b7d-f011-8544-6045bd0f7a21}.xml"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "d365lint tests",
    "GIT_AUTHOR_EMAIL": "tests@d365lint.invalid",
    "GIT_COMMITTER_NAME": "d365lint tests",
    "GIT_COMMITTER_EMAIL": "tests@d365lint.invalid",
}

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs git and a git checkout of d365lint"
)


def _git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout


def _snapshot(destination: Path) -> str:
    """Commit this checkout's working tree (tracked and not-ignored files) to a new repository."""
    listed = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git(destination, "init", "-q")
    _git(destination, "add", "-A")
    _git(destination, "commit", "-q", "-m", "d365lint snapshot")
    return _git(destination, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory) -> tuple[Path, str, Path]:
    """The snapshot repository, its revision, and a pre-commit home shared by the module's tests."""
    snapshot = tmp_path_factory.mktemp("d365lint-snapshot")
    revision = _snapshot(snapshot)
    return snapshot, revision, tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path, hook_repository) -> Path:
    """A git repository with the clean solution committed and the d365lint hook configured."""
    snapshot, revision, _ = hook_repository
    repository = tmp_path / "crm"
    shutil.copytree(CLEAN, repository / "solutions" / "Contoso")
    (repository / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snapshot.as_posix()}\n    rev: {revision}\n    hooks:\n      - id: d365lint\n      - id: d365lint-repository\n",
        encoding="utf-8",
    )
    _git(repository, "init", "-q")
    _git(repository, "add", ".pre-commit-config.yaml")
    _git(repository, "commit", "-q", "-m", "pre-commit configuration")
    return repository


def _pre_commit(repository: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    environment.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", *args],
        cwd=repository,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def test_the_hook_passes_on_the_clean_solution_and_fails_on_a_staged_anti_pattern(project, hook_repository):
    home = hook_repository[2]
    solution = project / "solutions" / "Contoso"
    _git(project, "add", "solutions")
    clean = _pre_commit(project, home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.count("Passed") == 2  # the changed files, and the whole repository

    _git(project, "commit", "-q", "-m", "clean solution")
    shutil.copy2(UNSAFE / "SdkMessageProcessingSteps" / SECRET_STEP, solution / "SdkMessageProcessingSteps" / SECRET_STEP)
    _git(project, "add", "solutions")
    for hook in ("d365lint", "d365lint-repository"):
        unsafe = _pre_commit(project, home, hook)
        assert unsafe.returncode == 1, unsafe.stdout + unsafe.stderr
        assert "Failed" in unsafe.stdout
        assert f"solutions/Contoso/SdkMessageProcessingSteps/{SECRET_STEP}:9:3: error sec-hardcoded-credential" in unsafe.stdout
        assert "Jv3~Hq9.Lp6sTz_2Wn8kRb4Xc7Ym1Dg5Fe0Ua3Io" not in unsafe.stdout  # the secret stays masked


def test_the_hook_works_in_a_repository_that_is_the_unpacked_solution(tmp_path, hook_repository):
    """The hook runs from the repository's root: there the solution's files must be named as git names them."""
    snapshot, revision, home = hook_repository
    repository = tmp_path / "contoso-solution"
    shutil.copytree(CLEAN, repository)
    (repository / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {snapshot.as_posix()}\n    rev: {revision}\n    hooks:\n      - id: d365lint\n", encoding="utf-8"
    )
    _git(repository, "init", "-q")
    _git(repository, "add", ".")
    _git(repository, "commit", "-q", "-m", "clean solution")
    shutil.copy2(UNSAFE / "SdkMessageProcessingSteps" / SECRET_STEP, repository / "SdkMessageProcessingSteps" / SECRET_STEP)
    _git(repository, "add", "SdkMessageProcessingSteps")
    unsafe = _pre_commit(repository, home, "d365lint")
    assert unsafe.returncode == 1, unsafe.stdout + unsafe.stderr
    reported = f"SdkMessageProcessingSteps/{SECRET_STEP}:9:3: error sec-hardcoded-credential"
    assert any(line.startswith(reported) for line in unsafe.stdout.splitlines()), unsafe.stdout


def test_a_changed_form_alone_is_checked_against_its_tables_columns(project, hook_repository):
    home = hook_repository[2]
    solution = project / "solutions" / "Contoso"
    _git(project, "add", "solutions")
    _git(project, "commit", "-q", "-m", "clean solution")

    # Hide the bank account column on the form: its section goes, a hidden control comes. Only the form is staged.
    form = solution / FORM
    text = re.sub(r'\s*<section name="payment".*?</section>', "", form.read_text(encoding="utf-8"), count=1, flags=re.S)
    hidden = (
        '<hiddencontrols>\n        <data id="contoso_bankaccount" datafieldname="contoso_bankaccount" '
        'classid="{5546E6CD-394C-4bee-94A8-4425E17EF6C6}" />\n      </hiddencontrols>\n      <tabs>'
    )
    form.write_text(text.replace("<tabs>", hidden, 1), encoding="utf-8")
    _git(project, "add", str(form.relative_to(project)))
    secured = _pre_commit(project, home, "d365lint")
    assert secured.returncode == 0, secured.stdout + secured.stderr  # the table secures the column: hiding is fine

    # The table stops securing the column (committed separately); the same staged form now fails.
    entity = solution / ENTITY
    entity_text = entity.read_text(encoding="utf-8")
    start = entity_text.index('PhysicalName="contoso_BankAccount"')
    end = entity_text.index("</attribute>", start)
    entity.write_text(
        entity_text[:start] + entity_text[start:end].replace("<IsSecured>1</IsSecured>", "<IsSecured>0</IsSecured>") + entity_text[end:],
        encoding="utf-8",
    )
    _git(project, "commit", "-q", "-m", "unsecure the column", "--", str(entity.relative_to(project)))
    assert _git(project, "diff", "--cached", "--name-only").split() == [str(form.relative_to(project))]
    exposed = _pre_commit(project, home, "d365lint")
    assert exposed.returncode == 1, exposed.stdout + exposed.stderr
    form_path = f"solutions/Contoso/{FORM.as_posix()}"
    reported = [line for line in exposed.stdout.splitlines() if line.startswith(form_path + ":")]
    assert reported and all("Payee Bank Account (IBAN)" in line for line in reported), exposed.stdout  # from Entity.xml
    assert "Entity.xml:" not in exposed.stdout  # results are narrowed to the staged file


def test_the_hooks_manifest_is_valid_and_selects_solution_files():
    from pre_commit.clientlib import load_manifest

    hooks = {hook["id"]: hook for hook in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    changed, repository = hooks["d365lint"], hooks["d365lint-repository"]
    assert changed["language"] == repository["language"] == "python"
    assert changed["require_serial"] and repository["require_serial"]
    assert repository["pass_filenames"] is False and repository["always_run"]
    selects = re.compile(changed["files"])
    wanted = (
        "solutions/Contoso/Entities/contoso_Invoice/FormXml/main/{4d6f8ba2}.xml",
        "solutions/Contoso/Other/Solution.xml",
        "solutions/Contoso/environmentvariabledefinitions/x/environmentvariablevalues.json",
        "solutions/Contoso/WebResources/contoso_/scripts/invoice.js",
        "src/scripts/invoice.ts",
        "solutions/Contoso/WebResources/contoso_/html/creditcheck.HTML",
        "plugins/Contoso.Plugins/InvoicePlugin.cs",
        "integration/sync.py",
        "portal/contoso/table-permissions/Invoices.tablepermission.yml",
        "build/Contoso_1_0_0_1_managed.zip",
        "solutions/Contoso/PluginAssemblies/ContosoPlugins/ContosoPlugins.dll",
    )
    assert [path for path in wanted if not selects.search(path)] == []
    assert [path for path in ("README.md", "docs/ci.md", "logo.png", ".gitignore") if selects.search(path)] == []
