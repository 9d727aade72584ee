"""The long fuzzing campaign: thousands of broken copies of our fixtures through ``d365lint check``.

The inputs and properties are those of ``tests/test_fuzz.py`` (both come
from ``tests/support/fuzz.py``): fixture folders with one file mutated,
single scripts mutated, and solution zips with members dropped, duplicated,
renamed out of the archive or mutated and the archive's bytes broken. Each
input must not make ``d365lint check`` raise, leave the exit codes 0/1/2,
take more than 10 s of CPU or 300 MB of peak memory, or report a finding in
a file (or at a line) that is not the input's.

Everything runs in this one process (the machine is shared). Each failing
input is saved with its description and problems under ``--out`` (by
default ``build/fuzz``, outside version control), at most
``--keep`` per distinct problem; the file ``current.txt`` there names the
input being checked, so a run killed by a hang still says which.

    .venv/bin/python benchmarks/fuzz.py --count 10000 --seed 1
"""

from __future__ import annotations

import argparse
import faulthandler
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402

from tests.support.fuzz import FuzzInput, Fuzzer, Outcome, fuzz_inputs  # noqa: E402

HANG_SECONDS = 300
"""A run still going after this long is dumped and the campaign ends (the per-input bound is 10 s of CPU)."""


def signature(problem: str) -> str:
    """What makes two failures the same bug: the exception and the line raising it, or the problem's kind."""
    if problem.startswith("raised:"):
        frames = re.findall(r'File "([^"]+)", line (\d+)', problem)
        last_line = problem.rstrip().splitlines()[-1]
        where = f"{Path(frames[-1][0]).name}:{frames[-1][1]}" if frames else "?"
        return f"raised {last_line.split(':')[0]} at {where}"
    return re.sub(r"\d+", "N", problem.split(":")[0])


@dataclass
class Campaign:
    out: Path
    keep: int
    fuzzer: Fuzzer = field(default_factory=Fuzzer)
    count: int = 0
    failures: int = 0
    forms: Counter = field(default_factory=Counter)
    exit_codes: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    saved: dict[str, list[str]] = field(default_factory=dict)
    slowest: tuple[float, str] = (0.0, "")
    hungriest: tuple[int, str] = (0, "")

    def check(self, fuzz_input: FuzzInput) -> None:
        (self.out / "current.txt").write_text(fuzz_input.description + "\n", encoding="utf-8")
        with tempfile.TemporaryDirectory(prefix="d365lint-fuzz-") as work:
            faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
            try:
                outcome = self.fuzzer.run(fuzz_input, Path(work))
            finally:
                faulthandler.cancel_dump_traceback_later()
        self.count += 1
        self.forms[fuzz_input.description.split(" ", 1)[0]] += 1
        self.exit_codes[outcome.exit_code] += 1
        self.slowest = max(self.slowest, (outcome.cpu_seconds, fuzz_input.description))
        self.hungriest = max(self.hungriest, (outcome.memory_growth, fuzz_input.description))
        if outcome.problems:
            self.record(fuzz_input, outcome)
        if self.count % 1000 == 0:
            print(f"  {self.count} inputs, {self.failures} failing", flush=True)

    def record(self, fuzz_input: FuzzInput, outcome: Outcome) -> None:
        """Count the failure under each distinct problem it shows; save it while a problem has few examples."""
        self.failures += 1
        kinds = sorted({signature(problem) for problem in outcome.problems})
        self.kinds.update(kinds)
        wanted = [kind for kind in kinds if len(self.saved.setdefault(kind, [])) < self.keep]
        if not wanted:
            return
        folder = self.out / f"failure-{self.failures:05d}"
        fuzz_input.write(folder / "input")
        checked = " ".join(str(folder / "input" / name) for name in fuzz_input.checked)
        (folder / "README.txt").write_text(
            f"{fuzz_input.description}\n\nreproduce: .venv/bin/d365lint check {checked} --format json --no-cache\n\n"
            + "\n\n".join(outcome.problems) + "\n",
            encoding="utf-8",
        )
        for kind in wanted:
            self.saved[kind].append(f"{folder}: {fuzz_input.description}")


def run(campaign: Campaign, count: int, seed: int) -> None:
    """Check ``count`` inputs; a hypothesis run that yields fewer goes on with the next seed."""
    rounds = 0
    while campaign.count < count:
        remaining = count - campaign.count

        @hypothesis_seed(seed + rounds)
        @settings(max_examples=remaining, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(fuzz_inputs())
        def one(fuzz_input: FuzzInput) -> None:
            campaign.check(fuzz_input)

        one()
        rounds += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="inputs to check (default: 10000)")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed; the same seed checks the same inputs")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "fuzz", help="where failing inputs are saved")
    parser.add_argument("--keep", type=int, default=3, help="failing inputs saved per distinct problem")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    campaign = Campaign(arguments.out, arguments.keep)
    print(f"d365lint fuzz campaign: {arguments.count} inputs, seed {arguments.seed}, failures saved in {arguments.out}", flush=True)
    started = time.perf_counter()
    run(campaign, arguments.count, arguments.seed)
    seconds = time.perf_counter() - started
    print(f"inputs checked: {campaign.count} ({', '.join(f'{n} {form}' for form, n in sorted(campaign.forms.items()))})")
    print(f"exit codes: {', '.join(f'{code}: {n}' for code, n in sorted(campaign.exit_codes.items(), key=str))}")
    print(f"failing inputs: {campaign.failures}")
    for kind, n in campaign.kinds.most_common():
        print(f"  {n} x {kind}")
        for example in campaign.saved[kind]:
            print(f"      {example[:300]}")
    print(f"time: {seconds:.0f} s ({1000 * seconds / max(campaign.count, 1):.0f} ms per input)")
    print(f"slowest input: {campaign.slowest[0]:.2f} s CPU ({campaign.slowest[1][:200]})")
    print(f"largest peak-memory rise of one input: {campaign.hungriest[0] / 2**20:.0f} MB ({campaign.hungriest[1][:200]})")
    print(f"peak memory of the campaign process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print("result:", "PASS" if campaign.failures == 0 else "FAIL")
    sys.exit(1 if campaign.failures else 0)


if __name__ == "__main__":
    main()
