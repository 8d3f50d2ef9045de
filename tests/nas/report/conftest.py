from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nas.search import run_search
from tests.nas.report.helpers import tiny_search


@pytest.fixture(scope="package")
def study_folder(tmp_path_factory) -> Path:
    """A real 5-trial random-search study (trials.csv, config.json, journal.log), run once
    for every test of the report."""
    config = tiny_search(tmp_path_factory.mktemp("results"))
    run_search(config)
    return config.folder


@pytest.fixture(scope="package")
def csv_only_folder(study_folder, tmp_path_factory) -> Path:
    """The same trials as a second study with only its trials.csv: no journal, no config."""
    folder = tmp_path_factory.mktemp("other") / "csv-only"
    folder.mkdir()
    shutil.copy(study_folder / "trials.csv", folder / "trials.csv")
    return folder


@pytest.fixture()
def fresh_study(study_folder, tmp_path) -> Path:
    """A copy of the study, so reports written into its folder do not leak between tests."""
    return Path(shutil.copytree(study_folder, tmp_path / study_folder.name))
