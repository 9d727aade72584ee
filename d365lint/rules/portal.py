"""Power Pages: sites that expose Dataverse data to anonymous visitors.

A Power Pages site is reached by external, often anonymous, users; its table
permissions and Web API site settings decide who on the internet can read
and change Dataverse data. Real exposures came from exactly this: a Global
table permission granted to the Anonymous Users web role, with the portal
Web API enabled for the table and every column listed (``fields`` = ``*``).

The rules read a :class:`~d365lint.model.PortalSite` in whichever form it
was kept (downloaded folder, code site, components in a solution). Who holds
a permission follows Microsoft's model: a role with
``anonymoususersrole`` is held by every visitor who has not signed in; a
Parent-scope (child) permission inherits the roles of its parent and reaches
records through it, so a child of a Global permission reaches every related
record. Contact, Account and Self scopes are relative to the signed-in
contact: they give an anonymous visitor nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from d365lint.detectors.secrets import Secret, named_secret, scan_code, scan_text
from d365lint.detectors.sensitivity import DEFAULT_SENSITIVE_PATTERNS, PERSONAL_DATA_TABLES, sensitive_pattern
from d365lint.model import (
    PERMISSION_SCOPE_GLOBAL,
    PERMISSION_SCOPE_PARENT,
    Location,
    PortalSite,
    SiteSetting,
    TablePermission,
    TextValue,
    WebRole,
)
from d365lint.parsing.text import text_value_location
from d365lint.redaction import redact
from d365lint.rules.base import Finding, Precision, Related, Rule, RuleContext, Severity, Target

TABLE_PERMISSIONS_DOC = "https://learn.microsoft.com/power-pages/security/table-permissions"
ANONYMOUS_ROLE_DOC = "https://learn.microsoft.com/power-pages/security/assign-table-permissions#anonymous-users-web-role"
WEB_ROLES_DOC = "https://learn.microsoft.com/power-pages/security/create-web-roles"
WEB_API_DOC = "https://learn.microsoft.com/power-pages/configure/web-api-overview#site-settings-for-the-web-api"
WEB_API_SECURITY_DOC = "https://learn.microsoft.com/power-pages/configure/web-api-overview#security-with-the-portals-web-api"
CORS_DOC = "https://learn.microsoft.com/power-pages/configure/cors-support"
SITE_SETTINGS_DOC = "https://learn.microsoft.com/power-pages/configure/configure-site-settings"
AUTH_SETTINGS_DOC = "https://learn.microsoft.com/power-pages/security/authentication/set-authentication-identity"
ENV_VAR_SETTINGS_DOC = "https://learn.microsoft.com/power-pages/configure/environment-variables-for-site-settings"
DEPLOYMENT_PROFILE_DOC = "https://learn.microsoft.com/power-pages/configure/power-platform-cli#use-deployment-profile"

WRITE_PRIVILEGES = ("write", "create", "delete", "append", "appendto")
# Create alone is how anonymous contact-us and registration forms work;
# these are the privileges that change or link records that already exist.
RISKY_WRITE_PRIVILEGES = ("write", "delete", "append", "appendto")
DESTRUCTIVE_PRIVILEGES = ("write", "delete")
WEBAPI_PREFIX = "webapi/"


# ---------------------------------------------------------------- who can reach what


class Access(NamedTuple):
    """Who a permission really applies to: its roles (inherited by children) and its reach."""

    roles: tuple[str, ...]
    unscoped: bool
    """Global scope, or a child of a Global permission: not limited to the visitor's own records."""
    active: bool


def _access(permission: TablePermission, by_id: Mapping[str, TablePermission]) -> Access:
    """Roles and reach of ``permission``, following Parent-scope permissions up to their root."""
    seen: set[str] = set()
    current: TablePermission | None = permission
    roles: tuple[str, ...] = ()
    active = True
    while current is not None and current.permission_id not in seen:
        seen.add(current.permission_id)
        roles = roles or current.web_roles
        active = active and current.active
        if current.scope != PERMISSION_SCOPE_PARENT:
            return Access(roles, current.scope == PERMISSION_SCOPE_GLOBAL, active)
        current = by_id.get(current.parent_id)
    return Access(roles, False, active)


class AnonymousGrant(NamedTuple):
    """A table permission that anonymous visitors hold, unscoped, through ``role``."""

    permission: TablePermission
    role: WebRole


