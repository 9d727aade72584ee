"""Reading the files of a large unpacked solution in several processes.

Each file of an unpacked solution gives the model a few elements, built from
that file alone (the same independence the cache relies on). Reading and
building them is most of a full run's loading time, and it comes before the
rules can start, so on a large solution it decides how much more processes
can save. Forked workers build the elements of a share of the files each and
send them back pickled; the builder then adds them in path order, exactly as
if it had built them itself, so the model is the same for any number of jobs.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path

from d365lint.loading.cache import Entry, dumps

PARALLEL_MIN_BYTES = 4_000_000
"""Below this much XML to read, starting processes costs more than it saves."""
_SHARES_PER_JOB = 4
"""Files are dealt in more shares than jobs, so that a process that ends early takes another share."""

EntryBuilder = Callable[[str], Entry]
"""Builds the entry of one file from its path; workers inherit it through fork, so it need not be picklable."""

_BUILD: list[EntryBuilder] = []
"""The builder of a forked worker process: set once when it starts, used for each share it builds."""


def built_in_parallel(paths: Sequence[str], root: Path | None, build: EntryBuilder, jobs: int) -> dict[str, Entry]:
    """``build`` of each of ``paths``, in ``jobs`` forked processes; empty when that would not pay or cannot be done.

    ``root`` is the folder on disk the paths are relative to (their sizes are
    read there); without one, or with too little to read, the caller builds
    every entry itself.
    """
    if jobs <= 1 or root is None:
        return {}
    sizes = {path: _size(root, path) for path in paths}
    if sum(sizes.values()) < PARALLEL_MIN_BYTES:
        return {}
    import multiprocessing  # imported when processes may start: a pre-commit run on a warm cache never does

    if "fork" not in multiprocessing.get_all_start_methods():
        return {}
    built: dict[str, Entry] = {}
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_BUILD.append, initargs=(build,)) as pool:
        for blob in pool.imap_unordered(_build_share, _dealt(sizes, jobs * _SHARES_PER_JOB), chunksize=1):
            built.update(pickle.loads(blob))
    return built


def _size(root: Path, path: str) -> int:
    try:
        return os.stat(os.path.join(root, path)).st_size
    except OSError:
        return 0  # read (and reported) by whichever process builds it


def _dealt(sizes: dict[str, int], count: int) -> list[list[str]]:
    """``sizes``' paths in ``count`` shares of about equal bytes, largest files dealt first."""
    shares: list[list[str]] = [[] for _ in range(count)]
    loads = [0] * count
    for path in sorted(sizes, key=lambda item: -sizes[item]):
        lightest = loads.index(min(loads))
        shares[lightest].append(path)
        loads[lightest] += sizes[path]
    return [share for share in shares if share]


def _build_share(paths: list[str]) -> bytes:
    build = _BUILD[-1]
    return dumps([(path, build(path)) for path in paths])
