"""Parsed solution files kept between runs, so that pre-commit does not re-read a whole solution.

A pre-commit run on one changed form loads its whole solution for context
(the form needs its table's columns), and reading a large unpacked solution
takes seconds. Each file of an unpacked solution gives the model a few
elements; the cache keeps them, with the content hash of every file that
was read to build them and the answer of every lookup made on the way. An
entry is used only when all of those files still have the same content and
the lookups the same answers, so a changed, added or removed file is read
again and nothing else is.

The cache lives in the user's cache folder (``$XDG_CACHE_HOME/d365lint`` or
``~/.cache/d365lint``), never in the checked folder unless ``--cache-dir``
puts it there, one folder per solution folder and version of d365lint's
loader. The entries are spread over a fixed number of files by a hash of
their path, and a run rewrites only the files whose entries changed: a
commit changes a few files of a solution, and rewriting a whole large
solution's entries took longer than the rest of the hook's run. Each
entry keeps its elements pickled by collection, with the names that link
them to other files beside them: a pre-commit run decodes only the
collections its rules read, and of many only what is linked to its files
(a changed script of a 212 MB solution needs the forms that load it and
their table, not its 1,600 forms, 400 tables and 5.8 MB of roles). It
checks against the disk only the entries whose collections it reads. The
cache also keeps the folders as the last run walked them, and a run lists
again only those whose time changed (see :meth:`FolderTree.remember`).

``--no-cache`` neither reads nor writes the cache. Whether a file is
unchanged is decided by its content hash; size and modification time only
spare re-reading files last written well before the entry was (as git does
with its index), so an edit within the same second is still seen.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import mmap
import os
import pickle
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import d365lint
from d365lint.loading.trees import FileTree, FolderTree, Listing
from d365lint import model
from d365lint.model import Location, link_names

FORMAT = 7
RACY_SECONDS = 2.0
"""How close to a look a file's or folder's time may be and still change again unseen (FAT keeps times to 2 s).

A file modified this close to (or after) its entry was written is hashed
again whatever its time says; a folder is listed again.
"""


def default_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "d365lint"


def _code_key() -> str:
    """The loader's version: d365lint's, Python's, and the source of the modules that build the model."""
    package = Path(d365lint.__file__).parent
    digest = hashlib.blake2b(f"{FORMAT}|{d365lint.__version__}|{sys.version}".encode(), digest_size=16)
    for module in sorted([package / "model.py", *(package / "loading").glob("*.py"), *(package / "parsing").glob("*.py")]):
        digest.update(module.name.encode())
        digest.update(module.read_bytes())
    return digest.hexdigest()


class Read(NamedTuple):
    """A file read while building an entry: its content hash, and its size and time to spare re-reading it.

    A named tuple, rebuilt in C when the cache is read: a large solution's cache holds one per file.
    """

    path: str
    digest: str
    size: int
    mtime_ns: int


class Entry(NamedTuple):
    """What one file gave the model, and everything it depended on.

    ``elements`` holds the file's elements by collection (``"forms"``…):
    lists when the file was just read, each list pickled on its own as the
    cache stores it (a :class:`Span` of a cache file once read back), so
    that a run decodes only the collections it reads (see :func:`elements_of`).
    """

    reads: tuple[Read, ...]
    finds: tuple[tuple[str, str | None], ...]
    elements: Mapping[str, list[Any] | bytes | Span]
    links: Mapping[str, frozenset[str]]
    """The names that link its elements, by collection (:func:`d365lint.model.link_names`), kept beside their pickles."""

    def stored(self) -> Entry:
        """This entry as the cache writes it: every collection pickled apart, the names that link them in the clear."""
        links = {name: names for name in self.elements if (names := self.linked_by(name))}
        return Entry(self.reads, self.finds, {name: _blob(value) for name, value in self.elements.items()}, links)

    def linked_by(self, collection: str) -> frozenset[str]:
        """The names that link this entry's elements of ``collection``, without decoding them."""
        value = self.elements.get(collection)
        if isinstance(value, list):
            return link_names(collection, value)
        return self.links.get(collection, frozenset())


class Span(NamedTuple):
    """A collection's pickle in a cache file, mapped into memory: read only when the collection is decoded.

    A run on one changed script of a 212 MB solution decodes a few of its
    8,300 entries; reading the 57 MB of pickles they all keep took a sixth
    of the run.
    """

    buffer: mmap.mmap
    start: int
    length: int

    def data(self) -> bytes:
        return self.buffer[self.start : self.start + self.length]


