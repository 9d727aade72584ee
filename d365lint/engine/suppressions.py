"""What is not reported, and why: inline comments, configuration, per-path ignores.

Inline suppressions sit next to the finding and always name the rule ids,
optionally with a reason::

    // d365lint-disable-next-line web-avoid-eval -- vetted: the input is a constant   (JS, TS, C#)
    # d365lint: disable=sec-hardcoded-credential -- test key                          (Python)
    <!-- d365lint-disable-next-line sec-org-owned-reference-table - reference data -->  (XML)
    # d365lint-disable-next-line sec-site-anonymous-access -- public price list        (YAML)

"Next line" is the next line that is not itself a comment, so directives
stack and may sit above other comments. XML comments cannot contain ``--``,
so there a single ``-`` (or ``:``) starts the reason. A Python
``# d365lint: disable=`` at the end of a line of code applies to that line.

Exported XML loses its comments when a solution is exported again, so
configuration can also suppress by component (``table:contoso_invoice``,
``step:<name>``, globs allowed) — the ``Finding.component`` a rule reports.
Suppressed results are kept, marked with SARIF's suppression kind
(``inSource`` or ``external``), so reports can show them on request; a
suppression that suppresses nothing becomes an ``unused-suppression``
finding. Per-path ignores, by contrast, drop results: the rule is off there.
"""

from __future__ import annotations

import enum
import fnmatch
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from d365lint.model import Language, Location, PortalSite, Solution, Workspace
from d365lint.parsing.text import DecodeError, decode_text, mentions_d365lint
from d365lint.patterns import compile_lazily
from d365lint.reporting.sources import file_text
from d365lint.rules.base import Finding, matches_rule
from d365lint.rules.registry import load_rules

if TYPE_CHECKING:
    from d365lint.engine.run import Result

class Suppression(NamedTuple):
    """Why a result is not counted: an inline comment or the configuration."""

    kind: str  # "inSource" or "external", as SARIF names them
    justification: str = ""


class Syntax(enum.Enum):
    """The comment forms a file may hold a directive in."""

    SLASH = "slash"  # JavaScript, TypeScript, C#: // and /* */
    HASH = "hash"  # Python, YAML: #
    XML = "xml"  # <!-- -->
    MARKUP = "markup"  # HTML pages: <!-- --> around, // and /* */ in script blocks


_SYNTAX_BY_SUFFIX = {
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cs"), Syntax.SLASH),
    **dict.fromkeys((".py", ".yml", ".yaml"), Syntax.HASH),
    **dict.fromkeys((".xml", ".xaml", ".svg", ".resx", ".xsl", ".xslt", ".csproj"), Syntax.XML),
    **dict.fromkeys((".html", ".htm", ".liquid"), Syntax.MARKUP),
}
_SYNTAX_BY_LANGUAGE = {
    Language.JAVASCRIPT: Syntax.SLASH,
    Language.TYPESCRIPT: Syntax.SLASH,
    Language.CSHARP: Syntax.SLASH,
    Language.PYTHON: Syntax.HASH,
    Language.HTML: Syntax.MARKUP,
}
_OPENERS = {
    Syntax.SLASH: ("//", "/*"),
    Syntax.HASH: ("#",),
    Syntax.XML: ("<!--",),
    Syntax.MARKUP: ("<!--", "//", "/*"),
}
_CLOSERS = {"/*": "*/", "<!--": "-->"}
_DIRECTIVE = compile_lazily(
    r"(?P<opener>//|/\*|<!--|#)[ \t]*(?P<kind>d365lint-disable-next-line\b|d365lint:[ \t]*disable[ \t]*=)(?P<body>.*)$"
)
_RULE_ID = compile_lazily(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?=[\s,:]|$)")
_REASON_SEPARATOR = compile_lazily(r"^(?:--|—|-|:)\s*")


class Directive(NamedTuple):
    """An inline suppression comment and the line it applies to."""

    rule_ids: tuple[str, ...]
    reason: str
    location: Location
    target_line: int


class ComponentSuppression(NamedTuple):
    """A suppression in configuration, keyed by component rather than by line."""

    rule_ids: tuple[str, ...]
    component: str
    reason: str
    location: Location

    def matches(self, rule_id: str, component: str) -> bool:
        """The rule is named and the component is equal to, or matches, the glob."""
        return rule_id in self.rule_ids and (component == self.component or fnmatch.fnmatchcase(component, self.component))


