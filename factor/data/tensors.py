"""Decode a split once into uint8 tensors and keep them in a ``.pt`` cache file.

The cache file name contains a hash of the source, the split, the image size
and a fingerprint of the files (relative path, size and modification time
of each), so a changed folder is decoded again instead of read stale.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from factor.data.image_folder import decode_images, scan_image_folder
from factor.data.paths import default_cache_dir
from factor.data.sources import DataSource

logger = logging.getLogger(__name__)

SPLITS = ("train", "test")


@dataclass(frozen=True)
class ImageTensors:
    """One split as tensors.

    Attributes:
        images: N×3×H×W uint8 pixels.
        labels: N int64 class indices.
        classes: Class names in label order.
        source: ``DataSource.name`` of the data the tensors were decoded from.
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return int(self.labels.numel())

    def subset(self, indices: torch.Tensor) -> ImageTensors:
        """Return the examples at ``indices`` (a 1-D int64 tensor)."""
        return ImageTensors(self.images[indices], self.labels[indices], self.classes, self.source)


def load_split(
    source: DataSource,
    split: str,
    image_size: int = 32,
    cache_dir: str | os.PathLike[str] | None = None,
) -> ImageTensors:
    """Return one split of ``source`` as uint8 tensors, decoding it on first use.

    Args:
        source: A source from ``resolve_data``.
        split: ``"train"`` or ``"test"``.
        image_size: Side S of the N×3×S×S output. ImageFolder images of
            another size are resized. torchvision's CIFAR-10 is always 32.
        cache_dir: Cache folder. Defaults to ``<repository>/.cache``.

    Raises:
        ValueError: For an unknown split, a torchvision source with
            ``image_size`` other than 32, or an image that cannot be decoded.
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r} is invalid: pass 'train' or 'test'")
    if source.kind == "torchvision" and image_size != 32:
        raise ValueError(f"image_size={image_size} is invalid for CIFAR-10 from torchvision: pass 32")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache / "data" / "tensors" / f"{_cache_key(source, split, image_size)}.pt"
    if path.is_file():
        stored = torch.load(path, weights_only=True)
        return ImageTensors(stored["images"], stored["labels"], tuple(stored["classes"]), source.name)

    start = time.perf_counter()
    tensors = _decode(source, split, image_size)
    _save_atomic(tensors, path)
    logger.info(
        "decoded %d %s images of %s in %.1f s into %s",
        len(tensors), split, source.name, time.perf_counter() - start, path,
    )
    return tensors


def balanced_subset(labels: torch.Tensor, size: int, seed: int) -> torch.Tensor:
    """Pick ``size`` indices with the same count from every class, at random.

    Each class gives ``size // num_classes`` examples, and the first
    ``size % num_classes`` classes one more. The indices come back sorted.

    Raises:
        ValueError: If ``size`` is not positive or a class has too few examples.
    """
    classes = int(labels.max()) + 1
    if size < 1:
        raise ValueError(f"subset size={size} is invalid: pass a positive count")
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label in range(classes):
        members = torch.nonzero(labels == label).flatten()
        wanted = size // classes + (1 if label < size % classes else 0)
        if wanted > members.numel():
            raise ValueError(
                f"subset size={size} needs {wanted} examples of class {label}, which has "
                f"{members.numel()}: pass a size of at most {classes * members.numel()}"
            )
        chosen.append(members[torch.randperm(members.numel(), generator=generator)[:wanted]])
    return torch.cat(chosen).sort().values


def _decode(source: DataSource, split: str, image_size: int) -> ImageTensors:
    """Read every image of one split into memory."""
    if source.kind == "torchvision":
        from torchvision.datasets import CIFAR10

        dataset = CIFAR10(str(source.root), train=split == "train", download=False)
        images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()
        labels = torch.tensor(dataset.targets, dtype=torch.int64)
        return ImageTensors(images, labels, tuple(dataset.classes), source.name)

    index = scan_image_folder(source.root)[split]
    images = decode_images(index.files, image_size)
    labels = torch.tensor(index.labels, dtype=torch.int64)
    return ImageTensors(images, labels, index.classes, source.name)


def _cache_key(source: DataSource, split: str, image_size: int) -> str:
    """Hash what determines the decoded tensors: source, split, size and files."""
    digest = hashlib.sha256(f"{source.name}|{source.root}|{split}|{image_size}".encode())
    folder = source.root / split if source.kind == "image_folder" else source.root
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            status = path.stat()
            digest.update(f"|{path.relative_to(folder)}:{status.st_size}:{status.st_mtime_ns}".encode())
    slug = source.name.rsplit("/", 1)[-1].replace(":", "-")
    return f"{slug}-{split}-{image_size}px-{digest.hexdigest()[:16]}"


def _save_atomic(tensors: ImageTensors, path: Path) -> None:
    """Write the tensors to a scratch file beside ``path``, then rename it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        torch.save(
            {"images": tensors.images, "labels": tensors.labels, "classes": list(tensors.classes)},
            scratch,
        )
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
