from __future__ import annotations

import gzip
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nas.data as data_module
from nas.data import (
    DataConfig,
    ProxyData,
    augment,
    eval_batches,
    load_data,
    normalize,
    read_idx,
    split_indices,
    train_batches,
)

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)


@pytest.fixture(scope="module")
def fashion() -> ProxyData:
    return load_data(DataConfig(seed=3, download=False))


@pytest.fixture(scope="module")
def fashion_raw() -> tuple[torch.Tensor, torch.Tensor]:
    images = read_idx(FASHION_DIR / "train-images-idx3-ubyte.gz", ndim=3)
    labels = read_idx(FASHION_DIR / "train-labels-idx1-ubyte.gz", ndim=1)
    return torch.from_numpy(images), torch.from_numpy(labels).long()


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


# --- Fashion-MNIST ------------------------------------------------------------------------------


@needs_fashion
def test_fashion_mnist_loads_as_uint8_tensors(fashion):
    assert fashion.train_images.shape == (5000, 1, 28, 28)
    assert fashion.val_images.shape == (2000, 1, 28, 28)
    assert fashion.train_images.dtype == fashion.val_images.dtype == torch.uint8
    assert fashion.train_labels.dtype == fashion.val_labels.dtype == torch.int64
    assert fashion.train_labels.shape == (5000,) and fashion.val_labels.shape == (2000,)
    assert (fashion.num_classes, fashion.in_channels, fashion.image_size) == (10, 1, 28)
    assert fashion.name == "fashion-mnist"
    for labels in (fashion.train_labels, fashion.val_labels):
        assert labels.min() >= 0 and labels.max() <= 9
        assert len(labels.unique()) == 10
    pixels = fashion.train_images.double() / 255
    assert fashion.mean[0] == pytest.approx(pixels.mean().item(), abs=1e-9)
    assert fashion.std[0] == pytest.approx(pixels.std(unbiased=False).item(), abs=1e-9)
    assert 0.25 < fashion.mean[0] < 0.32 and 0.3 < fashion.std[0] < 0.4  # Fashion-MNIST's


@needs_fashion
def test_fashion_split_is_the_seeded_hold_out_and_disjoint(fashion, fashion_raw):
    images, labels = fashion_raw
    assert images.shape == (60000, 28, 28)  # the training file, never the test file
    train, val = split_indices(60000, 2000, 5000, seed=3)
    assert len(set(train.tolist())) == 5000 and len(set(val.tolist())) == 2000
    assert not set(train.tolist()) & set(val.tolist())
    assert torch.equal(fashion.train_images[:, 0], images[train])
    assert torch.equal(fashion.val_images[:, 0], images[val])
    assert torch.equal(fashion.train_labels, labels[train])
    assert torch.equal(fashion.val_labels, labels[val])


@needs_fashion
def test_fashion_subsets_sized_as_asked_and_hold_out_independent_of_train_size(fashion):
    small = load_data(DataConfig(seed=3, train_subset=300, val_subset=2000, download=False))
    assert small.train_images.shape[0] == 300 and small.val_images.shape[0] == 2000
    assert torch.equal(small.val_images, fashion.val_images)  # same seed: same hold-out
    assert torch.equal(small.train_images, fashion.train_images[:300])
    every = load_data(DataConfig(seed=3, train_subset=None, val_subset=None, download=False))
    assert every.train_images.shape[0] == 50000 and every.val_images.shape[0] == 10000


@needs_fashion
def test_fashion_other_seed_gives_other_split(fashion):
    other = load_data(DataConfig(seed=4, train_subset=500, val_subset=500, download=False))
    assert not torch.equal(other.val_images, fashion.val_images[:500])


def test_split_indices_seeded_and_disjoint():
    train, val = split_indices(100, 10, 30, seed=0)
    again_train, again_val = split_indices(100, 10, 30, seed=0)
    other_train, other_val = split_indices(100, 10, 30, seed=1)
    assert torch.equal(train, again_train) and torch.equal(val, again_val)
    assert not torch.equal(val, other_val)
    assert (len(train), len(val)) == (30, 10) and not set(train.tolist()) & set(val.tolist())
    everything, held = split_indices(100, None, None, seed=0)
    assert (len(everything), len(held)) == (90, 10)  # 10% of a small set
    assert sorted(everything.tolist() + held.tolist()) == list(range(100))


def test_subset_larger_than_available_names_value_and_count():
    with pytest.raises(ValueError, match=r"val_subset=60000 .* 59999 images"):
        split_indices(60000, 60000, None, seed=0)
    with pytest.raises(ValueError, match=r"train_subset=59000 .* 58000 training images"):
        split_indices(60000, 2000, 59000, seed=0)
    with pytest.raises(ValueError, match=r"train_subset=0 "):
        DataConfig(train_subset=0)
    with pytest.raises(ValueError, match=r"val_subset=-1 "):
        DataConfig(val_subset=-1)