class PathIgnore(NamedTuple):
    """Rules switched off below a glob, relative to the configuration's folder.

    ``**`` crosses folders, ``*`` and ``?`` do not; a pattern without ``/``
    matches a file name anywhere (as in ``.gitignore``). Rule ids may be
    prefixes (``web-``) or ``ALL``.
    """

    pattern: str
    rule_ids: tuple[str, ...]
    root: str

    def matches(self, location: Location, rule_id: str) -> bool:
        if not any(matches_rule(rule_id, pattern) for pattern in self.rule_ids):
            return False
        return any(_glob_match(self.pattern, candidate) for candidate in self._candidates(location))

    def _candidates(self, location: Location) -> Iterator[str]:
        absolute = Path(location.path).absolute()
        try:
            relative = PurePosixPath(Path(os.path.normpath(absolute)).relative_to(self.root).as_posix())
        except ValueError:
            return
        yield str(relative)
        if location.member:
            yield f"{relative}/{location.member}"


def _glob_match(pattern: str, path: str) -> bool:
    if "/" not in pattern.rstrip("/"):
        return any(_glob_regex(pattern).fullmatch(part) for part in path.split("/"))
    return bool(_glob_regex(pattern.strip("/")).fullmatch(path) or _glob_regex(pattern.strip("/") + "/**").fullmatch(path))


def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            parts.append(".*")
            index += 2
        elif pattern[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(parts))


# --- reading directives ------------------------------------------------------


def syntax_for(name: str, language: Language | None = None) -> Syntax | None:
    """The comment syntax of a file, from its language or else its name."""
    if language is not None:
        return _SYNTAX_BY_LANGUAGE.get(language)
    return _SYNTAX_BY_SUFFIX.get(PurePosixPath(name).suffix.lower())


def parse_directives(text: str, syntax: Syntax, base: Location) -> list[Directive]:
    """Every suppression directive of ``text``, with the line each one covers."""
    if "d365lint" not in text:
        return []
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines, start=1):
        match = _DIRECTIVE.search(line)
        if match is None or match.group("opener") not in _OPENERS[syntax]:
            continue
        next_line = match.group("kind") == "d365lint-disable-next-line"
        if not next_line and match.group("opener") != "#":
            continue  # "d365lint: disable=" is the Python (and YAML) form only
        same_line = not next_line and bool(line[: match.start()].strip())
        body, end_line = _body(match, lines, number)
        rule_ids, reason = _ids_and_reason(body)
        target = number if same_line else _next_code_line(lines, end_line, syntax)
        found.append(Directive(rule_ids, reason, base.at(number, match.start() + 1), target))
    return found


def _body(match: re.Match[str], lines: Sequence[str], number: int) -> tuple[str, int]:
    """The directive's text up to its comment's end, and the line that ends the comment."""
    body = match.group("body")
    closer = _CLOSERS.get(match.group("opener"))
    if closer is None:
        return body, number
    if closer in body:
        return body.split(closer, 1)[0], number
    end = next((n for n in range(number + 1, len(lines) + 1) if closer in lines[n - 1]), number)
    return body, end


def _ids_and_reason(body: str) -> tuple[tuple[str, ...], str]:
    rest = body.strip()
    rule_ids = []
    while (match := _RULE_ID.match(rest)) is not None:
        rule_ids.append(match.group())
        rest = rest[match.end() :].lstrip()
        if rest.startswith(","):
            rest = rest[1:].lstrip()
    return tuple(dict.fromkeys(rule_ids)), _REASON_SEPARATOR.sub("", rest).strip()


def _next_code_line(lines: Sequence[str], after: int, syntax: Syntax) -> int:
    """The first line after ``after`` that is not a comment-only line."""
    for number in range(after + 1, len(lines) + 1):
        if not lines[number - 1].lstrip().startswith(_OPENERS[syntax]):
            return number
    return after + 1


# --- which files to read ----------------------------------------------------

FileKey = tuple[str, str | None]


def _solution_root(solution: Solution) -> Path | None:
    """The folder of a solution on disk (None for a zip)."""
    manifest = Path(solution.location.path)
    if solution.location.member is not None or solution.source == "zip":
        return None
    if solution.source == "unpacked":
        return manifest.parent.parent
    return manifest.parent


