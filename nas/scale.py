"""`python -m nas.scale`: compound scaling from a baseline to its B1..B7 family.

Step 1 (the grid search): fix phi = 1, train the baseline scaled by every (alpha, beta, gamma)
with alpha * beta^2 * gamma^2 ~= 2 on the proxy, at the proxy resolution times gamma; the best
validation accuracy wins (ties: fewer FLOPs). Step 2 (the family): d, w, r = alpha^phi,
beta^phi, gamma^phi for phi = 1..7. The ablation scales the baseline by depth only, width only,
resolution only and compound, each to the same FLOPs, and trains each on the same proxy.

Every training stage is an Optuna study in the output folder's storage, so a killed run resumes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

import baselines
from nas import cost, results
from nas.cli import Parser, resolve_arch, run
from nas.data import ProxyData, load_data, resized
from nas.objective import WORKER, worker_id
from nas.progress import Progress
from nas.scaling import (
    FamilyMember,
    compound,
    flops_factor,
    formula_family,
    grid_points,
    official_family,
    scale,
)
from nas.search import (
    PROXY_FLAGS,
    SearchConfig,
    add_proxy_arguments,
    finished_count,
    record_settings,
    resolve_device,
)
from nas.storage import open_storage, recover_stale_trials
from nas.train import TrainConfig, train_arch
from search_spaces import ArchSpec, build_model, encode, to_dict

PROG = "python -m nas.scale"
DIMENSIONS = ("depth", "width", "resolution")


@dataclass(frozen=True)
class ScaleConfig:
    """What to scale and how; ``proxy`` carries the data, training, storage and seed settings."""

    baseline: str = "efficientnet_b0"
    coefficients: tuple[float, float, float] | None = None
    official: bool = False
    phis: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
    grid_step: float = 0.05
    tolerance: float = 0.1
    repeats: int = 1
    train_family: bool = False
    ablation: bool = True
    ablation_factor: float = 4.0
    with_fvcore: bool = True
    with_latency: bool = True
    proxy: SearchConfig = dataclasses.field(default_factory=SearchConfig)

    def __post_init__(self) -> None:
        if self.coefficients is not None:
            if len(self.coefficients) != 3:
                raise ValueError(
                    f"--coefficients={self.coefficients!r} is invalid: give alpha,beta,gamma"
                )
            flops_factor(*self.coefficients)
        if not self.phis or any(not isinstance(p, int) or p < 1 for p in self.phis):
            raise ValueError(f"--phis={self.phis!r} is invalid: give whole numbers >= 1")
        if not isinstance(self.repeats, int) or self.repeats < 1:
            raise ValueError(f"--repeats={self.repeats!r} is invalid: must be an integer >= 1")
        if not (isinstance(self.ablation_factor, (int, float)) and self.ablation_factor > 1):
            raise ValueError(f"--ablation-factor={self.ablation_factor!r} is invalid: must be > 1")
        if self.coefficients is None and not grid_points(self.grid_step, self.tolerance):
            raise ValueError(
                f"--grid-step={self.grid_step!r} with --tolerance="
                f"{self.tolerance!r} leaves no grid point: widen the tolerance"
            )

    @functools.cached_property
    def arch(self) -> ArchSpec:
        return resolve_arch(self.baseline)

    @property
    def base_dropout(self) -> float:
        return baselines.dropout(self.baseline) if self.baseline in baselines.names() else 0.2

    @property
    def folder(self) -> Path:
        """results/<study>/scaling/ beside a search's best.json, else under --results-dir."""
        if self.proxy.study_name:
            return Path(self.proxy.results_dir) / self.proxy.study_name / "scaling"
        path = Path(self.baseline)
        if path.suffix == ".json":
            return path.parent / "scaling"
        name = self.baseline if self.baseline in baselines.names() else "custom"
        return Path(self.proxy.results_dir) / name / "scaling"


# ----------------------------------------------------------------------------- proxy training