def anonymous_grants(site: PortalSite) -> Iterator[AnonymousGrant]:
    """Active permissions that reach all records of their table and that the anonymous role holds."""
    anonymous = {role.role_id: role for role in site.web_roles if role.anonymous and role.role_id}
    by_id = {permission.permission_id: permission for permission in site.table_permissions if permission.permission_id}
    for permission in site.table_permissions:
        access = _access(permission, by_id)
        role = next((anonymous[role_id] for role_id in access.roles if role_id in anonymous), None)
        if role is not None and access.unscoped and access.active:
            yield AnonymousGrant(permission, role)


def _component(site: PortalSite, kind: str, name: str) -> str:
    return f"{kind}:{site.name}/{name}"


def _sensitivity(site: PortalSite, table: str, patterns: tuple[str, ...]) -> str:
    """Why ``table`` holds data worth protecting, or an empty string."""
    if table in PERSONAL_DATA_TABLES:
        return f"'{table}' is a standard table with personal data"
    definition = site.table(table)
    columns = [column.logical_name for column in definition.columns if sensitive_pattern(column, patterns)] if definition else []
    if columns:
        return f"'{table}' has sensitive columns ({', '.join(columns[:5])}{', …' if len(columns) > 5 else ''})"
    return ""


def _grant_related(grant: AnonymousGrant) -> tuple[Related, ...]:
    related = [Related(f"the anonymous web role '{grant.role.name}'", grant.role.location)]
    if grant.permission.scope_location is not None:
        related.append(Related(f"scope: {grant.permission.scope_name}", grant.permission.scope_location))
    return tuple(related)


def _reach(permission: TablePermission) -> str:
    if permission.scope == PERMISSION_SCOPE_PARENT:
        return "through its parent permission, which has Global scope"
    return "with Global scope"


# ---------------------------------------------------------------- sec-portal-anonymous-global-read


def check_anonymous_global_read(site: PortalSite, context: RuleContext) -> Iterator[Finding]:
    """Read granted to the anonymous web role on every record of a table."""
    patterns = tuple(context.options.get("sensitive-columns", DEFAULT_SENSITIVE_PATTERNS))
    for grant in anonymous_grants(site):
        permission = grant.permission
        if "read" not in permission.privileges:
            continue
        why = _sensitivity(site, permission.table, patterns)
        yield Finding(
            message=(
                f"Table permission '{permission.name}' lets anonymous visitors read every '{permission.table}' record "
                f"{_reach(permission)} (privileges: {', '.join(permission.privileges)})"
                + (f"; {why}." if why else ".")
                + " Scope it to the signed-in contact or account, or remove the anonymous web role."
            ),
            location=permission.location,
            component=_component(site, "tablepermission", permission.name),
            evidence=f"{permission.table}:{permission.scope_name}:{','.join(permission.privileges)}",
            related=_grant_related(grant),
            severity=Severity.ERROR if why else None,
        )


# ---------------------------------------------------------------- sec-portal-anonymous-write


def check_anonymous_write(site: PortalSite, context: RuleContext) -> Iterator[Finding]:
    """Write, delete, append or append-to granted to the anonymous web role on every record."""
    for grant in anonymous_grants(site):
        permission = grant.permission
        risky = [privilege for privilege in permission.privileges if privilege in RISKY_WRITE_PRIVILEGES]
        if not risky:
            continue
        destructive = any(privilege in DESTRUCTIVE_PRIVILEGES for privilege in risky)
        yield Finding(
            message=(
                f"Table permission '{permission.name}' lets anonymous visitors {_verbs(risky)} any '{permission.table}' "
                f"record {_reach(permission)}. Give these privileges only to signed-in roles, scoped to their own records."
            ),
            location=permission.location,
            component=_component(site, "tablepermission", permission.name),
            evidence=f"{permission.table}:{permission.scope_name}:{','.join(risky)}",
            related=_grant_related(grant),
            severity=Severity.ERROR if destructive else None,
        )


def _verbs(privileges: list[str]) -> str:
    names = {"write": "change", "delete": "delete", "append": "attach records to", "appendto": "link other records to"}
    words = [names[privilege] for privilege in privileges]
    return ", ".join(words[:-1]) + f" or {words[-1]}" if len(words) > 1 else words[0]


