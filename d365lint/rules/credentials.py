"""Credentials stored in Dynamics 365 (Microsoft's security anti-pattern).

Plug-ins, scripts, flows and integrations that call external services often
carry the credentials with them: in a step's unsecure configuration, in an
environment variable, in the code, in a flow's HTTP action, in a
configuration table. Anyone whose role can read those components can read
the credential, and the call breaks when it rotates. Four rules share the
credential detector (:mod:`d365lint.detectors.secrets`):

* ``sec-hardcoded-credential``: the secret itself, wherever it is written;
* ``sec-credential-column``: a custom column made to hold credentials;
* ``sec-env-var-secret-not-key-vault``: a secret kept in a plain environment variable;
* ``sec-integration-password-auth``: integrations that sign in as a user with a password.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import tree_sitter

from d365lint.detectors.secrets import (
    PASSWORD_GRANT,
    Secret,
    basic_pair_secret,
    literal_secrets,
    named_secret,
    password_sign_ins,
    scan_text,
    scan_value,
)
from d365lint.detectors.sources import is_test_path
from d365lint.loading.sites import is_site_content
from d365lint.model import ENV_VAR_TYPE_SECRET, Column, EnvironmentVariable, Language, Location, RawFile, Solution, SourceFile, Table, TextValue
from d365lint.parsing.assembly import Assembly
from d365lint.parsing.python import PythonModule
from d365lint.parsing.text import DecodeError, LineIndex, decode_text, text_value_location
from d365lint.parsing.treesitter import ParsedSource
from d365lint.patterns import compile_lazily
from d365lint.redaction import redact
from d365lint.rules._credential_artifacts import Exposure, artifact_kind, assembly_exposures, html_exposures, raw_file_exposures
from d365lint.rules._credential_code import Literal, call_name, call_nodes, code_literals, python_calls, python_literals
from d365lint.rules.base import Finding, Precision, Rule, RuleContext, Severity, Target

GUIDANCE = (
    "https://learn.microsoft.com/dynamics365/guidance/implementation-guide/"
    "security-strategy-overview#credentials-stored-in-dynamics-365"
)
ENV_VAR_SECRETS_DOC = "https://learn.microsoft.com/power-apps/maker/data-platform/environmentvariables-azure-key-vault-secrets"
SECURE_CONFIG_DOC = "https://learn.microsoft.com/power-apps/developer/data-platform/register-plug-in#set-configuration-data"
FIELD_SECURITY_DOC = "https://learn.microsoft.com/power-platform/admin/field-level-security"
S2S_DOC = "https://learn.microsoft.com/power-apps/developer/data-platform/use-single-tenant-server-server-authentication"
CONNECTION_STRING_DOC = "https://learn.microsoft.com/power-apps/developer/data-platform/xrm-tooling/use-connection-strings-xrm-tooling-connect"
ROPC_DOC = "https://learn.microsoft.com/entra/identity-platform/v2-oauth-ropc"
MANAGED_IDENTITY_DOC = "https://learn.microsoft.com/power-platform/admin/managed-identity-overview"

SHOWN = "d365lint shows at most the first four characters and the length of a secret, in every output format."

# ---------------------------------------------------------------- sec-hardcoded-credential

HARDCODED_CREDENTIAL_HELP = f"""\
## What it finds
A password, client secret, API key, access token, private key or connection
string with credentials written into the solution or the code beside it:

* a plug-in step's unsecure configuration (JSON, XML, key=value or text);
* an environment variable's default or current value (`environmentvariablevalues.json`);
* web-resource JavaScript and TypeScript, and the markup and script blocks of HTML web resources;
* plug-in and workflow-activity C# (literals given to credential-named variables, fields,
  properties, parameters, dictionary keys and object initialisers; `new NetworkCredential(user, "…")`,
  `ClientCredential`, `ClientSecretCredential`, `UsernamePasswordCredential`,
  `AuthenticationHeaderValue("Basic"|"Bearer", "…")`; connection strings with `Password=`,
  `AccountKey=`, `SharedAccessKey=`, SAS `sig=`);
