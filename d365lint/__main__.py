"""``python -m d365lint`` runs the same command line as ``d365lint``."""

from d365lint.cli.main import entry_point

entry_point()
