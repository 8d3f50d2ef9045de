"""`python -m nas.scale`: parse the flags, run compound scaling, print its tables.

Step 1 (the grid search): fix phi = 1, train the baseline scaled by every (alpha, beta, gamma)
with alpha * beta^2 * gamma^2 ~= 2 on the proxy; the best validation accuracy wins. Step 2 (the
family): d, w, r = alpha^phi, beta^phi, gamma^phi for phi = 1..7. The ablation scales the
baseline by depth only, width only, resolution only and compound, each to the same FLOPs.
Running the same command again resumes it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

import baselines
from nas import cost
from nas.cli.common import Parser, add_proxy_arguments, proxy_from_args, run
from nas.cli.progress import TrialProgress
from nas.errors import ConfigError
from nas.export.task import study_data
from nas.proxy import DEFAULT_DATASET
from nas.scale import ScaleConfig, preview, run_scale
from search_spaces import encode

PROG = "python -m nas.scale"

DRY_RUN_COLUMNS = [
    "source",
    "model",
    "phi",
    "depth",
    "width",
    "resolution",
    "params",
    "flops",
    "flops_ratio",
    "constraint_ratio",
    "two_pow_phi",
]
GRID_COLUMNS = ["alpha", "beta", "gamma", "product", "accuracy", "seeds", "flops"]
FAMILY_COLUMNS = [
    "source",
    "model",
    "phi",
    "depth",
    "width",
    "resolution",
    "params",
    "flops",
    "fvcore_flops",
    "flops_ratio",
    "constraint_ratio",
    "two_pow_phi",
    "latency_ms",
    "accuracy",
]
ABLATION_COLUMNS = [
    "scaling",
    "factor",
    "depth",
    "width",
    "resolution",
    "flops",
    "flops_ratio",
    "accuracy",
]
NO_PLOTS = "no plots: pip install 'efficientnas[plots]' for matplotlib"


def parse_coefficients(text: str) -> tuple[float, float, float]:
    """``alpha,beta,gamma``, three numbers >= 1."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(
            "coefficients", text, "give alpha,beta,gamma, e.g. 1.2,1.1,1.15"
        ) from None
    if len(values) != 3 or not all(math.isfinite(v) and v >= 1 for v in values):
        raise ConfigError("coefficients", text, "three numbers >= 1, e.g. 1.2,1.1,1.15")
    return values  # type: ignore[return-value]


def parse_phis(text: str) -> tuple[int, ...]:
    """``1-7`` or ``1,2,3``."""
    try:
        if "-" in text:
            low, high = (int(x) for x in text.split("-"))
            return tuple(range(low, high + 1))
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise ConfigError("phis", text, "give 1-7 or 1,2,3") from None


def build_parser(prog: str = PROG) -> Parser:
    parser = Parser(
        prog=prog,
        description=(
            "Compound scaling: grid-search alpha, beta, gamma at phi = 1 on the proxy, derive the "
            "family for phi = 1..7, and run the one-dimension-vs-compound ablation. Re-running the "
            "same command resumes it."
        ),
    )
    parser.add_argument(
        "--baseline",
        default=baselines.DEFAULT_REFERENCE,
        help="a search's best.json, a baseline name or an architecture string",
    )
    group = parser.add_argument_group("scaling")
    group.add_argument(
        "--coefficients",
        type=str,
        default=None,
        help="alpha,beta,gamma (the paper's: 1.2,1.1,1.15): skip the grid search",
    )
    group.add_argument("--grid-step", type=float, default=0.05)
    group.add_argument(
        "--tolerance",
        type=float,
        default=0.1,
        help="|alpha*beta^2*gamma^2 - 2| allowed on the grid",
    )
    group.add_argument("--repeats", type=int, default=1, help="seeds averaged per grid point")
    group.add_argument("--phis", default="1-7", help="family members: 1-7 or 1,2,3")
    group.add_argument(
        "--official",
        action="store_true",
        help="write the official B1..B7 table (b<phi>.json), beside the formula's",
    )
    group.add_argument(
        "--train",
        action="store_true",
        help="train every family member on the proxy and add its accuracy",
    )
    group.add_argument("--no-ablation", action="store_true", help="skip the ablation")
    group.add_argument(
        "--ablation-factor",
        type=float,
        default=4.0,
        help="the ablation's FLOPs target, as a multiple of the baseline's",
    )
    group.add_argument("--no-fvcore", action="store_true", help="skip fvcore counts")
    group.add_argument("--no-latency", action="store_true", help="skip latency measurements")
    group.add_argument(
        "--latency-table",
        default=None,
        help="a latency table (python -m nas.latency build): each member's predicted latency "
        "too (family.csv's predicted_latency_ms), the layers it lacks measured first",
    )
    add_proxy_arguments(parser, study_data=True)
    group = parser.add_argument_group("study")
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--results-dir", default="results")
    group.add_argument(
        "--study-name",
        default=None,
        help="outputs go to RESULTS_DIR/<study>/scaling (default: beside "
        "best.json, or RESULTS_DIR/<baseline>/scaling)",
    )
    group.add_argument("--storage", default=None, help="as for nas.search")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the grid and the family's cost, then exit"
    )
    return parser


