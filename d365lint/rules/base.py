"""What a rule is: declarative metadata plus a pure check function.

A rule never reads files, never formats output and never decides whether a
finding is suppressed or baselined: it yields :class:`Finding` values for one
unit of the model, and the engine does the rest. One metadata object drives
``d365lint explain``, the generated rule docs and SARIF's rule help.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from d365lint.model import SOLUTION_COLLECTIONS, Location, Solution, SourceFile
from d365lint.parsing.treesitter import ParsedSource, parse_source
from d365lint.patterns import compile_lazily

RULE_ID = compile_lazily(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
DOCS_BASE_URI = "https://github.com/d365lint/d365lint/blob/main/docs/rules/"
ALL_RULES = "ALL"


def matches_rule(rule_id: str, pattern: str) -> bool:
    """Whether ``pattern`` names ``rule_id``: the id, ``ALL``, or a prefix of whole id segments.

    ``web-sdl`` names ``web-sdl-no-cookies``; ``web-s`` names nothing. One
    definition for ``--select``/``--ignore``, severity overrides and per-path ignores.
    """
    return pattern.upper() == ALL_RULES or rule_id == pattern or rule_id.startswith(pattern.rstrip("-") + "-")


class Severity(enum.IntEnum):
    """Result levels, ordered so that ``>=`` compares seriousness."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or note)") from None


class Target(enum.Enum):
    """The kind of unit a rule's check function receives.

    ``SOLUTION`` rules get a :class:`d365lint.model.Solution`; the source
    targets get a parsed source of that language (see ``d365lint.parsing``);
    ``ASSEMBLY`` gets a :class:`d365lint.parsing.assembly.Assembly`;
    ``SITE`` gets a :class:`d365lint.model.PortalSite` (a Power Pages site).
    """

    SOLUTION = "solution"
    SCRIPT = "script"
    HTML = "html"
    CSHARP = "csharp"
    PYTHON = "python"
    ASSEMBLY = "assembly"
    RAW_FILE = "raw-file"
    SITE = "site"


class Precision(enum.Enum):
    """How often a finding of the rule is right (SARIF's ``precision``)."""

    VERY_HIGH = "very-high"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a finding refers to (SARIF ``relatedLocations``)."""

    message: str
    location: Location


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports.

    ``component`` identifies the model element logically (``step:<name>``,
    ``table:<logical name>``, ``webresource:<name>``, ``file:<path>``) and
    ``evidence`` is what was found there; with the rule id they make the
    fingerprint that baselines use, so findings survive moved lines and
    re-exported XML. ``secrets`` lists input values that no report may echo
    (source lines shown to people are masked with them). ``severity`` lets a
    rule raise or lower one finding (e.g. a table with personal data).
    """

    message: str
    location: Location
    component: str
    evidence: str = ""
    related: tuple[Related, ...] = ()
    secrets: tuple[str, ...] = ()
    severity: Severity | None = None


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a check function may know besides its unit: the rule's options.

    ``parse`` gives a solution rule the parsed scripts of its solution (which
    forms load which script); the engine passes its per-run cache, so a file
    is parsed once however many rules read it. It returns None for a file
    that cannot be parsed (the engine has reported it). ``solution_of`` gives
    a script rule the solution a script is a web resource of (None for a
    loose script): the forms and ribbons that use it, without making the
    script's analysis part of the solution's one large task.
    """

    options: Mapping[str, Any] = field(default_factory=dict)
    parse: Callable[[SourceFile], ParsedSource | None] = parse_source
    solution_of: Callable[[SourceFile], Solution | None] = lambda source: None
    script_fact: Callable[[SourceFile, Callable[[ParsedSource], Any]], Any] = lambda source, compute: compute(parse_source(source))
    """``compute`` of a script's parse (None when it cannot be parsed), for the :attr:`Rule.script_facts` a rule declares."""

    def option(self, name: str) -> Any:
        return self.options[name]


