"""The data each figure shows, computed before anything is drawn: one small info object per figure.

``figures`` draws these and nothing else, so what a figure says can be tested without reading
pixels: the Pareto mask, the reward isolines, the family's lines, the ablation's points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nas.report.canvas import study_color
from nas.report.inputs import Scaling, Study
from nas.reward import LatencyReward, RewardConfig

MAX_IMPORTANCE_BARS = 20
ABLATION_ORDER = ("depth", "width", "resolution", "compound")
ABLATION_MARKERS = dict(zip(ABLATION_ORDER, "s^Dv", strict=True))
ISOLINE_QUANTILES = (0.1, 0.5, 1.0)


def pareto_mask(flops: Sequence[float], accuracy: Sequence[float]) -> np.ndarray:
    """True for the points no other point beats: as accurate or more with fewer or equal FLOPs
    (and strictly better in one of them)."""
    flops = np.asarray(flops, dtype=float)
    accuracy = np.asarray(accuracy, dtype=float)
    order = np.lexsort((-accuracy, flops))  # by FLOPs, the more accurate first on ties
    mask = np.zeros(len(flops), dtype=bool)
    best = -np.inf
    for index in order:
        if accuracy[index] > best:
            mask[index] = True
            best = accuracy[index]
    return mask


def describe_reward(config: RewardConfig | LatencyReward) -> str:
    """``T = 400M, w = -0.07`` (or alpha and beta apart); ``T = 20 ms, ...`` on latency."""
    exponent = (
        f"w = {config.alpha:g}"
        if config.alpha == config.beta
        else f"alpha = {config.alpha:g}, beta = {config.beta:g}"
    )
    if isinstance(config, LatencyReward):
        return f"T = {config.target_ms:g} ms, {exponent}"
    return f"T = {config.target_flops / 1e6:g}M, {exponent}"


def isoline(config: RewardConfig, level: float, millions: np.ndarray) -> np.ndarray:
    """The accuracy (%) at which a network of ``millions`` MFLOPs has reward ``level``:
    ACC = R / (FLOPs/T)^w."""
    factor = np.array([config(1.0, m * 1e6) for m in millions])
    return 100 * level / factor


@dataclass(frozen=True, eq=False)
class StudyPoints:
    """One study on the Pareto figure: its trials, its front, its references and winner
    (FLOPs in millions, accuracy in %)."""

    label: str
    color: str
    points: pd.DataFrame  # millions, percent
    front: pd.DataFrame  # millions, percent, by FLOPs
    references: tuple[tuple[str, pd.DataFrame], ...]  # (name, millions and percent)
    winner: tuple[int, float, float, float] | None  # (number, reward, millions, percent)


@dataclass(frozen=True)
class RewardLines:
    """Curves of equal reward for the studies that share one reward setting."""

    config: RewardConfig
    levels: tuple[float, ...]
    owner: str  # "" when every study shares the setting, else "<first study>: "


@dataclass(frozen=True, eq=False)
class ParetoInfo:
    studies: tuple[StudyPoints, ...]
    rewards: tuple[RewardLines, ...]
    resolution: str  # "224 px" or "the deployment resolution"


def _in_units(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"millions": frame["flops"] / 1e6, "percent": 100 * frame["accuracy"]})


def pareto_info(studies: Sequence[Study]) -> ParetoInfo:
    """Every complete trial, each study's front, references and winner; the reward levels."""
    shown = []
    for index, study in enumerate(studies):
        done = study.complete
        if done.empty:
            continue
        front = done[pareto_mask(done["flops"], done["accuracy"])].sort_values("flops")
        winner = study.winner
        shown.append(
            StudyPoints(
                label=study.label,
                color=study_color(index),
                points=_in_units(done),
                front=_in_units(front),
                references=tuple(
                    (str(name), _in_units(rows))
                    for name, rows in done[done["reference"] != ""].groupby("reference")
                ),
                winner=None
                if winner is None
                else (
                    int(winner["number"]),
                    float(winner["reward"]),
                    winner["flops"] / 1e6,
                    100 * winner["accuracy"],
                ),
            )
        )
    configs: dict[RewardConfig, list[Study]] = {}
    for study in studies:
        if isinstance(study.reward, RewardConfig):  # a latency reward's lines are not in FLOPs
            configs.setdefault(study.reward, []).append(study)
    rewards = []
    for config, members in configs.items():
        values = pd.concat([s.complete["reward"] for s in members]).dropna()
        if values.empty:
            continue
        levels = sorted({round(float(q), 4) for q in np.quantile(values, ISOLINE_QUANTILES)})
        owner = "" if len(configs) == 1 else f"{members[0].label}: "
        rewards.append(RewardLines(config, tuple(levels), owner))
    resolutions = {study.resolution for study in studies}
    at = f"{resolutions.pop()} px" if len(resolutions) == 1 else "the deployment resolution"
    return ParetoInfo(tuple(shown), tuple(rewards), at)


