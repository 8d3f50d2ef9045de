"""Do zero-cost scores rank NAS-Bench-Macro better than its FLOPs alone? Against the truth.

    python bench/zero_cost_vs_truth.py --data-dir DIR [--networks 1000] [--seed 0]
        [--batch 128] [--runs bench/zero_cost_vs_truth.csv] [--json FILE] [--from-log]

Draws ``--networks`` networks of the 6,561 uniformly (seeded), builds each at its seeded
initialisation and scores it with NASWOT and SynFlow (``nas.cost.zero_cost``) on one batch
of CIFAR-10 training images; beside them the free scores every search already has, the FLOPs
and the parameters, and the sum of NASWOT's and the FLOPs' ranks. Each is ranked against the
table's mean accuracy (Kendall tau and Spearman rho with 90% bootstrap intervals) over all the
networks and within the truth's top quartile (where a search decides). One row per network is
appended to the run log as it is scored: a stopped bench resumes; ``--from-log`` prints the
table without scoring. The issue's rule: a zero-cost score is worth using in the search only if
it ranks better than FLOPs alone.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from nas.cost.zero_cost import SCORES, zero_cost_scores
from nas.data import DataConfig, load_data, train_batches
from nas.fidelity.stats import bootstrap
from nas.fidelity.truth import TOP_QUARTILE
from nas.truth import load_table
from search_spaces import build_model, nb_macro

ROOT = Path(__file__).resolve().parent
COLUMNS = ["key", "truth", "flops", "params", *SCORES, "seconds"]
FREE = ("flops", "params")  # known before any training, exactly


def draw_keys(keys: list[str], count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [keys[i] for i in rng.choice(len(keys), size=min(count, len(keys)), replace=False)]


def score_networks(
    keys: list[str], images: torch.Tensor, log: Path, seed: int, scores: tuple[str, ...]
) -> None:
    """Score every key the run log lacks, appending one row each."""
    table = load_table()
    done = set(pd.read_csv(log)["key"].astype(str).str.zfill(8)) if log.exists() else set()
    todo = [key for key in keys if key not in done]
    new = not log.exists()
    with log.open("a", newline="") as handle, torch.no_grad():
        writer = csv.DictWriter(handle, COLUMNS)
        if new:
            writer.writeheader()
        for key in tqdm(todo, unit="network", file=sys.stderr, dynamic_ncols=True):
            torch.manual_seed(seed)
            model = build_model(nb_macro.arch(key), num_classes=10, in_channels=3)
            start = time.perf_counter()
            with torch.enable_grad():
                found = zero_cost_scores(model, images, scores)
            truth = table[key]
            row = {"key": key, "truth": truth.accuracy, "flops": truth.flops}
            row |= {"params": truth.params, **found}
            writer.writerow(row | {"seconds": time.perf_counter() - start})
            handle.flush()


def figures(frame: pd.DataFrame, cut: float) -> pd.DataFrame:
    """Kendall tau and Spearman rho of each score against the truth, all and top quartile."""
    frame = frame.assign(**{"naswot+flops": frame["naswot"].rank() + frame["flops"].rank()})
    rows = []
    for score in (*FREE, *(name for name in SCORES if frame[name].notna().all()), "naswot+flops"):
        row: dict[str, object] = {"score": score}
        for part, chosen in (("all", frame), ("top", frame[frame["truth"] > cut])):
            for statistic in ("kendall", "spearman"):
                interval = bootstrap(chosen[score], chosen["truth"], statistic)
                row[f"{statistic}_{part}"] = interval.value
                row[f"{statistic}_{part}_low"] = interval.low
                row[f"{statistic}_{part}_high"] = interval.high
        rows.append(row)
    return pd.DataFrame(rows)


def text(table: pd.DataFrame, frame: pd.DataFrame, cut: float) -> str:
    top = int((frame["truth"] > cut).sum())
    lines = [
        f"{len(frame)} networks ({top} in the truth's top quartile, > {cut:.2%}); "
        f"{frame['seconds'].median():.2f} s a network for both zero-cost scores",
        f"{'score':14s} {'tau (all)':>22s} {'rho (all)':>22s} {'tau (top quartile)':>22s}",
    ]
    for row in table.itertuples():
        cells = [
            f"{getattr(row, f'{s}'):.3f} [{getattr(row, f'{s}_low'):.2f}, "
            f"{getattr(row, f'{s}_high'):.2f}]"
            for s in ("kendall_all", "spearman_all", "kendall_top")
        ]
        lines.append(f"{row.score:14s} " + " ".join(f"{c:>22s}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="where CIFAR-10 is (else the cache)")
    parser.add_argument("--networks", type=int, default=1000, help="networks drawn uniformly")
    parser.add_argument("--seed", type=int, default=0, help="the draw and the initialisation")
    parser.add_argument("--batch", type=int, default=128, help="images NASWOT sees")
    parser.add_argument("--runs", default=str(ROOT / "zero_cost_vs_truth.csv"))
    parser.add_argument("--json", default=str(ROOT / "zero_cost_vs_truth.json"))
    parser.add_argument("--from-log", action="store_true", help="the table only, no scoring")
    parser.add_argument("--scores", default=",".join(SCORES), help="which zero-cost scores")
    parser.add_argument(
        "--shard", default="0/1", help="I/N: score every N-th network from the I-th (processes)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    truth = load_table()
    keys = draw_keys(list(truth.keys()), args.networks, args.seed)
    log = Path(args.runs)
    if not args.from_log:
        data = load_data(
            DataConfig(
                dataset="cifar10", data_dir=args.data_dir, train_subset=args.batch, val_subset=None
            )
        )
        images, _ = next(iter(train_batches(data, args.batch, torch.Generator().manual_seed(0))))
        index, count = (int(part) for part in args.shard.split("/"))
        chosen = tuple(name for name in args.scores.split(",") if name)
        score_networks(keys[index::count], images, log, args.seed, chosen)
    frame = pd.read_csv(log, dtype={"key": str})
    frame = frame[frame["key"].isin(keys)]
    cut = truth.quantile(TOP_QUARTILE)
    table = figures(frame, cut)
    print(text(table, frame, cut))
    Path(args.json).write_text(json.dumps(table.to_dict(orient="records"), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
