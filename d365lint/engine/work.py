"""The work of one analysis, cut into tasks that can run in parallel processes.

A task is one unit of one target (a script, an assembly, a site…) with the
rules of that target, or one solution with one family of solution rules.
The same tasks run in this process when one job is asked for, and in forked
worker processes otherwise: tree-sitter trees cannot be pickled, so each
worker parses the units it is given and sends back only findings and
diagnostics. Results are merged in the order of the tasks, never in the
order workers finish, so a run reports the same findings in the same order
for any number of jobs.

Workers are forked after loading, so they share the loaded workspace with
the parent instead of receiving a copy; where the platform cannot fork, the
tasks run in this process.
"""

from __future__ import annotations

import os
import pickle
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from d365lint.engine.units import UnitSource
from d365lint.model import SOLUTION_COLLECTIONS, Diagnostic, Location, RawFile, Reading, Solution, TextValue, Workspace
from d365lint.parsing.treesitter import ParsedSource
from d365lint.rules.base import Finding, Rule, RuleContext, Target

# A solution unit is cut by rule family (the module a check comes from): the
# families share nothing but the solution, and the heavy ones (script flows)
# can then run beside the others.
_PER_FAMILY = (Target.SOLUTION,)
# Targets whose every finding lies in the unit's own file: a pre-commit run
# skips the units of files it was not given.
_FILE_TARGETS = (Target.SCRIPT, Target.HTML, Target.CSHARP, Target.PYTHON, Target.ASSEMBLY, Target.RAW_FILE)
# Below this much input (bytes of source, or the XML-equivalent of a
# solution's elements), starting processes costs more than it saves.
PARALLEL_MIN_WEIGHT = 4_000_000
_ELEMENT_WEIGHT = 400


class Task(NamedTuple):
    """One unit (``unit``: its place in the target's inputs) and one group of the target's rules."""

    target: Target
    unit: int
    group: int


ScriptFacts = tuple[tuple[int, Any], ...]
"""The script facts of one script: each value with the position of its function in the run's list of them."""


class TaskResult(NamedTuple):
    """What a task found: ``(rule id, finding)`` pairs in rule order, and the unit's parse problems.

    A script task also returns the script facts it computed (see
    :attr:`Rule.script_facts`): solution tasks in other processes receive them.
    """

    task: Task
    findings: tuple[tuple[str, Finding], ...]
    diagnostics: tuple[Diagnostic, ...]
    script_facts: ScriptFacts = ()


OptionsOf = Callable[[Rule], dict[str, Any]]