def elements_of(entry: Entry, wanted: Container[str] | None = None) -> dict[str, list[Any]]:
    """The elements of ``entry`` in the collections ``wanted`` (all when None), decoded where the cache stored them."""
    return {
        name: value if isinstance(value, list) else pickle.loads(value.data() if isinstance(value, Span) else value)
        for name, value in entry.elements.items()
        if wanted is None or name in wanted
    }


def _blob(value: list[Any] | bytes | Span) -> bytes | Span:
    return dumps(value) if isinstance(value, list) else value


class RecordingTree:
    """A :class:`FileTree` that notes every file read and every lookup, for an entry's key."""

    def __init__(self, tree: FileTree, root: Path) -> None:
        self.tree = tree
        self.root = root
        self.reads: dict[str, Read] = {}
        self.finds: dict[str, str | None] = {}

    def paths(self) -> Iterator[str]:
        return self.tree.paths()

    def find(self, path: str) -> str | None:
        found = self.tree.find(path)
        self.finds[path] = found
        return found

    def location(self, path: str) -> Location:
        return self.tree.location(path)

    def read(self, path: str) -> bytes:
        data = self.tree.read(path)
        stat = (self.root / path).stat()
        self.reads[path] = Read(path, _digest(data), stat.st_size, stat.st_mtime_ns)
        return data

    def entry(self, elements: Any) -> Entry:
        """The entry of ``elements``, built from what was read and looked up through this tree."""
        return Entry(tuple(self.reads.values()), tuple(self.finds.items()), elements, {})


def _reduce_tuple(value: tuple[Any, ...]) -> tuple[Any, ...]:
    """A named tuple as its class and items, rebuilt by ``tuple.__new__`` in C (not by its Python ``__new__``)."""
    return tuple.__new__, (type(value), tuple(value))


_MODEL_TUPLES = tuple(
    cls for cls in vars(model).values() if isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")
)
# Named tuples unpickle through their Python __new__; the cache holds hundreds of
# thousands of them (408,376 for a 212 MB solution), so it writes them as (class, items).
_MODEL_REDUCERS = copyreg.dispatch_table | dict.fromkeys((*_MODEL_TUPLES, Read, Entry, Listing), _reduce_tuple)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_LISTINGS = "folders.pickle"
"""The file that keeps the folders of the solution as the last run walked them."""
_BUCKETS = 64
"""The files a solution's entries are spread over (a large solution's files of 1 MB or so each)."""


def _bucket(path: str) -> str:
    """The file that holds the entry of ``path``: fixed by the path alone, so unchanged entries stay where they are."""
    return f"{int.from_bytes(hashlib.blake2b(path.encode(), digest_size=4).digest(), 'big') % _BUCKETS:02d}.pickle"


