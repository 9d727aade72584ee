"""The in-memory solution model every rule reads.

The loader builds the same model whatever the input form (exported zip,
unpacked folder, ``pac solution clone`` tree, loose files), so rules never
care where an element came from. Every element carries the :class:`Location`
a user can open. Values are frozen: rules may run in any order, in any
process, and can never change what another rule sees.

Elements are named tuples, not dataclasses: Python compiles six methods
for each frozen dataclass it creates, and importing the model's thirty
took 20 ms of a 0.4 s pre-commit run (6 ms as named tuples). A large
solution's cache also holds hundreds of thousands of elements, and a
tuple is rebuilt by C code when the cache is read.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from operator import itemgetter
from typing import Any, NamedTuple


class Location(tuple):  # type: ignore[type-arg]
    """A place a person can open: a file, and for a zip member the member.

    ``path`` is the file on disk, relative to the working directory when it
    lies below it (what SARIF and editors want); ``member`` is the path inside
    a zip archive, if any. Lines and columns are 1-based; columns count
    Unicode code points, as SARIF's ``columnKind`` declares.

    A tuple class written out rather than a named tuple: every element of a
    solution has one (205,114 of them in a 212 MB solution), and it pickles
    as its items, rebuilt by C code for any pickler (the worker pool's too),
    where a named tuple's pickle calls its Python ``__new__``. Equal, hashed
    and ordered by its fields.
    """

    __slots__ = ()

    def __new__(
        cls,
        path: str,
        line: int = 1,
        column: int = 1,
        member: str | None = None,
        end_line: int | None = None,
        end_column: int | None = None,
    ) -> Location:
        return tuple.__new__(cls, (path, line, column, member, end_line, end_column))

    def __reduce__(self) -> tuple[object, ...]:
        return tuple.__new__, (Location, tuple(self))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(_LOCATION_FIELDS, self))
        return f"Location({fields})"

    path: str = property(itemgetter(0))  # type: ignore[assignment]
    line: int = property(itemgetter(1))  # type: ignore[assignment]
    column: int = property(itemgetter(2))  # type: ignore[assignment]
    member: str | None = property(itemgetter(3))  # type: ignore[assignment]
    end_line: int | None = property(itemgetter(4))  # type: ignore[assignment]
    end_column: int | None = property(itemgetter(5))  # type: ignore[assignment]

    @property
    def display_path(self) -> str:
        """The path as printed to people: ``a.zip!/member`` for zip members."""
        return f"{self.path}!/{self.member}" if self.member else self.path

    @property
    def sort_key(self) -> tuple[str, str, int, int]:
        """File, member, line, column: an order that, unlike the fields', never compares a missing member with a name."""
        return (self.path, self.member or "", self.line, self.column)

    def at(self, line: int, column: int = 1) -> Location:
        """The same file at another position."""
        return Location(self.path, line, column, self.member)


_LOCATION_FIELDS = ("path", "line", "column", "member", "end_line", "end_column")


class WebResourceType(enum.IntEnum):
    """``WebResourceType`` codes of solution metadata."""

    HTML = 1
    CSS = 2
    SCRIPT = 3
    XML = 4
    PNG = 5
    JPG = 6
    GIF = 7
    SILVERLIGHT = 8
    XSL = 9
    ICO = 10
    SVG = 11
    RESX = 12
    UNKNOWN = 0

    @classmethod
    def from_code(cls, code: str | None) -> WebResourceType:
        try:
            return cls(int(code or ""))
        except ValueError:
            return cls.UNKNOWN


class Language(enum.Enum):
    """Source languages d365lint parses."""

    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    HTML = "html"
    CSHARP = "csharp"
    PYTHON = "python"


# Environment variable type codes (environmentvariabledefinition/type).
ENV_VAR_TYPE_NAMES = {
    "100000000": "String",
    "100000001": "Number",
    "100000002": "Boolean",
    "100000003": "JSON",
    "100000004": "Data source",
    "100000005": "Secret",
}
ENV_VAR_TYPE_SECRET = "100000005"


class TextValue(NamedTuple):
    """A piece of text from the input together with where it starts."""

    text: str
    location: Location


class Column(NamedTuple):
    """A table column (``attribute`` in solution XML)."""

    logical_name: str
    display_name: str
    description: str
    type: str
    is_secured: bool
    is_audit_enabled: bool
    is_custom: bool
    location: Location


class Table(NamedTuple):
    """A table (entity) defined or customised by the solution."""

    logical_name: str
    display_name: str
    description: str
    ownership: str
    is_audit_enabled: bool
    is_activity: bool
    is_custom: bool
    columns: tuple[Column, ...]
    location: Location
    ownership_location: Location | None = None
    audit_location: Location | None = None
    is_bpf: bool = False
    """A business process flow's table: organization-owned by design."""

    def column(self, logical_name: str) -> Column | None:
        wanted = logical_name.lower()
        return next((c for c in self.columns if c.logical_name == wanted), None)


class FormControl(NamedTuple):
    """A control on a form and how it is hidden, if it is.

    ``hidden_by`` names the element that hides it: ``cell``, ``section``,
    ``tab`` or ``hiddencontrols``; ``hidden_location`` points at that element.
    ``tab`` and ``section`` name the tab and section holding it (scripts
    hide them by name: ``ui.tabs.get("finance").setVisible(false)``).
    """

    control_id: str
    column: str
    hidden_by: str | None
    disabled: bool
    location: Location
    hidden_location: Location | None = None
    tab: str = ""
    section: str = ""

    @property
    def hidden(self) -> bool:
        return self.hidden_by is not None


class EventHandler(NamedTuple):
    """A form event handler: a function of a web-resource library."""

    event: str
    function_name: str
    library: str
    enabled: bool
    attribute: str
    location: Location


class Form(NamedTuple):
    """A system form of a table."""

    table: str
    form_id: str
    name: str
    form_type: str
    controls: tuple[FormControl, ...]
    libraries: tuple[TextValue, ...]
    handlers: tuple[EventHandler, ...]
    location: Location

    @property
    def scripts(self) -> frozenset[str]:
        """The web resources the form loads, lower case: its libraries and its event handlers' libraries."""
        # Two list comprehensions: a full run asks this of every form for each script that reads the user's roles.
        return frozenset([library.text.lower() for library in self.libraries] + [handler.library.lower() for handler in self.handlers])


class View(NamedTuple):
    """A system view (``savedquery``)."""

    table: str
    view_id: str
    name: str
    columns: tuple[str, ...]
    location: Location


class WebResource(NamedTuple):
    """A web resource: metadata plus the bytes of its content file."""

    name: str
    display_name: str
    type: WebResourceType
    content: bytes | None
    content_location: Location | None
    location: Location


class PluginAssembly(NamedTuple):
    """A registered plug-in assembly; ``content`` holds the DLL if shipped."""

    name: str
    isolation_mode: str
    source_type: str
    content: bytes | None
    content_location: Location | None
    location: Location
    isolation_location: Location | None = None


class PluginStep(NamedTuple):
    """An SDK message processing step (plug-in registration)."""

    name: str
    step_id: str
    message: str
    primary_entity: str
    stage: str
    mode: str
    filtering_attributes: tuple[str, ...]
    configuration: TextValue | None
    plugin_type_name: str
    state: str
    location: Location
    status: str = ""
    filtering_location: Location | None = None
    """Where ``FilteringAttributes`` is, when the element is present (possibly empty)."""

    @property
    def disabled(self) -> bool:
        """statecode 1 (Disabled) or statuscode 2 (Disabled)."""
        return self.state == "1" or self.status == "2"


class ServiceEndpoint(NamedTuple):
    """A service endpoint or webhook that plug-in steps post execution contexts to.

    ``url`` is a webhook's address, ``namespace_address`` a Service Bus or
    Event Hub namespace (``sb://…``); each is None when the export has none.
    ``contract`` is the numeric contract (8: webhook).
    """

    name: str
    endpoint_id: str
    contract: str
    url: TextValue | None
    namespace_address: TextValue | None
    location: Location


class RolePrivilege(NamedTuple):
    """A privilege a role grants, at a depth."""

    name: str
    level: str
    location: Location


class Role(NamedTuple):
    """A security role with its privileges."""

    name: str
    role_id: str
    privileges: tuple[RolePrivilege, ...]
    location: Location


class EnvironmentVariable(NamedTuple):
    """An environment variable definition with its default and current values."""

    schema_name: str
    display_name: str
    description: str
    type: str
    default_value: TextValue | None
    values: tuple[TextValue, ...]
    location: Location

    @property
    def type_name(self) -> str:
        return ENV_VAR_TYPE_NAMES.get(self.type, self.type or "unknown")


class Relationship(NamedTuple):
    """A one-to-many relationship: ``referencing`` looks up ``referenced``."""

    name: str
    referencing_table: str
    referenced_table: str
    referencing_column: str
    location: Location


class HiddenRibbonAction(NamedTuple):
    """A ``HideCustomAction`` of a table's (or the application's) ribbon.

    ``action_id`` is the id of the hidden control (its ``Location``, e.g.
    ``Mscrm.Form.account.Delete``); ``hidden_id`` is the ``HideActionId``.
    """

    table: str
    action_id: str
    hidden_id: str
    location: Location


class RibbonCheck(NamedTuple):
    """One condition of a ribbon display or enable rule (``CustomRule``, ``ValueRule``…).

    ``kind`` is the element name. A ``CustomRule`` lets a script decide:
    ``function_name`` in ``library`` (a web-resource name, without the
    ``$webresource:`` prefix). ``inverted`` is ``InvertResult``.
    """

    kind: str
    function_name: str
    library: str
    inverted: bool
    location: Location


class RibbonRule(NamedTuple):
    """A display or enable rule defined in a ribbon diff's ``RuleDefinitions``.

    ``kind`` is ``display`` or ``enable``; ``table`` is empty for the
    application ribbon.
    """

    table: str
    rule_id: str
    kind: str
    checks: tuple[RibbonCheck, ...]
    location: Location


class RibbonCommand(NamedTuple):
    """A ``CommandDefinition`` of a ribbon diff and the rules it references.

    A definition that reuses the id of a built-in command
    (``Mscrm.DeletePrimaryRecord``) replaces that command for the table. The
    referenced rules keep where they are referenced; ids of built-in rules
    (``Mscrm.HideOnModern``) have no definition in the diff.
    """

    table: str
    command_id: str
    display_rules: tuple[TextValue, ...]
    enable_rules: tuple[TextValue, ...]
    location: Location


class RootComponent(NamedTuple):
    """A component the solution manifest lists as part of the solution.

    ``type`` is the component type code (1 table, 61 web resource, …);
    ``behavior`` for tables is 0 (all subcomponents), 1 (metadata only) or
    2 (no subcomponents).
    """

    type: str
    id: str
    schema_name: str
    behavior: str
    location: Location


class MissingDependency(NamedTuple):
    """A component the solution needs but does not contain (manifest ``MissingDependencies``).

    ``required_solution`` names the solution holding it in the source
    environment; ``Active`` means it exists there only as an unmanaged
    customisation.
    """

    required_type: str
    required_name: str
    required_solution: str
    dependent_type: str
    dependent_name: str
    location: Location


class CustomConnector(NamedTuple):
    """A custom connector shipped in the solution, with its definition, connection parameters and icon."""

    name: str
    display_name: str
    brand_color: TextValue | None
    definition: RawFile | None
    parameters: RawFile | None
    icon: RawFile | None
    location: Location


class Solution(NamedTuple):
    """One Dataverse solution, whatever form it was loaded from.

    ``source`` says which form: ``zip``, ``unpacked`` or ``exported-folder``;
    ``file_count`` how many files (or zip members) it is made of.
    ``directive_files`` are the XML files on disk that the loader read and
    that mention d365lint, the only ones whose comments can hold suppression
    directives (None when no loader noted them: then they are looked for).
    """

    unique_name: str
    version: str
    managed: bool
    publisher_prefix: str
    source: str
    location: Location
    tables: tuple[Table, ...] = ()
    forms: tuple[Form, ...] = ()
    views: tuple[View, ...] = ()
    web_resources: tuple[WebResource, ...] = ()
    plugin_assemblies: tuple[PluginAssembly, ...] = ()
    plugin_steps: tuple[PluginStep, ...] = ()
    roles: tuple[Role, ...] = ()
    environment_variables: tuple[EnvironmentVariable, ...] = ()
    relationships: tuple[Relationship, ...] = ()
    hidden_ribbon_actions: tuple[HiddenRibbonAction, ...] = ()
    ribbon_commands: tuple[RibbonCommand, ...] = ()
    ribbon_rules: tuple[RibbonRule, ...] = ()
    service_endpoints: tuple[ServiceEndpoint, ...] = ()
    files: tuple[SourceFile, ...] = ()
    raw_files: tuple[RawFile, ...] = ()
    root_components: tuple[RootComponent, ...] = ()
    missing_dependencies: tuple[MissingDependency, ...] = ()
    connectors: tuple[CustomConnector, ...] = ()
    file_count: int = 1
    directive_files: tuple[str, ...] | None = None

    def table(self, logical_name: str) -> Table | None:
        wanted = logical_name.lower()
        return next((t for t in self.tables if t.logical_name == wanted), None)


SOLUTION_COLLECTIONS = tuple(name for name, default in Solution._field_defaults.items() if default == ())
"""The element collections of a solution (``"tables"``, ``"forms"``…), which rules name in ``reports_in`` and ``reads``."""

def link_names(collection: str, elements: Iterable[Any]) -> frozenset[str]:
    """The names that link elements of ``collection`` to others, lower case (see :class:`Reading`).

    A form is linked by the scripts it loads, a table by its logical name, a
    script and a web resource by the web resource's name. The elements of
    the other collections are linked to nothing but the files they lie in.
    """
    if collection == "forms":
        return frozenset().union(*(form.scripts for form in elements))
    if collection == "tables":
        return frozenset(table.logical_name for table in elements)
    if collection == "files":
        return frozenset((source.web_resource or "").lower() for source in elements) - {""}
    if collection == "web_resources":
        return frozenset(resource.name.lower() for resource in elements)
    return frozenset()


class Reading(NamedTuple):
    """What a run focused on a few files reads of a solution's collections.

    It reads every element of the collections in ``whole``; of those in
    ``linked``, only the elements linked to the focused files: those that
    lie in them, the forms that load a focused script, the scripts and web
    resources a focused form loads, and the tables of the focused forms and
    of the forms read. A pre-commit run on one script of a large solution
    then decodes the two forms that load it and their table, not 1,600
    forms, 400 tables and 900 web resources.
    """

    whole: frozenset[str]
    linked: frozenset[str] = frozenset()


class SourceFile(NamedTuple):
    """Text content in a source language: a script, C# or Python file.

    Web-resource scripts are also offered as source files (with
    ``web_resource`` naming them) so that script rules see every script once,
    whether it sits in a solution or on its own. ``line_offset`` and
    ``column_offset`` place text extracted from a larger file (a script block
    of an HTML page) at its real position.
    """

    language: Language
    text: str
    location: Location
    web_resource: str | None = None
    line_offset: int = 0
    column_offset: int = 0

    @property
    def component(self) -> str:
        """The logical identity of the file for fingerprints."""
        if self.web_resource:
            return f"webresource:{self.web_resource}"
        return f"file:{self.location.display_path}"


class RawFile(NamedTuple):
    """A file kept as bytes: a compiled assembly, a flow definition, a data file.

    Solutions carry files the model has no element for (cloud flows,
    classic workflows, configuration data, connector definitions); rule
    families that understand them read them from here.
    """

    name: str
    content: bytes
    location: Location


# Table permission scopes (``adx_scope`` / ``scope``), from the Table Permission
# (mspp_entitypermission) reference: https://learn.microsoft.com/power-apps/developer/
# data-platform/reference/entities/mspp_entitypermission#BKMK_mspp_scope
PERMISSION_SCOPE_NAMES = {
    "756150000": "Global",
    "756150001": "Contact",
    "756150002": "Account",
    "756150003": "Parent",
    "756150004": "Self",
}
PERMISSION_SCOPE_GLOBAL = "756150000"
PERMISSION_SCOPE_PARENT = "756150003"
# The privileges of a table permission, as its boolean fields name them.
PERMISSION_PRIVILEGES = ("read", "write", "create", "delete", "append", "appendto")


class WebRole(NamedTuple):
    """A Power Pages web role.

    ``anonymous`` is ``adx_anonymoususersrole``: every visitor who has not
    signed in holds the role. ``authenticated`` is ``adx_authenticatedusersrole``:
    every signed-in visitor holds it.
    """

    role_id: str
    name: str
    anonymous: bool
    authenticated: bool
    location: Location


class TablePermission(NamedTuple):
    """A Power Pages table permission (``adx_entitypermission``).

    ``scope`` is the scope code (see ``PERMISSION_SCOPE_NAMES``); ``privileges``
    the granted ones of ``PERMISSION_PRIVILEGES``; ``web_roles`` the ids of
    the roles it is assigned to (``adx_entitypermission_webrole``), lower case.
    A Parent-scope permission reaches records through ``parent_id``'s permission
    and inherits its roles. ``location`` is where the permission's record starts.
    """

    permission_id: str
    name: str
    table: str
    scope: str
    privileges: tuple[str, ...]
    web_roles: tuple[str, ...]
    parent_id: str
    active: bool
    location: Location
    scope_location: Location | None = None

    @property
    def scope_name(self) -> str:
        return PERMISSION_SCOPE_NAMES.get(self.scope, self.scope or "unknown")


class SiteSetting(NamedTuple):
    """A site setting; ``value`` is None when the record has no value.

    ``profile`` names the deployment profile (``deployment-profiles/<profile>.deployment.yml``)
    that sets the value on upload; it is empty for the site's own settings.
    """

    name: str
    value: TextValue | None
    location: Location
    profile: str = ""


class SiteContent(NamedTuple):
    """Text of a site that visitors' browsers or the Liquid engine receive.

    ``kind`` says what it is (``content snippet``, ``web template``,
    ``web page script``…); ``name`` is the record's name. ``located`` is
    False for text decoded from a site component's JSON: its escapes shift
    positions, so places in it are reported at the field instead.
    """

    kind: str
    name: str
    text: TextValue
    located: bool = True


class PortalSite(NamedTuple):
    """A Power Pages site's configuration, whatever form it was loaded from.

    ``data_model`` is ``standard`` (``adx_`` tables) or ``enhanced``
    (``powerpagecomponent``); ``source`` is ``download`` (``pac pages download``),
    ``code-site`` (a code site's ``.powerpages-site`` folder) or ``solution``
    (site components carried in a solution). ``tables`` holds the definitions
    of the workspace's tables, attached when rules run, so that rules can tell
    which of the site's tables hold sensitive columns.
    """

    name: str
    site_id: str
    data_model: str
    source: str
    location: Location
    web_roles: tuple[WebRole, ...] = ()
    table_permissions: tuple[TablePermission, ...] = ()
    settings: tuple[SiteSetting, ...] = ()
    contents: tuple[SiteContent, ...] = ()
    tables: tuple[Table, ...] = ()

    def table(self, logical_name: str) -> Table | None:
        wanted = logical_name.lower()
        return next((t for t in self.tables if t.logical_name == wanted), None)


class Diagnostic(NamedTuple):
    """A problem of the tool with an input: it could not be fully analysed."""

    message: str
    location: Location
    kind: str = "error"


class Workspace(NamedTuple):
    """Everything a run analyses: solutions, loose files and load problems."""

    solutions: tuple[Solution, ...] = ()
    files: tuple[SourceFile, ...] = ()
    raw_files: tuple[RawFile, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    focus: frozenset[str] | None = None
    """When set, only results in these display paths are reported: pre-commit
    passes single files, and their solution is loaded whole for context."""
    sites: tuple[PortalSite, ...] = ()
    """Power Pages sites: downloaded site folders and site components of solutions."""
