"""``python -m nas.cost_table``: the command lives in nas.cli.cost."""

from nas.cli.cost import command

if __name__ == "__main__":
    raise SystemExit(command())