@dataclass
class SolutionCache:
    """The entries of one unpacked solution folder: read at the start of a run; those that changed written at its end."""

    folder: Path | None
    root: Path
    tree: FileTree
    entries: dict[str, Entry] = field(default_factory=dict)
    written_at: dict[str, float] = field(default_factory=dict)
    """When each entry was last found to match its files, by the entry's path (see :meth:`write`)."""
    bucket_of: dict[str, str] = field(default_factory=dict)
    """The bucket file each entry was read from, by the entry's path: hashing every path again to write one file took 10 ms."""
    changed: set[str] = field(default_factory=set)
    """The bucket files whose entries changed in this run."""
    confirmed: set[str] = field(default_factory=set)
    """The entries that this run built or found to match their files (a focused run checks only those it needs)."""
    _checked: dict[tuple[Read, float], Read | None] = field(default_factory=dict)
    _mapped: dict[str, mmap.mmap] = field(default_factory=dict)
    """The bucket files read, mapped into memory, by name: the spans of their entries read from them."""
    _listings: dict[str, Listing] = field(default_factory=dict)
    """The folders as the last run walked them (see :meth:`FolderTree.remember`)."""

    @classmethod
    def open(cls, folder: Path, root: Path, tree: FileTree) -> SolutionCache:
        """The cache of the solution at ``root``, as ``tree`` shows it (its locations are kept in the entries)."""
        place = f"{root.resolve()}|{tree.location('')}"
        key = hashlib.blake2b(place.encode(), digest_size=12).hexdigest()
        cache = cls(folder / f"{key}-{_code_key()[:16]}", root, tree)
        try:
            buckets = sorted(cache.folder.glob("[0-9][0-9].pickle"))  # type: ignore[union-attr]
        except OSError:
            return cache  # no cache yet: the solution is read in full
        for bucket in buckets:
            cache._read(bucket)
        cache._read_listings()
        return cache

    def _read_listings(self) -> None:
        """Give the tree the folders as the last run walked them: a folder that kept its time is not listed again."""
        if not isinstance(self.tree, FolderTree) or self.folder is None:
            return
        try:
            stored = pickle.loads((self.folder / _LISTINGS).read_bytes())
            listings, listed_at = dict(stored["listings"]), float(stored["listed_at"])
            if not all(type(listing) is Listing for listing in listings.values()):
                raise TypeError("not a listing")
        except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, AttributeError, ValueError, ImportError):
            listings, listed_at = {}, 0.0  # none yet, or unreadable: every folder is listed
        self._listings = listings
        self.tree.remember(listings, listed_at - RACY_SECONDS)

    def _read(self, bucket: Path) -> None:
        try:
            with bucket.open("rb") as stream:
                mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
                try:
                    stored = _BucketReader(stream, mapped).load()
                    entries = dict(stored["entries"])
                    written_at = {path: float(when) for path, when in stored["written_at"].items() if path in entries}
                except BaseException:
                    mapped.close()
                    raise
        except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, AttributeError, ValueError, ImportError):
            return  # a file this version cannot read: its files are read again, and it is rewritten
        self._mapped[bucket.name] = mapped
        self.entries.update(entries)
        self.written_at.update(written_at)
        self.bucket_of.update(dict.fromkeys(entries, bucket.name))

    def close(self) -> None:
        """Unmap the bucket files: the spans of the entries read from them can no longer be decoded."""
        for mapped in self._mapped.values():
            mapped.close()
        self._mapped.clear()

    def valid(self, path: str) -> Entry | None:
        """The entry of ``path`` when the files it was built from are unchanged, else None.

        A file whose content had to be hashed (its time changed, as a git
        checkout changes it, or was too close to the entry's) is hashed in
        every run until the entry takes its new size and time: the entry is
        kept again with them.
        """
        entry = self.entries.get(path)
        if entry is None:
            return None
        for query, found in entry.finds:  # loops, not all() over generators: a run asks this of every file
            if self.tree.find(query) != found:
                return None
        written_at = self.written_at.get(path, 0.0)
        reads, refreshed = [], False
        for read in entry.reads:  # a flag, not any() over a generator afterwards: 2,000 entries per run
            current = self._unchanged(read, written_at)
            if current is None:
                return None
            reads.append(current)
            refreshed = refreshed or current is not read
        if refreshed:
            entry = entry._replace(reads=tuple(reads))
            self.remember(path, entry)
        self.confirmed.add(path)
        return entry

    def remember(self, path: str, entry: Entry) -> None:
        self.entries[path] = entry
        self.confirmed.add(path)
        self.changed.add(_bucket(path))

    def forget_others(self, paths: list[str]) -> None:
        """Drop entries of files that are gone."""
        kept = set(paths)
        for path in [p for p in self.entries if p not in kept]:
            del self.entries[path]
            self.changed.add(_bucket(path))

    def write(self) -> None:
        """Rewrite the bucket files whose entries changed, and the folders' listings when they did, each atomically."""
        self._write_listings()
        if not self.changed or self.folder is None:
            return
        by_bucket: dict[str, dict[str, Entry]] = {name: {} for name in self.changed}
        for path, entry in self.entries.items():
            bucket = by_bucket.get(self.bucket_of.get(path) or _bucket(path))
            if bucket is not None:
                bucket[path] = entry.stored()
        # An entry this run built or checked matched its files as of now; one it did not check keeps
        # its time, or a file changed within its time's resolution since would pass for settled.
        now = time.time()
        written_at = {path: now if path in self.confirmed else self.written_at.get(path, 0.0) for path in self.entries}
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            for name, entries in sorted(by_bucket.items()):
                content = _bucket_content({"entries": entries, "written_at": {path: written_at[path] for path in entries}})
                mapped = self._mapped.pop(name, None)
                if mapped is not None:
                    mapped.close()  # its spans are copied into the content: a mapped file cannot be replaced on Windows
                _write_atomically(self.folder / name, content)
            _remove_other_versions(self.folder)
        except (OSError, pickle.PicklingError):
            pass  # a cache that cannot be written only costs time

    def _write_listings(self) -> None:
        listings = self.tree.listings if isinstance(self.tree, FolderTree) else None
        if self.folder is None or listings is None or listings == self._listings:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_atomically(self.folder / _LISTINGS, dumps({"listings": listings, "listed_at": self.tree.listed_at}))  # type: ignore[union-attr]
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _unchanged(self, read: Read, written_at: float) -> Read | None:
        key = (read, written_at)
        if key not in self._checked:
            self._checked[key] = self._current(read, written_at)
        return self._checked[key]

    def _current(self, read: Read, written_at: float) -> Read | None:
        """``read`` itself when its file's size and time vouch for it; when its content does, ``read`` with them now; else None."""
        try:
            stat = os.stat(os.path.join(self.root, read.path))  # no Path objects: thousands of files per run
        except OSError:
            return None
        settled = stat.st_mtime_ns / 1e9 < written_at - RACY_SECONDS
        if settled and stat.st_size == read.size and stat.st_mtime_ns == read.mtime_ns:
            return read
        try:
            same = _digest(self.tree.read(read.path)) == read.digest
        except OSError:
            return None
        return Read(read.path, read.digest, stat.st_size, stat.st_mtime_ns) if same else None