class ProxyTrainer:
    """Trains any scaled network on the proxy data at the proxy resolution times its factor."""

    def __init__(self, data: ProxyData, config: TrainConfig) -> None:
        self.data = data
        self.config = config
        self._sizes: dict[int, ProxyData] = {}

    def data_at(self, factor: float) -> ProxyData:
        size = max(8, round(self.data.image_size * factor))
        if size not in self._sizes:
            self._sizes[size] = resized(self.data, size)
        return self._sizes[size]

    def accuracy(self, arch: ArchSpec, resolution_factor: float, seed: int) -> dict[str, float]:
        data = self.data_at(resolution_factor)
        result = train_arch(arch, data, self.config, seed=seed)
        return {
            "accuracy": result.accuracy,
            "seconds": result.seconds,
            "images_per_s": result.images_per_s,
            "proxy_resolution": data.image_size,
        }


def run_stage(
    config: ScaleConfig,
    stage: str,
    plan: dict[str, str],
    evaluate: Callable[[str, int], dict[str, Any]],
) -> optuna.Study:
    """Train every label of ``plan`` (label -> the network and proxy resolution it stands for)
    once, as a resumable Optuna study; a plan that changed since the study began is refused."""
    labels = list(plan)
    proxy = config.proxy
    storage = open_storage(proxy.storage, config.folder / "journal.log")
    sampler = optuna.samplers.GridSampler({"label": labels}, seed=proxy.seed)
    name = f"{config.folder.parent.name}-scaling-{stage}"
    study = optuna.create_study(
        study_name=name, storage=storage, sampler=sampler, direction="maximize", load_if_exists=True
    )
    record_settings(
        study,
        {"plan": plan, **proxy.identity()},
        f"remove {config.folder} or give another --study-name",
    )
    recover_stale_trials(study)

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER, worker_id())
        label = trial.suggest_categorical("label", labels)
        trial.set_user_attr("label", label)
        try:
            values = evaluate(label, trial.number)
        except Exception as error:
            trial.set_user_attr(results.REASON, f"{type(error).__name__}: {error}")
            raise
        for key, value in values.items():
            trial.set_user_attr(key, value)
        return values["accuracy"]

    done = finished_count(study)
    progress = Progress(len(labels), done, enabled=proxy.show_progress)
    progress.bar.set_description(stage)
    try:
        if done < len(labels):
            study.optimize(
                objective, n_trials=len(labels) - done, catch=(Exception,), callbacks=[progress]
            )
    finally:
        progress.close()
    return study


def stage_frame(study: optuna.Study) -> pd.DataFrame:
    """label -> the user attributes of its finished trial (the last one, if retried)."""
    rows = {}
    for trial in study.get_trials(deepcopy=False):
        if trial.state == optuna.trial.TrialState.COMPLETE:
            rows[trial.user_attrs["label"]] = {"trial": trial.number, **trial.user_attrs}
        elif trial.state == optuna.trial.TrialState.FAIL and results.REASON in trial.user_attrs:
            label = trial.params.get("label")
            rows.setdefault(
                label,
                {
                    "trial": trial.number,
                    "label": label,
                    results.REASON: trial.user_attrs[results.REASON],
                },
            )
    return pd.DataFrame(list(rows.values()))


# ----------------------------------------------------------------------------- step 1: the grid


def _point_label(alpha: float, beta: float, gamma: float, repeat: int) -> str:
    return f"{alpha:g},{beta:g},{gamma:g}#{repeat}"


