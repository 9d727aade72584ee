"""The command line: ``d365lint check | rules | explain``.

Exit codes: 0 when no counted finding reaches the fail threshold, 1 when one
does, 2 for a usage error or an input that could not be analysed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from d365lint import __version__
from d365lint.engine.run import Report, analyse, select_rules
from d365lint.loading.discover import InputError, load
from d365lint.reporting import json_report, sarif, text
from d365lint.rules.base import Severity
from d365lint.rules.registry import ExtensionError, RuleSet, load_rules

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_TOOL_ERROR = 2

FORMATS = ("text", "json", "sarif")
FAIL_ON = ("error", "warning", "note", "never")


def exit_code(report: Report, fail_on: str) -> int:
    """2 for input problems, else 1 when a counted finding reaches ``fail_on``."""
    if report.has_tool_errors:
        return EXIT_TOOL_ERROR
    if fail_on == "never":
        return EXIT_OK
    threshold = Severity.parse(fail_on)
    return EXIT_FINDINGS if any(result.level >= threshold for result in report.counted) else EXIT_OK


def _rules_or_exit() -> RuleSet:
    try:
        return load_rules()
    except ExtensionError as error:
        raise click.ClickException(str(error)) from error


def _split(values: Sequence[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="d365lint")
def cli() -> None:
    """Static analysis for Dynamics 365 / Dataverse solutions, offline."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to this file.")
@click.option("--select", multiple=True, help="Rule ids or id prefixes to run (comma-separated or repeated).")
@click.option("--ignore", multiple=True, help="Rule ids or id prefixes to skip.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="warning", show_default=True)
@click.option("--include-suppressed", is_flag=True, help="Also report suppressed and baselined results.")
@click.option("--category", help="SARIF automationDetails.id, to upload several analyses side by side.")
@click.option("--color/--no-color", default=None, help="Colour the text report (default: when writing to a terminal).")
def check(
    paths: tuple[str, ...],
    output_format: str,
    output: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str,
    include_suppressed: bool,
    category: str | None,
    color: bool | None,
) -> None:
    """Analyse solution zips, solution folders, repositories or single files."""
    rules = select_rules(_rules_or_exit().rules, _split(select), _split(ignore))
    try:
        workspace = load(paths)
    except InputError as error:
        raise click.UsageError(str(error)) from error
    report = analyse(workspace, rules)
    to_terminal = output is None and sys.stdout.isatty()
    if output_format == "json":
        rendered = json_report.render(report, include_suppressed=include_suppressed)
    elif output_format == "sarif":
        rendered = sarif.render(report, include_suppressed=include_suppressed, category=category)
    else:
        rendered = text.render(report, colour=to_terminal if color is None else color, include_suppressed=include_suppressed)
    if output:
        Path(output).write_text(rendered, encoding="utf-8")
    else:
        click.echo(rendered, nl=False)
    sys.exit(exit_code(report, fail_on))


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