@dataclass(frozen=True, eq=False)
class HistoryLine:
    label: str
    color: str
    numbers: pd.Series
    rewards: pd.Series
    best: pd.Series  # the best reward so far


def history_info(studies: Sequence[Study]) -> list[HistoryLine]:
    """Each study's complete trials' rewards by trial number, and the best so far."""
    lines = []
    for index, study in enumerate(studies):
        done = study.complete.sort_values("number")
        if done.empty:
            continue
        lines.append(
            HistoryLine(
                study.label,
                study_color(index),
                done["number"],
                done["reward"],
                done["reward"].cummax(),
            )
        )
    return lines


@dataclass(frozen=True, eq=False)
class ImportanceBars:
    """The most important parameters (rows, the largest last) by study (columns)."""

    wide: pd.DataFrame
    colors: tuple[str, ...]
    total: int  # parameters in the table, shown or not


def importance_bars(table: pd.DataFrame) -> ImportanceBars:
    """The bars of an importances table (study, parameter, importance)."""
    labels = list(dict.fromkeys(table["study"]))
    wide = table.pivot_table(index="parameter", columns="study", values="importance").fillna(0.0)
    wide = wide[labels]
    order = wide.mean(axis=1).sort_values(ascending=False).index[:MAX_IMPORTANCE_BARS]
    colors = tuple(study_color(index) for index in range(len(labels)))
    return ImportanceBars(wide.loc[order[::-1]], colors, table["parameter"].nunique())


def flops_unit(values: Sequence[float]) -> tuple[float, str]:
    """(divisor, name) of the FLOPs unit for these values: billions or millions."""
    return (1e9, "billions") if max(values, default=0) >= 1e9 else (1e6, "millions")


@dataclass(frozen=True, eq=False)
class FamilyLine:
    """One family (one source in one scaling folder) from phi 0 up, in the figure's units."""

    label: str
    color: str
    phi: pd.Series
    flops: pd.Series  # in the info's unit
    params: pd.Series  # millions
    percent: pd.Series  # accuracy in %, NaN where untrained
    models: pd.Series


@dataclass(frozen=True, eq=False)
class FamilyInfo:
    lines: tuple[FamilyLine, ...]
    trained: bool
    unit: str
    doubling: tuple[np.ndarray, np.ndarray] | None  # (phi, baseline FLOPs x 2^phi), untrained


def family_info(scalings: Sequence[Scaling]) -> FamilyInfo:
    """The family lines of the scaling folders that have a family; the baseline (phi 0)
    first where the ablation table knows it."""
    scalings = [s for s in scalings if s.family is not None]
    rows_by_line = []
    for index, scaling in enumerate(scalings):
        for number, (source, rows) in enumerate(scaling.family.groupby("source", sort=False)):
            rows = rows.sort_values("phi")
            if scaling.baseline is not None:
                rows = pd.concat([scaling.baseline.to_frame().T, rows], ignore_index=True)
            label = f"{source} family" if len(scalings) == 1 else f"{scaling.label}: {source}"
            rows_by_line.append((label, study_color(index * 2 + number), rows))
    divisor, unit = flops_unit([float(f) for _, _, rows in rows_by_line for f in rows["flops"]])
    lines = []
    for label, color, rows in rows_by_line:
        accuracy = rows["accuracy"] if "accuracy" in rows else pd.Series(np.nan, index=rows.index)
        lines.append(
            FamilyLine(
                label=label,
                color=color,
                phi=rows["phi"].astype(float),
                flops=rows["flops"].astype(float) / divisor,
                params=rows["params"].astype(float) / 1e6,
                percent=100 * pd.to_numeric(accuracy, errors="coerce"),
                models=rows["model"],
            )
        )
    trained = any(s.trained for s in scalings)
    doubling = None if trained or not scalings else _doubling(scalings[0].family, divisor)
    return FamilyInfo(tuple(lines), trained, unit, doubling)


