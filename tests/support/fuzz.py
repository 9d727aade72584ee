"""Fuzzing d365lint with broken copies of our own fixtures.

Shared by ``tests/test_fuzz.py`` (a short, derandomised campaign in CI) and
``benchmarks/fuzz.py`` (the long one): the same strategies and the same
properties, so what the long campaign finds, the test can pin.

Inputs: a fixture case (``fixtures/solutions|sources|sites/<case>``) with one
file mutated (byte flips, truncation, inserted bytes, XML elements duplicated
or deleted or their text replaced, re-encoding as UTF-16 LE/BE with or
without a byte-order mark or as Latin-1, an XML declaration naming another
encoding, script lines deleted or duplicated, brackets inserted), analysed as
a folder or as a single loose file; or a solution case re-packed into an
exported zip (``tests/support/pack.py``) whose members are dropped,
duplicated, renamed to ``../`` or absolute paths or mutated, and whose
archive bytes are then flipped or truncated.

Properties of ``d365lint check --format json`` on every input (see :class:`Fuzzer`):

* it returns an exit code of 0, 1 or 2 and raises nothing; no rule raises
  either (the engine turns that into a "rule … failed" diagnostic, which
  hides the bug from the exit code alone); the JSON and SARIF reports parse;
* it stays under :data:`CPU_SECONDS` of CPU time (CPU, not wall-clock: the
  machine is shared, and a hang or a blow-up costs CPU) and its peak resident
  memory grows by at most :data:`MEMORY_BYTES` over the resident memory at
  its start;
* no finding is in the wrong file: every finding and related location names
  a file of the input (a zip: one of its members as ``zipfile`` lists them,
  never a ``../`` or absolute one), at a line that file has (lines split at
  CR and LF, as editors count them); every input problem names the input or
  something in it. For the independent files of a ``fixtures/sources`` case,
  mutating one file leaves the findings in every other file exactly as they
  are on the unmutated case (a configuration-data ``data.xml`` and its
  ``data_schema.xml`` are read together, so they count as one file).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import tempfile
import time
import traceback
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

from d365lint.cli.main import main
from tests.support.pack import pack

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CASE_FOLDERS = ("solutions", "sources", "sites")

CPU_SECONDS = 10.0
"""Bound on one input's CPU time; the fixtures take 0.01–0.3 s, so only a hang or a blow-up reaches it."""
MEMORY_BYTES = 300 * 1024 * 1024
"""Bound on how far one input raises the process's peak resident memory above its resident memory at the start."""

EXIT_CODES = (0, 1, 2)
XML_SUFFIXES = (".xml", ".xaml")
SCRIPT_SUFFIXES = (".js", ".mjs", ".ts", ".cs", ".py", ".html", ".htm", ".yml", ".yaml", ".json", ".css")
TEXT_SUFFIXES = XML_SUFFIXES + SCRIPT_SUFFIXES
SIDECAR_SUFFIX = ".expect"
CONFIGURATION_DATA = ("data.xml", "data_schema.xml")
RULE_FAILURE = re.compile(r"^rule \S+ \(.*\) failed: ")
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


# ---------------------------------------------------------------- fixtures


def _cases() -> tuple[Path, ...]:
    return tuple(sorted(case for folder in CASE_FOLDERS for case in (FIXTURES / folder).iterdir() if case.is_dir()))


def case_files(case: Path) -> tuple[str, ...]:
    """The case's files, ``/``-separated and relative to it, sidecar expectations left out."""
    return tuple(
        sorted(path.relative_to(case).as_posix() for path in case.rglob("*") if path.is_file() and not path.name.endswith(SIDECAR_SUFFIX))
    )


CASES = _cases()
FIXTURE_FILES = tuple((case, name) for case in CASES for name in case_files(case))


def solution_zip(case: Path) -> bytes | None:
    """The exported zip of a solution case: packed from an unpacked tree, or an exported folder zipped as it is."""
    if (case / "Other" / "Solution.xml").is_file():
        return pack(case)
    if (case / "solution.xml").is_file() and (case / "customizations.xml").is_file():
        return zip_members([(name, (case / name).read_bytes()) for name in case_files(case)])
    return None


ZIP_CASES = tuple(case for case in CASES if (case / "Other" / "Solution.xml").is_file() or (case / "solution.xml").is_file())


