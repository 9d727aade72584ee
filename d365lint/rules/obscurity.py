"""Security through obscurity: hiding fields and buttons instead of securing them.

Microsoft's Dynamics 365 security guidance names the anti-pattern: hiding a
field from forms through custom code "isn't security, because anyone with a
proper security role can access those fields" — through Advanced Find,
views, Power Automate and the APIs. The same holds for a ribbon button that
is hidden while the role still grants the privilege, and for a form script
that decides from the user's roles what the user may see or edit. The real
controls are column security profiles, role privileges, and row ownership
with business units.

The three rules join what no single file shows: form XML (which cell, section
or tab hides a column), the scripts the forms load (and what their handlers
hide, and why), ribbon diffs, column metadata (``IsSecured``) and the roles
of the same solution.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from d365lint.analysis.js_flow import Function, Hide, IdentityChange, ScriptFlow, UiTarget, flow_of, reads_identity
from d365lint.detectors.sensitivity import DEFAULT_SENSITIVE_PATTERNS, sensitive_pattern
from d365lint.engine.units import scripts
from d365lint.model import (
    EventHandler,
    Form,
    FormControl,
    Location,
    RibbonCheck,
    RibbonRule,
    Role,
    RolePrivilege,
    Solution,
    SourceFile,
    Table,
    TextValue,
    Workspace,
)
from d365lint.parsing.treesitter import ParsedSource
from d365lint.rules.base import Finding, Precision, Related, Rule, RuleContext, Severity, Target

GUIDANCE = (
    "https://learn.microsoft.com/dynamics365/guidance/implementation-guide/"
    "security-strategy-overview#security-through-obscurity"
)
COLUMN_SECURITY_DOC = "https://learn.microsoft.com/power-platform/admin/field-level-security"
ROLES_DOC = "https://learn.microsoft.com/power-platform/admin/security-roles-privileges"
SECURITY_CONCEPTS_DOC = "https://learn.microsoft.com/power-platform/admin/wp-security-cds"
USER_SETTINGS_DOC = (
    "https://learn.microsoft.com/power-apps/developer/model-driven-apps/clientapi/reference/xrm-utility/getglobalcontext/usersettings"
)
RIBBON_RULES_DOC = "https://learn.microsoft.com/power-apps/developer/model-driven-apps/define-ribbon-enable-rules"
HIDE_ACTION_DOC = (
    "https://learn.microsoft.com/power-apps/developer/model-driven-apps/define-custom-actions-modify-ribbon#hide-custom-actions"
)

# What each hiding method does with a literal first argument (true, false), or without one.
_VERBS = {
    "setVisible": ("shows", "hides", "shows or hides"),
    "setDisabled": ("locks", "unlocks", "locks or unlocks"),
    "setDisplayState": ("collapses or expands", "collapses or expands", "collapses or expands"),
}
_REMOVES = "removes options of"
_MAX_RELATED = 5


# ----- sec-client-side-authorization ------------------------------------------

CLIENT_SIDE_AUTHORIZATION_HELP = f"""\
## What it finds
A form or ribbon script that decides what the user may see or edit from who
the user is: it reads the user's security roles or teams
(`userSettings.roles`, `userSettings.securityRoles`, `getUserRoles()`, a Web
API query of `systemuserroles` or `teammembership`) or the user's id or name,
and that value reaches a call that hides, disables or removes part of the
form (`setVisible`, `setDisabled`, `removeOption`, a tab's or section's
`setVisible`, `setDisplayState`), or a ribbon enable/display rule returns it.
The value is followed through local variables, helper functions of the same
file, and callbacks (`forEach`, `some`, promise `then`). The finding points
at the hiding call; the related location is where the identity is read.

## Why it matters
Hiding a field or a button from people who lack a role is not security:
the script runs in their browser, and the same data and actions stay
available to them through Advanced Find, views, exports, Power Automate and
the Web API. Microsoft's security guidance calls this
[security through obscurity]({GUIDANCE}). The script also duplicates the
role model in code, where it drifts from the real roles.

