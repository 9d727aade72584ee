"""Building a :class:`Solution` from either on-disk layout.

* The exported layout (``solution.xml`` + ``customizations.xml`` at the
  root) is what a solution zip holds, and what a hand-unzipped folder holds.
* The unpacked layout of SolutionPackager / ``pac solution unpack`` splits
  the same XML into ``Other/``, ``Entities/<table>/…``, ``Roles/``,
  ``SdkMessageProcessingSteps/``, ``WebResources/**.data.xml`` and more.

Both feed one :class:`SolutionBuilder`, which records a diagnostic for each
file that cannot be read and goes on with the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree

from d365lint.loading.archive import ArchiveError
from d365lint.loading.cache import Entry, RecordingTree, SolutionCache, elements_of
from d365lint.loading.components import (
    read_assembly,
    read_connector,
    read_environment_variable,
    read_forms,
    read_hidden_ribbon_actions,
    read_manifest,
    read_missing_dependencies,
    read_relationships,
    read_ribbon_commands,
    read_ribbon_rules,
    read_role,
    read_root_components,
    read_service_endpoint,
    read_step,
    read_table,
    read_views,
    read_web_resource,
)
from d365lint.loading.parallel import built_in_parallel
from d365lint.loading.sections import split
from d365lint.loading.trees import FileTree
from d365lint.model import (
    SOLUTION_COLLECTIONS,
    Diagnostic,
    EnvironmentVariable,
    Form,
    HiddenRibbonAction,
    Language,
    CustomConnector,
    Location,
    MissingDependency,
    PluginAssembly,
    PluginStep,
    RawFile,
    Reading,
    Relationship,
    RibbonCommand,
    RibbonRule,
    Role,
    RootComponent,
    ServiceEndpoint,
    Solution,
    SourceFile,
    Table,
    TextValue,
    View,
    WebResource,
    WebResourceType,
    link_names,
)
from d365lint.parsing.text import DecodeError, decode_text, mentions_d365lint
from d365lint.parsing.xml import XmlDocument, XmlError, child, children, descendants, local_name, parse_xml
from d365lint.patterns import compile_lazily

ENV_VAR_VALUES_FILE = "environmentvariablevalues.json"
# SolutionPackager keeps every service endpoint in one file, PluginAssemblies/ServiceEndpoints.xml.
SERVICE_ENDPOINTS_FILE = "serviceendpoints.xml"
# Folders whose files the model keeps as bytes for the rule families that read them
# (exports keep connector files in Connector/, pac solution unpack in Connectors/).
RAW_FILE_FOLDERS = ("workflows/", "connectors/", "connector/", "data/")
_MANAGED_TWIN = compile_lazily(r"_managed(\.[a-z]+)?\.xml$", re.I)

# The files a custom connector names, by the element that names them.
CONNECTOR_FILES = ("openapidefinition", "connectionparameters", "iconblob")

SCRIPT_TYPES = {WebResourceType.SCRIPT: Language.JAVASCRIPT, WebResourceType.HTML: Language.HTML}


@dataclass
class SolutionBuilder:
    """Collects the elements of one solution and the problems met reading it."""

    tree: FileTree
    source: str
    diagnostics: list[Diagnostic]
    tables: list[Table] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    web_resources: list[WebResource] = field(default_factory=list)
    plugin_assemblies: list[PluginAssembly] = field(default_factory=list)
    plugin_steps: list[PluginStep] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    environment_variables: list[EnvironmentVariable] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    hidden_ribbon_actions: list[HiddenRibbonAction] = field(default_factory=list)
    ribbon_commands: list[RibbonCommand] = field(default_factory=list)
    ribbon_rules: list[RibbonRule] = field(default_factory=list)
    service_endpoints: list[ServiceEndpoint] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    raw_files: list[RawFile] = field(default_factory=list)
    root_components: list[RootComponent] = field(default_factory=list)
    missing_dependencies: list[MissingDependency] = field(default_factory=list)
    connectors: list[CustomConnector] = field(default_factory=list)
    directive_files: list[str] = field(default_factory=list)

    def problem(self, path: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(message, self.tree.location(path)))

    def read(self, path: str) -> bytes | None:
        """The bytes of ``path``; an XML file on disk that mentions d365lint is noted, so that nothing reads it again."""
        try:
            data = self.tree.read(path)
        except (OSError, ArchiveError) as error:
            self.problem(path, f"cannot read file: {error}")
            return None
        if path.lower().endswith(".xml") and mentions_d365lint(data):
            location = self.tree.location(path)
            if location.member is None:
                self.directive_files.append(location.path)
        return data

    def parse(self, path: str) -> XmlDocument | None:
        data = self.read(path)
        return self.parse_data(path, data) if data is not None else None

    def parse_data(self, path: str, data: bytes) -> XmlDocument | None:
        try:
            return parse_xml(data, self.tree.location(path))
        except XmlError as error:
            self.problem(path, str(error))
            return None

    def part(self) -> SolutionBuilder:
        """An empty builder over the same files, whose elements :meth:`merge` adds here if all goes well."""
        return SolutionBuilder(self.tree, self.source, [])

    def merge(self, part: SolutionBuilder) -> None:
        self.add_elements(part.elements())

    def elements(self) -> dict[str, list[Any]]:
        """Everything collected so far (problems included), by field; fields with nothing are left out.

        A file gives one or two kinds of element: the cache keeps thousands
        of these, and empty lists for the other twenty fields cost as much to
        read back as the elements.
        """
        return {item.name: value for item in fields(self) if isinstance(value := getattr(self, item.name), list) and value}

    def add_elements(self, elements: dict[str, list[Any]]) -> None:
        for name, values in elements.items():
            getattr(self, name).extend(values)

    def content(self, file_name: str) -> tuple[bytes | None, Location | None]:
        """Bytes and location of a content file named in metadata (``/WebResources/x``)."""
        found = self.tree.find(file_name) if file_name else None
        if found is None:
            return None, None
        return self.read(found), self.tree.location(found)

    def add_entity(self, doc: XmlDocument, entity: etree._Element) -> Table:
        table = read_table(doc, entity)
        if table.logical_name:
            self.tables.append(table)
        self.forms.extend(read_forms(doc, child(entity, "FormXml"), table.logical_name))
        self.views.extend(read_views(doc, child(entity, "SavedQueries"), table.logical_name))
        self.add_ribbon(doc, child(entity, "RibbonDiffXml"), table.logical_name)
        return table

    def add_ribbon(self, doc: XmlDocument, ribbon: etree._Element | None, table: str) -> None:
        """A table's ribbon diff (``table`` empty for the application ribbon)."""
        self.hidden_ribbon_actions.extend(read_hidden_ribbon_actions(doc, ribbon, table))
        self.ribbon_commands.extend(read_ribbon_commands(doc, ribbon, table))
        self.ribbon_rules.extend(read_ribbon_rules(doc, ribbon, table))

    def add_web_resource(self, doc: XmlDocument, element: etree._Element, beside: str = "") -> None:
        """A web resource; ``beside`` is the content path of an unpacked ``.data.xml``.

        Unpacked trees keep the content next to its metadata (``x.js`` beside
        ``x.js.data.xml``) while ``FileName`` still names the export member.
        """
        content, content_location = self.content(beside or _text(child(element, "FileName")))
        resource = read_web_resource(doc, element, content, content_location)
        self.web_resources.append(resource)
        language = SCRIPT_TYPES.get(resource.type)
        if language is None or content is None or content_location is None:
            return
        try:
            text = decode_text(content)
        except DecodeError as error:
            self.diagnostics.append(Diagnostic(f"web resource {resource.name}: {error}", content_location))
            return
        if language is Language.JAVASCRIPT and resource.name.lower().endswith(".ts"):
            language = Language.TYPESCRIPT
        self.files.append(SourceFile(language, text, content_location, web_resource=resource.name))

    def add_assembly(self, doc: XmlDocument, element: etree._Element, beside: str = "") -> None:
        content, content_location = self.content(beside or _text(child(element, "FileName")))
        self.plugin_assemblies.append(read_assembly(doc, element, content, content_location))

    def add_environment_variable(self, doc: XmlDocument, element: etree._Element, folder: str) -> None:
        values_path = self.tree.find(f"{folder}/{ENV_VAR_VALUES_FILE}") if folder else None
        values = self.environment_values(values_path) if values_path else ()
        self.environment_variables.append(read_environment_variable(doc, element, values))

    def environment_values(self, path: str) -> tuple[TextValue, ...]:
        """Values from an ``environmentvariablevalues.json``, each at the line of its ``value``."""
        data = self.read(path)
        if data is None:
            return ()
        try:
            text = decode_text(data)
            parsed = json.loads(text)
        except (DecodeError, ValueError) as error:
            self.problem(path, f"invalid JSON: {error}")
            return ()
        base = self.tree.location(path)
        return tuple(TextValue(value, base.at(_line_of_json_value(text, value))) for value in _json_values(parsed))

    def add_raw_files(self, paths: Iterable[str]) -> None:
        for path in paths:
            lowered = path.lower()
            # An unpacked workflow's .data.xml is the metadata an export keeps in customizations.xml.
            if lowered.startswith(RAW_FILE_FOLDERS) and not (lowered.startswith("workflows/") and lowered.endswith(".data.xml")):
                data = self.read(path)
                if data is not None:
                    self.raw_files.append(RawFile(path, data, self.tree.location(path)))

    def build(self, manifest: dict[str, str], location: Location, file_count: int) -> Solution:
        return Solution(
            unique_name=manifest["unique_name"],
            version=manifest["version"],
            managed=manifest["managed"] == "1",
            publisher_prefix=manifest["publisher_prefix"],
            source=self.source,
            location=location,
            file_count=file_count,
            directive_files=tuple(dict.fromkeys(self.directive_files)),
            **{name: tuple(getattr(self, name)) for name in SOLUTION_COLLECTIONS},
        )

    def add_manifest(self, doc: XmlDocument) -> None:
        """Root components and missing dependencies of ``solution.xml`` / ``Other/Solution.xml``."""
        self.root_components.extend(read_root_components(doc, doc.root))
        self.missing_dependencies.extend(read_missing_dependencies(doc, doc.root))

    def add_connector(self, doc: XmlDocument, element: etree._Element, folder: str) -> None:
        """A custom connector and the files it names (``/Connector/x_openapidefinition.json``).

        Exports keep the files in ``Connector/``; ``pac solution unpack`` puts
        them in ``Connectors/`` beside the connector's XML, so the name is
        looked up there too. An icon the XML does not name is found by the
        ``<name>_iconblob``/``<name>_icon`` convention.
        """
        name = _text(child(element, "name"))
        files: dict[str, RawFile | None] = {}
        for kind in CONNECTOR_FILES:
            path = self._connector_file(_text(child(element, kind)), folder, name, kind)
            data = self.read(path) if path else None
            files[kind] = RawFile(path, data, self.tree.location(path)) if path and data is not None else None
        self.connectors.append(read_connector(doc, element, files))

    def _connector_file(self, named: str, folder: str, name: str, kind: str) -> str | None:
        candidates = [named, f"{folder}/{named.rsplit('/', 1)[-1]}"] if named else []
        if kind == "iconblob" and name:
            icon = f"{folder}/{name}_icon".lower().lstrip("/")
            candidates += sorted(path for path in self.tree.paths() if path.lower().startswith(icon))
        return next((found for candidate in candidates if candidate and (found := self.tree.find(candidate))), None)


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _json_values(parsed: object) -> list[str]:
    """Every ``value`` in an environmentvariablevalues.json (one value or a list)."""
    container = parsed.get("environmentvariablevalues", parsed) if isinstance(parsed, dict) else parsed
    items = container.get("environmentvariablevalue", []) if isinstance(container, dict) else container
    if isinstance(items, dict):
        items = [items]
    return [item["value"] for item in items or [] if isinstance(item, dict) and isinstance(item.get("value"), str)]


