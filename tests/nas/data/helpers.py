"""Fake datasets written to disk and small in-memory data for the nas.data tests."""

from __future__ import annotations

import gzip
import hashlib
import pickle
import shutil
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nas.data import ProxyData

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

needs_fashion = pytest.mark.skipif(
    not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)


def tiny_data(count: int = 40, channels: int = 3, size: int = 16) -> ProxyData:
    """Random images whose label is their index, so a batch tells which image it came from."""
    generator = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (count, channels, size, size), generator=generator)
    images = images.to(torch.uint8)
    return ProxyData(
        name="tiny",
        train_images=images,
        train_labels=torch.arange(count),
        val_images=images[:7].clone(),
        val_labels=torch.arange(7),
        num_classes=count,
        in_channels=channels,
        image_size=size,
        mean=(0.5,) * channels,
        std=(0.25,) * channels,
    )


def to_uint8(batch: torch.Tensor, data: ProxyData) -> torch.Tensor:
    """Undo normalize."""
    mean = torch.tensor(data.mean).view(-1, 1, 1)
    std = torch.tensor(data.std).view(-1, 1, 1)
    return ((batch * std + mean) * 255).round().to(torch.uint8)


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def crop_and_flip(image: torch.Tensor, original: torch.Tensor, pad: int):
    """(dy, dx, flipped) of the zero-padded crop, maybe flipped, of ``original`` that ``image``
    is, or None."""
    size = original.shape[-1]
    padded = F.pad(original, (pad, pad, pad, pad))
    for dy in range(2 * pad + 1):
        for dx in range(2 * pad + 1):
            crop = padded[:, dy : dy + size, dx : dx + size]
            for flipped in (False, True):
                if torch.equal(image, crop.flip(-1) if flipped else crop):
                    return dy - pad, dx - pad, flipped
    return None


def write_cifar(root: Path, per_batch: int = 4, protocol: int = pickle.DEFAULT_PROTOCOL):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = []
    for index in range(1, 6):
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        batch = {b"batch_label": b"batch", b"data": data, b"labels": labels}
        with open(folder / f"data_batch_{index}", "wb") as stream:
            pickle.dump(batch, stream, protocol=protocol)
        rows.append((data, labels))
    images = np.concatenate([d for d, _ in rows]).reshape(-1, 3, 32, 32)
    labels = np.concatenate([np.array(lab) for _, lab in rows])
    return folder, torch.from_numpy(images), torch.from_numpy(labels)


def cifar_tarball(path: Path, per_batch: int = 4, batches: int = 5) -> tuple[Path, str]:
    """A tar.gz at ``path`` holding ``cifar-10-batches-py/`` with the first ``batches`` of
    CIFAR's five python batches (``per_batch`` random images each), and its MD5."""
    made = path.with_name(path.name + ".made")
    folder, _, _ = write_cifar(made, per_batch=per_batch)
    with tarfile.open(path, "w:gz") as tar:
        for index in range(1, batches + 1):
            tar.add(folder / f"data_batch_{index}", arcname=f"{folder.name}/data_batch_{index}")
    shutil.rmtree(made)
    return path, hashlib.md5(path.read_bytes()).hexdigest()


def write_images(folder: Path, classes: dict[str, int], mode: str = "RGB", first: int = 0):
    """Solid images whose colour encodes (label, index): red = 60 * label, green = 10 * index."""
    from PIL import Image

    for label, (name, count) in enumerate(classes.items()):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for index in range(first, first + count):
            colour = (60 * label, 10 * index, 7)
            image = Image.new("RGB", (12, 10), colour)
            image.convert(mode).save(folder / name / f"{index}.png")


MESSY_CLASSES = {"airplane": 14, "cat": 9, "dog": 7, "ship": 5}


def messy_folder(root: Path, layout: str = "train+test") -> Path:
    """A folder as users have them: 4 classes of unequal size, non-square images from 20x28 to
    72x56, half greyscale, a third PNG (some RGBA), one ``.JPG``, one truncated JPEG, one empty
    file, ``.DS_Store`` and ``notes.txt``. Each class has its own colour, so it can be learned.
    ``layout``: "train+test" (PATH/train/<class>, PATH/test/<class>), "train+val" or "flat"."""
    from PIL import Image

    sizes = [(20, 28), (72, 56), (40, 40), (56, 72), (28, 20), (33, 47)]
    train = root if layout == "flat" else root / "train"
    for label, (name, count) in enumerate(MESSY_CLASSES.items()):
        for split, first, number in (("train", 0, count), ("other", 100, 3)):
            folder = train / name
            if split == "other":
                if layout == "flat":
                    continue
                folder = root / ("val" if layout == "train+val" else "test") / name
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(first, first + number):
                width, height = sizes[index % len(sizes)]
                colour = (60 * label + 20, 200 - 40 * label, (37 * index) % 256)
                image = Image.new("RGB", (width, height), colour)
                if index % 2:
                    image = image.convert("L")
                if index % 3 == 0:
                    if index % 6 == 0:
                        image = image.convert("RGBA")
                    image.save(folder / f"{index}.png")
                else:
                    image.save(folder / f"{index}.jpg", quality=90)
    (train / "cat" / "1.jpg").rename(train / "cat" / "1.JPG")
    whole = (train / "dog" / "2.jpg").read_bytes()
    (train / "dog" / "broken.jpg").write_bytes(whole[: len(whole) // 2])
    (train / "ship" / "empty.jpg").write_bytes(b"")
    (train / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (train / "airplane" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (train / "notes.txt").write_text("collected by hand\n")
    return root
