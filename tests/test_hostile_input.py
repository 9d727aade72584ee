"""Hostile and broken input (issue 10): never crash, never leak, never escape.

Every case runs the real command line over a folder holding the hostile
file beside ``bad.js`` (a known finding), with the working folder in a
temporary place, and writes the text, JSON and SARIF reports in one run.
Each run asserts what every hostile input must give: the input problem
named in all three reports, the other files' findings, exit code 2, and no
byte written anywhere but the report files. The property-based fuzzing of
the same promise lives in tests/test_fuzz.py; the planted-secret check over
every format in tests/test_credentials.py; annotation escaping of single
values in tests/test_annotations.py.
"""

from __future__ import annotations

import functools
import io
import json
import os
import socket
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from d365lint.cli.main import main
from tests.conftest import FIXTURES
from tests.support.pack import pack
from tests.support.sarif import schema_errors

UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"
BAD_JS = "function f(x) { eval(x); }\n"
KNOWN = "web-avoid-eval"
MARKER = "D365LINT-MARKER-7f3a9c"
DEFLATED, STORED, ENCRYPTED, UTF8_NAME = 8, 0, 0x1, 0x800
ENV_VAR = "environmentvariabledefinitions/contoso_Hostile/environmentvariabledefinition.xml"


# --- building inputs -----------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One zip member as its headers declare it (zipfile cannot write lying, encrypted or raw-named members)."""

    name: bytes
    data: bytes
    size: int
    crc: int
    method: int = STORED
    flags: int = 0

    @classmethod
    def stored(cls, name: str, data: bytes) -> Member:
        return cls(name.encode("utf-8"), data, len(data), zlib.crc32(data), flags=UTF8_NAME if not name.isascii() else 0)


def raw_zip(members: list[Member]) -> bytes:
    """Local headers, data, central directory and end record, byte by byte."""
    body, central = io.BytesIO(), io.BytesIO()
    for m in members:
        offset = body.tell()
        header = (m.flags, m.method, 0, 0, m.crc, len(m.data), m.size, len(m.name))
        body.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *header, 0) + m.name + m.data)
        central.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, *header, 0, 0, 0, 0, 0, offset) + m.name)
    directory = central.getvalue()
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), body.tell(), 0)
    return body.getvalue() + directory + end


@functools.cache
def zeros_bomb(gibibytes: int = 1) -> Member:
    """``gibibytes`` GiB of zeros deflated to about 1 MB: one fully flushed block of 1 MiB, repeated.

    A full flush resets the compressor, so every block is the same bytes and
    the stream costs milliseconds to build instead of seconds to compress.
    """
    chunk = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    count = gibibytes << 10
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    return Member(b"", block * count + compressor.flush(), count << 20, crc, DEFLATED)


@functools.cache
def unsafe_members() -> tuple[Member, ...]:
    """The members of contoso-unsafe's exported zip: a solution with findings of its own."""
    with zipfile.ZipFile(io.BytesIO(pack(UNSAFE))) as archive:
        return tuple(Member.stored(info.filename, archive.read(info)) for info in archive.infolist())


def solution_zip(*extra: Member, replace: dict[str, bytes] | None = None) -> bytes:
    """contoso-unsafe's zip with members replaced and ``extra`` members added."""
    replace = replace or {}
    members = [Member.stored(m.name.decode(), replace[m.name.decode()]) if m.name.decode() in replace else m for m in unsafe_members()]
    return raw_zip([*members, *extra])


def env_var_xml(body: str, prolog: str = "") -> bytes:
    """A split environment variable definition (read on its own), wrapping ``body``."""
    return (f'{prolog}<environmentvariabledefinition schemaname="contoso_Hostile">{body}'
            "</environmentvariabledefinition>").encode("utf-8")


