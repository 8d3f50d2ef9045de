"""A storage that stops taking writes mid-search (a full disk) and a last record torn by it."""

from __future__ import annotations

import errno
import logging
import re

from optuna.storages.journal import JournalFileBackend

from nas import results
from nas.cli.common import run
from nas.cli.search import PROG, main
from nas.search import run_search
from tests.helpers import search_config

ARGS = [
    "--dataset", "synthetic", "--train-subset", "64", "--val-subset", "32", "--batch-size", "32",
    "--device", "cpu", "--sampler", "random", "--no-progress",
]  # fmt: skip


def test_a_full_disk_mid_search_is_one_line_and_the_search_resumes(tmp_path, monkeypatch, capsys):
    real = JournalFileBackend.append_logs
    writes = {"n": 0}

    def filling_up(self, logs):
        writes["n"] += 1
        if writes["n"] > 60:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, logs)

    monkeypatch.setattr(JournalFileBackend, "append_logs", filling_up)
    # --heartbeat 1: the trial the full disk stopped ran in this (living) process, so it is
    # known to be lost by its silent heartbeat, not by its process's death.
    argv = [*ARGS, "--trials", "4", "--results-dir", str(tmp_path), "--heartbeat", "1"]
    assert run(lambda a: main(a, PROG), PROG, argv) == 1
    err = capsys.readouterr().err
    line = [text for text in err.splitlines() if "error" in text]
    assert len(line) == 1 and "journal.log" in line[0] and "No space left on device" in line[0]
    assert "run the same command again to resume" in line[0] and "Traceback" not in err
    monkeypatch.setattr(JournalFileBackend, "append_logs", real)
    assert run(lambda a: main(a, PROG), PROG, argv) == 0
    frame = results.load(tmp_path / "synthetic-random")
    assert (frame["state"] == "COMPLETE").sum() == 4


def test_a_torn_last_record_of_a_finished_trial_completes_it_from_its_result(tmp_path, caplog):
    config = search_config(
        dataset="synthetic", train_subset=64, val_subset=32, batch_size=32, device="cpu",
        sampler="random", trials=2, results_dir=str(tmp_path), show_progress=False,
    )  # fmt: skip
    first = results.trials_frame(run_search(config))
    journal = tmp_path / "synthetic-random" / "journal.log"
    lines = journal.read_text().splitlines(keepends=True)
    last = max(i for i, text in enumerate(lines) if '"op_code":6' in text and '"state":1' in text)
    assert last == len(lines) - 1  # the trial's end is the journal's last record
    # Its worker is gone (another process, now dead), and the record was torn mid-write.
    text = re.sub(r'("worker":"[^:"]*):\d+:[^"]*"', r'\1:1:not-init"', "".join(lines[:last]))
    journal.write_text(text + lines[last][: len(lines[last]) // 2])
    with caplog.at_level(logging.WARNING, logger="nas"):
        again = results.trials_frame(run_search(config))
    assert list(again["state"]) == ["COMPLETE", "COMPLETE"] and again["retry_of"].isna().all()
    assert list(again["reward"]) == list(first["reward"])
    assert "completed from the results they recorded" in caplog.text
    assert "stopped mid-way" not in caplog.text