# ---------------------------------------------------------------- Web API settings


class WebApiTable(NamedTuple):
    """The ``Webapi/<table>/…`` settings of one table."""

    table: str
    enabled: SiteSetting | None
    fields: SiteSetting | None

    @property
    def is_enabled(self) -> bool:
        return _setting_text(self.enabled).lower() == "true"


def webapi_tables(site: PortalSite) -> list[WebApiTable]:
    """Tables with ``Webapi/<table>/enabled`` or ``…/fields`` settings (the site's own, not a profile's)."""
    found: dict[str, dict[str, SiteSetting]] = {}
    for setting in site.settings:
        parts = setting.name.strip().split("/")
        if setting.profile or len(parts) != 3 or parts[0].lower() != WEBAPI_PREFIX.rstrip("/"):
            continue
        key = parts[2].lower()
        if key in ("enabled", "fields"):
            found.setdefault(parts[1].lower(), {})[key] = setting
    return [WebApiTable(table, keys.get("enabled"), keys.get("fields")) for table, keys in sorted(found.items())]


def _setting_text(setting: SiteSetting | None) -> str:
    return setting.value.text.strip() if setting is not None and setting.value is not None else ""


def _setting_location(setting: SiteSetting) -> Location:
    return setting.value.location if setting.value is not None else setting.location


def check_webapi_all_fields(site: PortalSite, context: RuleContext) -> Iterator[Finding]:
    """The Web API enabled for a table with every column (``*``, or each column of its definition)."""
    anonymous_read = {grant.permission.table for grant in anonymous_grants(site) if "read" in grant.permission.privileges}
    for api in webapi_tables(site):
        if not api.is_enabled or api.fields is None or not _all_columns(site, api.table, _setting_text(api.fields)):
            continue
        exposed = api.table in anonymous_read
        yield Finding(
            message=(
                f"The Web API of table '{api.table}' is enabled for every column ({api.fields.name} = "
                f"'{_setting_text(api.fields)}')"
                + (", and anonymous visitors may read the table" if exposed else "")
                + ". List only the columns the site needs."
            ),
            location=_setting_location(api.fields),
            component=_component(site, "sitesetting", api.fields.name),
            evidence=f"{api.table}:{_setting_text(api.fields)}",
            related=(Related(f"{api.enabled.name} = true", _setting_location(api.enabled)),) if api.enabled else (),
            severity=Severity.ERROR if exposed else None,
        )


def _all_columns(site: PortalSite, table: str, fields: str) -> bool:
    """``*``, or a list naming every column of the table's definition in the workspace."""
    listed = {name.strip().lower() for name in fields.split(",") if name.strip()}
    if "*" in listed:
        return True
    definition = site.table(table)
    columns = {column.logical_name for column in definition.columns} if definition else set()
    return bool(columns) and columns <= listed


def check_webapi_without_permission(site: PortalSite, context: RuleContext) -> Iterator[Finding]:
    """The Web API enabled for a table no active table permission names."""
    permitted = {permission.table for permission in site.table_permissions if permission.active}
    for api in webapi_tables(site):
        if not api.is_enabled or api.enabled is None or api.table in permitted:
            continue
        yield Finding(
            message=(
                f"The Web API is enabled for table '{api.table}' ({api.enabled.name} = true) but no table permission "
                "names the table: every request is refused, and the first permission added later opens the table "
                "at whatever scope it has. Add the scoped permission the site needs, or turn the Web API off."
            ),
            location=_setting_location(api.enabled),
            component=_component(site, "sitesetting", api.enabled.name),
            evidence=api.table,
        )


# ---------------------------------------------------------------- sec-portal-credential-in-site


def check_credentials(site: PortalSite, context: RuleContext) -> Iterator[Finding]:
    """Secrets in site settings (and deployment profiles), snippets, templates and scripts."""
    keywords = tuple(context.options.get("extra-keywords", ()))
    for setting in site.settings:
        if setting.value is None:
            continue
        secrets = scan_text(setting.value.text, keywords) or _named(setting.name, setting.value.text)
        for secret in secrets:
            place = f"Site setting '{setting.name}'" + (f" of deployment profile '{setting.profile}'" if setting.profile else "")
            yield _secret_finding(site, setting.value, secret, place, _component(site, "sitesetting", setting.name), True)
    for content in site.contents:
        for secret in scan_code(content.text.text, keywords):
            component = _component(site, "sitecontent", f"{content.kind}/{content.name}")
            yield _secret_finding(site, content.text, secret, f"The {content.kind} '{content.name}'", component, content.located)