def config_from_args(args: Any) -> ScaleConfig:
    if args.dataset is None:  # a search's best.json: scale on the data it searched
        study = study_data(args.baseline)
        args.dataset = study.get("dataset", DEFAULT_DATASET)
        for name in ("data_dir", "image_size", "resize", "val_fraction"):
            if getattr(args, name, None) is None and name in study:
                setattr(args, name, study[name])
    proxy = proxy_from_args(args)
    return ScaleConfig(
        baseline=args.baseline,
        coefficients=parse_coefficients(args.coefficients) if args.coefficients else None,
        official=args.official,
        phis=parse_phis(args.phis),
        grid_step=args.grid_step,
        tolerance=args.tolerance,
        repeats=args.repeats,
        train_family=args.train,
        ablation=not args.no_ablation,
        ablation_factor=args.ablation_factor,
        with_fvcore=not args.no_fvcore,
        with_latency=not args.no_latency,
        latency_table=args.latency_table,
        proxy=proxy,
        results_dir=args.results_dir,
        study_name=args.study_name,
        storage=args.storage,
        show_progress=not args.no_progress,
    )


def show(frame: pd.DataFrame, columns: list[str]) -> str:
    """The table's ``columns`` (those it has) as text: FLOPs in millions, accuracy in %."""
    shown = frame[[c for c in columns if c in frame]].copy()
    for column in ("flops", "fvcore_flops"):
        if column in shown:
            shown[column] = (shown[column] / 1e6).map("{:,.1f}M".format)
    if "params" in shown:
        shown["params"] = shown["params"].map("{:,.0f}".format)
    if "accuracy" in shown:
        shown["accuracy"] = shown["accuracy"].map(
            lambda a: "" if a is None or a != a else f"{a:.2%}"
        )
    return shown.to_string(index=False, float_format=lambda x: f"{x:.3f}")


def draw_figures(folder: Path) -> list[Path]:
    """family.png and ablation.png in ``folder``; a line on stderr without matplotlib."""
    from nas.report import PlotsUnavailable, scaling_figures

    try:
        return scaling_figures(folder)
    except PlotsUnavailable:
        print(NO_PLOTS, file=sys.stderr)
        return []


def dry_run(config: ScaleConfig) -> str:
    points, family = preview(config)
    lines = [] if points is None else [f"grid: {points} points x {config.repeats} seed(s)"]
    arch = config.arch
    lines.append(f"baseline {encode(arch)}: {cost.flops(arch) / 1e6:.1f}M FLOPs")
    lines.append(show(family, DRY_RUN_COLUMNS))
    return "\n".join(lines)


def summary(tables: dict[str, pd.DataFrame], folder: Path) -> str:
    parts = []
    if "grid" in tables:
        parts.append("grid search (best first):\n" + show(tables["grid"].head(10), GRID_COLUMNS))
    parts.append("\nfamily:\n" + show(tables["family"], FAMILY_COLUMNS))
    if "ablation" in tables:
        parts.append("\nablation:\n" + show(tables["ablation"], ABLATION_COLUMNS))
    parts.append(f"\nwritten to {folder}/")
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    args = build_parser(prog).parse_args(argv)
    config = config_from_args(args)
    if args.dry_run:
        print(dry_run(config))
        return 0
    tables = run_scale(config, progress=TrialProgress)
    draw_figures(config.folder)
    print(summary(tables, config.folder))
    return 0


def command(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """``python -m nas.scale`` and ``efficientnas scale``."""
    return run(lambda args: main(args, prog), prog, argv)


if __name__ == "__main__":
    raise SystemExit(command())
