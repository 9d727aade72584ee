"""Where a C# source file runs: inside Dataverse, in a client program, or in tests.

Rules about what plug-ins do inside Dataverse (parallel work, batches,
sharing in loops, the endpoints they call) should not judge a console tool,
a migration script or a test: test projects call made-up hosts, and client
programs set data such as a sample account's web site.
"""

from __future__ import annotations

import re

from d365lint.patterns import compile_lazily

# A folder or project named Test/Tests/UnitTests (``Contoso.Plugins.Tests/``), or a file ``…Tests.cs``.
_TEST_PATH = compile_lazily(r"(?:^|[/\\.])(?:unit)?tests?(?:[/\\.]|$)|tests?\.cs$|spec\.cs$", re.I)
# Types only code running inside Dataverse touches: the plug-in and workflow contracts and their contexts.
_SERVER_MARKERS = compile_lazily(
    r"\b(?:IPlugin|CodeActivity|IPluginExecutionContext\d*|IWorkflowContext|CodeActivityContext|ITracingService"
    r"|IOrganizationServiceFactory|LocalPluginContext|PluginBase)\b"
)
# A program's entry point, or a connection made from outside Dataverse.
_CLIENT_MARKERS = compile_lazily(
    r"\bstatic\s+(?:async\s+)?(?:void|int|Task(?:<int>)?)\s+Main\s*\(|\bnew\s+(?:CrmServiceClient|ServiceClient|OrganizationServiceProxy)\s*\("
)
_SDK_MARKERS = compile_lazily(r"\bMicrosoft\.(?:Xrm|Crm)\.Sdk\b|\bIOrganizationService\b")


def is_test_path(path: str) -> bool:
    """Whether ``path`` belongs to a test project or is a test file."""
    return bool(_TEST_PATH.search(path))


def is_client_program(text: str) -> bool:
    """Whether the code is a program of its own or connects to Dataverse from outside."""
    return bool(_CLIENT_MARKERS.search(text))


def uses_sdk(text: str) -> bool:
    """Whether the code calls Dataverse through the SDK."""
    return bool(_SDK_MARKERS.search(text))


def is_server_code(text: str, path: str) -> bool:
    """Plug-in or workflow code: it names the plug-in contracts and is no client program or test.

    Helper classes that only take an ``IOrganizationService`` are not
    recognised: a console tool's helpers look the same.
    """
    return bool(_SERVER_MARKERS.search(text)) and not is_client_program(text) and not is_test_path(path)
