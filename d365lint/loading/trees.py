"""One way to read a solution's files, from a folder or from a zip.

The solution builders ask a :class:`FileTree` for relative paths and bytes
and never care whether the bytes come from disk or from a zip member, so the
exported-zip and the hand-unzipped-folder forms share one builder.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from d365lint.loading.archive import ArchiveLimits, SafeZip
from d365lint.model import Location


class FileTree(Protocol):
    """Files addressed by ``/``-separated paths relative to the tree's root."""

    def paths(self) -> Iterator[str]: ...

    def read(self, path: str) -> bytes: ...

    def location(self, path: str) -> Location: ...

    def find(self, path: str) -> str | None: ...


class Listing(NamedTuple):
    """What a walk takes of a folder: the subfolders it enters and the files it keeps, by name, and the folder's time."""

    mtime_ns: int
    folders: tuple[str, ...]
    files: tuple[str, ...]


class FolderTree:
    """A folder on disk. Symbolic links that leave the folder are not followed."""

    def __init__(self, root: Path, display_root: str) -> None:
        self.root = root
        # The working folder itself shows as ".": its files are "Other/Solution.xml", as a pre-commit
        # run names them, never "./Other/Solution.xml", which matched no file given to the run.
        self.display_root = "" if display_root in (".", "./") else display_root.rstrip("/")
        self._real_root = root.resolve()
        self._paths: dict[str, str] | None = None
        self.listings: dict[str, Listing] | None = None
        """The folders as this walk took them (by path), when :meth:`remember` asked it to keep them."""
        self.listed_at = 0.0
        """When this walk started: a folder's time this close to it (see :meth:`remember`) may still change unseen."""
        self._remembered: Mapping[str, Listing] = {}
        self._settled_before = 0.0

    def remember(self, listings: Mapping[str, Listing], settled_before: float) -> None:
        """Take from ``listings`` (an earlier walk's) each folder whose time has not changed, and keep this walk's.

        Listing every folder of a 212 MB solution (2,360 of them) took 33 ms
        of a pre-commit run; looking at their times takes 14 ms, and reading
        the earlier walk's listings 2 ms. Adding, removing or renaming a file
        changes its folder's time; a time after ``settled_before`` may change
        again within its resolution, and such a folder is listed again.
        """
        self.listings = {}
        self._remembered = listings
        self._settled_before = settled_before

    def _index(self) -> dict[str, str]:
        """Every file below the root by its lower-case path, folders in name order, as ``os.walk`` lists them."""
        if self._paths is None:
            self.listed_at = time.time()
            found: dict[str, str] = {}
            pending = [""]
            while pending:
                folder = pending.pop()
                listing = self._listing(folder)
                for name in listing.files:
                    relative = f"{folder}/{name}" if folder else name
                    found.setdefault(relative.lower(), relative)
                pending.extend(reversed([f"{folder}/{name}" if folder else name for name in listing.folders]))
            self._paths = found
        return self._paths

    def _listing(self, folder: str) -> Listing:
        """The folder as an earlier walk took it, while its time is the same; else listed now."""
        if self.listings is None:
            return self._list(folder, 0)[0]
        try:
            mtime_ns = os.stat(os.path.join(self.root, folder)).st_mtime_ns  # before listing: a change while listing shows
        except OSError:
            return self._list(folder, 0)[0]
        remembered = self._remembered.get(folder)
        if remembered is not None and remembered.mtime_ns == mtime_ns and mtime_ns / 1e9 < self._settled_before:
            listing, lasting = remembered, True
        else:
            listing, lasting = self._list(folder, mtime_ns)
        if lasting:
            self.listings[folder] = listing
        return listing

    def _list(self, folder: str, mtime_ns: int) -> tuple[Listing, bool]:
        """The folder's subfolders and files, and whether that stays true while its time does.

        It does not when the folder cannot be read, or holds a symbolic link
        (whose target may change while its folder does not). Walked with
        ``os.scandir``, whose entries know without another system call
        whether they are links: a large unpacked solution has thousands of files.
        """
        folders, files, lasting = [], [], True
        try:
            with os.scandir(os.path.join(self.root, folder)) as scanned:
                entries = sorted(scanned, key=lambda entry: entry.name)
        except OSError:
            return Listing(mtime_ns, (), ()), False  # an unreadable folder is skipped, as os.walk skips it
        for entry in entries:
            link = entry.is_symlink()
            lasting = lasting and not link
            if _is_folder(entry):
                if not link:  # as os.walk: links to folders are not entered
                    folders.append(entry.name)
            elif _is_regular(entry) and (not link or self._inside(Path(entry.path))):
                files.append(entry.name)
        return Listing(mtime_ns, tuple(folders), tuple(files)), lasting

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
