"""Configuration: finding the file, checking every key, and what it changes in a run."""

from __future__ import annotations

import json
import shutil
import textwrap
import tomllib
from pathlib import Path

import pytest

from d365lint.cli.main import main
from d365lint.config import ConfigError, Config, effective_options, find_config, load_config, run_settings
from d365lint.engine.run import analyse
from d365lint.loading.discover import load
from d365lint.model import Solution
from d365lint.rules.base import Finding, Rule, RuleContext, Target
from d365lint.rules.registry import validate
from tests.conftest import FIXTURES
from tests.support.rules import rule_for_test as make_rule

UNSAFE = FIXTURES / "solutions" / "contoso-unsafe"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- finding the file ---------------------------------------------------------


def test_the_nearest_file_above_the_checked_paths_wins(tmp_path):
    deep = tmp_path / "repo" / "solutions" / "contoso" / "Entities"
    deep.mkdir(parents=True)
    form = _write(deep / "form.xml", "<form/>")
    _write(tmp_path / "repo" / "pyproject.toml", "[project]\nname = 'x'\n")  # no [tool.d365lint]: passed by
    assert find_config([str(form)], tmp_path) is None
    top = _write(tmp_path / "repo" / "pyproject.toml", "[tool.d365lint]\nfail-on = 'error'\n")
    assert find_config([str(form)], tmp_path) == top
    nearer = _write(tmp_path / "repo" / "solutions" / ".d365lint.toml", "fail-on = 'note'\n")
    assert find_config([str(form)], tmp_path) == nearer
    assert find_config(["repo/solutions/contoso", "repo/solutions"], tmp_path) == nearer
    assert find_config(["repo"], tmp_path) == top


def test_d365lint_toml_wins_over_pyproject_in_the_same_folder(tmp_path):
    _write(tmp_path / "pyproject.toml", "[tool.d365lint]\nfail-on = 'error'\n")
    own = _write(tmp_path / ".d365lint.toml", "fail-on = 'note'\n")
    assert find_config(["."], tmp_path) == own


def test_config_option_overrides_discovery(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / ".d365lint.toml", "fail-on = 'note'\n")
    other = _write(tmp_path / "ci" / "strict.toml", "fail-on = 'error'\nignore = ['web']\n")
    assert main(["config", "--config", str(other), "."]) == 0
    printed = tomllib.loads(capsys.readouterr().out)
    assert printed["fail-on"] == "error" and printed["ignore"] == ["web"]
    assert main(["config", "."]) == 0
    assert tomllib.loads(capsys.readouterr().out)["fail-on"] == "note"


# --- checking every key -------------------------------------------------------

