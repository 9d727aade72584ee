"""The units each kind of rule checks, parsed once per run.

Every source file is parsed once however many rules read it; a file that
cannot be parsed becomes a diagnostic and the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from d365lint.model import Diagnostic, Language, PortalSite, RawFile, Solution, SourceFile, Workspace
from d365lint.parsing.assembly import Assembly, AssemblyError, read_assembly
from d365lint.parsing.html import has_liquid, script_blocks
from d365lint.parsing.python import PythonModule, PythonSyntaxError, parse_python
from d365lint.parsing.treesitter import ParsedSource, parse_source
from d365lint.rules.base import Target

SCRIPT_LANGUAGES = (Language.JAVASCRIPT, Language.TYPESCRIPT)
T = TypeVar("T")


def source_files(workspace: Workspace) -> Iterator[SourceFile]:
    """Loose source files and the scripts of every solution."""
    yield from workspace.files
    for solution in workspace.solutions:
        yield from solution.files


def scripts(workspace: Workspace) -> Iterator[SourceFile]:
    """JavaScript and TypeScript, including the script blocks of HTML pages."""
    for source in source_files(workspace):
        if source.language in SCRIPT_LANGUAGES:
            yield source
        elif source.language is Language.HTML:
            yield from script_blocks(source)


def assemblies(workspace: Workspace) -> Iterator[RawFile]:
    """Plug-in assembly files shipped in solutions, and loose ``.dll`` files."""
    for solution in workspace.solutions:
        for assembly in solution.plugin_assemblies:
            if assembly.content is not None and assembly.content_location is not None:
                yield RawFile(assembly.name, assembly.content, assembly.content_location)
    yield from (raw for raw in workspace.raw_files if _is_assembly(raw))


def raw_files(workspace: Workspace) -> Iterator[RawFile]:
    """Files the model keeps as bytes: those of solutions, and loose flows and data files (not assemblies)."""
    for solution in workspace.solutions:
        yield from solution.raw_files
    yield from (raw for raw in workspace.raw_files if not _is_assembly(raw))


def _is_assembly(raw: RawFile) -> bool:
    return raw.name.lower().endswith(".dll")


def sites(workspace: Workspace) -> Iterator[PortalSite]:
    """Power Pages sites, each with the workspace's table definitions attached.

    A site's table permissions name tables that the solutions of the same
    run define; rules read their columns to tell how sensitive a table is.
    """
    tables = tuple(table for solution in workspace.solutions for table in solution.tables)
    for site in workspace.sites:
        yield site._replace(tables=tables)


RETAINED_SOURCE_BYTES = 4_000_000
"""How much source the per-run parse cache keeps parsed.

