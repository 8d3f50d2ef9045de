"""``python -m nas.latency build|check``: the command lives in nas.cli.latency."""

from nas.cli.latency import command

if __name__ == "__main__":
    raise SystemExit(command())
