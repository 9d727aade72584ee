"""A synthetic solution as large as real ones, for the benchmarks.

    .venv/bin/python benchmarks/generate.py SIZE OUT [--seed N]

SIZE is ``S`` (≈5 MB), ``M`` (≈50 MB), ``L`` (≈200 MB) or a number of
megabytes of XML and scripts. OUT receives:

* ``unpacked/`` — the solution as ``pac solution unpack`` writes it;
* ``export/`` — the same solution as an export holds it (``solution.xml``,
  ``customizations.xml``, ``WebResources/…``, ``environmentvariabledefinitions/…``);
* ``<UniqueName>.zip`` — ``export/`` zipped, as ``pac solution export`` saves it;
* ``planted.json`` — the anti-patterns planted, by the rule that reports them,
  with the composition of the solution.

The composition follows real exports: tables of 50–300 columns (string,
lookup, choice, date, money… with their full attribute metadata and option
sets), 2–6 forms each (main forms with tabs, sections and cells, quick
create, quick view, card), views with fetch and layout XML, ribbon diffs,
relationships, security roles with the eight privileges on every table,
plug-in assemblies and steps, environment variables, and web resources of
realistic size and style: namespaced ES5 form scripts and modern (ES2017)
ones, shared libraries, HTML pages with script blocks, style sheets and icons.
Anti-patterns are planted at known rates (``PLANTED_RATE`` per script
function, and fixed shares of steps, assemblies and variables) so that a run
can be checked against ``planted.json``. The same seed writes the same bytes.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

SIZES_MB = {"S": 5.0, "M": 50.0, "L": 200.0}
PREFIX = "contoso"
NAMESPACE = "Contoso"
UNIQUE_NAME = "ContosoOperations"
PLANTED_RATE = 0.04
"""Share of script functions that are an anti-pattern."""
SCRIPT_SHARE = 0.12
"""Share of the bytes that are scripts (form scripts, libraries, HTML pages), as in real line-of-business solutions."""

NOUNS = (
    "project", "milestone", "contract", "asset", "site", "inspection", "vehicle", "shipment", "warehouse", "delivery",
    "permit", "claim", "policy", "campaign", "survey", "course", "enrolment", "booking", "resource", "timesheet",
    "expense", "budget", "forecast", "region", "territory", "supplier", "tender", "bid", "equipment", "meter",
    "reading", "tariff", "outage", "crew", "route", "visit", "sample", "batch", "recipe", "component", "licence",
    "grant", "application", "review", "audit", "finding", "action", "risk", "issue", "change", "release", "vendor",
    "facility", "room", "event", "session", "speaker", "sponsor", "member", "membership", "subscription", "donation",
    "volunteer", "programme", "funding", "partner", "agreement", "obligation", "entitlement", "incidentlog", "channel",
)
QUALIFIERS = (
    "", "line", "item", "type", "stage", "plan", "request", "approval", "schedule", "template", "assignment", "note",
    "history", "detail", "category", "status", "rule", "setting", "log", "summary",
)
WORDS = (
    "start", "end", "due", "planned", "actual", "estimated", "total", "net", "gross", "primary", "secondary", "internal",
    "external", "approved", "requested", "reference", "external", "target", "baseline", "review", "next", "last",
    "original", "revised", "final", "billing", "shipping", "contact", "owner", "manager", "lead", "regional",
)
SUBJECTS = (
    "date", "amount", "quantity", "status", "code", "number", "name", "description", "category", "priority", "region",
    "country", "city", "postcode", "phone", "email", "website", "score", "rating", "duration", "cost", "price", "rate",
    "discount", "weight", "volume", "count", "comments", "reason", "outcome", "channel", "source", "stage", "level",
)
STANDARD_TABLES = ("account", "contact", "lead", "systemuser")
PRIVILEGES = ("Create", "Read", "Write", "Delete", "Append", "AppendTo", "Assign", "Share")
LEVELS = ("Basic", "Local", "Deep", "Global")
MESSAGE_IDS = {
    "Create": "9ebdbb1b-ea3e-db11-86a7-000a3a5473e8",
    "Update": "20bebb1b-ea3e-db11-86a7-000a3a5473e8",
    "Delete": "a1bdbb1b-ea3e-db11-86a7-000a3a5473e8",
}
# (type, weight, form control class id)
COLUMN_TYPES = (
    ("nvarchar", 34, "{4273EDBD-AC1D-40d3-9FB2-095C621B552D}"),
    ("lookup", 12, "{270BD3DB-D9AF-4782-9025-509E298DEC0A}"),
    ("picklist", 16, "{3EF39988-22BB-4f0b-BBBE-64B5A3748AEE}"),
    ("bit", 8, "{67FAC785-CD58-4f9f-ABB3-4B7DDC6ED5ED}"),
    ("datetime", 10, "{5B773807-9FB2-42db-97C3-7A91EFF8ADFF}"),
    ("money", 6, "{533B9E00-756B-4312-95A0-DC888637AC78}"),
    ("int", 5, "{C6D124CA-7EDA-4a60-AEA9-7FB8D318B68F}"),
    ("decimal", 3, "{C3EFE0C3-0EC6-42be-8349-CBD9079DFD8E}"),
    ("ntext", 6, "{E0DECE4B-6FC8-4a8f-A065-082708572369}"),
)
CONTROL_CLASS = {name: class_id for name, _, class_id in COLUMN_TYPES}
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'


def attr(value: str) -> str:
    """An XML attribute value, quoted and escaped."""
    return quoteattr(value)


def esc(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def indent(text: str, depth: int) -> str:
    """``text`` moved ``depth`` levels (two spaces each) to the right."""
    pad = "  " * depth
    return pad + text.replace("\n", "\n" + pad)


def title(name: str) -> str:
    return name.replace("_", " ").title()


# ---------------------------------------------------------------------------
# The plan: what the solution holds


@dataclass
class ColumnSpec:
    schema: str
    type: str
    display: str
    custom: bool
    target: str = ""
    """The table a lookup points at."""

    @property
    def logical(self) -> str:
        return self.schema.lower()


@dataclass
class TableSpec:
    schema: str
    display: str
    custom: bool
    columns: list[ColumnSpec]
    script: str = ""
    """The web-resource name of the table's form script."""
    functions: list[str] = field(default_factory=list)
    """Handler names the form script defines, as ``Namespace.Table.function``."""

    @property
    def logical(self) -> str:
        return self.schema.lower()


@dataclass
class Planted:
    """What the generator planted, by the id of the rule that reports it."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, rule: str, count: int = 1) -> None:
        self.counts[rule] += count


class Ids:
    """GUIDs from the seeded generator: the same seed gives the same ids."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def braced(self) -> str:
        return "{" + self.guid() + "}"


# ---------------------------------------------------------------------------
# Tables and columns


def column_xml(column: ColumnSpec, rng: random.Random, ids: Ids) -> str:
    """An ``attribute`` element with the metadata an export writes for it."""
    flag = "1" if column.custom else "0"
    lines = [
        f"<attribute PhysicalName={attr(column.schema)}>",
        f"  <Type>{column.type}</Type>",
        f"  <Name>{column.logical}</Name>",
        f"  <LogicalName>{column.logical}</LogicalName>",
        f"  <RequiredLevel>{rng.choice(('none', 'none', 'none', 'recommended', 'required'))}</RequiredLevel>",
        "  <DisplayMask>ValidForAdvancedFind|ValidForForm|ValidForGrid</DisplayMask>",
        "  <ImeMode>auto</ImeMode>",
        "  <ValidForUpdateApi>1</ValidForUpdateApi>",
        "  <ValidForReadApi>1</ValidForReadApi>",
        "  <ValidForCreateApi>1</ValidForCreateApi>",
        f"  <IsCustomField>{flag}</IsCustomField>",
        f"  <IsAuditEnabled>{rng.choice(('1', '1', '0'))}</IsAuditEnabled>",
        "  <IsSecured>0</IsSecured>",
        "  <IntroducedVersion>1.0.0.0</IntroducedVersion>",
        "  <IsCustomizable>1</IsCustomizable>",
        "  <IsRenameable>1</IsRenameable>",
        "  <CanModifySearchSettings>1</CanModifySearchSettings>",
        "  <CanModifyRequirementLevelSettings>1</CanModifyRequirementLevelSettings>",
        "  <CanModifyAdditionalSettings>1</CanModifyAdditionalSettings>",
        "  <SourceType>0</SourceType>",
        "  <IsGlobalFilterEnabled>0</IsGlobalFilterEnabled>",
        "  <IsSortableEnabled>0</IsSortableEnabled>",
        "  <CanModifyGlobalFilterSettings>1</CanModifyGlobalFilterSettings>",
        "  <CanModifyIsSortableSettings>1</CanModifyIsSortableSettings>",
        "  <IsDataSourceSecret>0</IsDataSourceSecret>",
        "  <AutoNumberFormat></AutoNumberFormat>",
        f"  <IsSearchable>{rng.choice(('0', '1'))}</IsSearchable>",
        "  <IsFilterable>0</IsFilterable>",
        "  <IsRetrievable>0</IsRetrievable>",
        "  <IsLocalizable>0</IsLocalizable>",
    ]
    lines += _type_details(column, rng, ids)
    lines += [
        "  <displaynames>",
        f"    <displayname description={attr(column.display)} languagecode=\"1033\" />",
        "  </displaynames>",
        "  <Descriptions>",
        f"    <Description description={attr(rng.choice(DESCRIPTIONS).format(c=column.display.lower()))} languagecode=\"1033\" />",
        "  </Descriptions>",
        "</attribute>",
    ]
    return "\n".join(lines)


