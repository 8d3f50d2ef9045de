"""Parameter importances of a study's sampled choices for the reward (Optuna's PED-ANOVA).

Read from the study's journal when there is one; else the complete trials of trials.csv are
rebuilt into an in-memory study, with the choices of the MnasSpace the search sampled from.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

import baselines
from nas import results
from nas.errors import InputError
from nas.report.inputs import FALLBACK_REFERENCE, Study, is_missing
from nas.results.files import JOURNAL_FILE, TRIALS_FILE
from nas.study.loop import optuna_verbosity
from search_spaces import DEFAULT_SPACE, MnasSpace, make_space

CHOICE_COLUMN = re.compile(r"b(\d+)_([a-z_]+)")
IMPORTANCE_TRIALS_ABOVE = 5  # PED-ANOVA wants about this many trials in its top quantile

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """No Optuna log lines or warnings inside the block (small studies make PED-ANOVA warn);
    both restored after."""
    with optuna_verbosity(optuna.logging.ERROR), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _same(choice: Any, value: Any) -> bool:
    """Whether a CSV cell (a number, a bool or their text) is the choice ``choice``."""
    value = _plain(value)
    if isinstance(choice, bool) or isinstance(value, bool):
        return str(choice) == str(value)
    if isinstance(choice, (int, float)):
        try:
            return float(value) == float(choice)
        except (TypeError, ValueError):
            return False
    return str(choice) == str(value)


def _match(value: Any, choices: Sequence[Any]) -> Any:
    for choice in choices:
        if _same(choice, value):
            return choice
    raise InputError(f"{value!r} is not among {choices!r}")


def _choices(space: MnasSpace, column: str, observed: pd.Series) -> tuple[Any, ...]:
    """The space's choices for ``column`` when every observed value is one of them, else the
    observed values (a study run on another space)."""
    match = CHOICE_COLUMN.fullmatch(column)
    block, choice = int(match.group(1)) - 1, match.group(2)
    known = space.block_choices(block).get(choice) if 0 <= block < space.num_blocks else None
    values = [_plain(v) for v in observed if not is_missing(v)]
    if known and all(any(_same(k, v) for k in known) for v in values):
        return tuple(known)
    return tuple(sorted(set(values), key=str)) or (None,)


def _space(reference: str, space: str = DEFAULT_SPACE) -> MnasSpace:
    """The named space around the named baseline, or the default space around the default one."""
    try:
        return make_space(space, baselines.get(reference))
    except (ValueError, KeyError):
        return MnasSpace(baselines.get(FALLBACK_REFERENCE))


def rebuild_study(
    frame: pd.DataFrame, reference: str = FALLBACK_REFERENCE, space: str = DEFAULT_SPACE
) -> optuna.Study:
    """An in-memory study of the complete trials of a trials.csv, with categorical
    distributions from the space the search sampled from."""
    searched = _space(reference, space)
    columns = [c for c in frame.columns if CHOICE_COLUMN.fullmatch(c)]
    done = results.complete(frame)
    distributions = {
        c: optuna.distributions.CategoricalDistribution(_choices(searched, c, done[c]))
        for c in columns
    }
    trials = []
    for _, row in done.iterrows():
        present = [c for c in columns if not is_missing(row[c])]
        trials.append(
            optuna.trial.create_trial(
                state=TrialState.COMPLETE,
                value=float(row["reward"]),
                params={c: _match(row[c], distributions[c].choices) for c in present},
                distributions={c: distributions[c] for c in present},
                user_attrs={"reward": float(row["reward"]), "number": int(row["number"])},
            )
        )
    with quiet_optuna():
        study = optuna.create_study(direction="maximize")
        study.add_trials(trials)
    return study


def journal_study(path: Path, name: str) -> optuna.Study | None:
    """The study called ``name`` in a journal file, or its only study; None if neither."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    with quiet_optuna():
        storage = JournalStorage(JournalFileBackend(str(path)))
        names = optuna.study.get_all_study_names(storage)
        chosen = name if name in names else (names[0] if len(names) == 1 else None)
        if chosen is None:
            return None
        return optuna.load_study(study_name=chosen, storage=storage)


def _reward_of(trial: optuna.trial.FrozenTrial) -> float:
    value = trial.user_attrs.get("reward")
    return float(value) if isinstance(value, (int, float)) else math.nan


def importances(study: Study, note: Callable[[str], None] = logger.warning) -> pd.DataFrame | None:
    """Optuna's PED-ANOVA importances of the sampled choices for the reward (study, parameter,
    importance summing to 1, source), from the journal when there is one, else trials.csv.
    None, with a note, when the study has too few complete trials with varying choices."""
    source = TRIALS_FILE
    optuna_study = None
    if study.journal is not None:
        try:
            optuna_study = journal_study(study.journal, study.folder.resolve().name)
            source = JOURNAL_FILE
        except (ValueError, KeyError, OSError, RuntimeError, AttributeError) as error:
            note(
                f"{study.label}: {JOURNAL_FILE} unreadable ({error}); "
                f"importances from {TRIALS_FILE}"
            )
    if optuna_study is None:
        optuna_study = rebuild_study(study.frame, study.reference, study.space)
        source = TRIALS_FILE
    trials = [
        t
        for t in optuna_study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if math.isfinite(_reward_of(t))
    ]
    names = sorted({name for t in trials for name in t.params})
    varying = [n for n in names if len({repr(t.params.get(n)) for t in trials}) > 1]
    if len(trials) < 2 or not varying:
        note(
            f"{study.label}: no importances: {len(trials)} complete trial(s)"
            + ("" if len(trials) < 2 else " and no choice varies among them")
            + " (need 2 or more with varying choices)"
        )
        return None
    quantile = min(0.5, max(0.1, IMPORTANCE_TRIALS_ABOVE / len(trials)))
    evaluator = optuna.importance.PedAnovaImportanceEvaluator(target_quantile=quantile)
    with quiet_optuna():
        values = optuna.importance.get_param_importances(
            optuna_study, evaluator=evaluator, target=lambda t: -_reward_of(t)
        )
    return pd.DataFrame(
        {
            "study": study.label,
            "parameter": list(values),
            "importance": list(values.values()),
            "trials": len(trials),
            "target_quantile": quantile,
            "source": source,
        }
    )


def importance_method(table: pd.DataFrame) -> str:
    """How the importances were computed, for the figure's title and caption."""
    quantiles = sorted(set(table["target_quantile"]))
    top = (
        f"top {quantiles[0]:.0%} of trials"
        if len(quantiles) == 1
        else "top quantile of each study's trials"
    )
    return f"PED-ANOVA ({top} by reward against all)"