def zip_members(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of ``members`` in order; a repeated name is written twice, as a hostile archive would."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": wanted here
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def unzip_members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


# ---------------------------------------------------------------- mutations


@dataclass(frozen=True)
class Mutation:
    """A change of some bytes; ``description`` is a call that reproduces it."""

    description: str
    apply: Callable[[bytes], bytes] = field(repr=False, compare=False)

    def __call__(self, data: bytes) -> bytes:
        return self.apply(data)


def _mutation(function: Callable[..., bytes], *args: object) -> Mutation:
    return Mutation(f"{function.__name__}({', '.join(map(repr, args))})", partial(function, *args))


def _at(offset: int, data: bytes | list, extra: int = 0) -> int:
    """An offset drawn without knowing the data, folded into it (mutations compose)."""
    return offset % (len(data) + extra) if len(data) + extra else 0


def flip_bytes(flips: tuple[tuple[int, int], ...], data: bytes) -> bytes:
    changed = bytearray(data)
    for offset, mask in flips:
        if changed:
            changed[_at(offset, changed)] ^= mask
    return bytes(changed)


def truncate(keep: int, data: bytes) -> bytes:
    return data[: _at(keep, data, 1)]


def insert_bytes(offset: int, junk: bytes, data: bytes) -> bytes:
    at = _at(offset, data, 1)
    return data[:at] + junk + data[at:]


def _xml_edit(edit: Callable[[etree._Element], None], data: bytes) -> bytes:
    """``data`` parsed, edited and written back with the declaration it had; unparsable data is left as is."""
    try:
        root = etree.fromstring(data, _SAFE_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return data
    edit(root)
    declared = data.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml")
    return etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=declared)


def _element(root: etree._Element, index: int, *, below_root: bool) -> etree._Element | None:
    elements = [e for e in root.iter() if isinstance(e.tag, str) and (e is not root or not below_root)]
    return elements[_at(index, elements)] if elements else None


def duplicate_element(index: int, data: bytes) -> bytes:
    def edit(root: etree._Element) -> None:
        element = _element(root, index, below_root=True)
        if element is not None:
            element.addnext(etree.fromstring(etree.tostring(element), _SAFE_PARSER))

    return _xml_edit(edit, data)


def delete_element(index: int, data: bytes) -> bytes:
    def edit(root: etree._Element) -> None:
        element = _element(root, index, below_root=True)
        if element is not None:
            element.getparent().remove(element)

    return _xml_edit(edit, data)


def replace_element_text(index: int, text: str, data: bytes) -> bytes:
    def edit(root: etree._Element) -> None:
        element = _element(root, index, below_root=False)
        if element is not None:
            element.text = text

    return _xml_edit(edit, data)


def reencode(codec: str, bom: bool, data: bytes) -> bytes:
    """The text of ``data`` (read as UTF-8) in ``codec``; ``bom`` adds the codec's byte-order mark."""
    text = data.decode("utf-8-sig", "replace")
    marks = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff", "utf-8": "\ufeff"}
    return ((marks.get(codec, "") if bom else "") + text).encode(codec, "replace")


_DECLARATION = re.compile(rb"^(\xef\xbb\xbf)?<\?xml[^>]*\?>")


def redeclare(encoding: str, data: bytes) -> bytes:
    """An XML declaration naming ``encoding``, whatever the bytes are."""
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'.encode("ascii")
    if _DECLARATION.match(data):
        return _DECLARATION.sub(lambda match: (match.group(1) or b"") + declaration, data, count=1)
    return declaration + b"\n" + data


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def delete_line(index: int, data: bytes) -> bytes:
    lines = _lines(data)
    if lines:
        del lines[_at(index, lines)]
    return b"".join(lines)


def duplicate_line(index: int, data: bytes) -> bytes:
    lines = _lines(data)
    if lines:
        at = _at(index, lines)
        lines.insert(at, lines[at])
    return b"".join(lines)


def insert_brackets(offset: int, brackets: str, data: bytes) -> bytes:
    return insert_bytes(offset, brackets.encode("ascii"), data)


_offsets = st.integers(min_value=0, max_value=2**24)
ENCODINGS = ("utf-16-le", "utf-16-be", "latin-1", "cp1252", "utf-8")
DECLARED = ("utf-8", "utf-16", "utf-16le", "utf-32", "iso-8859-1", "windows-1252", "ascii", "ebcdic-cp-us", "x-no-such-encoding")


def byte_mutations() -> st.SearchStrategy[Mutation]:
    """Mutations of any bytes: flips, truncation, inserted junk."""
    flips = st.lists(st.tuples(_offsets, st.integers(1, 255)), min_size=1, max_size=8).map(tuple)
    return st.one_of(
        flips.map(lambda value: _mutation(flip_bytes, value)),
        _offsets.map(lambda keep: _mutation(truncate, keep)),
        st.builds(lambda offset, junk: _mutation(insert_bytes, offset, junk), _offsets, st.binary(min_size=1, max_size=64)),
    )


def xml_mutations() -> st.SearchStrategy[Mutation]:
    """Element duplication, deletion and replaced text (any characters XML allows and some it does not)."""
    return st.one_of(
        _offsets.map(lambda index: _mutation(duplicate_element, index)),
        _offsets.map(lambda index: _mutation(delete_element, index)),
        st.builds(
            lambda index, text: _mutation(replace_element_text, index, text),
            _offsets,
            st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40).filter(_xml_compatible),
        ),
        st.sampled_from(DECLARED).map(lambda name: _mutation(redeclare, name)),
    )