DESCRIPTIONS = (
    "The {c} of the record.",
    "Type the {c} so that the team can report on it.",
    "Shows the {c}; maintained by the integration.",
    "Select the {c} that applies to this record.",
    "The {c} recorded when the record was last reviewed.",
)


def _type_details(column: ColumnSpec, rng: random.Random, ids: Ids) -> list[str]:
    kind = column.type
    if kind == "nvarchar":
        length = rng.choice((100, 100, 200, 250, 500, 850))
        return [f"  <Format>{rng.choice(('text', 'text', 'email', 'phone', 'url'))}</Format>",
                f"  <MaxLength>{length}</MaxLength>", f"  <Length>{length * 2}</Length>"]
    if kind == "ntext":
        return ["  <Format>textarea</Format>", "  <MaxLength>4000</MaxLength>", "  <Length>8000</Length>"]
    if kind == "lookup":
        return ["  <LookupStyle>single</LookupStyle>", "  <LookupTypes />"]
    if kind == "datetime":
        return [f"  <Format>{rng.choice(('date', 'datetime'))}</Format>", "  <CanChangeDateTimeBehavior>1</CanChangeDateTimeBehavior>",
                "  <Behavior>1</Behavior>"]
    if kind in ("money", "decimal"):
        return ["  <MinValue>-100000000000.00</MinValue>", "  <MaxValue>100000000000.00</MaxValue>",
                "  <Accuracy>2</Accuracy>", "  <AccuracySource>2</AccuracySource>"]
    if kind == "int":
        return ["  <Format>none</Format>", "  <MinValue>-2147483648</MinValue>", "  <MaxValue>2147483647</MaxValue>"]
    if kind == "bit":
        return ["  <AppDefaultValue>0</AppDefaultValue>", *_optionset(column, ids, ("No", "Yes"), "bit", start=0)]
    options = [f"{rng.choice(WORDS).title()} {rng.choice(SUBJECTS)}" for _ in range(rng.randint(3, 14))]
    return ["  <AppDefaultValue>-1</AppDefaultValue>", *_optionset(column, ids, options, "picklist", start=41520000)]


def _optionset(column: ColumnSpec, ids: Ids, labels: tuple[str, ...] | list[str], kind: str, start: int) -> list[str]:
    lines = [
        f"  <optionset Name={attr(column.logical)}>",
        f"    <OptionSetType>{kind}</OptionSetType>",
        "    <IntroducedVersion>1.0.0.0</IntroducedVersion>",
        "    <IsCustomizable>1</IsCustomizable>",
        "    <displaynames>",
        f"      <displayname description={attr(column.display)} languagecode=\"1033\" />",
        "    </displaynames>",
        "    <options>",
    ]
    for number, label in enumerate(labels):
        lines += [
            f"      <option value=\"{start + number}\" ExternalValue=\"\" IsHidden=\"0\">",
            "        <labels>",
            f"          <label description={attr(label)} languagecode=\"1033\" />",
            "        </labels>",
            "      </option>",
        ]
    return lines + ["    </options>", "  </optionset>"]


# ---------------------------------------------------------------------------
# Forms, views and ribbons


def form_xml(table: TableSpec, kind: str, rng: random.Random, ids: Ids, planted: Planted) -> str:
    """A ``systemform`` with tabs, sections and cells; main forms load the table's script."""
    columns = [c for c in table.columns if c.type != "primarykey"]
    wanted = {"main": rng.randint(20, 90), "quick": rng.randint(5, 15), "card": rng.randint(3, 5)}[kind if kind != "quickcreate" else "quick"]
    shown = rng.sample(columns, min(wanted, len(columns)))
    tab_count = rng.randint(2, 6) if kind == "main" else 1
    per_tab = max(1, math.ceil(len(shown) / tab_count))
    tabs = []
    for number in range(tab_count):
        cells = shown[number * per_tab:(number + 1) * per_tab]
        if cells:
            tabs.append(_tab_xml(f"tab_{number}", cells, rng, ids, kind == "main" and number > 0))
    body = "\n".join(tabs)
    events = _events_xml(table, rng, ids) if kind == "main" and table.script else ""
    return "\n".join([
        "<systemform>",
        f"  <formid>{ids.braced()}</formid>",
        "  <IntroducedVersion>1.0.0.0</IntroducedVersion>",
        "  <FormPresentation>1</FormPresentation>",
        "  <FormActivationState>1</FormActivationState>",
        "  <form headerdensity=\"HighWithControls\">",
        "    <tabs>",
        indent(body, 3),
        "    </tabs>",
        *( [indent(events, 2)] if events else [] ),
        "  </form>",
        "  <IsCustomizable>1</IsCustomizable>",
        "  <CanBeDeleted>1</CanBeDeleted>",
        "  <LocalizedNames>",
        f"    <LocalizedName description={attr(table.display + ' ' + kind.title())} languagecode=\"1033\" />",
        "  </LocalizedNames>",
        "  <Descriptions>",
        "    <Description description=\"A form for this entity.\" languagecode=\"1033\" />",
        "  </Descriptions>",
        "</systemform>",
    ])


def _tab_xml(name: str, cells: list[ColumnSpec], rng: random.Random, ids: Ids, collapsible: bool) -> str:
    section_count = min(len(cells), rng.randint(1, 4))
    per_section = math.ceil(len(cells) / section_count)
    sections = []
    for number in range(section_count):
        chunk = cells[number * per_section:(number + 1) * per_section]
        if not chunk:
            continue
        rows = "\n".join(_cell_xml(column, ids) for column in chunk)
        sections.append("\n".join([
            f"<section name={attr(f'{name}_section_{number}')} showlabel=\"true\" showbar=\"false\" locklevel=\"0\" "
            f"id={attr(ids.braced())} IsUserDefined=\"0\" layout=\"varwidth\" columns=\"1\" labelwidth=\"115\" "
            "celllabelalignment=\"Left\" celllabelposition=\"Left\">",
            "  <labels>",
            f"    <label description={attr(title(name) + ' ' + str(number + 1))} languagecode=\"1033\" />",
            "  </labels>",
            "  <rows>",
            indent(rows, 2),
            "  </rows>",
            "</section>",
        ]))
    return "\n".join([
        f"<tab name={attr(name)} id={attr(ids.braced())} IsUserDefined=\"0\" locklevel=\"0\" showlabel=\"true\" "
        f"expanded=\"{'false' if collapsible and rng.random() < 0.3 else 'true'}\" verticallayout=\"true\">",
        "  <labels>",
        f"    <label description={attr(title(name))} languagecode=\"1033\" />",
        "  </labels>",
        "  <columns>",
        "    <column width=\"100%\">",
        "      <sections>",
        indent("\n".join(sections), 4),
        "      </sections>",
        "    </column>",
        "  </columns>",
        "</tab>",
    ])


def _cell_xml(column: ColumnSpec, ids: Ids) -> str:
    return "\n".join([
        "<row>",
        f"  <cell id={attr(ids.braced())} showlabel=\"true\" locklevel=\"0\">",
        "    <labels>",
        f"      <label description={attr(column.display)} languagecode=\"1033\" />",
        "    </labels>",
        f"    <control id={attr(column.logical)} classid={attr(CONTROL_CLASS.get(column.type, CONTROL_CLASS['nvarchar']))} "
        f"datafieldname={attr(column.logical)} disabled=\"false\" />",
        "  </cell>",
        "</row>",
    ])


def _events_xml(table: TableSpec, rng: random.Random, ids: Ids) -> str:
    """The form's onload/onsave handlers and field onchange handlers, all in the table's script."""
    handlers = [f for f in table.functions if f.rsplit(".", 1)[-1].startswith("on")]
    lines = ["<events>"]
    for event in ("onload", "onsave"):
        function = next((f for f in handlers if f.lower().endswith(event)), None)
        if function is None:
            continue
        lines += [
            f"  <event name=\"{event}\" application=\"false\" active=\"false\">",
            "    <Handlers>",
            f"      <Handler functionName={attr(function)} libraryName={attr(table.script)} handlerUniqueId={attr(ids.braced())} "
            "enabled=\"true\" parameters=\"\" passExecutionContext=\"true\" />",
            "    </Handlers>",
            "  </event>",
        ]
    changes = [f for f in handlers if "Change" in f]
    for function in changes[: rng.randint(1, 4)]:
        column = rng.choice(table.columns)
        lines += [
            f"  <event name=\"onchange\" application=\"false\" active=\"false\" attribute={attr(column.logical)}>",
            "    <Handlers>",
            f"      <Handler functionName={attr(function)} libraryName={attr(table.script)} handlerUniqueId={attr(ids.braced())} "
            "enabled=\"true\" parameters=\"\" passExecutionContext=\"true\" />",
            "    </Handlers>",
            "  </event>",
        ]
    lines += [
        "</events>",
        "<formLibraries>",
        f"  <Library name={attr(table.script)} libraryUniqueId={attr(ids.braced())} />",
        f"  <Library name={attr(f'{PREFIX}_/scripts/common.js')} libraryUniqueId={attr(ids.braced())} />",
        "</formLibraries>",
    ]
    return "\n".join(lines)


