"""``python -m d365lint`` runs the same command line as ``d365lint``.

``python -m`` puts the working folder first on ``sys.path``: a checked
repository's ``tree_sitter_javascript.py`` or ``sarif_om.py`` would be
imported in place of the library d365lint imports when it first needs it
(found by tests/test_hostile_input.py). The folder is taken off the path
before anything else is imported; the installed ``d365lint`` script never
had it.
"""

import os
import sys

if not sys.flags.safe_path and sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from d365lint.cli.main import entry_point  # noqa: E402  (after the path is safe)

entry_point()
