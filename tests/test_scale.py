"""Large inputs read in pieces, runs in several processes, pre-commit runs and the benchmarks.

Speed itself is measured by benchmarks/run.py, never asserted here; these
tests pin what must not change while going faster: the model read from a
``customizations.xml`` piece by piece equals the model read whole, the
findings are the same in the same order for any number of jobs (and the
model the same however many processes read it), a run
focused on some files reports exactly what a full run reports for them,
and the generator and the benchmark script run.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import re
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from d365lint.engine import units
from d365lint.engine.run import analyse
from d365lint.engine.work import collections_in, collections_read
from d365lint.loading import cache as cache_module, parallel, sections, solutions, trees
from d365lint.loading.discover import load
from d365lint.model import Language, Location, Solution
from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily
from d365lint.rules.base import Finding, Rule, RuleContext, Severity, Target
from tests.conftest import FIXTURES, ROOT, run_analysis
from tests.support.pack import pack_to

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (the benchmark generator is a script, not a package)

EXPORTED_FIXTURES = sorted(p for p in (FIXTURES / "solutions").iterdir() if (p / "Other" / "Solution.xml").is_file())


@pytest.fixture(scope="module")
def small_solution(tmp_path_factory) -> Path:
    """A generated solution of half a megabyte, in every layout."""
    out = tmp_path_factory.mktemp("generated")
    generate.generate(0.5, out, seed=3)
    return out


def _load_with(monkeypatch, path: Path, mode: str):
    if mode == "whole":
        monkeypatch.setattr(solutions, "split", lambda data, base, piece_bytes=None: None)
    elif mode == "tiny":
        monkeypatch.setattr(sections, "PIECE_BYTES", 1)
    return load([str(path)], cwd=path.parent)


def _exported_inputs(small_solution: Path, tmp_path: Path) -> list[Path]:
    packed = [pack_to(folder, tmp_path / f"{folder.name}.zip") for folder in EXPORTED_FIXTURES]
    return [small_solution / f"{generate.UNIQUE_NAME}.zip", small_solution / "export", *packed]


def test_customizations_read_in_pieces_equal_the_whole_file(small_solution, tmp_path, monkeypatch):
    for path in _exported_inputs(small_solution, tmp_path):
        pieces = _load_with(monkeypatch, path, "pieces")
        with monkeypatch.context() as patch:
            whole = _load_with(patch, path, "whole")
        with monkeypatch.context() as patch:
            tiny = _load_with(patch, path, "tiny")
        assert pieces.solutions == whole.solutions == tiny.solutions, path
        assert pieces.diagnostics == whole.diagnostics == tiny.diagnostics, path


def test_the_generated_export_is_cut_into_components():
    data = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<ImportExportXml xmlns:xsi="x">\n  <Entities>\n'
        + b"".join(b"    <Entity>\n      <Name>t%d</Name>\n    </Entity>\n" % n for n in range(3))
        + b"  </Entities>\n  <Roles />\n</ImportExportXml>\n"
    )
    split = sections.split(data, Location("c.xml"), piece_bytes=1)
    assert [(p.name, p.line, p.opening) for p in split.pieces] == [
        ("entities", 4, b"<Entities>"), ("entities", 7, b"<Entities>"), ("entities", 10, b"<Entities>"), ("roles", 14, b""),
    ]
    doc, entities = next(split.sections("entities"))
    assert [doc.locate(e).line for e in entities.iter("Name")] == [5]


@pytest.mark.parametrize(
    "layout",
    [
        b"<ImportExportXml><Entities><Entity><Name>a</Name></Entity></Entities></ImportExportXml>",  # one line
        b"<ImportExportXml>\n\t<Entities>\n<Entity><Name>a</Name></Entity>\n\t</Entities>\n</ImportExportXml>",
        b"<ImportExportXml>\n  <Entities>\n    <!--\n    <Entity>\n    -->\n    <Entity><Name>a</Name></Entity>\n  </Entities>\n</ImportExportXml>",
    ],
    ids=["one-line", "odd-indentation", "comment-with-a-component-line"],
)
def test_files_not_laid_out_as_exports_are_read_the_same(layout, tmp_path, monkeypatch):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "solution.xml").write_bytes((FIXTURES / "solutions" / "contoso-clean" / "Other" / "Solution.xml").read_bytes())
    (folder / "customizations.xml").write_bytes(layout)
    (folder / "[Content_Types].xml").write_text("<Types/>", encoding="utf-8")
    monkeypatch.setattr(sections, "PIECE_BYTES", 1)
    pieces = load([str(folder)], cwd=tmp_path)
    monkeypatch.setattr(solutions, "split", lambda data, base, piece_bytes=None: None)
    whole = load([str(folder)], cwd=tmp_path)
    assert pieces.solutions == whole.solutions
    assert [t.logical_name for t in pieces.solutions[0].tables] == ["a"]


def test_a_malformed_customizations_file_is_diagnosed_as_before(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "solution.xml").write_bytes((FIXTURES / "solutions" / "contoso-clean" / "Other" / "Solution.xml").read_bytes())
    (folder / "customizations.xml").write_bytes(b"<ImportExportXml>\n  <Entities>\n    <Entity>\n  </Entities>\n</ImportExportXml>")
    (folder / "[Content_Types].xml").write_text("<Types/>", encoding="utf-8")
    workspace = load([str(folder)], cwd=tmp_path)
    assert not workspace.solutions
    assert [d.location.path for d in workspace.diagnostics if "malformed XML" in d.message] == ["export/customizations.xml"]


def _outcome(report) -> list[tuple[object, ...]]:
    return [
        (r.rule.id, r.finding.location, r.finding.message, r.finding.related, r.fingerprint, r.level, r.suppression)
        for r in report.results
    ]


def test_findings_are_the_same_in_the_same_order_for_any_number_of_jobs(ruleset):
    inputs = [FIXTURES / "solutions" / "contoso-unsafe", FIXTURES / "solutions" / "obscurity-forms", FIXTURES / "sources"]
    workspace = load([str(path) for path in inputs], cwd=ROOT)
    reports = {jobs: analyse(workspace, ruleset.rules, jobs=jobs) for jobs in (1, 2, 3)}
    assert _outcome(reports[1])
    assert _outcome(reports[2]) == _outcome(reports[1]) == _outcome(reports[3])
    assert reports[2].diagnostics == reports[1].diagnostics == reports[3].diagnostics


def test_an_analysis_leaves_no_reference_cycles_of_its_own(ruleset):
    """What a rule computes on a parse is freed when the engine drops the parse, not when the collector runs.

    A cycle among the facts of a script keeps its syntax tree alive until
    the cyclic collector happens to run, and a run that collects less often
    (as the CLI's does) would hold every such tree at once.
    """
    workspace = load([str(FIXTURES / "solutions"), str(FIXTURES / "sources")], cwd=ROOT)
    gc.collect()
    gc.freeze()  # what exists before the analysis is not its garbage
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert analyse(workspace, ruleset.rules).results
        gc.collect()
        ours = sorted({type(value).__qualname__ for value in gc.garbage if type(value).__module__.startswith("d365lint.")})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.unfreeze()
    assert ours == []


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("name", ["meta-fabrikam", "contoso-clean"])
def test_a_solution_rule_reads_what_it_needs_of_scripts_without_parsing_them_again(name, jobs, ruleset, monkeypatch, tmp_path):
    """The form-handler rule reads the names each library defines as script facts, computed by the scripts' own tasks.

    With no parse kept for reuse (as in a solution whose scripts exceed what
    the engine keeps), every script is still parsed exactly once, also when
    the script tasks ran in other processes than the solution's (each parse
    is counted in a file that every process appends to).
    """
    monkeypatch.setattr(units, "RETAINED_SOURCE_BYTES", 0)
    monkeypatch.setattr(units, "_RECENT", 0)
    log = tmp_path / "parses"
    parse = units.parse_source

    def counted(source):
        with log.open("a", encoding="utf-8") as stream:
            stream.write(f"{source.location.path}\n")
        return parse(source)

    monkeypatch.setattr(units, "parse_source", counted)
    workspace = load([str(FIXTURES / "solutions" / name)], cwd=ROOT)
    analyse(workspace, ruleset.rules, jobs=jobs)
    parses = Counter(log.read_text(encoding="utf-8").splitlines())
    assert parses and max(parses.values()) == 1, parses


def _path_getter(parsed: ParsedSource) -> Callable[[], str]:
    """A script fact that cannot be pickled (a closure)."""
    return lambda: parsed.source.location.path


def _failing_fact(parsed: ParsedSource) -> None:
    raise RuntimeError("an extension's script fact that fails")


def _solution_scripts_rule(rule_id: str, fact: Callable[[ParsedSource], Any]) -> Rule:
    def check(solution: Solution, context: RuleContext) -> Iterator[Finding]:
        for source in solution.files:
            if source.language in (Language.JAVASCRIPT, Language.TYPESCRIPT):
                value = context.script_fact(source, fact)
                yield Finding(f"read {value()}", source.location, f"file:{source.location.path}")

    return Rule(id=rule_id, name="ScriptFacts", summary="Reads a fact of every script.",
                help="## What it finds\nEvery script, through a script fact: a test of the engine's handling.",
                severity=Severity.NOTE, target=Target.SOLUTION, check=check, script_facts=(fact,))


@pytest.mark.parametrize("jobs", [1, 2])
def test_script_facts_an_extension_gets_wrong_do_not_end_the_run(jobs, ruleset):
    """A fact that cannot be pickled is computed again where it is read; one that raises is that rule's failure."""
    closures = _solution_scripts_rule("test-unpicklable-fact", _path_getter)
    failing = _solution_scripts_rule("test-failing-fact", _failing_fact)
    workspace = load([str(FIXTURES / "solutions" / "contoso-unsafe")], cwd=ROOT)
    report = analyse(workspace, [*ruleset.rules, closures, failing], jobs=jobs)
    scripts = [s.location.path for s in workspace.solutions[0].files if s.language is Language.JAVASCRIPT]
    read = sorted(r.finding.message for r in report.results if r.rule.id == "test-unpicklable-fact")
    assert scripts and read == sorted(f"read {path}" for path in scripts)
    assert any("rule test-failing-fact" in d.message and "RuntimeError" in d.message for d in report.diagnostics)