def _named(name: str, value: str) -> list[Secret]:
    """The whole value, when the setting's last segment names a credential.

    Only the last segment names the value: ``…/Facebook/AppSecret`` holds a
    secret, ``Authentication/BearerAuthentication/Protocol`` a protocol name.
    """
    secret = named_secret(name.rstrip("/").rsplit("/", 1)[-1], value)
    return [secret] if secret else []


def _secret_finding(
    site: PortalSite, text: TextValue, secret: Secret, place: str, component: str, located: bool
) -> Finding:
    held_by = f" in '{secret.key}'" if secret.key and secret.key.lower() not in place.lower() else ""
    return Finding(
        message=(
            f"{place} holds a hard-coded {secret.kind}{held_by}: {redact(secret.value)}. Everything in a site's "
            "configuration is exported with it; keep the secret in Azure Key Vault behind an environment variable "
            "of type Secret that the site setting references."
        ),
        location=text_value_location(text, secret.start, exact_start=True) if located else text.location,
        component=component,
        evidence=secret.value,
        secrets=(secret.value,),
    )


# ---------------------------------------------------------------- sec-portal-insecure-setting


class InsecureSetting(NamedTuple):
    """A documented site setting and the value that weakens the site."""

    name: str
    weak: tuple[str, ...]
    """Values (lower case) that weaken security; ``*`` matches a value containing ``*``."""
    why: str
    doc: str
    severity: Severity | None = None

    def matches(self, value: str) -> bool:
        lowered = value.strip().lower()
        return lowered in self.weak or ("*" in self.weak and "*" in lowered.split(","))


# Each entry is confirmed in Microsoft's Power Pages documentation (``doc``).
# There is no documented site setting that turns the anti-forgery (CSRF)
# check off or the HTTPS requirement (HSTS cannot be modified), so neither
# appears here.
INSECURE_SETTINGS = (
    InsecureSetting(
        "http/access-control-allow-origin",
        ("*",),
        "allows any web site to read the site's responses, Web API data included, from its visitors' browsers",
        CORS_DOC,
    ),
    InsecureSetting(
        "site/enabledefaulthtmlencoding",
        ("false",),
        "turns off the default HTML encoding of the Liquid 'user' and 'request' objects, which opens the site to "
        "cross-site scripting",
        SITE_SETTINGS_DOC,
    ),
    InsecureSetting(
        "authentication/applicationcookie/cookiehttponly",
        ("false",),
        "lets client-side script read the authentication cookie, so one cross-site scripting bug steals sessions",
        AUTH_SETTINGS_DOC,
    ),
    InsecureSetting(
        "authentication/applicationcookie/cookiesecure",
        ("never",),
        "sends the authentication cookie over plain HTTP as well",
        AUTH_SETTINGS_DOC,
    ),
    InsecureSetting(
        "authentication/registration/isdemomode",
        ("true",),
        "shows password-reset and second-factor codes to the visitor; Microsoft says never to enable it in production",
        AUTH_SETTINGS_DOC,
    ),
    InsecureSetting(
        "authentication/registration/triggerlockoutonfailedpassword",
        ("false",),
        "stops locking accounts after failed passwords, which leaves local sign-in open to password guessing",
        AUTH_SETTINGS_DOC,
    ),
    InsecureSetting(
        "webapi/error/innererror",
        ("true",),
        "returns Dataverse's inner error details to every Web API caller; enable it only while troubleshooting",
        WEB_API_DOC,
        Severity.NOTE,
    ),
)
_INSECURE_BY_NAME = {entry.name: entry for entry in INSECURE_SETTINGS}


def check_insecure_settings(site: PortalSite, context: RuleContext) -> Iterator[Finding]:
    for setting in site.settings:
        entry = _INSECURE_BY_NAME.get(setting.name.strip().lower())
        value = _setting_text(setting)
        if entry is None or not entry.matches(value):
            continue
        profile = f" (deployment profile '{setting.profile}')" if setting.profile else ""
        yield Finding(
            message=f"Site setting '{setting.name}' = '{value}'{profile} {entry.why}. See {entry.doc}",
            location=_setting_location(setting),
            component=_component(site, "sitesetting", setting.name),
            evidence=f"{setting.profile}:{value.lower()}",
            severity=entry.severity,
        )


