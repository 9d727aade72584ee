"""Shared fixtures: the repository root, the rules, and running the analysis in-process."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from d365lint.engine.run import Report, analyse
from d365lint.engine.work import collections_read
from d365lint.loading.discover import load
from d365lint.rules.registry import RuleSet, load_rules

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache-home")


@pytest.fixture(autouse=True)
def _private_cache(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of the CLI (in-process and in subprocesses) keep their cache here, not in the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))


@pytest.fixture(scope="session")
def ruleset() -> RuleSet:
    return load_rules(extensions=False)


def run_analysis(paths: list[str | Path], ruleset: RuleSet, cwd: Path = ROOT, cache_folder: Path | None = None) -> Report:
    """Load and analyse ``paths`` as the CLI does, with every built-in rule (and no cache unless given one)."""
    reads = functools.partial(collections_read, ruleset.rules)
    return analyse(load([str(p) for p in paths], cwd=cwd, cache_folder=cache_folder, reads=reads), ruleset.rules)