def test_unknown_dataset_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown dataset 'mnist'.*fashion-mnist.*cifar10"):
        DataConfig(dataset="mnist")
    with pytest.raises(ValueError, match=r"image_size=32 .* 'synthetic'"):
        DataConfig(dataset="synthetic", image_size=32)


def test_missing_data_dir_without_download_names_it(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as error:
        load_data(DataConfig(data_dir=str(missing), download=False))
    message = str(error.value)
    assert str(missing) in message and "dataset-fashion-mnist" in message and "\n" not in message
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        load_data(DataConfig(dataset="cifar10", data_dir=str(missing), download=False))


def write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def test_idx_files_in_data_dir_gzipped_or_not(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    labels = np.arange(30, dtype=np.uint8) % 10
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels)
    config = DataConfig(data_dir=str(tmp_path), train_subset=None, val_subset=5, download=False)
    data = load_data(config)
    train, val = split_indices(30, 5, None, seed=0)
    assert torch.equal(data.train_images[:, 0], torch.from_numpy(images)[train])
    assert torch.equal(data.val_labels, torch.from_numpy(labels).long()[val])


def test_corrupt_idx_file_is_named(tmp_path):
    bad_magic = tmp_path / "train-images-idx3-ubyte"
    bad_magic.write_bytes(b"\x00\x00\x09\x03" + bytes(12))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte is not an idx file"):
        read_idx(bad_magic, ndim=3)
    labels = tmp_path / "labels"
    write_idx(labels, np.zeros(5, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"labels holds a 1-d array"):
        read_idx(labels, ndim=3)
    truncated = tmp_path / "short"
    truncated.write_bytes(labels.read_bytes()[:-1])
    with pytest.raises(ValueError, match=r"short has 12 bytes, its header \(5,\) needs 13"):
        read_idx(truncated)
    not_gzip = tmp_path / "x.gz"
    not_gzip.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match=r"x\.gz cannot be read"):
        read_idx(not_gzip)


# --- batches -----------------------------------------------------------------------------------


@needs_fashion
def test_train_batches_shapes_and_normalisation(fashion):
    batches = list(train_batches(fashion, 128, torch.Generator().manual_seed(0)))
    assert len(batches) == 5000 // 128
    for images, labels in batches:
        assert images.shape == (128, 1, 28, 28) and images.dtype == torch.float32
        assert labels.shape == (128,) and labels.dtype == torch.int64
    everything = torch.cat([images for images, _ in batches])
    assert abs(everything.mean().item()) < 0.15  # padding adds some black, so not exactly 0
    assert 0.8 < everything.std().item() < 1.2


def test_train_batches_drop_last_permute_and_keep_labels():
    data = tiny_data(40)
    batches = list(train_batches(data, 16, torch.Generator().manual_seed(0)))
    assert [len(labels) for _, labels in batches] == [16, 16]
    seen = torch.cat([labels for _, labels in batches]).tolist()
    assert len(set(seen)) == 32 and seen != sorted(seen)  # no repeats, shuffled
    (images, labels), *rest = list(train_batches(data, 64, torch.Generator().manual_seed(0)))
    assert not rest and images.shape == (40, 3, 16, 16)  # fewer than a batch: one smaller batch
    again = list(train_batches(data, 16, torch.Generator().manual_seed(0)))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again, strict=True))
    with pytest.raises(ValueError, match="batch_size=0"):
        train_batches(data, 0, torch.Generator())


def test_train_batches_augment_changes_images_but_not_labels():
    data = tiny_data(40)
    changed = 0
    for images, labels in train_batches(data, 8, torch.Generator().manual_seed(0)):
        restored = to_uint8(images, data)
        for image, label in zip(restored, labels, strict=True):
            assert image.shape == data.train_images[label].shape
            changed += not torch.equal(image, data.train_images[label])
            assert crop_and_flip(image, data.train_images[label], pad=2) is not None
    assert changed >= 30


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


