from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from nas import checkpoint, plots, report
from nas.checkpoint import CheckpointInfo
from nas.cli import run
from nas.report import PROG, main, make_report
from nas.reward import RewardConfig
from nas.scale import ScaleConfig, run_scale
from nas.search import SearchConfig, run_search
from search_spaces import build_model, decode

ROOT = Path(__file__).resolve().parents[2]
SMALL = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"
CHOICE = re.compile(r"b\d+_[a-z_]+")


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny_search(results_dir: Path) -> SearchConfig:
    # MobileNetV2 as the reference trains faster on two CPU cores than B0; still a real study.
    return SearchConfig(
        dataset="synthetic",
        train_subset=32,
        val_subset=32,
        batch_size=32,
        epochs=0.5,
        trials=5,
        sampler="random",
        reference="mobilenet_v2",
        results_dir=str(results_dir),
        show_progress=False,
        device="cpu",
    )


@pytest.fixture(scope="module")
def study_folder(tmp_path_factory) -> Path:
    """A real 5-trial random-search study (trials.csv, config.json, journal.log)."""
    config = tiny_search(tmp_path_factory.mktemp("results"))
    run_search(config)
    return config.folder


@pytest.fixture(scope="module")
def csv_only_folder(study_folder, tmp_path_factory) -> Path:
    """The same trials as a second study with only its trials.csv: no journal, no config."""
    folder = tmp_path_factory.mktemp("other") / "csv-only"
    folder.mkdir()
    shutil.copy(study_folder / "trials.csv", folder / "trials.csv")
    return folder


@pytest.fixture()
def fresh_study(study_folder, tmp_path) -> Path:
    """A copy of the study, so reports written into its folder do not leak between tests."""
    return Path(shutil.copytree(study_folder, tmp_path / study_folder.name))


def check_png(path: Path, min_width: int = 600, min_height: int = 400) -> Image.Image:
    """A real PNG: opens, is large enough, saved at >= 150 dpi, and not blank."""
    assert path.is_file() and path.stat().st_size > 5_000, path
    image = Image.open(path)
    image.load()
    assert image.format == "PNG"
    assert image.width >= min_width and image.height >= min_height, image.size
    assert image.info["dpi"][0] >= 149.5
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20  # more than a background and a frame
    return image


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.sources: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if "src" in attributes:
            self.sources.append(attributes["src"])
        if "href" in attributes:
            self.hrefs.append(attributes["href"])

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path: Path) -> _Page:
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "http://" not in text and "https://" not in text
    page = _Page()
    page.feed(text)
    page.close()
    assert "script" not in page.tags and "link" not in page.tags and not page.hrefs
    for source in page.sources:  # every image embedded, none read from a file
        assert source.startswith("data:image/png;base64,"), source[:60]
    return page


def test_one_study_writes_every_file_into_its_folder(fresh_study, capsys):
    written = make_report([fresh_study], top_k=3)
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


def test_top_table_ranks_by_reward_and_keeps_the_reference(fresh_study):
    written = make_report([fresh_study], top_k=1, echo=lambda line: None)
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
    written = make_report([fresh_study, csv_only_folder], echo=lambda line: None)
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
    written = make_report([study_folder, csv_only_folder], out=out, echo=lambda line: None)
    assert all(path.parent == out for path in written.values())  # --out wins
    assert not (study_folder / "report.html").exists()
    labels = {study_folder.name, "csv-only"}
    assert set(pd.read_csv(written["top.csv"])["study"]) == labels
    assert set(pd.read_csv(written["importances.csv"])["study"]) == labels
    studies, _ = report.load_inputs([study_folder, csv_only_folder])
    for figure in (plots.pareto_figure, plots.history_figure):
        legend = figure(studies, tmp_path / "figure.png")
        for label in labels:
            assert label in legend, (figure.__name__, legend)
    assert len(parse_page(written["report.html"]).sources) == 3


def test_importances_sum_to_one_and_agree_from_journal_and_csv(
    study_folder, csv_only_folder, tmp_path
):
    written = make_report(
        [study_folder, csv_only_folder], out=tmp_path / "out", echo=lambda line: None
    )
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
    assert report.load_study(csv_only_folder, None, None).reference == "mobilenet_v2"
    joined = from_journal.merge(from_csv, left_index=True, right_index=True, suffixes=("", "_csv"))
    assert np.allclose(joined["importance"], joined["importance_csv"])


