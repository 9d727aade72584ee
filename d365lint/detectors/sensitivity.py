"""Which columns hold sensitive data, and which tables are high-volume.

One definition, shared by every rule that asks (hidden fields, auditing,
Power Pages exposure), so that they never disagree. Users extend or replace
both lists in configuration (the rules' ``sensitive-columns`` and
``transactional-tables`` options).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from d365lint.model import Column
from d365lint.patterns import compile_lazily

# Name fragments (matched in logical names and display names, ignoring case,
# spaces, underscores and hyphens) that mark a column as sensitive.
DEFAULT_SENSITIVE_PATTERNS = (
    "ssn",
    "socialsecurity",
    "nationalid",
    "nationalidentity",
    "governmentid",
    "taxid",
    "taxnumber",
    "taxpayer",
    "vatnumber",
    "salary",
    "compensation",
    "wage",
    "bankaccount",
    "iban",
    "accountnumber",
    "routingnumber",
    "sortcode",
    "creditcard",
    "cardnumber",
    "cvv",
    "dateofbirth",
    "birthdate",
    "birthday",
    "dob",
    "passport",
    "driverslicense",
    "driverlicense",
    "health",
    "medical",
    "diagnosis",
    "password",
    "secret",
)

# The patterns above that mark credentials rather than personal data. Such a
# value should not be in Dataverse at all (Key Vault holds it); auditing the
# column would copy it into audit history, so auditing rules leave it out.
CREDENTIAL_PATTERNS = ("password", "secret")

# Activity tables and other high-volume transactional tables (logical names).
DEFAULT_TRANSACTIONAL_TABLES = (
    "activitypointer",
    "email",
    "phonecall",
    "appointment",
    "task",
    "letter",
    "fax",
    "socialactivity",
    "annotation",
    "incident",
    "opportunity",
    "quote",
    "salesorder",
    "invoice",
    "quotedetail",
    "salesorderdetail",
    "invoicedetail",
    "opportunityproduct",
    "msdyn_workorder",
)

# Standard tables that hold personal data (contact details of people).
PERSONAL_DATA_TABLES = ("contact", "account", "lead", "incident", "systemuser", "adx_invitation", "msdyn_customerasset")

_SEPARATORS = compile_lazily(r"[\s_\-.]+")


# The same separators for ASCII text, dropped by str.translate: several times faster than the
# expression, and every column name and label of a large solution goes through here twice.
_ASCII_SEPARATORS = dict.fromkeys(code for code in range(128) if _SEPARATORS.fullmatch(chr(code)))


def normalise(name: str) -> str:
    """``Date of Birth`` and ``contoso_date_of_birth`` both become comparable."""
    if name.isascii():
        return name.translate(_ASCII_SEPARATORS).lower()
    return _SEPARATORS.sub("", name).lower()


# Column types that point at rows rather than hold data: a lookup to a
# "Medical Test" table, or that table's key, says nothing sensitive itself.
REFERENCE_TYPES = frozenset({"primarykey", "lookup", "owner", "customer", "uniqueidentifier"})
# Standard columns whose names match a pattern but hold no sensitive data:
# account.accountnumber is the customer's reference number, not a bank account.
NOT_SENSITIVE_STANDARD_COLUMNS = frozenset({"accountnumber"})


def sensitive_pattern(column: Column, patterns: Iterable[str] = DEFAULT_SENSITIVE_PATTERNS) -> str | None:
    """The pattern that makes ``column`` sensitive, or None.

    The publisher prefix is dropped from the logical name first, so that
    ``dob_status`` on a publisher ``dob`` is not read as a date of birth.
    Keys and lookups are never sensitive by name (they identify rows), nor
    are the standard columns of ``NOT_SENSITIVE_STANDARD_COLUMNS``.
    """
    if column.type.lower() in REFERENCE_TYPES:
        return None
    if not column.is_custom and column.logical_name in NOT_SENSITIVE_STANDARD_COLUMNS:
        return None
    logical = column.logical_name.split("_", 1)[-1] if "_" in column.logical_name else column.logical_name
    names = (normalise(logical), normalise(column.display_name))
    normalised, screen = _prepared(tuple(patterns))
    if screen is not None and not any(screen.search(name) for name in names if name):
        return None
    for pattern, wanted in normalised:
        if any(_matches(name, wanted) for name in names if name):
            return pattern
    return None


@functools.lru_cache(maxsize=16)
def _prepared(patterns: tuple[str, ...]) -> tuple[tuple[tuple[str, str], ...], re.Pattern[str] | None]:
    """The patterns normalised, and one expression that finds whether any can match (None: always look).

    Most columns match nothing; the expression tells so in one search
    instead of a test per pattern, and the patterns are normalised once per
    list rather than once per column.
    """
    normalised = tuple((pattern, normalise(pattern)) for pattern in patterns)
    wanted = [w for _, w in normalised]
    if not wanted or "" in wanted:
        return normalised, None
    anywhere = [re.escape(w) for w in wanted if len(w) > 4]
    at_end = [re.escape(w) for w in wanted if len(w) <= 4]
    parts = ([f"(?:{'|'.join(anywhere)})"] if anywhere else []) + ([f"(?:{'|'.join(at_end)})\\Z"] if at_end else [])
    return normalised, re.compile("|".join(parts))


def _matches(name: str, pattern: str) -> bool:
    # Short patterns (ssn, dob, cvv, iban) must be the whole name or its end,
    # so that "lessnotes" or "adobe" are not read as sensitive.
    if len(pattern) <= 4:
        return name == pattern or name.endswith(pattern)
    return pattern in name


def is_transactional(table: str, is_activity: bool, tables: Iterable[str] = DEFAULT_TRANSACTIONAL_TABLES) -> bool:
    """Activity tables and the listed high-volume tables.

    A custom table named after a listed one (``contoso_invoice``,
    ``new_salesorderdetail``) counts too: teams that build their own invoice
    or order table give it the standard name behind their publisher prefix.
    """
    listed = {name.lower() for name in tables}
    name = table.lower()
    unprefixed = name.split("_", 1)[1] if "_" in name else name
    return is_activity or name in listed or unprefixed in listed
