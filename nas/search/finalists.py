"""Re-ranking the finalists: once a search has its candidates, the best ``finalists`` networks
are trained again ``finalist_seeds`` times each with other training seeds (the study's seed +
1000 k), and the winner is the network with the best mean reward over its trainings
(``nas.results.ranking``). One noisy training names no winner; a few averaged do better.

The retrainings are trials of the same study, enqueued with the network's parameters and their
``repeat`` and ``rerank_of`` attributes, run by the engine's loop like any trial (resumed after a
crash, shared by workers). Every worker that reaches the end of the candidates enqueues the
retrainings the study lacks; two workers enqueuing the same one at once make a surplus trial,
which the loop drops untrained.
"""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from nas.study.keys import REFERENCE, REPEAT, RERANK_OF, SURPLUS


def candidates_ranked(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    """The complete candidate trials (no retrainings), one per network, best reward first
    (ties: fewer FLOPs, then the earlier), as the ranking orders them."""
    done = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if not t.user_attrs.get(REPEAT) and t.user_attrs.get("reward") is not None
    ]
    done.sort(key=lambda t: (-t.user_attrs["reward"], t.user_attrs.get("flops", 0), t.number))
    seen: set[str] = set()
    unique = []
    for trial in done:
        arch = trial.user_attrs.get("arch")
        if arch not in seen:
            seen.add(arch)
            unique.append(trial)
    return unique


def enqueue_finalists(study: optuna.Study, finalists: int, seeds: int) -> int:
    """Enqueue the retrainings of the best ``finalists`` networks the study lacks (``seeds``
    each); returns how many were enqueued."""
    present = {
        (t.user_attrs.get(RERANK_OF), t.user_attrs.get(REPEAT))
        for t in study.get_trials(deepcopy=False)
        if RERANK_OF in t.user_attrs and not t.user_attrs.get(SURPLUS)
    }  # a retraining whose worker died is retried by the engine, as any trial is
    added = 0
    for trial in candidates_ranked(study)[:finalists]:
        for repeat in range(1, seeds + 1):
            if (trial.number, repeat) in present:
                continue
            attrs = {REPEAT: repeat, RERANK_OF: trial.number}
            if REFERENCE in trial.user_attrs:
                attrs[REFERENCE] = trial.user_attrs[REFERENCE]
            study.enqueue_trial(trial.params, user_attrs=attrs)
            added += 1
    return added
