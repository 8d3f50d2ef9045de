"""Does NASWOT rank the MnasNet space as it ranks NAS-Bench-Macro? Against the fidelity bench's
yardstick on CIFAR-10.

    python bench/zero_cost_mnas.py --data-dir DIR [--runs bench/fidelity_cifar10_cpu_runs.csv]

The networks are those of the proxy-fidelity run log (``--runs``: the MnasNet space's reference
and samples spread over its FLOPs, each trained by the yardstick, the ``long`` budget, with 2
seeds); each is built at its seeded initialisation (seed 0) and scored with NASWOT
(``nas.cost.zero_cost``) on the first 128 CIFAR-10 training images of a batch drawn with seed 0,
at 32 px, as the pre-screen scores a candidate. Printed: Kendall tau and Spearman rho of NASWOT,
of the FLOPs (at 32 px) and of the proxy (the ``short`` budget) against the yardstick's mean
accuracy, with 90% bootstrap intervals. Nothing is trained; about a second a network.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import torch

from nas import cost
from nas.cost.zero_cost import naswot
from nas.data import DataConfig, load_data, train_batches
from nas.fidelity.stats import bootstrap
from search_spaces import build_model, decode

ROOT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="where CIFAR-10 is (else the cache)")
    parser.add_argument("--runs", default=str(ROOT / "fidelity_cifar10_cpu_runs.csv"))
    args = parser.parse_args(argv)
    runs = pd.read_csv(args.runs)
    truth = runs[runs["budget"] == "long"].groupby("string")["accuracy"].mean()
    proxy = runs[runs["budget"] == "short"].groupby("string")["accuracy"].mean()
    data = load_data(
        DataConfig(dataset="cifar10", data_dir=args.data_dir, train_subset=128, val_subset=None),
        "cpu",
    )
    images, _ = next(iter(train_batches(data, 128, torch.Generator().manual_seed(0))))
    rows = []
    for string, accuracy in truth.items():
        arch = decode(string)
        torch.manual_seed(0)
        model = build_model(arch, num_classes=10, in_channels=3)
        rows.append(
            {
                "yardstick": accuracy,
                "proxy": proxy.get(string),
                "naswot": naswot(model, images),
                "flops": cost.flops(arch, 32, 3, 10),
            }
        )
    frame = pd.DataFrame(rows)
    print(f"{len(frame)} networks of {args.runs}, against the yardstick's mean accuracy")
    print(f"{'score':8s} {'Kendall tau [90%]':>22s} {'Spearman rho [90%]':>22s}")
    for score in ("naswot", "flops", "proxy"):
        known = frame.dropna(subset=[score])
        tau = bootstrap(known[score], known["yardstick"], "kendall")
        rho = bootstrap(known[score], known["yardstick"], "spearman")
        print(
            f"{score:8s} {tau.value:8.3f} [{tau.low:5.2f}, {tau.high:5.2f}]"
            f" {rho.value:8.3f} [{rho.low:5.2f}, {rho.high:5.2f}]"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
