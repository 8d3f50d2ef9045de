"""``python -m nas.report``: the command lives in nas.cli.report."""

from nas.cli.report import command

raise SystemExit(command())
