"""From the paths a user gives to one :class:`Workspace`.

A path may be a solution zip, an unpacked solution folder (``Other/Solution.xml``,
or ``src/Other/Solution.xml`` for ``pac solution clone``), a hand-unzipped
export, a repository to search for all of those, or single files as
pre-commit passes them. A file inside a solution folder loads its whole
solution (a form needs its table's columns) and narrows the report to the
files given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from d365lint.loading.archive import ArchiveError, ArchiveLimits, is_zip
from d365lint.loading.cache import SolutionCache
from d365lint.loading.parallel import built_in_parallel
from d365lint.loading.sites import enclosing_site, load_site_folder, site_roots, solution_sites
from d365lint.loading.solutions import Focus, build_exported, build_unpacked
from d365lint.loading.trees import FolderTree, ZipTree
from d365lint.model import Diagnostic, Language, Location, PortalSite, RawFile, Reading, Solution, SourceFile, Workspace
from d365lint.parsing.text import DecodeError, decode_text

SOURCE_LANGUAGES = {
    ".js": Language.JAVASCRIPT,
    ".mjs": Language.JAVASCRIPT,
    ".cjs": Language.JAVASCRIPT,
    ".jsx": Language.JAVASCRIPT,
    ".ts": Language.TYPESCRIPT,
    ".tsx": Language.TYPESCRIPT,
    ".mts": Language.TYPESCRIPT,
    ".html": Language.HTML,
    ".htm": Language.HTML,
    ".cs": Language.CSHARP,
    ".py": Language.PYTHON,
}
ASSEMBLY_SUFFIXES = (".dll",)
# Configuration-migration data: data.xml beside its data_schema.xml, in a folder or a zip.
DATA_FILE, DATA_SCHEMA_FILE = "data.xml", "data_schema.xml"
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", "bin", "obj", "node_modules", ".venv", "venv", "__pycache__", ".tox"})
UNPACKED_MANIFEST = ("Other", "Solution.xml")
# An unzipped export has these at its root (and [Content_Types].xml, which
# hand-made copies often lack). So does an unpacked tree's Other/ folder.
EXPORTED_ROOT_FILES = ("solution.xml", "customizations.xml")


class InputError(Exception):
    """A path given on the command line cannot be used at all (exit code 2)."""


def display_path(path: Path, cwd: Path) -> str:
    """``path`` relative to ``cwd`` when it lies below it, ``/``-separated.

    ``..`` is folded first (``Path.relative_to`` is lexical and would keep
    ``../x``, which SARIF consumers would resolve outside the repository);
    symbolic links are kept as the user named them.
    """
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        return absolute.as_posix()


def solution_root_kind(folder: Path) -> str | None:
    """``unpacked`` or ``exported-folder`` when ``folder`` is a solution root."""
    if _exists_ci(folder, *UNPACKED_MANIFEST):
        return "unpacked"
    if all(_exists_ci(folder, name) for name in EXPORTED_ROOT_FILES) and not _is_unpacked_other(folder):
        return "exported-folder"
    return None


def _is_unpacked_other(folder: Path) -> bool:
    """Whether ``folder`` is the ``Other/`` folder of an unpacked tree, which is part of that tree."""
    return folder.absolute().name.lower() == UNPACKED_MANIFEST[0].lower() and _exists_ci(folder.absolute().parent, *UNPACKED_MANIFEST)


def _exists_ci(folder: Path, *parts: str) -> bool:
    """Whether ``folder/parts…`` exists, with the case the files really have."""
    current = folder
    for part in parts:
        try:
            names = {entry.name.lower(): entry.name for entry in os.scandir(current)}
        except OSError:
            return False
        real = names.get(part.lower())
        if real is None:
            return False
        current = current / real
    return True


def enclosing_solution(path: Path) -> Path | None:
    """The solution root a file belongs to, searching upwards."""
    for folder in path.absolute().parents:
        if solution_root_kind(folder):
            return folder
    return None


_Part = tuple[list[Solution], list[RawFile], list[Diagnostic], list[PortalSite]]
"""What loading one input added to each of a loader's lists."""


