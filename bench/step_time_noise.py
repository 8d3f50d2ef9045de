"""How noisy is the v2 reward's step-time ratio S on this machine?

    python bench/step_time_noise.py [--dataset cifar10] [--data-dir DIR] [--batch-size 64]
        [--candidates 4] [--rounds 8] [--warmup 3] [--repeats 10] [--device cpu]

Measures what ``--reward v2`` measures (nas.search.step_cost.StepCoster: the median of
``--repeats`` timed training steps after ``--warmup`` discarded ones, at the proxy's batch shape)
for EfficientNet-B0 and ``--candidates`` random samples of the MnasNet space, ``--rounds``
times each, interleaved (B0, c1, c2, ..., B0, c1, ...) so that a change in the machine's load
reaches every network alike. Prints, per network, the median step time, the coefficient of
variation of its rounds, and the spread of its ratio S to B0's step time of the same round;
then what that spread does to the reward: ACC x S^-0.07 moves by (1 + spread)^0.07 - 1.
"""

from __future__ import annotations

import argparse
import random
import statistics

import baselines
from nas.data import DataConfig, load_data
from nas.search.step_cost import StepCoster
from search_spaces import MnasSpace, encode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="cifar10")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--candidates", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    data = load_data(
        DataConfig(dataset=args.dataset, data_dir=args.data_dir, train_subset=256, val_subset=64),
        args.device,
    )
    reference = baselines.get("efficientnet_b0")
    space = MnasSpace(reference)
    rng = random.Random(0)
    networks = [("efficientnet_b0", reference)] + [
        (f"sample {i + 1}", space.sample_random(rng)) for i in range(args.candidates)
    ]
    coster = StepCoster(reference, data, args.batch_size, args.warmup, args.repeats)
    times: dict[str, list[float]] = {name: [] for name, _ in networks}
    for _ in range(args.rounds):
        for name, arch in networks:
            times[name].append(coster.seconds(arch).seconds)
    print(
        f"{args.dataset} batch {args.batch_size} on {data.device}: {args.rounds} rounds of "
        f"median-of-{args.repeats} steps after {args.warmup} warm-up steps"
    )
    print(f"{'network':<16} {'median s':>9} {'CV %':>6} {'S median':>9} {'S spread %':>11}")
    for name, arch in networks:
        seconds = times[name]
        ratios = [s / b for s, b in zip(seconds, times["efficientnet_b0"], strict=True)]
        cv = statistics.pstdev(seconds) / statistics.mean(seconds)
        middle = statistics.median(ratios)
        spread = (max(ratios) - min(ratios)) / middle
        print(
            f"{name:<16} {statistics.median(seconds):>9.4f} {100 * cv:>6.1f} "
            f"{middle:>9.3f} {100 * spread:>11.1f}"
        )
        if name != "efficientnet_b0":
            print(f"  {encode(arch)}")
            print(f"  reward moves by up to {100 * ((1 + spread) ** 0.07 - 1):.2f}% of itself")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