# ---------------------------------------------------------------- help


ANONYMOUS_GLOBAL_READ_HELP = f"""\
## What it finds
A Power Pages table permission that gives the **Anonymous Users** web role
(the role with *Anonymous Users Role* = Yes, held by every visitor who has
not signed in) read access to every record of a table: Global scope, or a
child (Parent-scope) permission under a Global one. Contact, Account and
Self scopes are relative to the signed-in contact and are not reported.
The finding is an error when the table is a standard table with personal
data (contact, account, lead, incident…) or has sensitive columns (the
shared `sensitive-columns` list), a warning otherwise.

## Why it matters
"If you add the Anonymous users web role to a table permission, the data in
the table is visible to anyone" ([Microsoft]({ANONYMOUS_ROLE_DOC})). Lists,
forms, Liquid `fetchxml` and the portal Web API all honour the permission,
so every record is one request away from anyone on the internet. Real data
exposures of Power Pages sites came from exactly this configuration.
See [table permissions]({TABLE_PERMISSIONS_DOC}).

## How to fix
Give the permission to the **Authenticated Users** role (or a narrower
role) and choose the Contact, Account or Self scope, so that each visitor
reaches only the records related to them. Keep Global read for anonymous
visitors only on tables that are public by design (a product catalogue, a
list of offices) and that have no personal or sensitive columns.

## Example
Bad — `table-permissions/Contacts.tablepermission.yml`:
```yaml
adx_entitylogicalname: contact
adx_entitypermission_webrole:
- 8bf35c54-f355-ed11-9562-6045bd0ea8e5   # Anonymous Users
adx_read: true
adx_scope: 756150000                      # Global
```
Good — the signed-in contact reads their own record:
```yaml
adx_entitylogicalname: contact
adx_entitypermission_webrole:
- 8cf35c54-f355-ed11-9562-6045bd0ea8e5   # Authenticated Users
adx_read: true
adx_scope: 756150004                      # Self
```
"""

ANONYMOUS_WRITE_HELP = f"""\
## What it finds
A table permission that lets anonymous visitors **change, delete, attach
to or link** any record of a table: the Anonymous Users web role with
Write, Delete, Append or Append To on a Global permission (or its
children). Create alone is not reported: anonymous contact-us and
registration forms need it. Write and Delete are errors; Append and Append
To are warnings.

## Why it matters
Anyone on the internet can then edit or delete the table's records through
the site's forms, lists and Web API, or link records they should never
touch (reassign a case to another contact, attach notes to any account).
Append and Append To "work in combination" to associate records
([Table Permission reference](https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/mspp_entitypermission)).
See [table permissions]({TABLE_PERMISSIONS_DOC}) and [web roles]({WEB_ROLES_DOC}).

## How to fix
Keep anonymous permissions to Create (and Read where the data is public).
Grant Write, Delete, Append and Append To to signed-in roles with the
Contact, Account or Self scope.

## Example
Bad — an anonymous feedback form that also lets visitors edit and delete
every feedback record:
```yaml
adx_create: true
adx_delete: true
adx_write: true
adx_scope: 756150000
adx_entitypermission_webrole:
- ce6be0c6-7d47-ed11-bba3-002248627c71   # Anonymous Users
```
Good — visitors can only submit:
```yaml
adx_create: true
adx_delete: false
adx_write: false
adx_scope: 756150000
```
"""

WEBAPI_ALL_FIELDS_HELP = f"""\
## What it finds
A table whose portal Web API is enabled (`Webapi/<table>/enabled` = true)
with every column: `Webapi/<table>/fields` = `*`, or a list naming every
column of the table's definition loaded in the same run. It is an error
when anonymous visitors may also read the table
(`sec-portal-anonymous-global-read`).

## Why it matters
The fields setting decides which columns the Web API returns and accepts.
With `*`, every column — present and future, including ones added later for
internal use — is readable and writable through `/_api/<entityset>` by
whoever the table permissions let in. Microsoft has deprecated the wildcard:
"Replace `*` with a comma-separated list of the columns required by your
site" ([Web API site settings]({WEB_API_DOC})).

## How to fix
List only the columns the site's pages and scripts use, and protect the
rest with [column permissions]({WEB_API_SECURITY_DOC}).

## Example
Bad:
```yaml
name: Webapi/contact/fields
value: '*'
```
Good:
```yaml
name: Webapi/contact/fields
value: firstname,lastname,emailaddress1
```
"""

