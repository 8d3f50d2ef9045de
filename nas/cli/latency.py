"""`python -m nas.latency build|check`: a latency table for a device, and its predictions checked
against end-to-end measurement."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

import baselines
from nas.cli.common import Parser, run
from nas.cost.latency_build import CALIBRATION_NETWORKS, Measurement, build_table, check_table
from nas.cost.latency_table import BACKENDS, DEVICES, LatencyTable, Target
from nas.errors import ConfigError, InputError
from nas.search.config import DEFAULT_REFERENCE
from search_spaces import DEFAULT_SPACE, SPACES, make_space, nb_macro

PROG = "python -m nas.latency"
DEFAULT_FOLDER = Path("results") / "latency"


def default_table(target: Target) -> Path:
    """``results/latency/torch-cpu-1t-b1.json``: one file per target, every space inside."""
    threads = f"-{target.threads}t" if target.device == "cpu" else ""
    return DEFAULT_FOLDER / f"{target.backend}-{target.device}{threads}-b{target.batch}.json"


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target")
    group.add_argument("--backend", choices=BACKENDS, default="torch", help="what runs the network")
    group.add_argument("--device", choices=DEVICES, default="cpu")
    group.add_argument("--threads", type=int, default=1, help="CPU threads (MnasNet's: 1)")
    group.add_argument("--batch", type=int, default=1, help="images per pass (MnasNet's: 1)")
    group.add_argument(
        "--table",
        default=None,
        help="the latency table (default: results/latency/BACKEND-DEVICE-Nt-bB.json)",
    )


def add_space_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("space")
    group.add_argument("--space", choices=SPACES, default=DEFAULT_SPACE)
    group.add_argument("--reference", default=DEFAULT_REFERENCE, choices=baselines.names())
    group.add_argument(
        "--resolution",
        type=int,
        default=None,
        help="input size the layers run at (default: the deployed one, 224; nb-macro 32)",
    )


def add_measurement_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("measurement")
    group.add_argument("--warmup", type=int, default=3, help="untimed passes first")
    group.add_argument("--repeats", type=int, default=15, help="timed passes; the median counts")


def target_of(args: argparse.Namespace) -> Target:
    return Target(args.backend, args.device, args.threads, args.batch)


def space_of(args: argparse.Namespace) -> tuple[object, int, int]:
    """The space, and the deployment shape's classes and resolution."""
    if args.space == nb_macro.NAME:
        space = make_space(args.space)
        shape = (nb_macro.NUM_CLASSES, nb_macro.RESOLUTION)
    else:
        space = make_space(args.space, baselines.get(args.reference))
        shape = (baselines.DEPLOYMENT_CLASSES, baselines.DEPLOYMENT_RESOLUTION)
    resolution = shape[1] if args.resolution is None else args.resolution
    if isinstance(resolution, bool) or resolution < 8:
        raise ConfigError("resolution", resolution, "must be an integer >= 8")
    return space, shape[0], resolution


def measurement_of(args: argparse.Namespace, calibration: int | None = None) -> Measurement:
    for name in ("warmup", "repeats"):
        value = getattr(args, name)
        if value < (0 if name == "warmup" else 1):
            raise ConfigError(name, value, f"must be an integer >= {int(name != 'warmup')}")
    if calibration is not None and calibration < 0:
        raise ConfigError("calibration_networks", calibration, "must be an integer >= 0")
    networks = CALIBRATION_NETWORKS if calibration is None else calibration
    return Measurement(args.warmup, args.repeats, networks)


