"""Reading back the text of reported files, for source lines and line hashes.

Reports show the offending line under a caret and SARIF carries GitHub's
``primaryLocationLineHash``; both need the file's text. It is read again
only for files that have results, from disk or from the zip member, and
never written.
"""

from __future__ import annotations

import zipfile
from functools import lru_cache
from pathlib import Path

from d365lint.model import Location
from d365lint.parsing.text import DecodeError, decode_text


@lru_cache(maxsize=256)
def _file_text(path: str, member: str | None) -> str | None:
    try:
        if member is None:
            data = Path(path).read_bytes()
        else:
            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo(member)
                if info.file_size > 64 * 1024 * 1024:
                    return None
                data = archive.read(info)
        return decode_text(data)
    except (OSError, KeyError, zipfile.BadZipFile, DecodeError, ValueError, NotImplementedError):
        return None


def file_text(location: Location) -> str | None:
    """The decoded text of the file (or zip member) ``location`` points into."""
    return _file_text(location.path, location.member)


def source_line(location: Location) -> str | None:
    """The line ``location`` points at, without its line break."""
    text = file_text(location)
    if text is None:
        return None
    lines = text.splitlines()
    return lines[location.line - 1] if 0 < location.line <= len(lines) else None
