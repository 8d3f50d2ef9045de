"""Image files decoded with Pillow to one square size, with the files that cannot be read kept
aside rather than stopping the load.

Two resize policies: ``crop`` (the default) resizes the shorter side to the size and cuts the
centre square, keeping the aspect; ``stretch`` resizes both sides to the size. Images are RGB,
or greyscale when every one of them is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nas.data._util import one_line
from nas.errors import InputError

RESIZE_POLICIES = ("crop", "stretch")
GREY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


def pil():
    try:
        from PIL import Image
    except ImportError:
        raise InputError("imagefolder datasets need Pillow: pip install pillow") from None
    return Image


@dataclass(frozen=True)
class Decoded:
    """Images (N, size, size, channels) uint8 of the files that could be read, their indices
    into the files given, what could not be read (path, why), and the files' shorter sides."""

    images: np.ndarray
    kept: tuple[int, ...]
    unreadable: tuple[tuple[Path, str], ...]
    shorter_sides: tuple[int, ...]


def _resized(image, size: int, policy: str):
    Image = pil()
    if policy == "stretch":
        return image.resize((size, size), Image.Resampling.BILINEAR)
    width, height = image.size
    scale = size / min(width, height)
    new = (max(size, round(width * scale)), max(size, round(height * scale)))
    image = image.resize(new, Image.Resampling.BILINEAR)
    left, top = (new[0] - size) // 2, (new[1] - size) // 2
    return image.crop((left, top, left + size, top + size))


def _read(path: Path):
    """The decoded image (fully loaded, so a truncated file fails here) and whether it is grey."""
    Image = pil()
    with Image.open(path) as image:
        image.load()
        grey = image.mode in GREY_MODES
        if image.mode in ("RGBA", "LA", "P", "PA"):  # transparency: composed over white
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, rgba)  # grey with alpha stays grey
        return image.copy(), grey


def decode_files(files: list[Path], size: int, policy: str) -> Decoded:
    """Every readable file of ``files`` as a ``size`` square by ``policy``: greyscale (one
    channel) when every readable image is, else RGB."""
    if policy not in RESIZE_POLICIES:
        raise InputError(f"resize policy {policy!r} is unknown: use {', '.join(RESIZE_POLICIES)}")
    Image = pil()
    images = np.empty((len(files), size, size, 3), dtype=np.uint8)
    kept, unreadable, sides, greys = [], [], [], []
    for index, path in enumerate(files):
        try:
            if path.stat().st_size == 0:
                raise InputError("the file is empty")
            image, grey = _read(path)
            square = _resized(image.convert("RGB"), size, policy)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            unreadable.append((path, one_line(error)))
            continue
        images[len(kept)] = np.asarray(square, dtype=np.uint8)
        sides.append(min(image.size))
        greys.append(grey)
        kept.append(index)
    images = images[: len(kept)]
    if greys and all(greys):  # a grey image in RGB has three equal channels
        images = np.ascontiguousarray(images[..., :1])
    return Decoded(images, tuple(kept), tuple(unreadable), tuple(sides))