# --- running ---------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    text: str
    json: dict
    sarif: dict

    @property
    def notifications(self) -> list[dict]:
        return self.sarif["runs"][0]["invocations"][0].get("toolExecutionNotifications", [])


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry below ``folder`` (links not followed): its modification time, and a file's bytes."""
    entries = {}
    for path in sorted(folder.rglob("*")):
        status = path.lstat()
        readable = path.is_file() and not path.is_symlink() and os.access(path, os.R_OK)
        entries[path.relative_to(folder).as_posix()] = (status.st_mtime_ns, path.read_bytes() if readable else None)
    return entries


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *options: str, paths: tuple[str, ...] = ("in",)) -> Run:
    """``d365lint check`` over ``paths`` below ``tmp_path``, from an empty working folder, writing three reports.

    Asserts that the run wrote nothing but its reports: not in the input,
    not in the working folder, not beside or above the input.
    """
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    before = snapshot(tmp_path)
    out.mkdir()
    monkeypatch.chdir(work)
    code = main(["check", "--no-cache", "--format", "text", "-o", str(out / "report.txt"),
                 "--output-json", str(out / "report.json"), "--output-sarif", str(out / "report.sarif"),
                 *options, *(str(tmp_path / path) for path in paths)])
    assert sorted(path.name for path in out.iterdir()) == ["report.json", "report.sarif", "report.txt"]
    (out / "report.txt").rename(tmp_path / "report.txt")
    (out / "report.json").rename(tmp_path / "report.json")
    (out / "report.sarif").rename(tmp_path / "report.sarif")
    out.rmdir()
    after = snapshot(tmp_path)
    for name in ("report.txt", "report.json", "report.sarif"):
        del after[name]
    assert after == before
    sarif = json.loads((tmp_path / "report.sarif").read_text(encoding="utf-8"))
    assert schema_errors(sarif) == []
    return Run(code, (tmp_path / "report.txt").read_text(encoding="utf-8"),
               json.loads((tmp_path / "report.json").read_text(encoding="utf-8")), sarif)


def folder_with(tmp_path: Path, name: str, content: bytes) -> Path:
    """``in/`` holding ``bad.js`` and the hostile file ``name``."""
    folder = tmp_path / "in"
    folder.mkdir(parents=True)
    (folder / "bad.js").write_text(BAD_JS, encoding="utf-8")
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    return target


def assert_known_finding(run: Run) -> None:
    """The file beside the hostile one was analysed all the same, in every report."""
    assert f"bad.js:1:17: error {KNOWN}" in run.text
    assert any(f["rule"] == KNOWN and f["path"].endswith("in/bad.js") for f in run.json["findings"])
    assert any(r["ruleId"] == KNOWN for r in run.sarif["runs"][0]["results"])


def assert_diagnosed(run: Run, where: str, message: str) -> None:
    """An input problem naming ``where`` (a file or member) and saying ``message``, in text, JSON and SARIF; exit 2."""
    assert run.code == 2, run.text
    assert any("tool-error" in line and where in line and message in line for line in run.text.splitlines()), run.text
    assert any(
        problem["kind"] == "error" and where in f"{problem['path']}!/{problem['member']}" and message in problem["message"]
        for problem in run.json["input_problems"]
    ), run.json["input_problems"]
    assert run.sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert any(where in n["message"]["text"] and message in n["message"]["text"] for n in run.notifications), run.notifications
    assert_known_finding(run)


def assert_zip_still_analysed(run: Run) -> None:
    """The hostile zip's other members were analysed: contoso-unsafe's credential finding is there."""
    assert any(f["rule"] == "sec-hardcoded-credential" and f["path"].endswith("hostile.zip") for f in run.json["findings"])


# --- archives --------------------------------------------------------------------

SLIP_NAMES = ["../slipped.txt", "../../slipped.txt", "/tmp/d365lint-slipped.txt", "C:\\slipped.txt", "C:/slipped.txt",
              "..\\..\\slipped.txt", "WebResources/../../slipped.txt"]


@pytest.mark.parametrize("name", SLIP_NAMES)
def test_zip_slip_members_are_reported_and_never_written(tmp_path, monkeypatch, name):
    folder_with(tmp_path, "hostile.zip", solution_zip(Member.stored(name, b"escaped")))
    run = check(tmp_path, monkeypatch)
    assert_diagnosed(run, name, "zip slip")
    assert_zip_still_analysed(run)
    for place in (tmp_path, tmp_path.parent, Path("/tmp"), Path("/")):
        assert not (place / "slipped.txt").exists() and not (place / "d365lint-slipped.txt").exists()


def _bomb_member(name: str) -> Member:
    bomb = zeros_bomb()
    return Member(name.encode(), bomb.data, bomb.size, bomb.crc, DEFLATED)


