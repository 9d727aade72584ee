"""Reading compiled plug-in assemblies with dnfile.

Only metadata is read (the user-string heap and member references); nothing
in an assembly is ever loaded or executed.
"""

from __future__ import annotations

from dataclasses import dataclass

from d365lint.model import Location


class AssemblyError(ValueError):
    """The bytes are not a readable .NET assembly."""


@dataclass(frozen=True, slots=True)
class UserString:
    """A string literal of the assembly's ``#US`` heap and its heap offset."""

    offset: int
    value: str


@dataclass(frozen=True, slots=True)
class Assembly:
    """What a rule may know of a compiled assembly."""

    name: str
    location: Location
    user_strings: tuple[UserString, ...]

    @property
    def component(self) -> str:
        return f"assembly:{self.name}"


def read_assembly(name: str, data: bytes, location: Location) -> Assembly:
    """Parse ``data`` as a .NET PE file and collect its user strings."""
    import dnfile  # imported lazily: most runs have no assembly

    try:
        pe = dnfile.dnPE(data=data, fast_load=False)
    except Exception as error:  # pefile raises many error types for junk
        raise AssemblyError(f"not a .NET assembly: {error}") from error
    try:
        heap = pe.net.user_strings if pe.net is not None else None
        return Assembly(name, location, tuple(_user_strings(heap)) if heap is not None else ())
    finally:
        pe.close()


def _user_strings(heap: object) -> list[UserString]:
    strings = []
    size = len(heap.__data__ or b"")  # type: ignore[attr-defined]
    index = 1
    while index < size:
        try:
            item = heap.get(index)  # type: ignore[attr-defined]
        except (IndexError, UnicodeDecodeError, ValueError):
            break
        if item is None or not item.raw_size:
            break
        value = item.value
        if isinstance(value, str) and value:
            strings.append(UserString(index, value))
        index += item.raw_size
    return strings