@dataclass
class Worker:
    """Runs tasks over one workspace; one per process, with its own per-run parse cache."""

    workspace: Workspace
    rules: Sequence[Rule]
    options_of: OptionsOf
    units: UnitSource = field(init=False)
    _inputs: dict[Target, list[object]] = field(init=False, default_factory=dict)
    _contexts: dict[str, RuleContext] = field(init=False, default_factory=dict)
    _collections: dict[int, frozenset[str]] = field(init=False, default_factory=dict)
    _fact_functions: tuple[Callable[[Any], Any], ...] = field(init=False, default=())
    """The functions of the selected rules' :attr:`Rule.script_facts`, in order: a fact travels as its position here."""

    def __post_init__(self) -> None:
        self.units = UnitSource(self.workspace)
        self._fact_functions = tuple(dict.fromkeys(compute for rule in self.rules for compute in rule.script_facts))

    def inputs(self, target: Target) -> list[object]:
        if target not in self._inputs:
            items = self.units.inputs(target)
            focus = self.workspace.focus
            if target is Target.SOLUTION and focus is not None:
                items = [focused_view(solution, focus) for solution in items]  # type: ignore[arg-type]
            self._inputs[target] = items
        return self._inputs[target]

    def runnable(self, task: Task) -> list[Rule]:
        """The rules of ``task``'s group that can report in this run's files (see :attr:`Rule.reports_in`)."""
        group = rule_groups(self.rules, task.target)[task.group]
        focus = self.workspace.focus
        if focus is None or task.target is not Target.SOLUTION:
            return group
        if task.unit not in self._collections:
            solution = self.inputs(task.target)[task.unit]
            self._collections[task.unit] = collections_in(solution, focus)  # type: ignore[arg-type]
        present = self._collections[task.unit]
        return [rule for rule in group if rule.can_report_in(present)]

    def context(self, rule: Rule) -> RuleContext:
        if rule.id not in self._contexts:
            self._contexts[rule.id] = RuleContext(
                self.options_of(rule), self.units.parsed, self.units.solution_of, self.units.script_fact
            )
        return self._contexts[rule.id]

    def run(self, task: Task) -> TaskResult:
        before = len(self.units.diagnostics)
        item = self.inputs(task.target)[task.unit]
        unit = self.units.unit(task.target, item)
        findings: list[tuple[str, Finding]] = []
        failures: list[Diagnostic] = []
        if unit is not None:
            for rule in self.runnable(task):
                try:
                    found = list(rule.check(unit, self.context(rule)))
                except Exception as error:  # a rule's bug (a built-in's or an extension's) must not end the run
                    failures.append(_rule_failure(rule, item, error))
                else:
                    findings.extend((rule.id, finding) for finding in found)
        facts = self._facts_of(unit) if task.target is Target.SCRIPT and unit is not None else ()
        return TaskResult(task, tuple(findings), (*self.units.diagnostics[before:], *failures), facts)

    def _facts_of(self, parsed: ParsedSource) -> ScriptFacts:
        """The script facts of a script parsed for its own task: solution tasks read them later.

        A fact whose function raises (an extension's) is left out: the rule
        that reads it meets the error itself, and the engine reports that
        rule's failure.
        """
        facts = []
        for position, compute in enumerate(self._fact_functions):
            try:
                facts.append((position, self.units.script_fact(parsed.source, compute, parsed)))
            except Exception:  # noqa: BLE001  (reported when the rule reads it)
                continue
        return tuple(facts)

    def reads_script_facts(self, task: Task) -> bool:
        """Whether a rule of ``task``'s group declares :attr:`Rule.script_facts`: the task needs the facts of every process."""
        return any(rule.script_facts for rule in rule_groups(self.rules, task.target)[task.group])

    def adopt_script_facts(self, shared: Sequence[tuple[int, ScriptFacts]]) -> None:
        """Script facts computed in other processes: ``(script index, facts)`` as script tasks returned them."""
        scripts = self.inputs(Target.SCRIPT)
        for index, facts in shared:
            for position, value in facts:
                self.units.remember_script_fact(scripts[index], self._fact_functions[position], value)  # type: ignore[arg-type]


def _rule_failure(rule: Rule, item: object, error: Exception) -> Diagnostic:
    """A rule that raised: an error of the run (exit code 2), with no partial findings of that rule."""
    location = getattr(item, "location", None) or Location("<input>")
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return Diagnostic(
        f"rule {rule.id} ({rule.origin}) failed: {type(error).__name__}: {error}{where}; "
        "its findings for this input are missing (please report this with the input that triggers it)",
        location,
    )


def focused_view(solution: Solution, focus: frozenset[str]) -> Solution:
    """``solution`` as a run focused on ``focus`` needs it: only the scripts whose findings can be reported.

    Solution rules read scripts for findings in the scripts themselves (which
    a focused run reports only for the scripts it was given) and for findings
    in the forms and ribbons that load them: those scripts stay, every other
    element of the solution stays, and the many other scripts are not parsed.
    """
    referenced = {name for form in solution.forms if form.location.path in focus for name in form.scripts}
    referenced.update(
        check.library.lower() for rule in solution.ribbon_rules if rule.location.path in focus for check in rule.checks
    )
    files = tuple(
        source for source in solution.files
        if source.location.path in focus or (source.web_resource or "").lower() in referenced
    )
    return solution._replace(files=files)