BAD = [
    ("pyproject.toml", "[tool.d365lint]\nfail_on = 'error'\n", "'tool.d365lint.fail_on': unknown key (did you mean 'fail-on'?)"),
    (".d365lint.toml", "fail-on = 'high'\n", "'fail-on': expected one of error, warning, note, never, got 'high'"),
    (".d365lint.toml", "select = 'sec'\n", "'select': expected a list of non-empty strings"),
    (".d365lint.toml", "select = ['sec-hardcoded-credentail']\n", "'select': unknown rule or prefix 'sec-hardcoded-credentail' (did you mean 'sec-hardcoded-credential'?)"),
    (".d365lint.toml", "ignore = ['web-s']\n", "'ignore': unknown rule or prefix 'web-s'"),
    (".d365lint.toml", "[severity]\nweb = 'critical'\n", "'severity.web': unknown severity 'critical'"),
    (".d365lint.toml", "[per-path-ignores]\n'tests/**' = 'sec'\n", "'per-path-ignores.\"tests/**\"': expected a list of non-empty strings"),
    (".d365lint.toml", "[[suppress]]\nrule = 'sec-org-owned-reference-table'\ncomponent = 'table:x'\nwhy = 'x'\n", "'suppress[0].why': unknown key"),
    (".d365lint.toml", "[[suppress]]\nrule = 'sec-org-owned-reference-table'\ncomponent = 'contoso_invoice'\n", "'suppress[0].component': expected a component such as 'table:<name>'"),
    (".d365lint.toml", "[[suppress]]\ncomponent = 'table:x'\n", "'suppress[0]': name the rule"),
    (".d365lint.toml", "[rules.sec-hardcoded-credential]\nextra-keyword = ['x']\n", "'rules.sec-hardcoded-credential.extra-keyword': unknown option (did you mean 'extra-keywords'?); the rule's options: extra-keywords"),
    (".d365lint.toml", "[rules.sec-hardcoded-credential]\nextra-keywords = 'x'\n", "'rules.sec-hardcoded-credential.extra-keywords': expected a list of str values, got 'x'"),
    (".d365lint.toml", "[rules.no-such-rule]\nx = 1\n", "'rules.no-such-rule': unknown rule"),
    (".d365lint.toml", "sensitive-columns = [1, 2]\n", "'sensitive-columns': expected a list of non-empty strings"),
    (".d365lint.toml", "baseline = 3\n", "'baseline': expected a file path"),
    (".d365lint.toml", "fail-on = \n", "invalid TOML"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD, ids=[m.split(":")[0] for _, _, m in BAD])
def test_bad_configuration_names_file_and_key_and_exits_2(tmp_path, capsys, monkeypatch, name, text, message):
    monkeypatch.chdir(tmp_path)
    config = _write(tmp_path / name, text)
    shutil.copytree(UNSAFE, tmp_path / "solution")
    assert main(["check", "solution"]) == 2
    error = capsys.readouterr().err
    assert str(config) in error
    assert message in error


def test_rule_option_values_are_checked_against_the_defaults(ruleset, tmp_path):
    rule = _options_rule()
    rules = validate([*ruleset.rules, rule])
    config = _write(tmp_path / ".d365lint.toml", "[rules.test-options]\nlimit = true\n")
    with pytest.raises(ConfigError, match="'rules.test-options.limit': expected an integer, got True"):
        load_config(config, rules)
    _write(config, "[rules.test-options]\nlimit = 7\nenabled = false\nratio = 1\nlabel = 'x'\nnames = ['a']\n")
    assert load_config(config, rules).rule_options["test-options"] == {
        "limit": 7, "enabled": False, "ratio": 1, "label": "x", "names": ("a",)
    }


# --- what the configuration changes -------------------------------------------


def _options_seen(solution: Solution, context: RuleContext):
    yield Finding(repr(sorted(context.options.items())), solution.location, f"solution:{solution.unique_name}", "options")


def _options_rule(rule_id: str = "test-options", **options) -> Rule:
    defaults = {"limit": 3, "enabled": True, "ratio": 0.5, "label": "a", "names": ("x",)}
    return make_rule(rule_id, Target.SOLUTION, _options_seen, options or defaults)


def test_shared_lists_reach_every_rule_that_uses_them(ruleset, tmp_path):
    sensitive = _options_rule(**{"sensitive-columns": ("ssn",), "min": 1})
    tables = _options_rule("test-tables", **{"transactional-tables": ("invoice",)})
    keywords = _options_rule("test-keywords", **{"extra-keywords": ()})
    rules = validate([*ruleset.rules, sensitive, tables, keywords])
    config = load_config(
        _write(
            tmp_path / ".d365lint.toml",
            """
            extend-sensitive-columns = ["riskscore"]
            transactional-tables = ["contoso_meterreading"]
            extra-credential-keywords = ["partnerkey"]
            [rules.test-tables]
            transactional-tables = ["own"]
            """,
        ),
        rules,
    )
    assert effective_options(config, sensitive) == {"sensitive-columns": ("ssn", "riskscore"), "min": 1}
    assert effective_options(config, tables) == {"transactional-tables": ("own",)}  # the rule's own setting wins
    assert effective_options(config, keywords) == {"extra-keywords": ("partnerkey",)}
    # Every built-in rule with a shared option follows the shared setting too.
    for rule in ruleset.rules:
        if "extra-keywords" in rule.options:
            assert effective_options(config, rule)["extra-keywords"] == ("partnerkey",)
        if "transactional-tables" in rule.options:
            assert effective_options(config, rule)["transactional-tables"] == ("contoso_meterreading",)
        if "sensitive-columns" in rule.options:
            assert effective_options(config, rule)["sensitive-columns"][-1] == "riskscore"
    # ...and the engine hands the merged options to the check.
    settings = run_settings(config, rules)
    report = analyse(load([str(UNSAFE)]), [sensitive], settings)
    assert report.results[0].finding.message == repr([("min", 1), ("sensitive-columns", ("ssn", "riskscore"))])


def test_extra_credential_keywords_find_secrets_under_custom_keys(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    solution = tmp_path / "solution"
    shutil.copytree(UNSAFE, solution)
    step = next((solution / "SdkMessageProcessingSteps").glob("{d1546b8e*.xml"))
    text = step.read_text(encoding="utf-8")
    step.write_text(text.replace("<CustomConfiguration>{", '<CustomConfiguration>{"contosoportal":"Zq81vNw0xLt3Pc6Re9Km",'), encoding="utf-8")
    args = ["check", "--format", "json", "--select", "sec-hardcoded-credential", "solution"]
    main(args)
    before = capsys.readouterr().out.count("contosoportal")
    _write(tmp_path / ".d365lint.toml", 'extra-credential-keywords = ["contosoportal"]\n')
    main(args)
    after = capsys.readouterr().out.count("contosoportal")
    assert (before, after) == (0, 1)


def test_select_ignore_fail_on_severity_and_path_ignores_from_the_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(UNSAFE, tmp_path / "solution")
    _write(
        tmp_path / "pyproject.toml",
        """
        [tool.d365lint]
        select = ["sec"]
        ignore = ["sec-role-excessive-privilege"]
        fail-on = "error"
        [tool.d365lint.severity]
        sec = "note"
        "sec-hardcoded-credential" = "warning"
        [tool.d365lint.per-path-ignores]
        "solution/environmentvariabledefinitions/**" = ["sec-hardcoded-credential"]
        """,
    )
    assert main(["check", "--format", "json", "solution"]) == 0  # nothing reaches "error" any more
    findings = json.loads(capsys.readouterr().out)["findings"]
    rules = {f["rule"] for f in findings}
    assert rules and all(rule.startswith("sec-") or rule == "unused-suppression" for rule in rules)
    assert "sec-role-excessive-privilege" not in rules
    levels = {f["rule"]: f["level"] for f in findings}
    assert levels["sec-hardcoded-credential"] == "warning"
    assert {level for rule, level in levels.items() if rule != "sec-hardcoded-credential"} == {"note"}
    assert not [f for f in findings if "environmentvariabledefinitions" in f["path"] and f["rule"] == "sec-hardcoded-credential"]
    # The command line replaces the selection and the threshold.
    assert main(["check", "--format", "json", "--select", "sec-hardcoded-credential", "--fail-on", "warning", "solution"]) == 1
    assert {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]} == {"sec-hardcoded-credential"}


def test_config_command_prints_valid_toml_of_the_effective_settings(tmp_path, capsys, monkeypatch, ruleset):
    monkeypatch.chdir(tmp_path)
    _write(
        tmp_path / ".d365lint.toml",
        """
        ignore = ["web"]
        extend-transactional-tables = ["contoso_meterreading"]
        [severity]
        "sec-hardcoded-credential" = "note"
        [per-path-ignores]
        "tests/**" = ["sec-hardcoded-credential"]
        [[suppress]]
        rules = ["sec-org-owned-reference-table"]
        component = "table:contoso_invoicetype"
        reason = "lookup"
        """,
    )
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# Effective d365lint configuration ({tmp_path / '.d365lint.toml'}).")
    printed = tomllib.loads(out)
    assert printed["ignore"] == ["web"]
    assert printed["transactional-tables"][-1] == "contoso_meterreading"
    assert printed["severity"]["sec-hardcoded-credential"] == "note"
    assert not [rule for rule in printed["severity"] if rule.startswith("web-")]
    assert printed["per-path-ignores"] == {"tests/**": ["sec-hardcoded-credential"]}
    assert printed["suppress"] == [{"rules": ["sec-org-owned-reference-table"], "component": "table:contoso_invoicetype", "reason": "lookup"}]
    credential = ruleset.get("sec-hardcoded-credential")
    assert printed["rules"]["sec-hardcoded-credential"] == {
        k: list(v) if isinstance(v, tuple) else v for k, v in credential.options.items()
    }


def test_defaults_without_a_file(ruleset):
    config = load_config(None, ruleset)
    assert config == Config()
    assert run_settings(config, ruleset).severity_overrides == {}
