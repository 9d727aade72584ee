"""d365lint against detect-secrets on the fixtures' planted credentials.

Both tools scan the same fixture tree (every solution, source and site case).
The truth is what the fixtures' markers say: a line marked ``ruleid:`` for a
rule that reports a secret itself (``sec-hardcoded-credential``,
``sec-portal-credential-in-site``) holds a planted secret; every other line
holds none, and the ``ok:`` lines are the near misses written to tempt a
scanner (logical names, placeholders, configuration reads, GUIDs, public
hashes, inline images). For each tool the script prints true positives
(planted lines it reports), false positives (other lines it reports, of
which those on ``ok:`` lines) and misses, in total and per fixture case.

Run from the repository root, with detect-secrets installed in the same
environment (``pip install detect-secrets``)::

    .venv/bin/python benchmarks/credentials.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.markers import case_expectations  # noqa: E402

SECRET_RULES = ("sec-hardcoded-credential", "sec-portal-credential-in-site")
CASE_FOLDERS = ("solutions", "sources", "sites")
Line = tuple[str, int]


@dataclass(frozen=True)
class Truth:
    planted: frozenset[Line]
    near_misses: frozenset[Line]


def cases() -> list[Path]:
    fixtures = ROOT / "fixtures"
    return sorted(case for folder in CASE_FOLDERS for case in (fixtures / folder).iterdir() if case.is_dir())


def truth(case_paths: list[Path]) -> Truth:
    expectations = [e for case in case_paths for e in case_expectations(case, ROOT) if e.rule in SECRET_RULES]
    planted = frozenset((e.path, e.line) for e in expectations if e.kind == "ruleid")
    near = frozenset((e.path, e.line) for e in expectations if e.kind == "ok") - planted
    return Truth(planted, near)


def d365lint_lines(case_paths: list[Path]) -> set[Line]:
    command = [sys.executable, "-m", "d365lint", "check", "--format", "json", "--fail-on", "never", "--jobs", "1",
               "--select", ",".join(SECRET_RULES), *(str(path.relative_to(ROOT)) for path in case_paths)]
    report = json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, check=True, text=True).stdout)
    return {(finding["path"], finding["line"]) for finding in report["findings"] if finding["member"] is None}


def detect_secrets_lines(case_paths: list[Path]) -> set[Line]:
    executable = shutil.which("detect-secrets") or str(Path(sys.executable).with_name("detect-secrets"))
    found: set[Line] = set()
    for case in case_paths:
        command = [executable, "scan", "--all-files", str(case.relative_to(ROOT))]
        baseline = json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, check=True, text=True).stdout)
        for path, secrets in baseline["results"].items():
            found.update((Path(path).as_posix(), secret["line_number"]) for secret in secrets)
    return found


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    on_near_misses: int
    misses: int


def score(reported: set[Line], facts: Truth, prefix: str = "") -> Score:
    reported = {line for line in reported if line[0].startswith(prefix)}
    planted = {line for line in facts.planted if line[0].startswith(prefix)}
    wrong = reported - planted
    return Score(len(reported & planted), len(wrong), len(wrong & facts.near_misses), len(planted - reported))


def main() -> int:
    case_paths = cases()
    facts = truth(case_paths)
    tools = {"d365lint": d365lint_lines(case_paths), "detect-secrets": detect_secrets_lines(case_paths)}
    print(f"Fixture tree: {len(case_paths)} cases, {len(facts.planted)} lines with planted secrets, "
          f"{len(facts.near_misses)} marked near misses.\n")
    header = f"{'tool':<16}{'true positives':>16}{'false positives':>17}{'(on ok: lines)':>16}{'misses':>8}"
    print(header)
    print("-" * len(header))
    for name, reported in tools.items():
        s = score(reported, facts)
        print(f"{name:<16}{s.true_positives:>16}{s.false_positives:>17}{s.on_near_misses:>16}{s.misses:>8}")
    print("\nPer fixture case (true positives / false positives / misses):")
    rows: dict[str, dict[str, Score]] = defaultdict(dict)
    for case in case_paths:
        prefix = case.relative_to(ROOT).as_posix() + "/"
        for name, reported in tools.items():
            rows[case.relative_to(ROOT / "fixtures").as_posix()][name] = score(reported, facts, prefix)
    print(f"{'case':<40}" + "".join(f"{name:>20}" for name in tools))
    for case_name, by_tool in rows.items():
        if any(s.true_positives or s.false_positives or s.misses for s in by_tool.values()):
            cells = "".join(f"{f'{s.true_positives} / {s.false_positives} / {s.misses}':>20}" for s in by_tool.values())
            print(f"{case_name:<40}{cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