def build(argv: Sequence[str] | None, prog: str) -> int:
    parser = Parser(
        prog=f"{prog} build",
        description="Measure every distinct layer the space can produce on the target (only "
        "those the table lacks), then fit its scale on networks measured end to end.",
    )
    add_target_arguments(parser)
    add_space_arguments(parser)
    add_measurement_arguments(parser)
    parser.add_argument(
        "--calibration-networks",
        type=int,
        default=CALIBRATION_NETWORKS,
        help="networks measured end to end to fit the table's scale and per-layer term (0: none)",
    )
    parser.add_argument(
        "--recalibrate",
        action="store_true",
        help="fit the table's scale anew on this space's networks (a new table always is; an "
        "existing one keeps its scale, so that predictions made with it stay valid)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    target = target_of(args)
    space, classes, resolution = space_of(args)
    measurement = measurement_of(args, args.calibration_networks)
    path = Path(args.table) if args.table else default_table(target)
    bar = tqdm(unit="layer", disable=args.no_progress, file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        built = build_table(
            path, space, target, resolution, 3, classes, measurement, progress, args.recalibrate
        )
    finally:
        bar.close()
    table = built.table
    print(
        f"{path}: {len(table.entries):,} layers on {target.describe()}; this space at "
        f"{resolution} px needs {built.needed:,}, measured now {built.measured:,}; "
        f"scale {table.scale:.3f}, {table.per_layer_ms:+.3f} ms per layer (fitted on "
        f"{table.calibration.get('networks', 0)} networks)"
    )
    return 0


def check(argv: Sequence[str] | None, prog: str) -> int:
    parser = Parser(
        prog=f"{prog} check",
        description="Draw networks of the space, predict each from the table and measure it end "
        "to end: mean absolute and worst percentage error, Kendall tau, a scatter plot.",
    )
    add_target_arguments(parser)
    add_space_arguments(parser)
    add_measurement_arguments(parser)
    parser.add_argument("--networks", type=int, default=50, help="networks drawn")
    parser.add_argument("--seed", type=int, default=0, help="which networks are drawn")
    parser.add_argument(
        "--out", default=None, help="folder of the CSV and PNG (default: beside the table)"
    )
    parser.add_argument("--no-plot", action="store_true", help="no PNG")
    args = parser.parse_args(argv)
    target = target_of(args)
    space, classes, resolution = space_of(args)
    measurement = measurement_of(args)
    path = Path(args.table) if args.table else default_table(target)
    table = LatencyTable.load(path)
    if table.target != target:  # its predictions would be judged against another target
        raise InputError(
            f"{path} was measured on {table.target.describe()}, not {target.describe()}: give "
            "the flags of its target (--backend, --device, --threads, --batch)"
        )
    reason = table.mismatch(target)
    if reason is not None:
        print(f"warning: {path}: {reason}", file=sys.stderr)
    frame, figures = check_table(
        table, space, target, args.networks, args.seed, resolution, 3, classes, measurement
    )
    out = Path(args.out) if args.out else path.parent
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{path.stem}-check-{args.space}-{resolution}px"
    frame.to_csv(out / f"{stem}.csv", index=False)
    print(
        f"{figures.networks} networks of {args.space} at {resolution} px on "
        f"{target.describe()}:\n"
        f"  predicted (scale {table.scale:.3f}, {table.per_layer_ms:+.3f} ms a layer): "
        f"mean |error| {figures.mape:.2%}, worst {figures.worst:.2%}, "
        f"Kendall tau {figures.tau:.3f}\n"
        f"  sum of layers alone: mean |error| {figures.mape_sum:.2%}, worst "
        f"{figures.worst_sum:.2%}\n"
        f"  measured {frame['measured_ms'].min():.2f} to {frame['measured_ms'].max():.2f} ms "
        f"(median {frame['measured_ms'].median():.2f}); rows: {out / f'{stem}.csv'}"
    )
    if not args.no_plot:
        from nas.report.latency import latency_check_figure

        title = f"{args.space} at {resolution} px, {target.describe()}"
        latency_check_figure(frame, figures, title, out / f"{stem}.png")
        print(f"figure: {out / f'{stem}.png'}")
    return 0


SUBCOMMANDS = {"build": build, "check": check}


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    parser = Parser(
        prog=prog,
        description="Latency tables: build one for a space on a target; check its predictions "
        "against end-to-end measurement. '%(prog)s build --help' lists a command's flags.",
    )
    parser.add_argument(
        "command",
        choices=tuple(SUBCOMMANDS),
        help="build: measure the layers of a space on a target; check: predict networks from "
        "the table and measure them end to end",
    )
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return SUBCOMMANDS[args.command](args.rest, prog)


def command(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """``python -m nas.latency`` and ``efficientnas latency``."""
    return run(lambda args: main(args, prog), prog, argv)


if __name__ == "__main__":
    raise SystemExit(command())
