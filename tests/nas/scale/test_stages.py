from __future__ import annotations

import pytest

from nas.proxy import ProxyConfig
from nas.scale import ScaleConfig, run_stage, stage_frame
from nas.study.keys import FAIL_REASON, WORKER

PLAN = {"a": "network a", "b": "network b", "c": "network c"}


def _config(tmp_path, **proxy) -> ScaleConfig:
    return ScaleConfig(
        coefficients=(1.2, 1.1, 1.15),
        results_dir=str(tmp_path),
        study_name="demo",
        proxy=ProxyConfig(dataset="synthetic", **proxy),
        show_progress=False,
    )


def test_a_stage_trains_every_label_once_and_resumes(tmp_path):
    calls = []

    def evaluate(label, number):
        calls.append(label)
        if label == "b":
            raise RuntimeError("diverged")
        return {"accuracy": {"a": 0.5, "c": 0.7}[label], "seconds": 1.0}

    config = _config(tmp_path)
    study = run_stage(config, "grid", PLAN, evaluate)
    assert study.study_name == "demo-scaling-grid"
    assert sorted(calls) == ["a", "b", "c"]
    assert (tmp_path / "demo" / "scaling" / "journal.log").is_file()
    frame = stage_frame(study).set_index("label")
    assert frame.loc["a", "accuracy"] == 0.5 and frame.loc["c", "accuracy"] == 0.7
    assert frame.loc["b", FAIL_REASON] == "RuntimeError: diverged"
    assert all(WORKER in t.user_attrs for t in study.trials)
    run_stage(config, "grid", PLAN, evaluate)  # finished: nothing is trained again
    assert len(calls) == 3


def test_a_stage_stopped_mid_label_retries_that_label_on_resume(tmp_path):
    """The stage runs on the study engine's loop: a label whose training was interrupted is
    neither lost nor counted as the network's failure; the next run trains it again."""
    calls = []

    def interrupted_at_b(label, number):
        calls.append(label)
        if label == "b" and calls.count("b") == 1:
            raise KeyboardInterrupt
        return {"accuracy": 0.5, "seconds": 1.0}

    config = _config(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run_stage(config, "grid", PLAN, interrupted_at_b)
    study = run_stage(config, "grid", PLAN, interrupted_at_b)
    assert len(calls) == 4 and calls.count("b") == 2 and set(calls) == {"a", "b", "c"}
    frame = stage_frame(study).set_index("label")
    assert sorted(frame.index) == ["a", "b", "c"] and FAIL_REASON not in frame.columns


def test_a_stage_reports_to_its_progress_listener(tmp_path):
    made = []

    class Listener:
        def __init__(self, total, done, enabled=True, label=""):
            made.append((total, done, enabled, label))
            self.seen = []
            self.closed = False
            made.append(self)

        def __call__(self, study, trial):
            self.seen.append(trial.number)

        def advance_to(self, done):
            pass

        def close(self):
            self.closed = True

    config = _config(tmp_path)
    run_stage(config, "family", PLAN, lambda label, n: {"accuracy": 0.1}, progress=Listener)
    assert made[0] == (3, 0, False, "family ")
    assert made[1].seen == [0, 1, 2] and made[1].closed


def test_a_changed_plan_or_seed_is_refused(tmp_path):
    evaluate = lambda label, number: {"accuracy": 0.1}  # noqa: E731
    run_stage(_config(tmp_path), "ablation", PLAN, evaluate)
    with pytest.raises(ValueError, match="was made with other settings") as caught:
        run_stage(_config(tmp_path), "ablation", {**PLAN, "c": "another"}, evaluate)
    assert "another study name" in str(caught.value) and "--" not in str(caught.value)
    with pytest.raises(ValueError, match="seed 0 -> 1"):
        run_stage(_config(tmp_path, seed=1), "ablation", PLAN, evaluate)


def test_a_stage_keeps_the_identity_older_scaling_studies_recorded(tmp_path):
    """Before ProxyConfig, a stage recorded the plan and the search's identity at its defaults;
    such a study must still resume."""
    from nas.scale.stages import stage_identity
    from nas.search import SearchConfig

    config = _config(tmp_path, seed=3, epochs=0.5)
    old = {"plan": PLAN, **SearchConfig(proxy=config.proxy).identity()}
    assert stage_identity(config, PLAN) == old