@dataclass
class Loader:
    """Loads inputs once each and remembers what went wrong."""

    cwd: Path
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    solutions: list[Solution] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    raw_files: list[RawFile] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sites: list[PortalSite] = field(default_factory=list)
    cache_folder: Path | None = None
    """Where unpacked solutions' parsed files are kept between runs (see loading/cache.py); None: nowhere."""
    jobs: int = 1
    """Processes that may read the files of a large unpacked solution, or a repository's zips (see loading/parallel.py)."""
    focus: Focus | None = None
    """The few files a run reports on, and what its rules read of their solutions (see :class:`Focus`)."""
    _seen: set[Path] = field(default_factory=set)
    _zips_read: dict[str, _Part] = field(default_factory=dict)
    """What each solution zip of a repository gave, read in other processes, by path: added where the zip comes."""

    def location(self, path: Path) -> Location:
        return Location(display_path(path, self.cwd))

    def load_path(self, path: Path) -> None:
        if path.is_dir():
            kind = solution_root_kind(path)
            if kind:
                self.load_solution_folder(path, kind)
            elif solution_root_kind(path / "src") == "unpacked":
                self.load_solution_folder(path / "src", "unpacked")
            else:
                self.load_repository(path)
        else:
            self.load_file(path)

    def load_solution_folder(self, root: Path, kind: str) -> None:
        real = root.resolve()
        if real in self._seen:
            return
        self._seen.add(real)
        tree = FolderTree(root, display_path(root, self.cwd))
        if kind == "unpacked":
            cache = SolutionCache.open(self.cache_folder, root, tree) if self.cache_folder is not None else None
            try:
                solution = build_unpacked(tree, kind, self.diagnostics, cache, root, self.jobs, self.focus)
                if cache is not None:
                    cache.write()
            finally:
                if cache is not None:
                    cache.close()
        else:
            solution = build_exported(tree, kind, self.diagnostics)
        if solution is not None:
            self.solutions.append(solution)
            self.sites.extend(solution_sites(tree, self.diagnostics))

    def load_zip(self, path: Path) -> None:
        real = path.resolve()
        if real in self._seen:
            return
        self._seen.add(real)
        read = self._zips_read.pop(str(path), None)
        if read is not None:
            self._add(read)
            return
        location = self.location(path)
        try:
            tree = ZipTree(path, location.path, self.limits)
        except ArchiveError as error:
            self.diagnostics.append(Diagnostic(str(error), location))
            return
        for problem in tree.archive.problems:
            self.diagnostics.append(Diagnostic(problem.message, Location(location.path, member=problem.member)))
        data = tree.find(DATA_FILE) if tree.find(DATA_SCHEMA_FILE) else None
        if data is not None and tree.find("solution.xml") is None:
            self.load_raw_member(tree, data)
            return
        if tree.find("solution.xml") is None or tree.find("customizations.xml") is None:
            self.diagnostics.append(
                Diagnostic("not a solution zip: no solution.xml and customizations.xml at its root", location, "warning")
            )
            return
        solution = build_exported(tree, "zip", self.diagnostics)
        if solution is not None:
            self.solutions.append(solution)
            self.sites.extend(solution_sites(tree, self.diagnostics))

    def load_file(self, path: Path) -> None:
        """One file: a zip, a file of a solution, or a loose source file."""
        suffix = path.suffix.lower()
        if not path.is_file():
            self.not_regular(path)
            return
        try:
            with path.open("rb") as stream:
                start = stream.read(4)
        except OSError as error:
            self.diagnostics.append(Diagnostic(f"cannot read file: {error.strerror or error}", self.location(path)))
            return
        if suffix == ".zip" or is_zip(start):
            self.load_zip(path)
            return
        site = enclosing_site(path)
        if site is not None:
            self.load_site(site)
        root = enclosing_solution(path)
        if root is not None:
            self.load_solution_folder(root, solution_root_kind(root) or "unpacked")
        elif suffix in SOURCE_LANGUAGES:
            self.load_source(path, SOURCE_LANGUAGES[suffix])
        elif suffix in ASSEMBLY_SUFFIXES or is_loose_artifact(path):
            self.load_raw(path)

    def not_regular(self, path: Path) -> None:
        """A named pipe, socket or device: opening one can block the run for ever, so it is never opened."""
        self.diagnostics.append(Diagnostic("not a regular file (a named pipe, socket or device); not read", self.location(path)))

    def load_site(self, root: Path) -> None:
        """A Power Pages site folder; its scripts and pages stay loose files for the script rules."""
        real = root.resolve()
        if real in self._seen:
            return
        self._seen.add(real)
        self.sites.append(load_site_folder(root, display_path(root, self.cwd), self.diagnostics))

    def load_source(self, path: Path, language: Language) -> None:
        location = self.location(path)
        try:
            text = decode_text(path.read_bytes())
        except OSError as error:
            self.diagnostics.append(Diagnostic(f"cannot read file: {error.strerror or error}", location))
            return
        except DecodeError as error:
            self.diagnostics.append(Diagnostic(str(error), location))
            return
        self.files.append(SourceFile(language, text, location))

    def load_raw_member(self, tree: ZipTree, member: str) -> None:
        try:
            self.raw_files.append(RawFile(member, tree.read(member), tree.location(member)))
        except (OSError, ArchiveError) as error:
            self.diagnostics.append(Diagnostic(f"cannot read file: {error}", tree.location(member)))

    def load_raw(self, path: Path) -> None:
        try:
            self.raw_files.append(RawFile(path.name, path.read_bytes(), self.location(path)))
        except OSError as error:
            self.diagnostics.append(Diagnostic(f"cannot read file: {error.strerror or error}", self.location(path)))

    def load_repository(self, folder: Path) -> None:
        """Every solution, solution zip and loose source file below ``folder``."""
        files = sorted(_repository_files(folder))
        roots = sorted({root for path in files if (root := _solution_root_of(path, folder)) is not None})
        for root in roots:
            self.load_solution_folder(root, solution_root_kind(root) or "unpacked")
        for site in site_roots(files):
            self.load_site(site)
        loose = [path for path in files if not any(path.is_relative_to(root) for root in roots)]
        zips = [str(path) for path in loose if path.suffix.lower() == ".zip" and path.is_file()]
        self._zips_read = built_in_parallel(zips, Path(), self._zip_part, self.jobs)
        for path in loose:
            suffix = path.suffix.lower()
            if not path.is_file() and (suffix == ".zip" or suffix in SOURCE_LANGUAGES or suffix in ASSEMBLY_SUFFIXES):
                self.not_regular(path)
            elif suffix == ".zip":
                self.load_zip(path)
            elif suffix in SOURCE_LANGUAGES:
                self.load_source(path, SOURCE_LANGUAGES[suffix])
            elif suffix in ASSEMBLY_SUFFIXES or is_loose_artifact(path):
                self.load_raw(path)

    def _zip_part(self, path: str) -> _Part:
        """What the zip at ``path`` gives, read by a loader of its own (in a worker process)."""
        part = Loader(self.cwd, self.limits)
        part.load_zip(Path(path))
        return part.solutions, part.raw_files, part.diagnostics, part.sites

    def _add(self, part: _Part) -> None:
        solutions, raw_files, diagnostics, sites = part
        self.solutions.extend(solutions)
        self.raw_files.extend(raw_files)
        self.diagnostics.extend(diagnostics)
        self.sites.extend(sites)

    def workspace(self, focus: frozenset[str] | None) -> Workspace:
        return Workspace(
            solutions=tuple(self.solutions),
            files=tuple(self.files),
            raw_files=tuple(self.raw_files),
            diagnostics=tuple(self.diagnostics),
            focus=focus,
            sites=tuple(self.sites),
        )


