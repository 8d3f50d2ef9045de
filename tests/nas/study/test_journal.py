"""The journal file: a cut last record is repaired, damage elsewhere names the line."""

from __future__ import annotations

import logging

import optuna
import pytest

from nas.study.journal import JournalDamaged, open_journal


def _journal_with_trials(path, count: int = 3) -> bytes:
    study = optuna.create_study(study_name="s", storage=open_journal(path))
    for value in range(count):
        study.add_trial(
            optuna.trial.create_trial(
                params={"x": value},
                distributions={"x": optuna.distributions.IntDistribution(0, 9)},
                value=float(value),
            )
        )
    return path.read_bytes()


@pytest.mark.parametrize("cut", [1, 7, 25], ids=["one-byte", "mid-record", "most-of-it"])
def test_a_cut_last_record_is_dropped_with_a_backup(tmp_path, caplog, cut):
    path = tmp_path / "journal.log"
    whole = _journal_with_trials(path)
    last_start = whole.rstrip(b"\n").rfind(b"\n") + 1
    torn = whole[: last_start + cut]
    path.write_bytes(torn)

    with caplog.at_level(logging.WARNING, logger="nas"):
        storage = open_journal(path)
    assert path.read_bytes() == whole[:last_start]  # only the incomplete record dropped
    backup = tmp_path / "journal.log.torn"
    assert backup.read_bytes() == torn
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("nas")]
    assert len(messages) == 1 and "last record was cut" in messages[0]
    assert str(backup) in messages[0]

    study = optuna.load_study(study_name="s", storage=storage)
    study.add_trial(
        optuna.trial.create_trial(
            params={"x": 5},
            distributions={"x": optuna.distributions.IntDistribution(0, 9)},
            value=5.0,
        )
    )
    reopened = optuna.load_study(study_name="s", storage=open_journal(path))
    assert [t.value for t in reopened.trials][-1] == 5.0


def test_a_cut_record_followed_by_an_append_on_the_same_line_is_dropped(tmp_path):
    """What Optuna alone leaves behind: the cut record and the next one share a line."""
    path = tmp_path / "journal.log"
    whole = _journal_with_trials(path)
    last_start = whole.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(whole[: last_start + 10] + b'{"op_code": 0, "x": 1}\n')
    open_journal(path)
    assert path.read_bytes() == whole[:last_start]


def test_a_whole_journal_is_left_alone(tmp_path):
    path = tmp_path / "journal.log"
    whole = _journal_with_trials(path)
    open_journal(path)
    assert path.read_bytes() == whole
    assert not (tmp_path / "journal.log.torn").exists()


def test_damage_before_the_last_record_names_the_file_and_line(tmp_path):
    path = tmp_path / "journal.log"
    lines = _journal_with_trials(path).splitlines(keepends=True)
    lines[1] = lines[1][:12] + b"\n"
    path.write_bytes(b"".join(lines))
    with pytest.raises(JournalDamaged) as caught:
        open_journal(path)
    message = str(caught.value)
    assert str(path) in message and "line 2 is damaged" in message
    assert len(message.splitlines()) == 1
    assert not (tmp_path / "journal.log.torn").exists()  # nothing touched


def test_search_resumes_after_a_torn_journal(tmp_path, capsys):
    from nas.cli.common import run
    from nas.cli.search import PROG, main

    flags = [
        "--dataset", "synthetic", "--train-subset", "128", "--val-subset", "64",
        "--batch-size", "64", "--no-progress", "--device", "cpu", "--sampler", "random",
        "--results-dir", str(tmp_path),
        # The cut record's trial ran in this (living) process: its silent heartbeat, not its
        # process's death, says it is lost; at 1 s the test waits 2 s, not a minute.
        "--heartbeat", "1",
    ]  # fmt: skip
    assert run(main, PROG, [*flags, "--trials", "2"]) == 0
    journal = tmp_path / "synthetic-random" / "journal.log"
    data = journal.read_bytes()
    journal.write_bytes(data[: len(data) - 9])  # the last record cut mid-write
    capsys.readouterr()
    assert run(main, PROG, [*flags, "--trials", "3"]) == 0
    err = capsys.readouterr().err
    assert "last record was cut" in err
    assert (journal.parent / "journal.log.torn").is_file()
