"""Closed-form FLOPs against fvcore: time per candidate and their ratio.

    python bench/cost_speed.py [--samples 50] [--resolution 224] [--seed 0]

Prints the median seconds per candidate of each counter over random samples of the default
MnasSpace, their ratio, and how many closed-form counts equal fvcore's exactly.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

import baselines
from nas.cost import flops, fvcore_flops
from search_spaces.mnasnet import MnasSpace


def timed(fn, *args, repeats: int = 1) -> tuple[float, object]:
    start = time.perf_counter()
    for _ in range(repeats):
        result = fn(*args)
    return (time.perf_counter() - start) / repeats, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    space = MnasSpace(baselines.get("efficientnet_b0"))
    archs = [space.sample_random(args.seed + i) for i in range(args.samples)]
    fvcore_flops(archs[0], args.resolution)  # import and first-trace costs are not per candidate
    closed_times, fvcore_times, exact = [], [], 0
    for arch in archs:
        closed_time, closed = timed(flops, arch, args.resolution, repeats=200)
        fvcore_time, counted = timed(fvcore_flops, arch, args.resolution)
        closed_times.append(closed_time)
        fvcore_times.append(fvcore_time)
        exact += closed == counted
    closed_median = statistics.median(closed_times)
    fvcore_median = statistics.median(fvcore_times)
    print(
        f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} "
        f"threads, torch {torch.__version__}"
    )
    print(f"{args.samples} random MnasSpace candidates at {args.resolution}x{args.resolution}")
    print(f"closed form : {closed_median * 1e6:10.1f} us per candidate (median)")
    print(f"fvcore      : {fvcore_median * 1e3:10.1f} ms per candidate (median, build + trace)")
    print(f"ratio       : {fvcore_median / closed_median:10.0f}x faster")
    print(f"exact match : {exact}/{args.samples}")


if __name__ == "__main__":
    main()
