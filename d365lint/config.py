"""Configuration: ``[tool.d365lint]`` in ``pyproject.toml``, or ``.d365lint.toml``.

The file is found by walking up from the folder the checked paths share
(``.d365lint.toml`` wins over ``pyproject.toml`` in the same folder; a
``pyproject.toml`` without a ``[tool.d365lint]`` table is passed by), or
named with ``--config``. Globs and the baseline path are relative to the
file's folder. Every key is checked: an unknown key, an unknown rule id or a
value of the wrong type stops the run with an error naming the file and the
key, rather than running with a setting silently ignored. Example::

    [tool.d365lint]
    select = ["sec", "web"]          # rule ids or id prefixes; default: every rule
    ignore = ["web-remove-console"]
    fail-on = "warning"              # error | warning | note | never
    jobs = 0                         # processes for large inputs; 0: one per core
    baseline = ".d365lint-baseline.json"
    extend-sensitive-columns = ["contoso_riskscore"]     # or sensitive-columns = [...] to replace
    extend-transactional-tables = ["contoso_meterreading"]
    extra-credential-keywords = ["partnerkey"]

    [tool.d365lint.severity]
    "web-sdl" = "error"

    [tool.d365lint.per-path-ignores]
    "tests/**" = ["sec-hardcoded-credential"]

    [[tool.d365lint.suppress]]
    rule = "sec-org-owned-reference-table"
    component = "table:contoso_invoicetype"
    reason = "Reference data every user reads"

    [tool.d365lint.rules.sec-audit-whole-table]
    min-columns = 8

    [tool.d365lint.limits]           # what one zip may expand to (zip bombs)
    max-member-size = 536870912


The shared lists (``sensitive-columns``, ``transactional-tables``,
``extra-credential-keywords``) are set once and reach every rule that has
the matching option, so the rules never disagree about what is sensitive.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from d365lint.detectors.sensitivity import DEFAULT_SENSITIVE_PATTERNS, DEFAULT_TRANSACTIONAL_TABLES
from d365lint.engine.run import RunSettings
from d365lint.engine.suppressions import ComponentSuppression, PathIgnore, Suppressions
from d365lint.loading.archive import ArchiveLimits
from d365lint.loading.discover import display_path
from d365lint.model import Location
from d365lint.rules.base import ALL_RULES, Rule, Severity, matches_rule
from d365lint.rules.registry import RuleSet

CONFIG_FILE = ".d365lint.toml"
PYPROJECT = "pyproject.toml"
FAIL_ON = ("error", "warning", "note", "never")

# Shared lists: configuration key -> the option names rules declare for it.
SHARED_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "sensitive-columns": ("sensitive-columns",),
    "transactional-tables": ("transactional-tables",),
    "extra-credential-keywords": ("extra-credential-keywords", "extra-keywords"),
}
SHARED_DEFAULTS: Mapping[str, tuple[str, ...]] = {
    "sensitive-columns": tuple(DEFAULT_SENSITIVE_PATTERNS),
    "transactional-tables": tuple(DEFAULT_TRANSACTIONAL_TABLES),
    "extra-credential-keywords": (),
}
EXTENDABLE = ("sensitive-columns", "transactional-tables")

_LIST_KEYS = ("select", "ignore", *SHARED_OPTIONS, *(f"extend-{key}" for key in EXTENDABLE))
_TABLE_KEYS = ("severity", "per-path-ignores", "rules", "limits")
TOP_LEVEL_KEYS = (*_LIST_KEYS, "fail-on", "baseline", "jobs", *_TABLE_KEYS, "suppress")
SUPPRESS_KEYS = ("rule", "rules", "component", "reason")
# [limits] keys -> ArchiveLimits fields.
LIMIT_KEYS: Mapping[str, str] = {
    "max-members": "max_members",
    "max-member-size": "max_member_size",
    "max-total-size": "max_total_size",
    "max-ratio": "max_ratio",
}


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Config:
    """The checked content of one configuration file (or the defaults)."""

    source: Path | None = None
    table: str = ""  # "tool.d365lint." for pyproject.toml, "" for .d365lint.toml
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "warning"
    baseline: Path | None = None
    jobs: int = 0
    """Processes a large run uses; 0 means one per core."""
    severity: Mapping[str, Severity] = field(default_factory=dict)
    per_path_ignores: tuple[PathIgnore, ...] = ()
    suppress: tuple[ComponentSuppression, ...] = ()
    shared: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extend: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    limits: ArchiveLimits = ArchiveLimits()
    """What one zip may expand to: member count, sizes in bytes, compression ratio."""

    @property
    def root(self) -> Path:
        """The folder relative paths and globs are read from."""
        return self.source.parent if self.source else Path.cwd()

    def describe(self) -> str:
        if self.source is None:
            return "no configuration file found; defaults"
        return f"{self.source}" + (" [tool.d365lint]" if self.table else "")


# --- finding the file --------------------------------------------------------


def find_config(paths: Sequence[str], cwd: Path | None = None) -> Path | None:
    """The configuration file for ``paths``: the nearest one above the folder they share."""
    base = (cwd or Path.cwd()).absolute()
    folders = [(base / p).absolute() for p in paths] or [base]
    folders = [f if f.is_dir() else f.parent for f in folders]
    start = Path(os.path.commonpath([str(f) for f in folders]))
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder / CONFIG_FILE
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "d365lint" not in text:
        return False
    return "d365lint" in _parse_toml(text, pyproject).get("tool", {})


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    import tomllib  # here: most runs find no configuration to parse

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error


# --- reading and checking ----------------------------------------------------


def load_config(path: Path | None, ruleset: RuleSet, cwd: Path | None = None) -> Config:
    """Read and check ``path`` against the known rules; defaults when ``path`` is None."""
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read configuration: {getattr(error, 'strerror', None) or error}") from error
    document = _parse_toml(text, path)
    if path.name == PYPROJECT:
        values = document.get("tool", {}).get("d365lint")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: no [tool.d365lint] table")
        return _Reader(path.absolute(), "tool.d365lint.", text, ruleset, (cwd or Path.cwd()).absolute()).read(values)
    return _Reader(path.absolute(), "", text, ruleset, (cwd or Path.cwd()).absolute()).read(document)


class _Reader(NamedTuple):
    """Checks one file's values, naming ``file: key`` in every error."""

    path: Path
    table: str
    text: str
    ruleset: RuleSet
    cwd: Path

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: '{self.table}{key}': {problem}")

    def read(self, values: Mapping[str, Any]) -> Config:
        for key in values:
            if key not in TOP_LEVEL_KEYS:
                raise self.fail(key, f"unknown key{_suggestion(key, TOP_LEVEL_KEYS)}; known keys: {', '.join(TOP_LEVEL_KEYS)}")
        fail_on = values.get("fail-on", "warning")
        if fail_on not in FAIL_ON:
            raise self.fail("fail-on", f"expected one of {', '.join(FAIL_ON)}, got {fail_on!r}")
        baseline = values.get("baseline")
        if baseline is not None and (not isinstance(baseline, str) or not baseline.strip()):
            raise self.fail("baseline", f"expected a file path, got {baseline!r}")
        jobs = values.get("jobs", 0)
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
            raise self.fail("jobs", f"expected a whole number of processes (0: one per core), got {jobs!r}")
        lists = {key: self.strings(key, values[key]) for key in _LIST_KEYS if key in values}
        for key in ("select", "ignore"):
            for pattern in lists.get(key, ()):
                self.rule_pattern(key, pattern)
        return Config(
            source=self.path,
            table=self.table,
            select=lists.get("select", ()),
            ignore=lists.get("ignore", ()),
            fail_on=fail_on,
            baseline=self.path.parent / baseline if baseline else None,
            jobs=jobs,
            severity=self.severity(values.get("severity", {})),
            per_path_ignores=self.path_ignores(values.get("per-path-ignores", {})),
            suppress=self.suppressions(values.get("suppress", [])),
            shared={key: lists[key] for key in SHARED_OPTIONS if key in lists},
            extend={key: lists[f"extend-{key}"] for key in EXTENDABLE if f"extend-{key}" in lists},
            rule_options=self.rules(values.get("rules", {})),
            limits=self.limits(values.get("limits", {})),
        )

    def strings(self, key: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(i, str) and i.strip() for i in value):
            raise self.fail(key, f"expected a list of non-empty strings, got {value!r}")
        return tuple(item.strip() for item in value)

    def table_of(self, key: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {value!r}")
        return value

    def rule_pattern(self, key: str, pattern: str) -> None:
        """A rule id, an id prefix that selects at least one rule, or ALL."""
        if any(matches_rule(rule.id, pattern) for rule in self.ruleset.rules):
            return
        raise self.fail(key, f"unknown rule or prefix {pattern!r}{_suggestion(pattern, self.ruleset.ids())}")

    def severity(self, value: Any) -> Mapping[str, Severity]:
        levels = {}
        for pattern, level in self.table_of("severity", value).items():
            key = f"severity.{_key(pattern)}"
            self.rule_pattern(key, pattern)
            try:
                levels[pattern] = Severity.parse(level if isinstance(level, str) else repr(level))
            except ValueError as error:
                raise self.fail(key, str(error)) from None
        return levels

    def path_ignores(self, value: Any) -> tuple[PathIgnore, ...]:
        ignores = []
        for pattern, rule_ids in self.table_of("per-path-ignores", value).items():
            key = f"per-path-ignores.{_key(pattern)}"
            ids = self.strings(key, rule_ids)
            for rule_id in ids:
                self.rule_pattern(key, rule_id)
            ignores.append(PathIgnore(pattern, ids, str(self.path.parent)))
        return tuple(ignores)

    def suppressions(self, value: Any) -> tuple[ComponentSuppression, ...]:
        if not isinstance(value, list):
            raise self.fail("suppress", "expected an array of tables ([[suppress]] entries)")
        entries = []
        searched_from = 0
        for index, entry in enumerate(value):
            key = f"suppress[{index}]"
            entry = self.table_of(key, entry)
            for name in entry:
                if name not in SUPPRESS_KEYS:
                    raise self.fail(f"{key}.{name}", f"unknown key{_suggestion(name, SUPPRESS_KEYS)}; known keys: {', '.join(SUPPRESS_KEYS)}")
            rule_ids = self.strings(f"{key}.rule", [entry["rule"]] if "rule" in entry else entry.get("rules", []))
            if not rule_ids:
                raise self.fail(key, "name the rule (rule = \"<id>\") or rules (rules = [...]) it suppresses")
            for rule_id in rule_ids:
                if self.ruleset.get(rule_id) is None:
                    raise self.fail(f"{key}.rule", f"unknown rule {rule_id!r}{_suggestion(rule_id, self.ruleset.ids())}")
            component = entry.get("component")
            if not isinstance(component, str) or ":" not in component:
                raise self.fail(f"{key}.component", f"expected a component such as 'table:<name>' or 'step:<name>', got {component!r}")
            reason = entry.get("reason", "")
            if not isinstance(reason, str):
                raise self.fail(f"{key}.reason", f"expected a string, got {reason!r}")
            line, searched_from = self.line_of(component, searched_from)
            location = Location(display_path(self.path, self.cwd), line)
            entries.append(ComponentSuppression(rule_ids, component, reason, location))
        return tuple(entries)

    def line_of(self, value: str, start: int) -> tuple[int, int]:
        """The line of the first quoted ``value`` at or after offset ``start`` (for unused-suppression reports)."""
        found = re.compile(r"""["']""" + re.escape(value) + r"""["']""").search(self.text, start)
        if found is None:
            return 1, start
        return self.text.count("\n", 0, found.start()) + 1, found.end()

    def limits(self, value: Any) -> ArchiveLimits:
        chosen = {}
        for name, item in self.table_of("limits", value).items():
            key = f"limits.{_key(name)}"
            if name not in LIMIT_KEYS:
                raise self.fail(key, f"unknown key{_suggestion(name, LIMIT_KEYS)}; known keys: {', '.join(LIMIT_KEYS)}")
            if isinstance(item, bool) or not isinstance(item, int) or item < 1:
                raise self.fail(key, f"expected a positive whole number, got {item!r}")
            chosen[LIMIT_KEYS[name]] = item
        return ArchiveLimits(**chosen)

    def rules(self, value: Any) -> Mapping[str, Mapping[str, Any]]:
        options: dict[str, Mapping[str, Any]] = {}
        for rule_id, settings in self.table_of("rules", value).items():
            rule = self.ruleset.get(rule_id)
            if rule is None:
                raise self.fail(f"rules.{_key(rule_id)}", f"unknown rule{_suggestion(rule_id, self.ruleset.ids())}")
            options[rule_id] = {
                name: self.option(rule, name, item) for name, item in self.table_of(f"rules.{rule_id}", settings).items()
            }
        return options

    def option(self, rule: Rule, name: str, value: Any) -> Any:
        key = f"rules.{rule.id}.{_key(name)}"
        if name not in rule.options:
            known = ", ".join(rule.options) or "none"
            raise self.fail(key, f"unknown option{_suggestion(name, tuple(rule.options))}; the rule's options: {known}")
        problem = _type_problem(rule.options[name], value)
        if problem:
            raise self.fail(key, problem)
        return tuple(value) if isinstance(value, list) else value


def _type_problem(default: Any, value: Any) -> str | None:
    """Why ``value`` cannot replace ``default``, or None when it can."""
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"expected true or false, got {value!r}"
    if isinstance(default, int):
        return None if isinstance(value, int) and not isinstance(value, bool) else f"expected an integer, got {value!r}"
    if isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else f"expected a number, got {value!r}"
    if isinstance(default, str):
        return None if isinstance(value, str) else f"expected a string, got {value!r}"
    if isinstance(default, (list, tuple, set, frozenset)):
        element = type(next(iter(default))) if default else str
        if isinstance(value, list) and all(isinstance(item, element) and not isinstance(item, bool) for item in value):
            return None
        return f"expected a list of {element.__name__} values, got {value!r}"
    if isinstance(default, Mapping):
        return None if isinstance(value, dict) else f"expected a table, got {value!r}"
    return None


def _suggestion(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


# --- what the configuration decides for a run ---------------------------------


def severity_overrides(config: Config, rules: Iterable[Rule]) -> dict[str, Severity]:
    """Each rule's configured level: the longest matching id or prefix wins."""
    overrides = {}
    for rule in rules:
        matching = [p for p in config.severity if matches_rule(rule.id, p)]
        if matching:
            best = max(matching, key=lambda p: -1 if p.upper() == ALL_RULES else len(p))
            overrides[rule.id] = config.severity[best]
    return overrides


def shared_value(config: Config, key: str) -> tuple[str, ...]:
    """A shared list as the run uses it: replaced or defaulted, then extended."""
    return config.shared.get(key, SHARED_DEFAULTS[key]) + config.extend.get(key, ())


def effective_options(config: Config, rule: Rule) -> dict[str, Any]:
    """Every option of ``rule`` with the value this configuration gives it."""
    options = dict(rule.options)
    for key, names in SHARED_OPTIONS.items():
        for name in names:
            if name in options and (key in config.shared or key in config.extend):
                base = config.shared.get(key, tuple(options[name]))
                options[name] = tuple(base) + config.extend.get(key, ())
    options.update(config.rule_options.get(rule.id, {}))
    return options


def run_settings(config: Config, ruleset: RuleSet) -> RunSettings:
    """The engine's settings from a checked configuration (the baseline is read by the caller)."""
    return RunSettings(
        severity_overrides=severity_overrides(config, ruleset.rules),
        rule_options={rule.id: effective_options(config, rule) for rule in ruleset.rules if rule.options},
        suppressions=Suppressions(
            components=config.suppress, path_ignores=config.per_path_ignores, known_rule_ids=frozenset(ruleset.ids())
        ),
    )


# --- printing the effective configuration ------------------------------------


def render_effective(config: Config, ruleset: RuleSet, selected: Sequence[Rule]) -> str:
    """The configuration a run uses, as a ``.d365lint.toml`` document."""
    lines = [
        f"# Effective d365lint configuration ({config.describe()}).",
        f"# {len(selected)} of {len(ruleset.rules)} rules selected.",
        f"select = {toml_value(list(config.select) or [ALL_RULES])}",
        f"ignore = {toml_value(list(config.ignore))}",
        f"fail-on = {toml_value(config.fail_on)}",
    ]
    if config.baseline is not None:
        lines.append(f"baseline = {toml_value(str(config.baseline))}")
    lines.append(f"jobs = {config.jobs}")
    lines.extend(f"{key} = {toml_value(list(shared_value(config, key)))}" for key in SHARED_OPTIONS)
    lines += ["", "[severity]"]
    overrides = severity_overrides(config, selected)
    lines.extend(f"{_key(rule.id)} = {toml_value(overrides.get(rule.id, rule.severity).label)}" for rule in selected)
    lines += ["", "[per-path-ignores]"]
    lines.extend(f"{toml_value(ignore.pattern)} = {toml_value(list(ignore.rule_ids))}" for ignore in config.per_path_ignores)
    for entry in config.suppress:
        lines += ["", "[[suppress]]", f"rules = {toml_value(list(entry.rule_ids))}", f"component = {toml_value(entry.component)}"]
        lines.append(f"reason = {toml_value(entry.reason)}")
    lines += ["", "[limits]"]
    lines.extend(f"{name} = {getattr(config.limits, field_name)}" for name, field_name in LIMIT_KEYS.items())
    for rule in selected:
        if rule.options:
            lines += ["", f"[rules.{_key(rule.id)}]"]
            for name, value in effective_options(config, rule).items():
                lines.append(f"{_key(name)} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def toml_value(value: Any) -> str:
    """A TOML value: strings, numbers, booleans, lists and inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    items = [toml_value(item) for item in value]
    single = "[" + ", ".join(items) + "]"
    if len(single) <= 88:
        return single
    return "[\n" + "".join(f"    {item},\n" for item in items) + "]"
