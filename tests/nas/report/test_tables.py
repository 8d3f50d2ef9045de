from __future__ import annotations

import pandas as pd

from nas import results
from nas.report import tables
from tests.nas.report.helpers import write_trials


def test_top_rows_follow_the_one_ranking_and_keep_every_reference(tmp_path):
    frame = pd.read_csv(write_trials(tmp_path, rows=6), keep_default_na=False)
    # Ties on reward go to fewer FLOPs, then to the earlier trial.
    frame["reward"] = [0.4, 0.5, 0.5, 0.5, 0.1, 0.2]
    frame["flops"] = [1e6, 3e6, 2e6, 2e6, 1e6, 1e6]
    frame.loc[5, "reference"] = "efficientnet_b0"
    rows = tables.top_rows(frame, 2)
    assert rows["number"].tolist() == [2, 3, 0, 5]  # the two best, then both references
    assert rows["rank"].tolist() == [1, 2, 4, 5]
    assert rows["number"].tolist()[:2] == results.ranked(frame)["number"].tolist()[:2]


def test_markdown_and_html_tables_escape_and_align():
    table = pd.DataFrame({"study": ["a|b"], "reward": ["0.5"], "arch": ["x_y<z>"]})
    markdown = tables.markdown_table(table)
    assert markdown.splitlines()[1] == "| --- | ---: | --- |"
    assert "a\\|b" in markdown and "`x_y<z>`" in markdown
    page = tables.html_table(table)
    assert "<code>x_y&lt;z&gt;</code>" in page and 'class="num"' in page
