"""One solution, every input form: folder, exported zip, hand-unzipped export, loose files.

Each solution fixture is packed into a real exported zip (tests/support/pack.py)
and the findings of each form are compared by rule and fingerprint, which
never include line numbers: the forms must agree on what they find.
"""

from __future__ import annotations

import re
import shutil
import textwrap
import zipfile
from collections import Counter
from typing import Any

import pytest
from lxml import etree

from d365lint.loading.discover import load
from d365lint.model import Language, Location, RawFile, WebResourceType
from tests.conftest import FIXTURES, ROOT, run_analysis
from tests.support.pack import pack_to

SOLUTIONS = sorted(
    path for path in (FIXTURES / "solutions").iterdir() if (path / "Other" / "Solution.xml").is_file()
)


def _identities(report) -> Counter:
    return Counter((result.rule.id, result.fingerprint) for result in report.results)


def _unlocated(value: Any) -> Any:
    """A model value without where its parts came from (locations, file paths), for comparing forms.

    Raw files are compared by file name and content: exports keep connector
    files in ``Connector/``, unpacked trees in ``Connectors/``.
    """
    if isinstance(value, Location):
        return None
    if isinstance(value, RawFile):
        return ("RawFile", value.name.rsplit("/", 1)[-1], value.content)
    if hasattr(value, "_fields"):  # a model element, a named tuple
        kept = (name for name in value._fields if name != "source")
        return (type(value).__name__, tuple((name, _unlocated(getattr(value, name))) for name in kept))
    if isinstance(value, (tuple, list)):
        return tuple(sorted((_unlocated(item) for item in value), key=repr))
    return value


def _only_unpacked(raw: RawFile) -> bool:
    """Files an export does not have: test sidecars, and connector XML that packing merges into customizations.xml."""
    return raw.name.endswith(".expect") or (raw.name.lower().startswith("connectors/") and raw.name.endswith(".xml"))


def _assert_same_model(solution, tmp_path) -> None:
    (folder_solution,) = load([str(solution)], cwd=tmp_path).solutions
    (zip_solution,) = load([str(pack_to(solution, tmp_path / "export.zip"))], cwd=tmp_path).solutions
    folder_solution = folder_solution._replace(
        raw_files=tuple(raw for raw in folder_solution.raw_files if not _only_unpacked(raw)),
        file_count=zip_solution.file_count,  # one file per component unpacked, a few members zipped
    )
    assert (folder_solution.source, zip_solution.source) == ("unpacked", "zip")
    assert _unlocated(zip_solution) == _unlocated(folder_solution)


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.name)
def test_zip_and_folder_load_the_same_model(solution, tmp_path):
    _assert_same_model(solution, tmp_path)


def test_quick_create_forms_and_workflow_metadata_load_alike_from_both_layouts(tmp_path):
    """Found on real solutions: FormXml/quickCreate/ (the folder keeps the export's case) and Workflows/*.data.xml."""
    solution = tmp_path / "contoso"
    shutil.copytree(FIXTURES / "solutions" / "contoso-clean", solution)
    forms = solution / "Entities" / "contoso_Invoice" / "FormXml"
    main_form = next((forms / "main").glob("*.xml"))
    (forms / "quickCreate").mkdir()
    quick_id = "{6e7f9ac4-0f7d-f011-8544-6045bd0f7a21}"
    (forms / "quickCreate" / f"{quick_id}.xml").write_text(
        re.sub(r"<formid>\{[^}]+\}</formid>", f"<formid>{quick_id}</formid>", main_form.read_text(encoding="utf-8-sig")), encoding="utf-8"
    )
    flow = solution / "Workflows" / "NotifyFinance-2B3C4D5E-6F70-4819-A2B3-C4D5E6F70819.json"
    flow.parent.mkdir()
    flow.write_text('{"properties": {"definition": {"triggers": {}, "actions": {}}}}\n', encoding="utf-8")
    flow.with_name(flow.name + ".data.xml").write_text(textwrap.dedent(f"""\
        <?xml version="1.0" encoding="utf-8"?>
        <Workflow WorkflowId="{{2b3c4d5e-6f70-4819-a2b3-c4d5e6f70819}}" Name="Notify finance" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
          <JsonFileName>/Workflows/{flow.name}</JsonFileName>
          <Type>1</Type>
          <Category>5</Category>
          <StateCode>1</StateCode>
          <StatusCode>2</StatusCode>
        </Workflow>
        """), encoding="utf-8")
    _assert_same_model(solution, tmp_path)
    (loaded,) = load([str(solution)], cwd=tmp_path).solutions
    assert "quickCreate" in {form.form_type for form in loaded.forms}
    assert [raw.name for raw in loaded.raw_files] == [f"Workflows/{flow.name}"]


