"""The architecture search: ``SearchConfig`` and ``run_search``, its objective and samplers."""

from __future__ import annotations

from nas.search.checks import PRUNERS, SAMPLERS
from nas.search.config import SearchConfig
from nas.search.objective import Deployment, Objective
from nas.search.run import (
    StudyStatus,
    run_search,
    study_status,
    worker_devices,
    worker_threads,
)

__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "Deployment",
    "Objective",
    "SearchConfig",
    "StudyStatus",
    "run_search",
    "study_status",
    "worker_devices",
    "worker_threads",
]
