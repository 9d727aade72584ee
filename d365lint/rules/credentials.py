"""Credentials stored in Dynamics 365 (Microsoft's security anti-pattern).

Plug-ins and scripts that call external services often carry the
credentials with them: in a step's unsecure configuration, in an
environment variable, in the code. Anyone whose role can read those
components can read the credential, and the call breaks when it rotates.
"""

from __future__ import annotations

from collections.abc import Iterator

from d365lint.detectors.secrets import Secret, named_secret, scan_text
from d365lint.model import Solution, TextValue
from d365lint.parsing.text import text_value_location
from d365lint.redaction import redact
from d365lint.rules.base import Finding, Precision, Rule, RuleContext, Severity, Target

GUIDANCE = (
    "https://learn.microsoft.com/dynamics365/guidance/implementation-guide/"
    "security-strategy-overview#credentials-stored-in-dynamics-365"
)
ENV_VAR_SECRETS_DOC = "https://learn.microsoft.com/power-apps/maker/data-platform/environmentvariables-azure-key-vault-secrets"
SECURE_CONFIG_DOC = "https://learn.microsoft.com/power-apps/developer/data-platform/register-plug-in#set-configuration-data"

HARDCODED_CREDENTIAL_HELP = f"""\
## What it finds
A password, client secret, API key, access token, private key or connection
string with credentials written into the solution or its code: a plug-in
step's unsecure configuration, an environment variable's value, a script, a
plug-in source or assembly, an integration script or a flow.

## Why it matters
Microsoft's Dynamics 365 security guidance calls this one of the most common
anti-patterns ("Credentials stored in Dynamics 365"). Everyone whose security
role can read the component can read the credential — far more people than
those who use the external service — and every copy of the solution carries
it into source control, backups and other environments. When the credential
is rotated, the integration breaks. See [the guidance]({GUIDANCE}).

## How to fix
Rotate the exposed credential first: it has already left your control. Then
keep it in Azure Key Vault and read it through an
[environment variable of type Secret]({ENV_VAR_SECRETS_DOC}), or, for a
plug-in, pass it in the step's [secure configuration]({SECURE_CONFIG_DOC}),
which is never exported with the solution. Better still, let the service
authenticate the plug-in with a managed identity and keep no secret at all.

## Example
Bad — a step's unsecure configuration:
```json
{{"endpoint": "https://api.partner.example", "clientSecret": "Qx8~Vn2.aK9dLq_7ZrT3mWc5HbYe1sPu0jF4gXoN"}}
```
Good — only a reference, resolved at run time:
```json
{{"endpoint": "https://api.partner.example", "secretEnvironmentVariable": "contoso_PartnerApiSecret"}}
```

d365lint shows at most the first four characters and the length of a
secret, in every output format.
"""


def _secret_finding(text: TextValue, secret: Secret, component: str, place: str) -> Finding:
    location = text_value_location(text, secret.start)
    held_by = f" in '{secret.key}'" if secret.key else ""
    return Finding(
        message=(
            f"{place} holds a hard-coded {secret.kind}{held_by}: {redact(secret.value)}. "
            "Keep it in Azure Key Vault behind an environment variable of type Secret."
        ),
        location=location,
        component=component,
        evidence=secret.value,
        secrets=(secret.value,),
    )


def check_solution_credentials(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Secrets in plug-in step configuration and environment variable values."""
    keywords = context.options.get("extra-keywords", ())
    for step in solution.plugin_steps:
        if step.configuration is None:
            continue
        for secret in scan_text(step.configuration.text, keywords):
            yield _secret_finding(
                step.configuration, secret, f"step:{step.name}", f"Unsecure configuration of plug-in step '{step.name}'"
            )
    for variable in solution.environment_variables:
        values = ((variable.default_value, "default value"),) if variable.default_value else ()
        values += tuple((value, "value") for value in variable.values)
        for value, which in values:
            whole = named_secret(variable.schema_name, value.text)
            for secret in scan_text(value.text, keywords) or ([whole] if whole else []):
                yield _secret_finding(
                    value, secret, f"envvar:{variable.schema_name}", f"The {which} of environment variable '{variable.schema_name}'"
                )


HARDCODED_CREDENTIAL = Rule(
    id="sec-hardcoded-credential",
    name="HardcodedCredential",
    summary="A password, key, token or client secret is written into the solution or its code.",
    help=HARDCODED_CREDENTIAL_HELP,
    severity=Severity.ERROR,
    target=Target.SOLUTION,
    check=check_solution_credentials,
    tags=("security", "credentials", "external/cwe/cwe-798"),
    precision=Precision.HIGH,
    security_severity=8.5,
    references=(GUIDANCE, ENV_VAR_SECRETS_DOC),
    options={"extra-keywords": ()},
)

RULES = (HARDCODED_CREDENTIAL,)