def collections_read(rules: Sequence[Rule], part: Solution, focus: frozenset[str]) -> Reading | None:
    """What ``rules`` read of a solution's collections in a run focused on ``focus``; None: all of it.

    ``part`` holds the elements of the solution that lie in the focused
    files. A solution rule that cannot report in them does not run (see
    :meth:`Worker.runnable`), so what it reads is not needed. A site rule
    reports in its site's files, and none lies in ``part`` (the loader asks
    only when no focused file lies in a site). Any other rule may run on a
    focused file. A collection one rule reads whole is read whole; one that
    every rule reading it reads in part (:attr:`Rule.linked`) is read in part.
    """
    present = collections_in(part, focus)
    running = [rule for rule in rules if _may_run(rule, present)]
    if any(rule.reads is None for rule in running):
        return None
    whole = frozenset(name for rule in running for name in rule.reads or () if name not in rule.linked)
    linked = frozenset(name for rule in running for name in rule.linked) - whole
    return Reading(whole, linked)


def _may_run(rule: Rule, present: frozenset[str]) -> bool:
    others = set(rule.targets) - {Target.SOLUTION, Target.SITE}
    return bool(others) or (Target.SOLUTION in rule.targets and rule.can_report_in(present))


def collections_in(solution: Solution, paths: frozenset[str]) -> frozenset[str]:
    """The collections of ``solution`` (``"forms"``, ``"tables"``…) with an element, or a value of one, in ``paths``."""
    return frozenset(
        name for name in SOLUTION_COLLECTIONS
        if any(not paths.isdisjoint(_paths_of(element)) for element in getattr(solution, name))
    )


_VALUES = (TextValue, RawFile)
"""What an element may hold from another file than its own (its sub-elements come from its own XML)."""


def _paths_of(element: tuple[object, ...]) -> Iterator[str]:
    """The files an element lies in: its own, and those of the values it holds.

    An environment variable's values live in a file of their own, a web
    resource's content and a connector's definition too: a finding on them
    lies there, not where the element is declared. Sub-elements (a table's
    columns, a form's controls, a role's privileges) are read from the
    element's own XML and need no look (on a 212 MB solution, looking took
    0.2 s of a pre-commit run).
    """
    for value in element:  # a model element is a named tuple of its fields
        if isinstance(value, Location):
            yield value.path
        elif isinstance(value, _VALUES):
            yield value.location.path
        elif isinstance(value, tuple) and value and isinstance(value[0], _VALUES):
            yield from (part.location.path for part in value)


def rule_groups(rules: Sequence[Rule], target: Target) -> list[list[Rule]]:
    """The target's rules in groups that run as one task each (in rule order, by family for solutions)."""
    target_rules = [rule for rule in rules if target in rule.targets]
    if target not in _PER_FAMILY:
        return [target_rules] if target_rules else []
    families: dict[str, list[Rule]] = {}
    for rule in target_rules:
        families.setdefault(getattr(rule.check, "__module__", "") or "", []).append(rule)
    return list(families.values())


def plan(worker: Worker) -> list[Task]:
    """Every task of the run, in the order results are merged.

    A pre-commit run (the workspace has a focus) skips units of files it was
    not given for the targets whose findings stay in the unit's file, and
    solution rules that cannot report in the files it was given.
    """
    tasks = []
    focus = worker.workspace.focus
    targets = dict.fromkeys(target for rule in worker.rules for target in rule.targets)
    for target in targets:
        groups = rule_groups(worker.rules, target)
        for index, item in enumerate(worker.inputs(target)):
            if focus is not None and target in _FILE_TARGETS and _path_of(item) not in focus:
                continue
            candidates = (Task(target, index, group) for group in range(len(groups)))
            tasks.extend(task for task in candidates if worker.runnable(task))
    return tasks


