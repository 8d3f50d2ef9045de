"""Does the proxy rank candidates as longer training would?

    python bench/fidelity.py [--archs 8] [--long-factor 5] [--dataset fashion-mnist]

Trains the reference and random samples of the default space twice, with the default CPU proxy
(preset cpu) and with a budget ``--long-factor`` times larger in images seen (2 epochs on
``long-factor / 2`` times the images), evaluated on the same held-out validation images, and
prints both accuracies and the rank agreement: Kendall tau and Spearman rho.
"""

from __future__ import annotations

import argparse
import dataclasses

import pandas as pd
import torch
from scipy.stats import kendalltau, spearmanr

from nas.data import load_data
from nas.search import SearchConfig
from nas.train import TrainConfig, train_arch
from search_spaces import encode
from search_spaces.mnasnet import MnasSpace


def run(arch, data, config: TrainConfig, seed: int) -> tuple[float, float]:
    result = train_arch(arch, data, config, seed=seed)
    return result.accuracy, result.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", type=int, default=8, help="networks, the reference included")
    parser.add_argument(
        "--long-factor", type=float, default=5.0, help="long budget / short budget, in images seen"
    )
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--csv", default=None, help="also write the table here")
    args = parser.parse_args()

    search = SearchConfig(dataset=args.dataset, seed=args.seed, device=args.device)
    short = search.train_config  # exactly what python -m nas.search trains with
    short_images = search.data_config.train_subset
    long_epochs = 2.0
    long_images = int(short_images * short.epochs * args.long_factor / long_epochs)
    long = dataclasses.replace(short, epochs=long_epochs)
    short_data = load_data(search.data_config, args.device)
    long_data = load_data(
        dataclasses.replace(search.data_config, train_subset=long_images), args.device
    )

    space = MnasSpace()
    archs = [space.reference] + [
        space.sample_random(args.seed * 1000 + i) for i in range(args.archs - 1)
    ]
    rows = []
    for index, arch in enumerate(archs):
        short_acc, short_s = run(arch, short_data, short, seed=index)
        long_acc, long_s = run(arch, long_data, long, seed=index)
        rows.append(
            {
                "arch": "efficientnet_b0" if index == 0 else f"sample {index}",
                "short_acc": short_acc,
                "long_acc": long_acc,
                "short_s": short_s,
                "long_s": long_s,
                "string": encode(arch),
            }
        )
        print(
            f"{rows[-1]['arch']:>16}: short {short_acc:.2%} ({short_s:.0f} s)   "
            f"long {long_acc:.2%} ({long_s:.0f} s)",
            flush=True,
        )
    frame = pd.DataFrame(rows)
    tau = kendalltau(frame["short_acc"], frame["long_acc"]).statistic
    rho = spearmanr(frame["short_acc"], frame["long_acc"]).statistic
    print(
        f"\nshort: preset cpu, {short_images} images x {short.epochs:g} epoch; "
        f"long: {long_images} images x {long_epochs:g} epochs "
        f"({args.long_factor:g}x the images seen); validation: "
        f"{search.data_config.val_subset} held-out images of {args.dataset}; "
        f"device {args.device}, {torch.get_num_threads()} threads"
    )
    print(f"Kendall tau {tau:.3f}   Spearman rho {rho:.3f}   over {len(frame)} networks")
    if args.csv:
        frame.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
