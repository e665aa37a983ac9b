"""Standard CIFAR augmentation applied to a whole batch at once.

Random crop: pad each image with ``padding`` zeros on every side, then cut
an H×W window at a random offset, one offset per image. Horizontal flip:
mirror each image with probability 1/2. Both become one gather with per-image
flat pixel indices, and the random numbers come from a CPU
``torch.Generator``, so a seed gives the same augmentation on any device.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

CROP_PADDING = 4
"""Zeros added on each side before the random crop, the usual choice for 32×32 CIFAR images."""


def random_crop_flip(
    images: torch.Tensor,
    generator: torch.Generator,
    padding: int = CROP_PADDING,
    flip: bool = True,
) -> torch.Tensor:
    """Randomly crop (after zero padding) and horizontally flip each image.

    Offsets are drawn first, then flips, so the same seed gives the same
    crops whether ``flip`` is on or off.

    Args:
        images: N×C×H×W batch, any dtype, on any device.
        generator: CPU generator that draws the offsets and flips.
        padding: Zeros added on each side before cropping. 0 disables the crop.
        flip: Whether to mirror a random half of the images.

    Returns:
        A new contiguous N×C×H×W tensor on the same device and with the same dtype.

    Raises:
        ValueError: If ``padding`` is negative.
    """
    if padding < 0:
        raise ValueError(f"padding={padding} is invalid: pass zero or a positive number of pixels")
    batch, channels, height, width = images.shape
    device = images.device

    offsets = torch.randint(0, 2 * padding + 1, (2, batch), generator=generator)
    rows = offsets[0, :, None] + torch.arange(height)  # N×H
    columns = torch.arange(width).expand(batch, width)  # N×W
    if flip:
        mirror = torch.rand(batch, generator=generator) < 0.5
        columns = torch.where(mirror[:, None], columns.flip(-1), columns)
    columns = offsets[1, :, None] + columns

    padded = F.pad(images, (padding, padding, padding, padding))  # N×C×(H+2p)×(W+2p)
    padded_width = width + 2 * padding
    # Flat index of each output pixel inside its padded image: N×(H·W), same for every channel.
    flat = (rows[:, :, None] * padded_width + columns[:, None, :]).view(batch, 1, height * width)
    flat = flat.to(device).expand(batch, channels, height * width)
    cropped = torch.gather(padded.flatten(2), 2, flat)  # N×C×(H·W)
    return cropped.view(batch, channels, height, width)
