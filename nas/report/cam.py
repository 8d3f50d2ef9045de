"""Class activation maps (Zhou et al. 2016) of trained checkpoints, as in EfficientNet's Figure 7.

For the predicted class c, CAM(x, y) = sum_k w_ck F_k(x, y): the classifier's weights for c
applied to the head's feature map F at every position (the global average of that map plus the
bias is the logit). It is upsampled bilinearly to the image's size and min-max normalised to
[0, 1] per image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from nas import cost
from nas.data import IMAGE_EXTENSIONS, DataConfig, fixed_datasets, load_data
from nas.errors import ConfigError, InputError, MissingFile
from nas.train import checkpoint
from nas.train.checkpoint import CheckpointInfo
from search_spaces.network import ArchNet

FLAT_TOLERANCE = 1e-4  # a map whose range is below this fraction of its magnitude is flat


@dataclass(frozen=True)
class CamConfig:
    """Class activation maps: checkpoint folders and where the images come from (a folder of
    image files, or the first ``count`` held-out validation images of a dataset)."""

    checkpoints: tuple[str, ...]
    images: str | None = None
    dataset: str | None = None
    data_dir: str | None = None
    count: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.checkpoints:
            raise ConfigError(None, None, "{cam} needs at least one checkpoint folder")
        if (self.images is None) == (self.dataset is None):
            raise ConfigError(
                None, None, "{cam} needs the images: give {images} FOLDER or {dataset} NAME"
            )
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ConfigError("count", self.count, "must be an integer >= 1")
        if self.dataset is not None:
            check_cam_dataset(self.dataset)


def check_cam_dataset(dataset: str) -> None:
    """ConfigError unless ``dataset`` is one whose images are fixed (nas.data's registry)."""
    if dataset not in fixed_datasets():
        raise ConfigError("dataset", dataset, f"must be one of {', '.join(fixed_datasets())}")


@torch.no_grad()
def class_activation_maps(
    model: ArchNet, images: torch.Tensor, normalize: bool = True
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(maps N x H x W, predicted classes N, their probabilities N) for normalised float
    images N x C x H x W. ``normalize=False`` keeps the maps' raw scale (still upsampled)."""
    if images.dim() != 4 or not images.is_floating_point():
        raise InputError(f"expected float images N x C x H x W, got {tuple(images.shape)}")
    model.eval()
    features = model.forward_features(images)
    logits = model.classifier(model.pool(features).flatten(1))
    probabilities, classes = logits.softmax(dim=1).max(dim=1)
    weights = model.classifier.weight[classes]  # N x C
    maps = torch.einsum("nc,nchw->nhw", weights, features)
    maps = F.interpolate(
        maps.unsqueeze(1), size=images.shape[-2:], mode="bilinear", align_corners=False
    ).squeeze(1)
    if normalize:
        low = maps.amin(dim=(1, 2), keepdim=True)
        span = maps.amax(dim=(1, 2), keepdim=True) - low
        # A map flat but for rounding (a 1x1 feature map upsampled) must not be stretched
        # into a pattern of float noise: it says nothing about where the network looks.
        scale = maps.abs().amax(dim=(1, 2), keepdim=True)
        flat = span <= FLAT_TOLERANCE * scale.clamp_min(1e-30)
        maps = torch.where(flat, torch.zeros_like(maps), (maps - low) / span.clamp_min(1e-30))
    return maps, classes, probabilities


@torch.no_grad()
def feature_map_size(model: ArchNet, channels: int, image_size: int) -> tuple[int, int]:
    """The (h, w) of the head's feature map that the CAM is read from, for this input size."""
    model.eval()
    probe = torch.zeros(1, channels, image_size, image_size)
    return tuple(model.forward_features(probe).shape[-2:])


@dataclass(frozen=True, eq=False)
class SourceImage:
    """One image to explain: uint8 (H, W, C) pixels and a caption (its file or true class)."""

    pixels: np.ndarray
    caption: str


@dataclass(frozen=True, eq=False)
class CamColumn:
    """One model's CAMs over every image: the inputs it saw (uint8 N x H x W x C, at its size
    and channels), the maps (N x H x W in [0, 1]), and its predictions."""

    title: str
    inputs: np.ndarray
    maps: np.ndarray
    classes: tuple[str, ...]
    probabilities: np.ndarray
    feature_size: tuple[int, int] = (0, 0)  # the head's feature map (h, w) the CAM is read from


def folder_images(folder: str | Path, count: int) -> list[SourceImage]:
    """The first ``count`` image files under ``folder`` (sorted, subfolders included)."""
    from PIL import Image

    root = Path(folder)
    if not root.is_dir():
        raise MissingFile(f"image folder {str(folder)!r} does not exist")
    files = sorted(
        path
        for path in root.rglob("*")
        if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file()
    )[:count]
    if not files:
        raise InputError(
            f"no images in {str(folder)!r} (extensions: {', '.join(sorted(IMAGE_EXTENSIONS))})"
        )
    sources = []
    for path in files:
        try:
            with Image.open(path) as image:
                mode = "L" if image.mode in ("1", "L", "LA", "I", "I;16", "F") else "RGB"
                pixels = np.asarray(image.convert(mode), dtype=np.uint8)
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise InputError(f"{path} cannot be decoded as an image: {first}") from None
        sources.append(SourceImage(pixels.reshape(*pixels.shape[:2], -1), path.name))
    return sources


def dataset_images(
    dataset: str, count: int, data_dir: str | None = None, seed: int = 0
) -> list[SourceImage]:
    """The first ``count`` held-out validation images of ``dataset`` (nas.data's split)."""
    check_cam_dataset(dataset)
    config = DataConfig(
        dataset=dataset, data_dir=data_dir, train_subset=1, val_subset=count, seed=seed
    )
    data = load_data(config, "cpu")
    images = data.val_images.permute(0, 2, 3, 1).numpy()
    labels = data.val_labels.tolist()
    return [
        SourceImage(image, f"#{index} true class {label}")
        for index, (image, label) in enumerate(zip(images, labels, strict=True))
    ]


def model_inputs(
    sources: Sequence[SourceImage], info: CheckpointInfo
) -> tuple[np.ndarray, torch.Tensor]:
    """The images at the checkpoint's channels and size: uint8 (N, H, W, C) for display and
    normalised float (N, C, H, W) for the network."""
    from PIL import Image

    if info.in_channels not in (1, 3):
        raise InputError(f"CAMs read 1- or 3-channel images; the model takes {info.in_channels}")
    mode = "L" if info.in_channels == 1 else "RGB"
    size = info.image_size
    arrays = []
    for source in sources:
        pixels = source.pixels[..., 0] if source.pixels.shape[-1] == 1 else source.pixels
        image = Image.fromarray(pixels).convert(mode)
        image = image.resize((size, size), Image.Resampling.BILINEAR)
        arrays.append(np.asarray(image, dtype=np.uint8).reshape(size, size, -1))
    display = np.stack(arrays)
    tensor = torch.from_numpy(display).permute(0, 3, 1, 2).to(torch.float32) / 255.0
    mean = torch.tensor(info.mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(info.std, dtype=torch.float32).view(1, -1, 1, 1)
    return display, (tensor - mean) / std


def column_title(folder: Path, info: CheckpointInfo) -> str:
    flops = cost.flops(info.arch) / 1e6
    shown = f"{flops:,.0f}" if flops >= 100 else f"{flops:.3g}"
    return f"{folder.resolve().name} ({shown}M FLOPs)"


def checkpoint_column(folder: str | Path, sources: Sequence[SourceImage]) -> CamColumn:
    """Load the checkpoint in ``folder`` and compute its CAMs over ``sources``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingFile(f"checkpoint folder {str(folder)!r} does not exist")
    model, info = checkpoint.load(folder)
    display, tensor = model_inputs(sources, info)
    maps, classes, probabilities = class_activation_maps(model, tensor)
    names = info.class_names
    return CamColumn(
        feature_size=feature_map_size(model, info.in_channels, tensor.shape[-1]),
        title=column_title(folder, info),
        inputs=display,
        maps=maps.numpy(),
        classes=tuple(
            names[c] if names is not None and c < len(names) else f"class {c}"
            for c in classes.tolist()
        ),
        probabilities=probabilities.numpy(),
    )