def test_augment_pads_by_an_eighth_and_flips():
    generator = torch.Generator().manual_seed(5)
    images = torch.randint(0, 256, (64, 1, 32, 32), generator=generator).to(torch.uint8)
    out = augment(images, torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == torch.uint8
    found = [crop_and_flip(a, b, pad=4) for a, b in zip(out, images, strict=True)]
    assert None not in found  # every image is a crop of its padded original, maybe flipped
    assert {flipped for _, _, flipped in found} == {False, True}
    assert {dy for dy, _, _ in found} == set(range(-4, 5))  # pad 32 // 8 = 4, every offset
    assert {dx for _, dx, _ in found} == set(range(-4, 5))


def test_eval_batches_cover_validation_once_in_order():
    data = tiny_data(40)
    batches = list(eval_batches(data, 3))
    assert [len(labels) for _, labels in batches] == [3, 3, 1]
    assert torch.equal(torch.cat([labels for _, labels in batches]), data.val_labels)
    images = torch.cat([images for images, _ in batches])
    assert torch.equal(images, normalize(data.val_images, data))
    assert torch.allclose(images, (data.val_images / 255 - 0.5) / 0.25, atol=1e-5)


def test_normalize_rejects_float_images():
    with pytest.raises(ValueError, match="uint8"):
        normalize(torch.zeros(1, 3, 16, 16), tiny_data())


def test_to_moves_and_checks_device():
    data = tiny_data()
    moved = data.to("cpu")
    assert moved.device.type == "cpu" and torch.equal(moved.train_images, data.train_images)
    with pytest.raises(ValueError, match="device 'gpu0'"):
        data.to("gpu0")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_batches_on_cuda_with_either_generator():
    data = tiny_data().to("cuda")
    for generator in (torch.Generator(device="cuda"), torch.Generator()):
        images, labels = next(iter(train_batches(data, 8, generator.manual_seed(0))))
        assert images.device.type == labels.device.type == "cuda"


# --- CIFAR-10 ----------------------------------------------------------------------------------


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


@pytest.mark.parametrize("protocol", [4, 5])
def test_cifar10_fake_batches(tmp_path, protocol):
    folder, images, labels = write_cifar(tmp_path, protocol=protocol)
    for data_dir in (tmp_path, folder):  # the parent, or the batch folder itself
        config = DataConfig("cifar10", str(data_dir), train_subset=None, val_subset=5, seed=2)
        data = load_data(config)
        train, val = split_indices(20, 5, None, seed=2)
        assert data.train_images.shape == (15, 3, 32, 32) and data.in_channels == 3
        assert (data.num_classes, data.image_size, len(data.mean)) == (10, 32, 3)
        assert torch.equal(data.train_images, images[train])
        assert torch.equal(data.val_labels, labels[val])


class Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_cifar10_pickle_calling_os_system_is_refused(tmp_path):
    folder, _, _ = write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    with open(folder / "data_batch_3", "wb") as stream:
        pickle.dump({b"data": Evil(marker), b"labels": [0]}, stream)
    with pytest.raises(ValueError, match=r"data_batch_3 references (posix|os|nt)\.system"):
        load_data(DataConfig("cifar10", str(tmp_path), download=False))
    assert not marker.exists()


def test_cifar10_corrupt_batch_is_named(tmp_path):
    folder, _, _ = write_cifar(tmp_path)
    (folder / "data_batch_2").write_bytes(b"\x80\x04garbage")
    with pytest.raises(ValueError, match=r"data_batch_2 is not a CIFAR-10 batch"):
        load_data(DataConfig("cifar10", str(tmp_path), download=False))


# --- image folders -----------------------------------------------------------------------------


def write_images(folder: Path, classes: dict[str, int], mode: str = "RGB", first: int = 0):
    """Solid images whose colour encodes (label, index): red = 60 * label, green = 10 * index."""
    from PIL import Image

    for label, (name, count) in enumerate(classes.items()):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for index in range(first, first + count):
            colour = (60 * label, 10 * index, 7)
            image = Image.new("RGB", (12, 10), colour)
            image.convert(mode).save(folder / name / f"{index}.png")


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "efficientnas"


def test_imagefolder_split_layout_decodes_labels_and_caches(tmp_path, cache_home, monkeypatch):
    root = tmp_path / "images"
    write_images(root, {"cat": 6, "dog": 6, "frog": 6})
    config = DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=4, image_size=8)
    data = load_data(config)
    assert data.train_images.shape == (14, 3, 8, 8) and data.val_images.shape == (4, 3, 8, 8)
    assert (data.num_classes, data.in_channels, data.image_size) == (3, 3, 8)
    for images, labels in (
        (data.train_images, data.train_labels),
        (data.val_images, data.val_labels),
    ):
        assert (images == images[:, :, :1, :1]).all()  # solid colours stay solid
        assert torch.equal(images[:, 0, 0, 0].long(), 60 * labels)
    cached = list(cache_home.glob("imagefolder-*.pt"))
    assert len(cached) == 1

    calls = []
    real = data_module._decode_image
    monkeypatch.setattr(data_module, "_decode_image", lambda *a: calls.append(a[0]) or real(*a))
    again = load_data(config)
    assert not calls  # decoded from the cache
    assert torch.equal(again.train_images, data.train_images)
    os.utime(root / "dog" / "2.png", ns=(1, 1))  # a file changed: decode again
    load_data(config)
    assert len(calls) == 18

    default = load_data(DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=None))
    assert default.val_images.shape == (1, 3, 64, 64)  # 10% of 18, at the default 64x64


