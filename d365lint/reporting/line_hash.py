"""GitHub's ``primaryLocationLineHash``, computed as its upload action does.

github/codeql-action (src/fingerprints.ts) hashes, for each line, a rolling
window of the next 100 characters with spaces and tabs removed and CR or
CRLF read as LF, in signed 64-bit arithmetic (base 37), and appends
``:n`` for the n-th occurrence of the same hash in the file. Computing it
here stops the upload action from warning and recomputing.
"""

from __future__ import annotations

from functools import lru_cache

BLOCK_SIZE = 100
MOD = 37
_MASK = (1 << 64) - 1
_EOF = 65535


def _signed(value: int) -> int:
    value &= _MASK
    return value - (1 << 64) if value >= 1 << 63 else value


def _utf16_units(text: str) -> list[int]:
    data = text.encode("utf-16-le", "surrogatepass")
    return [int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2)]


@lru_cache(maxsize=64)
def line_hashes(text: str) -> dict[int, str]:
    """``{line number: "hash:occurrence"}`` for every line of ``text``."""
    first_mod = _signed(pow(MOD, BLOCK_SIZE, 1 << 64))
    window = [0] * BLOCK_SIZE
    line_numbers = [-1] * BLOCK_SIZE
    hashes: dict[int, str] = {}
    counts: dict[str, int] = {}
    state = {"hash": 0, "index": 0, "line": 0, "line_start": True, "prev_cr": False}

    def output() -> None:
        value = format(state["hash"] & _MASK, "x")
        counts[value] = counts.get(value, 0) + 1
        hashes[line_numbers[state["index"]]] = f"{value}:{counts[value]}"
        line_numbers[state["index"]] = -1

    def update(current: int) -> None:
        index = state["index"]
        begin = window[index]
        window[index] = current
        state["hash"] = _signed(MOD * state["hash"] + current - first_mod * begin)
        state["index"] = (index + 1) % BLOCK_SIZE

    def process(current: int) -> None:
        if current in (32, 9) or (state["prev_cr"] and current == 10):
            state["prev_cr"] = False
            return
        if current == 13:
            current = 10
            state["prev_cr"] = True
        else:
            state["prev_cr"] = False
        if line_numbers[state["index"]] != -1:
            output()
        if state["line_start"]:
            state["line_start"] = False
            state["line"] += 1
            line_numbers[state["index"]] = state["line"]
        if current == 10:
            state["line_start"] = True
        update(current)

    for unit in _utf16_units(text):
        process(unit)
    process(_EOF)
    for _ in range(BLOCK_SIZE):
        if line_numbers[state["index"]] != -1:
            output()
        update(0)
    return hashes
