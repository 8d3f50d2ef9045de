"""The names of the files a study's folder holds."""

from __future__ import annotations

JOURNAL_FILE = "journal.log"  # the default storage: Optuna's journal of every trial
TRIALS_FILE = "trials.csv"  # one row per trial, rewritten atomically after each
BEST_FILE = "best.json"  # the best complete trial's architecture and metrics
CONFIG_FILE = "config.json"  # the settings the study was made with
SCALING_FOLDER = "scaling"  # compound scaling's outputs beside a search's
