"""What the report's tests share: a tiny real study, checkpoints to explain, PNG and page checks."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import torch
from PIL import Image

from nas.results import COLUMNS
from nas.search import SearchConfig
from nas.train import checkpoint
from nas.train.checkpoint import CheckpointInfo
from search_spaces import build_model, decode
from tests.helpers import search_config

SMALL = "stem8-ir_r1_k3_s1_e1_c8-ir_r2_k3_s2_e3_c16_se0.25-ir_r1_k5_s2_e3_c24-head32-silu-res64"


def tiny_search(results_dir: Path) -> SearchConfig:
    # MobileNetV2 as the reference trains faster on two CPU cores than B0; still a real study.
    return search_config(
        dataset="synthetic",
        train_subset=32,
        val_subset=32,
        batch_size=32,
        epochs=0.5,
        trials=5,
        sampler="random",
        reference="mobilenet_v2",
        results_dir=str(results_dir),
        show_progress=False,
        device="cpu",
    )


def write_trials(folder: Path, rows: int = 2) -> Path:
    """A small hand-made trials.csv (no sampled choices) in ``folder``, made if need be."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(
        {
            "number": range(rows),
            "state": "COMPLETE",
            "arch": SMALL,
            "flops": [1e6 * (n + 1) for n in range(rows)],
            "params": 1000,
            "accuracy": [0.5 + 0.1 * n for n in range(rows)],
            "balanced_accuracy": [0.45 + 0.1 * n for n in range(rows)],
            "train_fit": [0.3 + 0.05 * n for n in range(rows)],
            "reward": [0.4 + 0.1 * n for n in range(rows)],
            "seconds": 1.0,
            "images_per_s": 100.0,
            "device": "cpu",
            "reference": ["mobilenet_v2"] + [""] * (rows - 1),
            "worker": "",
            "retry_of": "",
        }
    )[COLUMNS]
    frame.to_csv(folder / "trials.csv", index=False)
    return folder / "trials.csv"


def small_model(seed: int, in_channels: int = 1, num_classes: int = 10):
    """A small network whose classifier is random, not zero, so its CAMs are not flat."""
    torch.manual_seed(seed)
    model = build_model(decode(SMALL), num_classes=num_classes, in_channels=in_channels)
    torch.nn.init.normal_(model.classifier.weight)
    torch.nn.init.normal_(model.classifier.bias)
    return model.eval()


def save_checkpoint(folder: Path, seed: int, in_channels: int = 1, size: int = 28) -> Path:
    model = small_model(seed, in_channels)
    info = CheckpointInfo(
        decode(SMALL),
        num_classes=10,
        in_channels=in_channels,
        image_size=size,
        mean=(0.5,) * in_channels,
        std=(0.25,) * in_channels,
        class_names=tuple(f"kind{k}" for k in range(10)),
    )
    return checkpoint.save(model, info, folder)


def check_png(path: Path, min_width: int = 600, min_height: int = 400) -> Image.Image:
    """A real PNG: opens, is large enough, saved at >= 150 dpi, and not blank."""
    assert path.is_file() and path.stat().st_size > 5_000, path
    image = Image.open(path)
    image.load()
    assert image.format == "PNG"
    assert image.width >= min_width and image.height >= min_height, image.size
    assert image.info["dpi"][0] >= 149.5
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20  # more than a background and a frame
    return image


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.sources: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if "src" in attributes:
            self.sources.append(attributes["src"])
        if "href" in attributes:
            self.hrefs.append(attributes["href"])

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path: Path) -> _Page:
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "http://" not in text and "https://" not in text
    page = _Page()
    page.feed(text)
    page.close()
    assert "script" not in page.tags and "link" not in page.tags and not page.hrefs
    for source in page.sources:  # every image embedded, none read from a file
        assert source.startswith("data:image/png;base64,"), source[:60]
    return page
