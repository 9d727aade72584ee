"""Turning solution XML elements into model values.

Exports and unpacked trees hold the same elements, only split over different
files, so each converter takes an element and the document it came from
(for exact locations) and is shared by every input form. Element names are
matched without regard to case: platform versions differ.
"""

from __future__ import annotations

import re

from lxml import etree

from d365lint.model import (
    Column,
    CustomConnector,
    MissingDependency,
    RawFile,
    RootComponent,
    EnvironmentVariable,
    EventHandler,
    Form,
    FormControl,
    HiddenRibbonAction,
    Location,
    PluginAssembly,
    PluginStep,
    Relationship,
    RibbonCheck,
    RibbonCommand,
    RibbonRule,
    Role,
    RolePrivilege,
    ServiceEndpoint,
    Table,
    TextValue,
    View,
    WebResource,
    WebResourceType,
)
from d365lint.parsing.xml import (
    Children,
    XmlDocument,
    attribute,
    child,
    child_text,
    children,
    descendants,
    local_name,
    localized_label,
)
from d365lint.patterns import compile_lazily

# SdkMessageId values are the same in every environment for platform messages.
# Source: Microsoft Learn, "Use messages with the SDK for .NET" (the sdkmessagefilters
# Web API response for account), confirmed against real unpacked steps (Create, Update).
# Other messages (Associate, custom APIs, actions) are read from the step name.
KNOWN_MESSAGE_IDS = {
    "8cbdbb1b-ea3e-db11-86a7-000a3a5473e8": "Assign",
    "9ebdbb1b-ea3e-db11-86a7-000a3a5473e8": "Create",
    "a1bdbb1b-ea3e-db11-86a7-000a3a5473e8": "Delete",
    "c5bdbb1b-ea3e-db11-86a7-000a3a5473e8": "GrantAccess",
    "dbbdbb1b-ea3e-db11-86a7-000a3a5473e8": "Merge",
    "dcbdbb1b-ea3e-db11-86a7-000a3a5473e8": "ModifyAccess",
    "f2bdbb1b-ea3e-db11-86a7-000a3a5473e8": "Retrieve",
    "03bebb1b-ea3e-db11-86a7-000a3a5473e8": "RetrieveMultiple",
    "04bebb1b-ea3e-db11-86a7-000a3a5473e8": "RetrievePrincipalAccess",
    "10bebb1b-ea3e-db11-86a7-000a3a5473e8": "RetrieveSharedPrincipalsAndAccess",
    "11bebb1b-ea3e-db11-86a7-000a3a5473e8": "RevokeAccess",
    "1cbebb1b-ea3e-db11-86a7-000a3a5473e8": "SetState",
    "1dbebb1b-ea3e-db11-86a7-000a3a5473e8": "SetStateDynamicEntity",
    "20bebb1b-ea3e-db11-86a7-000a3a5473e8": "Update",
    "f6bdbb1b-ea3e-db11-86a7-000a3a5473e8": "RetrieveUnpublishedMultiple",
}
_STEP_NAME_MESSAGE = compile_lazily(r":\s*([A-Za-z_]+)\s+of\s+([A-Za-z0-9_]+)", re.I)

_TRUE = {"1", "true"}


def _flag(text: str) -> bool:
    return text.strip().lower() in _TRUE


def _located_text(doc: XmlDocument, element: etree._Element | None) -> TextValue | None:
    if element is None or element.text is None or not element.text.strip():
        return None
    return TextValue(element.text, doc.locate(element))


def read_manifest(root: etree._Element) -> dict[str, str]:
    """Unique name, version, managed flag and publisher prefix of a solution."""
    manifest = root if local_name(root) == "SolutionManifest" else child(root, "SolutionManifest")
    publisher = child(manifest, "Publisher") if manifest is not None else None
    return {
        "unique_name": child_text(manifest, "UniqueName"),
        "version": child_text(manifest, "Version"),
        "managed": child_text(manifest, "Managed", "0"),
        "publisher_prefix": child_text(publisher, "CustomizationPrefix"),
    }


def _manifest(root: etree._Element) -> etree._Element | None:
    return root if local_name(root) == "SolutionManifest" else child(root, "SolutionManifest")


