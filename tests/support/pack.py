"""Packing an unpacked solution folder into an exported solution zip, for tests.

What SolutionPackager's ``/action:Pack`` does, as far as d365lint reads it:
``Other/Solution.xml`` becomes ``solution.xml``; ``Other/Customizations.xml``
receives the split parts again (tables with their forms, views and ribbons,
roles, relationships, field security profiles, plug-in assemblies and steps,
service endpoints, web resources, connectors); content files move to the
member named by their metadata's ``FileName``; everything else (environment
variables, workflow definitions, site components) is kept at its path.
Like a real export, the two manifests have no XML declaration, one element
a line and CRLF line breaks, and ``[Content_Types].xml`` (with its byte-order mark) names a
default type per file extension and an override per extensionless part.
Tests build the zip form of every fixture with it, so a finding that only
one form shows is caught.
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections import defaultdict
from pathlib import Path

from lxml import etree

CONTENT_TYPES_NAMESPACE = "http://schemas.openxmlformats.org/package/2006/content-types"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _parse(path: Path) -> etree._Element:
    return etree.parse(str(path), _PARSER).getroot()


def _section(root: etree._Element, name: str) -> etree._Element:
    """The child ``name`` of customizations.xml, created empty if missing."""
    found = root.find(name)
    if found is None:
        found = etree.SubElement(root, name)
    return found


def _is_managed_twin(path: Path) -> bool:
    """``x_managed.xml`` beside ``x.xml`` (``--packagetype Both``): an unmanaged export leaves it out."""
    return "_managed." in path.name


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(path for path in folder.glob(pattern) if path.is_file() and not _is_managed_twin(path))


def _exported_xml(root: etree._Element) -> bytes:
    """XML as exports write it: no declaration, one element a line indented by two spaces, CRLF line breaks."""
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="utf-8").replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _content_types(member_names: list[str]) -> bytes:
    """``[Content_Types].xml``: a default per extension, an override per extensionless part."""
    extensions = sorted({name.rsplit(".", 1)[1].lower() for name in member_names if "." in name.rsplit("/", 1)[-1]})
    parts = [f'<Default Extension="{extension}" ContentType="application/octet-stream" />' for extension in extensions]
    parts += [
        f'<Override PartName="/{name}" ContentType="application/octet-stream" />'
        for name in member_names
        if "." not in name.rsplit("/", 1)[-1]
    ]
    return ('\ufeff<?xml version="1.0" encoding="utf-8"?>' f'<Types xmlns="{CONTENT_TYPES_NAMESPACE}">{"".join(parts)}</Types>').encode("utf-8")


def _entity(table_folder: Path) -> etree._Element:
    entity = _parse(table_folder / "Entity.xml")
    forms: dict[str, list[etree._Element]] = defaultdict(list)
    for form_file in _files(table_folder, "FormXml/*/*.xml"):
        forms[form_file.parent.name].extend(_parse(form_file).iter("systemform"))
    if forms:
        for old in entity.findall("FormXml"):
            entity.remove(old)
        form_xml = etree.SubElement(entity, "FormXml")
        for form_type, systemforms in forms.items():
            etree.SubElement(form_xml, "forms", type=form_type).extend(systemforms)
    views = [view for view_file in _files(table_folder, "SavedQueries/*.xml") for view in _parse(view_file).iter("savedquery")]
    if views:
        for old in entity.findall("SavedQueries"):
            entity.remove(old)
        etree.SubElement(etree.SubElement(entity, "SavedQueries"), "savedqueries").extend(views)
    ribbon_file = table_folder / "RibbonDiff.xml"
    if ribbon_file.is_file():
        for old in entity.findall("RibbonDiffXml"):
            entity.remove(old)
        entity.append(_parse(ribbon_file))
    return entity


def _member_name(metadata: etree._Element, content: Path, folder: str) -> str:
    file_name = (metadata.findtext("FileName") or "").strip().lstrip("/")
    return file_name or f"{folder}/{content.name}"


def pack(folder: Path) -> bytes:
    """The exported zip of the unpacked solution in ``folder``, as bytes."""
    root = _parse(folder / "Other" / "Customizations.xml")
    members: dict[str, bytes] = {"solution.xml": _exported_xml(_parse(folder / "Other" / "Solution.xml"))}
    consumed: set[Path] = {folder / "Other" / "Solution.xml", folder / "Other" / "Customizations.xml"}

    entities = _section(root, "Entities")
    for entity_file in _files(folder, "Entities/*/Entity.xml"):
        entities.append(_entity(entity_file.parent))
        consumed.update(path for path in entity_file.parent.rglob("*") if path.is_file())
    for role_file in _files(folder, "Roles/*.xml"):
        _section(root, "Roles").append(_parse(role_file))
        consumed.add(role_file)
    for relationship_file in _files(folder, "Other/Relationships/*.xml"):
        _section(root, "EntityRelationships").extend(_parse(relationship_file).iter("EntityRelationship"))
        consumed.add(relationship_file)
    consumed.add(folder / "Other" / "Relationships.xml")
    profiles = folder / "Other" / "FieldSecurityProfiles.xml"
    if profiles.is_file():
        _section(root, "FieldSecurityProfiles").extend(_parse(profiles).iter("FieldSecurityProfile"))
        consumed.add(profiles)
    for step_file in _files(folder, "SdkMessageProcessingSteps/*.xml"):
        _section(root, "SdkMessageProcessingSteps").append(_parse(step_file))
        consumed.add(step_file)
    endpoints = folder / "PluginAssemblies" / "ServiceEndpoints.xml"
    if endpoints.is_file():
        _section(root, "ServiceEndpoints").extend(_parse(endpoints).iter("ServiceEndpoint"))
        consumed.add(endpoints)
    for kind, section, folder_name in (
        ("PluginAssemblies", "SolutionPluginAssemblies", "PluginAssemblies"),
        ("WebResources", "WebResources", "WebResources"),
    ):
        for metadata_file in _files(folder, f"{kind}/**/*.data.xml"):
            metadata = _parse(metadata_file)
            _section(root, section).append(copy.deepcopy(metadata))
            content = metadata_file.with_name(metadata_file.name[: -len(".data.xml")])
            consumed.add(metadata_file)
            if content.is_file():
                members[_member_name(metadata, content, folder_name)] = content.read_bytes()
                consumed.add(content)
    for workflow_file in _files(folder, "Workflows/*.data.xml"):
        # The definition (.json, .xaml) stays at its path, which the metadata names.
        _section(root, "Workflows").append(_parse(workflow_file))
        consumed.add(workflow_file)
    for connector_file in _files(folder, "Connectors/*.xml"):
        _section(root, "Connectors").extend(_parse(connector_file).iter("Connector"))
        consumed.add(connector_file)
    for connector_part in _files(folder, "Connectors/*"):
        if connector_part not in consumed and not connector_part.name.endswith(".expect"):
            members[f"Connector/{connector_part.name}"] = connector_part.read_bytes()
            consumed.add(connector_part)

    members["customizations.xml"] = _exported_xml(root)
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        kept = path.is_file() and path not in consumed and not _is_managed_twin(path)
        if kept and not relative.startswith("Other/") and not path.name.endswith(".expect"):
            members.setdefault(relative, path.read_bytes())
    members["[Content_Types].xml"] = _content_types(sorted(members))

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def pack_to(folder: Path, zip_path: Path) -> Path:
    """Write the packed zip of ``folder`` to ``zip_path`` and return it."""
    zip_path.write_bytes(pack(folder))
    return zip_path
