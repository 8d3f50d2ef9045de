"""Which layout an image folder has: where its training, validation and test class folders are.

Recognised, in this order:

- ``PATH/train/<class>/`` + ``PATH/val/<class>/``: both as they are;
- ``PATH/train/<class>/`` (+ ``PATH/test/<class>/``, torchvision's and CIFAR-10's layout):
  validation is held out of ``train/``, ``test/`` is the test split;
- ``PATH/<class>/`` (a ``test/`` beside the classes is the test split): validation held out.

Refused with one line that shows what was found: no class folders, fewer than 2 classes, class
folders that hold folders rather than images (the path is one level too high).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nas.errors import InputError, MissingFile

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm"}
)
SPLIT_NAMES = ("train", "val", "test")
SHOWN = 5  # folder names shown in a message


def is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def is_image_name(path: Path) -> bool:
    """An image by its extension, in any case (``.JPG`` too)."""
    return path.suffix.lower() in IMAGE_EXTENSIONS


def subfolders(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def image_files(folder: Path) -> list[Path]:
    """Every image file under ``folder`` by extension, hidden files and folders left out."""
    return sorted(
        path
        for path in folder.rglob("*")
        if is_image_name(path) and not is_hidden(path, folder) and path.is_file()
    )


def _shown(names: list[str]) -> str:
    more = f", ... ({len(names)} in all)" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


@dataclass(frozen=True)
class FolderLayout:
    """An image folder's splits: class names, and the folder of each split's class folders."""

    root: Path
    kind: str  # "train+val", "train+test", "train", "flat"
    classes: tuple[str, ...]
    train: Path
    val: Path | None  # None: validation is held out of ``train``
    test: Path | None

    def describe(self) -> str:
        """One line: the layout and where validation comes from."""
        where = {
            "train+val": "train/ and val/ as they are",
            "train+test": "train/ + test/: validation held out of train/, test/ kept for the "
            "final figure",
            "train": "train/ only: validation held out of train/",
            "flat": "one folder of class folders: validation held out of it",
        }[self.kind]
        return f"{len(self.classes)} classes ({_shown(list(self.classes))}); layout {where}"


def _refuse_nested(text: str, folder: Path, classes: list[str]) -> None:
    """Refuse class folders whose images all sit in subfolders: the path is one level high."""
    nested = []
    for name in classes:
        inner = subfolders(folder / name)
        direct = [p for p in (folder / name).iterdir() if p.is_file() and is_image_name(p)]
        if inner and not direct:
            nested.append(f"{name}/ holds {_shown(inner)}")
    if nested and len(nested) == len(classes):
        raise InputError(
            f"image folder {text!r}: its class folders hold folders, not images ("
            f"{'; '.join(nested[:3])}): give the folder whose subfolders are the classes"
        )


def _classes_of(text: str, folder: Path, where: str, exclude: tuple[str, ...] = ()) -> list[str]:
    classes = [name for name in subfolders(folder) if name not in exclude]
    if len(classes) < 2:
        found = f"only {classes[0]}/" if classes else "no class folders"
        files = [p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        seen = f" and {len(files)} loose file(s)" if files else ""
        raise InputError(
            f"image folder {text!r}: {where} has {found}{seen}; a classifier needs at least 2 "
            "classes (expected PATH/<class>/<image>, PATH/train/<class>/... with val/ or test/)"
        )
    _refuse_nested(text, folder, classes)
    return classes


def find_layout(text: str) -> FolderLayout:
    """The layout of the image folder at ``text``; FileNotFoundError or ValueError with one
    line saying what was found when it is not one the loader can read."""
    root = Path(text).expanduser().resolve()
    if not root.exists():
        raise MissingFile(f"image folder {text!r} does not exist")
    if not root.is_dir():
        raise InputError(f"image folder {text!r} is not a folder")
    train, val, test = (root / name for name in SPLIT_NAMES)
    if train.is_dir():
        classes = _classes_of(text, train, "train/")
        for split in (val, test):
            if split.is_dir():
                unknown = sorted(set(subfolders(split)) - set(classes))
                if unknown:
                    raise InputError(
                        f"image folder {text!r}: {split.name}/{unknown[0]} is not a class of "
                        f"train/ ({_shown(classes)})"
                    )
        kind = "train+val" if val.is_dir() else "train+test" if test.is_dir() else "train"
        return FolderLayout(
            root,
            kind,
            tuple(classes),
            train,
            val if val.is_dir() else None,
            test if test.is_dir() else None,
        )
    classes = _classes_of(text, root, "the folder", exclude=("test", "val"))
    return FolderLayout(root, "flat", tuple(classes), root, None, test if test.is_dir() else None)
