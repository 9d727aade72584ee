"""Rules written for a test: real Rule values whose checks report what the test needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from d365lint.rules.base import CheckFunction, Rule, Severity, Target


def rule_for_test(rule_id: str, target: Target, check: CheckFunction, options: Mapping[str, Any] | None = None) -> Rule:
    """A rule with valid metadata (``validate()`` passes), for exercising the engine and the configuration."""
    return Rule(
        id=rule_id,
        name="".join(part.title() for part in rule_id.split("-")),
        summary=f"Test rule {rule_id}.",
        help=f"## What it finds\nWhatever the test {rule_id} needs reported; it exists only in the test suite.",
        severity=Severity.WARNING,
        target=target,
        check=check,
        options=options or {},
    )
