"""Access design: table ownership, security roles and record sharing.

These are the "day one" decisions of Microsoft's Dynamics 365 security
guidance that a solution shows: who can own a table's rows (fixed when the
table is created), what each security role lets its holders do, and whether
plug-ins hand out access record by record.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import tree_sitter

from d365lint.detectors.sources import is_client_program, is_test_path, uses_sdk
from d365lint.model import Role, RolePrivilege, Solution, Table
from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily
from d365lint.rules.base import Finding, Precision, Related, Rule, RuleContext, Severity, Target

DAY_ONE = "https://learn.microsoft.com/dynamics365/guidance/implementation-guide/security-strategy-day-one-priority"
ANTI_PATTERNS = (
    "https://learn.microsoft.com/dynamics365/guidance/implementation-guide/security-strategy-overview#security-anti-patterns"
)
TABLE_TYPES_DOC = "https://learn.microsoft.com/power-apps/maker/data-platform/types-of-entities"
ROLES_DOC = "https://learn.microsoft.com/power-platform/admin/security-roles-privileges"
SECURITY_CONCEPTS_DOC = "https://learn.microsoft.com/power-apps/developer/data-platform/security-concepts"

# ---------------------------------------------------------------------------
# sec-org-owned-reference-table

ORG_OWNED_HELP = f"""\
## What it finds
A custom table the solution creates as organization-owned that holds
reference data: other tables look it up, or its name or description marks it
as a type, category, code, list, setting or configuration table. Business
process flow tables (organization-owned by design), tables of managed
solutions and Microsoft's own tables are left alone.

## Why it matters
Microsoft's implementation guide singles this out among the decisions to get
right on day one ([make security a day one priority]({DAY_ONE})). For an
organization-owned table a security role has only two settings, all rows
(Global) or none ([security concepts]({SECURITY_CONCEPTS_DOC})): one
department or region cannot be kept from another's reference data, nor
limited to maintaining its own. A user- or team-owned table with
business-unit access allows that segmentation. And ownership is fixed when
the table is created ([types of tables]({TABLE_TYPES_DOC})): the only way to
change it later is to delete the table, with its data and every lookup to
it, and create it again — so the finding belongs to the commit that creates
the table.

## How to fix
If regions, companies or departments may ever need different reference data,
or different rights to maintain it, recreate the table as user or team owned
now, while it is new, and grant roles Business Unit (or Parent: Child
Business Units) access to it. Keep organization ownership only for data that
is truly the same for everyone and maintained centrally.

