from __future__ import annotations

import json

from nas.export.task import study_data, study_task


def _study(tmp_path, config: dict, best: dict) -> str:
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "best.json").write_text(json.dumps(best))
    return str(tmp_path / "best.json")


def test_an_image_folder_study_gives_its_task_and_data(tmp_path):
    config = {"dataset": "imagefolder:/photos", "data_dir": None, "image_size": 48}
    config |= {"resize": "stretch", "val_fraction": 0.2}
    best = {"arch": {}, "task": {"num_classes": 4, "in_channels": 1, "image_size": 48}}
    path = _study(tmp_path, config, best)
    assert study_task(path) == {"num_classes": 4, "in_channels": 1, "image_size": 48}
    assert study_data(path) == {
        "dataset": "imagefolder:/photos",
        "image_size": 48,
        "resize": "stretch",
        "val_fraction": 0.2,
    }


def test_a_fixed_dataset_gives_no_image_settings_and_an_old_best_json_reads_data_json(tmp_path):
    path = _study(tmp_path, {"dataset": "fashion-mnist", "image_size": 28}, {"arch": {}})
    assert study_data(path) == {"dataset": "fashion-mnist"}
    assert study_task(path) == {}
    (tmp_path / "data.json").write_text(json.dumps({"num_classes": 10, "image_size": 28}))
    assert study_task(path) == {"num_classes": 10, "image_size": 28}
    assert study_task("efficientnet_b0") == {} and study_data(None) == {}