def is_loose_artifact(path: Path) -> bool:
    """A flow or classic workflow kept outside a solution (``…/Workflows/x.json``), or configuration data.

    Only files a Dataverse tool writes in these places are read: JSON and
    XAML in a ``Workflows`` folder, and ``data.xml`` beside ``data_schema.xml``.
    """
    name = path.name.lower()
    if name == DATA_FILE:
        return _exists_ci(path.parent, DATA_SCHEMA_FILE)
    return path.parent.name.lower() == "workflows" and path.suffix.lower() in (".json", ".xaml")


def _solution_root_of(path: Path, top: Path) -> Path | None:
    """The solution root a manifest file marks, if ``path`` is one."""
    name = path.name.lower()
    if name == "solution.xml" and path.parent.name.lower() == "other":
        return path.parent.parent
    if name == "solution.xml" and solution_root_kind(path.parent) == "exported-folder":
        return path.parent
    return None


def _repository_files(folder: Path) -> Iterable[Path]:
    """Files below ``folder`` that git does not ignore, build folders excluded."""
    listed = _git_files(folder)
    if listed is not None:
        return (path for path in listed if not _in_skipped_folder(path, folder))
    return _walk(folder)


def _git_files(folder: Path) -> list[Path] | None:
    """Tracked and untracked-but-not-ignored files, when ``folder`` is in a git work tree."""
    import subprocess  # here: only a repository's run asks git (a pre-commit run on one file imports it for nothing)

    try:
        completed = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    names = completed.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [path for name in names if name and (path := folder / name).is_file() and _inside(path, folder)]