def _random_member(name: str, size: int) -> Member:
    return Member.stored(name, os.urandom(size))


LIMITS = "[limits]\nmax-member-size = 100000\nmax-total-size = 1000000\nmax-members = 50\n"
BOMBS = {
    # name: (extra members, reported where, message, limits configured)
    "one-gib-member": ([_bomb_member("WebResources/bomb.js")], "WebResources/bomb.js", "over the limit; skipped", False),
    "member-over-limit": ([_random_member("WebResources/big.js", 150_000)], "WebResources/big.js", "over the limit", True),
    "total-over-limit": ([_random_member(f"Data/part{i}.bin", 90_000) for i in range(12)], "hostile.zip", "more than the limit of 1000000", True),
    "member-count": ([Member.stored(f"Data/{i}.txt", b"") for i in range(20_001)], "hostile.zip", "more than the limit of 20000", False),
    "configured-member-count": ([Member.stored(f"Data/{i}.txt", b"") for i in range(60)], "hostile.zip", "more than the limit of 50", True),
    "nested-bomb": ([Member.stored("inner.zip", raw_zip([_bomb_member("bomb.bin")] * 3))], "inner.zip", "not opened", False),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_zip_bombs_are_refused_with_a_diagnostic(tmp_path, monkeypatch, case):
    members, where, message, limited = BOMBS[case]
    folder_with(tmp_path, "hostile.zip", solution_zip(*members))
    options = ()
    if limited:
        (tmp_path / "limits.toml").write_text(LIMITS, encoding="utf-8")
        options = ("--config", str(tmp_path / "limits.toml"))
    run = check(tmp_path, monkeypatch, *options)
    assert_diagnosed(run, where, message)
    if not limited and where != "hostile.zip":
        assert_zip_still_analysed(run)


def _truncated(at: float) -> bytes:
    data = solution_zip()
    return data[: int(len(data) * at)]


def _corrupted() -> bytes:
    """contoso-unsafe deflated, with bytes in the middle of customizations.xml's stream overwritten."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in unsafe_members():
            archive.writestr(member.name.decode(), member.data)
    data = bytearray(buffer.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("customizations.xml")
    start = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[start : start + 64] = b"\xa5" * 64
    return bytes(data)


BROKEN_ZIPS = {
    "truncated-half": (lambda: _truncated(0.5), "hostile.zip", "not a readable zip archive"),
    "truncated-end-record": (lambda: _truncated(0.999), "hostile.zip", "not a readable zip archive"),
    "corrupt-member": (_corrupted, "customizations.xml", "corrupt"),
    "duplicate-member": (lambda: solution_zip(Member.stored("customizations.xml", b"<other/>")), "customizations.xml", "duplicate member"),
    "encrypted-member": (lambda: solution_zip(Member(b"WebResources/x.js", b"\x00" * 40, 28, 0, flags=ENCRYPTED)), "WebResources/x.js", "encrypted"),
    "invalid-utf8-name": (lambda: solution_zip(Member(b"WebResources/caf\xe9.js", b"", 0, 0, flags=UTF8_NAME)), "hostile.zip", "not a readable zip archive"),
}


@pytest.mark.parametrize("case", list(BROKEN_ZIPS))
def test_broken_zips_are_reported(tmp_path, monkeypatch, case):
    build, where, message = BROKEN_ZIPS[case]
    folder_with(tmp_path, "hostile.zip", build())
    run = check(tmp_path, monkeypatch)
    assert_diagnosed(run, where, message)
    if where != "hostile.zip" and case != "corrupt-member":
        assert_zip_still_analysed(run)


def test_a_member_name_in_the_old_dos_code_page_is_read(tmp_path, monkeypatch):
    folder_with(tmp_path, "hostile.zip", solution_zip(Member(b"Data/caf\x82.txt", b"x", 1, zlib.crc32(b"x"))))
    run = check(tmp_path, monkeypatch)
    assert run.code == 1 and not run.json["input_problems"]
    assert_zip_still_analysed(run)
    assert_known_finding(run)


# --- XML ---------------------------------------------------------------------------


def _billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return env_var_xml("<defaultvalue>&lol9;</defaultvalue>", f'<!DOCTYPE r [<!ENTITY lol0 "lol">{entities}]>')


XML_CASES = {
    "billion-laughs": (_billion_laughs, "amplification"),
    "malformed": (lambda: env_var_xml("<defaultvalue><b></defaultvalue>"), "malformed XML"),
    "deep-nesting": (lambda: env_var_xml("<a>" * 100_000 + "</a>" * 100_000), "malformed XML"),
    "huge-line": (lambda: env_var_xml(f"<defaultvalue>{'A' * 50_000_000}</defaultvalue>"), "malformed XML"),
}


@pytest.mark.parametrize("case", list(XML_CASES))
def test_hostile_xml_is_reported(tmp_path, monkeypatch, case):
    build, message = XML_CASES[case]
    folder_with(tmp_path, "hostile.zip", solution_zip(Member.stored(ENV_VAR, build())))
    run = check(tmp_path, monkeypatch)
    assert_diagnosed(run, ENV_VAR, message)
    assert_zip_still_analysed(run)


@pytest.mark.parametrize("form", ["general-entity", "parameter-entity", "external-dtd", "relative-dtd"])
def test_external_entities_and_dtds_are_never_read(tmp_path, monkeypatch, form):
    secret = tmp_path / "secret.txt"
    secret.write_text(MARKER, encoding="utf-8")
    dtd = tmp_path / "work-dtd.dtd"
    dtd.write_text(f'<!ENTITY leak SYSTEM "{secret.as_uri()}"><!ENTITY inline "{MARKER}">', encoding="utf-8")
    prolog = {
        "general-entity": f'<!DOCTYPE r [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>',
        "parameter-entity": f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{dtd.as_uri()}"> %p;]>',
        "external-dtd": f'<!DOCTYPE r SYSTEM "{dtd.as_uri()}">',
        "relative-dtd": '<!DOCTYPE r SYSTEM "../work-dtd.dtd">',
    }[form]
    body = "<defaultvalue>&leak;</defaultvalue><description>&inline;</description>" if form != "general-entity" else "<defaultvalue>&leak;</defaultvalue>"
    folder_with(tmp_path, "hostile.zip", solution_zip(Member.stored(ENV_VAR, env_var_xml(body, prolog))))
    run = check(tmp_path, monkeypatch)
    assert_diagnosed(run, ENV_VAR, "external DTD or entity")
    for output in (run.text, json.dumps(run.json), json.dumps(run.sarif)):
        assert MARKER not in output


def test_an_external_dtd_on_the_network_is_never_fetched(tmp_path, monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.2)
        port = server.getsockname()[1]
        prolog = f'<!DOCTYPE r SYSTEM "http://127.0.0.1:{port}/x.dtd">'
        folder_with(tmp_path, "hostile.zip", solution_zip(Member.stored(ENV_VAR, env_var_xml("<defaultvalue>&x;</defaultvalue>", prolog))))
        run = check(tmp_path, monkeypatch)
        with pytest.raises(TimeoutError):
            server.accept()
    assert_diagnosed(run, ENV_VAR, "external DTD or entity")


def test_an_external_dtd_that_is_a_named_pipe_is_never_opened(tmp_path):
    """Opening a named pipe blocks until someone writes: a parser that opens the DTD hangs here."""
    pipe = tmp_path / "pipe.dtd"
    os.mkfifo(pipe)
    folder_with(tmp_path, "hostile.zip", solution_zip(Member.stored(ENV_VAR, env_var_xml("", f'<!DOCTYPE r SYSTEM "{pipe.as_uri()}">'))))
    completed = subprocess.run([sys.executable, "-m", "d365lint", "check", "--no-cache", "--format", "json", str(tmp_path / "in")],
                               capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert completed.returncode == 2
    assert "external DTD or entity" in completed.stdout


def _reencoded(encoding: str, bom: bytes = b"", declaration: str | None = None) -> bytes:
    """contoso-unsafe's customizations.xml re-encoded, with a declaration naming ``declaration``."""
    original = dict((m.name.decode(), m.data) for m in unsafe_members())["customizations.xml"].decode("utf-8")
    text = original if declaration is None else f'<?xml version="1.0" encoding="{declaration}"?>\r\n{original}'
    return bom + text.encode(encoding)


ENCODINGS = {
    "utf-16-bom": lambda: _reencoded("utf-16-le", b"\xff\xfe"),
    "utf-16-be-bom": lambda: _reencoded("utf-16-be", b"\xfe\xff"),
    "utf-16-no-bom": lambda: _reencoded("utf-16-le", declaration="utf-16"),
    "declared-latin1-is-utf8": lambda: _reencoded("utf-8", declaration="iso-8859-1"),
}


def test_a_declared_encoding_the_bytes_contradict_is_reported(tmp_path, monkeypatch):
    folder_with(tmp_path, "hostile.zip", solution_zip(replace={"customizations.xml": _reencoded("utf-8", declaration="utf-16")}))
    assert_diagnosed(check(tmp_path, monkeypatch), "customizations.xml", "malformed XML")


def _located(run: Run) -> set[tuple[str, str | None, int]]:
    return {(f["rule"], f["member"], f["line"]) for f in run.json["findings"] if f["path"].endswith("hostile.zip")}


@pytest.mark.parametrize("case", list(ENCODINGS))
def test_xml_in_other_encodings_finds_the_same(tmp_path, monkeypatch, case):
    folder_with(tmp_path / "original", "hostile.zip", solution_zip())
    expected = _located(check(tmp_path / "original", monkeypatch))
    folder_with(tmp_path, "hostile.zip", solution_zip(replace={"customizations.xml": ENCODINGS[case]()}))
    run = check(tmp_path, monkeypatch)
    assert not run.json["input_problems"], run.json["input_problems"]
    shift = 1 if "declared" in case or case == "utf-16-no-bom" else 0  # the added declaration line
    assert {(rule, member, line - shift if member == "customizations.xml" else line) for rule, member, line in _located(run)} == expected


# --- scripts and sources -------------------------------------------------------------------


NESTING = 100_000
_ASSEMBLY = (FIXTURES / "sources" / "plugins-assembly" / "ContosoCompiled.dll").read_bytes()
SOURCES = {
    "binary.js": (b"\x00\x01\x02PK\x03\x04" + os.urandom(2000), "binary data"),
    "binary.cs": (b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(2000), "binary data"),
    "binary.dll": (b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(2000), "not a .NET assembly"),
    # Only the metadata an assembly's rules need is read: a cut one must still be told apart from one without strings.
    "truncated.dll": (_ASSEMBLY[: len(_ASSEMBLY) // 2], "its metadata is truncated or corrupt"),
}


@pytest.mark.parametrize("name", list(SOURCES))
def test_binary_junk_named_as_source_is_reported(tmp_path, monkeypatch, name):
    content, message = SOURCES[name]
    folder_with(tmp_path, name, content)
    assert_diagnosed(check(tmp_path, monkeypatch), name, message)


PATHOLOGICAL = {
    "parens.js": "var a = " + "(" * NESTING + "1" + ")" * NESTING + ";\n",
    "arrays.js": "var a = " + "[" * NESTING + "]" * NESTING + ";\n",
    "ifs.js": "if (a) {" * NESTING + "}" * NESTING + "\n",
    "calls.js": "f(" * NESTING + ")" * NESTING + ";\n",
    "ifs.ts": "if (a) {" * NESTING + "}" * NESTING + "\n",
    "ifs.cs": "class C { void M() { " + "if (a) {" * NESTING + "}" * NESTING + " } }\n",
    "parens.py": "x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n",
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_nesting_never_overflows_the_stack(tmp_path, monkeypatch, name):
    folder_with(tmp_path, name, PATHOLOGICAL[name].encode())
    run = check(tmp_path, monkeypatch)
    assert run.code in (1, 2), run.text
    assert "RecursionError" not in run.text and "failed:" not in run.text, run.text
    assert_known_finding(run)


def test_invalid_utf8_is_read_as_windows_1252_and_analysed(tmp_path, monkeypatch):
    folder_with(tmp_path, "latin.js", b'"use strict";\nvar s = "caf\xe9 \xff";\nfunction g(y) { eval(y); }\n')
    run = check(tmp_path, monkeypatch)
    assert run.code == 1 and not run.json["input_problems"]
    assert any(f["rule"] == KNOWN and f["path"].endswith("latin.js") and f["line"] == 3 for f in run.json["findings"])


def test_a_minified_bundle_of_megabytes_on_one_line_is_analysed(tmp_path, monkeypatch):
    functions = ";".join(f"var a{i}=function(b,c){{return b?c[{i}]:b+{i}}}" for i in range(60_000))
    # (named .js: a loose *.min.js is a vendored library, which the web rules leave alone)
    folder_with(tmp_path, "bundle.js", f"!function(){{{functions};eval(x)}}();".encode())
    assert (tmp_path / "in" / "bundle.js").stat().st_size > 2_000_000
    run = check(tmp_path, monkeypatch)
    assert run.code == 1 and not run.json["input_problems"], run.text
    assert any(f["rule"] == KNOWN and f["path"].endswith("bundle.js") and f["line"] == 1 for f in run.json["findings"])


def test_syntax_errors_are_reported_and_the_rest_is_analysed(tmp_path, monkeypatch):
    folder_with(tmp_path, "broken.js", b'"use strict";\nfunction g(y) { eval(y); }\nfunction broken( {\n')
    run = check(tmp_path, monkeypatch)
    # A syntax error is a warning, not exit 2: the file was analysed, as far as tree-sitter recovered it.
    assert run.code == 1
    assert any(f["rule"] == KNOWN and f["path"].endswith("broken.js") and f["line"] == 2 for f in run.json["findings"])
    assert "broken.js:1:1: tool-warning javascript syntax errors" in run.text
    assert any(p["kind"] == "warning" and p["path"].endswith("broken.js") for p in run.json["input_problems"])
    assert any("broken.js" in n["message"]["text"] and n["level"] == "warning" for n in run.notifications)


# --- folders ---------------------------------------------------------------------------


@pytest.mark.parametrize("git", [False, True], ids=["walk", "git"])
def test_symbolic_links_out_of_the_checked_folder_are_not_followed(tmp_path, monkeypatch, git):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.js").write_text("function s(q) { eval(q); }\n", encoding="utf-8")
    folder = folder_with(tmp_path, "bad.js", BAD_JS.encode()).parent
    (folder / "link.js").symlink_to(outside / "secret.js")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    if git:
        subprocess.run(["git", "init", "-q", str(folder)], check=True, capture_output=True)
    run = check(tmp_path, monkeypatch)
    assert run.code == 1
    assert {f["path"].rsplit("/", 1)[-1] for f in run.json["findings"]} == {"bad.js"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_reported(tmp_path, monkeypatch):
    hostile = folder_with(tmp_path, "locked.js", BAD_JS.encode())
    hostile.chmod(0)
    try:
        assert_diagnosed(check(tmp_path, monkeypatch), "locked.js", "cannot read file")
    finally:
        hostile.chmod(0o644)


def test_a_path_that_does_not_exist_is_a_usage_error_even_beside_good_ones(tmp_path, monkeypatch, capsys):
    folder_with(tmp_path, "bad.js", BAD_JS.encode())
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-cache", "in", "in/missing.js"]) == 2
    captured = capsys.readouterr()
    assert "in/missing.js: no such file or directory" in captured.err and KNOWN not in captured.out


# --- output safety ------------------------------------------------------------------


HOSTILE_NAMES = [
    'quote"and\'apostrophe.js',
    "cr\rand\ttab\x1b[31m.js",
    "percent%25,comma:colon;semi]bracket.js",
    "emoji\U0001f600-cjk\u4e2d.js",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_reports_stay_valid_with_hostile_file_names(tmp_path, monkeypatch, name):
    folder_with(tmp_path, name, b"function f(x) { eval(x); }\n")
    run = check(tmp_path, monkeypatch)
    assert run.code == 1
    assert sum(f["rule"] == KNOWN for f in run.json["findings"]) == 2
    assert any(f["path"].endswith(name) for f in run.json["findings"])
    for style in ("github", "azure"):
        monkeypatch.chdir(tmp_path)
        out = tmp_path / f"report.{style}"
        main(["check", "--no-cache", "--format", style, "-o", str(out), "in"])
        for line in out.read_text(encoding="utf-8").splitlines():
            assert line.startswith(("::error ", "::warning ", "::notice ", "##vso[task.logissue ", "Found ")), line
            assert line.count("##vso[") <= 1 and not line[2:].count("::error")


def test_reports_stay_valid_with_a_file_name_that_is_not_utf8(tmp_path, monkeypatch):
    folder = folder_with(tmp_path, "bad.js", BAD_JS.encode()).parent
    (folder / os.fsdecode(b"caf\xe9.js")).write_text(BAD_JS, encoding="utf-8")
    run = check(tmp_path, monkeypatch)
    assert run.code == 1
    assert sum(f["rule"] == KNOWN for f in run.json["findings"]) == 2
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run.sarif["runs"][0]["results"]]
    assert any(uri.endswith("caf%E9.js") for uri in uris), uris


def test_a_named_pipe_is_reported_not_read(tmp_path):
    """Reading a named pipe blocks until someone writes: it must never be opened."""
    folder = folder_with(tmp_path, "bad.js", BAD_JS.encode()).parent
    os.mkfifo(folder / "pipe.js")
    completed = subprocess.run([sys.executable, "-m", "d365lint", "check", "--no-cache", "--format", "json", "in"],
                               capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    report = json.loads(completed.stdout)
    assert completed.returncode == 2
    assert any(p["path"].endswith("pipe.js") and "not a regular file" in p["message"] for p in report["input_problems"])
    assert any(f["rule"] == KNOWN for f in report["findings"])


def test_nothing_from_the_input_is_imported_or_executed(tmp_path):
    """Modules in the checked folder, named like those d365lint imports late, are never imported, even under ``python -m``."""
    folder = folder_with(tmp_path, "bad.js", BAD_JS.encode()).parent
    canary = tmp_path / "imported"
    payload = f"open({str(canary)!r}, 'a').write(__name__ + '\\n')\n"
    for module in ("sarif_om", "tree_sitter_javascript", "libcst", "dnfile", "conftest", "setup", "__init__", "evil"):
        (folder / f"{module}.py").write_text(payload, encoding="utf-8")
    for command in ([sys.executable, "-m", "d365lint"], [str(Path(sys.executable).with_name("d365lint"))]):
        completed = subprocess.run([*command, "check", "--no-cache", "--format", "sarif", "."],
                                   capture_output=True, text=True, cwd=folder, timeout=120, check=False)
        assert completed.returncode == 1, completed.stderr
        assert not canary.exists(), canary.read_text()


INJECTING_NAMES = ["x\n::error file=x::pwned.js", "x\n##vso[task.setvariable variable=pwned]1.js", "x\r\n\x1b[2J::warning::y.js"]
LINE_STARTS = {"text": (), "github": ("::error ", "::warning ", "::notice ", "Found "), "azure": ("##vso[task.logissue ", "Found ")}


@pytest.mark.parametrize("name", INJECTING_NAMES)
def test_a_file_name_never_injects_a_ci_command_or_terminal_escape(tmp_path, monkeypatch, name):
    folder_with(tmp_path, name, BAD_JS.encode())
    monkeypatch.chdir(tmp_path)
    for style, starts in LINE_STARTS.items():
        out = tmp_path / f"report.{style}"
        assert main(["check", "--no-cache", "--format", style, "-o", str(out), "in"]) == 1
        lines = out.read_text(encoding="utf-8").splitlines()
        assert sum("web-avoid-eval" in line for line in lines) >= 2, lines
        for line in lines:
            assert "\r" not in line and (style != "text" or "\x1b" not in line)
            if starts:
                assert line.startswith(starts) and line.count("##vso[") <= 1, line
            else:
                assert not line.startswith("::") and "##vso[" not in line, line


@pytest.mark.parametrize(("setting", "problem"), [("max-ratio = 0", "expected a positive whole number"),
                                                   ("max-sizes = 5", "unknown key (did you mean 'max-total-size'")])
def test_archive_limits_are_checked_and_shown(tmp_path, capsys, setting, problem):
    config = tmp_path / ".d365lint.toml"
    config.write_text("[limits]\nmax-ratio = 50\n", encoding="utf-8")
    assert main(["config", "--config", str(config)]) == 0
    assert "[limits]\nmax-members = 20000\nmax-member-size = 536870912\nmax-total-size = 2147483648\nmax-ratio = 50\n" in capsys.readouterr().out
    config.write_text(f"[limits]\n{setting}\n", encoding="utf-8")
    assert main(["check", "--config", str(config), str(tmp_path)]) == 2
    assert f"'limits.{setting.split()[0]}': {problem}" in capsys.readouterr().err
