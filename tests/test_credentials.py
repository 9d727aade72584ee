"""Credentials stored in Dynamics 365: the detector, every input form, and what reports may show.

Expectations about *where* findings are live in the fixtures (credentials-*
cases); these tests pin what the fixtures cannot: that no output format
shows a planted secret, how names are told from secrets, and inputs that
only exist at test time (configuration-data zips, test-path options).
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from d365lint.cli.main import main
from d365lint.detectors.secrets import (
    basic_pair_secret,
    is_credential_name,
    named_secret,
    password_sign_ins,
    scan_json,
    scan_text,
    scan_value,
)
from d365lint.engine.run import RunSettings, analyse
from d365lint.loading.discover import load
from d365lint.parsing.json_text import JsonTextError, parse_located_json
from d365lint.redaction import redact
from tests.conftest import FIXTURES, ROOT, run_analysis

CREDENTIAL_RULES = ("sec-hardcoded-credential", "sec-credential-column", "sec-env-var-secret-not-key-vault",
                    "sec-integration-password-auth")
CASES = sorted(
    [path for path in (FIXTURES / "sources").glob("credentials-*")]
    + [path for path in (FIXTURES / "solutions").glob("credentials-*")]
    + [FIXTURES / "solutions" / "contoso-unsafe"]
)


def _planted(ruleset) -> set[str]:
    report = run_analysis(CASES, ruleset)
    return {secret for result in report.results for secret in result.finding.secrets}


def test_no_output_format_shows_a_planted_secret(ruleset, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    planted = _planted(ruleset)
    assert len(planted) >= 60  # every firing credential fixture line plants one
    for output_format in ("text", "json", "sarif", "github", "azure"):
        target = tmp_path / f"report.{output_format}"
        main(["check", "--format", output_format, "--select", ",".join(CREDENTIAL_RULES), "--fail-on", "never",
              "-o", str(target), *map(str, CASES)])
        report = target.read_text(encoding="utf-8")
        assert report.count("sec-hardcoded-credential") >= len(planted), output_format  # the findings are there
        leaked = sorted(secret for secret in planted if secret in report)
        assert not leaked, f"{output_format} shows {len(leaked)} secrets in full"
    baseline = tmp_path / "baseline.json"
    main(["check", "--write-baseline", str(baseline), "--fail-on", "never", *map(str, CASES)])
    assert not [secret for secret in planted if secret in baseline.read_text(encoding="utf-8")]
    capsys.readouterr()


def test_a_secret_is_shown_by_its_first_four_characters_and_length(ruleset):
    report = run_analysis([FIXTURES / "sources" / "credentials-python"], ruleset)
    secret = "Pq8~w2.Er4_Ty6UiO8pA0sD2fG4hJ6kL8zX0cV2b"
    (finding,) = [r.finding for r in report.results if r.finding.evidence == secret]
    assert redact(secret) == "'Pq8~…' (40 characters)" and redact(secret) in finding.message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("clientSecret", True), ("CLIENT_SECRET", True), ("x-api-key", True), ("Ocp-Apim-Subscription-Key", True),
        ("contoso_password", True), ("this.apiKey", True), ("SecretKey", True), ("Authorization", True),
        ("x-functions-key", True), ("secretName", False), ("tokenEndpoint", False), ("publicKey", False),
        ("PublicKeyToken", False), ("isPasswordRequired", False), ("passwordKey", False), ("ConsumerKey", False),
        ("apiKeyHeader", False), ("tokenType", False), ("passwordPolicy", False), ("TokenCache", False),
    ],
)
def test_names_that_hold_a_credential_and_names_about_one(name, expected):
    assert is_credential_name(name) is expected


@pytest.mark.parametrize(
    "value",
    [
        "new_password", "contoso_apikey", "AppSettings:ClientSecret", "Contoso.Integration.Secret", "ClientSecret",
        "<password>", "${API_KEY}", "%API_KEY%", "$(ApiKey)", "#{ApiKey}#", "__ApiKey__", "{0}", "{{ api_key }}",
        "@parameters('ApiKey')", "@{variables('token')}", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x/)",
        "https://kv-contoso.vault.azure.net/secrets/partner", "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC", "Enter the password", "********",
        "", "changeme", "your-api-key-here", "secrets/partner.pem", "12345678901234", "/account/forgot-password",
    ],
)
def test_names_placeholders_references_guids_and_hashes_are_no_secrets(value):
    assert named_secret("clientSecret", value) is None
    assert named_secret("password", value) is None


def test_token_formats_count_without_a_name():
    text = (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjb250b3NvIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg "
        "aws AKIAIOSFODNN7EXAMPLF github ghp_0123456789abcdefghijABCDEFGHIJ012345 "
        "https://svc:Sup3rS3cret@api.contoso.com/x Authorization: Basic c3ZjOlN1cDNyJGVjcmV0IQ== "
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    )
    kinds = [secret.kind for secret in scan_text(text)]
    assert kinds == ["JSON Web Token", "AWS access key id", "GitHub token", "password in a URL", "Basic credentials", "private key"]
    private_key = scan_text(text)[-1]
    assert private_key.value.endswith("-----END RSA PRIVATE KEY-----")  # the whole block is masked wherever it is echoed


def test_inline_images_and_public_key_tokens_are_not_secrets():
    image = "<img src=\"data:image/png;base64,iVBORw0KGgoAIzaSyD4x9Qw2Er5Ty8Ui1Op3As6Df9Gh2Jk5LzAKIAABCDEFGHIJKLMNOP==\" />"
    assert scan_text(image) == []
    assert scan_text("Microsoft.Xrm.Sdk, Version=9.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35") == []


@pytest.mark.parametrize(
    "text",
    ["apikey" * 20000, '<a name="' + "token" * 20000, 'apikey="' + "a" * 100000, "A" * 100000, "<apikey" * 20000,
     "password=abc " * 20000],
)
def test_long_runs_are_scanned_in_linear_time(text):
    """Each of these took minutes with patterns that retry a long run from every split point."""
    scan_text(text)


def test_json_values_are_judged_by_the_key_a_sibling_or_the_owning_parameter():
    text = (
        '\ufeff{"parameters": {"ApiKey": {"defaultValue": "r9T2kLm4Qw8Zx7Nv3Bp5", "type": "String"}},'
        ' "headers": [{"name": "x-api-key", "value": "f00dBabe1234Cafe5678"}],'
        ' "escaped": {"password": "P\\u0040ss-w0rd-2024"},'
        ' "safe": {"name": "x-api-key", "value": "@parameters(\'key\')"}}'
    )
    found = scan_json(text)
    assert [(secret.key, secret.value) for secret in found] == [
        ("ApiKey", "r9T2kLm4Qw8Zx7Nv3Bp5"), ("x-api-key", "f00dBabe1234Cafe5678"), ("password", "P@ss-w0rd-2024")]
    assert text[found[0].start : found[0].start + 20] == "r9T2kLm4Qw8Zx7Nv3Bp5"  # offsets count the BOM
    assert text[found[2].start :].startswith("P\\u0040ss")  # an escaped value is reported where it starts


def test_json_that_is_not_json_is_read_as_text():
    with pytest.raises(JsonTextError):
        parse_located_json('{"version": "1.0", }')
    assert [s.value for s in scan_value('{"token": "tk_6Hq9Zt2Xw7Lm3Rb8Nc6V", }')] == ["tk_6Hq9Zt2Xw7Lm3Rb8Nc6V"]


def test_a_setting_named_like_a_credential_holds_it_whole():
    assert [s.value for s in scan_value("cpk_live_4Hq9Zt2Xw7Lm3Rb8Nc6Vd1", "contoso_PartnerApiKey")] == ["cpk_live_4Hq9Zt2Xw7Lm3Rb8Nc6Vd1"]
    assert scan_value("https://api.contoso.com/v2", "contoso_ApiKeyEndpoint") == []


def test_password_sign_ins_need_a_password_in_the_same_connection_string():
    assert [s.kind for s in password_sign_ins('"AuthType=Office365;Username=a@b.com;Password=x;Url=https://x"')] == [
        "a connection string with AuthType=Office365 and a user's password"]
    assert password_sign_ins('"AuthType=OAuth;ClientId=1;ClientSecret=x;Url=https://x"') == []
    assert password_sign_ins('"AuthType=OAuth;Url=https://x" + ";Password=" + p') == []
    assert len(password_sign_ins("grant_type=password&username=a")) == 1


def test_basic_credentials_are_a_user_and_a_password():
    assert basic_pair_secret("svc-user:Sup3r$ecret!").value == "Sup3r$ecret!"
    assert basic_pair_secret("user:pass") is None and basic_pair_secret("key:value") is None
    assert basic_pair_secret("https://host:443") is None


def test_assembly_strings_are_reported_with_their_heap_offset(ruleset):
    report = run_analysis([FIXTURES / "sources" / "credentials-assembly" / "FabrikamPartner.dll"], ruleset)
    messages = sorted(r.finding.message for r in report.results if r.rule.id == "sec-hardcoded-credential")
    assert len(messages) == 2 and all("#US heap offset 0x" in message for message in messages)
    clean = run_analysis([FIXTURES / "sources" / "plugins-assembly" / "ContosoCompiled.dll"], ruleset)
    assert not [r for r in clean.results if r.rule.id == "sec-hardcoded-credential"]


def test_a_configuration_data_zip_is_read(ruleset, tmp_path):
    package = tmp_path / "PartnerSettings.zip"
    with zipfile.ZipFile(package, "w") as archive:
        for name in ("data.xml", "data_schema.xml"):
            archive.write(FIXTURES / "sources" / "credentials-data" / name, name)
        archive.writestr("[Content_Types].xml", "<Types />")
    report = run_analysis([package], ruleset, cwd=tmp_path)
    found = {(r.rule.id, r.finding.location.member, r.finding.location.line) for r in report.results}
    assert found == {("sec-hardcoded-credential", "data.xml", 8), ("sec-integration-password-auth", "data.xml", 17)}
    assert not report.diagnostics


def test_a_single_flow_file_is_read_as_pre_commit_passes_it(ruleset):
    flow = FIXTURES / "sources" / "credentials-flows" / "Workflows" / "PartnerWebhook.json"
    report = run_analysis([flow.relative_to(ROOT)], ruleset)
    assert {r.rule.id for r in report.results} == {"sec-hardcoded-credential", "sec-integration-password-auth"}


def test_test_files_are_skipped_only_when_configured(ruleset, tmp_path):
    tests = tmp_path / "Contoso.Plugins.Tests"
    tests.mkdir()
    (tests / "PartnerClientTests.cs").write_text('class T { const string ApiKey = "pk_7Hd92LmQp3XzR8vNw4TaB1"; }\n', encoding="utf-8")
    workspace = load([str(tmp_path)], cwd=tmp_path)
    rules = [ruleset.get("sec-hardcoded-credential")]
    assert len(analyse(workspace, rules).results) == 1
    skipping = RunSettings(rule_options={"sec-hardcoded-credential": {"skip-test-files": True}})
    assert analyse(workspace, rules, skipping).results == ()


def test_extra_keywords_name_more_credentials(ruleset, tmp_path):
    (tmp_path / "client.js").write_text('"use strict";\nvar sharedToken2 = "x";\nvar partnerSeal = "Zq4Wx8Ec2Rv6Tb0Yn3Um7";\n', encoding="utf-8")
    workspace = load([str(tmp_path)], cwd=tmp_path)
    rules = [ruleset.get("sec-hardcoded-credential")]
    assert analyse(workspace, rules).results == ()
    extra = RunSettings(rule_options={"sec-hardcoded-credential": {"extra-keywords": ["seal"]}})
    assert [r.finding.location.line for r in analyse(workspace, rules, extra).results] == [3]


def test_power_pages_content_is_left_to_the_site_rule(ruleset):
    report = run_analysis([FIXTURES / "sites" / "contoso-portal-unsafe"], ruleset)
    rules = {r.rule.id for r in report.results}
    assert "sec-portal-credential-in-site" in rules and "sec-hardcoded-credential" not in rules


def test_classic_workflows_with_clr_namespaces_parse(ruleset, tmp_path):
    """Real XAML declares namespaces with spaces, which XML parsers reject as URIs; the literal is still found."""
    source = FIXTURES / "solutions" / "credentials-fabrikam" / "Workflows"
    folder = tmp_path / "Workflows"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.json", "*.expect"))
    report = run_analysis([tmp_path], ruleset, cwd=tmp_path)
    (result,) = report.results
    assert "'ApiKey'" in result.finding.message and result.finding.location.line == 21


def test_a_line_another_rule_reports_is_masked_with_the_secrets_of_its_file(ruleset):
    report = run_analysis([FIXTURES / "sources" / "credentials-csharp"], ruleset)
    (sign_in,) = [r.finding for r in report.results if r.rule.id == "sec-integration-password-auth" and r.finding.location.line == 76]
    assert "Partner!2024pw" in sign_in.secrets  # the sign-in's source line holds the password the other rule found


def test_json_reports_carry_the_masked_message(ruleset, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    main(["check", "--format", "json", "--select", "sec-hardcoded-credential", "--fail-on", "never",
          str(FIXTURES / "sources" / "credentials-flows")])
    findings = json.loads(capsys.readouterr().out)["findings"]
    shown = [re.search(r"'([^']{1,4})…' \(\d+ characters\)", f["message"]).group(1) for f in findings]
    assert shown == ["Lp4~", "Yw3k", "MIIK", "Cert", "qk_2"]


def test_loose_artifacts_are_only_flows_workflows_and_configuration_data(tmp_path):
    (tmp_path / "Workflows").mkdir()
    (tmp_path / "Workflows" / "flow.json").write_text("{}", encoding="utf-8")
    (tmp_path / "package-lock.json").write_text("{}", encoding="utf-8")
    (tmp_path / "data.xml").write_text("<entities />", encoding="utf-8")
    workspace = load([str(tmp_path)], cwd=tmp_path)
    assert [Path(raw.location.path).name for raw in workspace.raw_files] == ["flow.json"]