def read_root_components(doc: XmlDocument, root: etree._Element) -> list[RootComponent]:
    """The ``RootComponents`` of a solution manifest (``solution.xml`` or ``Other/Solution.xml``)."""
    manifest = _manifest(root)
    return [
        RootComponent(
            type=attribute(element, "type"),
            id=attribute(element, "id").strip("{}").lower(),
            schema_name=attribute(element, "schemaName"),
            behavior=attribute(element, "behavior", "0"),
            location=doc.locate(element),
        )
        for element in descendants(child(manifest, "RootComponents") if manifest is not None else None, "RootComponent")
    ]


def read_missing_dependencies(doc: XmlDocument, root: etree._Element) -> list[MissingDependency]:
    """The ``MissingDependencies`` of a solution manifest: what it needs and does not contain."""
    manifest = _manifest(root)
    found = []
    for element in descendants(child(manifest, "MissingDependencies") if manifest is not None else None, "MissingDependency"):
        required, dependent = child(element, "Required"), child(element, "Dependent")
        if required is None:
            continue
        found.append(
            MissingDependency(
                required_type=attribute(required, "type"),
                required_name=attribute(required, "schemaName") or attribute(required, "displayName") or attribute(required, "id"),
                required_solution=attribute(required, "solution"),
                dependent_type=attribute(dependent, "type") if dependent is not None else "",
                dependent_name=(attribute(dependent, "schemaName") or attribute(dependent, "displayName")) if dependent is not None else "",
                location=doc.locate(required),
            )
        )
    return found


def read_connector(
    doc: XmlDocument, element: etree._Element, files: dict[str, RawFile | None]
) -> CustomConnector:
    """A ``Connector`` element; ``files`` holds its definition, parameters and icon, read by the builder."""
    color = child(element, "iconbrandcolor")
    return CustomConnector(
        name=child_text(element, "name"),
        display_name=child_text(element, "displayname"),
        brand_color=TextValue(color.text or "", doc.locate(color)) if color is not None else None,
        definition=files.get("openapidefinition"),
        parameters=files.get("connectionparameters"),
        icon=files.get("iconblob"),
        location=doc.locate(element),
    )


def read_table(doc: XmlDocument, entity_element: etree._Element) -> Table:
    """A table from an ``Entity`` element (its ``EntityInfo/entity`` may be absent)."""
    entity_info = child(entity_element, "EntityInfo")
    info = child(entity_info, "entity") if entity_info is not None else None
    name_element = child(entity_element, "Name")
    name_text = (name_element.text or "").strip() if name_element is not None else ""
    logical_name = (attribute(info, "Name") or name_text).lower()
    attributes = child(info, "attributes") if info is not None else None
    columns = tuple(read_column(doc, element) for element in children(attributes, "attribute"))
    ownership_element = child(info, "OwnershipTypeMask") if info is not None else None
    audit_element = child(info, "IsAuditEnabled") if info is not None else None
    display_name = localized_label(child(info, "LocalizedNames")) if info is not None else ""
    if not display_name and name_element is not None:
        display_name = attribute(name_element, "LocalizedName")
    return Table(
        logical_name=logical_name,
        display_name=display_name,
        description=localized_label(child(info, "Descriptions")) if info is not None else "",
        ownership=child_text(info, "OwnershipTypeMask"),
        is_audit_enabled=_flag(child_text(info, "IsAuditEnabled")),
        is_activity=_flag(child_text(info, "IsActivity")),
        is_custom="_" in logical_name and info is not None,
        columns=columns,
        location=doc.locate(info if info is not None else entity_element),
        ownership_location=doc.locate(ownership_element) if ownership_element is not None else None,
        audit_location=doc.locate(audit_element) if audit_element is not None else None,
        is_bpf=_flag(child_text(info, "IsBPFEntity")),
    )


def read_column(doc: XmlDocument, element: etree._Element) -> Column:
    fields = Children(element)
    logical_name = (fields.text("LogicalName") or fields.text("Name") or attribute(element, "PhysicalName")).lower()
    return Column(
        logical_name=logical_name,
        display_name=localized_label(fields.get("displaynames")),
        description=localized_label(fields.get("Descriptions")),
        type=fields.text("Type"),
        is_secured=_flag(fields.text("IsSecured")),
        is_audit_enabled=_flag(fields.text("IsAuditEnabled", "1")),
        is_custom=_flag(fields.text("IsCustomField")),
        location=doc.locate(element),
    )


