"""The command line: ``d365lint check | gate | config | docs | rules | explain``.

Exit codes: 0 when no counted finding reaches the fail threshold, 1 when one
does, 2 for a usage error, a bad configuration or an input that could not
be analysed.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import click

from d365lint import __version__
from d365lint.config import FAIL_ON, Config, ConfigError, find_config, load_config, render_effective, run_settings
from d365lint.engine import baseline as baselines
from d365lint.engine.baseline import Baseline, BaselineError
from d365lint.engine.run import Report, analyse, select_rules
from d365lint.engine.work import collections_read, default_jobs, processes
from d365lint.loading.archive import ArchiveLimits
from d365lint.loading.cache import default_folder as default_cache_folder
from d365lint.loading.discover import InputError, load
from d365lint.model import Workspace
from d365lint.reporting import json_report, text
from d365lint.reporting.progress import TerminalProgress
from d365lint.rules.base import Rule, Severity
from d365lint.rules.registry import ExtensionError, RuleSet, load_rules

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_TOOL_ERROR = 2

FORMATS = ("text", "json", "sarif", "github", "azure")
GATE_FORMATS = ("text", "github", "azure")


def exit_code(report: Report, fail_on: str) -> int:
    """2 for input problems, else 1 when a counted finding reaches ``fail_on``."""
    if report.has_tool_errors:
        return EXIT_TOOL_ERROR
    if fail_on == "never":
        return EXIT_OK
    threshold = Severity.parse(fail_on)
    return EXIT_FINDINGS if any(result.level >= threshold for result in report.counted) else EXIT_OK


def _rules_or_exit(cache_folder: Path | None = None) -> RuleSet:
    try:
        return load_rules(cache_folder=cache_folder)
    except ExtensionError as error:
        raise click.ClickException(str(error)) from error


def _config_or_exit(config_file: str | None, paths: Sequence[str], ruleset: RuleSet) -> Config:
    try:
        found = Path(config_file) if config_file else find_config(paths)
        return load_config(found, ruleset)
    except ConfigError as error:
        raise click.ClickException(str(error)) from error


def _split(values: Sequence[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _selected(ruleset: RuleSet, config: Config, select: Sequence[str], ignore: Sequence[str]) -> tuple[Rule, ...]:
    """Rules to run: ``--select`` replaces the configured selection, ``--ignore`` adds to it."""
    return select_rules(ruleset.rules, _split(select) or list(config.select), [*config.ignore, *_split(ignore)])


def _write(path: str, content: str) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(content, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"{path}: cannot write: {error.strerror or error}") from error


def _colour(color: bool | None) -> bool:
    """Colours on a terminal only, unless asked; NO_COLOR (no-color.org) turns them off."""
    if color is not None:
        return color
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def render_report(report: Report, output_format: str, *, include_suppressed: bool, category: str | None, colour: bool) -> str:
    """The report in one format, as text that can be written as UTF-8 (see :func:`_writable`)."""
    return _writable(_render(report, output_format, include_suppressed=include_suppressed, category=category, colour=colour))


def _writable(rendered: str) -> str:
    """``rendered`` with lone surrogates replaced by U+FFFD.

    A file name that is not UTF-8 reaches reports as surrogate escapes
    (PEP 383), which no UTF-8 writer accepts: writing the report raised
    UnicodeEncodeError (found by tests/test_hostile_input.py).
    """
    return rendered.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _render(report: Report, output_format: str, *, include_suppressed: bool, category: str | None, colour: bool) -> str:
    """The report in one format (SARIF and annotation writers are imported when asked for: sarif-om takes 40 ms)."""
    if output_format == "json":
        return json_report.render(report, include_suppressed=include_suppressed)
    if output_format == "sarif":
        from d365lint.reporting import sarif

        return sarif.render(report, include_suppressed=include_suppressed, category=category)
    if output_format in ("github", "azure"):
        from d365lint.reporting import annotations

        shown = [r for r in report.results if include_suppressed or r.counts]
        items = [*map(annotations.from_result, shown), *map(annotations.from_diagnostic, report.diagnostics)]
        return annotations.render(items, output_format, text.summary(report, shown))
    return text.render(report, colour=colour, include_suppressed=include_suppressed)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="d365lint")
def cli() -> None:
    """Static analysis for Dynamics 365 / Dataverse solutions, offline."""


_config_option = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), help="Configuration file (default: the nearest .d365lint.toml or pyproject.toml with [tool.d365lint])."
)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to this file instead of stdout.")
@click.option("--output-sarif", type=click.Path(dir_okay=False), help="Also write SARIF 2.1.0 to this file.")
@click.option("--output-json", type=click.Path(dir_okay=False), help="Also write the JSON report to this file.")
@_config_option
@click.option("--select", multiple=True, help="Rule ids or id prefixes to run (comma-separated or repeated); replaces the configured selection.")
@click.option("--ignore", multiple=True, help="Rule ids or id prefixes to skip, besides the configured ones.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None, help="Lowest level that fails the run  [default: configured, else warning]")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), help="Report only findings not in this baseline.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), help="Record every current finding in this baseline file.")
@click.option("--include-suppressed", is_flag=True, help="Also report suppressed and baselined results (SARIF: with suppressions and baselineState).")
@click.option("--category", help="SARIF automationDetails.id, to upload several analyses side by side.")
@click.option("--color/--no-color", default=None, help="Colour the text report (default: when writing to a terminal).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None,
              help="Processes for a large input (0: one per core)  [default: configured, else 0]")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Where parsed solution files are kept between runs  [default: $XDG_CACHE_HOME/d365lint]")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache of parsed solution files.")
def check(
    paths: tuple[str, ...],
    output_format: str,
    output: str | None,
    output_sarif: str | None,
    output_json: str | None,
    config_file: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    baseline_file: str | None,
    write_baseline: str | None,
    include_suppressed: bool,
    category: str | None,
    color: bool | None,
    jobs: int | None,
    cache_dir: str | None,
    no_cache: bool,
) -> None:
    """Analyse solution zips, solution folders, repositories or single files."""
    started = time.perf_counter()
    cache_folder = None if no_cache else Path(cache_dir) if cache_dir else default_cache_folder()
    ruleset = _rules_or_exit(cache_folder)
    config = _config_or_exit(config_file, paths, ruleset)
    rules = _selected(ruleset, config, select, ignore)
    settings = run_settings(config, ruleset)
    baseline_path = baseline_file or (str(config.baseline) if config.baseline else None)
    requested_jobs = config.jobs if jobs is None else jobs
    try:
        if baseline_path and not write_baseline:
            settings = dataclasses.replace(settings, baseline=baselines.read_baseline(baseline_path))
        workspace = _load_kept(paths, cache_folder, config.limits, requested_jobs or default_jobs(), rules)
    except BaselineError as error:
        raise click.ClickException(str(error)) from error
    except InputError as error:
        raise click.UsageError(str(error)) from error
    progress = TerminalProgress.for_stream(sys.stderr)
    _collect_rarely()
    try:
        report = analyse(workspace, rules, settings, progress, jobs=processes(workspace, requested_jobs))
    finally:
        progress.finish()
    report = report._replace(seconds=time.perf_counter() - started)  # what the user waited: loading too
    if write_baseline:
        report = _with_new_baseline(report, write_baseline)
    options = {"include_suppressed": include_suppressed, "category": category}
    for extra_format, extra_path in (("sarif", output_sarif), ("json", output_json)):
        if extra_path:
            _write(extra_path, render_report(report, extra_format, colour=False, **options))
    colour = output is None and _colour(color)
    rendered = render_report(report, output_format, colour=colour, **options)
    if output:
        _write(output, rendered)
    else:
        click.echo(rendered, nl=False, color=colour)  # click would strip the colours asked for off a pipe
    sys.exit(exit_code(report, fail_on or config.fail_on))


def _load_kept(
    paths: Sequence[str], cache_folder: Path | None, limits: ArchiveLimits, jobs: int, rules: Sequence[Rule]
) -> Workspace:
    """The workspace, loaded without pauses for garbage collection, and kept out of later collections.

    Loading creates hundreds of thousands of model objects that all live
    until the run ends; the collector would scan them again and again while
    they are made and while the rules run, for nothing (a fifth of a
    pre-commit run on a large solution). Frozen, they also stay shared
    with forked workers instead of being copied when a collection touches them.
    """
    gc.disable()
    try:
        return load(paths, cache_folder=cache_folder, limits=limits, jobs=jobs, reads=functools.partial(collections_read, rules))
    finally:
        gc.freeze()
        gc.enable()
        click.get_current_context().call_on_close(gc.unfreeze)  # for this run only: main() called in a longer-lived process must not keep them forever


_RUN_GC_THRESHOLDS = (10_000, 10, 10)
"""A young collection every 10,000 allocations instead of 700; the older generations at their default ratios."""


def _collect_rarely() -> None:
    """Run the cyclic garbage collector less often while the rules run.

    The rules' own objects form no cycles (parses and their facts are freed
    by reference counting as the engine drops them), so a collection mostly
    scans the parses kept for reuse and finds nothing. On the 212 MB
    benchmark solution, the default thresholds spent 2.5 s of a 24 s run in
    3,600 collections, 20 of them full; these spend 0.65 s in 172. Cycles that
    libraries make (the assembly reader, ``ast.literal_eval``) are still
    collected: on a repository of 6,600 C# files and 11,000 scripts, peak
    memory grew by 6 MB (much rarer collections, 200,000 allocations apart
    as mypy sets them, grew it by 24 MB there).
    """
    previous = gc.get_threshold()
    gc.set_threshold(*_RUN_GC_THRESHOLDS)
    click.get_current_context().call_on_close(lambda: gc.set_threshold(*previous))


def _with_new_baseline(report: Report, path: str) -> Report:
    """Write every counted result to the baseline at ``path``; they are now all unchanged."""
    baseline = _write_baseline(path, [baselines.result_entry(result) for result in report.counted])
    return report._replace(results=tuple(baselines.apply_baseline(report.results, baseline)))


def _write_baseline(path: str, entries: list[baselines.BaselineEntry]) -> Baseline:
    try:
        written = baselines.write_baseline(path, entries)
    except BaselineError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"d365lint: wrote {len(entries)} findings to the baseline {path}", err=True)
    return written


@cli.command(name="gate")
@click.argument("sarif_files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="warning", show_default=True)
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), help="Count only results not in this baseline.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), help="Record every current result in this baseline file.")
@click.option("--format", "output_format", type=click.Choice(GATE_FORMATS), default="text", show_default=True)
def gate_command(sarif_files: tuple[str, ...], fail_on: str, baseline_file: str | None, write_baseline: str | None, output_format: str) -> None:
    """Decide on SARIF written earlier (d365lint, pac solution check, any SARIF tool)."""
    from d365lint.gate import GateError, baseline_entries, failing, gate, render_text, summary
    from d365lint.reporting import annotations

    logs = [Path(name) for name in sarif_files]
    try:
        if write_baseline:
            report = gate(logs, _write_baseline(write_baseline, baseline_entries(gate(logs))))
        else:
            report = gate(logs, baselines.read_baseline(baseline_file) if baseline_file else None)
    except (GateError, BaselineError) as error:
        raise click.ClickException(str(error)) from error
    if output_format == "text":
        click.echo(render_text(report, fail_on), nl=False)
    else:
        click.echo(annotations.render([r.annotation for r in report.counted], output_format, summary(report, fail_on)), nl=False)
    sys.exit(EXIT_FINDINGS if failing(report, fail_on) else EXIT_OK)


@cli.command(name="config")
@click.argument("paths", nargs=-1, type=click.Path())
@_config_option
def show_config(paths: tuple[str, ...], config_file: str | None) -> None:
    """Print the effective configuration for PATHS (default: the current folder)."""
    ruleset = _rules_or_exit()
    config = _config_or_exit(config_file, paths, ruleset)
    click.echo(render_effective(config, ruleset, _selected(ruleset, config, (), ())), nl=False)


@cli.command(name="docs")
@click.option("--output", type=click.Path(file_okay=False), default="docs/rules", show_default=True, help="Folder of the rule pages.")
@click.option("--readme", type=click.Path(dir_okay=False), default="README.md", show_default=True, help="README whose rule table to update (between the rules-table markers).")
@click.option("--check", "check_only", is_flag=True, help="Change nothing; exit 1 when the generated docs are stale.")
def docs(output: str, readme: str, check_only: bool) -> None:
    """Generate docs/rules/<id>.md, their index and the README rule table from the rules' metadata."""
    from d365lint.reporting import rule_docs

    try:
        ruleset = load_rules(extensions=False)
    except ExtensionError as error:
        raise click.ClickException(str(error)) from error
    folder = Path(output)
    files = rule_docs.planned(ruleset.rules, folder, Path(readme))
    if check_only:
        problems = rule_docs.stale(files, folder)
        for problem in problems:
            click.echo(problem)
        if problems:
            click.echo(f"Rule docs are stale; regenerate them with: {rule_docs.REGENERATE}", err=True)
        sys.exit(EXIT_FINDINGS if problems else EXIT_OK)
    touched = rule_docs.write(files, folder)
    click.echo(f"{len(ruleset.rules)} rules; {len(touched)} file{'s' if len(touched) != 1 else ''} updated.")


@cli.command(name="rules")
def list_rules() -> None:
    """List every rule: id, default severity and summary."""
    ruleset = _rules_or_exit()
    width = max(len(rule.id) for rule in ruleset.rules)
    for rule in ruleset.rules:
        click.echo(f"{rule.id:<{width}}  {rule.severity.label:<7}  {rule.summary}")


@cli.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Print a rule's full help."""
    rule = _rules_or_exit().get(rule_id)
    if rule is None:
        raise click.UsageError(f"unknown rule {rule_id!r}; 'd365lint rules' lists them")
    click.echo(f"# {rule.id} ({rule.name})\n")
    click.echo(f"Severity: {rule.severity.label}" + (f", security-severity {rule.security_severity:.1f}" if rule.is_security else ""))
    click.echo(f"Tags: {', '.join(rule.tags)}\n")
    click.echo(f"{rule.summary}\n")
    click.echo(rule.help.rstrip())
    click.echo(f"\nMore: {rule.help_uri}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv``; return the exit code instead of exiting."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="d365lint", standalone_mode=False)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_TOOL_ERROR
    except click.ClickException as error:
        error.show()
        return EXIT_TOOL_ERROR
    return EXIT_OK


def entry_point() -> None:
    sys.exit(main())
