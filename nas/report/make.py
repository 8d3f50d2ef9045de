"""The report's entry points: make_report for studies and scaling folders, scaling_figures.

``make_report(paths, out=None, ...) -> {file name: path written}`` reports on one or more
studies and scaling folders: the top-k table, the Pareto front, the reward history, parameter
importances, the compound-scaling figures, and class activation maps of trained checkpoints.
``scaling_figures(folder)`` draws a scaling folder's family.png and ablation.png, as the scale
command does after its run.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from nas.errors import ConfigError, MissingFile
from nas.report import cam as cams
from nas.report import figures, frames, tables
from nas.report.cam import CamConfig
from nas.report.canvas import require_matplotlib
from nas.report.importances import importance_method, importances
from nas.report.inputs import SCALING_FILES, Scaling, Study, load_inputs, load_scaling
from nas.report.page import PAGE_FILE, Report, html_page
from nas.train import checkpoint

FAMILY_PNG = "family.png"
ABLATION_PNG = "ablation.png"


def study_outputs(report: Report, studies: Sequence[Study], top_k: int) -> None:
    """Top-k tables, the Pareto front, the reward history and the importances."""
    report.heading("Studies")
    summaries = pd.DataFrame([tables.study_summary(s) for s in studies])
    report.html(tables.html_table(summaries, code=("folder",)))
    markdown = []
    report.heading(f"Top {top_k} trials by reward")
    for study in studies:
        summary = tables.study_summary(study)
        report.say(
            f"\nstudy {study.label}: {summary['trials']} trials ({summary['complete']} complete, "
            f"{summary['pruned']} pruned, {summary['failed']} failed); reward "
            f"{summary['reward settings']}"
        )
        rows = tables.top_rows(study.frame, top_k)
        if rows.empty:
            report.say("(no complete trials)")
            markdown.append(f"## {study.label}\n\n(no complete trials)\n")
            report.html(f"<h3>{html.escape(study.label)}</h3><p>(no complete trials)</p>")
            continue
        report.say(tables.display_rows(rows, with_arch=False).to_string(index=False))
        shown = tables.display_rows(rows)
        markdown.append(f"## {study.label}\n\n{tables.markdown_table(shown)}\n")
        report.html(f"<h3>{html.escape(study.label)}</h3>{tables.html_table(shown)}")
    report.say("")
    report.text("top.md", f"# Top {top_k} trials by reward\n\n" + "\n".join(markdown))
    report.text("top.csv", tables.top_csv(studies, top_k).to_csv(index=False))
    if all(s.complete.empty for s in studies):
        report.note("no complete trials: pareto.png and history.png skipped")
    else:
        report.heading("Accuracy against FLOPs")
        report.figure(
            "pareto.png",
            lambda path: figures.pareto_figure(studies, path),
            "Pareto front",
            "Every complete trial; the Pareto-optimal ones joined; dotted: equal reward; "
            "stars: the reference; the arrow: each study's winner (best reward).",
        )
        if frames.latency_info(studies):
            report.heading("Accuracy against latency")
            report.figure(
                "latency.png",
                lambda path: figures.latency_figure(studies, path),
                "latency Pareto front",
                "Every complete trial at its latency predicted from the study's latency table; "
                "the Pareto-optimal ones joined; dotted: equal reward; dashed: the target.",
            )
        report.heading("Best reward by trial")
        report.figure(
            "history.png",
            lambda path: figures.history_figure(studies, path),
            "reward history",
            "Each complete trial's reward and the best so far.",
        )
    found = [t for t in (importances(s, report.note) for s in studies) if t is not None]
    if found:
        table = pd.concat(found, ignore_index=True)
        report.text("importances.csv", table.to_csv(index=False))
        method = importance_method(table)
        report.heading("Parameter importances")
        report.figure(
            "importances.png",
            lambda path: figures.importances_figure(table, path, method),
            "parameter importances",
            f"Optuna's {method}: how much each sampled choice decides whether a trial is among "
            "the best. PED-ANOVA needs no extra package (fANOVA would need scikit-learn).",
        )
        shown = table.sort_values("importance", ascending=False).groupby("study").head(10)
        shown = shown.assign(importance=shown["importance"].map("{:.3f}".format))
        report.html(
            tables.html_table(shown[["study", "parameter", "importance", "trials", "source"]])
        )


def scaling_outputs(report: Report, scalings: Sequence[Scaling]) -> None:
    """The family figure (the paper's Figure 1) and the ablation figure (its Figure 5)."""
    report.heading("Compound scaling")
    families = [s for s in scalings if s.family is not None]
    for scaling in scalings:
        parts = [name for name in SCALING_FILES if getattr(scaling, name[:-4]) is not None]
        report.say(f"scaling folder {scaling.label}: {', '.join(parts)}")
    if families:
        if not any(s.trained for s in families):
            report.note(
                "the family was not trained (no accuracy): scaling_family.png shows its FLOPs "
                "and parameters; training the family (scaling's train_family) adds accuracy"
            )
        report.figure(
            "scaling_family.png",
            lambda path: figures.family_figure(families, path),
            "the scaled family",
            "The family from the baseline (phi 0) up, as in the EfficientNet paper's Figure 1.",
        )
    ablations = [s for s in scalings if s.ablation is not None]
    if ablations:
        report.figure(
            "scaling_ablation.png",
            lambda path: figures.ablation_figure(ablations, path),
            "scaling ablation",
            "Depth, width, resolution and compound scaling to the same FLOPs, as in the "
            "EfficientNet paper's Figure 5.",
        )
    for scaling in scalings:
        for name in tables.SCALING_COLUMNS:
            table = getattr(scaling, name)
            if table is not None:
                report.html(
                    f"<h3>{html.escape(scaling.label)}: {name}.csv</h3>"
                    + tables.html_table(tables.scaling_table(table.head(20), name))
                )


def cam_output(report: Report, cam: CamConfig) -> None:
    """cam.png: one row per image, one column of class activation maps per checkpoint."""
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
        lambda path: figures.cam_figure(sources, columns, path),
        "class activation maps",
        "One row per image: the image, then each model's class activation map for its "
        "predicted class (Zhou et al. 2016), with that class and its probability.",
    )


