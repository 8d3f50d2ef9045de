"""How a command shows an error: the user's as one line and exit 2, a bug as a bug."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from nas.cli.common import DEBUG_ENV, Parser, run
from nas.cli.main import COMMANDS
from nas.errors import ConfigError, InputError, JobFailed, MissingFile

PROG = "efficientnas cost"


def raising(error: BaseException):
    def main(argv):
        Parser(prog=PROG).parse_args(argv)
        raise error

    return main


@pytest.mark.parametrize(
    ("error", "status", "line"),
    [
        (InputError("arch file 'x.json' is empty"), 2, "arch file 'x.json' is empty"),
        (ConfigError("min_flops", 5.0, "must be < {max_flops}"), 2, "--min-flops=5.0 is invalid"),
        (MissingFile("no trials.csv at 'r'"), 2, "no trials.csv at 'r'"),
        (JobFailed("the storage is gone: resume with ..."), 1, "the storage is gone"),
        (PermissionError(13, "Permission denied", "/root/x"), 2, "Permission denied: '/root/x'"),
    ],
)
def test_an_error_on_purpose_is_one_line(capsys, error, status, line):
    assert run(raising(error), PROG, []) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{PROG}: error: ") and line in err
    assert "Traceback" not in err and "internal error" not in err


def test_a_bug_says_it_is_one_and_where_its_traceback_is(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read again
    assert run(raising(KeyError("config")), PROG, []) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (a bug" in err and "KeyError" in err
    saved = list(tmp_path.glob("efficientnas-cost-*.txt"))
    assert len(saved) == 1 and str(saved[0]) in err
    text = Path(saved[0]).read_text()
    assert text.startswith("Traceback") and "KeyError: 'config'" in text


def test_a_plain_value_error_is_a_bug_now_not_the_users_input(capsys):
    assert run(raising(ValueError("math domain error")), PROG, []) == 1
    assert "internal error" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_debug_prints_the_traceback(capsys, monkeypatch, how):
    argv = ["--debug"] if how == "flag" else []
    if how == "environment":
        monkeypatch.setenv(DEBUG_ENV, "1")
    assert run(raising(ZeroDivisionError("division by zero")), PROG, argv) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "traceback above" in err


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_takes_debug(capsys, name):
    module = importlib.import_module(COMMANDS[name][0])
    with pytest.raises(SystemExit) as leaving:
        module.command(["--help"])
    assert leaving.value.code == 0 and "--debug" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "argv", "line"),
    [
        ("scale", ["--phis", "1-1000", "--dry-run"], "--phis reaches phi 21, which scales"),
        ("cost", ["--resolution", "5", "--no-fvcore", "--no-latency"], "--resolution=5 is invalid"),
    ],
)
def test_a_value_that_makes_an_impossible_network_names_the_flag(capsys, name, argv, line):
    module = importlib.import_module(COMMANDS[name][0])
    assert module.command(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and line in err
