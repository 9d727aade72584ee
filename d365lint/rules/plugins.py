"""How plug-in assemblies are registered: isolation.

A plug-in assembly registered with isolation mode None runs with full trust
inside the server process; the sandbox limits it to the organisation
service, HTTP(S) calls and its own memory. Dataverse online accepts only
sandboxed assemblies, so an assembly registered with None is also one that
will not import there.
"""

from __future__ import annotations

from collections.abc import Iterator

from d365lint.model import Solution
from d365lint.rules.base import Finding, Precision, Rule, RuleContext, Severity, Target

REGISTER_PLUGIN_DOC = "https://learn.microsoft.com/power-apps/developer/data-platform/register-plug-in"
PLUGINS_DOC = "https://learn.microsoft.com/power-apps/developer/data-platform/plug-ins"
ISOLATION_NONE = "1"

PLUGIN_NOT_SANDBOXED_HELP = f"""\
## What it finds
A plug-in assembly whose registration sets `IsolationMode` to `1` (None)
instead of `2` (Sandbox).

## Why it matters
Isolation decides what a plug-in's code may touch. In the sandbox it can use
the organisation service and call web services, and nothing else: no file
system, no registry, no other processes, no reflection into the platform. An
assembly registered with isolation None runs with full trust in the server
process, so a bug or a compromised dependency in it reaches everything the
server reaches. Dataverse online runs only sandboxed plug-ins, so the
registration also fails when the solution moves to the cloud. See
[Register a plug-in]({REGISTER_PLUGIN_DOC}) and [Use plug-ins to extend
business processes]({PLUGINS_DOC}).

## How to fix
Register the assembly in the sandbox (Plug-in Registration tool: Isolation
mode *Sandbox*), then export the solution again. Code that needs more than
the sandbox allows belongs in an Azure service the plug-in calls over HTTPS.

## Example
Bad — `PluginAssemblies/ContosoPlugins-…/ContosoPlugins.dll.data.xml`:
```xml
<IsolationMode>1</IsolationMode>
```
Good:
```xml
<IsolationMode>2</IsolationMode>
```
"""


def check_plugin_isolation(solution: Solution, context: RuleContext) -> Iterator[Finding]:
    """Assemblies registered outside the sandbox."""
    for assembly in solution.plugin_assemblies:
        if assembly.isolation_mode.strip() != ISOLATION_NONE:
            continue
        yield Finding(
            message=(
                f"Plug-in assembly '{assembly.name}' is registered with isolation mode None (1): it runs with full "
                "trust in the server process. Register it in the sandbox (2)."
            ),
            location=assembly.isolation_location or assembly.location,
            component=f"assembly:{assembly.name}",
            evidence=f"IsolationMode={ISOLATION_NONE}",
        )


PLUGIN_NOT_SANDBOXED = Rule(
    id="sec-plugin-not-sandboxed",
    name="PluginNotSandboxed",
    summary="A plug-in assembly is registered with isolation mode None instead of Sandbox.",
    help=PLUGIN_NOT_SANDBOXED_HELP,
    severity=Severity.ERROR,
    target=Target.SOLUTION,
    reports_in=("plugin_assemblies",),
    reads=("plugin_assemblies",),
    check=check_plugin_isolation,
    tags=("security", "plug-ins", "external/cwe/cwe-250"),
    precision=Precision.VERY_HIGH,
    security_severity=7.5,
    references=(REGISTER_PLUGIN_DOC, PLUGINS_DOC),
)

RULES = (PLUGIN_NOT_SANDBOXED,)
