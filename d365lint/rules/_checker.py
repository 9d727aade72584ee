"""What the solution checker rule families share: help text layout and rule metadata.

Every rule that carries one of Microsoft's solution checker ids tells the
reader which checker rule it is and links Microsoft's guidance; the web,
metadata, plug-in and connector families build their rules here so that
they say so the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from d365lint.parsing.treesitter import ParsedSource
from d365lint.rules.base import CheckFunction, Precision, Rule, Severity, Target

CHECKER_TABLE = (
    "https://learn.microsoft.com/power-apps/maker/data-platform/use-powerapps-checker"
    "#best-practice-rules-used-by-solution-checker"
)


def reported_as(rule_id: str, link: str) -> str:
    """The sentence naming the checker rule: users know the id from the checker's reports."""
    return f"Microsoft's solution checker reports this as [`{rule_id}`]({link})."


def checker_help(*, what: str, why: str, fix: str, bad: str, good: str, lang: str, origin: str) -> str:
    """Help in the project's four sections; ``origin`` follows *Why it matters* and names the checker rule."""
    return (
        f"## What it finds\n{what}\n\n## Why it matters\n{why}\n\n{origin}\n\n## How to fix\n{fix}\n\n"
        f"## Example\nBad:\n```{lang}\n{bad}\n```\nGood:\n```{lang}\n{good}\n```\n"
    )


def checker_rule(
    rule_id: str,
    name: str,
    summary: str,
    severity: Severity,
    check: CheckFunction,
    *,
    target: Target,
    what: str,
    why: str,
    fix: str,
    bad: str,
    good: str,
    link: str,
    lang: str,
    origin: str | None = None,
    checker: bool = True,
    tags: tuple[str, ...] = (),
    precision: Precision = Precision.HIGH,
    security_severity: float | None = None,
    references: tuple[str, ...] = (),
    options: Mapping[str, Any] | None = None,
    also: tuple[Target, ...] = (),
    reports_in: tuple[str, ...] = (),
    script_facts: tuple[Callable[[ParsedSource], Any], ...] = (),
    reads: tuple[str, ...] | None = None,
    linked: tuple[str, ...] = (),
) -> Rule:
    """A rule of one of the checker families; ``checker`` is False for d365lint's own additions to a family."""
    return Rule(
        id=rule_id,
        name=name,
        summary=summary,
        help=checker_help(what=what, why=why, fix=fix, bad=bad, good=good, lang=lang,
                          origin=origin or reported_as(rule_id, link)),
        severity=severity,
        target=target,
        check=check,
        tags=(("solution-checker",) if checker else ()) + tags,
        precision=precision,
        security_severity=security_severity,
        references=(link, *((CHECKER_TABLE,) if checker else ()), *references),
        options=options or {},
        also=also,
        reports_in=reports_in,
        script_facts=script_facts,
        reads=reads,
        linked=linked,
    )
