"""A progress bar for people watching a terminal, and for nobody else.

It is drawn on stderr only when stderr is a terminal, no CI system is
detected, and the run has already lasted a second: short runs stay silent,
and CI logs or pipes never fill with carriage-return noise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

DELAY_SECONDS = 1.0
REDRAW_SECONDS = 0.1
BAR_WIDTH = 28
# Variables CI systems set (GitHub Actions, Azure Pipelines, GitLab, Jenkins, generic).
CI_VARIABLES = ("CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILD_NUMBER")

_STAGES = {"solution": "solutions", "script": "scripts", "csharp": "C# files", "python": "Python files",
           "assembly": "assemblies", "html": "HTML pages", "raw-file": "other files"}


def wanted(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """A terminal that a person watches: a TTY, outside CI, and TERM is not dumb."""
    try:
        is_terminal = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return is_terminal and environ.get("TERM") != "dumb" and not any(environ.get(name) for name in CI_VARIABLES)


@dataclass
class TerminalProgress:
    """Called by the engine as ``(stage, done, total)``; call :meth:`finish` when the run ends."""

    stream: TextIO
    enabled: bool
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    _last_drawn: float = field(default=float("-inf"))
    _width: int = field(default=0)

    @classmethod
    def for_stream(cls, stream: TextIO, environ: Mapping[str, str] | None = None, clock: Callable[[], float] = time.monotonic) -> TerminalProgress:
        return cls(stream, wanted(stream, os.environ if environ is None else environ), clock, clock())

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        now = self.clock()
        if now - self.started < DELAY_SECONDS or (now - self._last_drawn < REDRAW_SECONDS and done < total):
            return
        self._last_drawn = now
        filled = BAR_WIDTH * done // total
        line = f"d365lint [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} {_STAGES.get(stage, stage)}"
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(line))

    def finish(self) -> None:
        """Clear the bar, so the report starts on a clean line."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
