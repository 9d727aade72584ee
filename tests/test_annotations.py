"""GitHub and Azure DevOps annotations: format, levels, zip members and escaping."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from d365lint.cli.main import main
from d365lint.engine.run import Result
from d365lint.model import Location
from d365lint.reporting.annotations import (
    Annotation,
    azure_command,
    escape_azure_data,
    escape_azure_property,
    escape_github_data,
    escape_github_property,
    from_result,
    github_command,
)
from d365lint.rules.base import Finding, Severity
from tests.conftest import FIXTURES, ROOT

SUPPRESSIONS = FIXTURES / "sources" / "suppressions"
TRICKY = "50% of 'a:b, c;d]'\r\nline two"


def _github_unescape(text: str, is_property: bool) -> str:
    """What the GitHub runner decodes (ActionCommand.cs: %0D %0A, and %3A %2C in properties, %25 last)."""
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if is_property else [])
    for escaped, raw in [*pairs, ("%25", "%")]:
        text = text.replace(escaped, raw)
    return text


def _azure_unescape(text: str) -> str:
    """What the Azure Pipelines agent decodes (CommandStringConvertor.Unescape, percents last)."""
    for escaped, raw in (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%AZP25", "%")):
        text = text.replace(escaped, raw)
    return text


def test_github_escaping_follows_the_actions_toolkit():
    assert escape_github_data(TRICKY) == "50%25 of 'a:b, c;d]'%0D%0Aline two"
    assert escape_github_property(TRICKY) == "50%25 of 'a%3Ab%2C c;d]'%0D%0Aline two"


def test_azure_escaping_follows_the_task_library():
    assert escape_azure_data(TRICKY) == "50%AZP25 of 'a:b, c;d]'%0D%0Aline two"
    assert escape_azure_property(TRICKY) == "50%AZP25 of 'a:b, c%3Bd%5D'%0D%0Aline two"


@given(st.text())
def test_escaped_values_decode_back_and_cannot_end_a_command(text):
    github_property = escape_github_property(text)
    azure_property = escape_azure_property(text)
    assert _github_unescape(escape_github_data(text), False) == text
    assert _github_unescape(github_property, True) == text
    assert _azure_unescape(escape_azure_data(text)) == text
    assert _azure_unescape(azure_property) == text
    assert not re.search(r"[\r\n,:]", github_property)
    assert not re.search(r"[\r\n;\]]", azure_property)
    assert "\n" not in escape_github_data(text) and "\n" not in escape_azure_data(text)


def test_commands_carry_place_rule_and_level():
    annotation = Annotation("warning", "src/a,b.js", 3, 7, "web-avoid-eval", "eval: 100% bad\nreally")
    assert github_command(annotation) == "::warning file=src/a%2Cb.js,line=3,col=7,title=web-avoid-eval::eval: 100%25 bad%0Areally"
    assert azure_command(annotation) == (
        f"##vso[task.logissue type=warning;sourcepath={Path('src/a,b.js').absolute()};linenumber=3;columnnumber=7;"
        "code=web-avoid-eval]eval: 100%AZP25 bad%0Areally"
    )
    note = Annotation("note", "x.xml", 1, 1, "meta-remove-inactive", "m")
    assert github_command(note).startswith("::notice ")
    assert azure_command(note).startswith("##vso[task.logissue type=warning;")


def test_a_zip_member_is_named_in_the_message_and_secrets_stay_masked(ruleset):
    secret = "Qx8~Vn2.aK9dLq_7ZrT3mWc5HbYe1sPu0jF4gXoN"
    finding = Finding(
        f"holds {secret[:4]}…", Location("build/Contoso.zip", 120, 9, "customizations.xml"), "step:x", secret, secrets=(secret,)
    )
    result = Result(ruleset.get("sec-hardcoded-credential"), finding, Severity.ERROR, "f")
    annotation = from_result(result)
    assert (annotation.path, annotation.line, annotation.column) == ("build/Contoso.zip", None, None)
    assert annotation.message.endswith("(in customizations.xml, line 120)")
    command = github_command(annotation)
    assert command.startswith("::error file=build/Contoso.zip,title=sec-hardcoded-credential::")
    assert secret not in command and secret not in azure_command(annotation)


def test_check_prints_github_annotations_and_a_summary(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["check", "--format", "github", "--include-suppressed", str(SUPPRESSIONS)]) == 0  # suppressed: not counted
    lines = capsys.readouterr().out.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert len(commands) == len(lines) - 1 and lines[-1].startswith("Found 3 findings")
    assert any(
        re.fullmatch(
            r"::error file=fixtures/sources/suppressions/contoso_suppressed\.js,line=8,col=12,endColumn=28,title=web-avoid-eval::"
            r".+ \[suppressed: the expression comes from a vetted formula table\]",
            c,
        )
        for c in commands
    ), commands
    assert sum(c.startswith("::notice ") for c in commands) == 3


def test_check_prints_azure_logging_commands(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["check", "--format", "azure", str(SUPPRESSIONS)]) == 0  # only notes: below the threshold
    lines = capsys.readouterr().out.splitlines()
    absolute = (ROOT / "fixtures/sources/suppressions/contoso_suppressed.js").as_posix()
    assert f"##vso[task.logissue type=warning;sourcepath={absolute};linenumber=13;columnnumber=5;code=unused-suppression]" in "\n".join(lines)
    assert all(line.startswith("##vso[task.logissue ") for line in lines[:-1])
