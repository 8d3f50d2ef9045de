from __future__ import annotations

import uuid

import pytest

from nas import results
from nas.search import run_search
from nas.study.storage import mask_url, open_storage
from tests.helpers import search_config

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/0"


def test_mask_url_hides_passwords():
    assert mask_url("postgresql://nas:s3cr%40t@db.example:5432/studies") == (
        "postgresql://nas:***@db.example:5432/studies"
    )
    assert mask_url("redis://:hunter2@cache:6379/0") == "redis://:***@cache:6379/0"
    assert mask_url("sqlite:///results/x.db") == "sqlite:///results/x.db"


def test_unknown_scheme_is_refused_with_the_url_masked(tmp_path):
    expected = r"storage='mysql://u:\*\*\*@h/db' is invalid: not supported"
    with pytest.raises(ValueError, match=expected):
        open_storage("mysql://u:pw@h/db", tmp_path / "j.log")


def test_unreachable_server_is_one_clear_error(tmp_path):
    with pytest.raises(ValueError) as error:
        open_storage("postgresql://nas:topsecret@127.0.0.1:1/none", tmp_path / "j.log")
    message = str(error.value)
    assert message.startswith("cannot open storage 'postgresql://nas:***@127.0.0.1:1/none'")
    assert "topsecret" not in message and "\n" not in message


@pytest.mark.parametrize("url", ["sqlite", POSTGRES, REDIS])
def test_search_runs_and_resumes_on_each_storage(tmp_path, url):
    if url == "sqlite":
        url = f"sqlite:///{tmp_path / 'study.db'}"
    config = dict(
        dataset="synthetic",
        train_subset=128,
        val_subset=64,
        batch_size=64,
        results_dir=str(tmp_path),
        show_progress=False,
        device="cpu",
        sampler="random",
        study_name=f"storage-{uuid.uuid4().hex[:12]}",
        storage=url,
    )
    run_search(search_config(trials=1, **config))
    study = run_search(search_config(trials=2, **config))
    frame = results.trials_frame(study)
    assert list(frame["number"]) == [0, 1] and (frame["state"] == "COMPLETE").all()
    assert frame.loc[0, "reference"] == "efficientnet_b0"
    assert (tmp_path / config["study_name"] / "trials.csv").exists()