A syntax tree takes about 25 times the memory of its source, and the
indexes and flow analyses kept with it as much again: a solution's scripts
cannot all stay parsed. Sources are kept, in the order first asked for,
until this much is held; the rest are parsed again when asked again
(``_RECENT`` of them stay, for rules that ask twice in a row).
"""
_RECENT = 8


@dataclass
class UnitSource:
    """Produces the units of each target for one workspace, with parse problems."""

    workspace: Workspace
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _parsed: dict[SourceFile, ParsedSource | None] = field(default_factory=dict)
    _recent: dict[SourceFile, ParsedSource | None] = field(default_factory=dict)
    _retained: int = 0
    _diagnosed: set[SourceFile] = field(default_factory=set)
    _solutions: dict[tuple[str, str | None], Solution] | None = None
    _script_facts: dict[tuple[SourceFile, Callable[[ParsedSource], Any]], Any] = field(default_factory=dict)

    def units(self, target: Target) -> list[object]:
        """Every unit of ``target``, parsed; inputs that cannot be parsed are left out (and diagnosed)."""
        return [unit for item in self.inputs(target) if (unit := self.unit(target, item)) is not None]

    def inputs(self, target: Target) -> list[object]:
        """What ``target``'s units are made from, before any parsing: the order of the units."""
        producer = {
            Target.SOLUTION: lambda: list(self.workspace.solutions),
            Target.SCRIPT: lambda: list(scripts(self.workspace)),
            Target.HTML: lambda: [s for s in source_files(self.workspace) if s.language is Language.HTML],
            Target.CSHARP: lambda: [s for s in source_files(self.workspace) if s.language is Language.CSHARP],
            Target.PYTHON: lambda: [s for s in source_files(self.workspace) if s.language is Language.PYTHON],
            Target.ASSEMBLY: lambda: list(assemblies(self.workspace)),
            Target.RAW_FILE: lambda: list(raw_files(self.workspace)),
            Target.SITE: lambda: list(sites(self.workspace)),
        }[target]
        return producer()

    def unit(self, target: Target, item: object) -> object | None:
        """The unit made from one input of ``target``: parsed once, or None when it cannot be."""
        if target in (Target.SCRIPT, Target.CSHARP):
            return self.parsed(item)  # type: ignore[arg-type]
        if target is Target.PYTHON:
            return self._python(item)  # type: ignore[arg-type]
        if target is Target.ASSEMBLY:
            return self._assembly(item)  # type: ignore[arg-type]
        return item

    def parsed(self, source: SourceFile) -> ParsedSource | None:
        """``source`` parsed, for script units and for solution rules that read scripts; see :data:`RETAINED_SOURCE_BYTES`."""
        if source in self._parsed:
            return self._parsed[source]
        if source in self._recent:
            return self._recent[source]
        parsed = self._tree(source)
        if self._retained + len(source.text) <= RETAINED_SOURCE_BYTES:
            self._parsed[source] = parsed
            self._retained += len(source.text)
        else:
            self._recent[source] = parsed
            while len(self._recent) > _RECENT:
                evicted = self._recent.pop(next(iter(self._recent)))
                if evicted is not None:
                    evicted.forget()
        return parsed

    def script_fact(
        self, source: SourceFile, compute: Callable[[ParsedSource], T], parsed: ParsedSource | None = None
    ) -> T | None:
        """``compute`` of ``source``'s parse, kept for the whole run; None when it cannot be parsed.

        A parse's own facts go with the parse; these are small (the names a
        library defines) and stay, so that a solution rule reading them for
        every script (see :attr:`Rule.script_facts`) does not parse a second
        time the scripts this cache no longer keeps. ``parsed`` is the parse
        at hand, when the caller has one.
        """
        key = (source, compute)
        if key not in self._script_facts:
            if parsed is None:
                parsed = self.parsed(source)
            self._script_facts[key] = compute(parsed) if parsed is not None else None
        return self._script_facts[key]

    def remember_script_fact(self, source: SourceFile, compute: Callable[[ParsedSource], Any], value: Any) -> None:
        """A script fact another process computed."""
        self._script_facts.setdefault((source, compute), value)

    def release(self) -> None:
        """Drop every parse kept, with its facts, once the run no longer needs them.

        Facts refer back to their parse; dropped without breaking that
        cycle, a whole solution's trees wait for the cyclic garbage collector,
        whose pass over them (0.3 s on a 53 MB solution) lands in whatever
        the run does next.
        """
        for parsed in (*self._parsed.values(), *self._recent.values()):
            if parsed is not None:
                parsed.forget()
        self._parsed.clear()
        self._recent.clear()

    def solution_of(self, source: SourceFile) -> Solution | None:
        """The solution ``source`` (or the page holding a script block) is a file of; None for a loose file."""
        if self._solutions is None:
            self._solutions = {
                (file.location.path, file.location.member): solution
                for solution in self.workspace.solutions
                for file in solution.files
            }
        return self._solutions.get((source.location.path, source.location.member))

    def _tree(self, source: SourceFile) -> ParsedSource | None:
        first = source not in self._diagnosed  # a source parsed again is diagnosed once
        self._diagnosed.add(source)
        try:
            parsed = parse_source(source)
        except (ValueError, RecursionError) as error:
            if first:
                self.diagnostics.append(Diagnostic(f"cannot parse {source.language.value}: {error}", source.location))
            return None
        if parsed.has_errors and first and not has_liquid(source.text):  # Liquid parses once rendered: no warning
            self.diagnostics.append(
                Diagnostic(
                    f"{source.language.value} syntax errors; analysed what could be recovered",
                    source.location.at(source.line_offset + 1, source.column_offset + 1),
                    "warning",
                )
            )
        return parsed

    def _python(self, source: SourceFile) -> PythonModule | None:
        try:
            return parse_python(source)
        except PythonSyntaxError as error:
            self.diagnostics.append(Diagnostic(str(error), source.location))
            return None

    def _assembly(self, raw: RawFile) -> Assembly | None:
        try:
            return read_assembly(raw.name, raw.content, raw.location)
        except AssemblyError as error:
            self.diagnostics.append(Diagnostic(str(error), raw.location))
            return None