_HEADER = struct.Struct("<Q")
"""A bucket file starts with the length of its pickles of collections; its index pickle follows them."""


def _bucket_content(stored: dict[str, Any]) -> bytes:
    """A bucket file: the header, every entry's pickled collections one after another, then the index of entries.

    The index holds the entries with each collection as its place among the
    pickles (a pickle persistent id), so that reading the index reads none of them.
    """
    blobs = io.BytesIO()

    def place(value: object) -> tuple[int, int] | None:
        if isinstance(value, Span):
            value = value.data()
        if type(value) is not bytes:
            return None  # the index holds no other bytes: an entry's collections are its only ones
        start = blobs.tell()
        blobs.write(value)
        return start, len(value)

    index = io.BytesIO()
    pickler = _pickler(index)
    pickler.persistent_id = place  # type: ignore[method-assign]
    pickler.dump(stored)
    return _HEADER.pack(blobs.tell()) + blobs.getvalue() + index.getvalue()


class _BucketReader(pickle.Unpickler):
    """Reads a bucket file's index; each collection becomes a :class:`Span` of the mapped file."""

    def __init__(self, stream: BinaryIO, mapped: mmap.mmap) -> None:
        if len(mapped) < _HEADER.size:
            raise pickle.UnpicklingError("a bucket file cut short")
        (self._length,) = _HEADER.unpack(mapped[: _HEADER.size])
        if _HEADER.size + self._length > len(mapped):
            raise pickle.UnpicklingError("a bucket file cut short")
        stream.seek(_HEADER.size + self._length)
        super().__init__(stream)
        self._mapped = mapped

    def persistent_load(self, pid: Any) -> Span:
        start, length = pid
        if not (isinstance(start, int) and isinstance(length, int) and 0 <= start and start + length <= self._length):
            raise pickle.UnpicklingError("a collection outside its bucket file")
        return Span(self._mapped, _HEADER.size + start, length)


def _write_atomically(file: Path, content: bytes) -> None:
    """Write ``content`` beside ``file`` and rename it into place: a reader sees the old file or the new, whole."""
    with tempfile.NamedTemporaryFile(dir=file.parent, delete=False, suffix=".tmp") as stream:
        try:
            stream.write(content)
        except BaseException:
            os.unlink(stream.name)
            raise
    os.replace(stream.name, file)


def dumps(value: Any) -> bytes:
    """``value`` pickled with the model's fast reducers (``pickle.loads`` reads it back)."""
    stream = io.BytesIO()
    _pickler(stream).dump(value)
    return stream.getvalue()


def _pickler(stream: BinaryIO) -> pickle.Pickler:
    pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _MODEL_REDUCERS
    return pickler


def _remove_other_versions(folder: Path) -> None:
    """Drop what other versions of d365lint wrote for the same solution: no version reads another's."""
    solution_key = folder.name.split("-", 1)[0]
    for stale in folder.parent.glob(f"{solution_key}-*"):
        if stale == folder:
            continue
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)  # a single-file cache of an earlier version