def read_forms(doc: XmlDocument, container: etree._Element | None, table: str, form_type: str = "") -> list[Form]:
    """Every ``systemform`` below ``container`` (a ``FormXml``, ``forms`` or file root)."""
    forms = []
    for systemform in descendants(container, "systemform"):
        parent = systemform.getparent()
        kind = attribute(parent, "type") if parent is not None and local_name(parent) == "forms" else ""
        forms.append(read_form(doc, systemform, table, kind or form_type))
    return forms


def read_form(doc: XmlDocument, systemform: etree._Element, table: str, form_type: str) -> Form:
    form = child(systemform, "form")
    controls: list[FormControl] = []
    hidden_columns = {
        attribute(data, "datafieldname").lower(): data
        for data in descendants(child(form, "hiddencontrols") if form is not None else None, "data")
    }
    for tab in _present(descendants(form, "tab")):
        tab_hidden = tab if attribute(tab, "visible").lower() == "false" else None
        for section in _present(descendants(tab, "section")):
            section_hidden = section if attribute(section, "visible").lower() == "false" else None
            for cell in _present(descendants(section, "cell")):
                cell_hidden = cell if attribute(cell, "visible").lower() == "false" else None
                for control in children(cell, "control"):
                    if not attribute(control, "datafieldname"):
                        continue  # web resources, subgrids and spacers bind no column
                    place = (attribute(tab, "name"), attribute(section, "name"))
                    controls.append(_read_control(doc, control, (cell_hidden, section_hidden, tab_hidden), place))
    shown = {control.column for control in controls}
    for column, data in hidden_columns.items():
        if column and column not in shown:
            controls.append(
                FormControl(
                    control_id=attribute(data, "id") or column,
                    column=column,
                    hidden_by="hiddencontrols",
                    disabled=False,
                    location=doc.locate(data),
                    hidden_location=doc.locate(data),
                )
            )
    libraries = tuple(
        TextValue(attribute(library, "name"), doc.locate(library))
        for library in descendants(child(form, "formLibraries") if form is not None else None, "Library")
    )
    handlers = tuple(
        EventHandler(
            event=attribute(event, "name"),
            function_name=attribute(handler, "functionName"),
            library=attribute(handler, "libraryName"),
            enabled=attribute(handler, "enabled", "true").lower() != "false",
            attribute=attribute(event, "attribute"),
            location=doc.locate(handler),
        )
        for event in descendants(child(form, "events") if form is not None else None, "event")
        for handler in descendants(event, "Handler")
    )
    return Form(
        table=table,
        form_id=child_text(systemform, "formid").strip("{}").lower(),
        name=localized_label(child(systemform, "LocalizedNames")),
        form_type=form_type,
        controls=tuple(controls),
        libraries=libraries,
        handlers=handlers,
        location=doc.locate(systemform),
    )


def _present(elements: list[etree._Element]) -> list[etree._Element]:
    """Elements a customised system form keeps: ``solutionaction="Removed"`` ones are gone."""
    return [element for element in elements if attribute(element, "solutionaction").lower() != "removed"]


def _read_control(
    doc: XmlDocument,
    control: etree._Element,
    hiders: tuple[etree._Element | None, etree._Element | None, etree._Element | None],
    place: tuple[str, str],
) -> FormControl:
    """A control; ``hiders`` are its cell, section and tab when they hide it, ``place`` its tab and section names."""
    hider, hidden_by = next(
        ((element, name) for element, name in zip(hiders, ("cell", "section", "tab")) if element is not None),
        (None, None),
    )
    return FormControl(
        control_id=attribute(control, "id"),
        column=attribute(control, "datafieldname").lower(),
        hidden_by=hidden_by,
        disabled=attribute(control, "disabled").lower() == "true",
        location=doc.locate(control),
        hidden_location=doc.locate(hider) if hider is not None else None,
        tab=place[0],
        section=place[1],
    )


