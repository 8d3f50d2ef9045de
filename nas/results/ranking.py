"""The one ranking of trials: complete trials by reward, ties to fewer FLOPs, then the earlier.

A study that re-ranked its finalists (trials with a ``rerank_of``) ranks networks instead: each
network's row is its candidate trial with the mean reward and accuracy of its trainings (the
candidate's and its retrainings with other seeds), the networks trained most first (the
finalists), then by that mean.
"""

from __future__ import annotations

import pandas as pd

from nas.results.table import LATENCY, REPEAT, RERANK_OF, REUSED_FROM

RANK_COLUMNS = ["reward", "flops", "number"]
RANK_ASCENDING = [False, True, True]


def complete(frame: pd.DataFrame) -> pd.DataFrame:
    """The complete trials that have a reward."""
    return frame[(frame["state"] == "COMPLETE") & frame["reward"].notna()]


TRAININGS = "trainings"  # a network's trainings averaged in a re-ranked study


def by_network(done: pd.DataFrame) -> pd.DataFrame:
    """One row per network of a re-ranked study's complete trials: its candidate trial's row,
    the reward and accuracy the mean of its trainings (one per training seed: a reused result
    is not another), and ``trainings`` how many."""
    trainings = done
    if REUSED_FROM in done.columns:
        trainings = done[done[REUSED_FROM].isna()]
    # One training per seed: a network sampled twice by a table search, or reused, is one.
    trainings = trainings.assign(**{REPEAT: trainings[REPEAT].fillna(0)})
    trainings = trainings.drop_duplicates(["arch", REPEAT])
    means = trainings.groupby("arch")[["reward", "accuracy"]].mean()
    counts = trainings.groupby("arch").size()
    own = done[done[REPEAT].fillna(0) == 0].drop_duplicates("arch").set_index("arch")
    own = own.loc[own.index.intersection(means.index)]
    own["reward"] = means["reward"]
    own["accuracy"] = means["accuracy"]
    own[TRAININGS] = counts
    return own.reset_index()[[*done.columns, TRAININGS]]


def ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """Complete trials, best first, with a ``rank`` column from 1 (a re-ranked study's:
    networks, see the module)."""
    done = complete(frame)
    if RERANK_OF in frame.columns and frame[RERANK_OF].notna().any():
        done = by_network(done).sort_values(
            [TRAININGS, *RANK_COLUMNS], ascending=[False, *RANK_ASCENDING]
        )
    else:
        done = done.sort_values(RANK_COLUMNS, ascending=RANK_ASCENDING)
    done = done.reset_index(drop=True)
    done.insert(0, "rank", range(1, len(done) + 1))
    return done


def best_row(frame: pd.DataFrame) -> pd.Series | None:
    """The complete trial with the highest reward (ties: fewer FLOPs, then lower number)."""
    order = ranked(frame)
    return None if order.empty else order.iloc[0].drop("rank")


def top_table(frame: pd.DataFrame, k: int = 10) -> str:
    """The k best complete trials by reward, and the reference's row wherever it ranks."""
    order = ranked(frame)
    shown = order.head(k)
    reference = order[order["reference"].fillna("") != ""]
    if not reference.empty and reference.index[0] >= k:
        shown = pd.concat([shown, reference.head(1)])
    if shown.empty:
        return "(no complete trials)"
    table = pd.DataFrame(
        {
            "rank": shown["rank"],
            "trial": shown["number"],
            "reward": shown["reward"].map("{:.4f}".format),
            "accuracy": shown["accuracy"].map("{:.2%}".format),
            "MFLOPs": (shown["flops"] / 1e6).map("{:.1f}".format),
            "params": shown["params"].map("{:,.0f}".format),
            "seconds": shown["seconds"].map("{:.1f}".format),
            "reference": shown["reference"].fillna(""),
        }
    )
    if TRAININGS in shown.columns:  # a re-ranked study: the reward is a mean of trainings
        table.insert(3, TRAININGS, shown[TRAININGS].astype(int))
    if LATENCY in shown.columns and shown[LATENCY].notna().any():  # predicted, from a table
        table.insert(
            list(table.columns).index("MFLOPs") + 1, "ms", shown[LATENCY].map("{:.2f}".format)
        )
    return table.to_string(index=False)
