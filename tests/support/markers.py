"""Expectations written in fixtures, as semgrep's ``ruleid:`` / ``ok:`` markers.

A comment ``ruleid: <rule-id>[, <rule-id>…]`` says that the next line which
is not itself a marker must carry a finding of each rule; ``ok: <rule-id>``
says it must not. Files that cannot hold comments (JSON, binaries) have a
sidecar ``<file>.expect`` whose lines read ``<line> ruleid: <rule-id>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"(?:<!--|//|#|/\*|\{#|--)\s*(ruleid|ok):\s*([a-z0-9][a-z0-9-]*(?:\s*,\s*[a-z0-9][a-z0-9-]*)*)")
SIDECAR = re.compile(r"^\s*(\d+)\s+(ruleid|ok):\s*([a-z0-9][a-z0-9-]*(?:\s*,\s*[a-z0-9][a-z0-9-]*)*)\s*$")
SIDECAR_SUFFIX = ".expect"


@dataclass(frozen=True, order=True)
class Expectation:
    path: str  # relative to the repository root, "/"-separated
    line: int
    rule: str
    kind: str  # "ruleid" or "ok"


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:4096]:
        return None
    return data.decode("utf-8-sig", "replace")


def file_expectations(path: Path, relative: str) -> list[Expectation]:
    if path.name.endswith(SIDECAR_SUFFIX):
        target = relative[: -len(SIDECAR_SUFFIX)]
        return [
            Expectation(target, int(m.group(1)), rule.strip(), m.group(2))
            for line in path.read_text(encoding="utf-8").splitlines()
            if (m := SIDECAR.match(line))
            for rule in m.group(3).split(",")
        ]
    text = _text(path)
    if text is None:
        return []
    expectations: list[Expectation] = []
    pending: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        found = MARKER.search(line)
        if found:
            pending.extend((found.group(1), rule.strip()) for rule in found.group(2).split(","))
            if line.strip().startswith(("<!--", "//", "#", "/*", "{#", "--")):
                continue
        if pending:
            expectations.extend(Expectation(relative, number, rule, kind) for kind, rule in pending)
            pending = []
    return expectations


def case_expectations(case: Path, root: Path) -> list[Expectation]:
    """Every marker below ``case``; paths relative to ``root``."""
    found: list[Expectation] = []
    for path in sorted(case.rglob("*")):
        if path.is_file():
            found.extend(file_expectations(path, path.relative_to(root).as_posix()))
    return sorted(found)
