from __future__ import annotations

import base64
import io
import logging
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from nas.cli.report import command
from nas.errors import ConfigError
from nas.proxy import ProxyConfig
from nas.report import PlotsUnavailable, figures, inputs, make_report, scaling_figures
from nas.scale import ScaleConfig, run_scale
from nas.train import checkpoint
from nas.train.checkpoint import CheckpointInfo
from search_spaces import build_model, decode
from tests.nas.report.helpers import SMALL, check_png, parse_page

CHOICE = re.compile(r"b\d+_[a-z_]+")


pytestmark = pytest.mark.usefixtures("one_thread")


def quiet(line: str) -> None:
    pass


def test_one_study_writes_every_file_into_its_folder(fresh_study, capsys):
    written = make_report([fresh_study], top_k=3, echo=print)
    expected = {
        "top.md",
        "top.csv",
        "pareto.png",
        "history.png",
        "importances.png",
        "importances.csv",
        "report.html",
    }
    assert set(written) == expected
    assert all(path.parent == fresh_study and path.is_file() for path in written.values())
    for name in ("pareto.png", "history.png", "importances.png"):
        check_png(written[name])
    out = capsys.readouterr().out
    trials = pd.read_csv(fresh_study / "trials.csv")
    best = trials.sort_values("reward", ascending=False).iloc[0]
    assert f"{best['reward']:.4f}" in out  # the printed top table
    assert all(str(path) in out for path in written.values())  # and the list of files


def test_the_library_prints_nothing_and_logs_its_lines(fresh_study, capsys, caplog):
    with caplog.at_level(logging.INFO, logger="nas.report"):
        written = make_report([fresh_study], top_k=3)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert f"wrote {len(written)} file(s):" in caplog.messages


def test_top_table_ranks_by_reward_and_keeps_the_reference(fresh_study):
    written = make_report([fresh_study], top_k=1, echo=quiet)
    top = pd.read_csv(written["top.csv"], keep_default_na=False)
    trials = pd.read_csv(fresh_study / "trials.csv", keep_default_na=False)
    complete = trials[trials["state"] == "COMPLETE"].sort_values("reward", ascending=False)
    assert top.loc[0, "trial"] == complete.iloc[0]["number"]
    reference = complete[complete["reference"] == "mobilenet_v2"]
    assert len(reference) == 1
    rank = list(complete["number"]).index(reference.iloc[0]["number"]) + 1
    assert len(top) == (1 if rank == 1 else 2)  # the reference's row wherever it ranks
    assert top.iloc[-1]["reference"] == "mobilenet_v2" and top.iloc[-1]["rank"] == rank
    markdown = written["top.md"].read_text()
    assert "| rank | trial | reward |" in markdown and "`stem" in markdown


def test_report_html_is_self_contained_and_goes_to_the_first_study(fresh_study, csv_only_folder):
    written = make_report([fresh_study, csv_only_folder], echo=quiet)
    assert all(path.parent == fresh_study for path in written.values())
    assert not (csv_only_folder / "report.html").exists()
    page = parse_page(written["report.html"])
    assert len(page.sources) == 3  # pareto, history, importances
    for source in page.sources:
        image = Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))
        assert image.format == "PNG" and image.width > 600
    text = " ".join(page.text)
    assert fresh_study.name in text and "csv-only" in text and "table" in page.tags


def test_two_studies_compared_in_one_report(study_folder, csv_only_folder, tmp_path):
    out = tmp_path / "comparison"
    written = make_report([study_folder, csv_only_folder], out=out, echo=quiet)
    assert all(path.parent == out for path in written.values())  # --out wins
    assert not (study_folder / "report.html").exists()
    labels = {study_folder.name, "csv-only"}
    assert set(pd.read_csv(written["top.csv"])["study"]) == labels
    assert set(pd.read_csv(written["importances.csv"])["study"]) == labels
    studies, _ = inputs.load_inputs([study_folder, csv_only_folder])
    for figure in (figures.pareto_figure, figures.history_figure):
        legend = figure(studies, tmp_path / "figure.png")
        for label in labels:
            assert label in legend, (figure.__name__, legend)
    assert len(parse_page(written["report.html"]).sources) == 3


