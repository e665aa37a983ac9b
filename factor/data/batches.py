"""Mini-batches from uint8 tensors that already sit on the training device.

Shuffling and augmentation use one seeded CPU generator, so the order and
the crops of every epoch follow from the seed alone. Pixels are converted
to float and normalized per channel on the device, batch by batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from factor.data.augment import random_crop_flip
from factor.data.tensors import ImageTensors


def channel_statistics(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the per-channel mean and standard deviation of uint8 images, in [0, 1] units.

    Args:
        images: N×C×H×W uint8 tensor.

    Returns:
        Two C-element float32 tensors.
    """
    pixels = images.transpose(0, 1).reshape(images.shape[1], -1).double() / 255.0
    return pixels.mean(dim=1).float(), pixels.std(dim=1).float()


class TensorBatches:
    """Iterate over (images, labels) batches of an in-memory dataset.

    Each pass (one epoch) yields float32 N×C×H×W images normalized with
    ``mean`` and ``std``, and int64 labels, both on ``device``. The last batch
    may be smaller.

    Args:
        data: The examples, uint8 images.
        batch_size: Examples per batch.
        mean: Per-channel mean in [0, 1] units, C elements.
        std: Per-channel standard deviation in [0, 1] units, C elements.
        device: Where batches are produced. The whole dataset is moved there once.
        shuffle: Whether to draw a new order every epoch.
        augment: Whether to apply ``random_crop_flip`` (``CROP_PADDING`` pixels, flip).
        seed: Seed of the generator behind shuffling and augmentation.
        channels_last: Whether to return batches in channels-last memory format.
    """

    def __init__(
        self,
        data: ImageTensors,
        batch_size: int,
        mean: torch.Tensor,
        std: torch.Tensor,
        device: str | torch.device = "cpu",
        shuffle: bool = False,
        augment: bool = False,
        seed: int = 0,
        channels_last: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size} is invalid: pass a positive count")
        if len(data) == 0:
            raise ValueError("the dataset is empty: pass at least one example")
        self.device = torch.device(device)
        self.images = data.images.to(self.device)
        self.labels = data.labels.to(self.device)
        self.batch_size = batch_size
        self.mean = (mean * 255.0).to(self.device).view(1, -1, 1, 1)
        self.std = (std * 255.0).to(self.device).view(1, -1, 1, 1)
        self.shuffle = shuffle
        self.augment = augment
        self.generator = torch.Generator().manual_seed(seed)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def __len__(self) -> int:
        """Return the number of batches per epoch."""
        return -(-int(self.labels.numel()) // self.batch_size)

    @property
    def num_examples(self) -> int:
        """Number of examples per epoch."""
        return int(self.labels.numel())

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        count = self.num_examples
        if self.shuffle:
            order = torch.randperm(count, generator=self.generator).to(self.device)
        else:
            order = torch.arange(count, device=self.device)
        for start in range(0, count, self.batch_size):
            chosen = order[start:start + self.batch_size]
            images = self.images[chosen]
            if self.augment:
                images = random_crop_flip(images, self.generator)
            images = (images.float() - self.mean) / self.std
            yield images.contiguous(memory_format=self.memory_format), self.labels[chosen]
