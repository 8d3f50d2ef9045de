"""The one ranking of trials: complete trials by reward, ties to fewer FLOPs, then the earlier."""

from __future__ import annotations

import pandas as pd

RANK_COLUMNS = ["reward", "flops", "number"]
RANK_ASCENDING = [False, True, True]


def complete(frame: pd.DataFrame) -> pd.DataFrame:
    """The complete trials that have a reward."""
    return frame[(frame["state"] == "COMPLETE") & frame["reward"].notna()]


def ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """Complete trials, best first, with a ``rank`` column from 1."""
    done = complete(frame).sort_values(RANK_COLUMNS, ascending=RANK_ASCENDING)
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
    return table.to_string(index=False)
