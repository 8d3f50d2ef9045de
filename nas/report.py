"""`python -m nas.report PATH...`: the top-k table, the Pareto front, the reward history,
parameter importances and the compound-scaling figures of one or more studies, in one
self-contained HTML page; ``--cam`` adds class activation maps of trained checkpoints.

The Python API is ``make_report(paths, out=None, ...) -> {file name: path written}``.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import html
import json
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

import baselines
from nas import checkpoint, plots, results
from nas.cli import Parser, run
from nas.reward import RewardConfig
from search_spaces.mnasnet import MnasSpace

PROG = "python -m nas.report"
SCALING_FILES = ("family.csv", "ablation.csv", "grid.csv")
CHOICE_COLUMN = re.compile(r"b(\d+)_([a-z_]+)")
DEFAULT_TARGET_FLOPS = 400e6
DEFAULT_W = -0.07
IMPORTANCE_TRIALS_ABOVE = 5  # PED-ANOVA wants about this many trials in its top quantile
SCALING_REQUIRED = {
    "family.csv": ("source", "model", "phi", "params", "flops"),
    "ablation.csv": ("scaling", "flops", "flops_ratio"),
    "grid.csv": ("alpha", "beta", "gamma"),
}


# ----------------------------------------------------------------------------- the inputs


@dataclass(frozen=True, eq=False)
class Study:
    """One study's trials and the settings its figures need (from config.json if present)."""

    label: str
    folder: Path
    frame: pd.DataFrame
    reward: RewardConfig
    resolution: int = 224
    reference: str = "efficientnet_b0"

    @property
    def complete(self) -> pd.DataFrame:
        """Complete trials with an accuracy, a reward and FLOPs."""
        frame = self.frame
        usable = (
            (frame["state"] == "COMPLETE")
            & frame["accuracy"].notna()
            & frame["reward"].notna()
            & (frame["flops"] > 0)
        )
        return frame[usable]

    @property
    def winner(self) -> pd.Series | None:
        return results.best_row(self.complete)

    @property
    def journal(self) -> Path | None:
        path = self.folder / "journal.log"
        return path if path.is_file() else None


@dataclass(frozen=True, eq=False)
class Scaling:
    """A compound-scaling folder's tables (None where the file is absent)."""

    label: str
    folder: Path
    family: pd.DataFrame | None
    ablation: pd.DataFrame | None
    grid: pd.DataFrame | None

    @property
    def trained(self) -> bool:
        family = self.family
        return family is not None and "accuracy" in family and family["accuracy"].notna().any()

    @property
    def baseline(self) -> pd.Series | None:
        """The unscaled network (phi 0) as a family row, from the ablation table."""
        table = self.ablation
        if table is None:
            return None
        rows = table[table["scaling"] == "baseline"]
        if rows.empty:
            return None
        row = rows.iloc[0]
        return pd.Series(
            {
                "source": "baseline",
                "model": "baseline",
                "phi": 0,
                "params": row.get("params", math.nan),
                "flops": row["flops"],
                "accuracy": row.get("accuracy", math.nan),
            }
        )


@dataclass(frozen=True)
class CamConfig:
    """Class activation maps: checkpoint folders and where the images come from."""

    checkpoints: tuple[str, ...]
    images: str | None = None
    dataset: str | None = None
    data_dir: str | None = None
    count: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.checkpoints:
            raise ValueError("--cam needs at least one checkpoint folder")
        if (self.images is None) == (self.dataset is None):
            raise ValueError("--cam needs the images: give --images FOLDER or --dataset NAME")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"--count={self.count!r} is invalid: must be an integer >= 1")


def read_settings(folder: Path) -> dict[str, Any]:
    """The study's config.json, or {} when there is none."""
    path = folder / "config.json"
    if not path.is_file():
        return {}
    try:
        settings = json.loads(path.read_text())
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{str(path)!r} is not valid JSON: {error}") from None
    if not isinstance(settings, dict):
        raise ValueError(f"{str(path)!r} does not hold a JSON object")
    return settings


