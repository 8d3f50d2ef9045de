"""The report's tables (top trials, the studies, the scaling tables) as text, markdown and HTML."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

from nas import results
from nas.report.frames import describe_reward
from nas.report.inputs import Study, is_missing

TOP_COLUMNS = ["rank", "number", "reward", "accuracy", "flops", "params", "seconds"]
TEXT_COLUMNS = {
    "reference",
    "arch",
    "study",
    "parameter",
    "model",
    "source",
    "scaling",
    "folder",
    "reward settings",
}
# The columns of each scaling table the HTML page shows, in order, where present.
SCALING_COLUMNS = {
    "family": ("source", "model", "phi", "depth", "width", "resolution", "params", "flops")
    + ("flops_ratio", "accuracy"),
    "ablation": ("scaling", "factor", "depth", "width", "resolution", "params", "flops")
    + ("flops_ratio", "accuracy"),
    "grid": ("alpha", "beta", "gamma", "product", "accuracy", "seeds", "flops"),
}


def top_rows(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """The k best complete trials in nas.results' ranking, with their rank, and every reference
    trial wherever it ranks."""
    ranked = results.ranked(frame)
    rest = ranked.iloc[k:]
    return pd.concat([ranked.head(k), rest[rest["reference"].fillna("") != ""]])


def top_csv(studies: Sequence[Study], k: int) -> pd.DataFrame:
    """top.csv: every study's top rows, labelled by study."""
    parts = []
    for study in studies:
        rows = top_rows(study.frame, k)
        part = rows[TOP_COLUMNS + ["reference", "arch"]].rename(columns={"number": "trial"})
        part.insert(0, "study", study.label)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _number(value: Any, template: str) -> str:
    return "" if value is None or pd.isna(value) else template.format(value)


def display_rows(rows: pd.DataFrame, with_arch: bool = True) -> pd.DataFrame:
    """The ranked rows as text, for the markdown, HTML and printed tables."""
    table = pd.DataFrame(
        {
            "rank": rows["rank"].map(str),
            "trial": rows["number"].map(lambda n: str(int(n))),
            "reward": rows["reward"].map(lambda v: _number(v, "{:.4f}")),
            "accuracy": rows["accuracy"].map(lambda v: _number(v, "{:.2%}")),
            "MFLOPs": rows["flops"].map(lambda v: _number(v / 1e6, "{:,.1f}")),
            "params": rows["params"].map(lambda v: _number(v, "{:,.0f}")),
            "seconds": rows["seconds"].map(lambda v: _number(v, "{:.1f}")),
            "reference": rows["reference"].map(str),
        }
    )
    if with_arch:
        table["arch"] = rows["arch"].map(lambda a: "" if pd.isna(a) else str(a))
    return table


def markdown_table(table: pd.DataFrame, code: Sequence[str] = ("arch",)) -> str:
    """A GitHub-flavoured markdown table; text columns left-aligned, numbers right; ``code``
    columns in backticks (architecture strings hold underscores)."""

    def cell(column: str, value: Any) -> str:
        text = str(value).replace("|", "\\|")
        return f"`{text}`" if column in code and text else text

    align = ["---" if c in TEXT_COLUMNS else "---:" for c in table.columns]
    lines = ["| " + " | ".join(table.columns) + " |", "| " + " | ".join(align) + " |"]
    for row in table.itertuples(index=False):
        cells = (cell(c, v) for c, v in zip(table.columns, row, strict=True))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def html_table(table: pd.DataFrame, code: Sequence[str] = ("arch",)) -> str:
    """An HTML table, every cell escaped; ``code`` columns in <code>."""
    head = "".join(
        f'<th class="{"text" if c in TEXT_COLUMNS else "num"}">{html.escape(str(c))}</th>'
        for c in table.columns
    )
    body = []
    for row in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            text = "" if is_missing(value) else html.escape(str(value))
            if column in code and text:
                text = f"<code>{text}</code>"
            kind = "text" if column in TEXT_COLUMNS else "num"
            cells.append(f'<td class="{kind}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def study_summary(study: Study) -> dict[str, Any]:
    """One row of the studies' table: trial counts, the winner, the reward, the folder."""
    states = study.frame["state"].value_counts()
    winner = study.winner
    return {
        "study": study.label,
        "trials": len(study.frame),
        "complete": int(states.get("COMPLETE", 0)),
        "pruned": int(states.get("PRUNED", 0)),
        "failed": int(states.get("FAIL", 0)),
        "best trial": "" if winner is None else str(int(winner["number"])),
        "best reward": "" if winner is None else f"{winner['reward']:.4f}",
        "reward settings": describe_reward(study.reward),
        "folder": str(study.folder),
    }


def scaling_table(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """A scaling table (``name``: family, ablation or grid) as text: its shown columns, FLOPs in
    millions, accuracy in %, other floats to 3 significant digits."""
    shown = table[[c for c in SCALING_COLUMNS[name] if c in table.columns]].copy()
    if "flops" in shown:
        shown["flops"] = shown["flops"].map(lambda v: _number(v / 1e6, "{:,.1f}M"))
    if "params" in shown:
        shown["params"] = shown["params"].map(lambda v: _number(v, "{:,.0f}"))
    if "accuracy" in shown:
        shown["accuracy"] = shown["accuracy"].map(lambda v: _number(v, "{:.2%}"))
    for column in shown.columns:
        if shown[column].dtype.kind == "f":
            shown[column] = shown[column].map(lambda v: _number(v, "{:.3g}"))
    return shown
