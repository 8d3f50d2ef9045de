"""A study's results: the one trials table and its columns, the one ranking, the files."""

from __future__ import annotations

from nas.results.files import BEST_FILE, CONFIG_FILE, JOURNAL_FILE, SCALING_FOLDER, TRIALS_FILE
from nas.results.io import best_record, write_atomic, write_best_json, write_csv
from nas.results.ranking import best_row, complete, ranked, top_table
from nas.results.table import (
    COLUMNS,
    NUMERIC,
    REASON,
    STEP_COLUMNS,
    TABLE_COLUMNS,
    TABLE_KEY,
    TRUE_ACCURACY,
    load,
    trials_frame,
)

__all__ = [
    "BEST_FILE",
    "COLUMNS",
    "STEP_COLUMNS",
    "TABLE_COLUMNS",
    "TABLE_KEY",
    "TRUE_ACCURACY",
    "CONFIG_FILE",
    "JOURNAL_FILE",
    "NUMERIC",
    "REASON",
    "SCALING_FOLDER",
    "TRIALS_FILE",
    "best_record",
    "best_row",
    "complete",
    "load",
    "ranked",
    "top_table",
    "trials_frame",
    "write_atomic",
    "write_best_json",
    "write_csv",
]
