"""Power Pages site configuration, in every form teams keep it in git.

A site reaches the model from four layouts, all read into the same
:class:`~d365lint.model.PortalSite`:

* ``pac pages download`` / ``pac paportal download`` of a **standard data
  model** site: ``website.yml`` (``adx_websiteid``), the list files
  ``webrole.yml`` and ``sitesetting.yml``, one file per table permission in
  ``table-permissions/<name>.tablepermission.yml``, and content beside its
  record: ``content-snippets/<n>/<Name>.<lang>.contentsnippet.value.html``,
  ``web-templates/<n>/<Name>.webtemplate.source.html``,
  ``web-pages/<n>/<Name>.webpage.custom_javascript.js``, ``…copy.html``,
  ``basic-forms/<n>/<Name>.basicform.custom_javascript.js``. Fields carry the
  ``adx_`` prefix (``adx_entitylogicalname``, ``adx_scope``, ``adx_read``…).
* The **enhanced data model** as downloaded with ``--modelVersion 2`` and as
  a code site keeps it (``.powerpages-site/``, written by ``pac pages
  download-code-site``) or Dataverse Git integration serialises it
  (``powerpagesites/<site>/``): one file per record in ``web-roles/``,
  ``site-settings/`` and ``table-permissions/``, a ``.portalconfig/``
  folder, fields without prefix (``id``, ``name``, ``value``,
  ``entitylogicalname``, ``anonymoususersrole``) except relationship lists
  such as ``adx_entitypermission_webrole``; code sites add
  ``server-logic/<n>/<n>.js``.
* **Site components in a solution** (enhanced model): each component is
  ``powerpagecomponents/<id>/powerpagecomponent.xml`` with its
  ``powerpagecomponenttype`` (2 web page, 7 content snippet, 8 web template,
  9 site setting, 11 web role, 18 table permission, 35 server logic), its
  ``<name>``, its site in ``<powerpagesiteid>`` and its fields as JSON in
  ``<content>``; the site itself is in ``Assets/powerpagesites.xml``.
* **Deployment profiles** (``deployment-profiles/<profile>.deployment.yml``)
  override site settings per environment on upload.

Sources: Microsoft Learn "Power Platform CLI support for Power Pages"
(power-pages/configure/power-platform-cli, supported tables and deployment
profiles), the Site Component (powerpagecomponent) and Table Permission
(mspp_entitypermission) table references (component types, scope codes), the
downloads kept in public repositories (MSmithTriad/GDS-Power-Page,
EjadaDevOps/PowerPagesRepo, frogkoby/fwo_power_pages_sample,
bizAppsUkPowerPlatform/contosoMedicalTrust: standard model;
microsoft/power-pages-samples and wajidashraf/zee-sarawak-poc: code sites;
the samples' ``server-logic/*/CallbackRequestSolution.zip``: components in a
solution).

Field names are normalised once (lower case, ``adx_``/``mspp_`` prefix
dropped) so that one reader serves every layout. A file that cannot be read
becomes a diagnostic and the rest of the site is still loaded.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree

from d365lint.loading.archive import ArchiveError
from d365lint.loading.trees import FileTree, FolderTree
from d365lint.model import (
    PERMISSION_PRIVILEGES,
    Diagnostic,
    Location,
    PortalSite,
    SiteContent,
    SiteSetting,
    TablePermission,
    TextValue,
    WebRole,
)
from d365lint.parsing.text import DecodeError, LineIndex, decode_text, text_value_location
from d365lint.parsing.xml import XmlDocument, XmlError, child, children, parse_xml

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

CODE_SITE_FOLDER = ".powerpages-site"
GIT_SITES_FOLDER = "powerpagesites"  # Dataverse Git integration: <solution>/powerpagesites/<site>/
WEBSITE_FILE = "website.yml"
# Files and folders that only a downloaded site has next to its website.yml.
RECORD_LIST_FILES = frozenset({"webrole.yml", "sitesetting.yml", "websitelanguage.yml", "publishingstate.yml"})
RECORD_FOLDERS = frozenset({"web-roles", "site-settings", "table-permissions", "web-pages", "web-templates", "content-snippets"})
PORTAL_CONFIG_FOLDER = ".portalconfig"
DEPLOYMENT_PROFILES_FOLDER = "deployment-profiles/"
_FIELD_PREFIXES = ("adx_", "mspp_")
MAX_FIELD_DEPTH = 2  # a field's list, and the mappings in it

# Record files by the suffix pac gives them (older CLI versions wrote
# entity permissions as *.entitypermission.yml).
ROLE_SUFFIXES = (".webrole.yml",)
PERMISSION_SUFFIXES = (".tablepermission.yml", ".entitypermission.yml")
SETTING_SUFFIXES = (".sitesetting.yml",)
# Text a browser or the Liquid engine receives, by file suffix. Web files
# (web-files/*.js) are left out: they are built bundles and third-party
# libraries, and the script rules already read them as loose files.
CONTENT_SUFFIXES = {
    ".contentsnippet.value.html": "content snippet",
    ".webtemplate.source.html": "web template",
    ".webpage.copy.html": "web page copy",
    ".webpage.custom_javascript.js": "web page script",
    ".basicform.custom_javascript.js": "basic form script",
    ".advancedformstep.custom_javascript.js": "advanced form step script",
    ".list.custom_javascript.js": "list script",
}
SERVER_LOGIC_FOLDER = "server-logic/"

# powerpagecomponenttype codes (Site Component table reference).
COMPONENT_WEB_PAGE = "2"
COMPONENT_CONTENT_SNIPPET = "7"
COMPONENT_WEB_TEMPLATE = "8"
COMPONENT_SITE_SETTING = "9"
COMPONENT_WEB_ROLE = "11"
COMPONENT_BASIC_FORM = "15"
COMPONENT_TABLE_PERMISSION = "18"
COMPONENT_SERVER_LOGIC = "35"
# Which content fields of a component hold text for browsers or Liquid.
COMPONENT_CONTENT_FIELDS = {
    COMPONENT_WEB_PAGE: (("customjavascript", "web page script"), ("copy", "web page copy")),
    COMPONENT_CONTENT_SNIPPET: (("value", "content snippet"),),
    COMPONENT_WEB_TEMPLATE: (("source", "web template"),),
    COMPONENT_BASIC_FORM: (("registerstartupscript", "basic form script"),),
}
COMPONENT_FILE = "powerpagecomponent.xml"
SOLUTION_SITES_FILES = ("assets/powerpagesites.xml",)


# ---------------------------------------------------------------- finding sites


def _entries(folder: Path) -> dict[str, bool]:
    """The names in ``folder``, lower case, each with whether it is a folder.

    The directory listing says which entries are folders: a pre-commit run
    asks this of every folder above a changed file, and statting each of a
    web-resource folder's 1,800 files took 0.05 s.
    """
    try:
        with os.scandir(folder) as listing:
            return {entry.name.lower(): entry.is_dir() for entry in listing}
    except OSError:
        return {}


def site_root_kind(folder: Path) -> str | None:
    """``code-site`` or ``download`` when ``folder`` is the root of a site's configuration.

    ``website.yml`` alone is no proof (Ansible playbooks share the name): a
    site root also holds record list files or record folders.
    """
    entries = _entries(folder)
    folders = {name for name, is_folder in entries.items() if is_folder}
    has_records = bool(folders & RECORD_FOLDERS)
    if folder.name.lower() == CODE_SITE_FOLDER and has_records:
        return "code-site"
    if WEBSITE_FILE in entries and (has_records or PORTAL_CONFIG_FOLDER in folders or set(entries) & RECORD_LIST_FILES):
        return "download"
    if folder.parent.name.lower() == GIT_SITES_FOLDER and has_records:
        return "download"
    return None


def enclosing_site(path: Path) -> Path | None:
    """The site root a file belongs to, searching upwards (pre-commit passes single files)."""
    for folder in path.absolute().parents:
        if site_root_kind(folder):
            return folder
    return None


def site_roots(files: Iterable[Path]) -> list[Path]:
    """The site roots among the folders that ``files`` (a repository's files) mark.

    A root is marked by its ``website.yml``, by being a ``.powerpages-site``
    folder, or by holding a folder of record files.
    """
    candidates: set[Path] = set()
    for path in files:
        name = path.name.lower()
        if name == WEBSITE_FILE:
            candidates.add(path.parent)
        elif name.endswith(ROLE_SUFFIXES + PERMISSION_SUFFIXES + SETTING_SUFFIXES):
            candidates.add(path.parent.parent)
    return sorted(root for root in candidates if site_root_kind(root))


# ---------------------------------------------------------------- records


def normalise_field(name: str) -> str:
    """``adx_EntityLogicalName`` and ``entitylogicalname`` are the same field."""
    lowered = name.lower()
    for prefix in _FIELD_PREFIXES:
        if lowered.startswith(prefix) and len(lowered) > len(prefix):
            return lowered[len(prefix) :]
    return lowered


class Record(NamedTuple):
    """One configuration record: its fields (normalised names) and where each value is."""

    values: Mapping[str, object]
    places: Mapping[str, Location]
    location: Location

    def text(self, *names: str) -> str:
        """The first of ``names`` that has a value, as text (``true``/``false`` for flags)."""
        for name in names:
            value = self.values.get(name)
            if value is not None and not isinstance(value, (list, dict)):
                return _scalar_text(value)
        return ""

    def flag(self, name: str) -> bool:
        return self.text(name).lower() in ("true", "1", "yes")

    def ids(self, name: str) -> tuple[str, ...]:
        """A relationship list: ids, or mappings holding an id, lower case."""
        value = self.values.get(name)
        items = value if isinstance(value, list) else [value] if value else []
        found = []
        for item in items:
            if isinstance(item, dict):
                item = next((v for k, v in item.items() if normalise_field(str(k)).endswith("id")), None)
            if item is not None and not isinstance(item, (list, dict)) and str(item).strip():
                found.append(_scalar_text(item).lower())
        return tuple(found)

    def place(self, name: str) -> Location:
        return self.places.get(name, self.location)


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _yaml_records(node: object, base: Location) -> Iterator[Record]:
    """Records of a YAML file: its mapping, or each mapping of its list."""
    if isinstance(node, dict):  # ruamel's round-trip loader gives CommentedMap and CommentedSeq nodes
        yield _yaml_record(node, base)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict):
                yield _yaml_record(item, base)


def _yaml_record(mapping: CommentedMap, base: Location) -> Record:
    values: dict[str, object] = {}
    places: dict[str, Location] = {}
    for key, value in mapping.items():
        name = normalise_field(str(key))
        values.setdefault(name, _plain(value))
        line, column = mapping.lc.value(key) if value is not None and not isinstance(value, list) else mapping.lc.key(key)
        places.setdefault(name, base.at(line + 1, column + 1))
    return Record(values, places, base.at(mapping.lc.line + 1, mapping.lc.col + 1))


def _plain(value: object, depth: int = 0) -> object:
    """ruamel's containers as plain lists and dicts, two levels deep at most.

    Records hold scalars and lists of ids (or of small mappings); deeper
    nesting is dropped, so that YAML aliases nested on purpose cannot make
    the copy grow exponentially.
    """
    if isinstance(value, (list, dict)) and depth >= MAX_FIELD_DEPTH:
        return None
    if isinstance(value, list):
        return [_plain(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    return value


def _json_record(
    content: TextValue, parsed: Mapping[str, object], location: Location, element_fields: Mapping[str, str]
) -> Record:
    """A component's JSON content as a record; each field is placed at its key in the JSON.

    ``element_fields`` (id, name, state) come from the component's XML
    elements; the JSON does not repeat them.
    """
    values: dict[str, object] = dict(element_fields)
    places: dict[str, Location] = {}
    for key, value in parsed.items():
        name = normalise_field(key)
        values.setdefault(name, value)
        match = re.search(r'"' + re.escape(key) + r'"\s*:', content.text)
        if match:
            places.setdefault(name, text_value_location(content, match.start(), exact_start=True))
    return Record(values, places, location)


# ---------------------------------------------------------------- model values


def web_role(record: Record) -> WebRole:
    return WebRole(
        role_id=record.text("id", "webroleid").lower(),
        name=record.text("name"),
        anonymous=record.flag("anonymoususersrole"),
        authenticated=record.flag("authenticatedusersrole"),
        location=record.location,
    )


def table_permission(record: Record) -> TablePermission:
    return TablePermission(
        permission_id=record.text("id", "entitypermissionid").lower(),
        name=record.text("entityname", "name"),
        table=record.text("entitylogicalname").lower(),
        scope=record.text("scope"),
        privileges=tuple(privilege for privilege in PERMISSION_PRIVILEGES if record.flag(privilege)),
        web_roles=record.ids("entitypermission_webrole"),
        parent_id=record.text("parententitypermission").lower(),
        active=record.text("statecode") not in ("1", "inactive"),
        location=record.location,
        scope_location=record.places.get("scope"),
    )


def site_setting(record: Record, profile: str = "") -> SiteSetting:
    has_value = record.values.get("value") is not None
    value = TextValue(record.text("value"), record.place("value")) if has_value else None
    return SiteSetting(record.text("name"), value, record.location, profile)


# ---------------------------------------------------------------- folders


@dataclass
class SiteBuilder:
    """Collects one site's records and the problems met reading them."""

    tree: FileTree
    diagnostics: list[Diagnostic]
    roles: list[WebRole] = field(default_factory=list)
    permissions: list[TablePermission] = field(default_factory=list)
    settings: list[SiteSetting] = field(default_factory=list)
    contents: list[SiteContent] = field(default_factory=list)

    def problem(self, path: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(message, self.tree.location(path)))

    def text(self, path: str) -> str | None:
        try:
            return decode_text(self.tree.read(path))
        except (OSError, ArchiveError, DecodeError) as error:
            self.problem(path, f"cannot read file: {error}")
            return None

    def xml(self, path: str) -> XmlDocument | None:
        """A site component's XML, parsed with the hardened parser."""
        try:
            return parse_xml(self.tree.read(path), self.tree.location(path))
        except (OSError, ArchiveError) as error:
            self.problem(path, f"cannot read file: {error}")
        except XmlError as error:
            self.problem(path, str(error))
        return None

    def document(self, path: str) -> object | None:
        """The YAML document of ``path`` (ruamel's round-trip nodes, which know their lines)."""
        from ruamel.yaml import YAML  # imported when a site is read: 15 ms most runs need not pay
        from ruamel.yaml.error import YAMLError

        text = self.text(path)
        if text is None:
            return None
        try:
            return YAML(typ="rt", pure=True).load(text)
        except YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            base = self.tree.location(path)
            where = base.at(mark.line + 1, mark.column + 1) if mark is not None else base
            self.diagnostics.append(Diagnostic(f"invalid YAML: {getattr(error, 'problem', None) or error}", where))
            return None

    def records(self, path: str) -> list[Record]:
        return list(_yaml_records(self.document(path), self.tree.location(path)))

    def add_file(self, path: str) -> None:
        """Route one file of a site folder to the reader of its kind."""
        lowered = path.lower()
        name = lowered.rsplit("/", 1)[-1]
        if lowered == "webrole.yml" or name.endswith(ROLE_SUFFIXES):
            self.roles.extend(web_role(record) for record in self.records(path))
        elif name.endswith(PERMISSION_SUFFIXES):
            self.permissions.extend(table_permission(record) for record in self.records(path))
        elif lowered == "sitesetting.yml" or name.endswith(SETTING_SUFFIXES):
            self.settings.extend(site_setting(record) for record in self.records(path))
        elif lowered.startswith(DEPLOYMENT_PROFILES_FOLDER) and name.endswith((".deployment.yml", ".deployment.yaml")):
            self.add_deployment_profile(path, name.split(".", 1)[0])
        elif name.endswith(".contentsnippet.yml"):  # older downloads keep the value in the record
            self.add_field_contents(self.records(path), "value", "content snippet")
        elif name.endswith(".webtemplate.yml"):
            self.add_field_contents(self.records(path), "source", "web template")
        elif kind := _content_kind(lowered):
            self.add_content(path, kind)

    def add_content(self, path: str, kind: str) -> None:
        text = self.text(path)
        if text is not None and text.strip():
            name = path.rsplit("/", 1)[-1].split(".", 1)[0]
            self.contents.append(SiteContent(kind, name, TextValue(text, self.tree.location(path))))

    def add_field_contents(self, records: Iterable[Record], field_name: str, kind: str) -> None:
        """Text held in a field of each record, reported at the field (YAML and JSON escapes shift positions)."""
        for record in records:
            text = record.text(field_name)
            if text:
                value = TextValue(text, record.place(field_name))
                self.contents.append(SiteContent(kind, record.text("name"), value, located=False))

    def add_deployment_profile(self, path: str, profile: str) -> None:
        """A profile maps table names to the records it overrides: ``adx_sitesetting: [...]``."""
        document = self.document(path)
        if not isinstance(document, dict):
            return
        base = self.tree.location(path)
        for table, records in document.items():
            if normalise_field(str(table)) == "sitesetting":
                self.settings.extend(site_setting(record, profile) for record in _yaml_records(records, base))
            elif normalise_field(str(table)) == "contentsnippet":
                self.add_field_contents(_yaml_records(records, base), "value", "content snippet")

    def build(self, name: str, site_id: str, data_model: str, source: str, location: Location) -> PortalSite:
        return PortalSite(
            name=name,
            site_id=site_id,
            data_model=data_model,
            source=source,
            location=location,
            web_roles=tuple(self.roles),
            table_permissions=tuple(self.permissions),
            settings=tuple(self.settings),
            contents=tuple(self.contents),
        )


def is_site_content(path: str) -> bool:
    """Whether a file (by its ``/``-separated path) is site content that the site rules read, not a web file.

    Script rules read every loose script; rules that judge what a site
    serves (credentials in it) leave these files to the site rules.
    """
    lowered = path.lower()
    return lowered.endswith(tuple(CONTENT_SUFFIXES)) or (f"/{SERVER_LOGIC_FOLDER}" in f"/{lowered}" and lowered.endswith(".js"))


def _content_kind(path: str) -> str | None:
    for suffix, kind in CONTENT_SUFFIXES.items():
        if path.endswith(suffix):
            return kind
    if path.startswith(SERVER_LOGIC_FOLDER) and path.endswith(".js"):
        return "server logic"
    return None


def load_site_folder(root: Path, display_root: str, diagnostics: list[Diagnostic]) -> PortalSite:
    """A site from a downloaded site folder, a code site's ``.powerpages-site`` or a Git-serialised site."""
    tree = FolderTree(root, display_root)
    builder = SiteBuilder(tree, diagnostics)
    for path in sorted(tree.paths()):
        builder.add_file(path)
    website_path = tree.find(WEBSITE_FILE)
    website = next(iter(builder.records(website_path)), None) if website_path else None
    location = website.location if website else Location(display_root or ".")
    name = website.text("name") if website else root.name
    site_id = website.text("id", "websiteid").lower() if website else ""
    source = "code-site" if root.name.lower() == CODE_SITE_FOLDER else "download"
    return builder.build(name or root.name, site_id, _data_model(tree, website_path), source, location)


def _data_model(tree: FileTree, website_path: str | None) -> str:
    """``standard`` when the site's records carry ``adx_`` fields, else ``enhanced``."""
    if website_path is None:
        return "enhanced"
    try:
        head = tree.read(website_path)[:4096].decode("utf-8", "replace")
    except (OSError, ArchiveError):
        return "enhanced"
    return "standard" if re.search(r"^adx_", head, re.M) else "enhanced"


# ---------------------------------------------------------------- solutions


def solution_sites(tree: FileTree, diagnostics: list[Diagnostic]) -> list[PortalSite]:
    """The sites whose components a solution carries (enhanced data model)."""
    component_paths = sorted(p for p in tree.paths() if p.lower().rsplit("/", 1)[-1] == COMPONENT_FILE)
    if not component_paths:
        return []
    reader = SiteBuilder(tree, diagnostics)
    builders: dict[str, SiteBuilder] = {}
    for path in component_paths:
        doc = reader.xml(path)
        if doc is None:
            continue
        site_id = _site_of(doc.root)
        builder = builders.setdefault(site_id, SiteBuilder(tree, diagnostics))
        _add_component(builder, doc, path)
    headers = _solution_site_headers(reader)
    fallback = (tree.location(component_paths[0]),)
    sites = []
    for site_id, builder in sorted(builders.items()):
        name, location = headers.get(site_id, (site_id or "site", *fallback))
        sites.append(builder.build(name, site_id, "enhanced", "solution", location))
    return sites


def _solution_site_headers(reader: SiteBuilder) -> dict[str, tuple[str, Location]]:
    """Site id -> (name, location) from ``Assets/powerpagesites.xml``."""
    headers: dict[str, tuple[str, Location]] = {}
    for wanted in SOLUTION_SITES_FILES:
        path = reader.tree.find(wanted)
        doc = reader.xml(path) if path else None
        if doc is None:
            continue
        for site in [doc.root, *children(doc.root, "powerpagesite")]:
            site_id = (site.get("powerpagesiteid") or "").lower()
            if site_id:
                headers[site_id] = (_text(child(site, "name")) or site_id, doc.locate(site))
    return headers


def _site_of(component: etree._Element) -> str:
    """The id in ``<powerpagesiteid><powerpagesiteid>id</…></…>``, or the element's own text."""
    outer = child(component, "powerpagesiteid")
    if outer is None:
        return ""
    inner = child(outer, "powerpagesiteid")
    return _text(inner if inner is not None else outer).lower()


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _add_component(builder: SiteBuilder, doc: XmlDocument, path: str) -> None:
    """One ``powerpagecomponent.xml``: its JSON content read as a record of its type."""
    kind = _text(child(doc.root, "powerpagecomponenttype"))
    content_element = child(doc.root, "content")
    location = doc.locate(doc.root)
    content = TextValue(content_element.text or "", _content_start(doc, content_element)) if content_element is not None else None
    parsed: object = {}
    if content is not None and content.text.strip():
        try:
            parsed = json.loads(content.text)
        except ValueError as error:
            builder.diagnostics.append(Diagnostic(f"site component content is not JSON: {error}", content.location))
            return
    if not isinstance(parsed, dict):
        return
    element_fields = {
        "id": doc.root.get("powerpagecomponentid") or "",
        "name": _text(child(doc.root, "name")),
        "statecode": _text(child(doc.root, "statecode")),
    }
    record = _json_record(content or TextValue("", location), parsed, location, element_fields)
    if kind == COMPONENT_WEB_ROLE:
        builder.roles.append(web_role(record))
    elif kind == COMPONENT_TABLE_PERMISSION:
        builder.permissions.append(table_permission(record))
    elif kind == COMPONENT_SITE_SETTING:
        builder.settings.append(site_setting(record))
    elif kind == COMPONENT_SERVER_LOGIC:
        _add_server_logic(builder, path)
    for field_name, content_kind in COMPONENT_CONTENT_FIELDS.get(kind, ()):
        builder.add_field_contents((record,), field_name, content_kind)


def _add_server_logic(builder: SiteBuilder, path: str) -> None:
    """Server logic keeps its script in ``filecontent/`` beside the component."""
    folder = path.rsplit("/", 1)[0].lower()
    for candidate in sorted(p for p in builder.tree.paths() if p.lower().startswith(f"{folder}/filecontent/")):
        builder.add_content(candidate, "server logic")


def _content_start(doc: XmlDocument, element: etree._Element) -> Location:
    """Where the text of ``element`` starts: just after its start tag."""
    start = doc.locate(element)
    index = LineIndex(doc.text)
    offset = index.line_start(start.line) + start.column - 1
    end = doc.text.find(">", offset)
    line, column = index.position(end + 1 if end != -1 else offset)
    return start.at(line, column)