def test_importances_sum_to_one_and_agree_from_journal_and_csv(
    study_folder, csv_only_folder, tmp_path
):
    written = make_report([study_folder, csv_only_folder], out=tmp_path / "out", echo=quiet)
    table = pd.read_csv(written["importances.csv"])
    sampled = {c for c in pd.read_csv(study_folder / "trials.csv").columns if CHOICE.fullmatch(c)}
    by_study = dict(tuple(table.groupby("study")))
    from_journal = by_study[study_folder.name].set_index("parameter")
    from_csv = by_study["csv-only"].set_index("parameter")
    assert set(from_journal["source"]) == {"journal.log"}
    assert set(from_csv["source"]) == {"trials.csv"}
    for importances in (from_journal, from_csv):
        assert set(importances.index) <= sampled and len(importances) > 10
        assert importances["importance"].sum() == pytest.approx(1.0)
        assert (importances["importance"] >= 0).all()
    # The study rebuilt from trials.csv with MnasSpace's choices (around the reference trial's
    # baseline, as there is no config.json) is the one in the journal.
    assert inputs.load_study(csv_only_folder, None, None).reference == "mobilenet_v2"
    joined = from_journal.merge(from_csv, left_index=True, right_index=True, suffixes=("", "_csv"))
    assert np.allclose(joined["importance"], joined["importance_csv"])


def test_too_few_trials_skip_plots_with_a_note(study_folder, tmp_path, capsys):
    trials = pd.read_csv(study_folder / "trials.csv")
    one = tmp_path / "one-trial"
    one.mkdir()
    trials.head(1).to_csv(one / "trials.csv", index=False)
    written = make_report([one], echo=print)
    assert {"pareto.png", "history.png", "report.html"} <= set(written)
    assert "importances.png" not in written and "importances.csv" not in written
    assert "no importances: 1 complete trial(s)" in capsys.readouterr().out
    none = tmp_path / "none-complete"
    none.mkdir()
    trials.assign(state="FAIL").to_csv(none / "trials.csv", index=False)
    written = make_report([none], echo=print)
    assert set(written) == {"top.md", "top.csv", "report.html"}
    out = capsys.readouterr().out
    assert "pareto.png and history.png skipped" in out and "(no complete trials)" in out
    parse_page(written["report.html"])


def test_notes_go_to_the_log_without_echo(study_folder, tmp_path, caplog):
    one = tmp_path / "one-trial"
    one.mkdir()
    pd.read_csv(study_folder / "trials.csv").head(1).to_csv(one / "trials.csv", index=False)
    with caplog.at_level(logging.WARNING, logger="nas.report"):
        make_report([one])
    assert any("no importances: 1 complete trial(s)" in m for m in caplog.messages)


def test_bad_settings_are_config_errors_before_any_file(tmp_path):
    with pytest.raises(ConfigError) as raised:
        make_report([tmp_path], top_k=0)
    assert (raised.value.field, raised.value.value) == ("top_k", 0)
    assert str(raised.value) == "top_k=0 is invalid: must be an integer >= 1"
    with pytest.raises(ConfigError, match="nothing to report"):
        make_report([])
    assert list(tmp_path.iterdir()) == []


def _scale(results_dir: Path, study_name: str, train: bool) -> Path:
    config = ScaleConfig(
        baseline=SMALL,
        coefficients=(1.2, 1.1, 1.15),
        phis=(1, 2),
        train_family=train,
        ablation=train,
        ablation_factor=2.0,
        with_fvcore=False,
        with_latency=False,
        proxy=ProxyConfig(
            dataset="synthetic", train_subset=32, val_subset=32, batch_size=32, epochs=0.5
        ),
        results_dir=str(results_dir),
        study_name=study_name,
        show_progress=False,
    )
    run_scale(config)
    return config.folder


def test_scaling_folder_inside_a_study_gets_its_figures(fresh_study, capsys):
    scaling = _scale(fresh_study.parent, fresh_study.name, train=True)
    assert scaling == fresh_study / "scaling"
    written = make_report([fresh_study], echo=print)
    for name in ("scaling_family.png", "scaling_ablation.png", "pareto.png"):
        check_png(written[name])
    assert not (fresh_study / "family.png").exists()  # nas.scale's own figures are kept apart
    studies, scalings = inputs.load_inputs([fresh_study])
    assert scalings[0].trained and scalings[0].baseline is not None
    legend = figures.ablation_figure(scalings, fresh_study / "again.png")
    assert {"baseline", "compound scaling"} <= {label.split(" (")[0] for label in legend}
    legend = figures.family_figure(scalings, fresh_study / "again.png")
    assert legend == ["formula family", "formula family"]
    assert len(parse_page(written["report.html"]).sources) == 5
    assert "not trained" not in capsys.readouterr().out
    # The scale command's figures: the same drawing, under nas.scale's own names.
    assert scaling_figures(scaling) == [scaling / "family.png", scaling / "ablation.png"]
    check_png(scaling / "family.png")
    check_png(scaling / "ablation.png")


