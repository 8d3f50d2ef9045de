"""Does progressive learning train faster at the same accuracy (EfficientNetV2, Section 4)?

    python bench/progressive_vs_fixed.py [--data-dir DIR] [--epochs 4] [--seeds 0,1]
        [--train-subset 10000] [--val-subset 1000] [--min-size 16] [--size 32]
        [--out bench/progressive] [--device cpu] [--from-log]

Trains each network (EfficientNet-B0 and the winner of the CIFAR-10 TPE search, seed 0, of
bench/search_vs_random.py) twice per seed with ``python -m nas.train``'s code: progressive
(image size from --min-size to --size over 4 stages) and fixed-size (--size throughout: the same
command with S0 = Se). Both grow dropout 0.1 -> 0.3 and RandAugment 5 -> 15 over the stages, see
the same number of epochs and images, and are tested at --size on the 10,000 test images.
Prints, per network and mode, the training wall time (epochs only; evaluation excluded) and the
test accuracy of each seed, then the speed-up of progressive training and its accuracy
difference, against the target of at least 1.3x less wall time within 0.5 points.

Resuming: each run lives in its own folder under --out (``<network>-<mode>-seed<k>``); a run
with a result.json is not trained again, a killed one continues from its last epoch.
``--from-log`` prints the table from the result files alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from nas.data import DataConfig
from nas.runtime import torch_threads
from nas.train import ProgressiveSchedule
from nas.train.full import FullTrainConfig
from nas.train.run import RESULT_FILE, TrainRun, run_training
from search_spaces import decode

ROOT = Path(__file__).resolve().parents[1]
NETWORKS = {
    "efficientnet_b0": "efficientnet_b0",
    # The TPE seed 0 winner of bench/search_vs_random.py (bench/search_vs_random_runs.csv).
    "tpe_seed0_winner": (
        "stem32-ir_r1_k5_s1_e3_c24_noskip-ir_r1_k5_s2_e1_c24_se0.25-er_r2_k5_s2_e3_c40_se0.25-"
        "ds_r2_k3_s2_c80-ds_r2_k3_s1_c112_se0.25-ds_r4_k5_s2_c192_se0.25-ds_r1_k3_s1_c240-"
        "head1280-silu-res224"
    ),
}
MODES = ("progressive", "fixed")


def arch_of(text: str):
    import baselines

    return baselines.get(text) if not text.startswith("stem") else decode(text)


def runs(args: argparse.Namespace) -> list[tuple[str, str, int, TrainRun]]:
    data = DataConfig(
        dataset="cifar10",
        data_dir=args.data_dir,
        train_subset=args.train_subset,
        val_subset=args.val_subset,
    )
    planned = []
    for network, text in NETWORKS.items():
        for seed in args.seeds:
            for mode in MODES:
                low = args.min_size if mode == "progressive" else args.size
                schedule = ProgressiveSchedule(min_size=low, max_size=args.size)
                config = FullTrainConfig(schedule, epochs=args.epochs, batch_size=64, seed=seed)
                folder = Path(args.out) / f"{network}-{mode}-seed{seed}"
                run = TrainRun(arch_of(text), network, data, config, str(folder), args.device)
                planned.append((network, mode, seed, run))
    return planned


def table(planned: list[tuple[str, str, int, TrainRun]]) -> str:
    found: dict[tuple[str, str], list[dict]] = {}
    for network, mode, _, run in planned:
        path = Path(run.folder) / RESULT_FILE
        if path.is_file():
            found.setdefault((network, mode), []).append(json.loads(path.read_text()))
    lines = [
        f"{'network':<18} {'mode':<12} {'seeds':>5} {'train s (each)':>24} {'test % (each)':>20}"
    ]
    for network in NETWORKS:
        for mode in MODES:
            rows = found.get((network, mode), [])
            seconds = " ".join(f"{r['train_seconds']:.0f}" for r in rows)
            accuracy = " ".join(f"{100 * r['test_accuracy']:.2f}" for r in rows)
            lines.append(f"{network:<18} {mode:<12} {len(rows):>5} {seconds:>24} {accuracy:>20}")
        fast, slow = found.get((network, "progressive"), []), found.get((network, "fixed"), [])
        if fast and slow:
            speedup = statistics.mean(r["train_seconds"] for r in slow) / statistics.mean(
                r["train_seconds"] for r in fast
            )
            delta = 100 * (
                statistics.mean(r["test_accuracy"] for r in fast)
                - statistics.mean(r["test_accuracy"] for r in slow)
            )
            met = speedup >= 1.3 and delta >= -0.5
            lines.append(
                f"  {network}: progressive {speedup:.2f}x less wall time, test accuracy "
                f"{delta:+.2f} points (mean of seeds); target >= 1.3x within 0.5 points: "
                f"{'met' if met else 'missed'}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seeds", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1])
    parser.add_argument("--train-subset", type=int, default=10_000)
    parser.add_argument("--val-subset", type=int, default=1_000)
    parser.add_argument("--min-size", type=int, default=16)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--out", default=str(ROOT / "bench" / "progressive"))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--from-log", action="store_true")
    args = parser.parse_args(argv)
    planned = runs(args)
    if not args.from_log:
        with torch_threads(args.threads):
            for network, mode, seed, run in planned:
                if (Path(run.folder) / RESULT_FILE).is_file():
                    continue
                print(f"{network} {mode} seed {seed}: training", file=sys.stderr, flush=True)
                outcome = run_training(run)
                print(
                    f"{network} {mode} seed {seed}: test {outcome.test_accuracy:.2%}, "
                    f"{outcome.train_seconds:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    print(table(planned))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
