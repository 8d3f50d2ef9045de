"""`python -m nas.cost_table`: params, FLOPs (closed form and fvcore) and latency of networks."""

from __future__ import annotations

from collections.abc import Sequence

import baselines
from nas.cli.common import Parser, run
from nas.cost.table import REFERENCES, cost_table

PROG = "python -m nas.cost_table"


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    parser = Parser(
        prog=prog,
        description=(
            "Print parameters, multiply-adds (closed form and fvcore, BatchNorm counted) and "
            "batch-1 CPU latency of baselines, architecture strings or JSON files."
        ),
    )
    parser.add_argument(
        "archs",
        nargs="*",
        default=list(REFERENCES),
        metavar="ARCH",
        help="baseline name, architecture string or .json file (default: the three references; "
        "efficientnet_b1..b7 are there too)",
    )
    parser.add_argument(
        "--resolution",
        type=int,
        default=None,
        help="input size in pixels (default: each architecture's own)",
    )
    parser.add_argument("--num-classes", type=int, default=baselines.DEPLOYMENT_CLASSES)
    parser.add_argument("--in-channels", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for latency")
    parser.add_argument("--no-fvcore", action="store_true", help="skip the fvcore count")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency column")
    args = parser.parse_args(argv)
    table = cost_table(
        args.archs,
        args.resolution,
        args.num_classes,
        args.in_channels,
        not args.no_fvcore,
        not args.no_latency,
        args.threads,
    )
    print(
        table.to_string(
            index=False, float_format=lambda x: f"{x:,.1f}", formatters={"params": "{:,}".format}
        )
    )
    return 0


def command(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """``python -m nas.cost_table`` and ``efficientnas cost``."""
    return run(lambda args: main(args, prog), prog, argv)


if __name__ == "__main__":
    raise SystemExit(command())
