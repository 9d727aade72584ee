"""One way to read a solution's files, from a folder or from a zip.

The solution builders ask a :class:`FileTree` for relative paths and bytes
and never care whether the bytes come from disk or from a zip member, so the
exported-zip and the hand-unzipped-folder forms share one builder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from d365lint.loading.archive import ArchiveLimits, SafeZip
from d365lint.model import Location


class FileTree(Protocol):
    """Files addressed by ``/``-separated paths relative to the tree's root."""

    def paths(self) -> Iterator[str]: ...

    def read(self, path: str) -> bytes: ...

    def location(self, path: str) -> Location: ...

    def find(self, path: str) -> str | None: ...


class FolderTree:
    """A folder on disk. Symbolic links that leave the folder are not followed."""

    def __init__(self, root: Path, display_root: str) -> None:
        self.root = root
        # The working folder itself shows as ".": its files are "Other/Solution.xml", as a pre-commit
        # run names them, never "./Other/Solution.xml", which matched no file given to the run.
        self.display_root = "" if display_root in (".", "./") else display_root.rstrip("/")
        self._real_root = root.resolve()
        self._paths: dict[str, str] | None = None

    def _index(self) -> dict[str, str]:
        """Every file below the root by its lower-case path, folders in name order, as ``os.walk`` lists them.

        Walked with ``os.scandir``, whose entries know without another system
        call whether they are links: a large unpacked solution has thousands of files.
        """
        if self._paths is None:
            found: dict[str, str] = {}
            pending = [""]
            while pending:
                folder = pending.pop()
                subfolders = []
                for entry in self._listing(folder):
                    relative = f"{folder}/{entry.name}" if folder else entry.name
                    if _is_folder(entry):
                        if not entry.is_symlink():  # as os.walk: links to folders are not entered
                            subfolders.append(relative)
                    elif _is_regular(entry) and (not entry.is_symlink() or self._inside(Path(entry.path))):
                        found.setdefault(relative.lower(), relative)
                pending.extend(reversed(subfolders))
            self._paths = found
        return self._paths

    def _listing(self, folder: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(os.path.join(self.root, folder)) as entries:
                return sorted(entries, key=lambda entry: entry.name)
        except OSError:
            return []  # an unreadable folder is skipped, as os.walk skips it

    def _inside(self, path: Path) -> bool:
        if not path.is_symlink():
            return True
        try:
            return path.resolve().is_relative_to(self._real_root)
        except OSError:
            return False

    def paths(self) -> Iterator[str]:
        return iter(self._index().values())

    def find(self, path: str) -> str | None:
        """The real spelling of ``path``: exports and unpacked trees differ in case."""
        return self._index().get(path.strip("/").lower())

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def location(self, path: str) -> Location:
        return Location(f"{self.display_root}/{path}" if self.display_root else path)


def _is_regular(entry: os.DirEntry[str]) -> bool:
    """A file that can be read: never a named pipe, whose opening blocks until someone writes."""
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


class ZipTree:
    """The members of a zip archive, read in memory through :class:`SafeZip`."""

    def __init__(self, path: Path, display_path: str, limits: ArchiveLimits = ArchiveLimits()) -> None:
        self.archive = SafeZip(str(path), limits)
        self.display_path = display_path
        self._paths = {name.lower(): name for name in self.archive.names()}

    def paths(self) -> Iterator[str]:
        return iter(self._paths.values())

    def find(self, path: str) -> str | None:
        return self._paths.get(path.strip("/").replace("\\", "/").lower())

    def read(self, path: str) -> bytes:
        return self.archive.read(path)

    def location(self, path: str) -> Location:
        return Location(self.display_path, member=path)