def _line_of_json_value(text: str, value: str) -> int:
    encoded = json.dumps(value)[1:-1]
    match = re.search(r'"value"\s*:\s*"' + re.escape(encoded), text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def build_exported(tree: FileTree, source: str, diagnostics: list[Diagnostic]) -> Solution | None:
    """A solution from the exported layout (a zip, or a hand-unzipped folder)."""
    builder = SolutionBuilder(tree, source, diagnostics)
    manifest_path = tree.find("solution.xml")
    manifest_doc = builder.parse(manifest_path) if manifest_path else None
    customizations_path = tree.find("customizations.xml")
    if manifest_doc is None or customizations_path is None or not _add_customizations(builder, customizations_path):
        return None
    paths = sorted(tree.paths())
    _add_split_environment_variables(builder, paths)
    builder.add_raw_files(paths)
    builder.add_manifest(manifest_doc)
    return builder.build(read_manifest(manifest_doc.root), manifest_doc.base, len(paths))


Sections = Callable[[str], Iterable[tuple[XmlDocument, etree._Element]]]
"""The pieces of the root's first child of a name: (document, section element) for each."""


def _add_customizations(builder: SolutionBuilder, path: str) -> bool:
    """Everything ``customizations.xml`` defines; False when it cannot be read.

    A file laid out as exports are is read piece by piece (see
    :mod:`d365lint.loading.sections`), so that a large one never stands in
    memory as one tree; any other file is read whole.
    """
    data = builder.read(path)
    if data is None:
        return False
    pieces = split(data, builder.tree.location(path))
    if pieces is not None:
        part = builder.part()
        try:
            _read_sections(part, pieces.sections)
        except XmlError:
            pass
        else:
            builder.merge(part)
            return True
    doc = builder.parse_data(path, data)
    if doc is None:
        return False
    _read_sections(builder, lambda name: [(doc, section)] if (section := child(doc.root, name)) is not None else [])
    return True


def _read_sections(builder: SolutionBuilder, sections: Sections) -> None:
    for doc, entities in sections("Entities"):
        for entity in children(entities, "Entity"):
            builder.add_entity(doc, entity)
    for doc, ribbon in sections("RibbonDiffXml"):
        builder.add_ribbon(doc, ribbon, "")
    for doc, roles in sections("Roles"):
        builder.roles.extend(read_role(doc, role) for role in descendants(roles, "Role"))
    for doc, steps in sections("SdkMessageProcessingSteps"):
        builder.plugin_steps.extend(read_step(doc, step) for step in descendants(steps, "SdkMessageProcessingStep"))
    for doc, assemblies in sections("SolutionPluginAssemblies"):
        for assembly in descendants(assemblies, "PluginAssembly"):
            builder.add_assembly(doc, assembly)
    for doc, resources in sections("WebResources"):
        for resource in descendants(resources, "WebResource"):
            builder.add_web_resource(doc, resource)
    for doc, endpoints in sections("ServiceEndpoints"):
        builder.service_endpoints.extend(read_service_endpoint(doc, e) for e in descendants(endpoints, "ServiceEndpoint"))
    for doc, variables in sections("environmentvariabledefinitions"):
        for variable in descendants(variables, "environmentvariabledefinition"):
            builder.add_environment_variable(doc, variable, "")
    for doc, connectors in sections("Connectors"):
        for connector in descendants(connectors, "Connector"):
            builder.add_connector(doc, connector, "Connector")
    for doc, relationships in sections("EntityRelationships"):
        builder.relationships.extend(read_relationships(doc, relationships))


def _add_split_environment_variables(builder: SolutionBuilder, paths: list[str]) -> None:
    for path in paths:
        if _is_environment_variable_file(path.lower()):
            _add_environment_variable_file(builder, path)


def _is_environment_variable_file(lowered: str) -> bool:
    return lowered.startswith("environmentvariabledefinitions/") and lowered.endswith("/environmentvariabledefinition.xml")


def _add_environment_variable_file(builder: SolutionBuilder, path: str) -> None:
    """An environment variable split into its own folder, with the values file beside it."""
    doc = builder.parse(path)
    if doc is not None and local_name(doc.root).lower() == "environmentvariabledefinition":
        builder.add_environment_variable(doc, doc.root, path.rsplit("/", 1)[0])


class Focus(NamedTuple):
    """A run on a few files of a solution (pre-commit): what it reads of the rest.

    ``reads`` receives the part of the solution that lies in the ``paths``
    (display paths) and answers what the run's rules read of the rest (None:
    all of it). The cache then decodes only that of the other files:
    checking one changed script of a large solution reads the forms that
    load it and their table, not the other forms or the security roles.
    """

    paths: frozenset[str]
    reads: Callable[[Solution, frozenset[str]], Reading | None]


def build_unpacked(
    tree: FileTree, source: str, diagnostics: list[Diagnostic], cache: SolutionCache | None = None,
    root: Path | None = None, jobs: int = 1, focus: Focus | None = None,
) -> Solution | None:
    """A solution from the SolutionPackager / ``pac solution unpack`` layout.

    With a ``cache``, each file's elements come from it while the files they
    were built from are unchanged (see :mod:`d365lint.loading.cache`), and
    with a ``focus`` only what its rules read (see :class:`_Selection`). The
    files to read are read in ``jobs`` processes when there are enough of
    them (see :mod:`d365lint.loading.parallel`); ``root`` is the folder the
    tree reads, when it reads one.
    """
    builder = SolutionBuilder(tree, source, diagnostics)
    manifest_path = tree.find("Other/Solution.xml")
    manifest_doc = builder.parse(manifest_path) if manifest_path else None
    if manifest_doc is None:
        return None
    manifest = read_manifest(manifest_doc.root)
    paths = sorted(path for path in tree.paths() if not _MANAGED_TWIN.search(path))

    def fresh(some: list[str]) -> dict[str, Entry]:
        return _fresh_entries(some, tree, source, cache, root, jobs)

    if cache is not None and focus is not None:
        entries, selection = _Selection.of(focus, tree, paths, cache, fresh, manifest, manifest_doc.base)
    else:
        entries, selection = fresh(paths), None
    if cache is not None:
        cache.forget_others(paths)
    for path in paths:
        entry = entries.get(path)
        if entry is not None:
            builder.add_elements(elements_of(entry, selection.wanted(path, entry) if selection is not None else None))
    builder.add_raw_files(paths)
    return builder.build(manifest, manifest_doc.base, len(paths))


def _fresh_entries(
    paths: list[str], tree: FileTree, source: str, cache: SolutionCache | None, root: Path | None, jobs: int,
) -> dict[str, Entry]:
    """The entries of ``paths``: from the cache while their files are unchanged, else read (in ``jobs`` processes)."""
    entries = {path: cache.valid(path) for path in paths} if cache is not None else {}
    to_read = [path for path in paths if entries.get(path) is None]
    recorded = cache.root if cache is not None else None
    built = built_in_parallel(to_read, root, lambda path: _entry(tree, source, path, recorded), jobs)
    for path in to_read:
        entry = built.get(path) or _entry(tree, source, path, recorded)
        if cache is not None:
            cache.remember(path, entry)
        entries[path] = entry
    return entries


class _Selection(NamedTuple):
    """What a focused run reads of each cached file.

    All of the files in focus; of the others, the collections its rules read
    whole, and the elements linked to the focus of those they read in part
    (see :class:`d365lint.model.Reading`). A file none of whose collections
    the run reads is neither checked against the disk nor decoded: one
    changed script of a 212 MB solution needs its forms, tables and ribbon
    rules, 2,083 of 8,313 files, and checking a file costs a system call.
    """

    in_focus: frozenset[str]
    """The entries (by path) that read a focused file: their elements make up the part of the solution in focus."""
    reading: Reading | None
    links: Mapping[str, frozenset[str]]
    """By collection, the names that link its elements to the focus (none: only the focused files' elements)."""

    @classmethod
    def of(
        cls, focus: Focus, tree: FileTree, paths: list[str], cache: SolutionCache,
        fresh: Callable[[list[str]], dict[str, Entry]], manifest: dict[str, str], location: Location,
    ) -> tuple[dict[str, Entry], _Selection]:
        """The entries the run reads, from ``fresh``, and what it reads of them, asked of its rules with the part in focus.

        The elements of a file lie in that file and in the files read to
        build them (a web resource's content): the entries that read a
        focused file make up that part. Files the cache does not know, and
        files it knows broken, are read in any case (a problem is told until
        it is fixed).
        """
        prefix = tree.location("").path
        focused = frozenset(path[len(prefix):] for path in focus.paths if path.startswith(prefix))
        touching = _touching(cache.entries, focused)
        entries = fresh([path for path in paths if path not in cache.entries or path in touching])
        in_focus = frozenset(path for path, entry in entries.items() if any(read.path in focused for read in entry.reads))
        builder = SolutionBuilder(tree, "", [])
        for path in sorted(in_focus):
            builder.add_elements(elements_of(entries[path]))
        part = builder.build(manifest, location, 0)
        reading = focus.reads(part, focus.paths)
        if reading is None:
            entries.update(fresh([path for path in paths if path not in entries]))
            return entries, cls(in_focus, None, {})
        scripts = link_names("files", part.files) | link_names("web_resources", part.web_resources)
        loaded = link_names("forms", part.forms)
        links = {"forms": scripts, "files": loaded, "web_resources": loaded}
        # The tables a run reads are known once the forms linked to it are: any table may be one of them.
        checked = {*reading.whole, "diagnostics", *(name for name in reading.linked if links.get(name) or name == "tables")}
        entries.update(fresh([path for path in paths if path not in entries and not checked.isdisjoint(cache.entries[path].elements)]))
        tables = {form.table.lower() for form in part.forms}
        if "tables" in reading.linked:  # the tables of the forms that load a focused script, too
            for path, entry in entries.items():
                if path not in in_focus and not entry.linked_by("forms").isdisjoint(scripts):
                    tables.update(form.table.lower() for form in elements_of(entry, ("forms",))["forms"])
        return entries, cls(in_focus, reading, {**links, "tables": frozenset(tables)})

    def wanted(self, path: str, entry: Entry) -> Collection[str] | None:
        """The collections to decode of the entry of ``path``; None: all."""
        if self.reading is None or path in self.in_focus:
            return None
        linked = [
            name for name in entry.elements
            if name in self.reading.linked and not entry.linked_by(name).isdisjoint(self.links.get(name, ()))
        ]
        return {*self.reading.whole, *linked, "diagnostics"}  # the problems of a file read are told


def _touching(entries: Mapping[str, Entry], focused: frozenset[str]) -> set[str]:
    """The entries (by path) that read or looked up a focused file: a web resource's metadata its content, say."""
    lowered = {path.lower() for path in focused}
    return {path for path, entry in entries.items() for read in entry.reads if read.path in focused} | {
        path for path, entry in entries.items() for query, _ in entry.finds if query.strip("/").lower() in lowered
    }


def _entry(tree: FileTree, source: str, path: str, recorded: Path | None) -> Entry:
    """What ``path`` gives the model, with the reads and lookups it took when ``recorded`` (a cache's root) is given."""
    recording = RecordingTree(tree, recorded) if recorded is not None else None
    part = SolutionBuilder(recording or tree, source, [])
    _add_unpacked_file(part, path)
    return recording.entry(part.elements()) if recording is not None else Entry((), (), part.elements(), {})


def _add_unpacked_file(builder: SolutionBuilder, path: str) -> None:
    """Route one file of an unpacked tree to the reader of its component kind."""
    lowered = path.lower()
    parts = lowered.split("/")
    if lowered == "other/solution.xml":
        doc = builder.parse(path)
        if doc is not None:  # a cached file like the others: a run on a script reads none of its 1,300 root components
            builder.add_manifest(doc)
    elif lowered == "other/customizations.xml":
        doc = builder.parse(path)
        if doc is not None:
            builder.relationships.extend(read_relationships(doc, child(doc.root, "EntityRelationships")))
            builder.add_ribbon(doc, child(doc.root, "RibbonDiffXml"), "")
    elif lowered.startswith("other/relationships/") and lowered.endswith(".xml"):
        # (Other/Relationships.xml beside the folder only lists the names.)
        doc = builder.parse(path)
        if doc is not None:
            builder.relationships.extend(read_relationships(doc, doc.root))
    elif parts[0] == "entities" and len(parts) == 3 and parts[2] == "entity.xml":
        doc = builder.parse(path)
        if doc is not None:
            builder.add_entity(doc, doc.root)
    elif parts[0] == "entities" and (len(parts) >= 4 or parts[-1] == "ribbondiff.xml") and lowered.endswith(".xml"):
        _add_entity_part(builder, path, parts)
    elif _is_environment_variable_file(lowered):
        _add_environment_variable_file(builder, path)
    elif parts[0] == "roles" and lowered.endswith(".xml"):
        doc = builder.parse(path)
        if doc is not None:
            builder.roles.extend(read_role(doc, role) for role in _self_or_descendants(doc.root, "Role"))
    elif parts[0] == "connectors" and len(parts) == 2 and lowered.endswith(".xml"):
        doc = builder.parse(path)
        if doc is not None:
            for connector in _self_or_descendants(doc.root, "Connector"):
                builder.add_connector(doc, connector, path.rsplit("/", 1)[0])
    elif parts[0] == "sdkmessageprocessingsteps" and lowered.endswith(".xml"):
        doc = builder.parse(path)
        if doc is not None:
            builder.plugin_steps.extend(read_step(doc, step) for step in _self_or_descendants(doc.root, "SdkMessageProcessingStep"))
    elif parts[-1] == SERVICE_ENDPOINTS_FILE:
        doc = builder.parse(path)
        if doc is not None:
            builder.service_endpoints.extend(
                read_service_endpoint(doc, endpoint) for endpoint in _self_or_descendants(doc.root, "ServiceEndpoint")
            )
    elif parts[0] == "pluginassemblies" and lowered.endswith(".data.xml"):
        doc = builder.parse(path)
        if doc is not None:
            for assembly in _self_or_descendants(doc.root, "PluginAssembly"):
                builder.add_assembly(doc, assembly, _content_beside(builder.tree, path))
    elif parts[0] == "webresources" and lowered.endswith(".data.xml"):
        doc = builder.parse(path)
        if doc is not None:
            for resource in _self_or_descendants(doc.root, "WebResource"):
                builder.add_web_resource(doc, resource, _content_beside(builder.tree, path))


def _add_entity_part(builder: SolutionBuilder, path: str, parts: list[str]) -> None:
    """Forms, views and ribbons of ``Entities/<table>/…``; the table comes from Entity.xml's folder."""
    table = _table_of_folder(path)
    kind = parts[2]
    if kind == "formxml":
        doc = builder.parse(path)
        if doc is not None:
            form_type = path.split("/")[3] if len(parts) > 4 else ""  # the folder is the export's type: quickCreate
            builder.forms.extend(read_forms(doc, doc.root, table, form_type))
    elif kind == "savedqueries":
        doc = builder.parse(path)
        if doc is not None:
            builder.views.extend(read_views(doc, doc.root, table))
    elif kind == "ribbondiff.xml":
        doc = builder.parse(path)
        if doc is not None:
            builder.add_ribbon(doc, doc.root, table)


def _table_of_folder(path: str) -> str:
    """The logical name of the table whose ``Entities/<folder>`` holds ``path``.

    The folder is named after the schema name; its lower-case form is the
    logical name (Dataverse logical names are the lower-cased schema names).
    """
    return path.split("/")[1].lower()


def _content_beside(tree: FileTree, metadata_path: str) -> str:
    """The content file next to an unpacked ``<content>.data.xml``, if it exists."""
    return tree.find(metadata_path[: -len(".data.xml")]) or ""


def _self_or_descendants(root: etree._Element, name: str) -> list[etree._Element]:
    if local_name(root).lower() == name.lower():
        return [root]
    return descendants(root, name)