def view_xml(table: TableSpec, number: int, rng: random.Random, ids: Ids) -> str:
    """A ``savedquery`` with its layout and fetch XML."""
    columns = rng.sample(table.columns, min(len(table.columns), rng.randint(4, 10)))
    primary = f"{table.logical}id"
    cells = "\n".join(f"      <cell name={attr(c.logical)} width=\"{rng.choice((100, 125, 150, 200, 300))}\" />" for c in columns)
    attributes = "\n".join(f"      <attribute name={attr(c.logical)} />" for c in columns)
    query_type = "4" if number == 1 else "0"
    return "\n".join([
        "<savedquery>",
        "  <IsCustomizable>1</IsCustomizable>",
        "  <CanBeDeleted>1</CanBeDeleted>",
        f"  <isquickfindquery>{'1' if query_type == '4' else '0'}</isquickfindquery>",
        "  <isprivate>0</isprivate>",
        f"  <isdefault>{'1' if number == 0 else '0'}</isdefault>",
        f"  <savedqueryid>{ids.braced()}</savedqueryid>",
        "  <layoutxml>",
        f"    <grid name=\"resultset\" jump={attr(columns[0].logical)} select=\"1\" icon=\"1\" preview=\"1\">",
        f"      <row name=\"result\" id={attr(primary)}>",
        indent(cells, 1),
        "      </row>",
        "    </grid>",
        "  </layoutxml>",
        f"  <querytype>{query_type}</querytype>",
        "  <fetchxml>",
        "    <fetch version=\"1.0\" output-format=\"xml-platform\" mapping=\"logical\">",
        f"      <entity name={attr(table.logical)}>",
        indent(attributes, 1),
        f"        <attribute name={attr(primary)} />",
        f"        <order attribute={attr(columns[0].logical)} descending=\"false\" />",
        "        <filter type=\"and\">",
        "          <condition attribute=\"statecode\" operator=\"eq\" value=\"0\" />",
        "        </filter>",
        "      </entity>",
        "    </fetch>",
        "  </fetchxml>",
        "  <IntroducedVersion>1.0.0.0</IntroducedVersion>",
        "  <LocalizedNames>",
        f"    <LocalizedName description={attr(f'{rng.choice(WORDS).title()} {table.display} records {number}')} languagecode=\"1033\" />",
        "  </LocalizedNames>",
        "</savedquery>",
    ])


def ribbon_xml(table: TableSpec, rng: random.Random, ids: Ids) -> str:
    """An empty ribbon diff, or (one table in five) a custom button enabled by a script rule."""
    if not table.script or rng.random() >= 0.2:
        return "\n".join([
            "<RibbonDiffXml>", "  <CustomActions />", "  <Templates>", "    <RibbonTemplates Id=\"Mscrm.Templates\"></RibbonTemplates>",
            "  </Templates>", "  <CommandDefinitions />", "  <RuleDefinitions>", "    <TabDisplayRules />", "    <DisplayRules />",
            "    <EnableRules />", "  </RuleDefinitions>", "  <LocLabels />", "</RibbonDiffXml>",
        ])
    name = f"{PREFIX}.{table.logical}"
    function = next((f for f in table.functions if "Enable" in f), table.functions[0])
    return "\n".join([
        "<RibbonDiffXml>",
        "  <CustomActions>",
        f"    <CustomAction Id=\"{name}.Approve.CustomAction\" Location=\"Mscrm.Form.{table.logical}.MainTab.Save.Controls._children\" Sequence=\"45\">",
        "      <CommandUIDefinition>",
        f"        <Button Id=\"{name}.Approve\" Command=\"{name}.Approve.Command\" Sequence=\"45\" LabelText=\"Approve\" "
        f"ToolTipTitle=\"Approve\" TemplateAlias=\"o1\" ModernImage=\"$webresource:{PREFIX}_/icons/{table.logical}.svg\" />",
        "      </CommandUIDefinition>",
        "    </CustomAction>",
        "  </CustomActions>",
        "  <Templates>",
        "    <RibbonTemplates Id=\"Mscrm.Templates\"></RibbonTemplates>",
        "  </Templates>",
        "  <CommandDefinitions>",
        f"    <CommandDefinition Id=\"{name}.Approve.Command\">",
        "      <EnableRules>",
        f"        <EnableRule Id=\"{name}.Approve.EnableRule\" />",
        "      </EnableRules>",
        "      <DisplayRules />",
        "      <Actions>",
        f"        <JavaScriptFunction FunctionName=\"{function}\" Library=\"$webresource:{table.script}\">",
        "          <CrmParameter Value=\"PrimaryControl\" />",
        "        </JavaScriptFunction>",
        "      </Actions>",
        "    </CommandDefinition>",
        "  </CommandDefinitions>",
        "  <RuleDefinitions>",
        "    <TabDisplayRules />",
        "    <DisplayRules />",
        "    <EnableRules>",
        f"      <EnableRule Id=\"{name}.Approve.EnableRule\">",
        f"        <CustomRule FunctionName=\"{function}\" Library=\"$webresource:{table.script}\" Default=\"false\">",
        "          <CrmParameter Value=\"PrimaryControl\" />",
        "        </CustomRule>",
        "      </EnableRule>",
        "    </EnableRules>",
        "  </RuleDefinitions>",
        "  <LocLabels />",
        "</RibbonDiffXml>",
    ])


def entity_xml(table: TableSpec, rng: random.Random, ids: Ids) -> str:
    """The ``Entity`` element without forms, views and ribbon (the unpacked ``Entity.xml`` body)."""
    columns = "\n".join(column_xml(c, rng, ids) for c in table.columns)
    ownership = "UserOwned" if table.custom else "UserOwned"
    return "\n".join([
        f"<Name LocalizedName={attr(table.display)} OriginalName={attr(table.display)}>{table.schema}</Name>",
        "<EntityInfo>",
        f"  <entity Name={attr(table.schema)}>",
        "    <LocalizedNames>",
        f"      <LocalizedName description={attr(table.display)} languagecode=\"1033\" />",
        "    </LocalizedNames>",
        "    <LocalizedCollectionNames>",
        f"      <LocalizedCollectionName description={attr(table.display + 's')} languagecode=\"1033\" />",
        "    </LocalizedCollectionNames>",
        "    <Descriptions>",
        f"      <Description description={attr('Records of ' + table.display.lower() + ' for the operations team.')} languagecode=\"1033\" />",
        "    </Descriptions>",
        "    <attributes>",
        indent(columns, 3),
        "    </attributes>",
        f"    <EntitySetName>{table.logical}s</EntitySetName>",
        "    <IsDuplicateCheckSupported>1</IsDuplicateCheckSupported>",
        "    <IsBusinessProcessEnabled>0</IsBusinessProcessEnabled>",
        "    <IsRequiredOffline>0</IsRequiredOffline>",
        "    <IsInteractionCentricEnabled>0</IsInteractionCentricEnabled>",
        "    <IsCollaboration>0</IsCollaboration>",
        "    <AutoRouteToOwnerQueue>0</AutoRouteToOwnerQueue>",
        "    <IsConnectionsEnabled>0</IsConnectionsEnabled>",
        "    <IsDocumentManagementEnabled>0</IsDocumentManagementEnabled>",
        "    <IsOneNoteIntegrationEnabled>0</IsOneNoteIntegrationEnabled>",
        "    <IsKnowledgeManagementEnabled>0</IsKnowledgeManagementEnabled>",
        "    <IsSLAEnabled>0</IsSLAEnabled>",
        "    <IsDocumentRecommendationsEnabled>0</IsDocumentRecommendationsEnabled>",
        "    <IsBPFEntity>0</IsBPFEntity>",
        f"    <OwnershipTypeMask>{ownership}</OwnershipTypeMask>",
        "    <IsAuditEnabled>1</IsAuditEnabled>",
        "    <IsRetrieveAuditEnabled>0</IsRetrieveAuditEnabled>",
        "    <IsRetrieveMultipleAuditEnabled>0</IsRetrieveMultipleAuditEnabled>",
        "    <IsActivity>0</IsActivity>",
        "    <ActivityTypeMask></ActivityTypeMask>",
        "    <IsActivityParty>0</IsActivityParty>",
        "    <IsReplicated>0</IsReplicated>",
        "    <IsReplicationUserFiltered>0</IsReplicationUserFiltered>",
        "    <IsMailMergeEnabled>1</IsMailMergeEnabled>",
        "    <IsVisibleInMobile>0</IsVisibleInMobile>",
        "    <IsVisibleInMobileClient>1</IsVisibleInMobileClient>",
        "    <IsReadOnlyInMobileClient>0</IsReadOnlyInMobileClient>",
        "    <IsOfflineInMobileClient>0</IsOfflineInMobileClient>",
        "    <DaysSinceRecordLastModified>0</DaysSinceRecordLastModified>",
        "    <MobileOfflineFilters></MobileOfflineFilters>",
        "    <IsMapiGridEnabled>1</IsMapiGridEnabled>",
        "    <IsReadingPaneEnabled>1</IsReadingPaneEnabled>",
        "    <IsQuickCreateEnabled>1</IsQuickCreateEnabled>",
        "    <SyncToExternalSearchIndex>0</SyncToExternalSearchIndex>",
        "    <IntroducedVersion>1.0.0.0</IntroducedVersion>",
        "    <IsCustomizable>1</IsCustomizable>",
        "    <IsRenameable>1</IsRenameable>",
        "    <IsMappable>1</IsMappable>",
        "    <CanModifyAuditSettings>1</CanModifyAuditSettings>",
        "    <CanModifyMobileVisibility>1</CanModifyMobileVisibility>",
        "    <CanModifyMobileClientVisibility>1</CanModifyMobileClientVisibility>",
        "    <CanModifyMobileClientReadOnly>1</CanModifyMobileClientReadOnly>",
        "    <CanModifyMobileClientOffline>1</CanModifyMobileClientOffline>",
        "    <CanModifyConnectionSettings>1</CanModifyConnectionSettings>",
        "    <CanModifyDuplicateDetectionSettings>1</CanModifyDuplicateDetectionSettings>",
        "    <CanModifyMailMergeSettings>1</CanModifyMailMergeSettings>",
        "    <CanModifyQueueSettings>1</CanModifyQueueSettings>",
        "    <CanCreateAttributes>1</CanCreateAttributes>",
        "    <CanCreateForms>1</CanCreateForms>",
        "    <CanCreateCharts>1</CanCreateCharts>",
        "    <CanCreateViews>1</CanCreateViews>",
        "    <CanModifyAdditionalSettings>1</CanModifyAdditionalSettings>",
        "    <CanEnableSyncToExternalSearchIndex>1</CanEnableSyncToExternalSearchIndex>",
        "    <EnforceStateTransitions>0</EnforceStateTransitions>",
        "    <CanChangeHierarchicalRelationship>1</CanChangeHierarchicalRelationship>",
        "    <EntityHelpUrlEnabled>0</EntityHelpUrlEnabled>",
        "    <ChangeTrackingEnabled>0</ChangeTrackingEnabled>",
        "    <CanChangeTrackingBeEnabled>1</CanChangeTrackingBeEnabled>",
        "    <IsEnabledForExternalChannels>0</IsEnabledForExternalChannels>",
        "    <IsMSTeamsIntegrationEnabled>0</IsMSTeamsIntegrationEnabled>",
        "    <IsSolutionAware>0</IsSolutionAware>",
        "    <HasRelatedNotes>True</HasRelatedNotes>",
        "    <HasRelatedActivities>False</HasRelatedActivities>",
        "  </entity>",
        "</EntityInfo>",
    ])


