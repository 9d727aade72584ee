"""The units each kind of rule checks, parsed once per run.

Every source file is parsed once however many rules read it; a file that
cannot be parsed becomes a diagnostic and the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from d365lint.model import Diagnostic, Language, PortalSite, RawFile, SourceFile, Workspace
from d365lint.parsing.assembly import Assembly, AssemblyError, read_assembly
from d365lint.parsing.html import script_blocks
from d365lint.parsing.python import PythonModule, PythonSyntaxError, parse_python
from d365lint.parsing.treesitter import ParsedSource, parse_source
from d365lint.rules.base import Target

SCRIPT_LANGUAGES = (Language.JAVASCRIPT, Language.TYPESCRIPT)


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
    yield from workspace.raw_files


def sites(workspace: Workspace) -> Iterator[PortalSite]:
    """Power Pages sites, each with the workspace's table definitions attached.

    A site's table permissions name tables that the solutions of the same
    run define; rules read their columns to tell how sensitive a table is.
    """
    tables = tuple(table for solution in workspace.solutions for table in solution.tables)
    for site in workspace.sites:
        yield replace(site, tables=tables)


@dataclass
class UnitSource:
    """Produces the units of each target for one workspace, with parse problems."""

    workspace: Workspace
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _parsed: dict[SourceFile, ParsedSource | None] = field(default_factory=dict)

    def units(self, target: Target) -> list[object]:
        producer = {
            Target.SOLUTION: lambda: list(self.workspace.solutions),
            Target.SCRIPT: lambda: [u for s in scripts(self.workspace) if (u := self.parsed(s))],
            Target.HTML: lambda: [s for s in source_files(self.workspace) if s.language is Language.HTML],
            Target.CSHARP: lambda: [
                u for s in source_files(self.workspace) if s.language is Language.CSHARP and (u := self.parsed(s))
            ],
            Target.PYTHON: lambda: [
                u for s in source_files(self.workspace) if s.language is Language.PYTHON and (u := self._python(s))
            ],
            Target.ASSEMBLY: lambda: [u for raw in assemblies(self.workspace) if (u := self._assembly(raw))],
            Target.RAW_FILE: lambda: [raw for solution in self.workspace.solutions for raw in solution.raw_files],
            Target.SITE: lambda: list(sites(self.workspace)),
        }[target]
        return producer()

    def parsed(self, source: SourceFile) -> ParsedSource | None:
        """``source`` parsed once per run, for script units and for solution rules that read scripts."""
        if source not in self._parsed:
            self._parsed[source] = self._tree(source)
        return self._parsed[source]

    def _tree(self, source: SourceFile) -> ParsedSource | None:
        try:
            parsed = parse_source(source)
        except (ValueError, RecursionError) as error:
            self.diagnostics.append(Diagnostic(f"cannot parse {source.language.value}: {error}", source.location))
            return None
        if parsed.has_errors:
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
