"""``python -m nas.train``: the command lives in nas.cli.train."""

from nas.cli.train import command

raise SystemExit(command())