def test_the_packed_zip_is_laid_out_like_an_export(tmp_path):
    """What the form tests compare against must be a real export's layout, or they prove little."""
    solution = FIXTURES / "solutions" / "contoso-unsafe"
    with zipfile.ZipFile(pack_to(solution, tmp_path / "export.zip")) as archive:
        names = archive.namelist()
        customizations = etree.fromstring(archive.read("customizations.xml"))
        content_types = archive.read("[Content_Types].xml")
        manifest = archive.read("solution.xml")
    assert {"solution.xml", "customizations.xml", "[Content_Types].xml"} <= set(names)
    assert not [name for name in names if name.endswith(".data.xml") or name.split("/")[0] in {"Other", "Entities", "Roles", "SdkMessageProcessingSteps"}]
    assert manifest.startswith(b"<ImportExportXml") and b"\r\n" in manifest
    # Content files are renamed to the metadata's FileName: name without separators, then the id.
    scripts = sorted(name for name in names if name.startswith("WebResources/"))
    assert "WebResources/contoso_scriptsinvoice5F7B2DA4-2B7D-F011-8544-6045BD0F7A21" in scripts
    assert all("." not in name for name in scripts)
    assert content_types.startswith(b"\xef\xbb\xbf<?xml")
    for name in scripts:
        assert f'<Override PartName="/{name}"'.encode() in content_types
    counts = {
        path: len(customizations.xpath(path))
        for path in (
            "Entities/Entity", "Entities/Entity/FormXml/forms/systemform", "Entities/Entity/SavedQueries/savedqueries/savedquery",
            "Entities/Entity/RibbonDiffXml", "Roles/Role", "SdkMessageProcessingSteps/SdkMessageProcessingStep",
            "SolutionPluginAssemblies/PluginAssembly", "WebResources/WebResource",
        )
    }
    assert counts == {
        "Entities/Entity": len(list(solution.glob("Entities/*/Entity.xml"))),
        "Entities/Entity/FormXml/forms/systemform": len(list(solution.glob("Entities/*/FormXml/*/*.xml"))),
        "Entities/Entity/SavedQueries/savedqueries/savedquery": len(list(solution.glob("Entities/*/SavedQueries/*.xml"))),
        "Entities/Entity/RibbonDiffXml": len(list(solution.glob("Entities/*/RibbonDiff.xml"))),
        "Roles/Role": len(list(solution.glob("Roles/*.xml"))),
        "SdkMessageProcessingSteps/SdkMessageProcessingStep": len(list(solution.glob("SdkMessageProcessingSteps/*.xml"))),
        "SolutionPluginAssemblies/PluginAssembly": len(list(solution.glob("PluginAssemblies/**/*.data.xml"))),
        "WebResources/WebResource": len(list(solution.glob("WebResources/**/*.data.xml"))),
    }
    assert all(count > 0 for count in counts.values())


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.name)
def test_zip_and_folder_find_the_same(solution, ruleset, tmp_path):
    folder_report = run_analysis([solution], ruleset)
    zip_report = run_analysis([pack_to(solution, tmp_path / f"{solution.name}.zip")], ruleset, cwd=tmp_path)
    assert _identities(zip_report) == _identities(folder_report)
    assert not [d for d in zip_report.diagnostics if d.kind == "error"], zip_report.diagnostics


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.name)
def test_an_unzipped_export_is_read_like_the_zip(solution, ruleset, tmp_path):
    archive = pack_to(solution, tmp_path / "export.zip")
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(unzipped)
    assert _identities(run_analysis([unzipped], ruleset, cwd=tmp_path)) == _identities(
        run_analysis([archive], ruleset, cwd=tmp_path)
    )


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.name)
def test_loose_files_as_pre_commit_passes_them_find_the_same(solution, ruleset):
    files = sorted(path.relative_to(ROOT) for path in solution.rglob("*") if path.is_file())
    assert _identities(run_analysis(files, ruleset)) == _identities(run_analysis([solution], ruleset))


