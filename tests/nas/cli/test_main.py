"""The console script ``efficientnas COMMAND``: the same commands and flags as ``python -m``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nas.cli.main import COMMANDS, main

ROOT = Path(__file__).resolve().parents[3]


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    names = ("search", "scale", "report", "export", "cost", "latency", "fidelity", "compare")
    for name in (*names, "train"):
        assert f"  {name}" in out
    assert set(COMMANDS) == {
        "search",
        "scale",
        "report",
        "export",
        "cost",
        "latency",
        "fidelity",
        "compare",
        "train",
    }


def test_no_command_and_an_unknown_one_exit_2(capsys):
    assert main([]) == 2
    assert main(["serch"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "efficientnas: error: unknown command 'serch'; use one of " + ", ".join(COMMANDS)
    )


def test_a_bad_flag_names_the_subcommand_and_the_flag(capsys):
    assert main(["search", "--target-flops", "-1"]) == 2
    assert capsys.readouterr().err.strip() == (
        "efficientnas search: error: --target-flops=-1.0 is invalid: must be a positive number"
    )


def test_cost_prints_the_exact_parameter_count(capsys):
    assert main(["cost", "efficientnet_b0", "--no-fvcore", "--no-latency"]) == 0
    assert "5,288,548" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["search", "scale", "report", "export", "cost", "fidelity"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert f"usage: efficientnas {command}" in capsys.readouterr().out


def test_the_installed_script_and_python_m_agree():
    script = shutil.which("efficientnas")
    if script is None:
        pytest.skip("the package is not installed with its console script")
    flags = ["--target-flops", "0"]
    by_script = subprocess.run([script, "search", *flags], capture_output=True, text=True)
    by_module = subprocess.run(
        [sys.executable, "-m", "nas.search", *flags], capture_output=True, text=True, cwd=ROOT
    )
    assert by_script.returncode == by_module.returncode == 2
    assert by_script.stderr.replace("efficientnas search", "python -m nas.search") == (
        by_module.stderr
    )