## Example
Bad — `Entities/contoso_InvoiceType/Entity.xml`:
```xml
<OwnershipTypeMask>OrgOwned</OwnershipTypeMask>
```
Good:
```xml
<OwnershipTypeMask>UserOwned</OwnershipTypeMask>
```
"""

# Publishers of Microsoft's own apps: their tables are not the solution author's to redesign.
MICROSOFT_PREFIXES = frozenset({"msdyn", "msdynce", "msdynmkt", "msdyncrm", "adx", "mspp", "msfp", "msevtmgt", "mserp"})
# Last words of a table's name that mark reference data, as the guidance describes it.
_REFERENCE_WORDS = frozenset(
    {
        "type", "types", "category", "categories", "code", "codes", "list", "lists",
        "setting", "settings", "config", "configuration", "configurations",
    }
)  # fmt: skip
_REFERENCE_DESCRIPTION = compile_lazily(
    r"\b(?:reference data|lookup (?:table|data|values?|list)|master data|configuration|settings)\b", re.I
)
_WORD = compile_lazily(r"[A-Za-z]+")
# Tables whose lookups the platform adds when a table enables notes, activities,
# connections or documents: they attach records to any row, reference data or not.
_ATTACHED_RECORDS = frozenset(
    {
        "annotation", "activitypointer", "email", "task", "phonecall", "appointment", "letter", "fax",
        "socialactivity", "recurringappointmentmaster", "connection", "sharepointdocumentlocation", "postfollow",
    }
)  # fmt: skip


def _reference_sign(table: Table, looked_up_by: list[str]) -> str | None:
    """Why ``table`` looks like reference data, or None."""
    if looked_up_by:
        return "looked up by " + ", ".join(sorted(looked_up_by))
    words = [word.lower() for word in _WORD.findall(table.display_name)] or table.logical_name.split("_")[1:]
    if words and words[-1] in _REFERENCE_WORDS:
        return f"named as a {words[-1]} table"
    if _REFERENCE_DESCRIPTION.search(table.description):
        return "described as reference data"
    return None


def _lookups(solution: Solution) -> dict[str, list[str]]:
    """For each table, the other tables of the solution that look it up."""
    found: dict[str, set[str]] = defaultdict(set)
    for relationship in solution.relationships:
        referencing, referenced = relationship.referencing_table, relationship.referenced_table
        if referencing and referenced and referencing != referenced and referencing not in _ATTACHED_RECORDS:
            found[referenced].add(referencing)
    return {table: sorted(names) for table, names in found.items()}


def _created_org_owned(table: Table) -> bool:
    prefix = table.logical_name.split("_", 1)[0]
    return (
        table.ownership.lower() == "orgowned"
        and table.is_custom
        and not table.is_bpf
        and prefix not in MICROSOFT_PREFIXES
    )


def check_org_owned_reference_table(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Custom organization-owned tables that hold reference data."""
    if solution.managed:
        return  # the publisher chose the ownership; whoever installs the solution cannot change it
    lookups = _lookups(solution)
    for table in solution.tables:
        if not _created_org_owned(table):
            continue
        sign = _reference_sign(table, lookups.get(table.logical_name, []))
        if sign is None:
            continue
        yield Finding(
            message=(
                f"Table '{table.logical_name}' holds reference data ({sign}) but is organization-owned: security roles "
                "can grant only all rows or none, and ownership cannot be changed after creation. Make it user or team "
                "owned now if access may ever differ by business unit."
            ),
            location=table.ownership_location or table.location,
            component=f"table:{table.logical_name}",
            evidence="OrgOwned",
        )


ORG_OWNED_REFERENCE_TABLE = Rule(
    id="sec-org-owned-reference-table",
    name="OrgOwnedReferenceTable",
    summary="A custom reference-data table is created organization-owned, so access to it cannot be segmented.",
    help=ORG_OWNED_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("tables",),
    reads=("tables", "relationships"),
    linked=("tables",),
    check=check_org_owned_reference_table,
    tags=("security", "access", "data-model"),
    precision=Precision.MEDIUM,
    security_severity=4.0,
    references=(DAY_ONE, ANTI_PATTERNS, TABLE_TYPES_DOC, SECURITY_CONCEPTS_DOC),
)

# ---------------------------------------------------------------------------
# sec-role-excessive-privilege

ROLE_HELP = f"""\
## What it finds
A security role of the solution that
* is effectively a copy of System Administrator: nearly every privilege at
  organization level, including the administration of security roles and
  users and the customization of tables;
* lets its holders create, write, delete or assign security-administration
  data: security roles, users, teams, business units, field security
  profiles, plug-in assemblies, types, steps and service endpoints (plain read
  of users and business units, which every role needs, and User-level write
  of one's own user record are not reported); or
* grants organization-wide (Global) Write, Delete, Assign or Share on most of
  the user- or team-owned tables it covers (at least `min-tables` of them).

## Why it matters
Microsoft's guidance is plain: don't give everyone an administrator role, and
design roles around business processes, with segregation of duties, as small
modules assigned together ([make security a day one priority]({DAY_ONE})). A
role that can edit security roles or register plug-ins lets its holders give
themselves any access or run any code as the system; one that writes and
deletes every row of every table makes business units and ownership
meaningless for its holders ([security roles and privileges]({ROLES_DOC})).

## How to fix
Give security administration to administrators only, through the standard
System Administrator role. Split broad roles by duty, and grant each the
narrowest access level that serves it — User or Business Unit for writes and
deletes, Global only where the process truly spans the organization.

## Example
Bad — `Roles/Contoso Finance Manager.xml`:
```xml
<RolePrivilege name="prvWriteRole" level="Global" />
<RolePrivilege name="prvDeletecontoso_Invoice" level="Global" />
```
Good:
```xml
<RolePrivilege name="prvReadRole" level="Global" />
<RolePrivilege name="prvDeletecontoso_Invoice" level="Basic" />
```
"""

