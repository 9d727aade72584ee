"""Finding every rule: the built-in families and extensions.

Extensions (third-party rule packages) register an entry point in the group
``d365lint.rules`` whose object is a :class:`Rule` or an iterable of rules.
As in flake8's finder, loading happens in explicit, checked steps: discover
the entry points, load each, validate every rule's id and metadata, and
refuse duplicate ids — any failure stops the run with a clear message rather
than silently running without a rule.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pkgutil
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from d365lint.loading.cache import RACY_SECONDS
from d365lint.rules.base import Rule

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "d365lint.rules"

# Modules of this package that are not rule families.
_NOT_FAMILIES = frozenset({"base", "registry"})


class ExtensionError(Exception):
    """An extension or rule could not be loaded or is malformed."""


class RuleSet(NamedTuple):
    """Every known rule, by id, in a stable order."""

    rules: tuple[Rule, ...]

    def get(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)


def builtin_families() -> list[str]:
    """Every rule-family module: each module of ``d365lint.rules`` defines ``RULES``."""
    package = importlib.import_module("d365lint.rules")
    return sorted(
        f"d365lint.rules.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if info.name not in _NOT_FAMILIES and not info.name.startswith("_")
    )


def _builtin_rules() -> Iterator[Rule]:
    for module_name in builtin_families():
        yield from importlib.import_module(module_name).RULES


def discover_extensions(cache_folder: Path | None = None) -> list[EntryPoint]:
    """Step 1: the entry points of installed extensions, sorted by name.

    Importing :mod:`importlib.metadata` and reading every installed
    distribution took 24-30 ms of a 0.4 s pre-commit run, and most runs have no
    extension. With a ``cache_folder``, a run that found none leaves a
    marker named after the folders of the import path and their times; the
    next run finds it and looks no further. Installing or removing a package
    changes the time of the folder it goes in (the assumption of
    :mod:`importlib.metadata`'s own cache), and so the marker's name.
    """
    marker = _no_extensions_marker(cache_folder) if cache_folder is not None else None
    if marker is not None and marker.exists():
        return []
    from importlib.metadata import entry_points  # here: a run with a marker never imports it

    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))
    if not found and marker is not None:
        _leave(marker)
    return found


def _no_extensions_marker(cache_folder: Path) -> Path | None:
    """The marker of no extension for the import path as it is now, None when a folder of it changed just now."""
    times = []
    for entry in sys.path:
        try:
            modified = os.stat(entry or ".").st_mtime_ns
        except OSError:
            modified = None
        if modified is not None and modified / 1e9 > time.time() - RACY_SECONDS:  # it may change again unseen
            return None
        times.append(modified)
    import_path = hashlib.blake2b(repr(sys.path).encode(), digest_size=8).hexdigest()
    state = hashlib.blake2b(repr(times).encode(), digest_size=8).hexdigest()
    return cache_folder / "no-extensions" / f"{import_path}-{state}"


def _leave(marker: Path) -> None:
    """Write ``marker`` and drop the older ones of the same import path (a cache that cannot be written only costs time)."""
    try:
        marker.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for older in marker.parent.glob(f"{marker.name.split('-')[0]}-*"):
            older.unlink(missing_ok=True)
        marker.touch()
    except OSError:
        pass


def load_extension(entry_point: EntryPoint) -> list[Rule]:
    """Step 2: import one extension and collect its rules."""
    try:
        loaded = entry_point.load()
    except Exception as error:  # an extension's import may fail in any way
        raise ExtensionError(
            f"extension {entry_point.name!r} ({entry_point.value}) failed to load: {type(error).__name__}: {error}"
        ) from error
    items: Iterable[object] = [loaded] if isinstance(loaded, Rule) else loaded if _iterable(loaded) else [loaded]
    rules = []
    for item in items:
        if not isinstance(item, Rule):
            raise ExtensionError(
                f"extension {entry_point.name!r} ({entry_point.value}) provided {type(item).__name__}, "
                "not a d365lint.rules.base.Rule"
            )
        rules.append(_with_origin(item, entry_point))
    return rules


def _iterable(value: object) -> bool:
    return isinstance(value, (list, tuple, set, frozenset))


def _with_origin(rule: Rule, entry_point: EntryPoint) -> Rule:
    dist = entry_point.dist.name if entry_point.dist else entry_point.name
    return replace(rule, origin=dist) if rule.origin == "d365lint" else rule


def validate(rules: Iterable[Rule]) -> RuleSet:
    """Step 3: check every rule's metadata and the uniqueness of ids."""
    seen: dict[str, Rule] = {}
    problems: list[str] = []
    for rule in rules:
        problems.extend(f"{rule.origin}: {problem}" for problem in rule.validate())
        if rule.id in seen:
            problems.append(f"rule id {rule.id!r} is defined by both {seen[rule.id].origin} and {rule.origin}")
        seen[rule.id] = rule
    if problems:
        raise ExtensionError("invalid rules:\n  " + "\n  ".join(problems))
    return RuleSet(tuple(sorted(seen.values(), key=lambda rule: rule.id)))


def load_rules(*, extensions: bool = True, cache_folder: Path | None = None) -> RuleSet:
    """Every built-in rule, plus installed extensions unless told otherwise (see :func:`discover_extensions` for ``cache_folder``)."""
    rules = list(_builtin_rules())
    if extensions:
        for entry_point in discover_extensions(cache_folder):
            rules.extend(load_extension(entry_point))
    return validate(rules)
