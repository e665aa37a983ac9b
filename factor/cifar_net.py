"""A CIFAR-sized Inception-style network whose large-kernel convolutions can be swapped.

The network has one Inception-style module on each grid of a 32×32 input
(32×32, 16×16 and 8×8), with a grid reduction between them. Each module has
three parallel branches whose outputs are concatenated: a 1×1 convolution, a
1×1 reduction followed by a k×k convolution, and 3×3 average pooling with a
1×1 projection. Variants differ only in the k×k convolution of the module at
``placement``:

* ``"full"``: one k×k ``ConvBNAct``;
* ``"factorized"``: 1×k then k×1 with BatchNorm and ReLU between them, as in
  Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture for
  Computer Vision", 2016);
* ``"factorized_linear"``: 1×k then k×1 with nothing between them, so the
  pair is a rank-limited linear map with no extra nonlinearity;
* ``"separable"``: depthwise k×k then pointwise 1×1, with BatchNorm and ReLU
  after each (the MobileNet arrangement).

The modules at the other two grids use a full 3×3 convolution in that
branch, the same in every variant.
"""

from __future__ import annotations

import torch
from torch import nn

from factor.layers import ConvBNAct, DepthwiseSeparableConv2d, FactorizedConv2d

VARIANTS = ("full", "factorized", "factorized_linear", "separable")
PLACEMENTS = (32, 16, 8)
"""Grid sizes (H = W for a 32×32 input) that have an Inception-style module."""

SMALL_KERNEL_SIZE = 3
"""Kernel of the branch convolution in the modules that are not at ``placement``."""


def large_kernel_conv(variant: str, in_channels: int, out_channels: int, kernel_size: int) -> nn.Module:
    """Build the k×k convolution of one variant, followed by BatchNorm and ReLU.

    Raises:
        ValueError: If ``variant`` is not one of ``VARIANTS``.
    """
    if variant == "full":
        return ConvBNAct(in_channels, out_channels, kernel_size)
    if variant == "factorized":
        return FactorizedConv2d(in_channels, out_channels, kernel_size)
    if variant == "factorized_linear":
        return FactorizedConv2d(
            in_channels, out_channels, kernel_size, inner_norm=False, inner_activation=False
        )
    if variant == "separable":
        return DepthwiseSeparableConv2d(in_channels, out_channels, kernel_size)
    raise ValueError(f"variant={variant!r} is invalid: pass one of {', '.join(VARIANTS)}")


class InceptionModule(nn.Module):
    """Three parallel branches, concatenated along channels.

    Shapes:
        Input N×in_channels×H×W, output N×(3·branch_channels)×H×W.

    Args:
        in_channels: Channels of the input.
        branch_channels: Output channels of each branch.
        branch_kxk: The k×k convolution of the second branch, mapping
            ``branch_channels`` to ``branch_channels`` channels at stride 1.
    """

    def __init__(self, in_channels: int, branch_channels: int, branch_kxk: nn.Module) -> None:
        super().__init__()
        self.branch1x1 = ConvBNAct(in_channels, branch_channels, 1)

        self.branch_kxk_1 = ConvBNAct(in_channels, branch_channels, 1)
        self.branch_kxk_2 = branch_kxk

        self.branch_pool_1 = nn.AvgPool2d(3, stride=1, padding=1)
        self.branch_pool_2 = ConvBNAct(in_channels, branch_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map N×in_channels×H×W to N×(3·branch_channels)×H×W."""
        branch1x1 = self.branch1x1(x)

        branch_kxk = self.branch_kxk_2(self.branch_kxk_1(x))

        branch_pool = self.branch_pool_2(self.branch_pool_1(x))

        return torch.cat([branch1x1, branch_kxk, branch_pool], dim=1)


class GridReduction(nn.Module):
    """Halve the grid with a strided 3×3 convolution beside 3×3 max pooling.

    Shapes:
        Input N×in_channels×H×W, output N×(in_channels + conv_channels)×⌈H/2⌉×⌈W/2⌉.
    """

    def __init__(self, in_channels: int, conv_channels: int) -> None:
        super().__init__()
        self.branch3x3 = ConvBNAct(in_channels, conv_channels, 3, stride=2)

        self.branch_pool = nn.MaxPool2d(3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map N×C×H×W to N×(C + conv_channels)×⌈H/2⌉×⌈W/2⌉."""
        return torch.cat([self.branch3x3(x), self.branch_pool(x)], dim=1)


class CifarInceptionNet(nn.Module):
    """Stem, three Inception-style modules on shrinking grids, pooling, classifier.

    With width w and a 32×32 input the shape trail is: stem N×w×32×32,
    module N×3w×32×32, reduction N×4w×16×16, module N×6w×16×16, reduction
    N×8w×8×8, module N×12w×8×8, pooling N×12w, logits N×num_classes.

    Args:
        variant: One of ``VARIANTS``, the kind of the k×k convolution.
        placement: Grid (32, 16 or 8) whose module contains the k×k convolution
            of ``variant``. The other modules use a full 3×3 there.
        width: Channel multiplier w.
        kernel_size: k of the large-kernel convolution.
        num_classes: Number of output logits.

    Raises:
        ValueError: For an unknown variant or placement, or a non-positive width.
    """

    def __init__(
        self,
        variant: str = "full",
        placement: int = 16,
        width: int = 8,
        kernel_size: int = 7,
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant={variant!r} is invalid: pass one of {', '.join(VARIANTS)}")
        if placement not in PLACEMENTS:
            raise ValueError(
                f"placement={placement!r} is invalid: pass one of {', '.join(map(str, PLACEMENTS))}"
            )
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"width={width!r} is invalid: pass a positive integer")
        self.variant = variant
        self.placement = placement

        def module(grid: int, in_channels: int, branch_channels: int) -> InceptionModule:
            if grid == placement:
                branch = large_kernel_conv(variant, branch_channels, branch_channels, kernel_size)
            else:
                branch = ConvBNAct(branch_channels, branch_channels, SMALL_KERNEL_SIZE)
            return InceptionModule(in_channels, branch_channels, branch)

        self.stem = ConvBNAct(3, width, 3)
        self.inception32 = module(32, width, width)
        self.reduction16 = GridReduction(3 * width, width)
        self.inception16 = module(16, 4 * width, 2 * width)
        self.reduction8 = GridReduction(6 * width, 2 * width)
        self.inception8 = module(8, 8 * width, 4 * width)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(12 * width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map N×3×32×32 images to N×num_classes logits."""
        x = self.stem(x)  # N×w×32×32
        x = self.inception32(x)  # N×3w×32×32
        x = self.reduction16(x)  # N×4w×16×16
        x = self.inception16(x)  # N×6w×16×16
        x = self.reduction8(x)  # N×8w×8×8
        x = self.inception8(x)  # N×12w×8×8
        x = self.pool(x).flatten(1)  # N×12w
        return self.fc(x)  # N×num_classes