def read_views(doc: XmlDocument, container: etree._Element | None, table: str) -> list[View]:
    views = []
    for query in descendants(container, "savedquery"):
        layout = child(query, "layoutxml")
        views.append(
            View(
                table=table,
                view_id=child_text(query, "savedqueryid").strip("{}").lower(),
                name=localized_label(child(query, "LocalizedNames")),
                columns=tuple(attribute(cell, "name").lower() for cell in descendants(layout, "cell")),
                location=doc.locate(query),
            )
        )
    return views


def read_hidden_ribbon_actions(doc: XmlDocument, ribbon: etree._Element | None, table: str) -> list[HiddenRibbonAction]:
    return [
        HiddenRibbonAction(
            table=table,
            action_id=attribute(action, "Location"),
            hidden_id=attribute(action, "HideActionId"),
            location=doc.locate(action),
        )
        for action in descendants(ribbon, "HideCustomAction")
    ]


_RULE_KINDS = {"displayrules": "display", "enablerules": "enable"}
_WEB_RESOURCE_PREFIX = "$webresource:"


def read_ribbon_commands(doc: XmlDocument, ribbon: etree._Element | None, table: str) -> list[RibbonCommand]:
    """The ``CommandDefinition`` elements of a ribbon diff with the rule ids they reference."""

    def references(command: etree._Element, container: str, item: str) -> tuple[TextValue, ...]:
        return tuple(
            TextValue(attribute(rule, "Id"), doc.locate(rule))
            for rule in children(child(command, container), item)
            if attribute(rule, "Id")
        )

    definitions = child(ribbon, "CommandDefinitions") if ribbon is not None else None
    return [
        RibbonCommand(
            table=table,
            command_id=attribute(command, "Id"),
            display_rules=references(command, "DisplayRules", "DisplayRule"),
            enable_rules=references(command, "EnableRules", "EnableRule"),
            location=doc.locate(command),
        )
        for command in children(definitions, "CommandDefinition")
    ]


def read_ribbon_rules(doc: XmlDocument, ribbon: etree._Element | None, table: str) -> list[RibbonRule]:
    """The display and enable rules a ribbon diff defines, each with the checks it combines."""
    definitions = child(ribbon, "RuleDefinitions") if ribbon is not None else None
    rules = []
    for container in definitions if definitions is not None else ():
        kind = _RULE_KINDS.get(local_name(container).lower())
        if kind is None:
            continue
        for rule in children(container, kind.capitalize() + "Rule"):
            checks = tuple(_ribbon_check(doc, element) for element in rule.iter(etree.Element) if _is_check(element, rule))
            rules.append(RibbonRule(table, attribute(rule, "Id"), kind, checks, doc.locate(rule)))
    return rules


def _is_check(element: etree._Element, rule: etree._Element) -> bool:
    """Conditions of a rule: ``…Rule`` elements (not the ``OrRule``/``Or`` groups) and script functions."""
    name = local_name(element)
    return element is not rule and (name == "JavaScriptFunction" or (name.endswith("Rule") and name != "OrRule"))


def _ribbon_check(doc: XmlDocument, element: etree._Element) -> RibbonCheck:
    library = attribute(element, "Library")
    if library.lower().startswith(_WEB_RESOURCE_PREFIX):
        library = library[len(_WEB_RESOURCE_PREFIX) :]
    return RibbonCheck(
        kind=local_name(element),
        function_name=attribute(element, "FunctionName"),
        library=library,
        inverted=_flag(attribute(element, "InvertResult")),
        location=doc.locate(element),
    )


def read_role(doc: XmlDocument, element: etree._Element) -> Role:
    return Role(
        name=attribute(element, "name"),
        role_id=attribute(element, "id").strip("{}").lower(),
        privileges=tuple(
            RolePrivilege(attribute(p, "name"), attribute(p, "level"), doc.locate(p))
            for p in descendants(child(element, "RolePrivileges"), "RolePrivilege")
        ),
        location=doc.locate(element),
    )