def _path_of(item: object) -> str | None:
    location = getattr(item, "location", None)
    return getattr(location, "path", None)


def weight(worker: Worker, task: Task) -> int:
    """A rough cost of a task: bytes of source, or of XML for a solution's elements."""
    item = worker.inputs(task.target)[task.unit]
    text = getattr(item, "text", None)
    if isinstance(text, str):
        return len(text)
    content = getattr(item, "content", None)
    if isinstance(content, bytes):
        return len(content)
    solution_files = getattr(item, "files", None)
    if solution_files is not None:
        elements = sum(len(getattr(item, name, ())) for name in ("forms", "views", "roles", "plugin_steps", "web_resources"))
        elements += sum(len(table.columns) for table in getattr(item, "tables", ()))
        return sum(len(source.text) for source in solution_files) + _ELEMENT_WEIGHT * elements
    return 1


def processes(workspace: Workspace, requested: int) -> int:
    """How many processes to run: ``requested`` (0: one per core), or one when there is too little to gain.

    A focused run (pre-commit) analyses a few files: starting processes would cost more than they save.
    """
    wanted = requested or default_jobs()
    if wanted <= 1 or workspace.focus is not None:
        return 1
    worker = Worker(workspace, (), lambda rule: {})
    total = sum(weight(worker, Task(target, index, 0)) for target in (Target.SOLUTION, Target.SCRIPT, Target.CSHARP)
                for index in range(len(worker.inputs(target))))
    return wanted if total >= PARALLEL_MIN_WEIGHT else 1


def can_fork() -> bool:
    import multiprocessing  # imported when processes may start: a pre-commit run never does (5 ms)

    return "fork" in multiprocessing.get_all_start_methods()


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def execute(worker: Worker, tasks: list[Task], jobs: int) -> Iterator[TaskResult]:
    """Run ``tasks``, in ``jobs`` forked processes when that is possible and worth it; yield results as they finish.

    Solution tasks run after the rest, so that their rules that read scripts
    find them parsed, or their script facts computed, by the script tasks
    (run first, they parsed every script once more). With several processes
    they start once every other task has ended, and those that read script
    facts receive the facts every process computed.
    """
    if jobs <= 1 or len(tasks) < 2 or not can_fork():
        yield from map(worker.run, sorted(tasks, key=lambda task: task.target is Target.SOLUTION))
        return
    # Heaviest first, so that one large task does not start last and finish alone.
    order = sorted(tasks, key=lambda task: -weight(worker, task))
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(min(jobs, len(tasks)), initializer=_adopt, initargs=(worker,)) as pool:
        shared: list[tuple[int, ScriptFacts]] = []
        first = [(task, ()) for task in order if task.target is not Target.SOLUTION]
        for result in pool.imap_unordered(_run_adopted, first, chunksize=1):
            if result.script_facts:
                shared.append((result.task.unit, result.script_facts))
            yield result
        last = [
            (task, tuple(shared) if worker.reads_script_facts(task) else ())
            for task in order if task.target is Target.SOLUTION
        ]
        yield from pool.imap_unordered(_run_adopted, last, chunksize=1)


_ADOPTED: list[Worker] = []
"""The worker of a forked process: set once when the process starts, read by each task it runs."""


def _adopt(worker: Worker) -> None:
    _ADOPTED.append(worker)


def _run_adopted(work: tuple[Task, Sequence[tuple[int, ScriptFacts]]]) -> TaskResult:
    task, shared = work
    worker = _ADOPTED[-1]
    worker.adopt_script_facts(shared)
    result = worker.run(task)
    if result.script_facts and not _picklable(result.script_facts):
        return result._replace(script_facts=())  # an extension's fact: the solution's process computes it again
    return result


def _picklable(value: object) -> bool:
    try:
        pickle.dumps(value)
    except Exception:  # noqa: BLE001  (whatever pickling raises, the value cannot travel)
        return False
    return True
