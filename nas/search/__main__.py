"""``python -m nas.search``: the command lives in nas.cli.search."""

from nas.cli.search import command

raise SystemExit(command())