def test_too_few_trials_skip_plots_with_a_note(study_folder, tmp_path, capsys):
    trials = pd.read_csv(study_folder / "trials.csv")
    one = tmp_path / "one-trial"
    one.mkdir()
    trials.head(1).to_csv(one / "trials.csv", index=False)
    written = make_report([one])
    assert {"pareto.png", "history.png", "report.html"} <= set(written)
    assert "importances.png" not in written and "importances.csv" not in written
    assert "no importances: 1 complete trial(s)" in capsys.readouterr().out
    none = tmp_path / "none-complete"
    none.mkdir()
    trials.assign(state="FAIL").to_csv(none / "trials.csv", index=False)
    written = make_report([none])
    assert set(written) == {"top.md", "top.csv", "report.html"}
    out = capsys.readouterr().out
    assert "pareto.png and history.png skipped" in out and "(no complete trials)" in out
    parse_page(written["report.html"])


def test_pareto_mask_matches_brute_force():
    rng = np.random.default_rng(0)
    flops = rng.permutation(60).astype(float) + 1
    accuracy = rng.random(60)
    mask = plots.pareto_mask(flops, accuracy)
    for i in range(60):
        dominated = any(
            flops[j] <= flops[i] and accuracy[j] >= accuracy[i] for j in range(60) if j != i
        )
        assert mask[i] == (not dominated)
    assert 0 < mask.sum() < 60
    # Ties: of two equal points one is kept; a point as accurate with more FLOPs is not.
    assert plots.pareto_mask([3, 1, 2, 2, 4], [0.5, 0.2, 0.6, 0.6, 0.6]).tolist() == [
        False,
        True,
        True,
        False,
        False,
    ]


def test_reward_settings_come_from_config_json_unless_a_flag_is_given():
    settings = {"target_flops": 3e8, "w": -0.1, "alpha": None, "beta": None}
    assert report.reward_config(settings, None, None) == RewardConfig(3e8, -0.1, -0.1)
    assert report.reward_config(settings, 5e8, -0.2) == RewardConfig(5e8, -0.2, -0.2)
    hard = {"target_flops": 3e8, "w": -0.07, "alpha": 0.0, "beta": -1.0}
    assert report.reward_config(hard, None, None) == RewardConfig(3e8, 0.0, -1.0)
    assert report.reward_config({}, None, None) == RewardConfig(400e6, -0.07, -0.07)


def _scale(results_dir: Path, study_name: str, train: bool) -> Path:
    proxy = SearchConfig(
        dataset="synthetic",
        train_subset=32,
        val_subset=32,
        batch_size=32,
        epochs=0.5,
        results_dir=str(results_dir),
        study_name=study_name,
        show_progress=False,
        device="cpu",
    )
    config = ScaleConfig(
        baseline=SMALL,
        coefficients=(1.2, 1.1, 1.15),
        phis=(1, 2),
        train_family=train,
        ablation=train,
        ablation_factor=2.0,
        with_fvcore=False,
        with_latency=False,
        proxy=proxy,
    )
    run_scale(config)
    return config.folder


def test_scaling_folder_inside_a_study_gets_its_figures(fresh_study, capsys):
    scaling = _scale(fresh_study.parent, fresh_study.name, train=True)
    assert scaling == fresh_study / "scaling"
    written = make_report([fresh_study])
    for name in ("scaling_family.png", "scaling_ablation.png", "pareto.png"):
        check_png(written[name])
    assert not (fresh_study / "family.png").exists()  # nas.scale's own figures are kept apart
    studies, scalings = report.load_inputs([fresh_study])
    assert scalings[0].trained and scalings[0].baseline is not None
    legend = plots.ablation_figure(scalings, fresh_study / "again.png")
    assert {"baseline", "compound scaling"} <= {label.split(" (")[0] for label in legend}
    legend = plots.family_figure(scalings, fresh_study / "again.png")
    assert legend == ["formula family", "formula family"]
    assert len(parse_page(written["report.html"]).sources) == 5
    assert "not trained" not in capsys.readouterr().out