def _doubling(family: pd.DataFrame, divisor: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The baseline's FLOPs times 2^phi, the target compound scaling aims at."""
    if "flops_ratio" not in family or family.empty:
        return None
    base = float((family["flops"] / family["flops_ratio"]).median())
    phis = np.arange(0, int(family["phi"].max()) + 1)
    return phis, base * 2.0**phis / divisor


@dataclass(frozen=True, eq=False)
class AblationLine:
    """One way of scaling, from the baseline to its row (accuracy in %)."""

    label: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    marker: str
    color: str
    linestyle: str


@dataclass(frozen=True, eq=False)
class AblationGroup:
    """One scaling folder's ablation: bars of FLOPs ratios when untrained; else the baseline
    point (x, y, legend label or None) and a line per way of scaling."""

    bars: tuple[tuple[str, ...], tuple[float, ...], str, str] | None  # names, ratios, label, color
    base: tuple[float, float, str | None] | None
    lines: tuple[AblationLine, ...]


@dataclass(frozen=True, eq=False)
class AblationInfo:
    groups: tuple[AblationGroup, ...]
    trained: bool
    unit: str


def ablation_info(scalings: Sequence[Scaling]) -> AblationInfo:
    """Depth, width, resolution and compound scaling at the same FLOPs, per scaling folder."""
    tables = [(s, s.ablation) for s in scalings if s.ablation is not None]
    trained = any(s.ablation_trained for s, _ in tables)
    divisor, unit = flops_unit([float(f) for _, t in tables for f in t["flops"]])
    groups = []
    for index, (scaling, table) in enumerate(tables):
        prefix = "" if len(tables) == 1 else f"{scaling.label}: "
        rows = table.set_index("scaling")
        if not trained:
            named = tuple(name for name in ABLATION_ORDER if name in rows.index)
            ratios = tuple(float(r) for r in rows.loc[list(named), "flops_ratio"])
            label = f"{prefix}FLOPs / baseline FLOPs"
            groups.append(AblationGroup((named, ratios, label, study_color(index)), None, ()))
            continue
        base = rows.loc["baseline"] if "baseline" in rows.index else None
        point = None
        if base is not None:
            shown = f"{prefix}baseline" if index == 0 or prefix else None
            point = (base["flops"] / divisor, 100 * base.get("accuracy", np.nan), shown)
        lines = []
        for number, name in enumerate(ABLATION_ORDER):
            if name not in rows.index:
                continue
            row = rows.loc[name]
            factor = f"phi {row['factor']:g}" if name == "compound" else f"x{row['factor']:g}"
            points = [row] if base is None else [base, row]
            lines.append(
                AblationLine(
                    label=f"{prefix}{name} scaling ({factor})",
                    xs=tuple(p["flops"] / divisor for p in points),
                    ys=tuple(100 * p.get("accuracy", np.nan) for p in points),
                    marker=ABLATION_MARKERS[name],
                    color=f"C{number}",
                    linestyle="-" if index == 0 else "--",
                )
            )
        groups.append(AblationGroup(None, point, tuple(lines)))
    return AblationInfo(tuple(groups), trained, unit)


LATENCY = "latency_ms"


@dataclass(frozen=True, eq=False)
class LatencyPoints:
    """One study on the latency figure: its trials and front (predicted ms, accuracy in %),
    its winner, and its latency reward (None when it weighed FLOPs)."""

    label: str
    color: str
    points: pd.DataFrame  # ms, percent
    front: pd.DataFrame
    winner: tuple[int, float, float, float] | None  # number, reward, ms, percent
    reward: LatencyReward | None


def latency_info(studies: Sequence[Study]) -> list[LatencyPoints]:
    """The studies whose trials have a predicted latency, each with its Pareto front."""
    shown = []
    for index, study in enumerate(studies):
        done = study.complete
        if LATENCY not in done.columns or done[LATENCY].isna().all():
            continue
        done = done[done[LATENCY].notna()]
        front = done[pareto_mask(done[LATENCY], done["accuracy"])].sort_values(LATENCY)
        winner = study.winner

        def units(frame: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame({"ms": frame[LATENCY], "percent": 100 * frame["accuracy"]})

        shown.append(
            LatencyPoints(
                study.label,
                study_color(index),
                units(done),
                units(front),
                None
                if winner is None or pd.isna(winner.get(LATENCY))
                else (
                    int(winner["number"]),
                    float(winner["reward"]),
                    float(winner[LATENCY]),
                    100 * float(winner["accuracy"]),
                ),
                study.reward if isinstance(study.reward, LatencyReward) else None,
            )
        )
    return shown