def _xml_compatible(text: str) -> bool:
    """lxml refuses to set text XML cannot hold (control characters); those come from the byte mutations."""
    return all(ch in "\t\n\r" or ch >= " " for ch in text) and "\ufffe" not in text and "\uffff" not in text


def encoding_mutations() -> st.SearchStrategy[Mutation]:
    return st.builds(lambda codec, bom: _mutation(reencode, codec, bom), st.sampled_from(ENCODINGS), st.booleans())


def line_mutations() -> st.SearchStrategy[Mutation]:
    """Script edits: a line deleted or duplicated, brackets and quotes inserted."""
    brackets = st.text(st.sampled_from("{}[]()<>\"'`/*;\\"), min_size=1, max_size=6)
    return st.one_of(
        _offsets.map(lambda index: _mutation(delete_line, index)),
        _offsets.map(lambda index: _mutation(duplicate_line, index)),
        st.builds(lambda offset, text: _mutation(insert_brackets, offset, text), _offsets, brackets),
    )


def mutations_for(name: str) -> st.SearchStrategy[Mutation]:
    """Every mutation that makes sense for a file called ``name``."""
    suffix = Path(name).suffix.lower()
    kinds = [byte_mutations()]
    if suffix in TEXT_SUFFIXES:
        kinds += [encoding_mutations(), line_mutations()]
    if suffix in XML_SUFFIXES:
        kinds.append(xml_mutations())
    return st.one_of(*kinds)


def mutation_chains(name: str) -> st.SearchStrategy[tuple[Mutation, ...]]:
    return st.lists(mutations_for(name), min_size=1, max_size=3).map(tuple)


def _chain(mutations: Iterable[Mutation], data: bytes) -> bytes:
    for mutation in mutations:
        data = mutation(data)
    return data


def _described(mutations: Iterable[Mutation]) -> str:
    return " | ".join(mutation.description for mutation in mutations)


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class FuzzInput:
    """Files to write into an empty folder, and the paths among them to check."""

    description: str
    files: tuple[tuple[str, bytes], ...] = field(repr=False)
    checked: tuple[str, ...]
    case: str = ""
    """The fixture case, relative to ``fixtures/``, for a folder input (the isolation property compares with it)."""
    changed: str = ""
    """The file of the case that was mutated, for a folder input."""

    def write(self, folder: Path) -> None:
        for name, data in self.files:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def _case_name(case: Path) -> str:
    return case.relative_to(FIXTURES).as_posix()


def case_input(case: Path, changed: str = "", mutations: tuple[Mutation, ...] = ()) -> FuzzInput:
    """The case as a folder of its name, with ``changed`` mutated (nothing mutated when it is empty)."""
    files = tuple(
        (f"{case.name}/{name}", _chain(mutations, data) if name == changed else data)
        for name in case_files(case)
        for data in ((case / name).read_bytes(),)
    )
    description = f"folder {_case_name(case)}" + (f", {changed}: {_described(mutations)}" if changed else "")
    return FuzzInput(description, files, (case.name,), _case_name(case), changed)


