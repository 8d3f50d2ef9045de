"""`python -m nas.cost_table`: params, FLOPs (closed form and fvcore) and latency of networks."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

import baselines
from nas import cost
from nas.cli import Parser, resolve_arch, run
from search_spaces import build_model, encode

PROG = "python -m nas.cost_table"
REFERENCES = ("efficientnet_b0", "mobilenet_v2", "mnasnet_a1")


def cost_table(
    names: Sequence[str],
    resolution: int | None = None,
    num_classes: int = 1000,
    in_channels: int = 3,
    with_fvcore: bool = True,
    with_latency: bool = True,
    threads: int = 1,
) -> pd.DataFrame:
    """One row per architecture: resolution, params, FLOPs, and (optionally) fvcore and latency."""
    rows = []
    for name in names:
        arch = resolve_arch(name)
        size = arch.resolution if resolution is None else resolution
        row = {
            "model": name if name in baselines.names() else encode(arch),
            "resolution": size,
            "params": cost.params(arch, num_classes, in_channels),
            "mflops": cost.flops(arch, size, in_channels, num_classes) / 1e6,
        }
        if with_fvcore:
            row["fvcore_mflops"] = cost.fvcore_flops(arch, size, in_channels, num_classes) / 1e6
        if with_latency:
            model = build_model(arch, num_classes=num_classes, in_channels=in_channels)
            row["latency_ms"] = 1e3 * cost.latency(model, size, threads=threads)
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(
        prog=PROG,
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
    parser.add_argument("--num-classes", type=int, default=1000)
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


if __name__ == "__main__":
    raise SystemExit(run(main, PROG))