WEBAPI_WITHOUT_PERMISSION_HELP = f"""\
## What it finds
A table whose portal Web API is enabled (`Webapi/<table>/enabled` = true)
while no active table permission of the site names the table.

## Why it matters
The Web API "follows the table permissions given to users through the
associated web role" ([Microsoft]({WEB_API_SECURITY_DOC})): without a
permission every call is refused, so the setting is either a leftover or a
sign that the permission lives elsewhere (another environment, a manual
step). An enabled endpoint waiting for its permission is opened by the
first permission anyone adds, at whatever scope and for whichever role
they choose — often Global while "trying it out". The rule's opposite,
anonymous write access, is `sec-portal-anonymous-write`.

## How to fix
Add the table permission the site needs, scoped to the signed-in contact or
account, in the same site configuration — or remove the Web API settings
of the table.

## Example
Bad — `Webapi/crdb4_opportunities/enabled` = true and no permission for
`crdb4_opportunities`.
Good — the settings together with:
```yaml
entitylogicalname: crdb4_opportunities
scope: 756150001        # Contact
read: true
adx_entitypermission_webrole:
- a4f542e4-9963-433b-9f79-8ec001a99500   # Authenticated Users
```
"""

CREDENTIAL_IN_SITE_HELP = f"""\
## What it finds
A password, client secret, API key, token or private key in a Power Pages
site's configuration: a site setting's value (also in deployment profiles),
a content snippet, a web template (Liquid), a web page's or form's custom
JavaScript or copy, or server logic. The same credential detector as
`sec-hardcoded-credential` is used.

## Why it matters
Content snippets, templates and custom JavaScript are sent to visitors'
browsers; site settings and profiles are exported with the site into source
control and every environment. A secret there is readable far beyond the
people who need it, and the integration breaks when it is rotated.

## How to fix
Rotate the credential. Store it in Azure Key Vault and point the site
setting at an [environment variable of type Secret]({ENV_VAR_SETTINGS_DOC});
with the standard data model, inject it at upload from the build's secret
store through a [deployment profile]({DEPLOYMENT_PROFILE_DOC}) variable
(`${{OS.NAME}}`). Never put a secret in text that browsers receive: call the
external service from server logic or a cloud flow.

## Example
Bad:
```yaml
adx_name: Authentication/OpenAuth/Microsoft/ClientSecret
adx_value: Qx8~Vn2.aK9dLq_7ZrT3mWc5HbYe1sPu0jF4gXoN
```
Good — a deployment profile takes it from the environment:
```yaml
adx_sitesetting:
- adx_name: Authentication/OpenAuth/Microsoft/ClientSecret
  adx_value: ${{OS.MICROSOFT_CLIENT_SECRET}}
```

d365lint shows at most the first four characters and the length of a
secret, in every output format.
"""

INSECURE_SETTING_HELP = f"""\
## What it finds
Site settings that Microsoft documents as weakening a site's security, set
to the weak value (also in deployment profiles):

| Setting | Weak value | Effect |
|---|---|---|
| `HTTP/Access-Control-Allow-Origin` | `*` | any origin may read responses ([CORS]({CORS_DOC})) |
| `Site/EnableDefaultHtmlEncoding` | `false` | Liquid `user`/`request` output no longer escaped ([site settings]({SITE_SETTINGS_DOC})) |
| `Authentication/ApplicationCookie/CookieHttpOnly` | `false` | scripts can read the session cookie ([authentication settings]({AUTH_SETTINGS_DOC})) |
| `Authentication/ApplicationCookie/CookieSecure` | `Never` | session cookie sent over HTTP |
| `Authentication/Registration/IsDemoMode` | `true` | reset and second-factor codes shown on screen; not for production |
| `Authentication/Registration/TriggerLockoutOnFailedPassword` | `false` | no lockout after failed passwords |
| `Webapi/error/innererror` | `true` | inner error details returned to callers (a note) |

No documented setting turns off the anti-forgery (CSRF) token check or the
HTTPS requirement (Strict-Transport-Security cannot be modified), so the
rule has no entry for them.

## Why it matters
Each value removes a protection the platform gives by default: against
cross-origin reads, cross-site scripting, session theft, password guessing
or information disclosure.

## How to fix
Delete the setting (the default is the safe value) or set the safe value:
a list of trusted origins for CORS, `true` for encoding and HttpOnly,
`Always` or `SameAsRequest` for CookieSecure, `false` for demo mode.

## Example
Bad:
```yaml
name: HTTP/Access-Control-Allow-Origin
value: '*'
```
Good:
```yaml
name: HTTP/Access-Control-Allow-Origin
value: https://www.contoso.com
```
"""