_PRIVILEGE = compile_lazily(r"^prv(AppendTo|Append|Create|Read|Write|Delete|Assign|Share)(\w+)$", re.I)
# Security-administration tables, by the table part of their privilege names.
SECURITY_ADMIN_TABLES = {
    "role": "security roles",
    "user": "users",
    "team": "teams",
    "businessunit": "business units",
    "fieldsecurityprofile": "field security profiles",
    "pluginassembly": "plug-in assemblies",
    "plugintype": "plug-in types",
    "pluginpackage": "plug-in packages",
    "sdkmessageprocessingstep": "plug-in steps",
    "sdkmessageprocessingstepimage": "plug-in step images",
    "sdkmessageprocessingstepsecureconfig": "plug-in secure configurations",
    "serviceendpoint": "service endpoints",
}
ADMIN_ACTIONS = ("create", "write", "delete", "assign")
# Privileges outside the table pattern that administer users.
ADMIN_EXTRAS = {"prvdisableuser": ("user", "disable"), "prvreparentuser": ("user", "move")}
_ADMIN_ORDER = (*ADMIN_ACTIONS, "disable", "move")
PLUGIN_REGISTRATION_TABLES = frozenset(table for table in SECURITY_ADMIN_TABLES if table.startswith(("plugin", "sdk", "service")))
BROAD_ACTIONS = frozenset({"write", "delete", "assign", "share"})
CUSTOMIZATION_PRIVILEGES = frozenset(
    {"prvcreateentity", "prvwriteentity", "prvdeleteentity", "prvcreateattribute", "prvwriteattribute",
     "prvdeleteattribute", "prvimportcustomization"}
)  # fmt: skip
SYSADMIN_MIN_PRIVILEGES = 100
SYSADMIN_GLOBAL_SHARE = 0.9
_ADMIN_NAME = compile_lazily(r"\badmin", re.I)


class Grant(NamedTuple):
    """One privilege of a role, read as an action on a table (``prvWriteAccount``: write, account)."""

    action: str
    table: str
    privilege: RolePrivilege

    @property
    def is_global(self) -> bool:
        return self.privilege.level.lower() == "global"


def _grants(role: Role) -> list[Grant]:
    grants = []
    for privilege in role.privileges:
        if privilege.level.lower() == "none":
            continue
        extra = ADMIN_EXTRAS.get(privilege.name.lower())
        matched = _PRIVILEGE.match(privilege.name)
        if extra:
            grants.append(Grant(extra[1], extra[0], privilege))
        elif matched:
            grants.append(Grant(matched.group(1).lower(), matched.group(2).lower(), privilege))
    return grants


def _is_system_administrator_copy(role: Role, grants: list[Grant]) -> bool:
    names = {privilege.name.lower() for privilege in role.privileges}
    administered = {grant.table for grant in grants if grant.action in ADMIN_ACTIONS}
    global_share = sum(privilege.level.lower() == "global" for privilege in role.privileges) / max(len(role.privileges), 1)
    return (
        len(role.privileges) >= SYSADMIN_MIN_PRIVILEGES
        and global_share >= SYSADMIN_GLOBAL_SHARE
        and {"role", "user"} <= administered
        and bool(names & CUSTOMIZATION_PRIVILEGES)
    )