def read_step(doc: XmlDocument, element: etree._Element) -> PluginStep:
    name = attribute(element, "Name")
    message_id = child_text(element, "SdkMessageId").strip("{}").lower()
    named = _STEP_NAME_MESSAGE.search(name)
    message = KNOWN_MESSAGE_IDS.get(message_id) or (named.group(1) if named else "")
    primary_entity = child_text(element, "PrimaryEntity") or (named.group(2) if named else "")
    configuration = child(element, "CustomConfiguration")
    if configuration is None:
        configuration = child(element, "Configuration")
    filtering = child_text(element, "FilteringAttributes")
    filtering_element = child(element, "FilteringAttributes")
    return PluginStep(
        name=name,
        step_id=attribute(element, "SdkMessageProcessingStepId").strip("{}").lower(),
        message=message,
        primary_entity=primary_entity.lower(),
        stage=child_text(element, "Stage"),
        mode=child_text(element, "Mode"),
        filtering_attributes=tuple(a.strip().lower() for a in filtering.split(",") if a.strip()),
        configuration=_located_text(doc, configuration),
        plugin_type_name=child_text(element, "PluginTypeName"),
        state=child_text(element, "StateCode") or child_text(element, "statecode"),
        location=doc.locate(element),
        status=child_text(element, "StatusCode") or child_text(element, "statuscode"),
        filtering_location=doc.locate(filtering_element) if filtering_element is not None else None,
    )


def read_service_endpoint(doc: XmlDocument, element: etree._Element) -> ServiceEndpoint:
    """A ``ServiceEndpoint``: its values are child elements named after the table's columns.

    Name and id may also sit on the element as attributes, as on roles.
    """
    return ServiceEndpoint(
        name=child_text(element, "Name") or attribute(element, "Name"),
        endpoint_id=(attribute(element, "ServiceEndpointId") or child_text(element, "ServiceEndpointId")).strip("{}").lower(),
        contract=child_text(element, "Contract"),
        url=_located_text(doc, child(element, "Url")),
        namespace_address=_located_text(doc, child(element, "NamespaceAddress")),
        location=doc.locate(element),
    )


def read_assembly(doc: XmlDocument, element: etree._Element, content: bytes | None, content_location: Location | None) -> PluginAssembly:
    full_name = attribute(element, "FullName")
    isolation = child(element, "IsolationMode")
    return PluginAssembly(
        name=full_name.split(",")[0].strip() or child_text(element, "FileName").rsplit("/", 1)[-1],
        isolation_mode=child_text(element, "IsolationMode"),
        source_type=child_text(element, "SourceType"),
        content=content,
        content_location=content_location,
        location=doc.locate(element),
        isolation_location=doc.locate(isolation) if isolation is not None else None,
    )


def read_web_resource(
    doc: XmlDocument, element: etree._Element, content: bytes | None, content_location: Location | None
) -> WebResource:
    return WebResource(
        name=child_text(element, "Name"),
        display_name=child_text(element, "DisplayName"),
        type=WebResourceType.from_code(child_text(element, "WebResourceType")),
        content=content,
        content_location=content_location,
        location=doc.locate(element),
    )


def read_environment_variable(
    doc: XmlDocument, element: etree._Element, values: tuple[TextValue, ...] = ()
) -> EnvironmentVariable:
    inline_values = tuple(
        value
        for value_element in descendants(element, "environmentvariablevalue")
        if (value := _located_text(doc, child(value_element, "value"))) is not None
    )
    return EnvironmentVariable(
        schema_name=attribute(element, "schemaname"),
        display_name=localized_label(child(element, "displayname")),
        description=localized_label(child(element, "description")),
        type=child_text(element, "type"),
        default_value=_located_text(doc, child(element, "defaultvalue")),
        values=inline_values + values,
        location=doc.locate(element),
    )


def read_relationships(doc: XmlDocument, container: etree._Element | None) -> list[Relationship]:
    return [
        Relationship(
            name=attribute(element, "Name"),
            referencing_table=child_text(element, "ReferencingEntityName").lower(),
            referenced_table=child_text(element, "ReferencedEntityName").lower(),
            referencing_column=child_text(element, "ReferencingAttributeName").lower(),
            location=doc.locate(element),
        )
        for element in descendants(container, "EntityRelationship")
        if child_text(element, "EntityRelationshipType", "OneToMany") == "OneToMany"
    ]