def _solution_files(folder: Path) -> list[Path]:
    """Each file of a fixture solution that can hold a finding of its own (sidecar expectations left out)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".expect"))


@pytest.mark.parametrize("cached", [False, True], ids=["read", "cached"])
@pytest.mark.parametrize("solution", EXPORTED_FIXTURES, ids=lambda path: path.name)
def test_a_run_focused_on_one_file_reports_what_a_full_run_reports_there(solution, cached, ruleset, tmp_path):
    """What pre-commit relies on: loading the whole solution for context, but analysing only what the file needs.

    From a warm cache, a focused run decodes only the collections its rules
    declare they read (:attr:`Rule.reads`): a declaration that leaves out
    what a rule reads loses findings here.
    """
    cache = tmp_path / "cache" if cached else None
    full = _outcome(run_analysis([solution], ruleset, cache_folder=cache))
    for path in _solution_files(solution):
        relative = path.relative_to(ROOT).as_posix()
        focused = _outcome(run_analysis([relative], ruleset, cache_folder=cache))
        assert focused == [item for item in full if item[1].path == relative], relative


def _analysed(paths: list[str], rules: list[Rule], cache: Path) -> list[tuple[object, ...]]:
    return _outcome(analyse(load(paths, cwd=ROOT, cache_folder=cache, reads=partial(collections_read, rules)), rules))


@pytest.mark.parametrize("solution", EXPORTED_FIXTURES, ids=lambda path: path.name)
def test_each_rule_declares_every_collection_it_reads(solution, ruleset, tmp_path):
    """A focused run from a warm cache, with one rule at a time, reports what a full run reports in each file.

    Run with every rule, one rule's reads cover another's omission (most
    solution rules run beside one that reads web resources); alone, a rule
    gets only the collections it declares in :attr:`Rule.reads`.
    """
    cache = tmp_path / "cache"
    (whole,) = load([str(solution)], cwd=ROOT).solutions
    scripts = {source.location.path for source in whole.files}
    paths = [path.relative_to(ROOT).as_posix() for path in _solution_files(solution)]
    for rule in (rule for rule in ruleset.rules if rule.reads):
        full = _analysed([str(solution)], [rule], cache)
        for path in paths:
            as_solution_rule = Target.SOLUTION in rule.targets and rule.can_report_in(collections_in(whole, frozenset({path})))
            if as_solution_rule or (path in scripts and Target.SCRIPT in rule.targets):
                assert _analysed([path], [rule], cache) == [item for item in full if item[1].path == path], (rule.id, path)


def _copy_fixture(name: str, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / name
    shutil.copytree(FIXTURES / "solutions" / name, target)
    return target


def test_the_cache_gives_the_model_a_fresh_load_gives_after_every_change(tmp_path):
    solution = _copy_fixture("contoso-unsafe", tmp_path)
    cache = tmp_path / "cache"

    def both() -> tuple[object, object]:
        fresh = load([str(solution)], cwd=tmp_path)
        cached = load([str(solution)], cwd=tmp_path, cache_folder=cache)
        return fresh.solutions, cached.solutions

    fresh, cold = both()
    assert fresh == cold and list(cache.iterdir())
    assert both()[1] == fresh  # warm: every file from the cache
    script = solution / "WebResources" / "contoso_" / "scripts" / "account.js"
    script.write_text(script.read_text(encoding="utf-8") + "\nalert('changed');\n", encoding="utf-8")
    entity = solution / "Entities" / "contoso_Invoice" / "Entity.xml"
    entity.write_text(entity.read_text(encoding="utf-8").replace("<IsSecured>0</IsSecured>", "<IsSecured>1</IsSecured>", 1), encoding="utf-8")
    (solution / "Roles" / "Contoso Sales User.xml").unlink()
    values = solution / "environmentvariabledefinitions" / "contoso_ApiBaseUrl" / "environmentvariablevalues.json"
    values.write_text(values.read_text(encoding="utf-8").replace("https://", "http://changed."), encoding="utf-8")
    (solution / "environmentvariabledefinitions" / "contoso_FeatureFlags" / "environmentvariablevalues.json").write_text(
        '{"environmentvariablevalues": {"environmentvariablevalue": {"value": "added"}}}', encoding="utf-8")
    fresh, cached = both()
    assert cached == fresh
    values_read = {value.text for variable in cached[0].environment_variables for value in variable.values}
    assert "added" in values_read and any("http://changed." in text for text in values_read)
    assert "alert('changed')" in next(f.text for f in cached[0].files if f.location.path.endswith("account.js"))


def test_a_run_focused_on_a_script_decodes_only_what_its_rules_read(tmp_path, ruleset):
    """The security roles of a large solution took a fifth of a pre-commit run on one script, which no rule there reads.

    Of most collections, the rules there read only what is linked to the
    script: the forms that load it, their tables, its own web resource (1,600
    forms and 400 tables took most of the rest).
    """
    solution = _copy_fixture("contoso-unsafe", tmp_path)
    (solution / "Roles" / "Broken.xml").write_text("<Role><unclosed></Role>", encoding="utf-8")
    cache = tmp_path / "cache"
    reads = partial(collections_read, ruleset.rules)
    (whole,) = load([str(solution)], cwd=tmp_path, cache_folder=cache, reads=reads).solutions
    script = next(source.location.path for source in whole.files if source.location.path.endswith("account.js"))
    focused_run = load([script], cwd=tmp_path, cache_folder=cache, reads=reads)
    (focused,) = focused_run.solutions
    assert whole.roles and whole.views and not focused.roles and not focused.views
    assert whole.plugin_steps and whole.environment_variables and not focused.plugin_steps and not focused.environment_variables
    assert [resource.name for resource in focused.web_resources] == ["contoso_/scripts/account.js"] and len(whole.web_resources) > 1
    assert any(d.location.path.endswith("Roles/Broken.xml") for d in focused_run.diagnostics)  # problems are told all the same
    loading = tuple(form for form in whole.forms if "contoso_/scripts/account.js" in form.scripts)
    assert loading and focused.forms == loading and len(whole.forms) > len(loading)
    tables = tuple(table for table in whole.tables if table.logical_name in {form.table for form in loading})
    assert tables and focused.tables == tables and len(whole.tables) > len(tables)
    (uncached,) = load([script], cwd=tmp_path, reads=reads).solutions
    assert uncached == whole  # what a run reads anyway, it keeps


def test_a_focused_run_checks_the_files_its_rules_read_and_no_others(tmp_path, ruleset):
    """A form changed to load the script since the cache was written is read again; a role, which no rule there reads, is not.

    Checking a file against the disk costs a system call: a run on one script
    of a 212 MB solution checks its forms, tables and ribbon rules, not all
    8,300 files. A file it does not read is left to the next run that does,
    problems included.
    """
    solution = _copy_fixture("contoso-unsafe", tmp_path)
    cache = tmp_path / "cache"
    reads = partial(collections_read, ruleset.rules)
    load([str(solution)], cwd=tmp_path, cache_folder=cache, reads=reads)
    form = next((solution / "Entities" / "contoso_Invoice" / "FormXml").rglob("*.xml"))
    form.write_text(form.read_text(encoding="utf-8").replace('"contoso_/scripts/invoice"', '"contoso_/scripts/account.js"'), encoding="utf-8")
    (solution / "Roles" / "Contoso Sales User.xml").write_text("<Role><unclosed></Role>", encoding="utf-8")
    script = (solution / "WebResources" / "contoso_" / "scripts" / "account.js").relative_to(tmp_path).as_posix()
    focused_run = load([script], cwd=tmp_path, cache_folder=cache, reads=reads)
    (focused,) = focused_run.solutions
    (fresh,) = load([str(solution)], cwd=tmp_path).solutions
    loading = tuple(form for form in fresh.forms if "contoso_/scripts/account.js" in form.scripts)
    assert {form.table for form in loading} == {"account", "contoso_invoice"} and focused.forms == loading
    assert focused.tables == tuple(table for table in fresh.tables if table.logical_name in {"account", "contoso_invoice"})
    assert not any(d.location.path.endswith("Contoso Sales User.xml") for d in focused_run.diagnostics)
    full_run = load([str(solution)], cwd=tmp_path, cache_folder=cache, reads=reads)
    assert any(d.location.path.endswith("Contoso Sales User.xml") for d in full_run.diagnostics)
    assert full_run.solutions == (fresh,)


def test_a_file_a_run_did_not_check_keeps_its_time_when_its_cache_file_is_rewritten(tmp_path, ruleset, monkeypatch):
    """An edit within the resolution of a file's time is seen by hashing files written close to their entry's time.

    A focused run that rewrites a cache file without checking every entry in
    it must not give them its own time: they would pass for settled, and
    such an edit would go unseen for good.
    """
    monkeypatch.setattr(cache_module, "_BUCKETS", 1)  # every entry in the one file the focused run rewrites
    solution = _copy_fixture("contoso-unsafe", tmp_path)
    cache = tmp_path / "cache"
    reads = partial(collections_read, ruleset.rules)
    role = solution / "Roles" / "Contoso Sales User.xml"
    os.utime(role)  # written just now, as the cache will be
    load([str(solution)], cwd=tmp_path, cache_folder=cache, reads=reads)
    times = role.stat()
    role.write_text(role.read_text(encoding="utf-8").replace('level="Local"', 'level="Basic"', 1), encoding="utf-8")
    os.utime(role, ns=(times.st_atime_ns, times.st_mtime_ns))  # the same size and time: an edit the clock did not see
    script = solution / "WebResources" / "contoso_" / "scripts" / "account.js"
    script.write_text(script.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    later = time.time() + 60
    monkeypatch.setattr(cache_module, "time", SimpleNamespace(time=lambda: later))
    load([script.relative_to(tmp_path).as_posix()], cwd=tmp_path, cache_folder=cache, reads=reads)
    assert load([str(solution)], cwd=tmp_path, cache_folder=cache).solutions == load([str(solution)], cwd=tmp_path).solutions


def test_a_solution_read_in_several_processes_is_the_one_read_in_one(small_solution, tmp_path, monkeypatch):
    """The parallel reading of a large unpacked solution, made to start on a small one; its cache entries are sound too."""
    import shutil

    solution = tmp_path / "unpacked"
    shutil.copytree(small_solution / "unpacked", solution)
    (solution / "Roles" / "Broken Role.xml").write_text("<Role><RolePrivileges>", encoding="utf-8")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    one = load([str(solution)], cwd=tmp_path)
    cache = tmp_path / "cache"
    several = load([str(solution)], cwd=tmp_path, jobs=3, cache_folder=cache)
    assert several.solutions == one.solutions and several.diagnostics == one.diagnostics
    assert [d.location.path for d in one.diagnostics] == ["unpacked/Roles/Broken Role.xml"]
    assert load([str(solution)], cwd=tmp_path, cache_folder=cache).solutions == one.solutions  # warm, from those entries
    role = next(path for path in (solution / "Roles").iterdir() if path.name != "Broken Role.xml")
    role.write_text(role.read_text(encoding="utf-8").replace("<RolePrivilege ", "<!-- --><RolePrivilege ", 1), encoding="utf-8")
    assert load([str(solution)], cwd=tmp_path, cache_folder=cache, jobs=3).solutions == load([str(solution)], cwd=tmp_path).solutions


def test_a_repositorys_zips_read_in_several_processes_are_the_ones_read_in_one(tmp_path, monkeypatch):
    """Solution zips of a repository are read in worker processes and added where each comes, as one process adds them."""
    repository = tmp_path / "repository"
    (repository / "exports").mkdir(parents=True)
    for name in ("contoso-unsafe", "obscurity-forms", "connectors-fabrikam", "credentials-fabrikam"):
        pack_to(FIXTURES / "solutions" / name, repository / "exports" / f"{name}.zip")
    (repository / "exports" / "broken.zip").write_bytes(b"PK\x03\x04 not a zip")
    (repository / "exports" / "loose.js").write_text("eval(x);\n", encoding="utf-8")
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 0)
    one = load([str(repository)], cwd=tmp_path)
    several = load([str(repository)], cwd=tmp_path, jobs=3)
    assert several == one
    assert len(one.solutions) == 4 and [d.location.path for d in one.diagnostics] == ["repository/exports/broken.zip"]


def test_the_cache_stays_out_of_the_input_and_no_cache_writes_nothing(tmp_path):
    solution = _copy_fixture("contoso-clean", tmp_path)
    before = sorted(p for p in solution.rglob("*"))
    home = tmp_path / "xdg"
    command = [sys.executable, "-m", "d365lint", "check", str(solution), "--fail-on", "never"]
    environment = {"XDG_CACHE_HOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run([*command, "--no-cache"], env=environment, check=True, capture_output=True)
    assert not home.exists()
    subprocess.run(command, env=environment, check=True, capture_output=True)
    assert [p.name for p in (home / "d365lint").iterdir()]
    assert sorted(p for p in solution.rglob("*")) == before


def test_the_generator_and_the_benchmark_script_run_on_a_small_solution(tmp_path):
    """A smoke test: both scripts run end to end; the figures they print are not judged here."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--sizes", "0.5", "--work", str(tmp_path), "--no-eslint", "--no-secrets"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    for heading in ("parse floor", "speed-up, 2 jobs over 1", "ceiling, 2 processes over 1", "same findings, same order, any jobs",
                    "peak RSS", "cache warm"):
        assert heading in completed.stdout
    assert "planted anti-patterns found                                 all" in completed.stdout
    assert "yes" in next(line for line in completed.stdout.splitlines() if "same findings" in line)