def grid_search(config: ScaleConfig, trainer: ProxyTrainer) -> tuple[pd.DataFrame, tuple]:
    """Train the baseline scaled by every grid point at phi = 1; the table and the winner."""
    arch = config.arch
    points = grid_points(config.grid_step, config.tolerance)
    labels = [_point_label(*point, k) for point in points for k in range(config.repeats)]
    print(
        f"grid: {len(points)} points (step {config.grid_step:g}, |alpha*beta^2*gamma^2 - 2| "
        f"<= {config.tolerance:g}) x {config.repeats} seed(s) = {len(labels)} trainings",
        file=sys.stderr,
    )
    for alpha, beta, gamma in points:
        print(
            f"  alpha {alpha:<5g} beta {beta:<5g} gamma {gamma:<5g} "
            f"product {flops_factor(alpha, beta, gamma):.3f}",
            file=sys.stderr,
        )

    def evaluate(label: str, number: int) -> dict[str, Any]:
        point, repeat = label.split("#")
        alpha, beta, gamma = (float(x) for x in point.split(","))
        scaled = scale(arch, alpha, beta, gamma)
        values = trainer.accuracy(scaled, gamma, config.proxy.seed * 1000 + int(repeat))
        return values | {"flops": cost.flops(scaled), "params": cost.params(scaled)}

    plan = {label: f"{encode(arch)} scaled by {label.split('#')[0]}" for label in labels}
    study = run_stage(config, "grid", plan, evaluate)
    frame = stage_frame(study)
    if frame.empty or "accuracy" not in frame:
        raise ValueError("the grid search finished no point: see the failures above")
    frame[["alpha", "beta", "gamma"]] = (
        frame["label"].str.split("#").str[0].str.split(",", expand=True).astype(float)
    )
    frame["product"] = [
        flops_factor(a, b, g)
        for a, b, g in zip(frame["alpha"], frame["beta"], frame["gamma"], strict=True)
    ]
    table = (
        frame.dropna(subset=["accuracy"])
        .groupby(["alpha", "beta", "gamma"], as_index=False)
        .agg(
            product=("product", "first"),
            accuracy=("accuracy", "mean"),
            accuracy_std=("accuracy", "std"),
            seeds=("accuracy", "size"),
            flops=("flops", "first"),
            params=("params", "first"),
            proxy_resolution=("proxy_resolution", "first"),
        )
        .sort_values(["accuracy", "flops"], ascending=[False, True])
    )
    best = table.iloc[0]
    return table, (float(best["alpha"]), float(best["beta"]), float(best["gamma"]))


# ----------------------------------------------------------------------------- step 2: family


def member_row(
    member: FamilyMember,
    base: ArchSpec,
    source: str,
    config: ScaleConfig,
    coefficients: tuple[float, float, float] | None,
) -> dict[str, Any]:
    arch = member.apply(base)
    base_flops = cost.flops(base)
    row: dict[str, Any] = {
        "source": source,
        "model": member.name,
        "phi": member.phi,
        "depth": member.depth,
        "width": member.width,
        "resolution_factor": member.resolution / base.resolution,
        "resolution": member.resolution,
        "dropout": member.dropout,
        "params": cost.params(arch),
        "flops": cost.flops(arch),
    }
    row["flops_ratio"] = row["flops"] / base_flops
    # The formula's prediction; the official table follows no coefficients.
    row["constraint_ratio"] = (
        flops_factor(*coefficients) ** member.phi if source == "formula" else float("nan")
    )
    row["two_pow_phi"] = 2.0**member.phi
    if config.with_fvcore:
        row["fvcore_flops"] = cost.fvcore_flops(arch)
    if config.with_latency:
        model = build_model(arch, dropout=member.dropout)
        row["latency_ms"] = 1e3 * cost.latency(model, member.resolution, warmup=1, repeats=5)
        del model
    row["arch"] = encode(arch)
    return row


def family_tables(
    config: ScaleConfig, coefficients: tuple[float, float, float], trainer: ProxyTrainer | None
) -> tuple[pd.DataFrame, dict[int, dict]]:
    """The formula's family (and the official one with --official), and the b<phi>.json records."""
    base = config.arch
    formula = formula_family(
        *coefficients,
        phis=config.phis,
        base_resolution=base.resolution,
        base_dropout=config.base_dropout,
    )
    members = [("formula", m) for m in formula]
    if config.official:
        members += [("official", m) for m in official_family() if m.phi in config.phis]
    rows = [member_row(m, base, source, config, coefficients) for source, m in members]
    frame = pd.DataFrame(rows)
    if trainer is not None:
        labels = [f"{row['source']}:{row['model']}" for row in rows]
        by_label = dict(zip(labels, members, strict=True))

        def evaluate(label: str, number: int) -> dict[str, Any]:
            source, member = by_label[label]
            return trainer.accuracy(
                member.apply(base), member.resolution / base.resolution, config.proxy.seed
            )

        plan = {
            label: f"{row['arch']}@{row['resolution_factor']:g}"
            for label, row in zip(labels, rows, strict=True)
        }
        trained = stage_frame(run_stage(config, "family", plan, evaluate))
        accuracy = dict(
            zip(
                trained["label"],
                trained.get("accuracy", pd.Series([None] * len(trained))),
                strict=True,
            )
        )
        frame["accuracy"] = [accuracy.get(label) for label in labels]
    chosen = "official" if config.official else "formula"
    records = {}
    for (source, member), row in zip(members, rows, strict=True):
        if source == chosen:
            records[int(member.phi)] = {
                "name": member.name,
                "source": source,
                "phi": member.phi,
                "depth": member.depth,
                "width": member.width,
                "resolution": member.resolution,
                "dropout": member.dropout,
                "coefficients": list(coefficients) if source == "formula" else None,
                "arch": to_dict(member.apply(base)),
                "arch_string": row["arch"],
                "metrics": {key: row[key] for key in ("params", "flops", "flops_ratio")},
            }
    return frame, records


