"""Scan and decode a dataset stored in the ImageFolder layout.

The layout is ``root/train/<class>/<image>`` and ``root/test/<class>/<image>``,
the convention of ``torchvision.datasets.ImageFolder``: one folder per class,
and class indices in alphabetical order of the folder names. Every problem
with the layout raises before any image is decoded, with the path and the fix
in the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

SPLITS = ("train", "test")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp")
"""File suffixes that count as images (compared in lower case). Other files are skipped."""

LAYOUT_HINT = (
    "Expected an ImageFolder layout with train/<class>/<image> and test/<class>/<image> "
    "and the same class folders in both splits."
)


@dataclass(frozen=True)
class ImageFolderIndex:
    """The image files of one split and their labels.

    Attributes:
        root: The split directory, e.g. ``<data>/train``.
        classes: Class folder names in label order (alphabetical).
        files: Image paths, sorted by class and then by file name.
        labels: Class index of each file, ``classes[labels[i]]`` is its folder.
    """

    root: Path
    classes: tuple[str, ...]
    files: tuple[Path, ...]
    labels: tuple[int, ...]


def scan_image_folder(root: str | Path) -> dict[str, ImageFolderIndex]:
    """List the images of both splits and check that their layouts agree.

    Args:
        root: Directory that contains ``train/`` and ``test/``.

    Returns:
        ``{"train": index, "test": index}``.

    Raises:
        FileNotFoundError: If ``root`` or one of its split folders is missing.
        ValueError: If a split has no class folders, a class folder has no
            images, or the two splits have different classes.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"data directory {root} does not exist. {LAYOUT_HINT}")
    indexes = {split: _scan_split(root / split) for split in SPLITS}
    train_classes = set(indexes["train"].classes)
    test_classes = set(indexes["test"].classes)
    if train_classes != test_classes:
        raise ValueError(
            f"class folders differ between {root / 'train'} and {root / 'test'}: "
            f"only in train {sorted(train_classes - test_classes)}, "
            f"only in test {sorted(test_classes - train_classes)}. {LAYOUT_HINT}"
        )
    return indexes


def _scan_split(split_dir: Path) -> ImageFolderIndex:
    """Index one split directory, raising on a missing or malformed layout."""
    if not split_dir.is_dir():
        raise FileNotFoundError(f"split folder {split_dir} does not exist. {LAYOUT_HINT}")
    classes = tuple(sorted(entry.name for entry in split_dir.iterdir() if entry.is_dir()))
    if not classes:
        raise ValueError(f"{split_dir} contains no class folders. {LAYOUT_HINT}")

    files: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        images = sorted(
            path for path in (split_dir / name).iterdir()
            if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS
        )
        if not images:
            raise ValueError(
                f"class folder {split_dir / name} contains no images "
                f"(suffixes {', '.join(IMAGE_EXTENSIONS)}): add images or remove the folder"
            )
        files.extend(images)
        labels.extend([label] * len(images))
    return ImageFolderIndex(split_dir, classes, tuple(files), tuple(labels))


def decode_images(files: tuple[Path, ...], image_size: int) -> torch.Tensor:
    """Decode image files into one N×3×S×S uint8 tensor, S = ``image_size``.

    Pillow decodes the files (torchvision's own decoders are deprecated since
    torchvision 0.29). Grayscale, palette and RGBA images become RGB. An image
    of another size is resized to S×S with Pillow's bilinear filter, which
    antialiases when shrinking, ignoring its aspect ratio.

    Raises:
        ValueError: If a file cannot be decoded, naming the file.
    """
    pixels = np.empty((len(files), image_size, image_size, 3), dtype=np.uint8)
    for position, path in enumerate(files):
        try:
            with Image.open(path) as image:
                rgb = image.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise ValueError(f"cannot decode image {path} ({error}): replace or delete the file") from error
        if rgb.size != (image_size, image_size):
            rgb = rgb.resize((image_size, image_size), Image.Resampling.BILINEAR)
        pixels[position] = np.asarray(rgb)
    return torch.from_numpy(pixels).permute(0, 3, 1, 2).contiguous()  # N×3×S×S