def default_folder(paths: Sequence[str | Path], cam: CamConfig | None) -> Path:
    """The first path's folder; with CAMs alone, the first checkpoint's."""
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
    echo: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """Write the report of the studies or scaling folders in ``paths`` (and the CAMs of
    ``cam``) into ``out``, by default the first path's folder; returns name -> path.

    ``target_flops`` and ``w`` set the reward isolines (default: each study's config.json, else
    nas.reward's defaults). ``echo`` receives the lines that follow the report: each study's
    top table, the notes (a figure skipped, an unreadable journal) and the files written; by
    default they go to the logger ``nas.report.page``. Raises PlotsUnavailable without
    matplotlib, ConfigError for a bad setting, FileNotFoundError or ValueError for a missing
    or unreadable input, all before any file is written.
    """
    require_matplotlib()  # fail first, in one line, without matplotlib
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ConfigError("top_k", top_k, "must be an integer >= 1")
    if not paths and cam is None:
        raise ConfigError(
            None, None, "nothing to report: give a results folder or trials.csv, or {cam}"
        )
    studies, scalings = load_inputs(paths, target_flops, w)
    if cam is not None:
        for checkpoint_folder in cam.checkpoints:  # before any folder is made
            if not Path(checkpoint_folder).is_dir():
                raise MissingFile(f"checkpoint folder {checkpoint_folder!r} does not exist")
            checkpoint.load_info(checkpoint_folder)
    folder = Path(out) if out is not None else default_folder(paths, cam)
    folder.mkdir(parents=True, exist_ok=True)
    report = Report(folder, echo)
    if studies:
        study_outputs(report, studies, top_k)
    if scalings:
        scaling_outputs(report, scalings)
    if cam is not None:
        cam_output(report, cam)
    if studies or scalings:
        labels = [item.label for item in [*studies, *scalings]]
        report.text(PAGE_FILE, html_page(report, "efficientnas report: " + ", ".join(labels)))
    report.say(f"wrote {len(report.files)} file(s):")
    for path in report.files.values():
        report.say(f"  {path}")
    return dict(report.files)


def scaling_figures(folder: str | Path) -> list[Path]:
    """Draw a scaling folder's figures from its CSV files, as the report draws them:
    family.png (accuracy along the family, or its FLOPs and parameters if it was not trained)
    when there is a family.csv, and ablation.png when ablation.csv has accuracies. Returns the
    paths written; raises PlotsUnavailable without matplotlib."""
    require_matplotlib()
    folder = Path(folder)
    scaling = load_scaling(folder)
    written = []
    if scaling.family is not None:
        figures.family_figure([scaling], folder / FAMILY_PNG)
        written.append(folder / FAMILY_PNG)
    if scaling.ablation_trained:
        figures.ablation_figure([scaling], folder / ABLATION_PNG)
        written.append(folder / ABLATION_PNG)
    return written