def test_imagefolder_train_val_layout_and_greyscale(tmp_path, cache_home):
    root = tmp_path / "images"
    write_images(root / "train", {"a": 3, "b": 4}, mode="L")
    write_images(root / "val", {"a": 2, "b": 1}, mode="L", first=5)
    data = load_data(DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=None))
    assert data.train_images.shape == (7, 1, 64, 64) and data.val_images.shape == (3, 1, 64, 64)
    assert sorted(data.train_labels.tolist()) == [0, 0, 0, 1, 1, 1, 1]
    assert sorted(data.val_labels.tolist()) == [0, 0, 1]
    subset = load_data(DataConfig(f"imagefolder:{root}", train_subset=5, val_subset=2))
    assert (len(subset.train_labels), len(subset.val_labels)) == (5, 2)
    with pytest.raises(ValueError, match=r"val_subset=4 is larger than the 3 images in val/"):
        load_data(DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=4))
    write_images(root / "val", {"c": 1})
    with pytest.raises(ValueError, match=r"val/c is not a class of train/"):
        load_data(DataConfig(f"imagefolder:{root}", train_subset=None, val_subset=None))


def test_imagefolder_errors_name_the_path(tmp_path, cache_home):
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        load_data(DataConfig(f"imagefolder:{missing}"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=rf"{empty}.* has no class folders"):
        load_data(DataConfig(f"imagefolder:{empty}"))
    (empty / "cat").mkdir()
    (empty / "cat" / "notes.txt").write_text("not an image")
    with pytest.raises(ValueError, match=rf"{empty}.* has no images"):
        load_data(DataConfig(f"imagefolder:{empty}"))
    (empty / "cat" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"broken\.png cannot be decoded"):
        load_data(DataConfig(f"imagefolder:{empty}"))


# --- synthetic ---------------------------------------------------------------------------------


def test_synthetic_is_deterministic_from_seed():
    config = DataConfig("synthetic", train_subset=300, val_subset=100, seed=7)
    first, second = load_data(config), load_data(config)
    other = load_data(DataConfig("synthetic", train_subset=300, val_subset=100, seed=8))
    assert torch.equal(first.train_images, second.train_images)
    assert torch.equal(first.val_labels, second.val_labels)
    assert not torch.equal(first.train_images, other.train_images)
    assert first.train_images.shape == (300, 1, 28, 28) and first.train_images.dtype == torch.uint8
    assert (first.num_classes, first.in_channels, first.image_size) == (10, 1, 28)
    default = load_data(DataConfig("synthetic", train_subset=None, val_subset=None))
    assert (len(default.train_labels), len(default.val_labels)) == (5000, 2000)


def test_synthetic_is_learnt_in_one_short_epoch():
    torch.manual_seed(0)
    data = load_data(DataConfig("synthetic", train_subset=2000, val_subset=500))
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for images, labels in train_batches(data, 64, torch.Generator().manual_seed(0)):
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        correct = sum(
            (model(images).argmax(1) == labels).sum().item()
            for images, labels in eval_batches(data, 250)
        )
    assert correct / 500 > 0.6  # chance is 0.1


# --- downloads (from file:// URLs: no network needed) ------------------------------------------


def test_fashion_mnist_downloads_into_the_cache(tmp_path, cache_home, monkeypatch):
    server = tmp_path / "server"
    server.mkdir()
    write_idx(server / "train-images-idx3-ubyte.gz", np.zeros((20, 28, 28), dtype=np.uint8))
    write_idx(server / "train-labels-idx1-ubyte.gz", np.arange(20, dtype=np.uint8) % 10)
    monkeypatch.setattr(data_module, "FASHION_URL", server.as_uri() + "/")
    monkeypatch.setattr(data_module, "SYSTEM_FASHION_DIR", tmp_path / "not-installed")
    data = load_data(DataConfig(train_subset=None, val_subset=None))
    assert (len(data.train_labels), len(data.val_labels)) == (18, 2)
    assert sorted(p.name for p in (cache_home / "fashion-mnist").iterdir()) == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]


def test_cifar10_downloads_and_extracts(tmp_path, monkeypatch):
    import tarfile

    write_cifar(tmp_path / "made")
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "made" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setattr(data_module, "CIFAR_URL", archive.as_uri())
    target = tmp_path / "data"
    data = load_data(DataConfig("cifar10", str(target), train_subset=None, val_subset=4))
    assert data.train_images.shape == (16, 3, 32, 32)
    assert (target / "cifar-10-batches-py" / "data_batch_5").is_file()
    assert not (target / "cifar-10-python.tar.gz").exists()  # the archive is removed
