"""``efficientnas <command>``: one console script for every command, with the same flags."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from nas.cli.common import EXIT_USAGE

# command -> (module, what it does); each module has command(argv) -> exit status.
COMMANDS = {
    "search": ("nas.cli.search", "search the space around a reference network"),
    "scale": ("nas.cli.scale", "compound scaling: the grid, the family, the ablation"),
    "report": ("nas.cli.report", "tables, figures and an HTML page of studies"),
    "export": ("nas.cli.export", "timm strings and weights, ONNX, checkpoint folders"),
    "cost": ("nas.cli.cost", "params, FLOPs and latency of networks"),
    "latency": ("nas.cli.latency", "a latency table for a device: build it, check it"),
    "fidelity": ("nas.cli.fidelity", "does the proxy rank networks as longer training would?"),
    "compare": ("nas.cli.compare", "samplers against NAS-Bench-Macro's table of true accuracies"),
    "train": ("nas.cli.train", "full training with progressive learning, then the test accuracy"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: efficientnas COMMAND [flags]  (efficientnas COMMAND --help)", "", "commands:"]
    lines += [f"  {name:<{width}}  {about}" for name, (_, about) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else EXIT_USAGE
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        sys.stderr.write(
            f"efficientnas: error: unknown command {name!r}; use one of {', '.join(COMMANDS)}\n"
        )
        return EXIT_USAGE
    module = importlib.import_module(COMMANDS[name][0])
    return module.command(rest, prog=f"efficientnas {name}")


if __name__ == "__main__":
    raise SystemExit(main())
