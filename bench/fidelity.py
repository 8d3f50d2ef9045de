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

from nas.data import DataConfig, load_data
from nas.search import PRESETS
from nas.train import TrainConfig, train
from search_spaces import build_model, encode
from search_spaces.mnasnet import MnasSpace


def run(arch, data, config: TrainConfig, seed: int) -> tuple[float, float]:
    torch.manual_seed(seed)
    model = build_model(
        arch,
        num_classes=data.num_classes,
        in_channels=data.in_channels,
        dropout=config.dropout,
        drop_path=config.drop_path,
    )
    result = train(model, data, config, seed=seed)
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

    preset = PRESETS["cpu"]
    short = TrainConfig(
        epochs=preset.epochs,
        batch_size=preset.batch_size,
        lr=preset.lr,
        optimizer=preset.optimizer,
        label_smoothing=preset.label_smoothing,
    )
    long_epochs = 2.0
    long_images = int(preset.train_subset * args.long_factor / long_epochs)
    long = dataclasses.replace(short, epochs=long_epochs)
    common = dict(dataset=args.dataset, val_subset=preset.val_subset, seed=args.seed)
    short_data = load_data(DataConfig(train_subset=preset.train_subset, **common), args.device)
    long_data = load_data(DataConfig(train_subset=long_images, **common), args.device)

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
        f"\nshort: preset cpu, {preset.train_subset} images x {preset.epochs:g} epoch; "
        f"long: {long_images} images x {long_epochs:g} epochs "
        f"({args.long_factor:g}x the images seen); validation: {preset.val_subset} held-out "
        f"images of {args.dataset}; device {args.device}, {torch.get_num_threads()} threads"
    )
    print(f"Kendall tau {tau:.3f}   Spearman rho {rho:.3f}   over {len(frame)} networks")
    if args.csv:
        frame.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
