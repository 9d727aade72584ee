"""Rule documentation: generated from metadata, committed, and never stale."""

from __future__ import annotations

import json

from d365lint.cli.main import main
from d365lint.reporting import rule_docs
from tests.conftest import ROOT

DOCS = ROOT / "docs" / "rules"
README = ROOT / "README.md"


def test_committed_rule_docs_match_the_rules(ruleset):
    """Fails when a rule was added or changed without regenerating its page.

    Fix: run ``d365lint docs --output docs/rules --readme README.md`` from the
    repository root and commit docs/rules and README.md.
    """
    files = rule_docs.planned(ruleset.rules, DOCS, README)
    problems = [problem.replace(f"{ROOT}/", "") for problem in rule_docs.stale(files, DOCS)]
    assert not problems, (
        f"rule docs are stale; regenerate them from the repository root with `{rule_docs.REGENERATE}` "
        "(or `.venv/bin/python -m d365lint docs`) and commit docs/rules and README.md:\n  " + "\n  ".join(problems)
    )


def test_readme_lists_every_rule_between_the_markers(ruleset):
    if not README.is_file() or rule_docs.README_START not in README.read_text(encoding="utf-8"):
        return  # the project README gets its markers the first time `d365lint docs` runs
    text = README.read_text(encoding="utf-8")
    table = text[text.index(rule_docs.README_START) : text.index(rule_docs.README_END)]
    for rule in ruleset.rules:
        assert f"[`{rule.id}`](docs/rules/{rule.id}.md)" in table


def test_every_sarif_rule_links_to_its_page(capsys, ruleset):
    assert main(["check", "--format", "sarif", "--fail-on", "never", str(ROOT / "fixtures" / "sources" / "web-sdl")]) == 0
    descriptors = json.loads(capsys.readouterr().out)["runs"][0]["tool"]["driver"]["rules"]
    assert {d["id"] for d in descriptors} == set(ruleset.ids())
    for descriptor in descriptors:
        page = descriptor["helpUri"].split("/blob/main/", 1)[1]
        assert page == f"docs/rules/{descriptor['id']}.md"
        assert (ROOT / page).is_file(), page


def test_generation_writes_updates_and_removes_pages(tmp_path, ruleset, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# Project\n\nIntro.\n", encoding="utf-8")
    assert main(["docs", "--check"]) == 1
    assert "regenerate them with: d365lint docs" in capsys.readouterr().err
    assert main(["docs"]) == 0
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Project\n\nIntro.\n\n## Rules\n\n")
    assert readme.index(rule_docs.README_START) < readme.index("| [`sec-hardcoded-credential`](docs/rules/sec-hardcoded-credential.md) |")
    assert readme.count(rule_docs.README_START) == 1
    assert main(["docs", "--check"]) == 0
    page = tmp_path / "docs" / "rules" / "sec-hardcoded-credential.md"
    text = page.read_text(encoding="utf-8")
    rule = ruleset.get("sec-hardcoded-credential")
    assert text.startswith(rule_docs.GENERATED) and rule.help.strip() in text and rule.summary in text
    assert "Security severity | 8.5 (high)" in text
    page.write_text(text + "hand edit\n", encoding="utf-8")
    stray = tmp_path / "docs" / "rules" / "sec-removed-rule.md"
    stray.write_text(rule_docs.GENERATED + "\n# gone\n", encoding="utf-8")
    handwritten = tmp_path / "docs" / "rules" / "guide.md"
    handwritten.write_text("# Not generated\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["docs", "--check"]) == 1
    reported = capsys.readouterr().out
    assert "outdated docs/rules/sec-hardcoded-credential.md" in reported and "left over docs/rules/sec-removed-rule.md" in reported
    assert main(["docs"]) == 0
    assert page.read_text(encoding="utf-8") == text and not stray.exists() and handwritten.exists()
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == readme  # the table is replaced in place
