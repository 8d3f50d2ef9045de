"""``python -m nas.compare``: the command lives in nas.cli.compare."""

from __future__ import annotations

from nas.cli.compare import command

if __name__ == "__main__":
    raise SystemExit(command())
