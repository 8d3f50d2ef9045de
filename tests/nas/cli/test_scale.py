from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest

import baselines
from nas import cost
from nas.archs import resolve_arch
from nas.cli.main import main as efficientnas
from nas.cli.scale import PROG, command, main
from nas.study.storage import open_storage
from search_spaces.rules import flops_factor

ROOT = Path(__file__).resolve().parents[3]
# A small baseline keeps every training in these tests to a second or two.
SMALL = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"
TINY = [
    "--baseline",
    SMALL,
    "--dataset",
    "synthetic",
    "--train-subset",
    "128",
    "--val-subset",
    "64",
    "--no-fvcore",
    "--no-latency",
    "--no-progress",
]
# A coarse grid: 4 points with |a*b^2*g^2 - 2| <= 0.25 on steps of 0.4.
GRID = ["--grid-step", "0.4", "--tolerance", "0.25"]


def test_grid_search_family_and_files(tmp_path, capsys):
    assert (
        main([*TINY, *GRID, "--phis", "1-2", "--no-ablation", "--results-dir", str(tmp_path)]) == 0
    )
    folder = tmp_path / "custom" / "scaling"
    grid = pd.read_csv(folder / "grid.csv")
    assert len(grid) == 4
    products = grid["alpha"] * grid["beta"] ** 2 * grid["gamma"] ** 2
    assert ((products - 2).abs() <= 0.25 + 1e-9).all() and (
        grid[["alpha", "beta", "gamma"]] >= 1
    ).all().all()
    assert grid["accuracy"].is_monotonic_decreasing  # best first
    winner = tuple(grid.iloc[0][["alpha", "beta", "gamma"]])
    family = pd.read_csv(folder / "family.csv")
    assert list(family["model"]) == ["phi1", "phi2"]
    for column in ("flops_ratio", "constraint_ratio", "two_pow_phi", "params", "flops"):
        assert column in family
    assert family["constraint_ratio"].tolist() == pytest.approx(
        [flops_factor(*winner) ** p for p in (1, 2)]
    )
    record = json.loads((folder / "b2.json").read_text())
    assert record["coefficients"] == list(winner)
    arch = resolve_arch(str(folder / "b2.json"))
    assert cost.params(arch) == family.loc[1, "params"]
    assert (folder / "family.png").stat().st_size > 10_000
    assert "grid search (best first)" in capsys.readouterr().out