def relationship_xml(table: TableSpec, column: ColumnSpec) -> str:
    name = f"{PREFIX}_{column.target}_{table.logical}_{column.logical}"
    return "\n".join([
        f"<EntityRelationship Name={attr(name)}>",
        "  <EntityRelationshipType>OneToMany</EntityRelationshipType>",
        "  <IsCustomizable>1</IsCustomizable>",
        "  <IntroducedVersion>1.0.0.0</IntroducedVersion>",
        "  <IsHierarchical>0</IsHierarchical>",
        f"  <ReferencingEntityName>{table.schema}</ReferencingEntityName>",
        f"  <ReferencedEntityName>{column.target}</ReferencedEntityName>",
        "  <CascadeAssign>NoCascade</CascadeAssign>",
        "  <CascadeDelete>RemoveLink</CascadeDelete>",
        "  <CascadeReparent>NoCascade</CascadeReparent>",
        "  <CascadeShare>NoCascade</CascadeShare>",
        "  <CascadeUnshare>NoCascade</CascadeUnshare>",
        "  <CascadeRollupView>NoCascade</CascadeRollupView>",
        "  <IsValidForAdvancedFind>1</IsValidForAdvancedFind>",
        f"  <ReferencingAttributeName>{column.schema}</ReferencingAttributeName>",
        "  <RelationshipDescription>",
        "    <Descriptions>",
        "      <Description description=\"\" languagecode=\"1033\" />",
        "    </Descriptions>",
        "  </RelationshipDescription>",
        "  <EntityRelationshipRoles>",
        "    <EntityRelationshipRole>",
        "      <NavPaneDisplayOption>UseCollectionName</NavPaneDisplayOption>",
        "      <NavPaneArea>Details</NavPaneArea>",
        "      <NavPaneOrder>10000</NavPaneOrder>",
        "      <NavigationPropertyName>" + column.schema + "</NavigationPropertyName>",
        "      <RelationshipRoleType>1</RelationshipRoleType>",
        "    </EntityRelationshipRole>",
        "    <EntityRelationshipRole>",
        f"      <NavigationPropertyName>{name}</NavigationPropertyName>",
        "      <RelationshipRoleType>0</RelationshipRoleType>",
        "    </EntityRelationshipRole>",
        "  </EntityRelationshipRoles>",
        "</EntityRelationship>",
    ])


# ---------------------------------------------------------------------------
# Roles, plug-ins and environment variables


def role_xml(name: str, tables: list[TableSpec], rng: random.Random, ids: Ids) -> str:
    """A role with the eight privileges on every table, at levels a business role has."""
    ceiling = rng.choice(LEVELS[1:])
    privileges = []
    for table in tables:
        for privilege in PRIVILEGES:
            level = _level(privilege, ceiling, rng)
            privileges.append(f"    <RolePrivilege name=\"prv{privilege}{table.schema}\" level=\"{level}\" />")
    privileges += [f"    <RolePrivilege name=\"prv{p}\" level=\"Global\" />" for p in ("ReadWebResource", "ReadSdkMessage", "ReadCustomization")]
    return "\n".join([
        f"<Role id={attr(ids.braced())} name={attr(name)}>",
        "  <IsCustomizable>1</IsCustomizable>",
        "  <IsAutoAssigned>0</IsAutoAssigned>",
        "  <IsInherited>1</IsInherited>",
        f"  <Description>{esc(name)}: the records the team works on.</Description>",
        "  <RolePrivileges>",
        *privileges,
        "  </RolePrivileges>",
        "</Role>",
    ])


def _level(privilege: str, ceiling: str, rng: random.Random) -> str:
    top = LEVELS.index(ceiling)
    if privilege in ("Delete", "Assign", "Share"):
        return LEVELS[rng.randint(0, min(top, 1))]
    if privilege == "Read":
        return LEVELS[rng.randint(min(top, 1), top)]
    return LEVELS[rng.randint(0, top)]


def step_xml(name: str, step_id: str, message: str, table: TableSpec, plugin_type: str, assembly: str,
             rng: random.Random, ids: Ids, planted: Planted) -> str:
    """An SDK message processing step; some are planted without filtering attributes or with a secret."""
    filtering = ""
    if message == "Update":
        if rng.random() < 0.1:
            planted.add("meta-avoid-reg-no-attribute")
        else:
            filtering = ",".join(c.logical for c in rng.sample(table.columns, min(3, len(table.columns))))
    config = f"{{\"endpoint\":\"https://api.partner.example/{table.logical}\",\"retries\":3}}"
    if rng.random() < 0.05:
        secret = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789~._") for _ in range(40))
        config = f"AuthType=ClientSecret;Url=https://contoso.crm.dynamics.com;ClientId={ids.guid()};ClientSecret={secret}"
        planted.add("sec-hardcoded-credential")
    filtering_xml = f"  <FilteringAttributes>{filtering}</FilteringAttributes>" if message == "Update" else "  <FilteringAttributes />"
    return "\n".join([
        f"<SdkMessageProcessingStep Name={attr(name)} SdkMessageProcessingStepId={attr(step_id)}>",
        f"  <SdkMessageId>{MESSAGE_IDS[message]}</SdkMessageId>",
        f"  <PluginTypeName>{esc(plugin_type)}, {assembly}, Version=1.0.0.0, Culture=neutral, PublicKeyToken=4f1c9a2e7b3d6058</PluginTypeName>",
        f"  <PluginTypeId>{ids.guid()}</PluginTypeId>",
        f"  <PrimaryEntity>{table.logical}</PrimaryEntity>",
        "  <AsyncAutoDelete>0</AsyncAutoDelete>",
        f"  <CustomConfiguration>{esc(config)}</CustomConfiguration>",
        f"  <Description>{esc(name)}</Description>",
        filtering_xml,
        "  <InvocationSource>0</InvocationSource>",
        f"  <Mode>{rng.choice(('0', '0', '1'))}</Mode>",
        "  <Rank>1</Rank>",
        "  <EventHandlerTypeCode>4602</EventHandlerTypeCode>",
        f"  <Stage>{rng.choice(('20', '40'))}</Stage>",
        "  <IsCustomizable>1</IsCustomizable>",
        "  <IsHidden>0</IsHidden>",
        "  <SupportedDeployment>0</SupportedDeployment>",
        "  <IntroducedVersion>1.0.0.0</IntroducedVersion>",
        "</SdkMessageProcessingStep>",
    ])