_PATTERN_USES = {
    "match": lambda p: p.match("Key=42 rest").groupdict(),
    "fullmatch": lambda p: p.fullmatch("key=7") is not None,
    "search": lambda p: p.search("a, key=1").span(),
    "finditer": lambda p: [m.span() for m in p.finditer("a=1 b=2")],
    "findall": lambda p: p.findall("a=1 b=2"),
    "sub": lambda p: p.sub(r"\g<key>:\2", "a=1 b=2"),
    "split": lambda p: p.split("x a=1 y"),
    "attributes": lambda p: (p.pattern, p.flags, p.groups, dict(p.groupindex)),
    "pickled": lambda p: pickle.loads(pickle.dumps(p)).search("z=9").group(0),
}


@pytest.mark.parametrize("use", _PATTERN_USES.values(), ids=_PATTERN_USES)
def test_a_pattern_compiled_lazily_answers_as_the_compiled_one(use):
    source, flags = r"(?P<key>[a-z]+)=(\d+)", re.IGNORECASE
    assert use(compile_lazily(source, flags)) == use(re.compile(source, flags))


def test_importing_d365lint_compiles_no_regular_expression():
    """d365lint's patterns compile when first used: a pre-commit run on a script uses a third of them.

    (Two are used while importing, and compile then.)
    """
    code = textwrap.dedent(
        """
        import importlib, os, pkgutil, re, sys
        import d365lint
        package = os.path.dirname(d365lint.__file__) + os.sep
        compiled = []
        plain = re._compile
        def counting(pattern, flags):
            frame = sys._getframe(1)
            while frame and frame.f_code.co_filename.startswith(os.path.dirname(re.__file__)):
                frame = frame.f_back
            where = frame.f_code.co_filename if frame else ""
            if where.startswith(package) and where != package + "patterns.py":  # a lazy one compiles when used
                compiled.append(f"{where}:{frame.f_lineno}")
            return plain(pattern, flags)
        re._compile = counting
        for module in pkgutil.walk_packages(d365lint.__path__, "d365lint."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
        print("\\n".join(compiled))
        """
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert completed.stdout.strip() == ""


def test_a_warm_run_lists_again_only_the_folders_that_changed(tmp_path, monkeypatch):
    """Adding a file changes its folder's time: that folder is listed again, the others are taken as the last run found them.

    Listing the 2,360 folders of a 212 MB solution took 33 ms of a pre-commit run.
    """
    import shutil

    solution = _copy_fixture("contoso-unsafe", tmp_path)
    cache = tmp_path / "cache"
    an_hour_ago = time.time() - 3600
    for folder in [solution, *(path for path in solution.rglob("*") if path.is_dir())]:
        os.utime(folder, (an_hour_ago, an_hour_ago))
    load([str(solution)], cwd=tmp_path, cache_folder=cache)
    roles = solution / "Roles"
    shutil.copyfile(roles / "Contoso Sales User.xml", roles / "Contoso Auditor.xml")
    os.utime(roles, (an_hour_ago + 60, an_hour_ago + 60))  # changed, and settled again: only its time tells
    listed: list[str] = []
    list_folder = trees.FolderTree._list
    monkeypatch.setattr(trees.FolderTree, "_list", lambda tree, folder, mtime_ns: listed.append(folder) or list_folder(tree, folder, mtime_ns))
    warm = load([str(solution)], cwd=tmp_path, cache_folder=cache)
    assert listed == ["Roles"]
    assert warm.solutions == load([str(solution)], cwd=tmp_path).solutions
    assert any(role.location.path.endswith("Contoso Auditor.xml") for role in warm.solutions[0].roles)


def test_a_file_whose_time_alone_changed_is_hashed_once_not_in_every_run(tmp_path, monkeypatch):
    """A git checkout rewrites files with the content they had: the next run hashes them and keeps their new time.

    Before, the 1,598 forms of a 212 MB solution touched so were hashed
    again in every pre-commit run (0.09 s of loading became 0.2 s).
    """
    solution = _copy_fixture("contoso-unsafe", tmp_path)
    cache = tmp_path / "cache"
    an_hour_ago = time.time() - 3600
    for path in [solution, *solution.rglob("*")]:
        os.utime(path, (an_hour_ago, an_hour_ago))
    load([str(solution)], cwd=tmp_path, cache_folder=cache)
    form = next((solution / "Entities" / "contoso_Invoice" / "FormXml").rglob("*.xml"))
    os.utime(form, (an_hour_ago + 60, an_hour_ago + 60))  # the same content, another time
    read: list[str] = []
    read_file = trees.FolderTree.read

    def counted(tree: trees.FolderTree, path: str) -> bytes:
        if path != "Other/Solution.xml":  # every run parses the manifest for the solution's name
            read.append(path)
        return read_file(tree, path)

    monkeypatch.setattr(trees.FolderTree, "read", counted)
    load([str(solution)], cwd=tmp_path, cache_folder=cache)
    assert read == [form.relative_to(solution).as_posix()]
    read.clear()
    again = load([str(solution)], cwd=tmp_path, cache_folder=cache)
    assert read == []
    assert again.solutions == load([str(solution)], cwd=tmp_path).solutions


def test_a_cache_written_by_another_version_is_replaced_not_kept_beside(tmp_path):
    solution = _copy_fixture("contoso-clean", tmp_path)
    cache = tmp_path / "cache"
    load([str(solution)], cwd=tmp_path, cache_folder=cache)
    (written,) = cache.iterdir()
    key = written.name.split("-", 1)[0]
    written.rename(written.with_name(f"{key}-0123456789abcdef"))
    (cache / f"{key}-fedcba9876543210.pickle").write_bytes(b"a single-file cache of an earlier version")
    load([str(solution)], cwd=tmp_path, cache_folder=cache)
    assert [p.name for p in cache.iterdir()] == [written.name]


def test_a_change_rewrites_only_the_cache_files_of_the_changed_entries(tmp_path):
    """A commit changes a few files: rewriting a large solution's whole cache took longer than the rest of the hook."""
    solution = _copy_fixture("contoso-unsafe", tmp_path)
    cache = tmp_path / "cache"
    load([str(solution)], cwd=tmp_path, cache_folder=cache)
    (folder,) = cache.iterdir()
    before = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    assert len(before) > 10
    form = next((solution / "Entities" / "contoso_Invoice" / "FormXml").rglob("*.xml"))
    form.write_text(form.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed = load([str(solution)], cwd=tmp_path, cache_folder=cache)
    after = {path.name: path.stat().st_mtime_ns for path in folder.iterdir()}
    assert sorted(after) == sorted(before)
    assert len([name for name in after if after[name] != before[name]]) == 1
    assert load([str(solution)], cwd=tmp_path, cache_folder=cache).solutions == changed.solutions == load([str(solution)], cwd=tmp_path).solutions


def _lying_bucket(content: bytes) -> bytes:
    """A well-formed bucket file whose index places every collection beyond its end."""
    (length,) = cache_module._HEADER.unpack(content[:8])
    if not length:
        return content  # entries with no elements: nothing to lie about

    class Placeholders(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> bytes:
            return b""

    class Liar(pickle.Pickler):
        def persistent_id(self, obj: object) -> tuple[int, int] | None:
            return (0, 10**6) if type(obj) is bytes else None

    try:
        index = Placeholders(io.BytesIO(content[8 + length :])).load()
    except (EOFError, pickle.UnpicklingError):
        return content  # not a bucket file: the folders' listing
    stream = io.BytesIO()
    Liar(stream).dump(index)
    return cache_module._HEADER.pack(0) + stream.getvalue()


@pytest.mark.parametrize(
    "damage",
    [
        lambda content: b"",
        lambda content: content[:4],
        lambda content: content[: len(content) // 2],
        lambda content: b"\xff" * 8 + content[8:],
        lambda content: bytes(reversed(content)),
        _lying_bucket,
    ],
    ids=["empty", "header-cut", "cut-in-half", "length-beyond-the-end", "junk", "collections-beyond-the-end"],
)
def test_a_damaged_cache_file_is_read_again_not_trusted(damage, tmp_path):
    """A cache file cut short by a full disk, or overwritten, costs a re-read of its files: never a wrong model or a crash."""
    solution = _copy_fixture("contoso-unsafe", tmp_path)
    cache = tmp_path / "cache"
    fresh = load([str(solution)], cwd=tmp_path).solutions
    load([str(solution)], cwd=tmp_path, cache_folder=cache)
    (folder,) = cache.iterdir()
    damaged = {}
    for bucket in folder.iterdir():
        content = bucket.read_bytes()
        if damage(content) != content:
            damaged[bucket] = damage(content)
            bucket.write_bytes(damaged[bucket])
    assert len(damaged) > 10
    assert load([str(solution)], cwd=tmp_path, cache_folder=cache).solutions == fresh
    assert all(bucket.read_bytes() != content for bucket, content in damaged.items())  # written again, whole
    assert load([str(solution)], cwd=tmp_path, cache_folder=cache).solutions == fresh
