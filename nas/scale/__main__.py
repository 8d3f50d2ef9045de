"""``python -m nas.scale``: the command lives in nas.cli.scale."""

from nas.cli.scale import command

raise SystemExit(command())
