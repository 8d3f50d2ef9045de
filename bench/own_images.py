"""Your own images at a realistic size: a messy folder made from CIFAR-10, and what loading it,
the resize policy and a search cost on it.

    python bench/own_images.py --data-dir DIR [--out FOLDER] [--seeds 3] [--json FILE]

The folder (as a user's would be): 4 CIFAR-10 classes with 600/350/200/120 training images and
100 test images each (``PATH/train/<class>/`` + ``PATH/test/<class>/``), each image made one
of six sizes from 20x28 to 72x56 (the largest centred region of that aspect, scaled alike in
both directions, as a photo of that shape would be), half of them greyscale, a third PNG (some
RGBA), one ``.JPG``, one truncated JPEG, one empty file, ``.DS_Store`` and ``notes.txt``.

It prints and writes (JSON): the load (first decode, then from the cache); crop against stretch
(EfficientNet-B0 trained by the cpu proxy at 32 px on each policy with the same seeds: the
held-out accuracy and balanced accuracy, paired); and the seconds a trial of the default search
takes at 64 px, and with the quick flags (``--image-size 32 --images-seen 2000``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import baselines
from nas.data import DataConfig, load_data
from nas.proxy import ProxyConfig
from nas.search import SearchConfig, run_search
from nas.train import build_for, train

ROOT = Path(__file__).resolve().parent

CLASSES = {"airplane": 0, "cat": 3, "dog": 5, "ship": 8}  # name: CIFAR-10 label
TRAIN_COUNTS = (600, 350, 200, 120)
TEST_COUNT = 100
SIZES = ((20, 28), (72, 56), (40, 40), (56, 72), (28, 20), (48, 36))


def _cifar(data_dir: str) -> tuple[np.ndarray, np.ndarray]:
    config = DataConfig("cifar10", data_dir=data_dir, train_subset=None, val_subset=1)
    data = load_data(config)
    images = np.concatenate([data.train_images.numpy(), data.val_images.numpy()])
    labels = np.concatenate([data.train_labels.numpy(), data.val_labels.numpy()])
    return images, labels


def _framed(image, index: int):
    """``image`` (32x32) as a photo of another shape would be: the largest centred region of
    the target's aspect, scaled the same in both directions to the target size (the content
    keeps its proportions, as in a real photo; stretching it back would distort it)."""
    from PIL import Image

    width, height = SIZES[index % len(SIZES)]
    if width >= height:
        region = (32, round(32 * height / width))
    else:
        region = (round(32 * width / height), 32)
    left, top = (32 - region[0]) // 2, (32 - region[1]) // 2
    cut = image.crop((left, top, left + region[0], top + region[1]))
    return cut.resize((width, height), Image.Resampling.BILINEAR)


def build_folder(data_dir: str, root: Path) -> Path:
    """The messy folder at ``root`` from CIFAR-10's training images (made once)."""
    from PIL import Image

    if (root / "train").is_dir():
        return root
    images, labels = _cifar(data_dir)
    for (name, label), count in zip(CLASSES.items(), TRAIN_COUNTS, strict=True):
        members = np.flatnonzero(labels == label)[: count + TEST_COUNT]
        for index, member in enumerate(members):
            split = "train" if index < count else "test"
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            image = _framed(Image.fromarray(images[member].transpose(1, 2, 0)), index)
            if index % 2:
                image = image.convert("L")
            if index % 3 == 0:
                image = image.convert("RGBA") if index % 6 == 0 else image
                image.save(folder / f"{index}.png")
            else:
                image.save(folder / f"{index}.jpg", quality=90)
    train = root / "train"
    (train / "cat" / "1.jpg").rename(train / "cat" / "1.JPG")
    whole = (train / "dog" / "2.jpg").read_bytes()
    (train / "dog" / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (train / "ship" / "empty.jpg").write_bytes(b"")
    (train / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (train / "notes.txt").write_text("collected by hand\n")
    return root


def measure_load(folder: Path) -> dict[str, float]:
    """Seconds to load the folder the first time (decoding) and again (from the cache)."""
    config = DataConfig(f"imagefolder:{folder}", train_subset=None, val_subset=None)
    seconds = {}
    with tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        for name in ("first", "cached"):
            start = time.perf_counter()
            data = load_data(config)
            seconds[name] = time.perf_counter() - start
        del os.environ["XDG_CACHE_HOME"]
    print("notes: " + "; ".join(data.notes))
    return seconds


def measure_policies(folder: Path, seeds: int) -> list[dict]:
    """B0 trained by the cpu proxy on each policy, the same seeds (split, order, weights)."""
    rows = []
    arch = baselines.get("efficientnet_b0")
    for seed in range(seeds):
        for policy in ("crop", "stretch"):
            proxy = ProxyConfig(
                dataset=f"imagefolder:{folder}",
                image_size=32,
                resize=policy,
                seed=seed,
                device="cpu",
            )
            data = load_data(proxy.data_config)
            config = proxy.train_config(train_images=data.train_images.shape[0])
            model = build_for(arch, data, config, seed=seed)
            result = train(model, data, config, seed=seed)
            row = {
                "seed": seed,
                "policy": policy,
                "accuracy": result.accuracy,
                "balanced_accuracy": result.balanced_accuracy,
                "seconds": result.seconds,
            }
            print(
                f"seed {seed} {policy:>7}: accuracy {result.accuracy:.2%}, balanced "
                f"{result.balanced_accuracy:.2%} [{result.seconds:.0f} s]"
            )
            rows.append(row)
    return rows


def measure_search(folder: Path, results: Path, **proxy_fields) -> list[float]:
    """Seconds of each trial of a 2-trial search (the reference B0, then one sample)."""
    proxy = ProxyConfig(dataset=f"imagefolder:{folder}", device="cpu", **proxy_fields)
    label = "-".join(f"{k}{v}" for k, v in proxy_fields.items()) or "default"
    config = SearchConfig(
        proxy=proxy, trials=2, results_dir=str(results), study_name=label, show_progress=False
    )
    study = run_search(config)
    return [t.user_attrs["seconds"] for t in study.get_trials() if "seconds" in t.user_attrs]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="holds cifar-10-batches-py")
    parser.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "own-images"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", default=str(ROOT / "own_images.json"))
    parser.add_argument("--no-search", action="store_true", help="skip the search timings")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    out = Path(args.out)
    folder = build_folder(args.data_dir, out / "photos")
    load = measure_load(folder)
    print(f"load: first {load['first']:.1f} s (decoding), then {load['cached']:.2f} s (cache)")
    policies = measure_policies(folder, args.seeds)
    gains = {
        metric: [
            crop[metric] - stretch[metric]
            for crop, stretch in zip(policies[::2], policies[1::2], strict=True)
        ]
        for metric in ("accuracy", "balanced_accuracy")
    }
    for metric, values in gains.items():
        print(
            f"crop - stretch, {metric}: mean {statistics.fmean(values):+.2%} over "
            f"{len(values)} seeds ({', '.join(f'{v:+.2%}' for v in values)})"
        )
    searches = {}
    for label, fields in (
        ()
        if args.no_search
        else (
            ("default (64 px, 10,000 images seen)", {}),
            ("quick (--image-size 32 --images-seen 2000)", {"image_size": 32, "images_seen": 2000}),
        )
    ):
        seconds = measure_search(folder, out / "results", **fields)
        searches[label] = seconds
        print(f"search, {label}: " + ", ".join(f"{s:.0f} s" for s in seconds) + " a trial")
    record = {"load_seconds": load, "policies": policies, "search_seconds": searches}
    Path(args.json).write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