def assembly_xml(name: str, assembly_id: str, types: list[str], isolation: str, *, root: bool) -> str:
    plugin_types = "\n".join(
        f"    <PluginType AssemblyQualifiedName={attr(f'{t}, {name}, Version=1.0.0.0, Culture=neutral, PublicKeyToken=4f1c9a2e7b3d6058')} "
        f"PluginTypeId={attr(str(uuid.uuid5(uuid.NAMESPACE_OID, t)))} Name={attr(t)}>\n"
        f"      <FriendlyName>{uuid.uuid5(uuid.NAMESPACE_URL, t)}</FriendlyName>\n    </PluginType>"
        for t in types
    )
    return "\n".join([
        f"<PluginAssembly FullName={attr(f'{name}, Version=1.0.0.0, Culture=neutral, PublicKeyToken=4f1c9a2e7b3d6058')} "
        f"PluginAssemblyId={attr(assembly_id)} CustomizationLevel=\"1\"" + (f" {XSI}>" if root else ">"),
        f"  <IsolationMode>{isolation}</IsolationMode>",
        "  <SourceType>0</SourceType>",
        "  <IntroducedVersion>1.0.0.0</IntroducedVersion>",
        f"  <FileName>/PluginAssemblies/{name}-{assembly_id.upper()}/{name}.dll</FileName>",
        "  <PluginTypes>",
        plugin_types,
        "  </PluginTypes>",
        "</PluginAssembly>",
    ])


@dataclass
class Variable:
    schema: str
    xml: str
    values: str | None


def variable(number: int, rng: random.Random, ids: Ids, planted: Planted) -> Variable:
    """An environment variable: string, number, boolean or JSON; one in twelve planted with a key as its value."""
    kind, default = rng.choice((
        ("100000000", f"https://api.partner.example/v{rng.randint(1, 3)}"),
        ("100000001", str(rng.randint(1, 500))),
        ("100000002", rng.choice(("true", "false"))),
        ("100000003", json.dumps({"batchSize": rng.randint(10, 500), "regions": rng.sample(NOUNS, 3)})),
    ))
    name = f"{PREFIX}_{rng.choice(NOUNS).title()}{rng.choice(SUBJECTS).title()}{number}"
    values = None
    if number % 12 == 11:
        name = f"{PREFIX}_PartnerApiKey{number}"
        kind = "100000000"
        key = "".join(rng.choice("abcdef0123456789") for _ in range(32))
        values = json.dumps({"environmentvariablevalues": {"environmentvariablevalue": {
            "@environmentvariablevalueid": ids.guid(), "iscustomizable": "1", "value": key}}}, indent=2)
        planted.add("sec-hardcoded-credential")
    elif rng.random() < 0.4:
        values = json.dumps({"environmentvariablevalues": {"environmentvariablevalue": {
            "@environmentvariablevalueid": ids.guid(), "iscustomizable": "1", "value": default}}}, indent=2)
    display = title(name.split("_", 1)[1])
    xml = "\n".join([
        f"<environmentvariabledefinition schemaname={attr(name)}>",
        f"  <defaultvalue>{esc(default)}</defaultvalue>",
        f"  <description default={attr('Setting ' + display + ' of the integration.')}>",
        f"    <label description={attr('Setting ' + display + ' of the integration.')} languagecode=\"1033\" />",
        "  </description>",
        f"  <displayname default={attr(display)}>",
        f"    <label description={attr(display)} languagecode=\"1033\" />",
        "  </displayname>",
        "  <introducedversion>1.0.0.0</introducedversion>",
        "  <iscustomizable>1</iscustomizable>",
        "  <isrequired>0</isrequired>",
        "  <secretstore>0</secretstore>",
        f"  <type>{kind}</type>",
        "</environmentvariabledefinition>",
    ])
    return Variable(name, xml, values)


# ---------------------------------------------------------------------------
# Scripts


@dataclass
class ScriptContext:
    """What a script function template may name."""

    table: TableSpec
    rng: random.Random
    number: int

    def field(self) -> str:
        return self.rng.choice(self.table.columns).logical

    def other(self) -> str:
        return self.rng.choice(self.table.columns).logical


# Clean function bodies, written after real form scripts. {f}/{g}: columns, {t}: table, {n}: a number.
CLEAN_BODIES = (
    """var formContext = executionContext.getFormContext();
var value = formContext.getAttribute("{f}").getValue();
if (value === null) {{
    formContext.getControl("{f}").setNotification("Please fill in the field.", "{f}_required");
}} else {{
    formContext.getControl("{f}").clearNotification("{f}_required");
}}""",
    """var formContext = executionContext.getFormContext();
var recordId = formContext.data.entity.getId().replace(/[{{}}]/g, "");
Xrm.WebApi.retrieveRecord("{t}", recordId, "?$select={f},{g}").then(
    function (result) {{
        formContext.getAttribute("{g}").setValue(result["{f}"]);
    }},
    function (error) {{
        Xrm.Navigation.openAlertDialog({{ text: error.message }});
    }}
);""",
    """var formContext = executionContext.getFormContext();
var tab = formContext.ui.tabs.get("tab_{n}");
if (tab) {{
    tab.setVisible(formContext.getAttribute("{f}").getValue() !== null);
}}
formContext.getAttribute("{g}").setRequiredLevel("recommended");""",
    """var formContext = executionContext.getFormContext();
var items = [];
for (var i = 0; i < {n}; i += 1) {{
    items.push({{ index: i, label: "Option " + i }});
}}
var control = formContext.getControl("{f}");
if (control && control.getOptions) {{
    control.getOptions().forEach(function (option) {{
        if (items.length > option.value % {n}) {{
            control.removeOption(option.value);
        }}
    }});
}}""",
    """var formContext = executionContext.getFormContext();
var query = "?$select={f}&$filter=statecode eq 0&$top={n}";
return Xrm.WebApi.retrieveMultipleRecords("{t}", query).then(function (response) {{
    var total = 0;
    response.entities.forEach(function (entity) {{
        total += entity["{f}"] ? 1 : 0;
    }});
    formContext.getAttribute("{g}").setValue(total);
    return total;
}});""",
    """var formContext = executionContext.getFormContext();
var start = formContext.getAttribute("{f}").getValue();
var end = formContext.getAttribute("{g}").getValue();
if (start instanceof Date && end instanceof Date && end < start) {{
    formContext.ui.setFormNotification("The end must be after the start.", "WARNING", "dates_{n}");
}} else {{
    formContext.ui.clearFormNotification("dates_{n}");
}}""",
    """var formContext = executionContext.getFormContext();
var pageInput = {{ pageType: "entityrecord", entityName: "{t}", formType: 2 }};
var navigationOptions = {{ target: 2, width: {{ value: 60, unit: "%" }}, position: 1 }};
return Xrm.Navigation.navigateTo(pageInput, navigationOptions).then(function () {{
    formContext.data.refresh(false);
}});""",
)
MODERN_BODIES = (
    """const formContext = executionContext.getFormContext();
const value = formContext.getAttribute("{f}").getValue();
formContext.getControl("{g}").setVisible(value !== null && value !== "");""",
    """const formContext = executionContext.getFormContext();
const recordId = formContext.data.entity.getId().replace(/[{{}}]/g, "");
try {{
    const result = await Xrm.WebApi.retrieveRecord("{t}", recordId, `?$select={f},{g}`);
    formContext.getAttribute("{g}").setValue(result["{f}"]);
}} catch (error) {{
    await Xrm.Navigation.openAlertDialog({{ text: error.message }});
}}""",
    """const formContext = executionContext.getFormContext();
const {{ entities }} = await Xrm.WebApi.retrieveMultipleRecords("{t}", `?$select={f}&$top={n}`);
const total = entities.map((entity) => Number(entity["{f}"]) || 0).reduce((sum, value) => sum + value, 0);
formContext.getAttribute("{g}").setValue(total);
return total;""",
    """const formContext = executionContext.getFormContext();
const sections = formContext.ui.tabs.get("tab_0").sections.get();
for (const section of sections) {{
    section.setVisible(section.getName() !== "tab_0_section_{n}");
}}""",
    """const formContext = executionContext.getFormContext();
const [start, end] = ["{f}", "{g}"].map((name) => formContext.getAttribute(name).getValue());
const message = `The end must be after the start (${{start}} / ${{end}}).`;
if (start && end && end < start) {{
    formContext.ui.setFormNotification(message, "WARNING", "dates_{n}");
}}""",
)
# Anti-patterns, each with the rules that report it.
PLANTED_BODIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("sec-client-side-authorization",), 'var formContext = executionContext.getFormContext();\nvar isManager = Xrm.Utility.getGlobalContext().userSettings.roles.get().some(function (role) {{\n    return role.name === "{t} manager";\n}});\nformContext.getControl("{f}").setDisabled(!isManager);'),
    (("web-remove-alert", "web-use-utility-dialogs"), 'var value = executionContext.getFormContext().getAttribute("{f}").getValue();\nif (value === null) {{\n    alert("{f} is required");\n}}'),
    (("web-remove-console",), 'var formContext = executionContext.getFormContext();\nconsole.log("loaded", formContext.data.entity.getId());'),
    (("web-remove-debug-script",), 'var formContext = executionContext.getFormContext();\ndebugger;\nformContext.getAttribute("{f}").fireOnChange();'),
    (("web-avoid-eval",), 'var expression = executionContext.getFormContext().getAttribute("{f}").getValue();\nreturn eval(expression);'),
    (("web-use-client-context",), 'var value = Xrm.Page.getAttribute("{f}").getValue();\nreturn value;'),
    (("web-use-strict-equality-operators",), 'var value = executionContext.getFormContext().getAttribute("{f}").getValue();\nif (value == {n}) {{\n    executionContext.getFormContext().getControl("{g}").setDisabled(true);\n}}'),
    (("web-use-async",), 'var req = new XMLHttpRequest();\nreq.open("GET", Xrm.Utility.getGlobalContext().getClientUrl() + "/api/data/v9.2/{t}s?$top={n}", false);\nreq.send();\nreturn JSON.parse(req.responseText);'),
    (("web-use-navigation-api",), 'var id = executionContext.getFormContext().data.entity.getId();\nXrm.Utility.openEntityForm("{t}", id);'),
    (("web-sdl-no-inner-html", "web-avoid-dom-form"), 'var label = executionContext.getFormContext().getAttribute("{f}").getValue();\ndocument.getElementById("banner_{n}").innerHTML = "<b>" + label + "</b>";'),
)
PLANTED_MODERN: tuple[tuple[tuple[str, ...], str], ...] = (
    (("web-unsupported-syntax",), 'const formContext = executionContext.getFormContext();\nreturn formContext.getAttribute("{f}")?.getValue();'),
)


