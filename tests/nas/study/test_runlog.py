"""nas.study.runlog: the one run log every job keeps."""

from __future__ import annotations

import multiprocessing

import pytest

from nas.errors import ConfigError, InputError
from nas.study.runlog import RunLog

COLUMNS = ["name", "seed", "accuracy", "seconds"]


def log_at(path, **options) -> RunLog:
    return RunLog(path, COLUMNS, ("name", "seed"), **options)


def _append_many(path: str, worker: int) -> None:
    for index in range(50):
        log_at(path).append({"name": f"w{worker}", "seed": index, "accuracy": 0.5, "seconds": 1})


def test_processes_appending_at_once_lose_no_row_and_write_one_header(tmp_path):
    path = tmp_path / "runs.csv"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(path), w)) for w in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
    assert [process.exitcode for process in workers] == [0, 0, 0]
    assert len(log_at(path).rows()) == 150 and path.read_text().count("name,seed") == 1


def test_rows_by_key_the_later_wins_and_missing_values_are_blank(tmp_path):
    log = log_at(tmp_path / "runs.csv")
    assert log.load() == {}
    log.append({"name": "a", "seed": 0, "accuracy": 0.5})
    log.append({"name": "a", "seed": 0, "accuracy": 0.75, "seconds": None})
    assert log.load() == {("a", "0"): {"name": "a", "seed": "0", "accuracy": "0.75", "seconds": ""}}


def test_a_log_begun_with_an_older_header_goes_on_with_it(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("name,seed,accuracy\na,0,0.5\n")
    log = log_at(path, older=[COLUMNS[:3]])
    log.append({"name": "b", "seed": 1, "accuracy": 0.25, "seconds": 9})
    assert path.read_text() == "name,seed,accuracy\na,0,0.5\nb,1,0.25\n"
    assert log.load()[("b", "1")]["seconds"] == ""


def test_a_foreign_or_torn_file_is_one_error_naming_it(tmp_path):
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("arch,accuracy\nb0,0.5\n")
    with pytest.raises(InputError, match=r"foreign.csv.*columns \(arch, accuracy\)"):
        log_at(foreign).rows()
    with pytest.raises(ConfigError, match=r"^runs=.*foreign.csv"):
        log_at(foreign, field="runs").rows()
    torn = tmp_path / "torn.csv"
    torn.write_text("name,seed,accuracy,seconds\na,0,0.5,1\nb,1,0.2")
    with pytest.raises(InputError, match="line 3 is not a run"):
        log_at(torn).rows()