def test_a_single_file_reports_only_its_own_findings(ruleset):
    solution = FIXTURES / "solutions" / "contoso-unsafe"
    whole = run_analysis([solution], ruleset)
    path = whole.results[0].finding.location.path
    single = run_analysis([path], ruleset)
    assert single.results and {r.finding.location.path for r in single.results} == {path}


def test_a_repository_root_finds_every_solution_and_keeps_copies_apart(ruleset, tmp_path):
    repository = tmp_path / "repo"
    shutil.copytree(FIXTURES / "solutions" / "contoso-unsafe", repository / "src" / "unpacked")
    (repository / "dist").mkdir()
    pack_to(FIXTURES / "solutions" / "contoso-unsafe", repository / "dist" / "contoso.zip")
    report = run_analysis([repository], ruleset, cwd=tmp_path)
    paths = {result.finding.location.path.split("/")[1] for result in report.results}
    assert paths == {"src", "dist"}
    per_copy = Counter(result.finding.location.path.split("/")[1] for result in report.results)
    assert per_copy["src"] == per_copy["dist"]


def test_pac_solution_clone_layout_is_found_under_src(ruleset, tmp_path):
    clone = tmp_path / "ContosoClone"
    shutil.copytree(FIXTURES / "solutions" / "contoso-unsafe", clone / "src")
    (clone / "ContosoClone.cdsproj").write_text("<Project />", encoding="utf-8")
    report = run_analysis([clone], ruleset, cwd=tmp_path)
    assert _identities(report) == _identities(run_analysis([FIXTURES / "solutions" / "contoso-unsafe"], ruleset))


def test_managed_twins_of_packagetype_both_are_skipped(ruleset, tmp_path):
    solution = tmp_path / "both"
    shutil.copytree(FIXTURES / "solutions" / "contoso-unsafe", solution)
    for step in (solution / "SdkMessageProcessingSteps").glob("*.xml"):
        shutil.copy(step, step.with_name(step.stem + "_managed.xml"))
    assert _identities(run_analysis([solution], ruleset, cwd=tmp_path)) == _identities(
        run_analysis([FIXTURES / "solutions" / "contoso-unsafe"], ruleset)
    )


SOLUTION_XML = """<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml version="9.2.25044.185" SolutionPackageVersion="9.2" languagecode="1033" generatedBy="CrmLive">
  <SolutionManifest>
    <UniqueName>fabrikam_types</UniqueName>
    <Version>1.0.0.0</Version>
    <Managed>0</Managed>
    <Publisher><UniqueName>fabrikam</UniqueName><CustomizationPrefix>fabrikam</CustomizationPrefix></Publisher>
    <RootComponents />
  </SolutionManifest>
</ImportExportXml>
"""
CUSTOMIZATIONS_XML = """<?xml version="1.0" encoding="utf-8"?>
<ImportExportXml xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Entities />
  <Roles />
  <Workflows />
  <Languages><Language>1033</Language></Languages>
</ImportExportXml>
"""