def test_official_with_coefficients_skips_the_grid(tmp_path):
    assert (
        main(
            [
                *TINY[2:],
                "--coefficients",
                "1.2,1.1,1.15",
                "--official",
                "--no-ablation",
                "--results-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    folder = tmp_path / "efficientnet_b0" / "scaling"
    assert not (folder / "grid.csv").exists()
    family = pd.read_csv(folder / "family.csv")
    assert sorted(set(family["source"])) == ["formula", "official"]
    official = family[family["source"] == "official"]
    assert official["params"].tolist() == [
        7_794_184,
        9_109_994,
        12_233_232,
        19_341_616,
        30_389_784,
        43_040_704,
        66_347_960,
    ]
    formula = family[family["source"] == "formula"]
    assert formula["constraint_ratio"].tolist() == pytest.approx(
        [flops_factor(1.2, 1.1, 1.15) ** p for p in range(1, 8)]
    )
    # --official writes the official architectures as b<phi>.json.
    assert resolve_arch(str(folder / "b3.json")) == baselines.get("efficientnet_b3")


def test_ablation_trains_each_scaling(tmp_path):
    assert (
        main(
            [
                *TINY,
                "--coefficients",
                "1.2,1.1,1.15",
                "--phis",
                "1",
                "--ablation-factor",
                "1.6",
                "--results-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "custom" / "scaling" / "ablation.csv")
    assert list(table["scaling"]) == ["baseline", "depth", "width", "resolution", "compound"]
    assert table["accuracy"].between(0, 1).all()
    assert (tmp_path / "custom" / "scaling" / "ablation.png").exists()


def _finished_points(journal: Path) -> dict[str, float]:
    if not journal.exists():
        return {}
    storage = open_storage(None, journal)
    study = optuna.load_study(study_name="custom-scaling-grid", storage=storage)
    return {
        t.user_attrs["label"]: t.value
        for t in study.get_trials(deepcopy=False)
        if t.state == optuna.trial.TrialState.COMPLETE
    }


def test_killed_grid_search_resumes(tmp_path, spawn):
    line = [
        sys.executable,
        "-m",
        "nas.scale",
        *TINY,
        "--grid-step",
        "0.2",
        "--tolerance",
        "0.2",
        "--phis",
        "1",
        "--no-ablation",
        "--results-dir",
        str(tmp_path),
    ]
    process = spawn(line, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = tmp_path / "custom" / "scaling" / "journal.log"
    deadline = time.time() + 180
    while time.time() < deadline and len(_finished_points(journal)) < 2:
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = _finished_points(journal)
    assert 2 <= len(before) < 8
    resumed = subprocess.run(line, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    after = _finished_points(journal)
    assert len(after) == 8 and all(after[label] == value for label, value in before.items())
    grid = pd.read_csv(tmp_path / "custom" / "scaling" / "grid.csv")
    assert len(grid) == 8  # every point of this grid, each trained once


def test_dry_run_prints_the_grid_and_family(capsys):
    assert main(["--dry-run", "--official"]) == 0
    out = capsys.readouterr().out
    assert "grid: 111 points" in out
    assert "efficientnet_b7" in out and "66,347,960" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--coefficients", "1.2,1.1"], "--coefficients='1.2,1.1' is invalid"),
        (["--phis", "a-b"], "--phis='a-b' is invalid"),
        (["--repeats", "0"], "--repeats=0 is invalid"),
        (["--grid-step", "-1"], "--grid-step=-1.0 is invalid"),
        (["--tolerance", "-1"], "--tolerance=-1.0 is invalid"),
        (
            ["--grid-step", "0.7", "--tolerance", "0.01"],
            "--grid-step=0.7 with --tolerance=0.01 leaves no grid point",
        ),
        (["--seed", "-1"], "--seed=-1 is invalid"),
        (["--device", "tpu"], "--device='tpu' is invalid"),
        (["--baseline", "nope"], "'nope' is neither a baseline"),
        (["--baseline", "missing/best.json"], "'missing/best.json' does not exist"),
        (["--ablation-factor", "0.5"], "--ablation-factor=0.5 is invalid"),
        (["--baseline", "stem32-ir_r1-head1280"], "bad architecture string"),
        (["--baseline", "BROKEN.json"], "is not valid JSON"),
        (["--baseline", "NOTARCH.json"], "architecture file"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(tmp_path, capsys, argv, message):
    (tmp_path / "broken.json").write_text('{"arch": {"stem": 32')
    (tmp_path / "notarch.json").write_text('{"arch": {"stem": "wide"}}')
    argv = [
        arg.replace("BROKEN.json", str(tmp_path / "broken.json")).replace(
            "NOTARCH.json", str(tmp_path / "notarch.json")
        )
        for arg in argv
    ]
    code = command([*argv, "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert err.startswith(f"{PROG}: error: ")


def test_the_console_script_runs_the_same_command(capsys):
    assert efficientnas(["scale", "--repeats", "0", "--dry-run"]) == 2
    assert capsys.readouterr().err.startswith("efficientnas scale: error: --repeats=0 is invalid")
    assert efficientnas(["scale", "--dry-run", "--coefficients", "1.2,1.1,1.15"]) == 0
    out = capsys.readouterr().out
    assert "grid:" not in out and "phi7" in out


def test_changed_settings_do_not_reuse_old_results(tmp_path):
    argv = [*TINY, "--coefficients", "1.2,1.1,1.15", "--phis", "1", "--results-dir", str(tmp_path)]
    assert main([*argv, "--ablation-factor", "1.6"]) == 0
    # Another target means other networks under the same labels ("depth", "width"...).
    with pytest.raises(ValueError, match="was made with other settings"):
        main([*argv, "--ablation-factor", "3.0"])


def test_changed_settings_give_one_line_and_exit_2(tmp_path, capsys):
    argv = [*TINY, "--coefficients", "1.2,1.1,1.15", "--phis", "1", "--no-ablation"]
    argv += ["--train", "--results-dir", str(tmp_path)]
    assert command(argv) == 0
    capsys.readouterr()
    assert command([*argv, "--seed", "1"]) == 2  # another seed trains other networks
    err = capsys.readouterr().err
    assert "was made with other settings" in err and "seed 0 -> 1" in err
    assert "another study name" in err and len(err.strip().splitlines()) == 1


def test_without_matplotlib_the_tables_are_still_written(tmp_path, capsys, monkeypatch):
    import nas.report

    def unavailable(folder):
        raise nas.report.PlotsUnavailable("no matplotlib")

    monkeypatch.setattr(nas.report, "scaling_figures", unavailable)
    argv = [*TINY, "--coefficients", "1.2,1.1,1.15", "--phis", "1", "--no-ablation"]
    assert command([*argv, "--results-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "no plots: pip install 'efficientnas[plots]' for matplotlib" in captured.err
    folder = tmp_path / "custom" / "scaling"
    assert (folder / "family.csv").is_file() and not (folder / "family.png").exists()
    assert "written to" in captured.out


def test_a_search_winner_is_scaled_on_the_data_it_was_searched_on(tmp_path):
    """--baseline a search's best.json without --dataset: the study's dataset (read back from
    its config.json by SearchConfig.from_record), not the default Fashion-MNIST."""
    from nas.cli.scale import build_parser, config_from_args
    from nas.search import run_search
    from tests.helpers import tiny_config

    config = tiny_config(tmp_path, trials=1, use_reference=False, sampler="random")
    run_search(config)
    best = str(config.folder / "best.json")
    scaled = config_from_args(build_parser(PROG).parse_args(["--baseline", best]))
    assert scaled.proxy.dataset == "synthetic"
    told = ["--baseline", best, "--dataset", "fashion-mnist"]
    assert config_from_args(build_parser(PROG).parse_args(told)).proxy.dataset == "fashion-mnist"
    plain = config_from_args(build_parser(PROG).parse_args(["--baseline", "efficientnet_b0"]))
    assert plain.proxy.dataset == "fashion-mnist"