def _walk(folder: Path) -> Iterable[Path]:
    real_top = folder.resolve()
    for directory, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_FOLDERS and _inside(Path(directory, d), real_top))
        for filename in sorted(filenames):
            path = Path(directory, filename)
            if _inside(path, real_top):
                yield path


def _inside(path: Path, top: Path) -> bool:
    """False for a symbolic link that leads out of the checked folder."""
    if not path.is_symlink():
        return True
    try:
        return path.resolve().is_relative_to(top.resolve())
    except OSError:
        return False


def _in_skipped_folder(path: Path, top: Path) -> bool:
    return any(part in SKIPPED_FOLDERS for part in path.relative_to(top).parts[:-1])


def load(
    paths: Sequence[str], cwd: Path | None = None, limits: ArchiveLimits | None = None, cache_folder: Path | None = None,
    jobs: int = 1, reads: Callable[[Solution, frozenset[str]], Reading | None] | None = None,
) -> Workspace:
    """Load every input; raise :class:`InputError` for a path that does not exist.

    With ``cache_folder``, unpacked solutions reuse what earlier runs parsed
    of their unchanged files; the files a large one still needs read are read
    in ``jobs`` processes. When the paths are a few files (pre-commit),
    ``reads`` says what the run reads of their solutions (see
    :class:`Focus`): the cache decodes nothing else. A file of a Power
    Pages site is checked with the tables of every solution: when one is
    given, solutions are read whole.
    """
    base = (cwd or Path.cwd()).absolute()
    resolved = []
    for text in paths:
        path = Path(text)
        if not (base / path).exists() and not path.exists():
            raise InputError(f"{text}: no such file or directory")
        resolved.append(path if path.is_absolute() else base / path)
    only_files = all(path.is_file() and path.suffix.lower() != ".zip" for path in resolved)
    focus = frozenset(display_path(path, base) for path in resolved) if resolved and only_files else None
    in_site = any(enclosing_site(path) for path in resolved)
    loader = Loader(
        base, limits or ArchiveLimits(), cache_folder=cache_folder, jobs=jobs,
        focus=Focus(focus, reads) if focus is not None and reads is not None and not in_site else None,
    )
    for path in resolved:
        loader.load_path(path)
    return loader.workspace(focus)
