"""Suppressions that suppress nothing.

The check itself is empty: only the engine knows which suppression matched
which finding (see :mod:`d365lint.engine.suppressions`), so the engine
reports this rule's findings. Declaring it as a rule gives it an id to
select or ignore, a severity to override, documentation and a SARIF entry
like every other rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from d365lint.engine.suppressions import UNUSED_RULE_ID
from d365lint.rules.base import Finding, Precision, Rule, RuleContext, Severity, Target

ESLINT_UNUSED_DIRECTIVES = "https://eslint.org/docs/latest/use/command-line-interface#--report-unused-disable-directives"
SARIF_SUPPRESSIONS = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/sarif-v2.1.0-errata01-os-complete.html#_Toc141790911"
SOLUTION_CHECKER = "https://learn.microsoft.com/power-apps/maker/data-platform/use-powerapps-checker"

UNUSED_SUPPRESSION_HELP = f"""\
## What it finds
An inline suppression comment, or a suppression in the configuration, that
suppresses no finding in this run: the rule no longer fires on the next line
(the code was fixed or moved), the component it names was renamed or
removed, or the comment names a rule id that does not exist (often a typo,
or a reason written without the ` -- ` separator).

Inline suppressions look like this:

```text
// d365lint-disable-next-line web-avoid-eval -- input is a constant      (JS, TS, C#)
# d365lint: disable=sec-hardcoded-credential -- test key                  (Python)
<!-- d365lint-disable-next-line sec-org-owned-reference-table - lookup -->  (XML)
# d365lint-disable-next-line <rule-id> -- reason                          (YAML)
```

Suppressions for rules that were not selected in the run are not judged.

## Why it matters
A stale suppression is a hole waiting to be filled: when someone later
writes a real problem on that line, or reuses the component name, it is
silenced without anyone reviewing it. Like ESLint's
[unused disable directives]({ESLINT_UNUSED_DIRECTIVES}) report, this keeps the list of
accepted exceptions honest, which is what reviewers of a Dynamics 365
solution rely on when they compare d365lint's results with Microsoft's
[solution checker]({SOLUTION_CHECKER}).

## How to fix
Delete the suppression. If the finding moved, move the comment with it. If
the rule id is misspelt, correct it (`d365lint rules` lists every id); put
the reason after ` -- ` (in XML, after ` - `, because XML comments cannot
contain `--`).

## Example
Bad — the `eval` call was removed, the comment stayed:
```js
// d365lint-disable-next-line web-avoid-eval -- trusted input
const total = compute(values);
```
Good — no suppression where nothing is suppressed:
```js
const total = compute(values);
```
"""


def _reported_by_engine(unit: object, context: RuleContext) -> Iterator[Finding]:
    """Nothing per unit: the engine reports unused suppressions after matching them."""
    return iter(())


UNUSED_SUPPRESSION = Rule(
    id=UNUSED_RULE_ID,
    name="UnusedSuppression",
    summary="An inline or configured suppression suppresses no finding.",
    help=UNUSED_SUPPRESSION_HELP,
    severity=Severity.NOTE,
    target=Target.RAW_FILE,
    reads=(),
    check=_reported_by_engine,
    tags=("maintainability", "suppressions"),
    precision=Precision.VERY_HIGH,
    references=(ESLINT_UNUSED_DIRECTIVES, SARIF_SUPPRESSIONS),
)

RULES = (UNUSED_SUPPRESSION,)