def _site_root(site: PortalSite) -> Path | None:
    """The folder of a downloaded site or code site (None for a site inside a solution or zip)."""
    if site.location.member is not None or site.source == "solution":
        return None
    path = Path(site.location.path)
    return path if path.is_dir() else path.parent


def _folder_files(root: Path | None, suffixes: tuple[str, ...], focus: frozenset[str] | None) -> Iterator[tuple[FileKey, str]]:
    """Text of the files below ``root`` with one of ``suffixes`` that mention d365lint.

    Files without findings are read too, so that a directive there that
    suppresses nothing is still reported; a focused run reads only the files
    it was given, the only ones whose results and directives it reports.
    """
    if root is None or not root.is_dir():
        return iter(())
    return _texts(_files_below(root, suffixes) if focus is None else _focused_below(root, suffixes, focus))


def _solution_files(solution: Solution, focus: frozenset[str] | None) -> Iterator[tuple[FileKey, str]]:
    """Text of the solution's XML files on disk that mention d365lint.

    A full run takes them from the loader, which noted them as it read every
    file (see :attr:`Solution.directive_files`): of a large solution's XML,
    only the few files that mention d365lint are read again, for their text.
    """
    root = _solution_root(solution)
    if focus is not None or solution.directive_files is None:
        return _folder_files(root, (".xml",), focus)
    return _texts(Path(path) for path in solution.directive_files) if root is not None else iter(())


def _texts(paths: Iterable[Path]) -> Iterator[tuple[FileKey, str]]:
    for path in paths:
        try:
            data = path.read_bytes()
            if not mentions_d365lint(data):
                continue
            text = decode_text(data)
        except (OSError, DecodeError):
            continue
        yield (path.as_posix(), None), text


