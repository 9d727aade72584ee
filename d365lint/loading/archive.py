"""Reading solution zips safely, in memory, within limits.

Zips come from partners and pull requests. Nothing is ever extracted to
disk; member names that climb out of the archive (``../``, absolute paths,
drive letters) are reported and skipped; bombs are refused by limits on the
member count, each member's and the total expanded size, and the compression
ratio — checked against the declared sizes first and enforced again while
reading, since declared sizes can lie.
"""

from __future__ import annotations

import zipfile
import zlib
from typing import NamedTuple

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"


class ArchiveLimits(NamedTuple):
    """Bounds on what one archive may expand to."""

    max_members: int = 20_000
    max_member_size: int = 512 * 1024 * 1024
    max_total_size: int = 2 * 1024 * 1024 * 1024
    max_ratio: int = 200


class ArchiveError(ValueError):
    """The archive as a whole cannot be read."""


class MemberProblem(NamedTuple):
    """A member that was skipped, and why."""

    member: str
    message: str


def is_zip(data_start: bytes) -> bool:
    return data_start.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC))


def unsafe_member_name(name: str) -> bool:
    """True for names that would land outside the archive's folder."""
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return True
    return any(part == ".." for part in normalised.split("/"))


class SafeZip:
    """A zip whose members are read into memory under :class:`ArchiveLimits`."""

    def __init__(self, path: str, limits: ArchiveLimits = ArchiveLimits()) -> None:
        self.limits = limits
        self.problems: list[MemberProblem] = []
        self._expanded = 0
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
            raise ArchiveError(f"not a readable zip archive: {error}") from error
        if len(infos) > limits.max_members:
            raise ArchiveError(f"the archive has {len(infos)} members, more than the limit of {limits.max_members}")
        declared_total = sum(info.file_size for info in infos)
        if declared_total > limits.max_total_size:
            raise ArchiveError(
                f"the archive expands to {declared_total} bytes, more than the limit of {limits.max_total_size}"
            )
        self._members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            self._admit(info)

    def _admit(self, info: zipfile.ZipInfo) -> None:
        name = info.filename
        if info.is_dir():
            return
        if unsafe_member_name(name):
            self.problems.append(MemberProblem(name, "member path leads outside the archive (zip slip); skipped"))
            return
        if info.flag_bits & 0x1:
            self.problems.append(MemberProblem(name, "member is encrypted; skipped"))
            return
        key = name.replace("\\", "/")
        if key.lower().endswith(".zip"):
            self.problems.append(MemberProblem(name, "a zip inside the zip is not opened (nested archives are not analysed)"))
            return
        if key in self._members:
            self.problems.append(MemberProblem(name, "duplicate member name; only the first is read"))
            return
        if info.file_size > self.limits.max_member_size:
            self.problems.append(
                MemberProblem(name, f"member expands to {info.file_size} bytes, over the limit; skipped")
            )
            return
        if info.compress_size and info.file_size / info.compress_size > self.limits.max_ratio:
            self.problems.append(
                MemberProblem(
                    name,
                    f"member compression ratio {info.file_size // info.compress_size}:1 exceeds "
                    f"{self.limits.max_ratio}:1 (zip bomb?); skipped",
                )
            )
            return
        self._members[key] = info

    def names(self) -> list[str]:
        return list(self._members)

    def read(self, name: str) -> bytes:
        """The member's bytes; raises :class:`ArchiveError` past the limits or on corruption."""
        info = self._members[name]
        budget = min(self.limits.max_member_size, self.limits.max_total_size - self._expanded)
        try:
            with self._zip.open(info) as stream:
                data = stream.read(budget + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, NotImplementedError, EOFError) as error:
            raise ArchiveError(f"member {name} is corrupt: {error}") from error
        if len(data) > budget:
            raise ArchiveError(f"member {name} expands beyond the size limit (zip bomb?)")
        self._expanded += len(data)
        return data

    def close(self) -> None:
        self._zip.close()