def reward_config(
    settings: dict[str, Any], target_flops: float | None, w: float | None
) -> RewardConfig:
    """T and the exponents: a flag given wins, then config.json, then 400e6 and -0.07."""
    if target_flops is None:
        target_flops = settings.get("target_flops") or DEFAULT_TARGET_FLOPS
    if w is not None:
        alpha = beta = w
    else:
        base = settings.get("w")
        base = DEFAULT_W if base is None else base
        alpha = settings.get("alpha")
        beta = settings.get("beta")
        alpha = base if alpha is None else alpha
        beta = base if beta is None else beta
    try:
        return RewardConfig(float(target_flops), float(alpha), float(beta))
    except (TypeError, ValueError) as error:
        raise ValueError(f"the reward's settings are invalid: {error}") from None


def kind_of(path: Path) -> str:
    """``study`` (a folder with trials.csv, or any file) or ``scaling`` (a scaling folder)."""
    if not path.exists():
        raise FileNotFoundError(f"{str(path)!r} does not exist")
    if path.is_file() or (path / "trials.csv").is_file():
        return "study"
    if any((path / name).is_file() for name in SCALING_FILES):
        return "scaling"
    raise FileNotFoundError(
        f"no trials.csv in {str(path)!r} (nor a scaling folder's {', '.join(SCALING_FILES)})"
    )


def _label(folder: Path) -> str:
    folder = folder.resolve()
    return f"{folder.parent.name}/{folder.name}" if folder.name == "scaling" else folder.name


def load_study(path: Path, target_flops: float | None, w: float | None) -> Study:
    frame = results.load(path)
    folder = path if path.is_dir() else path.parent
    settings = read_settings(folder)
    return Study(
        label=_label(folder),
        folder=folder,
        frame=frame,
        reward=reward_config(settings, target_flops, w),
        resolution=int(settings.get("resolution") or 224),
        reference=str(settings.get("reference") or _reference_of(frame)),
    )


def _reference_of(frame: pd.DataFrame) -> str:
    """The space's reference baseline, from the reference trial's row (no config.json)."""
    named = [name for name in frame["reference"] if name in baselines.names()]
    return named[0] if named else "efficientnet_b0"


def _read_table(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"{str(path)!r} is not a readable CSV: {first}") from None
    missing = [c for c in SCALING_REQUIRED[path.name] if c not in table.columns]
    if missing:
        raise ValueError(f"{str(path)!r}: missing column(s) {', '.join(missing)}")
    return table


def load_scaling(folder: Path) -> Scaling:
    tables = {name: _read_table(folder / name) for name in SCALING_FILES}
    return Scaling(
        label=_label(folder),
        folder=folder,
        family=tables["family.csv"],
        ablation=tables["ablation.csv"],
        grid=tables["grid.csv"],
    )


def _unique_labels(items: list[Any]) -> list[Any]:
    """Studies from different results folders may share a name: add the parent's."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.label] = counts.get(item.label, 0) + 1
    renamed = []
    for item in items:
        if counts[item.label] > 1:
            parent = item.folder.resolve().parent
            item = dataclasses.replace(item, label=f"{parent.name}/{item.label}")
        renamed.append(item)
    return renamed


def load_inputs(
    paths: Sequence[str | Path], target_flops: float | None = None, w: float | None = None
) -> tuple[list[Study], list[Scaling]]:
    """The studies and scaling folders ``paths`` name; a study folder's ``scaling/`` too."""
    studies: list[Study] = []
    scalings: list[Scaling] = []
    for given in paths:
        path = Path(given)
        if kind_of(path) == "scaling":
            scalings.append(load_scaling(path))
            continue
        studies.append(load_study(path, target_flops, w))
        nested = path / "scaling"
        if path.is_dir() and any((nested / name).is_file() for name in SCALING_FILES):
            scalings.append(load_scaling(nested))
    return _unique_labels(studies), _unique_labels(scalings)


# ----------------------------------------------------------------------------- tables


