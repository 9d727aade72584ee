"""Regular expressions compiled when first used, not when their module is imported.

d365lint's modules define 118 patterns. A pre-commit run on one changed
script uses 42 of them: compiling all of them took 18-20 ms of the run,
those 42 take 6-8 ms. The patterns of the C# and XML rules, among others,
now wait for a run that needs them. Breezy's ``lazy_regex`` answered the
same cost the same way.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, cast


class _LazyPattern:
    """Stands for a compiled pattern; compiles it at the first use of any of its attributes.

    The compiled pattern's attributes are then copied into this object, so
    that later uses find them without calling :meth:`__getattr__` again: a
    use costs what it costs on the compiled pattern.
    """

    def __init__(self, source: str | bytes, flags: int) -> None:
        self._source = source
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # copy, pickle and friends probe for special methods: no compiling for them
        compiled = re.compile(self._source, self._flags)
        for attribute in _ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __reduce__(self) -> tuple[Any, ...]:
        return _LazyPattern, (self._source, self._flags)

    def __repr__(self) -> str:
        return f"compile_lazily({self._source!r}, {self._flags!r})"


_ATTRIBUTES = (
    "match", "fullmatch", "search", "finditer", "findall", "sub", "subn", "split", "scanner",
    "pattern", "flags", "groups", "groupindex",
)


def compile_lazily(source: AnyStr, flags: int | re.RegexFlag = 0) -> re.Pattern[AnyStr]:
    """``re.compile(source, flags)``, done when the pattern is first used.

    Typed as the compiled pattern it stands for; it is not one for
    ``isinstance`` or for the functions of :mod:`re` (``re.sub(pattern, …)``):
    call its methods.
    """
    return cast("re.Pattern[AnyStr]", _LazyPattern(source, int(flags)))
