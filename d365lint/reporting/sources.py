"""Reading back the text of reported files, for source lines and line hashes.

Reports show the offending line under a caret and SARIF carries GitHub's
``primaryLocationLineHash``; both need the file's text. It is read again
only for files that have results, from disk or from the zip member, and
never written.
"""

from __future__ import annotations

import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

from d365lint.model import Location
from d365lint.parsing.text import DecodeError, decode_text
from d365lint.patterns import compile_lazily

_MAX_MEMBER_SIZE = 64 * 1024 * 1024
# The line breaks of XML and of GitHub's line hashes; str.splitlines would
# also split at form feeds, U+0085 and U+2028 and count lines differently.
_LINE_BREAK = compile_lazily(r"\r\n|\r|\n")


def read_bytes(path: str, member: str | None = None) -> bytes | None:
    """The bytes of a file, or of a member of the zip at ``path``; None when unreadable."""
    try:
        if member is None:
            return Path(path).read_bytes()
        with zipfile.ZipFile(path) as archive:
            # The first member of the name, as the loader reads it (zipfile's getinfo gives the last of duplicates).
            info = next(info for info in archive.infolist() if info.filename.replace("\\", "/") == member)
            return archive.read(info) if info.file_size <= _MAX_MEMBER_SIZE else None
    except (OSError, StopIteration, zipfile.BadZipFile, zlib.error, ValueError, NotImplementedError):
        return None


@lru_cache(maxsize=256)
def _file_text(identity: str, member: str | None) -> str | None:
    data = read_bytes(path_of(identity), member)
    try:
        return decode_text(data) if data is not None else None
    except DecodeError:
        return None


@lru_cache(maxsize=64)
def _file_lines(identity: str, member: str | None) -> tuple[str, ...]:
    text = _file_text(identity, member)
    return tuple(_LINE_BREAK.split(text)) if text is not None else ()


def file_identity(path: str) -> str:
    """The cache key of a file: its absolute path and its version on disk.

    Reports name files relative to the working folder, which may change
    between runs in one process; the file may change too.
    """
    try:
        status = Path(path).stat()
    except OSError:
        return str(Path(path).absolute())
    return f"{Path(path).absolute()}\0{status.st_mtime_ns}\0{status.st_size}"


def path_of(identity: str) -> str:
    """The absolute path a :func:`file_identity` names."""
    return identity.split("\0", 1)[0]


def file_text(location: Location) -> str | None:
    """The decoded text of the file (or zip member) ``location`` points into."""
    return _file_text(file_identity(location.path), location.member)


def source_line(location: Location) -> str | None:
    """The line ``location`` points at, without its line break."""
    lines = _file_lines(file_identity(location.path), location.member)
    return lines[location.line - 1] if 0 < location.line <= len(lines) else None