# ----------------------------------------------------------------------------- the ablation


def solve_factor(
    target: float,
    make: Callable[[float], ArchSpec],
    start: float = 1.0,
    step: float = 0.01,
    limit: float = 20.0,
) -> tuple[float, ArchSpec]:
    """The factor (on a ``step`` grid from ``start``) whose scaled network's FLOPs are nearest
    ``target``, by the closed-form cost: FLOPs grow in steps, so scan rather than bisect."""
    best: tuple[float, float, ArchSpec] | None = None
    factor = start
    while factor <= limit:
        arch = make(factor)
        flops = cost.flops(arch)
        gap = abs(flops - target)
        if best is None or gap < best[0]:
            best = (gap, factor, arch)
        if flops > target and best[0] < gap:
            break
        factor = round(factor + step, 6)
    assert best is not None
    return best[1], best[2]


def ablation_rows(config: ScaleConfig, coefficients: tuple[float, float, float]) -> list[dict]:
    """Baseline, depth-only, width-only, resolution-only and compound, each near the target."""
    base = config.arch
    target = config.ablation_factor * cost.flops(base)
    alpha, beta, gamma = coefficients
    makers: dict[str, Callable[[float], ArchSpec]] = {
        "depth": lambda d: scale(base, depth=d),
        "width": lambda w: scale(base, width=w),
        "resolution": lambda r: scale(base, resolution=r),
        "compound": lambda phi: scale(base, *compound(phi, alpha, beta, gamma)),
    }
    rows = [
        {
            "scaling": "baseline",
            "factor": 1.0,
            "depth": 1.0,
            "width": 1.0,
            "resolution_factor": 1.0,
            "arch": base,
        }
    ]
    for name, make in makers.items():
        factor, arch = solve_factor(target, make, start=0.0 if name == "compound" else 1.0)
        if name == "compound":  # the factor is phi
            d, w, r = compound(factor, alpha, beta, gamma)
        else:
            d, w, r = (factor if name == dim else 1.0 for dim in DIMENSIONS)
        rows.append(
            {
                "scaling": name,
                "factor": factor,
                "depth": d,
                "width": w,
                "resolution_factor": arch.resolution / base.resolution,
                "arch": arch,
            }
        )
    for row in rows:
        row["resolution"] = row["arch"].resolution
        row["params"] = cost.params(row["arch"])
        row["flops"] = cost.flops(row["arch"])
        row["flops_ratio"] = row["flops"] / cost.flops(base)
    return rows


def ablation(
    config: ScaleConfig, coefficients: tuple[float, float, float], trainer: ProxyTrainer
) -> pd.DataFrame:
    rows = ablation_rows(config, coefficients)
    by_label = {row["scaling"]: row for row in rows}

    def evaluate(label: str, number: int) -> dict[str, Any]:
        row = by_label[label]
        return trainer.accuracy(row["arch"], row["resolution_factor"], config.proxy.seed)

    plan = {
        label: f"{encode(row['arch'])}@{row['resolution_factor']:g}"
        for label, row in by_label.items()
    }
    trained = stage_frame(run_stage(config, "ablation", plan, evaluate))
    accuracy = (
        dict(zip(trained["label"], trained["accuracy"], strict=True))
        if "accuracy" in trained
        else {}
    )
    frame = pd.DataFrame(
        [
            {k: v for k, v in row.items() if k != "arch"}
            | {"accuracy": accuracy.get(row["scaling"]), "arch": encode(row["arch"])}
            for row in rows
        ]
    )
    return frame