* the string literals of compiled plug-in assemblies (`PluginAssemblies/**.dll`), reported with the
  assembly and the string's offset in its `#US` heap;
* Python integration code (`client_credential=`, `password=`, `msal.ConfidentialClientApplication`,
  `requests` auth tuples and headers, `ClientSecretCredential`);
* cloud flows (`Workflows/*.json`: literal `Authorization` headers, keys in URIs, query strings and
  bodies, signed trigger URLs, HTTP authentication with inline passwords) and classic workflows (`.xaml`);
* configuration-migration data (`data.xml`) and custom connector definitions.

A value counts when a credential-named key holds it and it looks like a
secret (length, character classes, entropy), or when it has the format of a
well-known token (Azure storage keys, SAS signatures, Azure AD client
secrets, JWTs, PEM private keys, AWS, GitHub, Google, Stripe, Slack, SendGrid
and others). Names and references are never reported: Dataverse logical and
schema names (`new_password`), setting names (`AppSettings:ApiKey`),
placeholders (`<password>`, `${{API_KEY}}`, `%VAR%`, `$(Var)`), flow
expressions (`@parameters('ApiKey')`), Key Vault references, reads from
configuration or the environment, GUIDs, public hashes and inline images.

## Why it matters
Microsoft's Dynamics 365 security guidance calls this one of the most common
anti-patterns ("Credentials stored in Dynamics 365"). Everyone whose security
role can read the component can read the credential — far more people than
those who use the external service — and every copy of the solution carries
it into source control, backups and other environments. A script sends it
to every user's browser. When the credential is rotated, the integration
breaks. See [the guidance]({GUIDANCE}).

## How to fix
Rotate the exposed credential first: it has already left your control. Then
keep it in Azure Key Vault and read it through an
[environment variable of type Secret]({ENV_VAR_SECRETS_DOC}), or, for a
plug-in, pass it in the step's [secure configuration]({SECURE_CONFIG_DOC}),
which is never exported with the solution. A browser script cannot keep a
secret at all: call the service from a plug-in, custom API or flow instead.
Better still, let the service authenticate a
[managed identity]({MANAGED_IDENTITY_DOC}) and keep no secret.

## Options
* `extra-keywords`: more words that name a credential in keys (for example `["sharedkey"]`).
* `skip-test-files`: leave out files in test projects (`Tests/`, `*Tests.cs`); off by default,
  because test code is committed like any other.

## Example
Bad — a step's unsecure configuration:
```json
{{"endpoint": "https://api.partner.example", "clientSecret": "Qx8~Vn2.aK9dLq_7ZrT3mWc5HbYe1sPu0jF4gXoN"}}
```
Good — only a reference, resolved at run time:
```json
{{"endpoint": "https://api.partner.example", "secretEnvironmentVariable": "contoso_PartnerApiSecret"}}
```