## How to fix
Let the platform enforce the decision:
- columns only some people may read or change: enable column security and
  grant access with [column security profiles]({COLUMN_SECURITY_DOC});
- actions (create, delete, assign, share, export): grant or withhold the
  [privileges in security roles]({ROLES_DOC});
- rows: use [row ownership, business units and teams]({SECURITY_CONCEPTS_DOC}).

Keep scripts for usability only: showing what matters for the record's
state, never what the user is allowed to see.

## Example
Bad — the salary is hidden from people who are not HR managers, and still
readable by all of them through the API:
```js
var roles = Xrm.Utility.getGlobalContext().userSettings.roles;
if (!roles.get().some(function (r) {{ return r.name === "HR Manager"; }})) {{
    formContext.getControl("contoso_salary").setVisible(false);
}}
```
Good — `contoso_salary` is field-secured and only the HR column security
profile may read it; the form needs no script (the platform shows the field
as masked to everyone else).
"""


class _Usage(NamedTuple):
    """Where a solution uses a script: the forms that load it and the ribbon rules that call into it."""

    forms: tuple[Form, ...] = ()
    ribbon_checks: tuple[tuple[RibbonRule, RibbonCheck], ...] = ()


def check_client_side_authorization(parsed: ParsedSource, context: RuleContext) -> Iterator[Finding]:
    """Identity-based hiding in a script, with the forms and ribbon rules of its solution that use it."""
    if not reads_identity(parsed.source.text) or parsed.source.location.path.endswith(".d.ts"):
        return  # most scripts never ask who the user is; declaration files hold no code
    solution = context.solution_of(parsed.source)
    usage = _usage(solution, parsed.source.web_resource or "") if solution is not None else _Usage()
    yield from _identity_findings(parsed, usage)


def solution_scripts(solution: Solution) -> Iterator[SourceFile]:
    """The JavaScript and TypeScript of a solution's web resources, HTML script blocks included."""
    return scripts(Workspace(files=solution.files))


def _usage(solution: Solution, web_resource: str) -> _Usage:
    name = web_resource.lower()
    forms = tuple(form for form in solution.forms if name in form.scripts)
    checks = tuple(
        (rule, check)
        for rule in solution.ribbon_rules
        for check in rule.checks
        if check.function_name and check.library.lower() == name
    )
    return _Usage(forms, checks)


def _identity_findings(parsed: ParsedSource, usage: _Usage) -> Iterator[Finding]:
    flow = flow_of(parsed)
    for change in flow.identity_changes():
        yield _identity_change_finding(parsed, flow, change, usage)
    for rule, check in usage.ribbon_checks:
        for function in flow.find(check.function_name):
            decided = flow.returns_identity(function)
            if decided is not None:
                yield _ribbon_rule_finding(parsed, function, decided, rule, check)


def _identity_change_finding(parsed: ParsedSource, flow: ScriptFlow, change: IdentityChange, usage: _Usage) -> Finding:
    origin = change.origin
    what = flow.describe(change.call)
    function = change.function.name if change.function else "top-level code"
    read_at = parsed.location(origin.node)
    tables = sorted({form.table for form in usage.forms if form.table})
    on = f" on the {', '.join(tables)} form" if tables else ""
    related = [Related(_read_here(origin.what), read_at)]
    if change.via is not None:
        related.append(Related("the decision is made here", parsed.location(change.via)))
    related.extend(_form_relations(usage.forms, parsed))
    return Finding(
        message=(
            f"{function} {_verb(parsed, change)} {what}{on} depending on the user's {origin.what} "
            f"(read at line {read_at.line}): hiding is not security — the data stays readable through Advanced Find, "
            "the Web API and Power Automate. Use column security profiles and role privileges instead."
        ),
        location=parsed.location(change.call),
        component=parsed.component,
        evidence=f"{function}|{change.method}|{what}",
        related=tuple(related[:_MAX_RELATED]),
    )