def test_untrained_scaling_folder_plots_what_it_has(tmp_path, capsys):
    scaling = _scale(tmp_path, "untrained", train=False)
    assert scaling_figures(scaling) == [scaling / "family.png"]  # as the scale command does
    drawn = (scaling / "family.png").read_bytes()
    written = make_report([scaling], echo=print)
    assert set(written) == {"scaling_family.png", "report.html"}
    assert written["report.html"].parent == scaling
    check_png(written["scaling_family.png"])
    assert (scaling / "family.png").read_bytes() == drawn  # nas.scale's figure is not overwritten
    assert "the family was not trained" in capsys.readouterr().out
    page = parse_page(written["report.html"])
    assert "phi2" in " ".join(page.text)


def _scaling_tables(folder: Path, accuracy: bool) -> Path:
    """A scaling folder written by hand: a family of phi 1..3 and an ablation table, with
    accuracies or (as an untrained run writes them) without an accuracy column at all."""
    folder.mkdir(parents=True)
    family = pd.DataFrame(
        {
            "source": "formula",
            "model": ["phi1", "phi2", "phi3"],
            "phi": [1, 2, 3],
            "params": [2.0e6, 3.1e6, 4.9e6],
            "flops": [0.8e9, 1.7e9, 3.3e9],
            "flops_ratio": [2.0, 4.25, 8.25],
        }
    )
    ablation = pd.DataFrame(
        {
            "scaling": ["baseline", "depth", "width", "resolution", "compound"],
            "factor": [1.0, 2.5, 1.6, 1.5, 1.0],
            "params": [1.0e6, 2.2e6, 2.5e6, 1.0e6, 2.0e6],
            "flops": [0.4e9, 1.6e9, 1.6e9, 1.6e9, 1.6e9],
            "flops_ratio": [1.0, 4.0, 4.0, 4.0, 4.0],
        }
    )
    if accuracy:
        family["accuracy"] = [0.61, 0.64, 0.66]
        ablation["accuracy"] = [0.55, 0.58, 0.59, 0.6, 0.63]
    family.to_csv(folder / "family.csv", index=False)
    ablation.to_csv(folder / "ablation.csv", index=False)
    return folder


def test_scaling_figures_draw_family_and_ablation_with_accuracies(tmp_path):
    folder = _scaling_tables(tmp_path / "trained", accuracy=True)
    written = scaling_figures(str(folder))
    assert written == [folder / "family.png", folder / "ablation.png"]
    check_png(folder / "family.png")
    check_png(folder / "ablation.png")


def test_scaling_figures_without_accuracies_draw_the_family_only(tmp_path):
    folder = _scaling_tables(tmp_path / "untrained", accuracy=False)
    assert scaling_figures(folder) == [folder / "family.png"]
    check_png(folder / "family.png")
    assert not (folder / "ablation.png").exists()
    only_grid = tmp_path / "grid-only"
    only_grid.mkdir()
    pd.DataFrame({"alpha": [1.2], "beta": [1.1], "gamma": [1.15]}).to_csv(
        only_grid / "grid.csv", index=False
    )
    assert scaling_figures(only_grid) == []


def test_scaling_figures_without_matplotlib_says_how_to_install(tmp_path, monkeypatch):
    folder = _scaling_tables(tmp_path / "trained", accuracy=True)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotsUnavailable) as raised:
        scaling_figures(folder)
    assert isinstance(raised.value, ImportError)
    assert str(raised.value) == "matplotlib is missing: pip install 'efficientnas[plots]'"
    assert not (folder / "family.png").exists()


def test_report_with_cam_embeds_the_grid(fresh_study, tmp_path):
    torch.manual_seed(0)
    arch = decode(SMALL)
    model = build_model(arch, num_classes=10, in_channels=1)
    torch.nn.init.normal_(model.classifier.weight)
    info = CheckpointInfo(arch, 10, 1, 28, (0.5,), (0.25,))
    folder = checkpoint.save(model, info, tmp_path / "winner")
    argv = [str(fresh_study), "--cam", str(folder), "--dataset", "synthetic", "--count", "2"]
    assert command(argv) == 0
    check_png(fresh_study / "cam.png", 300, 300)
    assert len(parse_page(fresh_study / "report.html").sources) == 4