{SHOWN}
"""

_FIX_SERVER = "Rotate it and keep it in Azure Key Vault behind an environment variable of type Secret (or the step's secure configuration)."
_FIX_SCRIPT = "Rotate it: a script sends it to every user's browser. Call the service from a plug-in, custom API or flow that reads it from Key Vault."
_FIX_FLOW = "Rotate it and read it from an environment variable of type Secret (Key Vault), or use a connection that holds it."
_FIX_INTEGRATION = "Rotate it and read it from Azure Key Vault or a managed identity at run time."


# A key is named in a message only when it is a plain name: a key literal could itself hold a token.
_PLAIN_KEY = compile_lazily(r"^[A-Za-z_$@][\w.:/$@-]{0,79}$")


def _finding(secret: Secret, location: Location, component: str, place: str, fix: str) -> Finding:
    shown = secret.key and _PLAIN_KEY.match(secret.key) and secret.key.lower() not in place.lower()
    held_by = f" in '{secret.key}'" if shown else ""
    return Finding(
        message=f"{place} holds a hard-coded {secret.kind}{held_by}: {redact(secret.value)}. {fix}",
        location=location,
        component=component,
        evidence=secret.value,
        secrets=(secret.value,),
    )


def _exposure_finding(exposure: Exposure, fix: str) -> Finding:
    return _finding(exposure.secret, exposure.location, exposure.component, exposure.place, fix)


def _keywords(context: RuleContext) -> tuple[str, ...]:
    return tuple(context.options.get("extra-keywords", ()))


def _solution_credentials(solution: Solution, keywords: tuple[str, ...]) -> Iterator[Finding]:
    for step in solution.plugin_steps:
        if step.configuration is not None:
            for secret in scan_value(step.configuration.text, "", keywords):
                location = text_value_location(step.configuration, secret.start)
                yield _finding(secret, location, f"step:{step.name}", f"Unsecure configuration of plug-in step '{step.name}'", _FIX_SERVER)
    for variable, value, which in _variable_values(solution):
        for secret in scan_value(value.text, variable.schema_name, keywords):
            place = f"The {which} of environment variable '{variable.schema_name}'"
            yield _finding(secret, text_value_location(value, secret.start), f"envvar:{variable.schema_name}", place, _FIX_SERVER)


def _variable_values(solution: Solution) -> Iterator[tuple[EnvironmentVariable, TextValue, str]]:
    for variable in solution.environment_variables:
        if variable.default_value is not None:
            yield variable, variable.default_value, "default value"
        for value in variable.values:
            yield variable, value, "value"


def literal_findings(literals: Iterable[Literal], component: str, place: str, fix: str, keywords: tuple[str, ...]) -> Iterator[Finding]:
    """Findings for the literals of one file whose value, or the name receiving it, shows a secret."""
    for literal in literals:
        for secret in _literal_secrets(literal, keywords):
            yield _finding(secret, literal.location, component, place, fix)


def _literal_secrets(literal: Literal, keywords: tuple[str, ...]) -> list[Secret]:
    if literal.basic_pair:
        pair = basic_pair_secret(literal.value)
        return [pair] if pair else []
    if literal.partial:
        return scan_text(literal.value, keywords)
    if literal.scheme:
        found = named_secret("authorization", f"{literal.scheme} {literal.value}", keywords)
        return [found] if found else scan_text(literal.value, keywords)
    return literal_secrets(literal.value, literal.name, keywords)


def _code_place(unit: ParsedSource | PythonModule) -> tuple[str, str]:
    source = unit.source
    if isinstance(unit, PythonModule):
        return "The integration script", _FIX_INTEGRATION
    if source.language is Language.CSHARP:
        return "The plug-in code", _FIX_SERVER
    return ("The script of web resource " + f"'{source.web_resource}'" if source.web_resource else "The script"), _FIX_SCRIPT


def _skipped(source: SourceFile, context: RuleContext) -> bool:
    """Power Pages site content (the site rules report its credentials), and tests when the user says so."""
    path = source.location.display_path
    return is_site_content(path) or bool(context.options.get("skip-test-files")) and is_test_path(path)


def check_hardcoded_credential(unit: object, context: RuleContext) -> Iterator[Finding]:
    """Dispatch on the unit: a solution, a script or C# file, Python, an HTML page, an assembly or a raw file."""
    keywords = _keywords(context)
    if isinstance(unit, Solution):
        yield from _solution_credentials(unit, keywords)
    elif isinstance(unit, (ParsedSource, PythonModule)) and not _skipped(unit.source, context):
        literals = python_literals(unit) if isinstance(unit, PythonModule) else code_literals(unit)
        place, fix = _code_place(unit)
        yield from literal_findings(literals, unit.component, place, fix, keywords)
    elif isinstance(unit, SourceFile) and not _skipped(unit, context):
        for exposure in html_exposures(unit, keywords):
            yield _exposure_finding(exposure, _FIX_SCRIPT)
    elif isinstance(unit, Assembly):
        for exposure in assembly_exposures(unit, keywords):
            yield _exposure_finding(exposure, _FIX_SERVER)
    elif isinstance(unit, RawFile):
        fix = _FIX_FLOW if artifact_kind(unit) in ("flow", "classic-workflow") else _FIX_SERVER
        for exposure in raw_file_exposures(unit, keywords):
            yield _exposure_finding(exposure, fix)


