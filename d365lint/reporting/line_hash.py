"""GitHub's ``primaryLocationLineHash``, computed as its upload action does.

github/codeql-action (src/fingerprints.ts) hashes, for each line, a rolling
window of the next 100 UTF-16 code units with spaces and tabs removed and CR
or CRLF read as LF, followed at the end of the file by 65535 and zeros, in
64-bit arithmetic (base 37), and appends ``:n`` for the n-th occurrence of
the same hash in the file. Computing it here stops the upload action from
warning and recomputing. The window's hash is read off prefix sums
(``h = P[s+100] - 37**100 * P[s]``), which gives the action's rolling
values in one pass over the file.

The action reads each file as Node reads UTF-8: a byte-order mark stays a
character of the first line and invalid bytes become U+FFFD. Hashing the
text d365lint decoded (BOM dropped, UTF-16 or a declared encoding honoured)
would give other values, and the action warns about every mismatch.
"""

from __future__ import annotations

import sys
from array import array
from functools import lru_cache

from d365lint.reporting.sources import file_identity, path_of, read_bytes

BLOCK_SIZE = 100
MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(MOD, BLOCK_SIZE, 1 << 64)
_EOF = 65535
_LF = 10


def file_line_hashes(path: str) -> dict[int, str]:
    """The line hashes of the file at ``path``, read as the upload action reads it."""
    return _line_hashes_of(file_identity(path))


@lru_cache(maxsize=64)
def _line_hashes_of(identity: str) -> dict[int, str]:
    data = read_bytes(path_of(identity))
    return line_hashes(data.decode("utf-8", "replace")) if data is not None else {}


def _units(text: str) -> array[int]:
    """The code units the action hashes: line breaks as LF, no spaces or tabs, then EOF and zeros."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").replace(" ", "").replace("\t", "")
    units = array("H", normalised.encode("utf-16-le", "surrogatepass"))
    if sys.byteorder == "big":
        units.byteswap()
    units.append(_EOF)
    units.extend([0] * BLOCK_SIZE)
    return units


def line_hashes(text: str) -> dict[int, str]:
    """``{line number: "hash:occurrence"}`` for every line of ``text``."""
    units = _units(text)
    starts = [0, *(index + 1 for index, unit in enumerate(units) if unit == _LF)]
    # Rolling over every code unit costs one step per unit; hashing each line's window on its own costs
    # BLOCK_SIZE steps per line, far less for minified files (a 1 MB line: two windows, not a million steps).
    windows = _each_window(units, starts) if len(starts) * BLOCK_SIZE < len(units) else _rolled_windows(units, starts)
    hashes: dict[int, str] = {}
    counts: dict[str, int] = {}
    for line, window in enumerate(windows, start=1):
        value = format(window, "x")
        counts[value] = counts.get(value, 0) + 1
        hashes[line] = f"{value}:{counts[value]}"
    return hashes


def _rolled_windows(units: array[int], starts: list[int]) -> list[int]:
    """The hash of the window at each of ``starts``, read off prefix sums of one pass over ``units``."""
    wanted = {*starts, *(start + BLOCK_SIZE for start in starts)}
    prefixes: dict[int, int] = {}
    prefix = 0
    for index, unit in enumerate(units):
        if index in wanted:
            prefixes[index] = prefix
        prefix = (prefix * MOD + unit) & _MASK
    prefixes[len(units)] = prefix
    return [(prefixes[start + BLOCK_SIZE] - _FIRST_MOD * prefixes[start]) & _MASK for start in starts]


def _each_window(units: array[int], starts: list[int]) -> list[int]:
    """The hash of the window at each of ``starts``, each computed on its own."""
    windows = []
    for start in starts:
        window = 0
        for unit in units[start : start + BLOCK_SIZE]:
            window = (window * MOD + unit) & _MASK
        windows.append(window)
    return windows