def _verb(parsed: ParsedSource, change: IdentityChange) -> str:
    """``hides`` for ``setVisible(false)``, ``locks`` for ``setDisabled(true)``, both ways for a computed value."""
    shows, hides, either = _VERBS.get(change.method, (_REMOVES, _REMOVES, _REMOVES))
    args = change.call.child_by_field_name("arguments")
    first = args.named_children[0] if args is not None and args.named_children else None
    literal = parsed.text(first) if first is not None else ""
    return shows if literal == "true" else hides if literal == "false" else either


def _read_here(what: str) -> str:
    """``the user's security roles are read here`` / ``the user's user id is read here``."""
    return f"the user's {what} {'are' if what.endswith('s') else 'is'} read here"


def _form_relations(forms: Iterable[Form], parsed: ParsedSource) -> list[Related]:
    name = (parsed.source.web_resource or "").lower()
    return [
        Related(f"loaded by form '{form.name or form.form_id}' of {form.table}", library.location)
        for form in forms
        for library in form.libraries
        if library.text.lower() == name
    ]


def _ribbon_rule_finding(
    parsed: ParsedSource, function: Function, decided: tuple, rule: RibbonRule, check: RibbonCheck
) -> Finding:
    origin, statement = decided
    read_at = parsed.location(origin.node)
    owner = f"of {rule.table}" if rule.table else "of the application ribbon"
    return Finding(
        message=(
            f"{function.name} decides the ribbon {rule.kind} rule '{rule.rule_id}' {owner} from the user's {origin.what} "
            f"(read at line {read_at.line}): a command hidden this way stays available through the Web API, Advanced "
            "Find and Power Automate. Withhold the privilege in the security roles instead."
        ),
        location=parsed.location(statement),
        component=parsed.component,
        evidence=f"{function.name}|ribbon:{rule.rule_id}",
        related=(
            Related(_read_here(origin.what), read_at),
            Related(f"the {rule.kind} rule calls {function.name}", check.location),
        ),
    )


CLIENT_SIDE_AUTHORIZATION = Rule(
    id="sec-client-side-authorization",
    name="ClientSideAuthorization",
    summary="A script hides or disables form elements or commands depending on the user's roles, teams or identity.",
    help=CLIENT_SIDE_AUTHORIZATION_HELP,
    severity=Severity.WARNING,
    target=Target.SCRIPT,
    reads=("forms", "ribbon_rules"),
    linked=("forms",),
    check=check_client_side_authorization,
    tags=("security", "obscurity", "external/cwe/cwe-602"),
    precision=Precision.HIGH,
    security_severity=5.5,
    references=(GUIDANCE, COLUMN_SECURITY_DOC, ROLES_DOC, USER_SETTINGS_DOC),
)


# ----- sec-hidden-field-not-secured -------------------------------------------

HIDDEN_FIELD_HELP = f"""\
## What it finds
A column that holds sensitive data — national id or social security number,
tax id, salary or compensation, bank account or IBAN, credit card, date of
birth, passport, health or medical data, a password or secret — is hidden on
a form (`visible="false"` on its cell, on the section or tab that holds it,
or listed only in the form's `hiddencontrols`) or hidden by the form's
OnLoad script whatever the record holds, while the column is not
field-secured (`IsSecured` 0). The finding points at the hiding place and
names the column definition. The list of sensitive names is the
`sensitive-columns` option; replace or extend it in the configuration.

Conditional hiding by the record's data (hide the termination date while
the employee is active) is form design, not obscurity, and is not reported;
hiding decided by the user's roles is `sec-client-side-authorization`.

## Why it matters
A hidden field is still part of the row: everyone whose role can read the
table reads the column through Advanced Find, views, exports to Excel, Power
Automate and the Web API. Hiding it suggests a protection that does not
exist — Microsoft's guidance calls this
[security through obscurity]({GUIDANCE}).

## How to fix
Turn on column security for the column and grant read (and update) access
only to the people who need it, with a
[column security profile]({COLUMN_SECURITY_DOC}); the form then shows the
field masked to everyone else and needs no hiding. If nobody should see the
data in the app, do not store it in Dataverse. Restrict who reads the rows
at all with [role privileges, ownership and business units]({SECURITY_CONCEPTS_DOC}).

## Example
Bad — `contoso_salary` has `IsSecured` 0 and its cell is hidden:
```xml
<cell id="{{…}}" visible="false">
  <control id="contoso_salary" datafieldname="contoso_salary" … />
</cell>
```
Good — the column is secured (`<IsSecured>1</IsSecured>`), an "HR
compensation" column security profile grants read access to HR, and the
cell is visible.
"""


