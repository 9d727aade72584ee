"""Speed and scale of d365lint on generated solutions of S, M and L size, in one run.

    .venv/bin/python benchmarks/run.py [--sizes S,M,L] [--work DIR] [--seed 1] [--jobs N]
                                       [--repeat 1] [--no-eslint] [--no-secrets]

Generates the solutions with benchmarks/generate.py (kept in --work and
reused while size and seed are unchanged), then prints, each figure with the
command that produced it:

1. the parse floor — a process that reads every file of the unpacked
   solution and parses it with d365lint's parsers (lxml, tree-sitter) and
   nothing else — against ``d365lint check`` of the same tree, and their ratio;
2. the time of each size and the time per megabyte;
3. ``--jobs 1`` against ``--jobs 2`` and ``--jobs N`` (default: the cores)
   on M, the speed-up, this machine's own ceiling for it (a CPU-bound loop in
   two processes against one), and whether the findings are identical, in
   the same order, for every number of jobs;
4. the peak resident memory of a one-process run on L, unpacked and zipped;
5. pre-commit latency: ``d365lint check`` of one changed script and of one
   changed form XML inside the largest unpacked solution, as the hook runs
   it, with a cold and a warm cache;
6. ESLint with Microsoft's Power Apps plug-in on the same scripts, and
   detect-secrets on the same tree, as ratios to d365lint.

Times are wall-clock times of whole processes (start-up included), the
median of --repeat runs; the commands a ratio compares run in turn, round
after round. ESLint is installed with npm into --work once
(needs node and npm); detect-secrets must be installed (pip install
detect-secrets).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (a sibling script)

PYTHON = sys.executable
K = TypeVar("K")
SCRIPT_SUFFIXES = (".js", ".ts")
# Processes run as an installed d365lint does: with compiled bytecode (kept out of the repository).
_ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
_ENVIRONMENT["PYTHONPYCACHEPREFIX"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / "d365lint-bench-pycache")


@dataclass(frozen=True)
class Run:
    """One timed process."""

    command: list[str]
    seconds: float
    peak_mb: float
    output: str


def timed(command: list[str], cwd: Path, repeat: int = 1, env: dict[str, str] | None = None) -> Run:
    """Run ``command`` ``repeat`` times; the median wall time and the largest peak RSS of the process."""
    seconds, peaks, output = [], [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env={**_ENVIRONMENT, **(env or {})})
        out, err = process.communicate()
        seconds.append(time.perf_counter() - started)
        usage = _peak_of_children()
        peaks.append(usage)
        if process.returncode not in (0, 1):
            sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{err.decode()[-3000:]}")
        output = out.decode("utf-8", "replace")
    return Run(command, statistics.median(seconds), max(peaks), output)


def _peak_of_children() -> float:
    """Peak RSS in MB of the largest process this one has waited for (Linux reports kilobytes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measured(command: list[str], cwd: Path) -> Run:
    """One run in a fresh wrapper process, so that its peak RSS is its own and not an earlier, larger run's."""
    wrapper = [PYTHON, str(Path(__file__)), "--measure", "--", *command]
    run = timed(wrapper, cwd)
    seconds, peak, output = run.output.split("\n", 2)
    return Run(command, float(seconds), float(peak), output)


def _measure_child(command: list[str]) -> int:
    run = timed(command, Path.cwd())
    sys.stdout.write(f"{run.seconds}\n{run.peak_mb}\n{run.output}")
    return 0


def show(label: str, value: str, command: list[str] | str) -> None:
    shown = command if isinstance(command, str) else " ".join(_short(part) for part in command)
    print(f"  {label:<44} {value:>18}   $ {shown}")


def _short(part: str) -> str:
    return part.replace(str(ROOT) + "/", "").replace(PYTHON, "python")


# ---------------------------------------------------------------------------
# The parse floor: read and parse every artifact, nothing else


def floor(path: Path) -> int:
    """Read every file below ``path`` and parse it as d365lint would: XML with lxml, scripts with tree-sitter."""
    from d365lint.model import Language, Location, SourceFile
    from d365lint.parsing.html import script_blocks
    from d365lint.parsing.treesitter import parse_source
    from d365lint.parsing.xml import parse_xml

    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        data = file.read_bytes()
        suffix = file.suffix.lower()
        if suffix == ".xml":
            parse_xml(data, Location(str(file)))
        elif suffix in (".js", ".ts"):
            language = Language.TYPESCRIPT if suffix == ".ts" else Language.JAVASCRIPT
            parse_source(SourceFile(language, data.decode("utf-8"), Location(str(file))))
        elif suffix in (".html", ".htm"):
            for block in script_blocks(SourceFile(Language.HTML, data.decode("utf-8"), Location(str(file)))):
                parse_source(block)
        elif suffix == ".json":
            json.loads(data)
    return 0


# ---------------------------------------------------------------------------
# The measurements


def d365lint(*arguments: str) -> list[str]:
    """A check as a user runs it; full runs pass --no-cache so that they read every file, as a first run does."""
    return [PYTHON, "-m", "d365lint", "check", *arguments, "--format", "json", "--fail-on", "never"]


def findings(run: Run) -> list[tuple[object, ...]]:
    return [
        (f["rule"], f["path"], f.get("member"), f["line"], f["column"], f["message"], f["fingerprint"])
        for f in json.loads(run.output)["findings"]
    ]


def solution(work: Path, size: str, seed: int) -> tuple[Path, dict[str, object]]:
    """The generated solution of ``size`` in ``work``, generated unless it is already there with this seed."""
    megabytes = generate.megabytes_of(size)
    out = work / size
    planted = out / "planted.json"
    if planted.is_file():
        summary = json.loads(planted.read_text(encoding="utf-8"))
        if summary.get("seed") == seed and summary.get("megabytes_requested") == megabytes:
            return out, summary
    print(f"generating {size} ({megabytes:g} MB) into {out} …", flush=True)
    return out, generate.generate(megabytes, out, seed)


def warm_up(work: Path, size: str, seed: int) -> None:
    """One untimed run of each process, so that no timing includes compiling d365lint to bytecode."""
    out, _ = solution(work, size, seed)
    timed([PYTHON, str(Path(__file__)), "--floor", "unpacked"], out)
    timed(d365lint("unpacked", "--no-cache"), out)


def parse_floor_and_scaling(work: Path, sizes: list[str], seed: int, jobs: int, repeat: int) -> dict[str, float]:
    print("\n1-2. parse floor, full check, scaling (unpacked solution; wall time of the process)")
    per_mb = {}
    for size in sizes:
        out, summary = solution(work, size, seed)
        megabytes = int(summary["unpacked_bytes"]) / 1e6
        runs = interleaved({
            "floor": [PYTHON, str(Path(__file__)), "--floor", "unpacked"],
            "full": d365lint("unpacked", "--no-cache", "--jobs", str(jobs)),
            "one": d365lint("unpacked", "--no-cache", "--jobs", "1"),
        }, out, repeat)
        floor_run, full, one = runs["floor"], runs["full"], runs["one"]
        print(f" {size}: {megabytes:.1f} MB of XML and scripts, {summary['composition']['tables']} tables")
        show("parse floor", f"{floor_run.seconds:.2f} s", floor_run.command)
        show(f"d365lint check, {jobs} jobs", f"{full.seconds:.2f} s", full.command)
        show("d365lint check, 1 job", f"{one.seconds:.2f} s", one.command)
        show(f"ratio full / floor ({jobs} jobs)", f"{full.seconds / floor_run.seconds:.2f} x", "(target <= 1.5 on M and L)")
        show("ratio full / floor (1 job)", f"{one.seconds / floor_run.seconds:.2f} x", "")
        show(f"time per MB ({jobs} jobs / 1 job)", f"{full.seconds / megabytes * 1000:.0f} / {one.seconds / megabytes * 1000:.0f} ms", "")
        per_mb[size] = full.seconds / megabytes
        _check_planted(full, summary)
    if len(per_mb) > 1:
        sizes_in_order = list(per_mb)
        trend = per_mb[sizes_in_order[-1]] / per_mb[sizes_in_order[0]]
        show(f"time per MB, {sizes_in_order[-1]} / {sizes_in_order[0]}", f"{trend:.2f} x", "(must not grow: <= 1)")
    return per_mb


def interleaved(commands: dict[K, list[str]], cwd: Path, repeat: int, rounds: list[dict[K, Run]] | None = None) -> dict[K, Run]:
    """Each command run once a round, ``repeat`` rounds; the median wall time of each, its largest peak and last output.

    Ratios compare these medians: on a machine whose speed drifts, a slow
    spell hits every command of a round alike, where runs one after the
    other (all of one command, then all of the next) would each meet a
    different spell. ``rounds`` collects every round's runs for the caller.
    """
    done = rounds if rounds is not None else []
    for _ in range(repeat):
        done.append({name: timed(command, cwd) for name, command in commands.items()})
    return {
        name: Run(command, statistics.median(r[name].seconds for r in done), max(r[name].peak_mb for r in done), done[-1][name].output)
        for name, command in commands.items()
    }


def _check_planted(run: Run, summary: dict[str, object]) -> None:
    """The planted anti-patterns must all be found, once each."""
    counts: dict[str, int] = {}
    for rule, *_ in findings(run):
        counts[str(rule)] = counts.get(str(rule), 0) + 1
    planted = dict(summary["planted"])  # type: ignore[arg-type]
    missing = {rule: (count, counts.get(rule, 0)) for rule, count in planted.items() if counts.get(rule, 0) != count}
    show("planted anti-patterns found", "all" if not missing else f"{len(missing)} rules differ", "")
    for rule, (want, got) in sorted(missing.items()):
        print(f"      {rule}: planted {want}, found {got}")


def parallelism(work: Path, size: str, seed: int, jobs: int, repeat: int) -> None:
    print(f"\n3. parallelism on {size} (unpacked; runs of each job count interleaved, so that a slow spell of the machine hits all alike)")
    out, _ = solution(work, size, seed)
    counts = sorted({1, 2, jobs})
    rounds: list[dict[int, Run]] = []
    runs = interleaved({n: d365lint("unpacked", "--no-cache", "--jobs", str(n)) for n in counts}, out, repeat, rounds)
    for n, run in runs.items():
        show(f"--jobs {n}", f"{run.seconds:.2f} s", run.command)
    show("speed-up, 2 jobs over 1", f"{runs[1].seconds / runs[2].seconds:.2f} x", "(target >= 1.6 on 2 cores)")
    if jobs > 2:
        show(f"speed-up, {jobs} jobs over 1", f"{runs[1].seconds / runs[jobs].seconds:.2f} x", "")
    show("this machine's ceiling, 2 processes over 1", f"{_ceiling(repeat):.2f} x",
         "(the same CPU-bound Python loop: twice in one process, once in each of two)")
    reference = findings(runs[1])
    same = all(findings(run) == reference for round_ in rounds for run in round_.values())
    show("same findings, same order, any jobs", f"{'yes' if same else 'NO'} ({len(reference)})", f"jobs {counts}")


_SPIN = "n = 0\nfor i in range({count}): n += i * i"
_SPIN_COUNT = 20_000_000
"""About a second of one core: long beside a process's start, short beside the benchmark."""


def _ceiling(repeat: int) -> float:
    """The speed-up two processes get over one on this machine for work that shares nothing.

    A virtual machine's second core may be a hyperthread, or shared with other
    machines: no program gets more from it than this loop does.
    """
    ratios = []
    for _ in range(repeat):
        one = _wall([[PYTHON, "-c", _SPIN.format(count=2 * _SPIN_COUNT)]])
        two = _wall([[PYTHON, "-c", _SPIN.format(count=_SPIN_COUNT)]] * 2)
        ratios.append(one / two)
    return statistics.median(ratios)


def _wall(commands: list[list[str]]) -> float:
    """Seconds from starting ``commands`` side by side to the end of the last."""
    started = time.perf_counter()
    for process in [subprocess.Popen(command) for command in commands]:
        process.wait()
    return time.perf_counter() - started


def memory(work: Path, size: str, seed: int) -> None:
    print(f"\n4. peak memory on {size} (one process: --jobs 1)")
    out, _ = solution(work, size, seed)
    for target in ("unpacked", f"{generate.UNIQUE_NAME}.zip"):
        run = measured(d365lint(target, "--no-cache", "--jobs", "1"), out)
        show(f"peak RSS, {target}", f"{run.peak_mb:.0f} MB", run.command)
    show("target", "<= 500 MB", "")


def precommit(work: Path, size: str, seed: int, repeat: int) -> None:
    print(f"\n5. pre-commit latency in {size} (unpacked; one changed file, as the hook passes it)")
    out, _ = solution(work, size, seed)
    script = sorted((out / "unpacked" / "WebResources").rglob("*.form.js"))[0]
    form = sorted((out / "unpacked" / "Entities").rglob("FormXml/main/*.xml"))[0]
    for label, path, target in (("script", script, 0.3), ("form XML", form, 1.0)):
        relative = str(path.relative_to(out))
        original = path.read_bytes()
        try:
            cold = timed(d365lint(relative), out, 1, env={"XDG_CACHE_HOME": str(work / "cache-cold")})
            shutil.rmtree(work / "cache-cold", ignore_errors=True)
            path.write_bytes(original + b"\n")  # the change being committed
            timed(d365lint(relative), out, 1, env={"XDG_CACHE_HOME": str(work / "cache")})
            path.write_bytes(original + b"\n\n")  # and the next one, with the cache warm
            warm = timed(d365lint(relative), out, repeat, env={"XDG_CACHE_HOME": str(work / "cache")})
            uncached = timed(d365lint(relative, "--no-cache"), out, 1)
        finally:
            path.write_bytes(original)
        show(f"{label}, no cache", f"{uncached.seconds:.2f} s", uncached.command)
        show(f"{label}, cache cold", f"{cold.seconds:.2f} s", cold.command)
        show(f"{label}, cache warm (file changed)", f"{warm.seconds:.2f} s", warm.command)
        show("target", f"<= {target} s", "")


def comparisons(work: Path, size: str, seed: int, repeat: int, eslint: bool, secrets: bool) -> None:
    print(f"\n6. other tools on {size} (unpacked)")
    if not (eslint or secrets):
        print("  skipped")
        return
    out, _ = solution(work, size, seed)
    scripts = out / "scripts-only"
    if not scripts.is_dir():
        for path in (out / "unpacked" / "WebResources").rglob("*"):
            if path.suffix in SCRIPT_SUFFIXES:
                target = scripts / path.relative_to(out / "unpacked" / "WebResources")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
    ours_scripts = timed(d365lint("scripts-only", "--no-cache", "--select", "web"), out, repeat)
    ours_tree = timed(d365lint("unpacked", "--no-cache"), out, repeat)
    ours_secrets = timed(d365lint("unpacked", "--no-cache", "--select", "sec-hardcoded-credential"), out, repeat)
    if eslint:
        folder = _eslint(work)
        if folder is not None:
            command = ["node", str(folder / "node_modules" / "eslint" / "bin" / "eslint.js"), "--format", "json",
                       "--no-warn-ignored", "--config", str(folder / "eslint.config.mjs"), scripts.name]
            theirs = timed(command, out, repeat)  # run beside the scripts: ESLint 9 ignores files outside its working folder
            show("ESLint + @microsoft/eslint-plugin-power-apps", f"{theirs.seconds:.2f} s", command)
            show("d365lint --select web, same scripts", f"{ours_scripts.seconds:.2f} s", ours_scripts.command)
            show("ratio d365lint / ESLint", f"{ours_scripts.seconds / theirs.seconds:.2f} x", "")
    if secrets:
        detect = shutil.which("detect-secrets", path=str(Path(PYTHON).parent)) or shutil.which("detect-secrets")
        if detect is None:
            print("  detect-secrets is not installed (pip install detect-secrets): skipped")
        else:
            command = [detect, "scan", "--all-files", "unpacked"]
            theirs = timed(command, out, repeat)
            show("detect-secrets scan", f"{theirs.seconds:.2f} s", command)
            show("d365lint check (every rule), same tree", f"{ours_tree.seconds:.2f} s", ours_tree.command)
            show("d365lint --select sec-hardcoded-credential", f"{ours_secrets.seconds:.2f} s", ours_secrets.command)
            show("ratio d365lint (every rule) / detect-secrets", f"{ours_tree.seconds / theirs.seconds:.2f} x", "")
            show("ratio d365lint (credentials) / detect-secrets", f"{ours_secrets.seconds / theirs.seconds:.2f} x", "")


def _eslint(work: Path) -> Path | None:
    """ESLint with the plug-ins in ``work/eslint``, installed once with benchmarks/eslint_parity.py's installer."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        print("  node and npm are needed for ESLint: skipped")
        return None
    import eslint_parity

    folder = work / "eslint"
    if not (folder / "node_modules" / "eslint").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"  installing {', '.join(eslint_parity.PACKAGES)} into {folder} …", flush=True)
        eslint_parity.install(folder)
    eslint_parity.write_eslint_config(folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--floor"]:
        return floor(Path(argv[1]))
    if argv[:2] == ["--measure", "--"]:
        return _measure_child(argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,M,L", help="sizes to generate and time (S, M, L or megabytes), smallest first")
    parser.add_argument("--work", type=Path, default=Path("/tmp/d365lint-bench"), help="folder for the solutions and tools")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=0, help="jobs of the parallel runs (default: the cores)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per timing; the median is shown")
    parser.add_argument("--no-eslint", action="store_true", help="skip ESLint")
    parser.add_argument("--no-secrets", action="store_true", help="skip detect-secrets")
    args = parser.parse_args(argv)
    from d365lint.engine.work import default_jobs

    jobs = args.jobs or default_jobs()
    sizes = [size.strip() for size in args.sizes.split(",") if size.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"d365lint benchmarks: sizes {', '.join(sizes)}, seed {args.seed}, {default_jobs()} cores, work folder {args.work}")
    middle, largest = sizes[len(sizes) // 2] if len(sizes) > 2 else sizes[-1], sizes[-1]
    warm_up(args.work, sizes[0], args.seed)
    parse_floor_and_scaling(args.work, sizes, args.seed, jobs, args.repeat)
    parallelism(args.work, middle, args.seed, jobs, args.repeat)
    memory(args.work, largest, args.seed)
    precommit(args.work, largest, args.seed, args.repeat)
    comparisons(args.work, middle, args.seed, args.repeat, not args.no_eslint, not args.no_secrets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