def _security_admin_findings(role: Role, grants: list[Grant]) -> Iterator[Finding]:
    by_table: dict[str, list[Grant]] = defaultdict(list)
    for grant in grants:
        own_user_record = grant.table == "user" and grant.privilege.level.lower() == "basic"
        if grant.table in SECURITY_ADMIN_TABLES and grant.action in _ADMIN_ORDER and not own_user_record:
            by_table[grant.table].append(grant)
    for table, found in sorted(by_table.items(), key=lambda item: item[1][0].privilege.location):
        found.sort(key=lambda grant: _ADMIN_ORDER.index(grant.action))
        actions = ", ".join(dict.fromkeys(grant.action for grant in found))
        names = ", ".join(grant.privilege.name for grant in found)
        risk = "run their own code as the system" if table in PLUGIN_REGISTRATION_TABLES else "change who may do what"
        yield Finding(
            message=(
                f"Security role '{role.name}' can {actions} {SECURITY_ADMIN_TABLES[table]} ({names}): its holders can "
                f"{risk}. Leave security administration to administrators."
            ),
            location=found[0].privilege.location,
            component=f"role:{role.name}",
            evidence=f"security-admin:{table}:{actions}",
            related=tuple(Related(grant.privilege.name, grant.privilege.location) for grant in found[1:]),
        )


def _owned_tables(grants: list[Grant], solution: Solution) -> set[str]:
    """Tables the role covers whose rows have owners: those with Assign or Share privileges, or
    that the solution defines as user or team owned."""
    owned_in_solution = {table.logical_name for table in solution.tables if table.ownership.lower() in ("userowned", "teamowned")}
    covered = {grant.table for grant in grants}
    owned = {grant.table for grant in grants if grant.action in ("assign", "share")} | (covered & owned_in_solution)
    return owned - set(SECURITY_ADMIN_TABLES)


def _broad_access_finding(role: Role, grants: list[Grant], solution: Solution, minimum: int) -> Finding | None:
    owned = _owned_tables(grants, solution)
    broad = sorted({grant.table for grant in grants if grant.table in owned and grant.action in BROAD_ACTIONS and grant.is_global})
    if len(owned) < minimum or len(broad) * 2 <= len(owned):
        return None
    named_admin = bool(_ADMIN_NAME.search(role.name))
    advice = (
        "Its name says it is an administrator role: make sure only administrators get it."
        if named_admin
        else "Grant User or Business Unit access where the process does not span the organization."
    )
    return Finding(
        message=(
            f"Security role '{role.name}' grants organization-wide write, delete, assign or share on {len(broad)} of the "
            f"{len(owned)} owned tables it covers, which sets business units and ownership aside for its holders. {advice}"
        ),
        location=role.location,
        component=f"role:{role.name}",
        evidence="global-data-access",
        severity=Severity.NOTE if named_admin else None,
    )