def check_hidden_field_not_secured(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Sensitive, unsecured columns hidden by form XML or unconditionally by the form's OnLoad script."""
    patterns = tuple(context.options["sensitive-columns"])
    parsed_by_name: dict[str, ParsedSource] | None = None
    exposed: dict[str, frozenset[str]] = {}
    libraries = {(source.web_resource or "").lower() for source in solution_scripts(solution)}
    for form in solution.forms:
        table = solution.table(form.table)
        if table is None:
            continue
        shown = {control.column for control in form.controls if not control.hidden}
        seen: set[tuple[Location, str]] = set()
        for control in form.controls:
            if control.hidden and control.column not in shown and control.hidden_location is not None:
                finding = _hidden_field_finding(form, table, control.column, patterns, _xml_hiding(control), control.hidden_location)
                if finding is not None and (finding.location, control.column) not in seen:
                    seen.add((finding.location, control.column))
                    yield finding
        if not any(_is_load(handler) and handler.library.lower() in libraries for handler in form.handlers):
            continue  # no OnLoad script of this solution to analyse
        if table.logical_name not in exposed:
            exposed[table.logical_name] = _exposed_columns(table, patterns)
        if not any(control.column in exposed[table.logical_name] for control in form.controls):
            continue  # only a sensitive, unsecured column of the form can be reported: no script to analyse
        if parsed_by_name is None:
            parsed_by_name = _parsed_scripts(solution, context)
        for handler, parsed, hide in _script_hides(form, parsed_by_name):
            for column in _hidden_columns(form, hide.target):
                location = parsed.location(hide.place)
                where = f"the OnLoad handler {handler.function_name} ({_target_text(hide.target)})"
                finding = _hidden_field_finding(form, table, column, patterns, where, location, handler)
                if finding is not None and (location, column) not in seen:
                    seen.add((location, column))
                    yield finding


def _exposed_columns(table: Table, patterns: tuple[str, ...]) -> frozenset[str]:
    """The sensitive columns of ``table`` that are not field-secured."""
    return frozenset(
        column.logical_name for column in table.columns if not column.is_secured and sensitive_pattern(column, patterns) is not None
    )


def _parsed_scripts(solution: Solution, context: RuleContext) -> dict[str, ParsedSource]:
    """The solution's parsed scripts by web-resource name (lower case), parsed only when a form registers a handler."""
    wanted = {handler.library.lower() for form in solution.forms for handler in form.handlers if _is_load(handler)}
    found: dict[str, ParsedSource] = {}
    for source in solution_scripts(solution):
        name = (source.web_resource or "").lower()
        if name in wanted and name not in found and (parsed := context.parse(source)) is not None:
            found[name] = parsed
    return found


def _is_load(handler: EventHandler) -> bool:
    return handler.enabled and handler.event.lower() == "onload" and bool(handler.function_name)


def _script_hides(form: Form, parsed_by_name: dict[str, ParsedSource]) -> Iterator[tuple[EventHandler, ParsedSource, Hide]]:
    for handler in form.handlers:
        parsed = parsed_by_name.get(handler.library.lower()) if _is_load(handler) else None
        if parsed is None:
            continue
        flow = flow_of(parsed)
        for function in flow.find(handler.function_name):
            for hide in flow.hides(function):
                yield handler, parsed, hide


def _hidden_columns(form: Form, target: UiTarget) -> list[str]:
    """The columns a script target hides on ``form``: one control, every control of a column, a tab or a section."""
    name = target.name.lower()
    if target.kind == "control":
        matched = [c.column for c in form.controls if c.control_id.lower() == name]
        return matched or [c.column for c in form.controls if c.column == name.removeprefix("header_")]
    if target.kind == "attribute":
        return [c.column for c in form.controls if c.column == name][:1]
    if target.kind == "tab":
        return list(dict.fromkeys(c.column for c in form.controls if c.tab.lower() == name))
    if target.kind == "section":
        tab = target.tab.lower()
        return list(
            dict.fromkeys(c.column for c in form.controls if c.section.lower() == name and (not tab or c.tab.lower() == tab))
        )
    return []


def _xml_hiding(control: FormControl) -> str:
    if control.hidden_by == "hiddencontrols":
        return "the form's hiddencontrols (never shown)"
    container = control.tab if control.hidden_by == "tab" else control.section if control.hidden_by == "section" else ""
    named = f" '{container}'" if container else ""
    return f'visible="false" on its {control.hidden_by}{named}'


def _target_text(target: UiTarget) -> str:
    return f"{target.kind} '{target.name}'"


def _hidden_field_finding(
    form: Form,
    table: Table,
    column_name: str,
    patterns: tuple[str, ...],
    where: str,
    location: Location,
    handler: EventHandler | None = None,
) -> Finding | None:
    column = table.column(column_name)
    if column is None or column.is_secured:
        return None
    pattern = sensitive_pattern(column, patterns)
    if pattern is None:
        return None
    label = f"'{column.display_name}' ({column.logical_name})" if column.display_name else f"'{column.logical_name}'"
    related = [Related(f"column {column.logical_name} is defined here with IsSecured 0", column.location)]
    if handler is not None:
        related.append(Related(f"form '{form.name or form.form_id}' runs {handler.function_name} on load", handler.location))
    return Finding(
        message=(
            f"Sensitive column {label}, matching '{pattern}', is hidden on form '{form.name or form.form_id}' of {table.logical_name} "
            f"by {where}, but it is not field-secured: everyone who can read {table.logical_name} rows reads it through "
            "Advanced Find, views, exports, Power Automate and the Web API. Secure the column with a column security "
            "profile instead of hiding it."
        ),
        location=location,
        component=f"form:{form.table}/{form.form_id}",
        evidence=f"{column.logical_name}|{'script:' + handler.function_name if handler else where}",
        related=tuple(related),
    )


HIDDEN_FIELD_NOT_SECURED = Rule(
    id="sec-hidden-field-not-secured",
    name="HiddenFieldNotSecured",
    summary="A sensitive column is hidden on a form instead of being secured with column security.",
    help=HIDDEN_FIELD_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("forms", "files"),
    reads=("forms", "tables", "files"),
    linked=("forms", "tables", "files"),
    check=check_hidden_field_not_secured,
    tags=("security", "obscurity", "privacy", "external/cwe/cwe-656"),
    precision=Precision.HIGH,
    security_severity=6.0,
    references=(GUIDANCE, COLUMN_SECURITY_DOC, SECURITY_CONCEPTS_DOC),
    options={"sensitive-columns": DEFAULT_SENSITIVE_PATTERNS},
)


# ----- sec-ribbon-hidden-not-privileged ---------------------------------------

RIBBON_HIDDEN_HELP = f"""\
## What it finds
A ribbon (command bar) customisation that hides a built-in command for an
action that has its own privilege — Delete, Assign, Share, Export to Excel,
Bulk Delete — with a `HideCustomAction`, or by redefining the command
(`Mscrm.DeletePrimaryRecord`, `Mscrm.AssignSelectedRecord`, …) with a display
or enable rule that always hides it or lets a script decide (a `CustomRule`
whose function returns `false` or tests the user's roles), while a security
role of the same solution still grants that privilege on that table
(`prvDeleteAccount`, `prvAssigncontoso_Invoice`, `prvExportToExcel`).

Rules that test privileges (`EntityPrivilegeRule`, `RecordPrivilegeRule`,
`MiscellaneousPrivilegeRule`) or the record's state are not reported.

## Why it matters
The button is gone, the privilege is not: everyone with the role can still
delete, assign, share or export the rows through grids of other apps,
Advanced Find, bulk jobs, Power Automate and the Web API. Microsoft's guidance
calls hiding instead of securing [security through obscurity]({GUIDANCE}).

## How to fix
Withhold the privilege: remove it from the [security roles]({ROLES_DOC})
of the people who must not perform the action (or lower its access level to
their own rows, with [ownership and business units]({SECURITY_CONCEPTS_DOC})).
The built-in command then disappears by itself for them, because its own
rules test the privilege; no [HideCustomAction]({HIDE_ACTION_DOC}) is needed.
If the command must be hidden for usability, keep the hide but make sure the
roles match the intent.

## Example
Bad — the Delete button is hidden, and the role still grants delete:
```xml
<HideCustomAction HideActionId="contoso.account.Form.Delete.Hide" Location="Mscrm.Form.account.Delete" />
<!-- Roles/Contoso Sales User.xml -->
<RolePrivilege name="prvDeleteAccount" level="Local" />
```
Good — the role has no `prvDeleteAccount`, and the ribbon is not customised.
"""

# Actions with a privilege of their own: the name a command or location starts
# with, and the privilege (per table when it ends with the table's name).
_PRIVILEGED_ACTIONS = (
    ("BulkDelete", "Bulk Delete", "prvBulkDelete", False),
    ("Delete", "Delete", "prvDelete", True),
    ("Assign", "Assign", "prvAssign", True),
    ("Share", "Share", "prvShare", True),
    ("Export", "Export to Excel", "prvExportToExcel", False),
)
_HIDE_ALWAYS_RULES = frozenset({"mscrm.hideonmodern"})
_SCRIPT_CHECKS = frozenset({"CustomRule", "JavaScriptFunction"})
_LOCATION_AREAS = 3  # Mscrm.<Form|HomepageGrid|SubGrid>.<table>.<button…>


class _Action(NamedTuple):
    label: str
    privilege: str


def _privileged_action(segments: Iterable[str], table: str) -> _Action | None:
    for segment in segments:
        for prefix, label, privilege, per_table in _PRIVILEGED_ACTIONS:
            if segment.startswith(prefix):
                return _Action(label, privilege + table if per_table else privilege)
    return None


def check_ribbon_hidden_not_privileged(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Hidden Delete/Assign/Share/Export commands whose privilege a role of the solution still grants."""
    grants = _grants(solution.roles)
    if not grants:
        return
    for hidden in solution.hidden_ribbon_actions:
        parts = hidden.action_id.split(".")
        table = parts[2].lower() if len(parts) > _LOCATION_AREAS and "{" not in parts[2] else hidden.table
        action = _privileged_action(parts[_LOCATION_AREAS:], table) if parts[:1] == ["Mscrm"] and table else None
        if action is not None and action.privilege.lower() in grants:
            yield _ribbon_finding(
                table, action, f"HideCustomAction {hidden.action_id}", hidden.location, hidden.action_id, grants
            )
    rules = {(rule.table, rule.rule_id): rule for rule in solution.ribbon_rules}
    flows = _RuleScripts(solution, context)
    for command in solution.ribbon_commands:
        parts = command.command_id.split(".")
        action = _privileged_action(parts[1:], command.table) if parts[:1] == ["Mscrm"] and command.table else None
        if action is None or action.privilege.lower() not in grants:
            continue
        for reference in (*command.display_rules, *command.enable_rules):
            reason = _hiding_reason(reference, rules.get((command.table, reference.text)) or rules.get(("", reference.text)), flows)
            if reason is not None:
                yield _ribbon_finding(
                    command.table,
                    action,
                    f"command {command.command_id} with {reason}",
                    reference.location,
                    f"{command.command_id}|{reference.text}",
                    grants,
                )


def _grants(roles: Iterable[Role]) -> dict[str, list[tuple[Role, RolePrivilege]]]:
    """Privileges granted by the roles, by lower-case privilege name."""
    found: dict[str, list[tuple[Role, RolePrivilege]]] = {}
    for role in roles:
        for privilege in role.privileges:
            if privilege.level.lower() != "none":
                found.setdefault(privilege.name.lower(), []).append((role, privilege))
    return found


class _RuleScripts:
    """The flows of the scripts ribbon rules call, parsed on first use."""

    def __init__(self, solution: Solution, context: RuleContext) -> None:
        self._sources = {(s.web_resource or "").lower(): s for s in solution_scripts(solution)}
        self._context = context

    def functions(self, check: RibbonCheck) -> tuple[ScriptFlow | None, list[Function]]:
        source = self._sources.get(check.library.lower())
        parsed = self._context.parse(source) if source is not None else None
        if parsed is None:
            return None, []
        flow = flow_of(parsed)
        return flow, flow.find(check.function_name)


def _hiding_reason(reference: TextValue, rule: RibbonRule | None, flows: _RuleScripts) -> str | None:
    """Why a rule referenced by a redefined command hides it for everyone or by role; None if it tests data or privileges."""
    if reference.text.lower() in _HIDE_ALWAYS_RULES:
        return f"the {reference.text} rule, which hides it in Unified Interface apps"
    for check in rule.checks if rule is not None else ():
        if check.kind not in _SCRIPT_CHECKS or check.inverted:
            continue
        flow, functions = flows.functions(check)
        for function in functions:
            if flow is not None and flow.always_false(function):
                return f"{rule.kind} rule '{rule.rule_id}', whose {function.name} always returns false"
            if flow is not None and (decided := flow.returns_identity(function)) is not None:
                return f"{rule.kind} rule '{rule.rule_id}', whose {function.name} tests the user's {decided[0].what}"
    return None


def _ribbon_finding(
    table: str,
    action: _Action,
    how: str,
    location: Location,
    evidence: str,
    grants: dict[str, list[tuple[Role, RolePrivilege]]],
) -> Finding:
    granted = grants[action.privilege.lower()]
    names = sorted({f"'{role.name}'" for role, _ in granted})
    roles = f"role {names[0]}" if len(names) == 1 else f"roles {', '.join(names[:-1])} and {names[-1]}"
    privilege = granted[0][1].name
    return Finding(
        message=(
            f"The {action.label} command of {table} is hidden ({how}), but {roles} still grant{'s' if len(names) == 1 else ''} "
            f"{privilege}: the button is gone, the privilege is not — the action stays available through Advanced Find, "
            "other apps, Power Automate and the Web API. Remove the privilege from the roles instead."
        ),
        location=location,
        component=f"table:{table}",
        evidence=f"{evidence}|{privilege.lower()}",
        related=tuple(
            Related(f"role '{role.name}' grants {privilege.name} ({privilege.level})", privilege.location)
            for role, privilege in granted[:_MAX_RELATED]
        ),
    )


RIBBON_HIDDEN_NOT_PRIVILEGED = Rule(
    id="sec-ribbon-hidden-not-privileged",
    name="RibbonHiddenNotPrivileged",
    summary="A Delete, Assign, Share or Export command is hidden while a role of the solution still grants its privilege.",
    help=RIBBON_HIDDEN_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("hidden_ribbon_actions", "ribbon_commands", "ribbon_rules"),
    reads=("hidden_ribbon_actions", "ribbon_commands", "ribbon_rules", "roles", "files"),
    check=check_ribbon_hidden_not_privileged,
    tags=("security", "obscurity", "ribbon"),
    precision=Precision.HIGH,
    security_severity=5.0,
    references=(GUIDANCE, ROLES_DOC, HIDE_ACTION_DOC, RIBBON_RULES_DOC),
)

RULES = (CLIENT_SIDE_AUTHORIZATION, HIDDEN_FIELD_NOT_SECURED, RIBBON_HIDDEN_NOT_PRIVILEGED)
