"""Auditing: of the columns that matter, and not of everything.

Microsoft's guidance names auditing and monitoring as a core security
control, and warns against the opposite extreme: logging whole
high-volume tables grows the log, slows every write and buries the changes
someone will need to find. Both come down to which columns a table audits,
which the solution states column by column.
"""

from __future__ import annotations

from collections.abc import Iterator

from d365lint.detectors.sensitivity import (
    CREDENTIAL_PATTERNS,
    DEFAULT_SENSITIVE_PATTERNS,
    DEFAULT_TRANSACTIONAL_TABLES,
    is_transactional,
    sensitive_pattern,
)
from d365lint.model import Column, Solution, Table
from d365lint.rules.base import Finding, Precision, Rule, RuleContext, Severity, Target

CONTROLS_GUIDANCE = "https://learn.microsoft.com/dynamics365/guidance/implementation-guide/security-strategy-security-controls"
DAY_ONE_GUIDANCE = "https://learn.microsoft.com/dynamics365/guidance/implementation-guide/security-strategy-day-one-priority"
AUDITING_DOC = "https://learn.microsoft.com/power-platform/admin/manage-dataverse-auditing"
COLUMN_SECURITY_DOC = "https://learn.microsoft.com/power-platform/admin/field-level-security"

# Columns the platform itself keeps and never audits by default: their values
# are set on every write, so they say nothing an audit record does not.
PLATFORM_COLUMNS = frozenset(
    {
        "createdby",
        "createdon",
        "createdonbehalfby",
        "modifiedby",
        "modifiedon",
        "modifiedonbehalfby",
        "owningteam",
        "owninguser",
        "timezoneruleversionnumber",
        "utcconversiontimezonecode",
        "versionnumber",
    }
)

AUDIT_WHOLE_TABLE_HELP = f"""\
## What it finds
A high-volume transactional table — an activity table, or a table of the
`transactional-tables` list (incidents, opportunities, quotes, orders,
invoices and their lines, notes, work orders), including a custom table
named like one (`contoso_invoice`) — with auditing turned on and every
column audited. Columns the platform maintains itself (`modifiedon`,
`versionnumber`, …) are not counted. Tables with fewer than `min-columns`
columns are left alone.

Default `transactional-tables`: {", ".join(f"`{name}`" for name in DEFAULT_TRANSACTIONAL_TABLES)}.
Replace or extend the list in the configuration; it is shared with every
rule that asks which tables are high-volume.

## Why it matters
The Dynamics 365 implementation guide calls indiscriminate logging of
transactional tables a security anti-pattern ([make security a day one
priority]({DAY_ONE_GUIDANCE})): the log grows with every write, long-running
and bulk operations slow down, and the entries that matter drown in the ones
that do not. Its advice — log selected fields, for a planned period — is
what column-level auditing in Dataverse is for ([manage
auditing]({AUDITING_DOC})). New columns are audited by default, so a table
whose auditing is switched on audits everything unless someone chooses.

## How to fix
Decide which changes someone will have to trace (amounts, status, owner,
bank details) and turn auditing off for the other columns (column
properties, *Enable auditing*). Agree a retention period for audit logs.

## Example
Bad — `Entities/contoso_Invoice/Entity.xml`: the table audits, and so does
every column, including free-text notes rewritten on each save:
```xml
<attribute PhysicalName="contoso_Notes"> … <IsAuditEnabled>1</IsAuditEnabled> …
<IsAuditEnabled>1</IsAuditEnabled>  <!-- the table -->
```
Good — only the columns that matter audit:
```xml
<attribute PhysicalName="contoso_Notes"> … <IsAuditEnabled>0</IsAuditEnabled> …
<attribute PhysicalName="contoso_Amount"> … <IsAuditEnabled>1</IsAuditEnabled> …
```
"""

SENSITIVE_NOT_AUDITED_HELP = f"""\
## What it finds
A column protected by column-level security, or one whose name marks
personal or financial data (the `sensitive-columns` list: tax and national
ids, bank and card numbers, salary, date of birth, health data …), whose
changes are not audited — its own *Enable auditing* is off, or its table's
auditing is off. Columns named like credentials (passwords, secrets) are left
out: auditing would copy the value into audit history; they belong in Azure
Key Vault (see `sec-hardcoded-credential`). Keys, lookups and the
platform's own columns are not read.

Default `sensitive-columns` (name fragments, matched in logical and display
names ignoring case, spaces and underscores): {", ".join(f"`{name}`" for name in DEFAULT_SENSITIVE_PATTERNS)}.
The list is the one the obscurity rules use; replace or extend it in the
configuration.

## Why it matters
Microsoft lists auditing and monitoring among the core security controls of
a Dynamics 365 implementation ([security controls]({CONTROLS_GUIDANCE})): when
sensitive data is changed or misused, the audit history is how you find out
who did it and when. Dataverse audits a column only when the environment,
the table and the column all have auditing on ([manage
auditing]({AUDITING_DOC})), so a column that protects data with [column
security]({COLUMN_SECURITY_DOC}) but is not audited leaves no trace of the
changes the protection is about.

## How to fix
Turn on auditing for the table and for the column (table and column
properties, *Enable auditing*), and make sure auditing is on in the
environment (Power Platform admin center, *Auditing*).

## Example
Bad — `Entities/Account/Entity.xml`:
```xml
<attribute PhysicalName="contoso_TaxId"> … <IsAuditEnabled>0</IsAuditEnabled> <IsSecured>1</IsSecured> …
```
Good:
```xml
<attribute PhysicalName="contoso_TaxId"> … <IsAuditEnabled>1</IsAuditEnabled> <IsSecured>1</IsSecured> …
```
"""