def check_role_privileges(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Administrator copies, security administration and organization-wide data access in roles."""
    minimum = context.options["min-tables"]
    for role in solution.roles:
        grants = _grants(role)
        if _is_system_administrator_copy(role, grants):
            yield Finding(
                message=(
                    f"Security role '{role.name}' is effectively a copy of System Administrator ({len(role.privileges)} "
                    "privileges, nearly all organization-wide, with security administration and customization). Don't give "
                    "everyone an administrator role: build roles per business process."
                ),
                location=role.location,
                component=f"role:{role.name}",
                evidence="system-administrator-copy",
                severity=Severity.ERROR,
            )
            continue
        yield from _security_admin_findings(role, grants)
        broad = _broad_access_finding(role, grants, solution, minimum)
        if broad is not None:
            yield broad


ROLE_EXCESSIVE_PRIVILEGE = Rule(
    id="sec-role-excessive-privilege",
    name="RoleExcessivePrivilege",
    summary="A security role administers security, copies System Administrator, or grants Global write on most tables.",
    help=ROLE_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("roles",),
    reads=("roles", "tables"),
    check=check_role_privileges,
    tags=("security", "access", "roles", "external/cwe/cwe-269"),
    precision=Precision.HIGH,
    security_severity=7.0,
    references=(DAY_ONE, ROLES_DOC),
    options={"min-tables": 3},
)

# ---------------------------------------------------------------------------
# sec-sharing-as-access-model

SHARING_HELP = f"""\
## What it finds
Plug-in code that shares records one by one as part of its regular work:
a `GrantAccessRequest` or `ModifyAccessRequest` (or `OrganizationRequest`
named `GrantAccess`/`ModifyAccess`) built inside a loop (`for`, `foreach`,
`while`, `.ForEach(…)`), or in code that runs when a record is created (a
branch on `MessageName == "Create"`, a `PostCreate`/`OnCreate` method or
plug-in). Test projects are not read.

## Why it matters
The implementation guide explains that sharing gives unique access to single
records but is costly: every access check walks the user's roles, teams and
the record's shares, and the sharing table (PrincipalObjectAccess) grows with every grant. Sharing is
meant for exceptions, not as the regular access model ([make security a day
one priority]({DAY_ONE})). Code that shares every new record, or a batch of
records at a time, turns the exception into the model and slows every query
of the table as it grows ([security concepts]({SECURITY_CONCEPTS_DOC})).

## How to fix
Model the regular access with ownership: assign records to owner teams,
place users and teams in business units, or use access teams (created per
record from a template) where a group of people must work on one record.
Keep explicit shares for the exceptions a person grants by hand.

## Example
Bad:
```csharp
foreach (var member in teamMembers)
{{
    service.Execute(new GrantAccessRequest {{ Target = invoice, PrincipalAccess = new PrincipalAccess {{ Principal = member, AccessMask = AccessRights.ReadAccess }} }});
}}
```
Good — the invoice belongs to the team that works on it:
```csharp
invoice["ownerid"] = new EntityReference("team", financeTeamId);
```
"""

_SHARING_REQUESTS = frozenset({"GrantAccessRequest", "ModifyAccessRequest"})
_SHARING_MESSAGES = frozenset({"GrantAccess", "ModifyAccess"})
_LOOPS = frozenset({"for_statement", "foreach_statement", "while_statement", "do_statement"})
_LOOP_METHODS = frozenset({"ForEach", "Select", "SelectMany", "ForAll"})
_BOUNDARIES = frozenset({"method_declaration", "local_function_statement", "constructor_declaration", "class_declaration"})
_ON_CREATE_NAME = compile_lazily(r"(?:^|On|Post|Pre|After|Before|Handle)Create(?:d)?(?:Plugin|Handler|Step)?$")
_CREATE_BRANCH = compile_lazily(r"MessageName[\s\S]*[\"']Create[\"']|[\"']Create[\"'][\s\S]*MessageName", re.I)


def _simple_type_name(parsed: ParsedSource, node: tree_sitter.Node | None) -> str:
    text = parsed.text(node) if node is not None else ""
    return text.rsplit(".", 1)[-1].split("<", 1)[0]


def _sharing_request(parsed: ParsedSource, node: tree_sitter.Node) -> str | None:
    """The sharing request ``node`` builds, or None."""
    if node.type != "object_creation_expression":
        return None
    created = _simple_type_name(parsed, node.child_by_field_name("type"))
    if created in _SHARING_REQUESTS:
        return created
    arguments = node.child_by_field_name("arguments")
    if created == "OrganizationRequest" and arguments is not None:
        literal = parsed.text(arguments).strip("()\" ")
        return literal + "Request" if literal in _SHARING_MESSAGES else None
    return None


def _ancestors(node: tree_sitter.Node) -> Iterable[tree_sitter.Node]:
    current = node.parent
    while current is not None:
        yield current
        current = current.parent


def _in_loop(parsed: ParsedSource, node: tree_sitter.Node) -> bool:
    for ancestor in _ancestors(node):
        if ancestor.type in _BOUNDARIES:
            return False
        if ancestor.type in _LOOPS:
            return True
        if ancestor.type == "lambda_expression":
            call = next((up for up in _ancestors(ancestor) if up.type == "invocation_expression"), None)
            function = call.child_by_field_name("function") if call is not None else None
            if function is not None and _simple_type_name(parsed, function) in _LOOP_METHODS:
                return True
    return False


def _branch_test(parsed: ParsedSource, branch: tree_sitter.Node, node: tree_sitter.Node) -> str:
    """The test that leads into ``branch`` towards ``node``: an if's condition (then-branch only),
    or a switch section's label with the switched value."""
    if branch.type == "if_statement":
        condition, consequence = branch.child_by_field_name("condition"), branch.child_by_field_name("consequence")
        inside = consequence is not None and consequence.start_byte <= node.start_byte < consequence.end_byte
        return parsed.text(condition) if condition is not None and inside and "!" not in parsed.text(condition) else ""
    switch = branch.parent.parent if branch.parent is not None else None
    value = switch.child_by_field_name("value") if switch is not None else None
    label = branch.named_children[0] if branch.named_children else None
    return f"{parsed.text(label) if label else ''} {parsed.text(value) if value else ''}"


def _on_create(parsed: ParsedSource, node: tree_sitter.Node) -> bool:
    """Code that runs when a record is created: a Create branch, or a method or plug-in named for it."""
    for ancestor in _ancestors(node):
        if ancestor.type in ("if_statement", "switch_section") and _CREATE_BRANCH.search(_branch_test(parsed, ancestor, node)):
            return True
        if ancestor.type in ("method_declaration", "class_declaration", "local_function_statement"):
            name = ancestor.child_by_field_name("name")
            if name is not None and _ON_CREATE_NAME.search(parsed.text(name)):
                return True
    return False


def _enclosing_member(parsed: ParsedSource, node: tree_sitter.Node) -> str:
    for ancestor in _ancestors(node):
        if ancestor.type in ("method_declaration", "local_function_statement", "constructor_declaration"):
            name = ancestor.child_by_field_name("name")
            return parsed.text(name) if name is not None else ""
    return ""


def check_sharing_as_access_model(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    """Sharing requests in loops or on create, in plug-in code."""
    text, path = parsed.source.text, parsed.source.location.display_path
    if not uses_sdk(text) or is_test_path(path) or is_client_program(text):
        return  # console tools and tests are not the access model
    for node in parsed.of("object_creation_expression"):
        request = _sharing_request(parsed, node)
        if request is None:
            continue
        why = "loop" if _in_loop(parsed, node) else "create" if _on_create(parsed, node) else None
        if why is None:
            continue
        when = "for record after record in a loop" if why == "loop" else "for every record created"
        yield Finding(
            message=(
                f"{request} shares {when}: sharing is for exceptions, and every share slows the access checks of the "
                "table. Give access through ownership (owner teams, business units) or access teams."
            ),
            location=parsed.location(node),
            component=parsed.component,
            evidence=f"{_enclosing_member(parsed, node)}:{request}:{why}",
        )


SHARING_AS_ACCESS_MODEL = Rule(
    id="sec-sharing-as-access-model",
    name="SharingAsAccessModel",
    summary="Plug-in code shares records one by one in a loop or on create, using sharing as the access model.",
    help=SHARING_HELP,
    severity=Severity.NOTE,
    target=Target.CSHARP,
    reads=(),
    check=check_sharing_as_access_model,
    tags=("security", "access", "performance"),
    precision=Precision.MEDIUM,
    security_severity=2.0,
    references=(DAY_ONE, SECURITY_CONCEPTS_DOC),
)

RULES = (ORG_OWNED_REFERENCE_TABLE, ROLE_EXCESSIVE_PRIVILEGE, SHARING_AS_ACCESS_MODEL)
