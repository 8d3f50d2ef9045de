"""The study loop's settings record: what resuming a study compares."""

from __future__ import annotations

import pytest


def test_a_study_s_settings_left_none_read_as_absent():
    import optuna

    from nas.errors import InputError
    from nas.study.loop import record_settings

    study = optuna.create_study()
    record_settings(study, {"target": 20.0, "bound": None}, "rename it")
    record_settings(study, {"target": 20.0}, "rename it")  # the same meaning
    record_settings(study, {"target": 20.0, "bound": None, "other": None}, "rename it")
    with pytest.raises(InputError, match=r"\(target 20.0 -> 30.0\): rename it"):
        record_settings(study, {"target": 30.0}, "rename it")
    with pytest.raises(InputError, match=r"bound None -> 5"):
        record_settings(study, {"target": 20.0, "bound": 5}, "rename it")