def _auditable(column: Column) -> bool:
    """Columns whose auditing is a choice: not the key, not a platform-maintained value
    (bookkeeping columns, and the base-currency copy ``…_base`` of a money column)."""
    base_copy = column.type == "money" and column.logical_name.endswith("_base")
    return column.type != "primarykey" and column.logical_name not in PLATFORM_COLUMNS and not base_copy


def check_audit_whole_table(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Transactional tables that audit every column."""
    tables = context.options["transactional-tables"]
    minimum = context.options["min-columns"]
    for table in solution.tables:
        if not table.is_audit_enabled or not is_transactional(table.logical_name, table.is_activity, tables):
            continue
        columns = [column for column in table.columns if _auditable(column)]
        if len(columns) < minimum or not all(column.is_audit_enabled for column in columns):
            continue
        yield Finding(
            message=(
                f"Table '{table.logical_name}' is a high-volume transactional table and audits all {len(columns)} of "
                "its columns: audit the few whose changes must be traced and turn auditing off for the rest."
            ),
            location=table.audit_location or table.location,
            component=f"table:{table.logical_name}",
            evidence="all-columns-audited",
        )


def _why_unaudited(table: Table, column: Column) -> str | None:
    if not column.is_audit_enabled:
        return "column-audit-off"
    if table.audit_location is not None and not table.is_audit_enabled:
        return "table-audit-off"
    return None


def _sensitivity(column: Column, patterns: tuple[str, ...]) -> str | None:
    """Why ``column`` is sensitive (``column security`` or a pattern), or None; credentials are left out."""
    pattern = sensitive_pattern(column, patterns)
    if pattern in CREDENTIAL_PATTERNS:
        return None
    if column.is_secured:
        return "column security"
    return f"named like '{pattern}'" if pattern else None


def check_sensitive_not_audited(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Secured or sensitive columns whose changes leave no audit record."""
    patterns = tuple(context.options["sensitive-columns"])
    for table in solution.tables:
        for column in filter(_auditable, table.columns):
            reason = _sensitivity(column, patterns)
            why = _why_unaudited(table, column) if reason else None
            if why is None:
                continue
            where = "its auditing is off" if why == "column-audit-off" else f"auditing of table '{table.logical_name}' is off"
            yield Finding(
                message=(
                    f"Column '{table.logical_name}.{column.logical_name}' holds sensitive data ({reason}) but {where}: "
                    "changes to it leave no audit record. Turn auditing on for the table and the column."
                ),
                location=column.location,
                component=f"table:{table.logical_name}",
                evidence=f"{column.logical_name}:{why}",
            )


AUDIT_WHOLE_TABLE = Rule(
    id="sec-audit-whole-table",
    name="AuditWholeTable",
    summary="A high-volume transactional table audits every column instead of the few that matter.",
    help=AUDIT_WHOLE_TABLE_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("tables",),
    reads=("tables",),
    linked=("tables",),
    check=check_audit_whole_table,
    tags=("security", "auditing", "performance"),
    precision=Precision.MEDIUM,
    security_severity=2.0,
    references=(DAY_ONE_GUIDANCE, AUDITING_DOC),
    options={"transactional-tables": DEFAULT_TRANSACTIONAL_TABLES, "min-columns": 5},
)

SENSITIVE_NOT_AUDITED = Rule(
    id="sec-sensitive-column-not-audited",
    name="SensitiveColumnNotAudited",
    summary="A field-secured or sensitive column's changes are not audited.",
    help=SENSITIVE_NOT_AUDITED_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("tables",),
    reads=("tables",),
    linked=("tables",),
    check=check_sensitive_not_audited,
    tags=("security", "auditing", "privacy", "external/cwe/cwe-778"),
    precision=Precision.MEDIUM,
    security_severity=4.0,
    references=(CONTROLS_GUIDANCE, AUDITING_DOC, COLUMN_SECURITY_DOC),
    options={"sensitive-columns": DEFAULT_SENSITIVE_PATTERNS},
)

RULES = (AUDIT_WHOLE_TABLE, SENSITIVE_NOT_AUDITED)
