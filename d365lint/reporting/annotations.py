"""CI annotations: GitHub Actions workflow commands and Azure DevOps logging commands.

``--format github`` prints ``::warning file=…,line=…,col=…,title=rule-id::message``
and ``--format azure`` prints
``##vso[task.logissue type=warning;sourcepath=…;linenumber=…;columnnumber=…;code=rule-id]message``;
the runners turn them into annotations on the changed lines.

Both runners decode percent-escapes, so each value is escaped exactly as the
runners' own toolkits do it, or a message with a line break (or a ``%``,
``,``, ``:``, ``;`` or ``]`` in a property) would be cut short or read as a
second command:

* GitHub (``@actions/core`` command.ts): data escapes ``%`` ``\\r`` ``\\n`` as
  ``%25`` ``%0D`` ``%0A``; properties also ``:`` and ``,`` as ``%3A`` ``%2C``.
* Azure DevOps (``azure-pipelines-task-lib`` taskcommand.ts, and the agent's
  CommandStringConvertor): data escapes ``%`` ``\\r`` ``\\n`` as ``%AZP25``
  ``%0D`` ``%0A``; properties also ``]`` and ``;`` as ``%5D`` ``%3B``.

GitHub shows at most 10 annotations of each type per step; the SARIF upload
carries the full list.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from d365lint.engine.run import Result
from d365lint.model import Diagnostic, Location
from d365lint.redaction import mask

AZURE_COMMAND = "##vso["
INERT_AZURE_COMMAND = "##vso\u200b["
_GITHUB_COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}
# Azure DevOps logs issues of two types only; notes become warnings.
_AZURE_TYPES = {"error": "error", "warning": "warning", "note": "warning"}


class Annotation(NamedTuple):
    """One result as CI systems annotate it: a level, a place, a rule and a message."""

    level: str  # error, warning or note
    path: str
    line: int | None
    column: int | None
    rule_id: str
    message: str
    end_line: int | None = None
    end_column: int | None = None


def place(location: Location, message: str) -> tuple[int | None, int | None, str]:
    """Line, column and message for a location; a zip member is named in the message.

    A CI runner can open the zip but not a member in it, so the annotation
    points at the zip file and the message says where inside it to look.
    """
    if location.member:
        return None, None, f"{message} (in {location.member}, line {location.line})"
    return location.line, location.column, message


def from_result(result: Result) -> Annotation:
    """A result's annotation, with secrets masked as in every other report."""
    finding = result.finding
    location = finding.location
    line, column, message = place(location, mask(finding.message, finding.secrets) + _state(result))
    same_line = location.end_line == location.line and not location.member
    return Annotation(
        level=result.level.label,
        path=location.path,
        line=line,
        column=column,
        rule_id=result.rule.id,
        message=message,
        end_column=location.end_column if same_line else None,
    )


def _state(result: Result) -> str:
    """Why a result shown on request does not count (``--include-suppressed``)."""
    if result.suppression is not None:
        reason = result.suppression.justification
        return f" [suppressed{': ' + reason if reason else ''}]"
    return " [baseline]" if result.baseline_state == "unchanged" else ""


def from_diagnostic(diagnostic: Diagnostic) -> Annotation:
    """An input d365lint could not fully analyse."""
    line, column, message = place(diagnostic.location, diagnostic.message)
    level = "error" if diagnostic.kind == "error" else "warning"
    return Annotation(level, diagnostic.location.path, line, column, "d365lint-input", message)


def escape_github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_github_property(text: str) -> str:
    return escape_github_data(text).replace(":", "%3A").replace(",", "%2C")


def escape_azure_data(text: str) -> str:
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def escape_azure_property(text: str) -> str:
    return escape_azure_data(text).replace("]", "%5D").replace(";", "%3B")


def github_command(annotation: Annotation) -> str:
    """``::warning file=…,line=…,col=…,title=rule-id::message``."""
    properties = {
        "file": annotation.path,
        "line": annotation.line,
        "col": annotation.column,
        "endColumn": annotation.end_column,
        "title": annotation.rule_id,
    }
    rendered = ",".join(f"{key}={escape_github_property(str(value))}" for key, value in properties.items() if value is not None)
    return f"::{_GITHUB_COMMANDS[annotation.level]} {rendered}::{escape_github_data(annotation.message)}"


def azure_command(annotation: Annotation) -> str:
    """``##vso[task.logissue type=…;sourcepath=…;linenumber=…;columnnumber=…;code=rule-id]message``.

    Azure's logging commands take absolute file paths.
    """
    properties = {
        "type": _AZURE_TYPES[annotation.level],
        "sourcepath": str(Path(annotation.path).absolute()),
        "linenumber": annotation.line,
        "columnnumber": annotation.column,
        "code": annotation.rule_id,
    }
    rendered = ";".join(f"{key}={escape_azure_property(str(value))}" for key, value in properties.items() if value is not None)
    # The agent runs a "##vso[" anywhere in a line: one in a file name or message would be a second command.
    inert = f"{rendered}]{escape_azure_data(annotation.message)}".replace(AZURE_COMMAND, INERT_AZURE_COMMAND)
    return f"##vso[task.logissue {inert}"


def render(annotations: Iterable[Annotation], style: str, summary: str) -> str:
    """Every annotation as a command of ``style`` (``github`` or ``azure``), then the summary."""
    command = github_command if style == "github" else azure_command
    lines = [command(annotation) for annotation in annotations]
    return "\n".join([*lines, summary]) + "\n"