RULES = (
    Rule(
        id="sec-portal-anonymous-global-read",
        name="PortalAnonymousGlobalRead",
        summary="A Power Pages table permission lets anonymous visitors read every record of a table.",
        help=ANONYMOUS_GLOBAL_READ_HELP,
        severity=Severity.WARNING,
        target=Target.SITE,
        check=check_anonymous_global_read,
        reads=("tables",),
        tags=("security", "power-pages", "external/cwe/cwe-284"),
        precision=Precision.HIGH,
        security_severity=8.6,
        references=(ANONYMOUS_ROLE_DOC, TABLE_PERMISSIONS_DOC),
        options={"sensitive-columns": DEFAULT_SENSITIVE_PATTERNS},
    ),
    Rule(
        id="sec-portal-anonymous-write",
        name="PortalAnonymousWrite",
        summary="A Power Pages table permission lets anonymous visitors change, delete or link any record of a table.",
        help=ANONYMOUS_WRITE_HELP,
        severity=Severity.WARNING,
        target=Target.SITE,
        check=check_anonymous_write,
        reads=(),
        tags=("security", "power-pages", "external/cwe/cwe-284"),
        precision=Precision.HIGH,
        security_severity=8.1,
        references=(TABLE_PERMISSIONS_DOC, WEB_ROLES_DOC),
    ),
    Rule(
        id="sec-portal-webapi-all-fields",
        name="PortalWebApiAllFields",
        summary="The Power Pages Web API is enabled for every column of a table.",
        help=WEBAPI_ALL_FIELDS_HELP,
        severity=Severity.WARNING,
        target=Target.SITE,
        check=check_webapi_all_fields,
        reads=("tables",),
        tags=("security", "power-pages", "external/cwe/cwe-200"),
        precision=Precision.VERY_HIGH,
        security_severity=6.5,
        references=(WEB_API_DOC,),
    ),
    Rule(
        id="sec-portal-webapi-without-permission",
        name="PortalWebApiWithoutPermission",
        summary="The Power Pages Web API is enabled for a table that no table permission names.",
        help=WEBAPI_WITHOUT_PERMISSION_HELP,
        severity=Severity.WARNING,
        target=Target.SITE,
        check=check_webapi_without_permission,
        reads=(),
        tags=("security", "power-pages"),
        precision=Precision.HIGH,
        security_severity=3.5,
        references=(WEB_API_SECURITY_DOC,),
    ),
    Rule(
        id="sec-portal-credential-in-site",
        name="PortalCredentialInSite",
        summary="A password, key, token or client secret is written into a Power Pages site's configuration.",
        help=CREDENTIAL_IN_SITE_HELP,
        severity=Severity.ERROR,
        target=Target.SITE,
        check=check_credentials,
        reads=(),
        tags=("security", "power-pages", "credentials", "external/cwe/cwe-798"),
        precision=Precision.HIGH,
        security_severity=8.5,
        references=(ENV_VAR_SETTINGS_DOC, DEPLOYMENT_PROFILE_DOC),
        options={"extra-keywords": ()},
    ),
    Rule(
        id="sec-portal-insecure-setting",
        name="PortalInsecureSetting",
        summary="A Power Pages site setting turns off a documented security protection.",
        help=INSECURE_SETTING_HELP,
        severity=Severity.WARNING,
        target=Target.SITE,
        check=check_insecure_settings,
        reads=(),
        tags=("security", "power-pages", "external/cwe/cwe-16"),
        precision=Precision.VERY_HIGH,
        security_severity=6.1,
        references=(CORS_DOC, SITE_SETTINGS_DOC, AUTH_SETTINGS_DOC),
    ),
)