HARDCODED_CREDENTIAL = Rule(
    id="sec-hardcoded-credential",
    name="HardcodedCredential",
    summary="A password, key, token or client secret is written into the solution or its code.",
    help=HARDCODED_CREDENTIAL_HELP,
    severity=Severity.ERROR,
    target=Target.SOLUTION,
    reports_in=("plugin_steps", "environment_variables"),
    reads=("plugin_steps", "environment_variables"),
    linked=("plugin_steps", "environment_variables"),
    also=(Target.SCRIPT, Target.HTML, Target.CSHARP, Target.PYTHON, Target.ASSEMBLY, Target.RAW_FILE),
    check=check_hardcoded_credential,
    tags=("security", "credentials", "external/cwe/cwe-798"),
    precision=Precision.HIGH,
    security_severity=8.5,
    references=(GUIDANCE, ENV_VAR_SECRETS_DOC, SECURE_CONFIG_DOC),
    options={"extra-keywords": (), "skip-test-files": False},
)

# ---------------------------------------------------------------- sec-credential-column

# What a column or environment variable is *for*, by its name (words split at case changes and underscores).
_SECRET_PURPOSE = compile_lazily(
    r"pass(?:word|wd|phrase)|\bpwd\b|secret|api[\s_-]?key|(?:access|account|subscription|shared[\s_-]?access|service|"
    r"function|host|master|signing|encryption|auth|private|storage|integration|partner|export)[\s_-]?key\b|"
    r"(?:\b|access|auth|bearer|refresh|sas|api|security|session)[\s_-]?token\b|connection[\s_-]?string|"
    r"client[\s_-]?secret|private[\s_-]?key",
    re.I,
)
# Names that mention a credential but name something about it: contoso_passwordexpiry, contoso_ApiKeyHeaderName.
_METADATA_SUFFIX = compile_lazily(
    r"(?:name|id|uri|url|endpoint|type|expiry|expires|expireson|expiration|date|changedon|hint|policy|length|required|"
    r"enabled|changed|reset|status|count|attempts|header|lifetime|format|mode|version|provider)s?$",
    re.I,
)
# How descriptions say that something holds a secret ("API key for the partner API", "used for passwords").
# "Credential" and a bare "key" are left out: professional credentials and configuration keys are common columns.
_DESCRIBED_SECRET = compile_lazily(
    r"pass(?:word|wd|phrase)|client[\s_-]?secret|secret[\s_-]?key|api[\s_-]?key|(?:access|subscription|"
    r"shared[\s_-]?access|account|private)[\s_-]?key|connection[\s_-]?string|(?:access|bearer|refresh|api|auth|sas)"
    r"[\s_-]token",
    re.I,
)
# What only points at a secret, or only describes one.
_REFERENCE_PURPOSE = compile_lazily(
    r"key[\s_-]?vault|reference|secret[\s_-]?(?:name|uri|url|id|identifier)|\buri\b|\burl\b|\bname of\b|identifier|"
    r"\b(?:whether|number of|minimum|maximum|length|policy|expir\w*|hint|format|endpoint)\b",
    re.I,
)
_TEXT_COLUMN_TYPES = frozenset({"nvarchar", "ntext", "memo", "string", "text", "multiline", ""})
# A word every match of _SECRET_PURPOSE and _DESCRIBED_SECRET contains: most names and descriptions have
# none, and telling so by substring is much cheaper than the patterns (a large solution has 10,000s of columns).
_SECRET_WORDS = ("pass", "pwd", "secret", "key", "token", "connection")