def top_rows(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """The k best complete trials by reward (ties: fewer FLOPs), with a rank, and every
    reference trial wherever it ranks."""
    done = frame[(frame["state"] == "COMPLETE") & frame["reward"].notna()]
    ranked = done.sort_values(["reward", "flops", "number"], ascending=[False, True, True])
    ranked = ranked.reset_index(drop=True)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    rest = ranked.iloc[k:]
    return pd.concat([ranked.head(k), rest[rest["reference"] != ""]])


def top_csv(studies: Sequence[Study], k: int) -> pd.DataFrame:
    parts = []
    for study in studies:
        rows = top_rows(study.frame, k)
        columns = ["rank", "number", "reward", "accuracy", "flops", "params", "seconds"]
        part = rows[columns + ["reference", "arch"]].rename(columns={"number": "trial"})
        part.insert(0, "study", study.label)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _number(value: Any, template: str) -> str:
    return "" if value is None or pd.isna(value) else template.format(value)


def display_rows(rows: pd.DataFrame, with_arch: bool = True) -> pd.DataFrame:
    """The ranked rows as text, for the markdown, HTML and printed tables."""
    table = pd.DataFrame(
        {
            "rank": rows["rank"].map(str),
            "trial": rows["number"].map(lambda n: str(int(n))),
            "reward": rows["reward"].map(lambda v: _number(v, "{:.4f}")),
            "accuracy": rows["accuracy"].map(lambda v: _number(v, "{:.2%}")),
            "MFLOPs": rows["flops"].map(lambda v: _number(v / 1e6, "{:,.1f}")),
            "params": rows["params"].map(lambda v: _number(v, "{:,.0f}")),
            "seconds": rows["seconds"].map(lambda v: _number(v, "{:.1f}")),
            "reference": rows["reference"].map(str),
        }
    )
    if with_arch:
        table["arch"] = rows["arch"].map(lambda a: "" if pd.isna(a) else str(a))
    return table


TEXT_COLUMNS = {
    "reference",
    "arch",
    "study",
    "parameter",
    "model",
    "source",
    "scaling",
    "folder",
    "reward settings",
}


def markdown_table(table: pd.DataFrame, code: Sequence[str] = ("arch",)) -> str:
    """A GitHub-flavoured markdown table; text columns left-aligned, numbers right; ``code``
    columns in backticks (architecture strings hold underscores)."""

    def cell(column: str, value: Any) -> str:
        text = str(value).replace("|", "\\|")
        return f"`{text}`" if column in code and text else text

    align = ["---" if c in TEXT_COLUMNS else "---:" for c in table.columns]
    lines = ["| " + " | ".join(table.columns) + " |", "| " + " | ".join(align) + " |"]
    for row in table.itertuples(index=False):
        cells = (cell(c, v) for c, v in zip(table.columns, row, strict=True))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def html_table(table: pd.DataFrame, code: Sequence[str] = ("arch",)) -> str:
    """An HTML table, every cell escaped; ``code`` columns in <code>."""
    head = "".join(
        f'<th class="{"text" if c in TEXT_COLUMNS else "num"}">{html.escape(str(c))}</th>'
        for c in table.columns
    )
    body = []
    for row in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            text = "" if _missing(value) else html.escape(str(value))
            if column in code and text:
                text = f"<code>{text}</code>"
            kind = "text" if column in TEXT_COLUMNS else "num"
            cells.append(f'<td class="{kind}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def study_summary(study: Study) -> dict[str, Any]:
    states = study.frame["state"].value_counts()
    winner = study.winner
    return {
        "study": study.label,
        "trials": len(study.frame),
        "complete": int(states.get("COMPLETE", 0)),
        "pruned": int(states.get("PRUNED", 0)),
        "failed": int(states.get("FAIL", 0)),
        "best trial": "" if winner is None else str(int(winner["number"])),
        "best reward": "" if winner is None else f"{winner['reward']:.4f}",
        "reward settings": plots.describe_reward(study.reward),
        "folder": str(study.folder),
    }


# ----------------------------------------------------------------------------- importances


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """No Optuna log lines or warnings (small studies make PED-ANOVA warn)."""
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        optuna.logging.set_verbosity(verbosity)


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _same(choice: Any, value: Any) -> bool:
    """Whether a CSV cell (a number, a bool or their text) is the choice ``choice``."""
    value = _plain(value)
    if isinstance(choice, bool) or isinstance(value, bool):
        return str(choice) == str(value)
    if isinstance(choice, (int, float)):
        try:
            return float(value) == float(choice)
        except (TypeError, ValueError):
            return False
    return str(choice) == str(value)


def _match(value: Any, choices: Sequence[Any]) -> Any:
    for choice in choices:
        if _same(choice, value):
            return choice
    raise ValueError(f"{value!r} is not among {choices!r}")


def _choices(space: MnasSpace, column: str, observed: pd.Series) -> tuple[Any, ...]:
    """The space's choices for ``column`` when every observed value is one of them, else the
    observed values (a study run on another space)."""
    match = CHOICE_COLUMN.fullmatch(column)
    block, choice = int(match.group(1)) - 1, match.group(2)
    known = space.block_choices(block).get(choice) if 0 <= block < space.num_blocks else None
    values = [_plain(v) for v in observed if not _missing(v)]
    if known and all(any(_same(k, v) for k in known) for v in values):
        return tuple(known)
    return tuple(sorted(set(values), key=str)) or (None,)


def rebuild_study(frame: pd.DataFrame, reference: str = "efficientnet_b0") -> optuna.Study:
    """An in-memory study of the complete trials of a trials.csv, with categorical
    distributions from the MnasSpace the search sampled from."""
    try:
        space = MnasSpace(reference)
    except (ValueError, KeyError):
        space = MnasSpace()
    columns = [c for c in frame.columns if CHOICE_COLUMN.fullmatch(c)]
    done = frame[(frame["state"] == "COMPLETE") & frame["reward"].notna()]
    distributions = {
        c: optuna.distributions.CategoricalDistribution(_choices(space, c, done[c]))
        for c in columns
    }
    trials = []
    for _, row in done.iterrows():
        present = [c for c in columns if not _missing(row[c])]
        trials.append(
            optuna.trial.create_trial(
                state=TrialState.COMPLETE,
                value=float(row["reward"]),
                params={c: _match(row[c], distributions[c].choices) for c in present},
                distributions={c: distributions[c] for c in present},
                user_attrs={"reward": float(row["reward"]), "number": int(row["number"])},
            )
        )
    with quiet_optuna():
        study = optuna.create_study(direction="maximize")
        study.add_trials(trials)
    return study


def journal_study(path: Path, name: str) -> optuna.Study | None:
    """The study called ``name`` in a journal file, or its only study; None if neither."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    with quiet_optuna():
        storage = JournalStorage(JournalFileBackend(str(path)))
        names = optuna.study.get_all_study_names(storage)
        chosen = name if name in names else (names[0] if len(names) == 1 else None)
        if chosen is None:
            return None
        return optuna.load_study(study_name=chosen, storage=storage)


def _reward_of(trial: optuna.trial.FrozenTrial) -> float:
    value = trial.user_attrs.get("reward")
    return float(value) if isinstance(value, (int, float)) else math.nan


def importances(study: Study, note: Callable[[str], None]) -> pd.DataFrame | None:
    """Optuna's PED-ANOVA importances of the sampled choices for the reward (study, parameter,
    importance summing to 1, source), from the journal when there is one, else trials.csv.
    None, with a note, when the study has too few complete trials with varying choices."""
    source = "trials.csv"
    optuna_study = None
    if study.journal is not None:
        try:
            optuna_study = journal_study(study.journal, study.folder.resolve().name)
            source = "journal.log"
        except (ValueError, KeyError, OSError, RuntimeError, AttributeError) as error:
            note(f"{study.label}: journal.log unreadable ({error}); importances from trials.csv")
    if optuna_study is None:
        optuna_study = rebuild_study(study.frame, study.reference)
        source = "trials.csv"
    trials = [
        t
        for t in optuna_study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if math.isfinite(_reward_of(t))
    ]
    names = sorted({name for t in trials for name in t.params})
    varying = [n for n in names if len({repr(t.params.get(n)) for t in trials}) > 1]
    if len(trials) < 2 or not varying:
        note(
            f"{study.label}: no importances: {len(trials)} complete trial(s)"
            + ("" if len(trials) < 2 else " and no choice varies among them")
            + " (need 2 or more with varying choices)"
        )
        return None
    quantile = min(0.5, max(0.1, IMPORTANCE_TRIALS_ABOVE / len(trials)))
    evaluator = optuna.importance.PedAnovaImportanceEvaluator(target_quantile=quantile)
    with quiet_optuna():
        values = optuna.importance.get_param_importances(
            optuna_study, evaluator=evaluator, target=lambda t: -_reward_of(t)
        )
    return pd.DataFrame(
        {
            "study": study.label,
            "parameter": list(values),
            "importance": list(values.values()),
            "trials": len(trials),
            "target_quantile": quantile,
            "source": source,
        }
    )


def importance_method(table: pd.DataFrame) -> str:
    quantiles = sorted(set(table["target_quantile"]))
    top = (
        f"top {quantiles[0]:.0%} of trials"
        if len(quantiles) == 1
        else "top quantile of each study's trials"
    )
    return f"PED-ANOVA ({top} by reward against all)"


# ----------------------------------------------------------------------------- the report


@dataclass
class _Report:
    """What has been written so far, the notes, and the HTML sections."""

    folder: Path
    echo: Callable[[str], None]
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)
        self.echo(f"note: {text}")

    def text(self, name: str, content: str) -> None:
        path = self.folder / name
        results.write_atomic(path, content)
        self.files[name] = path

    def figure(self, name: str, draw: Callable[[Path], Any], title: str, caption: str) -> Any:
        path = self.folder / name
        drawn = draw(path)
        self.files[name] = path
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        self.sections.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(title)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
        return drawn

    def heading(self, text: str) -> None:
        self.sections.append(f"<h2>{html.escape(text)}</h2>")

    def html(self, fragment: str) -> None:
        self.sections.append(fragment)


def study_outputs(report: _Report, studies: Sequence[Study], top_k: int) -> None:
    """Top-k tables, the Pareto front, the reward history and the importances."""
    report.heading("Studies")
    report.html(html_table(pd.DataFrame([study_summary(s) for s in studies]), code=("folder",)))
    markdown = []
    report.heading(f"Top {top_k} trials by reward")
    for study in studies:
        summary = study_summary(study)
        report.echo(
            f"\nstudy {study.label}: {summary['trials']} trials ({summary['complete']} complete, "
            f"{summary['pruned']} pruned, {summary['failed']} failed); reward "
            f"{summary['reward settings']}"
        )
        rows = top_rows(study.frame, top_k)
        if rows.empty:
            report.echo("(no complete trials)")
            markdown.append(f"## {study.label}\n\n(no complete trials)\n")
            report.html(f"<h3>{html.escape(study.label)}</h3><p>(no complete trials)</p>")
            continue
        report.echo(display_rows(rows, with_arch=False).to_string(index=False))
        markdown.append(f"## {study.label}\n\n{markdown_table(display_rows(rows))}\n")
        report.html(f"<h3>{html.escape(study.label)}</h3>{html_table(display_rows(rows))}")
    report.echo("")
    report.text("top.md", f"# Top {top_k} trials by reward\n\n" + "\n".join(markdown))
    report.text("top.csv", top_csv(studies, top_k).to_csv(index=False))
    with_trials = [s for s in studies if not s.complete.empty]
    if not with_trials:
        report.note("no complete trials: pareto.png and history.png skipped")
    else:
        report.heading("Accuracy against FLOPs")
        report.figure(
            "pareto.png",
            lambda path: plots.pareto_figure(studies, path),
            "Pareto front",
            "Every complete trial; the Pareto-optimal ones joined; dotted: equal reward; "
            "stars: the reference; the arrow: each study's winner (best reward).",
        )
        report.heading("Best reward by trial")
        report.figure(
            "history.png",
            lambda path: plots.history_figure(studies, path),
            "reward history",
            "Each complete trial's reward and the best so far.",
        )
    tables = [t for t in (importances(s, report.note) for s in studies) if t is not None]
    if tables:
        table = pd.concat(tables, ignore_index=True)
        report.text("importances.csv", table.to_csv(index=False))
        method = importance_method(table)
        report.heading("Parameter importances")
        report.figure(
            "importances.png",
            lambda path: plots.importances_figure(table, path, method),
            "parameter importances",
            f"Optuna's {method}: how much each sampled choice decides whether a trial is among "
            "the best. PED-ANOVA needs no extra package (fANOVA would need scikit-learn).",
        )
        shown = table.sort_values("importance", ascending=False).groupby("study").head(10)
        shown = shown.assign(importance=shown["importance"].map("{:.3f}".format))
        report.html(html_table(shown[["study", "parameter", "importance", "trials", "source"]]))


def _scaling_table(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    shown = table[[c for c in columns if c in table.columns]].copy()
    if "flops" in shown:
        shown["flops"] = shown["flops"].map(lambda v: _number(v / 1e6, "{:,.1f}M"))
    if "params" in shown:
        shown["params"] = shown["params"].map(lambda v: _number(v, "{:,.0f}"))
    if "accuracy" in shown:
        shown["accuracy"] = shown["accuracy"].map(lambda v: _number(v, "{:.2%}"))
    for column in shown.columns:
        if shown[column].dtype.kind == "f":
            shown[column] = shown[column].map(lambda v: _number(v, "{:.3g}"))
    return shown


def scaling_outputs(report: _Report, scalings: Sequence[Scaling]) -> None:
    """The family figure (the paper's Figure 1) and the ablation figure (its Figure 5)."""
    report.heading("Compound scaling")
    families = [s for s in scalings if s.family is not None]
    for scaling in scalings:
        parts = [name for name in SCALING_FILES if getattr(scaling, name[:-4]) is not None]
        report.echo(f"scaling folder {scaling.label}: {', '.join(parts)}")
    if families:
        if not any(s.trained for s in families):
            report.note(
                "the family was not trained (no accuracy): scaling_family.png shows its FLOPs "
                "and parameters; python -m nas.scale --train adds accuracy"
            )
        report.figure(
            "scaling_family.png",
            lambda path: plots.family_figure(families, path),
            "the scaled family",
            "The family from the baseline (phi 0) up, as in the EfficientNet paper's Figure 1.",
        )
    ablations = [s for s in scalings if s.ablation is not None]
    if ablations:
        report.figure(
            "scaling_ablation.png",
            lambda path: plots.ablation_figure(ablations, path),
            "scaling ablation",
            "Depth, width, resolution and compound scaling to the same FLOPs, as in the "
            "EfficientNet paper's Figure 5.",
        )
    columns = {
        "family": ("source", "model", "phi", "depth", "width", "resolution", "params", "flops")
        + ("flops_ratio", "accuracy"),
        "ablation": ("scaling", "factor", "depth", "width", "resolution", "params", "flops")
        + ("flops_ratio", "accuracy"),
        "grid": ("alpha", "beta", "gamma", "product", "accuracy", "seeds", "flops"),
    }
    for scaling in scalings:
        for name, shown in columns.items():
            table = getattr(scaling, name)
            if table is not None:
                report.html(
                    f"<h3>{html.escape(scaling.label)}: {name}.csv</h3>"
                    + html_table(_scaling_table(table.head(20), shown))
                )


def cam_output(report: _Report, cam: CamConfig) -> None:
    from nas import cam as cams

    if cam.images is not None:
        sources = cams.folder_images(cam.images, cam.count)
    else:
        sources = cams.dataset_images(cam.dataset or "", cam.count, cam.data_dir, cam.seed)
    columns = [cams.checkpoint_column(folder, sources) for folder in cam.checkpoints]
    for column in columns:
        if max(column.feature_size) < 2:
            report.note(
                f"{column.title}: its last feature map is 1x1 at {column.inputs.shape[1]} px, "
                "so its CAM cannot show where it looks (drawn flat); CAMs need inputs the "
                "network leaves at least 2x2, such as 64 px and up"
            )
    report.heading("Class activation maps")
    report.figure(
        "cam.png",
        lambda path: plots.cam_figure(sources, columns, path),
        "class activation maps",
        "One row per image: the image, then each model's class activation map for its "
        "predicted class (Zhou et al. 2016), with that class and its probability.",
    )


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1150px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;font-size:.82em;margin:.6em 0}
th,td{border:1px solid #ddd;padding:.2em .5em;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right}.text{text-align:left}
code{font-size:.9em;word-break:break-all}
figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}.note{color:#8a5a00}
"""


def html_page(report: _Report, title: str) -> str:
    notes = "".join(f'<li class="note">{html.escape(n)}</li>' for n in report.notes)
    files = "".join(f"<li><code>{html.escape(name)}</code></li>" for name in report.files)
    generated = datetime.now().isoformat(timespec="seconds")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Written by <code>{PROG}</code> on {generated}, "
        f"into <code>{html.escape(str(report.folder))}</code>.</p>"
        + "".join(report.sections)
        + (f"<h2>Notes</h2><ul>{notes}</ul>" if notes else "")
        + f"<h2>Files</h2><ul>{files}<li><code>report.html</code></li></ul>"
        + "</body></html>\n"
    )


def default_folder(paths: Sequence[str | Path], cam: CamConfig | None) -> Path:
    if paths:
        first = Path(paths[0])
        return first.parent if first.is_file() else first
    assert cam is not None
    return Path(cam.checkpoints[0])


def make_report(
    paths: Sequence[str | Path],
    out: str | Path | None = None,
    *,
    top_k: int = 10,
    target_flops: float | None = None,
    w: float | None = None,
    cam: CamConfig | None = None,
    echo: Callable[[str], None] = print,
) -> dict[str, Path]:
    """Write the report of the studies or scaling folders in ``paths`` (and the CAMs of
    ``cam``) into ``out``, by default the first path's folder; returns name -> path."""
    plots.require_matplotlib()  # fail first, in one line, without matplotlib
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"--top-k={top_k!r} is invalid: must be an integer >= 1")
    if not paths and cam is None:
        raise ValueError("nothing to report: give a results folder or trials.csv, or --cam")
    studies, scalings = load_inputs(paths, target_flops, w)
    if cam is not None:
        for checkpoint_folder in cam.checkpoints:  # before any folder is made
            if not Path(checkpoint_folder).is_dir():
                raise FileNotFoundError(f"checkpoint folder {checkpoint_folder!r} does not exist")
            checkpoint.load_info(checkpoint_folder)
    folder = Path(out) if out is not None else default_folder(paths, cam)
    folder.mkdir(parents=True, exist_ok=True)
    report = _Report(folder, echo)
    if studies:
        study_outputs(report, studies, top_k)
    if scalings:
        scaling_outputs(report, scalings)
    if cam is not None:
        cam_output(report, cam)
    if studies or scalings:
        labels = [item.label for item in [*studies, *scalings]]
        report.text("report.html", html_page(report, "efficientnas report: " + ", ".join(labels)))
    echo(f"wrote {len(report.files)} file(s):")
    for path in report.files.values():
        echo(f"  {path}")
    return dict(report.files)


# ----------------------------------------------------------------------------- the command


def build_parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description=(
            "Report on one or more studies: the top-k table, the Pareto front of accuracy "
            "against FLOPs, the best reward by trial, parameter importances, the compound-"
            "scaling figures, and one self-contained report.html. --cam draws class "
            "activation maps of trained checkpoints."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a results/<study> folder, a trials.csv or a scaling folder; several compare "
        "studies, each labelled by its folder's name",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="output folder (default: the first PATH's folder; with --cam alone, the first "
        "checkpoint's)",
    )
    parser.add_argument("--top-k", type=int, default=10, help="rows of the top table per study")
    group = parser.add_argument_group("reward isolines")
    group.add_argument(
        "--target-flops",
        type=float,
        default=None,
        help="T (default: the study's config.json, else 400e6)",
    )
    group.add_argument(
        "--w", type=float, default=None, help="the exponent (default: config.json, else -0.07)"
    )
    group = parser.add_argument_group("class activation maps")
    group.add_argument(
        "--cam",
        nargs="+",
        default=None,
        metavar="CHECKPOINT_DIR",
        help="checkpoint folders (model.pt + arch.json), one column each, side by side; "
        "put PATHs before --cam",
    )
    source = group.add_mutually_exclusive_group()
    source.add_argument("--images", default=None, help="a folder of image files to explain")
    source.add_argument(
        "--dataset",
        default=None,
        choices=("fashion-mnist", "synthetic", "cifar10"),
        help="explain the first --count held-out validation images of this dataset",
    )
    group.add_argument("--data-dir", default=None, help="where --dataset's files are")
    group.add_argument("--count", type=int, default=8, help="images, one row each")
    group.add_argument(
        "--seed", type=int, default=0, help="the validation split's seed (default: %(default)s)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.paths and not args.cam:
        parser.error("give at least one PATH (a results folder or trials.csv) or --cam DIR...")
    if not args.cam and (args.images or args.dataset):
        parser.error("--images and --dataset go with --cam CHECKPOINT_DIR")
    cam = None
    if args.cam:
        cam = CamConfig(
            checkpoints=tuple(args.cam),
            images=args.images,
            dataset=args.dataset,
            data_dir=args.data_dir,
            count=args.count,
            seed=args.seed,
        )
    make_report(
        args.paths,
        out=args.out,
        top_k=args.top_k,
        target_flops=args.target_flops,
        w=args.w,
        cam=cam,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(run(main, PROG))