# ----------------------------------------------------------------------------- plots


def write_plots(
    folder: Path, family: pd.DataFrame, ablation_table: pd.DataFrame | None, base_flops: float
) -> list[Path]:
    """family.png (FLOPs and accuracy along the family) and ablation.png, if matplotlib is
    installed (pip install 'efficientnas[plots]')."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no plots: pip install 'efficientnas[plots]' for matplotlib", file=sys.stderr)
        return []
    written = []
    trained = "accuracy" in family and family["accuracy"].notna().any()
    figure, axes = plt.subplots(
        1, 2 if trained else 1, figsize=(11 if trained else 6, 4.2), squeeze=False
    )
    left = axes[0][0]
    for source, rows in family.groupby("source"):
        left.plot(rows["phi"], rows["flops"] / 1e9, marker="o", label=f"{source} family")
    phis = sorted(family["phi"].unique())
    left.plot(
        phis,
        [base_flops * 2**p / 1e9 for p in phis],
        linestyle="--",
        color="grey",
        label="baseline x 2^phi",
    )
    left.set(
        xlabel="phi",
        ylabel="FLOPs (billions of multiply-adds)",
        yscale="log",
        title="FLOPs along the family",
    )
    left.legend()
    if trained:
        right = axes[0][1]
        for source, rows in family.groupby("source"):
            right.plot(
                rows["flops"] / 1e9, 100 * rows["accuracy"], marker="o", label=f"{source} family"
            )
            for _, row in rows.iterrows():
                right.annotate(
                    row["model"],
                    (row["flops"] / 1e9, 100 * row["accuracy"]),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        right.set(
            xlabel="FLOPs (billions)",
            ylabel="proxy top-1 accuracy (%)",
            xscale="log",
            title="Accuracy against FLOPs (proxy)",
        )
        right.legend()
    figure.tight_layout()
    path = folder / "family.png"
    figure.savefig(path, dpi=130)
    plt.close(figure)
    written.append(path)
    if ablation_table is not None and ablation_table["accuracy"].notna().any():
        figure, axis = plt.subplots(figsize=(6, 4.2))
        for _, row in ablation_table.iterrows():
            axis.scatter(row["flops"] / 1e9, 100 * row["accuracy"], s=40)
            axis.annotate(
                row["scaling"],
                (row["flops"] / 1e9, 100 * row["accuracy"]),
                xytext=(4, 4),
                textcoords="offset points",
            )
        axis.set(
            xlabel="FLOPs (billions of multiply-adds)",
            ylabel="proxy top-1 accuracy (%)",
            title="Scaling one dimension vs compound (same FLOPs)",
        )
        figure.tight_layout()
        path = folder / "ablation.png"
        figure.savefig(path, dpi=130)
        plt.close(figure)
        written.append(path)
    return written


# ----------------------------------------------------------------------------- the command


def run_scale(config: ScaleConfig) -> dict[str, pd.DataFrame]:
    """Grid search (unless coefficients are given), family, ablation; files in config.folder."""
    arch = config.arch
    folder = config.folder
    folder.mkdir(parents=True, exist_ok=True)
    needs_training = config.coefficients is None or config.train_family or config.ablation
    trainer = None
    if needs_training:
        device = resolve_device(config.proxy.device)
        trainer = ProxyTrainer(
            load_data(config.proxy.data_config, device), config.proxy.train_config
        )
    tables: dict[str, pd.DataFrame] = {}
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        coefficients = config.coefficients
        if coefficients is None:
            tables["grid"], coefficients = grid_search(config, trainer)
            results.write_csv(tables["grid"], folder / "grid.csv")
            print(
                f"grid search: alpha {coefficients[0]:g}, beta {coefficients[1]:g}, "
                f"gamma {coefficients[2]:g}",
                file=sys.stderr,
            )
        family, records = family_tables(
            config, coefficients, trainer if config.train_family else None
        )
        tables["family"] = family
        results.write_csv(family, folder / "family.csv")
        for phi, record in records.items():
            results.write_atomic(folder / f"b{phi}.json", json.dumps(record, indent=2) + "\n")
        if config.ablation:
            tables["ablation"] = ablation(config, coefficients, trainer)
            results.write_csv(tables["ablation"], folder / "ablation.csv")
        write_plots(folder, family, tables.get("ablation"), cost.flops(arch))
    finally:
        optuna.logging.set_verbosity(verbosity)
    return tables


def _coefficients(text: str) -> tuple[float, float, float]:
    parts = text.split(",")
    try:
        values = tuple(float(part) for part in parts)
    except ValueError:
        raise ValueError(
            f"--coefficients={text!r} is invalid: give alpha,beta,gamma, e.g. 1.2,1.1,1.15"
        ) from None
    if len(values) != 3 or not all(math.isfinite(v) and v >= 1 for v in values):
        raise ValueError(
            f"--coefficients={text!r} is invalid: three numbers >= 1, e.g. 1.2,1.1,1.15"
        )
    return values  # type: ignore[return-value]


def _phis(text: str) -> tuple[int, ...]:
    try:
        if "-" in text:
            low, high = (int(x) for x in text.split("-"))
            return tuple(range(low, high + 1))
        return tuple(int(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"--phis={text!r} is invalid: give 1-7 or 1,2,3") from None


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description=(
            "Compound scaling: grid-search alpha, beta, gamma at phi = 1 on the proxy, derive the "
            "family for phi = 1..7, and run the one-dimension-vs-compound ablation. Re-running the "
            "same command resumes it."
        ),
    )
    parser.add_argument(
        "--baseline",
        default="efficientnet_b0",
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
    add_proxy_arguments(parser)
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
    proxy_fields = {
        *PROXY_FLAGS,
        "seed",
        "results_dir",
        "study_name",
        "storage",
    }
    proxy = SearchConfig(
        **{k: v for k, v in vars(args).items() if k in proxy_fields},
        show_progress=not args.no_progress,
    )
    return ScaleConfig(
        baseline=args.baseline,
        coefficients=_coefficients(args.coefficients) if args.coefficients else None,
        official=args.official,
        phis=_phis(args.phis),
        grid_step=args.grid_step,
        tolerance=args.tolerance,
        repeats=args.repeats,
        train_family=args.train,
        ablation=not args.no_ablation,
        ablation_factor=args.ablation_factor,
        with_fvcore=not args.no_fvcore,
        with_latency=not args.no_latency,
        proxy=proxy,
    )


def _show(frame: pd.DataFrame, columns: list[str]) -> str:
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    arch = config.arch
    if args.dry_run:
        coefficients = config.coefficients or (1.2, 1.1, 1.15)
        if config.coefficients is None:
            points = grid_points(config.grid_step, config.tolerance)
            print(f"grid: {len(points)} points x {config.repeats} seed(s)")
        quick = dataclasses.replace(config, with_fvcore=False, with_latency=False)
        family, _ = family_tables(quick, coefficients, None)
        print(f"baseline {encode(arch)}: {cost.flops(arch) / 1e6:.1f}M FLOPs")
        print(
            _show(
                family,
                [
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
                ],
            )
        )
        return 0
    tables = run_scale(config)
    if "grid" in tables:
        print("grid search (best first):")
        print(
            _show(
                tables["grid"].head(10),
                ["alpha", "beta", "gamma", "product", "accuracy", "seeds", "flops"],
            )
        )
    print("\nfamily:")
    print(
        _show(
            tables["family"],
            [
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
            ],
        )
    )
    if "ablation" in tables:
        print("\nablation:")
        print(
            _show(
                tables["ablation"],
                [
                    "scaling",
                    "factor",
                    "depth",
                    "width",
                    "resolution",
                    "flops",
                    "flops_ratio",
                    "accuracy",
                ],
            )
        )
    print(f"\nwritten to {config.folder}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(run(main, PROG))
