"""``python -m nas.fidelity``: the command lives in nas.cli.fidelity."""

from nas.cli.fidelity import command

raise SystemExit(command())