def _body(template: str, context: ScriptContext) -> str:
    return template.format(f=context.field(), g=context.other(), t=context.table.logical, n=context.rng.randint(1, 9))


def _function_names(count: int) -> list[str]:
    base = ["onLoad", "onSave"] + [f"on{title(s).replace(' ', '')}Change" for s in SUBJECTS]
    helpers = ["isApproveEnabled"] + [f"{verb}{title(s).replace(' ', '')}" for verb in ("update", "refresh", "validate", "load") for s in SUBJECTS]
    names = (base + helpers)[:count] if count <= len(base) + len(helpers) else base + helpers
    return names + [f"step{number}" for number in range(len(names), count)]


def es5_script(context: ScriptContext, size: int, planted: Planted) -> tuple[str, list[str]]:
    """A namespaced ES5 form script of about ``size`` bytes; returns the text and its public functions."""
    table = context.table
    space = f"{NAMESPACE}.{title(table.logical.split('_', 1)[-1]).replace(' ', '')}"
    parts = [
        f"/**\n * {table.display} form script.\n * Registered on the main form of {table.logical}.\n */",
        f"var {NAMESPACE} = window.{NAMESPACE} || {{}};",
        f"{space} = {space} || {{}};",
        "",
        "(function (ns) {",
        '    "use strict";',
        "",
    ]
    names: list[str] = []
    written = sum(len(p) + 1 for p in parts)
    for name in _function_names(10_000):
        if written >= size and len(names) >= 3:
            break
        body, rules = _choose(context, CLEAN_BODIES, PLANTED_BODIES)
        for rule in rules:
            planted.add(rule)
        function = [f"    /** Handles {name} for {table.display}. */", f"    ns.{name} = function (executionContext) {{",
                    indent(body, 2), "    };", ""]
        parts += function
        written += sum(len(p) + 1 for p in function)
        names.append(f"{space}.{name}")
    parts.append(f"}}({space}));")
    return "\n".join(parts) + "\n", names


def modern_script(context: ScriptContext, size: int, planted: Planted) -> tuple[str, list[str]]:
    """A modern (ES2017) form script: an object of async handlers and arrow functions."""
    table = context.table
    space = f"{NAMESPACE}.{title(table.logical.split('_', 1)[-1]).replace(' ', '')}"
    parts = [
        '"use strict";',
        f"// {table.display}: form logic (ES2017, bundled by the team's build).",
        f"var {NAMESPACE} = window.{NAMESPACE} || {{}};",
        f"{space} = (function () {{",
        '    "use strict";',
        f"    const TABLE = \"{table.logical}\";",
        "    const handlers = {",
    ]
    names: list[str] = []
    syntax_planted = False
    written = sum(len(p) + 1 for p in parts)
    for name in _function_names(10_000):
        if written >= size and len(names) >= 3:
            break
        planted_pool = PLANTED_BODIES + (PLANTED_MODERN if not syntax_planted else ())
        body, rules = _choose(context, MODERN_BODIES, planted_pool)
        syntax_planted = syntax_planted or "web-unsupported-syntax" in rules
        for rule in rules:
            planted.add(rule)
        function = [f"        /** {name}: {table.display}. */", f"        async {name}(executionContext) {{", indent(body, 3), "        },"]
        parts += function
        written += sum(len(p) + 1 for p in function)
        names.append(f"{space}.{name}")
    parts += ["    };", "    return Object.assign({ table: TABLE }, handlers);", "})();"]
    return "\n".join(parts) + "\n", names


def _choose(context: ScriptContext, clean: tuple[str, ...],
            anti: tuple[tuple[tuple[str, ...], str], ...]) -> tuple[str, tuple[str, ...]]:
    if context.rng.random() < PLANTED_RATE:
        rules, template = context.rng.choice(anti)
        return _body(template, context), rules
    return _body(context.rng.choice(clean), context), ()


def common_script(rng: random.Random, size: int) -> str:
    """The shared library every form loads: small, clean helpers."""
    parts = [
        f"var {NAMESPACE} = window.{NAMESPACE} || {{}};",
        f"{NAMESPACE}.Common = (function () {{",
        '    "use strict";',
        "    var api = {};",
    ]
    number = 0
    while sum(len(p) + 1 for p in parts) < size:
        parts += [
            f"    api.format{number} = function (value, digits) {{",
            "        if (value === null || value === undefined) {",
            '            return "";',
            "        }",
            f"        return Number(value).toFixed(digits || {rng.randint(0, 4)});",
            "    };",
            f"    api.lookupValue{number} = function (formContext, name) {{",
            "        var lookup = formContext.getAttribute(name).getValue();",
            '        return lookup && lookup.length > 0 ? { id: lookup[0].id.replace(/[{}]/g, ""), name: lookup[0].name } : null;',
            "    };",
        ]
        number += 1
    parts += ["    return api;", "}());"]
    return "\n".join(parts) + "\n"


def html_page(context: ScriptContext, planted: Planted) -> str:
    """An HTML web resource with an inline script, as dashboards and dialogs are written."""
    body, rules = _choose(context, CLEAN_BODIES, PLANTED_BODIES)
    for rule in rules:
        planted.add(rule)
    return "\n".join([
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        "  <meta charset=\"utf-8\" />",
        f"  <title>{esc(context.table.display)} summary</title>",
        "  <script src=\"../ClientGlobalContext.js.aspx\" type=\"text/javascript\"></script>",
        f"  <link rel=\"stylesheet\" href=\"../styles/{context.table.logical}.css\" />",
        "</head>",
        "<body>",
        f"  <div id=\"banner_{context.number}\" class=\"banner\"></div>",
        "  <script type=\"text/javascript\">",
        '    "use strict";',
        "    function render(executionContext) {",
        indent(body, 3),
        "    }",
        "    document.addEventListener(\"DOMContentLoaded\", function () {",
        "      render({ getFormContext: function () { return parent.Xrm.Page; } });",
        "    });",
        "  </script>",
        "</body>",
        "</html>",
    ]) + "\n"


def css_text(rng: random.Random) -> str:
    rules = [f".{rng.choice(NOUNS)}-{n} {{ margin: {rng.randint(0, 12)}px; color: #{rng.randint(0, 0xFFFFFF):06x}; }}" for n in range(rng.randint(20, 80))]
    return "\n".join(rules) + "\n"


SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M{a} {b}h{c}v{d}H{a}z" fill="#{e:06x}"/></svg>\n'


def svg_text(rng: random.Random) -> str:
    return SVG.format(a=rng.randint(0, 4), b=rng.randint(0, 4), c=rng.randint(4, 12), d=rng.randint(4, 12), e=rng.randint(0, 0xFFFFFF))


def web_resource_xml(name: str, display: str, type_code: int, resource_id: str, *, root: bool) -> str:
    file_name = "/WebResources/" + "".join(ch for ch in name if ch.isalnum() or ch == "_") + resource_id.strip("{}").upper()
    return "\n".join([
        "<WebResource" + (f" {XSI}>" if root else ">"),
        f"  <WebResourceId>{resource_id}</WebResourceId>",
        f"  <Name>{esc(name)}</Name>",
        f"  <DisplayName>{esc(display)}</DisplayName>",
        "  <LanguageCode>1033</LanguageCode>",
        f"  <WebResourceType>{type_code}</WebResourceType>",
        "  <IntroducedVersion>1.0.0.0</IntroducedVersion>",
        "  <IsEnabledForMobileClient>0</IsEnabledForMobileClient>",
        "  <IsAvailableForMobileOffline>0</IsAvailableForMobileOffline>",
        "  <IsCustomizable>1</IsCustomizable>",
        "  <CanBeDeleted>1</CanBeDeleted>",
        "  <IsHidden>0</IsHidden>",
        f"  <FileName>{file_name}</FileName>",
        "</WebResource>",
    ])