@st.composite
def folder_inputs(draw: st.DrawFn) -> FuzzInput:
    """A fixture case folder with one file mutated."""
    case, name = draw(st.sampled_from(FIXTURE_FILES))
    return case_input(case, name, draw(mutation_chains(name)))


@st.composite
def file_inputs(draw: st.DrawFn) -> FuzzInput:
    """One script or source of a fixture, mutated and checked on its own, as pre-commit passes files."""
    case, name = draw(st.sampled_from([item for item in FIXTURE_FILES if Path(item[1]).suffix.lower() in SCRIPT_SUFFIXES + (".dll",)]))
    mutations = draw(mutation_chains(name))
    loose = Path(name).name
    return FuzzInput(f"file {_case_name(case)}/{name}: {_described(mutations)}", ((loose, _chain(mutations, (case / name).read_bytes())),), (loose,))


def drop_member(index: int, members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    return [member for at, member in enumerate(members) if at != _at(index, members)]


def duplicate_member(index: int, members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    return [*members, members[_at(index, members)]] if members else members


ESCAPES = ("../", "../../", "/", "..\\", "C:/", "a/../../", "./")


def rename_member(index: int, prefix: str, members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """A member renamed to climb out of the archive (zip slip) or to an absolute path."""
    if not members:
        return members
    at = _at(index, members)
    return [(prefix + name, data) if i == at else (name, data) for i, (name, data) in enumerate(members)]


def mutate_member(index: int, mutations: tuple[Mutation, ...], members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    if not members:
        return members
    at = _at(index, members)
    return [(name, _chain(mutations, data)) if i == at else (name, data) for i, (name, data) in enumerate(members)]


@dataclass(frozen=True)
class MemberEdit:
    description: str
    apply: Callable[[list[tuple[str, bytes]]], list[tuple[str, bytes]]] = field(repr=False, compare=False)


def _member_edit(function: Callable[..., list[tuple[str, bytes]]], *args: object) -> MemberEdit:
    shown = ", ".join(_described(arg) if isinstance(arg, tuple) else repr(arg) for arg in args)
    return MemberEdit(f"{function.__name__}({shown})", partial(function, *args))


def member_edits() -> st.SearchStrategy[MemberEdit]:
    any_name = "x.xml"  # member mutations: the byte, line and encoding ones (XML edits come through folder inputs)
    return st.one_of(
        _offsets.map(lambda index: _member_edit(drop_member, index)),
        _offsets.map(lambda index: _member_edit(duplicate_member, index)),
        st.builds(lambda index, prefix: _member_edit(rename_member, index, prefix), _offsets, st.sampled_from(ESCAPES)),
        st.builds(lambda index, chain: _member_edit(mutate_member, index, chain), _offsets, mutation_chains(any_name)),
    )


@st.composite
def zip_inputs(draw: st.DrawFn) -> FuzzInput:
    """A solution case exported as a zip: members dropped, duplicated, renamed or mutated, then archive bytes broken."""
    case = draw(st.sampled_from(ZIP_CASES))
    edits = draw(st.lists(member_edits(), max_size=3))
    archive_mutations = draw(st.lists(byte_mutations(), max_size=2).map(tuple))
    members = unzip_members(solution_zip(case) or b"")
    for edit in edits:
        members = edit.apply(members)
    data = _chain(archive_mutations, zip_members(members))
    steps = [edit.description for edit in edits] + [mutation.description for mutation in archive_mutations]
    name = f"{case.name}.zip"
    return FuzzInput(f"zip {_case_name(case)}: {' | '.join(steps) or 'unchanged'}", ((name, data),), (name,))


def fuzz_inputs() -> st.SearchStrategy[FuzzInput]:
    return st.one_of(folder_inputs(), file_inputs(), zip_inputs())


# ---------------------------------------------------------------- properties


@dataclass(frozen=True)
class Outcome:
    """What one run did and every property it broke."""

    exit_code: int | None
    problems: tuple[str, ...]
    cpu_seconds: float
    wall_seconds: float
    memory_growth: int
    """Bytes the process's peak resident memory rose above its resident memory at the start of the run (0: not raised)."""


def _resident_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _peak_resident_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _line_count(data: bytes) -> int:
    """An upper bound on the lines of ``data`` in any encoding we read: every CR and LF may end one."""
    return data.count(b"\n") + data.count(b"\r") + 1


@dataclass(frozen=True)
class Place:
    path: str
    member: str | None
    line: int
    column: int


def _places(finding: Mapping) -> list[tuple[str, Place]]:
    own = [("finding", Place(finding["path"], finding["member"], finding["line"], finding["column"]))]
    return own + [("related location", Place(r["path"], r["member"], r["line"], r["column"])) for r in finding["related"]]


class InputFiles:
    """The files of an input as written, to judge the places a report names."""

    def __init__(self, fuzz_input: FuzzInput, folder: Path) -> None:
        self.folder = folder
        self.files = {os.path.normpath(folder / name): data for name, data in fuzz_input.files}
        self.roots = {os.path.normpath(folder / name) for name in fuzz_input.checked}

    def absolute(self, path: str) -> str:
        return os.path.normpath(Path.cwd() / path)

    def member(self, archive: str, name: str) -> bytes | None:
        """The bytes of member ``name`` (by the name the loader uses); None when ``zipfile`` has no such safe member.

        A member that is listed but cannot be read (a corrupt stream) counts as empty.
        """
        try:
            with zipfile.ZipFile(io.BytesIO(self.files[archive])) as opened:
                infos = [info for info in opened.infolist() if info.filename.replace("\\", "/") == name and not _escapes(info.filename)]
                if not infos:
                    return None
                try:
                    return opened.read(infos[0])
                except Exception:  # noqa: BLE001 - any corruption: the place can still be the member's first line
                    return b""
        except Exception:  # noqa: BLE001 - an archive zipfile cannot open has no members to name
            return None

    def misplaced(self, place: Place) -> str | None:
        """Why ``place`` is not a place of this input, or None."""
        path = self.absolute(place.path)
        data = self.files.get(path)
        if data is None:
            return f"{place.path} is not a file of the input"
        if place.member is not None:
            data = self.member(path, place.member)
            if data is None:
                return f"{place.path}!/{place.member} is not a member of the archive"
        if not 1 <= place.line <= _line_count(data) or place.column < 1:
            return f"{place.path}{'!/' + place.member if place.member else ''}:{place.line}:{place.column} lies outside the file"
        return None

    def names_input(self, path: str) -> bool:
        absolute = self.absolute(path)
        return any(absolute == root or absolute.startswith(root + os.sep) for root in self.roots)

    def relative(self, path: str) -> str:
        return Path(self.absolute(path)).relative_to(self.folder).as_posix()


def _escapes(name: str) -> bool:
    """A member name leading out of the archive; written apart from the loader's test, as an oracle must be."""
    normalised = name.replace("\\", "/")
    return normalised.startswith("/") or normalised[1:2] == ":" or ".." in normalised.split("/")


def _run_cli(arguments: list[str]) -> tuple[int | None, str, str | None]:
    """Exit code, standard error, and the traceback of anything ``main`` let escape."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            return main(arguments), stdout.getvalue(), None
        except BaseException:  # noqa: BLE001 - the property under test: nothing escapes
            return None, stdout.getvalue(), traceback.format_exc()


FindingKey = tuple[str, int, int, str, str]


def _finding_keys(report: Mapping, source: InputFiles) -> frozenset[FindingKey]:
    return frozenset(
        (source.relative(f["path"]), f["line"], f["column"], f["rule"], f["message"])
        for f in report["findings"]
        if f["member"] is None
    )


def _unit_of(name: str) -> str:
    """The file a finding in ``name`` may depend on besides itself: configuration data is read as a pair."""
    path = Path(name)
    return (path.parent / CONFIGURATION_DATA[0]).as_posix() if path.name.lower() in CONFIGURATION_DATA else name


@dataclass(frozen=True)
class _Execution:
    """One in-process ``d365lint check --format json`` of an input written below a folder."""

    source: InputFiles
    code: int | None
    stdout: str
    escaped: str | None
    sarif: Path
    cpu_seconds: float
    wall_seconds: float
    memory_growth: int


def _execute(fuzz_input: FuzzInput, work: Path) -> _Execution:
    """Write ``fuzz_input`` below ``work`` (an empty folder) and check it; the reports go beside it."""
    folder = work / "input"
    folder.mkdir()
    fuzz_input.write(folder)
    sarif = work / "report.sarif"
    arguments = ["check", *(str(folder / name) for name in fuzz_input.checked), "--format", "json", "--no-cache",
                 "--jobs", "1", "--fail-on", "warning", "--output-sarif", str(sarif)]
    resident, peak_before = _resident_bytes(), _peak_resident_bytes()
    cpu, wall = time.process_time(), time.perf_counter()
    code, stdout, escaped = _run_cli(arguments)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak_after = _peak_resident_bytes()
    # The high-water mark rose during this run: its peak is exactly that mark. Otherwise its peak
    # was no higher than the mark of an earlier run, which was judged then.
    growth = peak_after - resident if peak_after > peak_before else 0
    return _Execution(InputFiles(fuzz_input, folder), code, stdout, escaped, sarif, cpu, wall, growth)


class Fuzzer:
    """Runs ``d365lint check`` in-process on fuzz inputs and judges the properties."""

    def __init__(self, cpu_seconds: float = CPU_SECONDS, memory_bytes: int = MEMORY_BYTES) -> None:
        self.cpu_seconds = cpu_seconds
        self.memory_bytes = memory_bytes
        self._baselines: dict[str, frozenset[FindingKey]] = {}

    def run(self, fuzz_input: FuzzInput, work: Path) -> Outcome:
        """Check ``fuzz_input`` below ``work`` (an empty folder) and judge every property."""
        done = _execute(fuzz_input, work)
        problems = [f"raised:\n{done.escaped}"] if done.escaped else []
        if done.code not in EXIT_CODES and not done.escaped:
            problems.append(f"exit code {done.code}")
        if done.cpu_seconds > self.cpu_seconds:
            problems.append(f"took {done.cpu_seconds:.1f} s of CPU time, over the bound of {self.cpu_seconds:.0f} s")
        if done.memory_growth > self.memory_bytes:
            problems.append(f"peak memory rose by {done.memory_growth / 2**20:.0f} MB, over the bound of {self.memory_bytes / 2**20:.0f} MB")
        if done.code in EXIT_CODES:
            problems += self._report_problems(fuzz_input, done)
        return Outcome(done.code, tuple(problems), done.cpu_seconds, done.wall_seconds, done.memory_growth)

    def _report_problems(self, fuzz_input: FuzzInput, done: _Execution) -> list[str]:
        try:
            report = json.loads(done.stdout)
            json.loads(done.sarif.read_text(encoding="utf-8"))
        except (ValueError, OSError) as error:
            return [f"a report does not parse: {error}"]
        source = done.source
        problems = [f"{kind} in the wrong place: {why}" for f in report["findings"] for kind, place in _places(f) if (why := source.misplaced(place))]
        problems += [f"input problem in the wrong place: {d['path']}" for d in report["input_problems"] if not source.names_input(d["path"])]
        problems += [f"a rule raised: {d['message']}" for d in report["input_problems"] if RULE_FAILURE.match(d["message"])]
        if fuzz_input.changed and fuzz_input.case.startswith("sources/") and not problems:
            problems += self._isolation_problems(fuzz_input, _finding_keys(report, source))
        return problems

    def _isolation_problems(self, fuzz_input: FuzzInput, found: frozenset[FindingKey]) -> list[str]:
        """Findings in files other than the mutated one (and its pair) that the mutation changed."""
        unit = _unit_of(f"{Path(fuzz_input.case).name}/{fuzz_input.changed}")

        def others(keys: frozenset[FindingKey]) -> set[FindingKey]:
            return {key for key in keys if _unit_of(key[0]) != unit}

        baseline = others(self._baseline(fuzz_input.case))
        lost, gained = baseline - others(found), others(found) - baseline
        if not lost and not gained:
            return []
        return [f"mutating {fuzz_input.changed} changed findings in other files: lost {sorted(lost)}, gained {sorted(gained)}"]

    def _baseline(self, case: str) -> frozenset[FindingKey]:
        """The findings of the unmutated case, keyed as :func:`_finding_keys` keys them."""
        if case not in self._baselines:
            with tempfile.TemporaryDirectory(prefix="d365lint-fuzz-") as work:
                done = _execute(case_input(FIXTURES / case), Path(work))
                self._baselines[case] = _finding_keys(json.loads(done.stdout), done.source)
        return self._baselines[case]