def test_untrained_scaling_folder_plots_what_it_has(tmp_path, capsys):
    scaling = _scale(tmp_path, "untrained", train=False)
    written = make_report([scaling])
    assert set(written) == {"scaling_family.png", "report.html"}
    assert written["report.html"].parent == scaling
    check_png(written["scaling_family.png"])
    assert (scaling / "family.png").is_file()  # nas.scale's figure is not overwritten
    assert "the family was not trained" in capsys.readouterr().out
    page = parse_page(written["report.html"])
    assert "phi2" in " ".join(page.text)


def test_report_with_cam_embeds_the_grid(fresh_study, tmp_path):
    torch.manual_seed(0)
    arch = decode(SMALL)
    model = build_model(arch, num_classes=10, in_channels=1)
    torch.nn.init.normal_(model.classifier.weight)
    info = CheckpointInfo(arch, 10, 1, 28, (0.5,), (0.25,))
    folder = checkpoint.save(model, info, tmp_path / "winner")
    argv = [str(fresh_study), "--cam", str(folder), "--dataset", "synthetic", "--count", "2"]
    assert run(main, PROG, argv) == 0
    check_png(fresh_study / "cam.png", 300, 300)
    assert len(parse_page(fresh_study / "report.html").sources) == 4


@pytest.mark.parametrize(
    ("make", "argv", "message"),
    [
        (None, ["/no/such/path"], "'/no/such/path' does not exist"),
        ("empty", ["{tmp}/empty"], "no trials.csv in"),
        ("garbage", ["{tmp}/garbage/trials.csv"], "not a trials.csv"),
        ("binary", ["{tmp}/binary/trials.csv"], "not a readable trials.csv"),
        ("numbers", ["{tmp}/numbers"], "holds non-numbers"),
        ("config", ["{tmp}/config"], "config.json' is not valid JSON"),
        (None, ["--frobnicate"], "unrecognized arguments: --frobnicate"),
        (None, [], "give at least one PATH"),
        (None, ["--top-k", "x"], "invalid int value"),
        (None, [".", "--images", "."], "--images and --dataset go with --cam"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(make, argv, message, study_folder, tmp_path, capsys):
    if make is not None:
        folder = tmp_path / make
        folder.mkdir()
        trials = folder / "trials.csv"
        if make == "garbage":
            trials.write_text("this,is\nnot,a study\n")
        elif make == "binary":
            trials.write_bytes(b"\xff\xfe\x00garbage")
        elif make == "numbers":
            frame = pd.read_csv(study_folder / "trials.csv")
            frame.assign(flops="many").to_csv(trials, index=False)
        elif make == "config":
            shutil.copy(study_folder / "trials.csv", trials)
            (folder / "config.json").write_text("{not json")
    code = call([arg.format(tmp=tmp_path) for arg in argv])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{PROG}: error: "), captured.err
    assert message in lines[0] and "Traceback" not in captured.err


def call(argv: list[str]) -> int:
    """The exit status of the command, as ``python -m nas.report`` would return it."""
    try:
        return run(main, PROG, argv)
    except SystemExit as stop:  # argparse errors exit from inside main
        return stop.code


def test_missing_matplotlib_says_how_to_install(fresh_study, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert run(main, PROG, [str(fresh_study)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'efficientnas[plots]'" in err[0]
    assert not (fresh_study / "top.md").exists()


def test_missing_path_through_a_real_process():
    result = subprocess.run(
        [sys.executable, "-m", "nas.report", "/no/such/path"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"{PROG}: error: '/no/such/path' does not exist"]
    assert result.stdout == ""


def test_help_shows_every_default(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--help"])
    assert stopped.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for default in ("(default: 10)", "(default: 8)", "(default: 0)", "else 400e6", "else -0.07"):
        assert default in text


def test_json_of_config_is_used_for_isolines(fresh_study):
    config = json.loads((fresh_study / "config.json").read_text())
    study = report.load_study(fresh_study, None, None)
    assert study.reward.target_flops == config["target_flops"]
    assert study.resolution == config["resolution"] and study.reference == "mobilenet_v2"