# ---------------------------------------------------------------------------
# Writing both layouts


@dataclass
class Resource:
    name: str
    display: str
    type_code: int
    resource_id: str
    content: bytes


class Writer:
    """Writes the unpacked tree and the exported folder side by side, counting bytes."""

    def __init__(self, out: Path) -> None:
        self.unpacked = out / "unpacked"
        self.export = out / "export"
        self.bytes = 0
        for folder in (self.unpacked, self.export):
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
        self.customizations = (self.export / "customizations.xml").open("w", encoding="utf-8", newline="\n")

    def unpacked_file(self, relative: str, text: str | bytes) -> None:
        path = self.unpacked / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8") if isinstance(text, str) else text
        path.write_bytes(data)
        self.bytes += len(data)

    def export_file(self, relative: str, data: bytes) -> None:
        path = self.export / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def export_xml(self, text: str, depth: int) -> None:
        """Append to ``customizations.xml``, ``depth`` levels deep."""
        self.customizations.write(indent(text, depth) + "\n")


def xml_file(root: str, body: str, close: str) -> str:
    return f'<?xml version="1.0" encoding="utf-8"?>\n{root}\n{body}\n{close}\n'


@dataclass
class Plan:
    """How much of everything one size holds."""

    target_bytes: int
    roles: int
    variables: int
    assemblies: int


def plan_for(megabytes: float) -> Plan:
    tables_guess = max(4.0, megabytes * 2.3)
    return Plan(
        target_bytes=int(megabytes * 1_000_000),
        roles=max(3, round(math.sqrt(tables_guess) * 1.2)),
        variables=max(6, round(tables_guess / 6)),
        assemblies=max(1, round(tables_guess / 60)),
    )


