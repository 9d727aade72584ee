"""What a source file is for, from its path.

Test projects call made-up hosts and exercise the SDK in loops; they never
run inside Dataverse, so rules about what plug-ins do there skip them.
"""

from __future__ import annotations

import re

# A folder or project named Test/Tests/UnitTests (``Contoso.Plugins.Tests/``), or a file ``…Tests.cs``.
_TEST_PATH = re.compile(r"(?:^|[/.])(?:unit)?tests?(?:[/.]|$)|tests?\.cs$|spec\.cs$", re.I)


def is_test_path(path: str) -> bool:
    """Whether ``path`` belongs to a test project or is a test file."""
    return bool(_TEST_PATH.search(path))