def _words(name: str) -> str:
    """``contoso_PartnerApiKey`` as ``contoso Partner Api Key``, so that word patterns see its words."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return spaced.replace("_", " ").strip()


def _names_secret(*names: str) -> bool:
    """Whether a name or display name says that the thing holds a credential (not something about one)."""
    return any(
        _SECRET_PURPOSE.search(_words(name)) and not _METADATA_SUFFIX.search(name.replace(" ", "")) for name in names if name
    )


def _holds_secret(description: str, *names: str) -> bool:
    """Named as a credential, or described as one by a thing whose name is not about something else (``…Url``)."""
    said = " ".join((description, *names)).lower()
    if not any(word in said for word in _SECRET_WORDS):
        return False
    if _names_secret(*names):
        return True
    named_otherwise = any(_METADATA_SUFFIX.search(name.replace(" ", "")) for name in names if name)
    return not named_otherwise and bool(_DESCRIBED_SECRET.search(description)) and not _REFERENCE_PURPOSE.search(description)


def _is_reference(column: Column) -> bool:
    return bool(_REFERENCE_PURPOSE.search(f"{column.display_name} {column.description}"))


def check_credential_column(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Custom text columns of the solution's tables that are named or described as holding credentials."""
    for table in solution.tables:
        for column in table.columns:
            if _is_credential_column(column):
                yield _column_finding(table, column)


def _is_credential_column(column: Column) -> bool:
    if not column.is_custom or column.type.lower() not in _TEXT_COLUMN_TYPES:
        return False
    if column.is_secured and _is_reference(column):
        return False  # field-secured and holding only a reference: documented as acceptable
    return _holds_secret(column.description, column.logical_name, column.display_name)


def _column_finding(table: Table, column: Column) -> Finding:
    secured = "" if column.is_secured else " It is not even protected by column security."
    return Finding(
        message=(
            f"Column '{table.logical_name}.{column.logical_name}' is made to hold credentials: every role that can read "
            f"the table can read them, and they travel with every copy of the data.{secured} Keep credentials in Azure "
            "Key Vault and reference them through environment variables of type Secret."
        ),
        location=column.location,
        component=f"table:{table.logical_name}",
        evidence=column.logical_name,
        severity=Severity.ERROR if not column.is_secured else None,
    )


CREDENTIAL_COLUMN_HELP = f"""\
## What it finds
A custom text column whose name, display name or description shows it is
meant to hold a credential — a password, client secret, API key, access
token, private key or connection string: the "configuration table holding
credentials" design. A column that is protected by
[column security]({FIELD_SECURITY_DOC}) *and* described as holding only a
reference (a Key Vault secret's name or URI) is not reported: a reference is
not the credential, and column security limits who can change where it
points. Columns that only describe a credential (`contoso_passwordexpiry`,
`contoso_apikeyname`) are not reported either. Columns without column
security are reported as errors, secured ones as warnings.

## Why it matters
Microsoft's guidance names credentials stored in Dynamics 365 — in
configuration tables read by plug-ins and scripts — among the most common
security anti-patterns ([the guidance]({GUIDANCE})). A table's read
privilege is granted widely; its records are exported with configuration
data, copied to sandboxes and shown in Advanced Find; and nothing rotates the
value when the external service does.

## How to fix
Store the credential in Azure Key Vault and give the code an
[environment variable of type Secret]({ENV_VAR_SECRETS_DOC}) that references
it, or the plug-in step's [secure configuration]({SECURE_CONFIG_DOC}). Then
delete the column, or turn it into a reference (the Key Vault secret's name)
protected by column security.

## Example
Bad — `Entities/contoso_IntegrationSetting/Entity.xml`:
```xml
<attribute PhysicalName="contoso_ClientSecret">
  <Type>nvarchar</Type>
  <LogicalName>contoso_clientsecret</LogicalName>
  <IsSecured>0</IsSecured>
```
Good — a secured reference:
```xml
<attribute PhysicalName="contoso_ClientSecretName">
  <Type>nvarchar</Type>
  <LogicalName>contoso_clientsecretname</LogicalName>
  <IsSecured>1</IsSecured>
  <!-- description: Name of the Key Vault secret that holds the partner's client secret -->
```
"""

CREDENTIAL_COLUMN = Rule(
    id="sec-credential-column",
    name="CredentialColumn",
    summary="A custom column is made to hold passwords, client secrets, API keys or tokens.",
    help=CREDENTIAL_COLUMN_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("tables",),
    reads=("tables",),
    linked=("tables",),
    check=check_credential_column,
    tags=("security", "credentials", "external/cwe/cwe-312", "external/cwe/cwe-522"),
    precision=Precision.HIGH,
    security_severity=6.5,
    references=(GUIDANCE, ENV_VAR_SECRETS_DOC, FIELD_SECURITY_DOC),
)