def make_table(number: int, rng: random.Random, all_tables: list[str]) -> TableSpec:
    """A standard table (the first few) or a custom one, with 50–300 columns."""
    if number < len(STANDARD_TABLES):
        schema, custom = STANDARD_TABLES[number].title(), False  # exported whole: meta-avoid-managed-entity-assets
        display = STANDARD_TABLES[number].title()
    else:
        noun, qualifier = NOUNS[number % len(NOUNS)], QUALIFIERS[(number // len(NOUNS)) % len(QUALIFIERS)]
        suffix = "" if number < len(NOUNS) * len(QUALIFIERS) else str(number)
        schema, custom = f"{PREFIX}_{noun.title()}{qualifier.title()}{suffix}", True
        display = f"{noun} {qualifier}".strip().title()
    count = int(rng.triangular(50, 300, 90))
    columns = [ColumnSpec(f"{PREFIX}_Name" if custom else "Name", "nvarchar", "Name", custom)]
    seen = {columns[0].logical}
    kinds, weights = [k for k, _, _ in COLUMN_TYPES], [w for _, w, _ in COLUMN_TYPES]
    while len(columns) < count:
        word, subject = rng.choice(WORDS), rng.choice(SUBJECTS)
        kind = rng.choices(kinds, weights)[0]
        base = f"{PREFIX}_{word.title()}{subject.title()}"
        schema_name = base if base.lower() not in seen else f"{base}{len(columns)}"
        seen.add(schema_name.lower())
        target = rng.choice(all_tables) if kind == "lookup" and all_tables else ""
        if kind == "lookup" and not target:
            kind = "nvarchar"
        columns.append(ColumnSpec(schema_name, kind, f"{word} {subject}".title(), True, target))
    return TableSpec(schema, display, custom, columns)


def generate(megabytes: float, out: Path, seed: int) -> dict[str, object]:
    """Write the solution in both layouts and the zip; return what ``planted.json`` records."""
    rng = random.Random(seed)
    ids = Ids(rng)
    plan = plan_for(megabytes)
    planted = Planted()
    writer = Writer(out)
    writer.export_xml(f"<ImportExportXml version=\"9.2.25044.185\" SolutionPackageVersion=\"9.2\" languagecode=\"1033\" "
                      f"generatedBy=\"CrmLive\" {XSI} OrganizationVersion=\"9.2.25044.185\" OrganizationSchemaType=\"Standard\">", 0)
    writer.export_xml("<Entities>", 1)
    tables: list[TableSpec] = []
    resources: list[Resource] = []
    relationships: list[tuple[TableSpec, ColumnSpec]] = []
    counts: Counter[str] = Counter()
    reserve = 0.04 * plan.target_bytes  # roles, steps and variables come after the tables
    pending = 0  # web resources are written after the tables
    while writer.bytes + pending < plan.target_bytes - reserve or len(tables) < 4:
        table = make_table(len(tables), rng, [t.logical for t in tables[-40:]] or ["account"])
        if not table.custom:
            planted.add("meta-avoid-managed-entity-assets")
        scripts = _table_scripts(table, len(tables), rng, ids, planted, counts)
        _write_table(writer, table, rng, ids, planted, counts)
        relationships += [(table, c) for c in table.columns if c.type == "lookup"]
        tables.append(table)
        resources += scripts
        pending += sum(len(r.content) for r in scripts)
    writer.export_xml("</Entities>", 1)
    writer.export_xml("<Roles>", 1)
    for number in range(plan.roles):
        name = f"{NAMESPACE} {rng.choice(NOUNS).title()} {rng.choice(('User', 'Manager', 'Reader', 'Administrator'))} {number}"
        text = role_xml(name, tables, rng, ids)
        writer.unpacked_file(f"Roles/{name}.xml", '<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n")
        writer.export_xml(text, 2)
        counts["roles"] += 1
    writer.export_xml("</Roles>", 1)
    writer.export_xml("<Workflows />", 1)
    _write_plugins(writer, tables, plan, rng, ids, planted, counts)
    _write_web_resources(writer, resources, counts)
    writer.export_xml("<EntityRelationships>", 1)
    by_table: dict[str, list[str]] = {}
    for table, column in relationships:
        text = relationship_xml(table, column)
        writer.export_xml(text, 2)
        by_table.setdefault(column.target, []).append(text)
    writer.export_xml("</EntityRelationships>", 1)
    for target, texts in by_table.items():
        writer.unpacked_file(f"Other/Relationships/{target}.xml",
                             xml_file(f"<EntityRelationships {XSI}>", indent("\n".join(texts), 1), "</EntityRelationships>"))
    writer.export_xml("<Languages>\n  <Language>1033</Language>\n</Languages>", 1)
    writer.export_xml("</ImportExportXml>", 0)
    writer.customizations.close()
    _write_variables(writer, plan, rng, ids, planted, counts)
    _write_manifests(writer, tables, resources)
    zip_path = _zip(writer.export, out / f"{UNIQUE_NAME}.zip")
    counts["tables"] = len(tables)
    counts["columns"] = sum(len(t.columns) for t in tables)
    summary = {
        "seed": seed,
        "megabytes_requested": megabytes,
        "unpacked_bytes": _tree_bytes(writer.unpacked),
        "export_bytes": _tree_bytes(writer.export),
        "zip_bytes": zip_path.stat().st_size,
        "planted_rate_per_script_function": PLANTED_RATE,
        "composition": dict(sorted(counts.items())),
        "planted": dict(sorted(planted.counts.items())),
    }
    (out / "planted.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _table_scripts(table: TableSpec, number: int, rng: random.Random, ids: Ids, planted: Planted,
                   counts: Counter[str]) -> list[Resource]:
    """The table's form script (ES5 or modern), an icon, and now and then an HTML page or a style sheet."""
    if not table.custom and number >= 2:
        return []
    context = ScriptContext(table, rng, number)
    size = int(min(120_000, max(3_000, rng.lognormvariate(math.log(30_000), 0.7))))
    modern = rng.random() < 0.4
    text, functions = (modern_script if modern else es5_script)(context, size, planted)
    counts["scripts_modern" if modern else "scripts_es5"] += 1
    counts["script_functions"] += len(functions)
    short = table.logical.split("_", 1)[-1]
    table.script = f"{PREFIX}_/scripts/{short}.form.js"
    table.functions = functions
    found = [Resource(table.script, f"{table.display} form script", 3, ids.braced(), text.encode())]
    if table.custom:
        found.append(Resource(f"{PREFIX}_/icons/{table.logical}.svg", f"{table.display} icon", 11, ids.braced(), svg_text(rng).encode()))
    if number % 15 == 4:
        found.append(Resource(f"{PREFIX}_/pages/{short}.summary.html", f"{table.display} summary", 1, ids.braced(),
                              html_page(context, planted).encode()))
        counts["html_pages"] += 1
    if number % 20 == 7:
        found.append(Resource(f"{PREFIX}_/styles/{short}.css", f"{table.display} styles", 2, ids.braced(), css_text(rng).encode()))
    if number % 10 == 0:
        found.append(Resource(f"{PREFIX}_/scripts/common{'' if number == 0 else number}.js", "Common helpers", 3, ids.braced(),
                              common_script(rng, rng.randint(8_000, 40_000)).encode()))
    return found


def _write_table(writer: Writer, table: TableSpec, rng: random.Random, ids: Ids, planted: Planted, counts: Counter[str]) -> None:
    folder = f"Entities/{table.schema}"
    body = entity_xml(table, rng, ids)
    kinds = ["main"] + rng.sample(["main", "quickcreate", "quick", "card", "card"], rng.randint(1, 5))
    forms = [(kind, form_xml(table, kind, rng, ids, planted)) for kind in kinds]
    views = [view_xml(table, number, rng, ids) for number in range(rng.randint(3, 12))]
    ribbon = ribbon_xml(table, rng, ids)
    counts["forms"] += len(forms)
    counts["views"] += len(views)
    writer.unpacked_file(f"{folder}/Entity.xml", xml_file(f"<Entity {XSI}>", indent(body, 1), "</Entity>"))
    for kind, text in forms:
        form_id = text.split("<formid>", 1)[1].split("</formid>", 1)[0]
        folder_kind = {"quickcreate": "quick", "quick": "quick", "card": "card", "main": "main"}[kind]
        writer.unpacked_file(f"{folder}/FormXml/{folder_kind}/{form_id}.xml", xml_file(f"<forms {XSI}>", indent(text, 1), "</forms>"))
    for text in views:
        view_id = text.split("<savedqueryid>", 1)[1].split("</savedqueryid>", 1)[0]
        writer.unpacked_file(f"{folder}/SavedQueries/{view_id}.xml", xml_file(f"<savedqueries {XSI}>", indent(text, 1), "</savedqueries>"))
    writer.unpacked_file(f"{folder}/RibbonDiff.xml", '<?xml version="1.0" encoding="utf-8"?>\n' + ribbon + "\n")
    by_kind: dict[str, list[str]] = {}
    for kind, text in forms:
        by_kind.setdefault({"quickcreate": "quick"}.get(kind, kind), []).append(text)
    writer.export_xml("<Entity>", 2)
    writer.export_xml(body, 3)
    writer.export_xml("<FormXml>", 3)
    for kind, texts in by_kind.items():
        writer.export_xml(f"<forms type=\"{kind}\">", 4)
        for text in texts:
            writer.export_xml(text, 5)
        writer.export_xml("</forms>", 4)
    writer.export_xml("</FormXml>", 3)
    writer.export_xml("<SavedQueries>\n  <savedqueries>", 3)
    for text in views:
        writer.export_xml(text, 5)
    writer.export_xml("  </savedqueries>\n</SavedQueries>", 3)
    writer.export_xml(ribbon, 3)
    writer.export_xml("</Entity>", 2)


def _write_plugins(writer: Writer, tables: list[TableSpec], plan: Plan, rng: random.Random, ids: Ids, planted: Planted,
                   counts: Counter[str]) -> None:
    """Plug-in assemblies (one in four planted outside the sandbox) and their steps on custom tables."""
    assemblies = []
    for number in range(plan.assemblies):
        name = f"{NAMESPACE}.Plugins{'' if number == 0 else number}"
        isolation = "1" if number % 4 == 3 else "2"
        if isolation == "1":
            planted.add("sec-plugin-not-sandboxed")
        assemblies.append((name, ids.guid(), isolation, []))
    steps = []
    for table in tables:
        if not table.custom:
            continue
        for message in rng.sample(("Create", "Update", "Update", "Delete"), rng.randint(0, 3)):
            name_, assembly_id, _, types = assemblies[rng.randrange(len(assemblies))]
            plugin_type = f"{name_}.{title(table.logical.split('_', 1)[-1]).replace(' ', '')}{message}Plugin"
            if plugin_type not in types:
                types.append(plugin_type)
            step_name = f"{plugin_type}: {message} of {table.logical}"
            step_id = ids.braced()
            steps.append((step_id, step_xml(step_name, step_id, message, table, plugin_type, name_, rng, ids, planted)))
    writer.export_xml("<SolutionPluginAssemblies>", 1)
    for name, assembly_id, isolation, types in assemblies:
        writer.unpacked_file(f"PluginAssemblies/{name}-{assembly_id.upper()}/{name}.dll.data.xml",
                             '<?xml version="1.0" encoding="utf-8"?>\n' + assembly_xml(name, assembly_id, types, isolation, root=True) + "\n")
        writer.export_xml(assembly_xml(name, assembly_id, types, isolation, root=False), 2)
    writer.export_xml("</SolutionPluginAssemblies>", 1)
    writer.export_xml("<SdkMessageProcessingSteps>", 1)
    for step_id, text in steps:
        root = text.replace("<SdkMessageProcessingStep ", f"<SdkMessageProcessingStep {XSI} ", 1)
        writer.unpacked_file(f"SdkMessageProcessingSteps/{step_id}.xml", '<?xml version="1.0" encoding="utf-8"?>\n' + root + "\n")
        writer.export_xml(text, 2)
    writer.export_xml("</SdkMessageProcessingSteps>", 1)
    counts["plugin_assemblies"] = len(assemblies)
    counts["plugin_steps"] = len(steps)


def _write_web_resources(writer: Writer, resources: list[Resource], counts: Counter[str]) -> None:
    writer.export_xml("<WebResources>", 1)
    for resource in resources:
        metadata = web_resource_xml(resource.name, resource.display, resource.type_code, resource.resource_id, root=True)
        writer.unpacked_file(f"WebResources/{resource.name}", resource.content)
        writer.unpacked_file(f"WebResources/{resource.name}.data.xml", '<?xml version="1.0" encoding="utf-8"?>\n' + metadata + "\n")
        exported = web_resource_xml(resource.name, resource.display, resource.type_code, resource.resource_id, root=False)
        writer.export_xml(exported, 2)
        file_name = exported.split("<FileName>", 1)[1].split("</FileName>", 1)[0]
        writer.export_file(file_name.lstrip("/"), resource.content)
    writer.export_xml("</WebResources>", 1)
    counts["web_resources"] = len(resources)


def _write_variables(writer: Writer, plan: Plan, rng: random.Random, ids: Ids, planted: Planted, counts: Counter[str]) -> None:
    for number in range(plan.variables):
        found = variable(number, rng, ids, planted)
        for write in (writer.unpacked_file, lambda path, text: writer.export_file(path, text.encode())):
            write(f"environmentvariabledefinitions/{found.schema}/environmentvariabledefinition.xml", found.xml + "\n")
            if found.values is not None:
                write(f"environmentvariabledefinitions/{found.schema}/environmentvariablevalues.json", found.values + "\n")
    counts["environment_variables"] = plan.variables


def _manifest(tables: list[TableSpec], resources: list[Resource]) -> str:
    roots = [f"<RootComponent type=\"1\" schemaName={attr(t.logical)} behavior=\"0\" />" for t in tables]
    roots += [f"<RootComponent type=\"61\" schemaName={attr(r.name)} behavior=\"0\" />" for r in resources]
    return "\n".join([
        "<SolutionManifest>",
        f"  <UniqueName>{UNIQUE_NAME}</UniqueName>",
        "  <LocalizedNames>",
        "    <LocalizedName description=\"Contoso Operations\" languagecode=\"1033\" />",
        "  </LocalizedNames>",
        "  <Descriptions />",
        "  <Version>1.4.12.0</Version>",
        "  <Managed>0</Managed>",
        "  <Publisher>",
        f"    <UniqueName>{PREFIX}</UniqueName>",
        "    <LocalizedNames>",
        "      <LocalizedName description=\"Contoso Ltd\" languagecode=\"1033\" />",
        "    </LocalizedNames>",
        f"    <CustomizationPrefix>{PREFIX}</CustomizationPrefix>",
        "    <CustomizationOptionValuePrefix>41520</CustomizationOptionValuePrefix>",
        "  </Publisher>",
        "  <RootComponents>",
        indent("\n".join(roots), 2),
        "  </RootComponents>",
        "  <MissingDependencies />",
        "</SolutionManifest>",
    ])


def _write_manifests(writer: Writer, tables: list[TableSpec], resources: list[Resource]) -> None:
    head = f"<ImportExportXml version=\"9.2.25044.185\" SolutionPackageVersion=\"9.2\" languagecode=\"1033\" generatedBy=\"CrmLive\" {XSI}>"
    manifest = xml_file(head, indent(_manifest(tables, resources), 1), "</ImportExportXml>")
    writer.unpacked_file("Other/Solution.xml", manifest)
    writer.unpacked_file("Other/Customizations.xml", xml_file(head, "  <Entities />\n  <Roles />\n  <Workflows />\n  <Languages>\n    <Language>1033</Language>\n  </Languages>", "</ImportExportXml>"))
    writer.export_file("solution.xml", manifest.encode())
    writer.export_file("[Content_Types].xml", b'<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/octet-stream" /></Types>')


def _zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    return target


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def megabytes_of(size: str) -> float:
    """``S``, ``M``, ``L`` or a number of megabytes."""
    named = SIZES_MB.get(size.upper())
    if named is not None:
        return named
    try:
        value = float(size)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be S, M, L or a number of megabytes, not {size!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("size must be positive")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", type=megabytes_of, metavar="SIZE", help="S (≈5 MB), M (≈50 MB), L (≈200 MB) or megabytes")
    parser.add_argument("out", type=Path, metavar="OUT", help="folder to write (its unpacked/ and export/ are replaced)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1): the same seed writes the same solution")
    args = parser.parse_args(argv)
    summary = generate(args.size, args.out, args.seed)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
