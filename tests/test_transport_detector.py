"""The http:// endpoint detector, and service endpoints read from the exported layout."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from d365lint.detectors.transport import LOCAL_HOSTS, NAMESPACE_HOSTS, insecure_urls, is_insecure_url
from tests.conftest import run_analysis


def urls(text: str) -> list[str]:
    return [found.url for found in insecure_urls(text)]


def test_endpoints_in_configuration_are_found_with_their_offset():
    text = '{"primary":"http://erp.contoso.com/api","backup":"https://erp2.contoso.com"}'
    found = list(insecure_urls(text))
    assert [(f.url, f.start) for f in found] == [("http://erp.contoso.com/api", text.index("http://"))]


def test_sentence_punctuation_is_not_part_of_the_url():
    assert urls("Send it to http://erp.contoso.com/in.") == ["http://erp.contoso.com/in"]


def test_namespace_declarations_and_schema_locations_are_not_endpoints():
    text = (
        '<settings xmlns="http://schemas.contoso.com/erp" xmlns:x="http://contoso.com/x" '
        'xsi:schemaLocation="http://contoso.com/x x.xsd"><url>http://erp.contoso.com/api</url></settings>'
    )
    assert urls(text) == ["http://erp.contoso.com/api"]


def test_loopback_addresses_are_not_endpoints():
    assert urls("http://localhost:7071/api http://127.0.0.1/x http://[::1]:8080/ http://dev.localhost/") == []


def test_a_bare_scheme_is_no_endpoint():
    assert not is_insecure_url("http://")
    assert urls("prefix http:// only") == []


@given(
    host=st.sampled_from(sorted(NAMESPACE_HOSTS | LOCAL_HOSTS)),
    path=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/-_.", max_size=20),
)
def test_exempt_hosts_are_never_reported(host: str, path: str):
    assert urls(f"see http://{host}/{path} here") == []
    assert not is_insecure_url(f"http://{host}/{path}")


@given(label=st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), tld=st.sampled_from(["com", "net", "io", "local"]))
def test_other_hosts_are_reported(label: str, tld: str):
    url = f"http://{label}.contoso-{tld}.{tld}/api"
    assert urls(f"endpoint={url};timeout=30") == [url]
    assert is_insecure_url(url)


EXPORTED_CUSTOMIZATIONS = """<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Entities />
  <ServiceEndpoints>
    <ServiceEndpoint ServiceEndpointId="{0c9b6a1e-5d2f-4f7a-9e31-2b8c4d6f0a17}" Name="Orders webhook">
      <Name>Orders webhook</Name>
      <Contract>8</Contract>
      <Url>http://erp.contoso.com/hooks/orders</Url>
    </ServiceEndpoint>
  </ServiceEndpoints>
</ImportExportXml>
"""
EXPORTED_MANIFEST = """<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml><SolutionManifest><UniqueName>contoso_hooks</UniqueName><Version>1.0.0.0</Version>
<Managed>0</Managed><Publisher><CustomizationPrefix>contoso</CustomizationPrefix></Publisher></SolutionManifest></ImportExportXml>
"""


def test_service_endpoints_of_an_exported_solution_are_read(tmp_path: Path, ruleset):
    (tmp_path / "solution.xml").write_text(EXPORTED_MANIFEST, encoding="utf-8")
    (tmp_path / "customizations.xml").write_text(EXPORTED_CUSTOMIZATIONS, encoding="utf-8")
    report = run_analysis([tmp_path], ruleset, cwd=tmp_path)
    found = [(r.finding.location.line, r.finding.component) for r in report.results if r.rule.id == "sec-insecure-transport"]
    assert found == [(8, "serviceendpoint:Orders webhook")]
