"""Reading compiled plug-in assemblies with dnfile.

Only metadata is read (the user-string heap and member references); nothing
in an assembly is ever loaded or executed. Member references say which
framework and SDK members the code calls (``ColumnSet::.ctor(bool)``,
``Parallel::ForEach``), not where or with which values: rules over
assemblies can report that an assembly uses a member, never the line.
"""

from __future__ import annotations

import logging
import struct
from typing import NamedTuple

from d365lint.model import Location

# dnfile logs malformed heap entries as warnings; without a handler Python prints them on stderr, in the middle of
# a report. Problems that matter surface as AssemblyError.
logging.getLogger("dnfile").addHandler(logging.NullHandler())


class AssemblyError(ValueError):
    """The bytes are not a readable .NET assembly."""


class UserString(NamedTuple):
    """A string literal of the assembly's ``#US`` heap and its heap offset."""

    offset: int
    value: str


class MemberRef(NamedTuple):
    """A member of another assembly that this one calls: ``Namespace.Type::Name`` and its signature blob."""

    namespace: str
    type_name: str
    name: str
    signature: bytes

    @property
    def full_type(self) -> str:
        return f"{self.namespace}.{self.type_name}" if self.namespace else self.type_name


class Assembly(NamedTuple):
    """What a rule may know of a compiled assembly."""

    name: str
    location: Location
    user_strings: tuple[UserString, ...]
    member_refs: tuple[MemberRef, ...] = ()

    @property
    def component(self) -> str:
        return f"assembly:{self.name}"


def read_assembly(name: str, data: bytes, location: Location) -> Assembly:
    """Parse ``data`` as a .NET PE file and collect its user strings."""
    import dnfile  # imported lazily: most runs have no assembly

    try:
        # Only the CLR header is parsed, and the metadata rows asked for: a merged plug-in assembly
        # (ILMerge) holds 200,000 rows, and loading them all took 9.4 s for the 941 member references.
        pe = dnfile.dnPE(data=data, fast_load=True, clr_lazy_load=True)
        pe.parse_data_directories(directories=[dnfile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR"]])
    except Exception as error:  # pefile raises many error types for junk
        raise AssemblyError(f"not a .NET assembly: {pe_problem(error, len(data))}") from error
    # No pe.close(): it only closes a file pefile opened itself, and runs a full garbage collection
    # that costs 0.25 s per assembly once a large solution is loaded (21 s of 85 assemblies).
    if pe.net is not None and pe.net.metadata is None:
        raise AssemblyError(f"not a readable .NET assembly: its metadata is truncated or corrupt ({len(data):,} bytes)")
    heap = pe.net.user_strings if pe.net is not None else None
    tables = pe.net.mdtables if pe.net is not None else None
    return Assembly(
        name,
        location,
        tuple(_user_strings(heap)) if heap is not None else (),
        tuple(_member_refs(tables)) if tables is not None else (),
    )


_MEMBER_REF_PARENTS = ("TypeDef", "TypeRef", "ModuleRef", "MethodDef", "TypeSpec")
"""The tables a MemberRef's ``Class`` coded index points into, by its three tag bits (ECMA-335 II.24.2.6)."""


def _member_refs(tables: object) -> list[MemberRef]:
    """Every MemberRef row, with its declaring type (through a generic instantiation if need be)."""
    refs = []
    table = getattr(tables, "MemberRef", None)
    for row in getattr(table, "rows", None) or []:
        try:
            namespace, type_name = _declaring_type(tables, _parent_row(tables, row.struct.Class_CodedIndex))
            signature = row.Signature
            blob = bytes(signature.value if hasattr(signature, "value") else signature or b"")
            refs.append(MemberRef(namespace, type_name, str(row.Name or ""), blob))
        except Exception:  # one malformed row must not hide the others  # noqa: BLE001
            continue
    return refs


def _parent_row(tables: object, coded: int) -> object | None:
    """The row a MemberRefParent coded index names, read on its own.

    dnfile resolves ``row.Class`` by loading every row of every table; the
    raw index and the one row it names are all a member reference needs.
    """
    index = (coded >> 3) - 1
    name = _MEMBER_REF_PARENTS[coded & 0x7] if coded & 0x7 < len(_MEMBER_REF_PARENTS) else ""
    rows = getattr(getattr(tables, name, None), "rows", None) or []
    return rows[index] if 0 <= index < len(rows) else None


def _declaring_type(tables: object, parent: object) -> tuple[str, str]:
    """Namespace and name of a TypeRef/TypeDef, or of the generic type a TypeSpec instantiates."""
    if hasattr(parent, "TypeName"):
        return str(getattr(parent, "TypeNamespace", "") or ""), str(parent.TypeName or "")
    signature = getattr(parent, "Signature", None)
    blob = bytes(signature.value if hasattr(signature, "value") else signature or b"")
    # GENERICINST (0x15) CLASS|VALUETYPE (0x12|0x11) TypeDefOrRef coded index
    if len(blob) >= 3 and blob[0] == 0x15 and blob[1] in (0x11, 0x12):
        coded, _ = _compressed(blob, 2)
        table_name = {0: "TypeDef", 1: "TypeRef", 2: "TypeSpec"}.get(coded & 0x3)
        rows = getattr(getattr(tables, table_name or "", None), "rows", None) or []
        index = (coded >> 2) - 1
        if table_name in ("TypeDef", "TypeRef") and 0 <= index < len(rows):
            row = rows[index]
            return str(getattr(row, "TypeNamespace", "") or ""), str(getattr(row, "TypeName", "") or "")
    return "", ""


def _compressed(blob: bytes, offset: int) -> tuple[int, int]:
    """ECMA-335 compressed unsigned integer at ``offset``: its value and the next offset."""
    first = blob[offset]
    if first & 0x80 == 0:
        return first, offset + 1
    if first & 0xC0 == 0x80:
        return ((first & 0x3F) << 8) | blob[offset + 1], offset + 2
    return ((first & 0x1F) << 24) | (blob[offset + 1] << 16) | (blob[offset + 2] << 8) | blob[offset + 3], offset + 4


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


def pe_problem(error: Exception, size: int) -> str:
    """What pefile said, for people: its own sentence, or for a failed low-level read, that the file is cut short.

    A truncated file makes pefile unpack fields at absurd offsets, and the
    message of that ``struct.error`` ("requires a buffer of at least
    538976417 bytes") only confuses.
    """
    if isinstance(error, struct.error):
        return f"the file is truncated or corrupt ({size:,} bytes)"
    message = error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else str(error)
    return message.rstrip(".")
