"""Searches at a latency target beside a FLOPs-targeted one of the same budget, on CIFAR-10, and
the winners' latency measured end to end on the table's target (1 thread, batch 1, 224 px).

    python bench/latency_search.py --data-dir DIR [--table results/latency/torch-cpu-1t-b1.json]
        [--target-ms 20] [--alpha 0 --beta -1] [--band 0.1 --w -0.07] [--trials 20]
        [--images-seen 5000]
        [--results-dir bench/latency_search]

The studies (the hard constraint at T; the soft reward inside a band around T; FLOPs at 400M)
resume like any search (rerun the command); the table of winners is printed
and written to RESULTS_DIR/winners.csv.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

import baselines
from nas import cost
from nas.cost.latency_measure import measure_networks
from nas.cost.latency_table import LatencyTable
from nas.proxy import ProxyConfig
from nas.search import SearchConfig, run_search
from search_spaces import decode

ROOT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--table",
        default="results/latency/torch-cpu-1t-b1.json",
        help="this machine's table (built on first use); docs/data/latency/ holds the project's",
    )
    parser.add_argument("--target-ms", type=float, default=20.0)
    parser.add_argument("--alpha", type=float, default=0.0, help="default: the hard constraint")
    parser.add_argument("--beta", type=float, default=-1.0)
    parser.add_argument(
        "--band",
        type=float,
        default=0.1,
        help="a third search: the soft reward (w) with candidates outside T x (1 +- band) "
        "recorded, not trained (0: none)",
    )
    parser.add_argument("--w", type=float, default=-0.07)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--images-seen", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=31, help="timed passes per winner")
    parser.add_argument("--results-dir", default=str(ROOT / "latency_search"))
    args = parser.parse_args(argv)

    proxy = ProxyConfig(dataset=args.dataset, data_dir=args.data_dir, images_seen=args.images_seen)
    common = dict(trials=args.trials, proxy=proxy, results_dir=args.results_dir)
    studies = {
        f"latency T={args.target_ms:g} ms": SearchConfig(
            study_name=f"{args.dataset}-latency",
            target_latency_ms=args.target_ms,
            alpha=args.alpha,
            beta=args.beta,
            latency_table=args.table,
            **common,
        ),
        "FLOPs T=400M": SearchConfig(study_name=f"{args.dataset}-flops", **common),
    }
    if args.band > 0:
        studies[f"latency T={args.target_ms:g} ms, band +-{args.band:.0%}"] = SearchConfig(
            study_name=f"{args.dataset}-latency-band",
            target_latency_ms=args.target_ms,
            w=args.w,
            min_latency_ms=args.target_ms * (1 - args.band),
            max_latency_ms=args.target_ms * (1 + args.band),
            latency_table=args.table,
            **common,
        )
    table = LatencyTable.load(args.table)
    rows = []
    archs = []
    for label, config in studies.items():
        run_search(config)
        best = json.loads((config.folder / "best.json").read_text())
        arch = decode(best["arch_string"])
        archs.append(arch)
        metrics = best["metrics"]
        rows.append(
            {
                "search": label,
                "winner": metrics["number"],
                "accuracy": metrics["accuracy"],
                "reward": metrics["reward"],
                "mflops": cost.flops(arch) / 1e6,
                "predicted_ms": table.predict(arch),
                "arch": best["arch_string"],
            }
        )
    reference = baselines.get("efficientnet_b0")
    archs.append(reference)
    rows.append(
        {
            "search": "EfficientNet-B0 (reference)",
            "winner": None,
            "accuracy": None,
            "reward": None,
            "mflops": cost.flops(reference) / 1e6,
            "predicted_ms": table.predict(reference),
            "arch": "efficientnet_b0",
        }
    )
    # In a fresh process: one that has just trained ran the same networks 10-15% slower.
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        measured = pool.submit(measure_networks, archs, table.target, repeats=args.repeats).result()
    frame = pd.DataFrame(rows)
    frame["measured_ms"] = [entry.ms for entry in measured]
    frame["measured_over_target"] = frame["measured_ms"] / args.target_ms
    frame.to_csv(Path(args.results_dir) / "winners.csv", index=False)
    shown = frame.drop(columns=["arch"])
    print(shown.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    for row in frame.itertuples():
        print(f"{row.search}: {row.arch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