def _files_below(root: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    for directory, _dirs, filenames in os.walk(root):
        yield from (Path(directory, name) for name in sorted(filenames) if name.lower().endswith(suffixes))


def _focused_below(root: Path, suffixes: tuple[str, ...], focus: frozenset[str]) -> Iterator[Path]:
    """The files of a focused run below ``root``, named as walking ``root`` would name them, without the walk."""
    prefix = "" if root.as_posix() == "." else root.as_posix() + "/"
    return (Path(path) for path in sorted(focus) if path.startswith(prefix) and path.lower().endswith(suffixes))


def commented_files(workspace: Workspace, results: Iterable[Result]) -> dict[FileKey, tuple[str, Syntax]]:
    """The files that may hold directives: source files, on-disk solution XML and site YAML, files with results."""
    found: dict[FileKey, tuple[str, Syntax]] = {}
    sources = [*workspace.files, *(source for solution in workspace.solutions for source in solution.files)]
    for source in sources:
        syntax = syntax_for(source.location.member or source.location.path, source.language)
        if syntax is not None and not source.line_offset:
            found.setdefault((source.location.path, source.location.member), (source.text, syntax))
    for solution in workspace.solutions:
        for key, text in _solution_files(solution, workspace.focus):
            found.setdefault(key, (text, Syntax.XML))
    for site in workspace.sites:
        for key, text in _folder_files(_site_root(site), (".yml", ".yaml"), workspace.focus):
            found.setdefault(key, (text, Syntax.HASH))
    for result in results:
        location = result.finding.location
        key = (location.path, location.member)
        syntax = syntax_for(location.member or location.path)
        if key not in found and syntax is not None and (text := file_text(location)) is not None:
            found[key] = (text, syntax)
    return found


# --- applying ---------------------------------------------------------------


class Suppressions(NamedTuple):
    """What a run suppresses or ignores, and which rule ids exist at all (default: the built-in rules)."""

    components: tuple[ComponentSuppression, ...] = ()
    path_ignores: tuple[PathIgnore, ...] = ()
    known_rule_ids: frozenset[str] = frozenset()


def path_ignored(location: Location, rule_id: str, ignores: Sequence[PathIgnore]) -> bool:
    return any(ignore.matches(location, rule_id) for ignore in ignores)


def apply(
    results: Sequence[Result],
    workspace: Workspace,
    selected: Iterable[str],
    settings: Suppressions,
    report_unused: bool,
) -> tuple[list[Result], list[Finding]]:
    """Results minus path-ignored ones, suppressed ones marked; and unused-suppression findings."""
    kept = [r for r in results if not path_ignored(r.finding.location, r.rule.id, settings.path_ignores)]
    files = commented_files(workspace, kept) if kept or report_unused else {}
    directives = [
        directive
        for (path, member), (text, syntax) in files.items()
        if "d365lint" in text
        for directive in parse_directives(text, syntax, Location(_display(path), member=member))
    ]
    by_line: dict[tuple[str, str | None, int], list[Directive]] = {}
    for directive in directives:
        by_line.setdefault(_line_key(directive.location, directive.target_line), []).append(directive)
    used: set[tuple[object, str]] = set()
    marked = [_mark(result, by_line, settings.components, used) for result in kept]
    if not report_unused:
        return marked, []
    selected_ids = frozenset(selected)
    known = settings.known_rule_ids or frozenset(load_rules(extensions=False).ids())
    context = _UnusedContext(selected_ids, known | selected_ids, settings.path_ignores, workspace.focus)
    unused = [*_unused_directives(directives, used, context), *_unused_components(settings.components, used, context)]
    return marked, [f for f in unused if not path_ignored(f.location, UNUSED_RULE_ID, settings.path_ignores)]


UNUSED_RULE_ID = "unused-suppression"


def _display(path: str) -> str:
    """A path found by walking a solution folder, as the loader displays it."""
    absolute = Path(path).absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def _line_key(location: Location, line: int) -> tuple[str, str | None, int]:
    return (os.path.normpath(location.path), location.member, line)


def _mark(
    result: Result,
    by_line: Mapping[tuple[str, str | None, int], list[Directive]],
    components: Sequence[ComponentSuppression],
    used: set[tuple[object, str]],
) -> Result:
    location = result.finding.location
    rule_id = result.rule.id
    for directive in by_line.get(_line_key(location, location.line), ()):
        if rule_id in directive.rule_ids:
            used.add((directive, rule_id))
            return result._replace(suppression=Suppression("inSource", directive.reason))
    for entry in components:
        if entry.matches(rule_id, result.finding.component):
            used.add((entry, rule_id))
            return result._replace(suppression=Suppression("external", entry.reason))
    return result


class _UnusedContext(NamedTuple):
    selected: frozenset[str]
    known: frozenset[str]
    path_ignores: tuple[PathIgnore, ...]
    focus: frozenset[str] | None

    def verdict(self, rule_id: str) -> str | None:
        """Why naming ``rule_id`` is a problem, or None when it cannot be judged in this run."""
        if rule_id not in self.known:
            return f"names unknown rule '{rule_id}' (a reason goes after ' -- ')"
        if rule_id not in self.selected:
            return None
        return "suppresses nothing"


def _unused_directives(directives: Sequence[Directive], used: set[tuple[object, str]], context: _UnusedContext) -> Iterator[Finding]:
    for directive in directives:
        location = directive.location
        if context.focus is not None and location.path not in context.focus:
            continue
        if not directive.rule_ids:
            yield _unused_finding(location, "", "names no rule id; name the rules it suppresses")
        for rule_id in directive.rule_ids:
            if (directive, rule_id) in used or path_ignored(location, rule_id, context.path_ignores):
                continue
            verdict = context.verdict(rule_id)
            if verdict is not None:
                detail = f"{verdict}: no {rule_id} finding on line {directive.target_line}" if verdict == "suppresses nothing" else verdict
                yield _unused_finding(location, rule_id, detail)


def _unused_components(
    components: Sequence[ComponentSuppression], used: set[tuple[object, str]], context: _UnusedContext
) -> Iterator[Finding]:
    if context.focus is not None:
        return  # a run over a few files cannot tell whether a component's finding is gone
    for entry in components:
        for rule_id in entry.rule_ids:
            if (entry, rule_id) in used:
                continue
            verdict = context.verdict(rule_id)
            if verdict is not None:
                detail = f"{verdict}: no {rule_id} finding on component '{entry.component}'" if verdict == "suppresses nothing" else verdict
                yield _unused_finding(entry.location, f"{rule_id}@{entry.component}", detail)


def _unused_finding(location: Location, evidence: str, detail: str) -> Finding:
    return Finding(
        message=f"This suppression {detail}. Remove it, or correct the rule id.",
        location=location,
        component=f"file:{location.display_path}",
        evidence=evidence,
    )