def _web_resource(folder, path: str, name: str, type_code: int, guid: str, content: str) -> None:
    flat = name.replace("/", "").replace(".", "")
    metadata = f"""<?xml version="1.0" encoding="utf-8"?>
    <WebResource xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
      <WebResourceId>{{{guid.lower()}}}</WebResourceId>
      <Name>{name}</Name>
      <DisplayName>{name}</DisplayName>
      <WebResourceType>{type_code}</WebResourceType>
      <IsCustomizable>1</IsCustomizable>
      <FileName>/WebResources/{flat}{guid.upper()}</FileName>
    </WebResource>
    """
    content_file = folder / "WebResources" / path
    content_file.parent.mkdir(parents=True, exist_ok=True)
    content_file.write_text(content, encoding="utf-8")
    content_file.with_name(content_file.name + ".data.xml").write_text(textwrap.dedent(metadata), encoding="utf-8")


@pytest.fixture()
def typed_web_resources(tmp_path):
    """A solution whose web-resource file names say nothing true about their types."""
    folder = tmp_path / "types"
    (folder / "Other").mkdir(parents=True)
    (folder / "Other" / "Solution.xml").write_text(SOLUTION_XML, encoding="utf-8")
    (folder / "Other" / "Customizations.xml").write_text(CUSTOMIZATIONS_XML, encoding="utf-8")
    script = '"use strict";\nfunction run(code) { return eval(code); }\n'
    _web_resource(folder, "fabrikam_/scripts/noextension", "fabrikam_/scripts/noextension", 3, "1b4e2c3d-0001-f011-8544-6045bd0f7a21", script)
    _web_resource(folder, "fabrikam_/styles/theme.js", "fabrikam_/styles/theme.js", 2, "1b4e2c3d-0002-f011-8544-6045bd0f7a21", script)
    _web_resource(folder, "fabrikam_/pages/panel.css", "fabrikam_/pages/panel.css", 1, "1b4e2c3d-0003-f011-8544-6045bd0f7a21", f"<html><body><script>{script}</script></body></html>")
    return folder


def test_web_resource_type_comes_from_metadata_not_the_file_name(typed_web_resources, ruleset, tmp_path):
    for path in (typed_web_resources, pack_to(typed_web_resources, tmp_path / "types.zip")):
        (solution,) = load([str(path)], cwd=tmp_path).solutions
        types = {resource.name: resource.type for resource in solution.web_resources}
        assert types == {
            "fabrikam_/scripts/noextension": WebResourceType.SCRIPT,
            "fabrikam_/styles/theme.js": WebResourceType.CSS,
            "fabrikam_/pages/panel.css": WebResourceType.HTML,
        }
        assert {(file.web_resource, file.language) for file in solution.files} == {
            ("fabrikam_/scripts/noextension", Language.JAVASCRIPT),
            ("fabrikam_/pages/panel.css", Language.HTML),
        }
        evals = {result.finding.component for result in run_analysis([path], ruleset, cwd=tmp_path).results if result.rule.id == "web-avoid-eval"}
        assert evals == {"webresource:fabrikam_/scripts/noextension", "webresource:fabrikam_/pages/panel.css"}


def test_an_unpacked_trees_other_folder_is_part_of_that_tree_not_an_export(tmp_path):
    """Other/ holds Solution.xml and Customizations.xml, as an unzipped export does; it is no export of its own."""
    solution = FIXTURES / "solutions" / "contoso-unsafe"
    for path in (solution / "Other", solution / "Other" / "Customizations.xml"):
        loaded = load([str(path)], cwd=ROOT).solutions
        assert [(s.source, s.location.path) for s in loaded] == [("unpacked", "fixtures/solutions/contoso-unsafe/Other/Solution.xml")]


def test_an_unzipped_export_without_content_types_is_still_an_export(tmp_path):
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(pack_to(FIXTURES / "solutions" / "contoso-unsafe", tmp_path / "export.zip")) as opened:
        opened.extractall(unzipped)
    (unzipped / "[Content_Types].xml").unlink()
    (solution,) = load([str(unzipped)], cwd=tmp_path).solutions
    assert solution.source == "exported-folder" and solution.tables