CheckFunction = Callable[[Any, RuleContext], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: stable id, the documentation people read, and its check.

    ``help`` is markdown with what the rule finds, why it matters (with a
    link to Microsoft's guidance), how to fix it, and a bad and a good
    example. ``security_severity`` (0.0–10.0) is set for security rules;
    GitHub code scanning ranks alerts by it. ``options`` are the rule's
    configurable settings with their defaults. ``also`` names further targets
    whose units the same check receives (it dispatches on the unit's type):
    a plug-in rule reads C# sources and, where only the DLL ships, assemblies.

    ``reports_in`` names the collections of :class:`d365lint.model.Solution`
    (``"forms"``, ``"tables"``…) in whose files a solution rule's findings
    lie. A pre-commit run on a few files skips a rule when none of those
    collections has an element in them: checking every role of a large
    solution cannot report anything in a changed script. Empty: the findings
    may lie anywhere, and the rule always runs (extensions need not say).

    ``script_facts`` are what a solution rule reads of each script through
    :attr:`RuleContext.script_fact`: small results of a parse (the names a
    library defines), which the engine computes while it has the script
    parsed for the script rules and keeps for the whole run. A solution's
    scripts do not all stay parsed (see :mod:`d365lint.engine.units`):
    without them, the rule would parse most scripts a second time.

    ``reads`` names the collections of a solution the check reads, whatever
    its target (a script rule through :attr:`RuleContext.solution_of`, a site
    rule through the site's tables). A pre-commit run on a few files of a
    large solution decodes from its cache only the collections that the rules
    which can report there read. None: any of them (extensions need not say).

    ``linked`` names those of ``reads`` of which the check reads only the
    elements linked to the files it reports in: the elements in those files,
    the forms that load a script there, the scripts a form there loads, the
    tables of those forms (see :class:`d365lint.model.Reading`). A rule that
    judges each element on its own reads only the elements it reports on.
    Such a run then decodes two forms of a large solution, not all of them.
    """

    id: str
    name: str
    summary: str
    help: str
    severity: Severity
    target: Target
    check: CheckFunction
    tags: tuple[str, ...] = ()
    precision: Precision = Precision.HIGH
    security_severity: float | None = None
    references: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    origin: str = "d365lint"
    also: tuple[Target, ...] = ()
    reports_in: tuple[str, ...] = ()
    script_facts: tuple[Callable[[ParsedSource], Any], ...] = ()
    reads: tuple[str, ...] | None = None
    linked: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[Target, ...]:
        """Every target whose units the check receives."""
        return (self.target, *self.also)

    @property
    def help_uri(self) -> str:
        return f"{DOCS_BASE_URI}{self.id}.md"

    @property
    def is_security(self) -> bool:
        return self.security_severity is not None

    def can_report_in(self, collections: frozenset[str]) -> bool:
        """Whether a solution rule's findings may lie in files holding elements of ``collections`` (see ``reports_in``)."""
        return not self.reports_in or not collections.isdisjoint(self.reports_in)

    def validate(self) -> list[str]:
        """Problems with this rule's metadata, empty when it is sound."""
        problems = []
        if not RULE_ID.match(self.id):
            problems.append(f"rule id {self.id!r} is not a kebab-case slug")
        if not self.summary.strip() or "\n" in self.summary:
            problems.append(f"rule {self.id}: summary must be one non-empty line")
        if len(self.help.strip()) < 40:
            problems.append(f"rule {self.id}: help must explain what, why and how to fix")
        if self.security_severity is not None and not 0.0 <= self.security_severity <= 10.0:
            problems.append(f"rule {self.id}: security_severity must be between 0.0 and 10.0")
        if not callable(self.check) or not all(callable(compute) for compute in self.script_facts):
            problems.append(f"rule {self.id}: check and script_facts must be callable")
        if not all(isinstance(target, Target) for target in self.targets):
            problems.append(f"rule {self.id}: target must be a d365lint Target")
        for attribute, names in (("reports_in", self.reports_in), ("reads", self.reads or ())):
            unknown = sorted(set(names) - set(SOLUTION_COLLECTIONS))
            if unknown:
                problems.append(f"rule {self.id}: {attribute} names no collection of a solution: {', '.join(unknown)}")
        unread = sorted(set(self.linked) - set(self.reads or ()))
        if unread:
            problems.append(f"rule {self.id}: linked names collections that reads does not: {', '.join(unread)}")
        return problems