# ---------------------------------------------------------------- sec-env-var-secret-not-key-vault

_PLAIN_TYPES = frozenset({"100000000", "100000003", ""})


def check_env_var_not_key_vault(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Text and JSON environment variables whose name or description shows they hold a secret."""
    for variable in solution.environment_variables:
        if variable.type == ENV_VAR_TYPE_SECRET or variable.type not in _PLAIN_TYPES:
            continue
        if _holds_secret(variable.description, variable.schema_name, variable.display_name):
            yield Finding(
                message=(
                    f"Environment variable '{variable.schema_name}' holds a secret but is of type {variable.type_name}: "
                    "its value is stored in Dataverse, readable by every role that can read environment variables, and "
                    "exported with the solution. Make it an environment variable of type Secret that references Azure Key Vault."
                ),
                location=variable.location,
                component=f"envvar:{variable.schema_name}",
                evidence=variable.type or "untyped",
            )


ENV_VAR_NOT_KEY_VAULT_HELP = f"""\
## What it finds
An environment variable whose schema name, display name or description shows
that it holds a secret (a password, client secret, API key, token or
connection string) but whose type is Text or JSON instead of Secret
(`100000005`). Variables that hold only a reference (a Key Vault URI, a
secret's name) and variables of type Number, Boolean or Data source are not
reported.

## Why it matters
The value of a Text or JSON environment variable is a Dataverse record:
every role that can read environment variables reads it, solution exports
carry it, and it sits in the database of every environment the solution is
imported into. Microsoft's answer to "credentials stored in Dynamics 365"
([the guidance]({GUIDANCE})) is an environment variable of type Secret,
whose value is only a reference to an Azure Key Vault secret that Dataverse
resolves at run time.

## How to fix
Create the secret in Azure Key Vault, give Dataverse access to the vault, and
change the variable to an [environment variable of type Secret]({ENV_VAR_SECRETS_DOC})
that references it (a type cannot be changed in place: create a new
variable, move its users, delete the old one). Rotate the secret that was
stored in the old value.

## Example
Bad:
```xml
<environmentvariabledefinition schemaname="contoso_PartnerApiKey">
  <type>100000000</type>
</environmentvariabledefinition>
```
Good:
```xml
<environmentvariabledefinition schemaname="contoso_PartnerApiKey">
  <type>100000005</type>
  <secretstore>0</secretstore>
</environmentvariabledefinition>
```
"""

ENV_VAR_NOT_KEY_VAULT = Rule(
    id="sec-env-var-secret-not-key-vault",
    name="EnvironmentVariableSecretNotKeyVault",
    summary="An environment variable holds a secret but is not of type Secret (Azure Key Vault).",
    help=ENV_VAR_NOT_KEY_VAULT_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("environment_variables",),
    reads=("environment_variables",),
    check=check_env_var_not_key_vault,
    tags=("security", "credentials", "external/cwe/cwe-312"),
    precision=Precision.HIGH,
    security_severity=6.0,
    references=(GUIDANCE, ENV_VAR_SECRETS_DOC),
)

# ---------------------------------------------------------------- sec-integration-password-auth

# Calls and types that sign in with a user's password, whatever its source.
_PASSWORD_FLOW_CALLS = frozenset({
    "acquire_token_by_username_password", "AcquireTokenByUsernamePassword", "acquireTokenByUsernamePassword",
    "acquireTokenWithUsernamePassword", "UsernamePasswordCredential", "UserPasswordCredential",
})
_DATAVERSE_CLIENTS = frozenset({"CrmServiceClient", "ServiceClient", "OrganizationServiceProxy", "OrganizationWebProxyClient"})
_USER_CREDENTIALS = compile_lazily(r"password|passwd|\bpwd|NetworkCredential|ClientCredentials|SecureString|\"[^\"@\s]+@[^\"@\s]+\"", re.I)
# Variables holding a user's credentials: `var secure = new SecureString();`
_CREDENTIAL_VARIABLE = compile_lazily(r"\b(\w+)\s*=\s*new\s+(?:System\.Security\.)?(?:SecureString|NetworkCredential|ClientCredentials)\b")
_CLIENT_CREDENTIALS_PASSWORD = compile_lazily(r"UserName\s*\.\s*Password$")
_CLIENT_CREDENTIALS_PASSWORD_TEXT = ".Password"


def _sign_in_finding(kind: str, location: Location, component: str, evidence: str) -> Finding:
    return Finding(
        message=(
            f"{kind[:1].upper()}{kind[1:]}: the integration signs in as a user. Use server-to-server "
            "authentication instead — an application user with a certificate, a client secret from Key Vault, or a "
            "managed identity."
        ),
        location=location,
        component=component,
        evidence=evidence,
    )


def _value_sign_ins(value: TextValue, component: str) -> Iterator[Finding]:
    """Connection strings and password grants in a configuration value."""
    for sign_in in password_sign_ins(value.text):
        yield _sign_in_finding(sign_in.kind, text_value_location(value, sign_in.start), component, sign_in.kind)


def _file_sign_ins(raw: RawFile) -> Iterator[Finding]:
    try:
        text = decode_text(raw.content)
    except DecodeError:
        return
    lines = LineIndex(text)
    for sign_in in password_sign_ins(text):
        line, column = lines.position(sign_in.start)
        yield _sign_in_finding(sign_in.kind, raw.location.at(line, column), f"file:{raw.name.rsplit('/', 1)[-1]}", sign_in.kind)


def _literal_sign_ins(literals: Iterable[Literal], component: str) -> Iterator[Finding]:
    for literal in literals:
        if literal.name.lower() == "grant_type" and literal.value == "password":
            yield _sign_in_finding(PASSWORD_GRANT, literal.location, component, PASSWORD_GRANT)
        for sign_in in password_sign_ins(literal.value):
            yield _sign_in_finding(sign_in.kind, literal.location, component, sign_in.kind)


def _code_sign_ins(parsed: ParsedSource) -> Iterator[Finding]:
    yield from _literal_sign_ins(code_literals(parsed), parsed.component)
    if _CLIENT_CREDENTIALS_PASSWORD_TEXT in parsed.source.text:
        for node in parsed.walk():
            if node.type == "assignment_expression" and _CLIENT_CREDENTIALS_PASSWORD.search(parsed.text(node.child_by_field_name("left") or node)):
                yield _sign_in_finding("ClientCredentials.UserName.Password is set", parsed.location(node), parsed.component,
                                       "UserName.Password")
    credential_variables: frozenset[str] | None = None  # found on the first client built: most files build none
    for node in call_nodes(parsed):
        called = call_name(parsed, node)
        if called in _PASSWORD_FLOW_CALLS:
            yield _sign_in_finding(f"The call {called}() signs in with a user name and password", parsed.location(node), parsed.component, called)
        elif called in _DATAVERSE_CLIENTS:
            if credential_variables is None:
                credential_variables = frozenset(_CREDENTIAL_VARIABLE.findall(parsed.source.text))
            if _user_arguments(parsed, node, credential_variables):
                yield _sign_in_finding(f"This {called} is built from a user's credentials", parsed.location(node), parsed.component, called)


def _user_arguments(parsed: ParsedSource, node: tree_sitter.Node, credential_variables: frozenset[str]) -> bool:
    """Whether a client is given a password, user credentials or a user principal name."""
    arguments = node.child_by_field_name("arguments")
    if arguments is None:
        return False
    text = parsed.text(arguments)
    return bool(_USER_CREDENTIALS.search(text)) or any(re.search(rf"\b{re.escape(name)}\b", text) for name in credential_variables)


def _python_sign_ins(module: PythonModule) -> Iterator[Finding]:
    yield from _literal_sign_ins(python_literals(module), module.component)
    for called, location in python_calls(module, _PASSWORD_FLOW_CALLS):
        yield _sign_in_finding(f"The call {called}() signs in with a user name and password", location, module.component, called)


def check_integration_password_auth(unit: object, context: RuleContext) -> Iterator[Finding]:
    """Dispatch on the unit: configuration in a solution, C#, scripts, Python and flows."""
    if isinstance(unit, Solution):
        for step in unit.plugin_steps:
            if step.configuration is not None:
                yield from _value_sign_ins(step.configuration, f"step:{step.name}")
        for variable, value, _ in _variable_values(unit):
            yield from _value_sign_ins(value, f"envvar:{variable.schema_name}")
    elif isinstance(unit, ParsedSource):
        yield from _code_sign_ins(unit)
    elif isinstance(unit, PythonModule):
        yield from _python_sign_ins(unit)
    elif isinstance(unit, RawFile) and artifact_kind(unit):
        yield from _file_sign_ins(unit)


INTEGRATION_PASSWORD_AUTH_HELP = f"""\
## What it finds
Integration code and configuration that sign in to Dataverse (or Microsoft
Entra ID) with a user name and password:

* [connection strings]({CONNECTION_STRING_DOC}) with `AuthType=Office365` or `AuthType=AD`, or
  `AuthType=OAuth` with `Password=` — in step configuration, environment variables, flows, C#,
  scripts and Python;
* MSAL's username/password flow (`acquire_token_by_username_password`,
  `AcquireTokenByUsernamePassword`, `acquireTokenByUsernamePassword`), Azure Identity's
  `UsernamePasswordCredential`, ADAL's `UserPasswordCredential`, and `grant_type=password`
  requests;
* `CrmServiceClient`, `ServiceClient` or `OrganizationServiceProxy` built from a user name,
  password, `NetworkCredential` or `ClientCredentials`.

It reports the sign-in even when the password itself comes from
configuration: the flow is the problem, not only where the password is kept.

## Why it matters
An integration that signs in as a user depends on a person's account: its
password expires, multi-factor authentication and conditional access block
it, and it holds the user's licence and every privilege of the user's roles.
The resource-owner password flow is [discouraged by Microsoft]({ROPC_DOC})
and does not work with MFA. Microsoft's guidance is to use
[server-to-server authentication]({S2S_DOC}) for integrations: an
application user with only the roles the integration needs. See also the
implementation guide's [credentials anti-pattern]({GUIDANCE}).

## How to fix
Register an application in Microsoft Entra ID, create an application user
for it in each environment with a least-privilege role, and connect with
`AuthType=ClientSecret` (secret read from Key Vault) or
`AuthType=Certificate` — or, for Azure-hosted code, a managed identity.

## Example
Bad:
```csharp
var client = new ServiceClient("AuthType=OAuth;Username=svc@contoso.com;Password=" + password + ";Url=https://contoso.crm.dynamics.com");
```
Good:
```csharp
var client = new ServiceClient($"AuthType=ClientSecret;ClientId={{appId}};ClientSecret={{secretFromKeyVault}};Url=https://contoso.crm.dynamics.com");
```
"""

INTEGRATION_PASSWORD_AUTH = Rule(
    id="sec-integration-password-auth",
    name="IntegrationPasswordAuthentication",
    summary="An integration signs in to Dataverse with a user name and password instead of server-to-server authentication.",
    help=INTEGRATION_PASSWORD_AUTH_HELP,
    severity=Severity.WARNING,
    target=Target.SOLUTION,
    reports_in=("plugin_steps", "environment_variables"),
    reads=("plugin_steps", "environment_variables"),
    linked=("plugin_steps", "environment_variables"),
    also=(Target.SCRIPT, Target.CSHARP, Target.PYTHON, Target.RAW_FILE),
    check=check_integration_password_auth,
    tags=("security", "credentials", "authentication", "external/cwe/cwe-287"),
    precision=Precision.HIGH,
    security_severity=5.5,
    references=(S2S_DOC, CONNECTION_STRING_DOC, ROPC_DOC, GUIDANCE),
)

RULES = (HARDCODED_CREDENTIAL, CREDENTIAL_COLUMN, ENV_VAR_NOT_KEY_VAULT, INTEGRATION_PASSWORD_AUTH)
