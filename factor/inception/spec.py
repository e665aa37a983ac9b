"""Convolution specifications: the shape of one conv + BatchNorm + ReLU layer.

Inception v3's modules are described here as lists of ``ConvSpec`` before any
layer is built. Keeping the description apart from the ``nn.Module`` lets the
unfactorization rules in :mod:`factor.inception.unfactorize` work on plain
data, and lets the chapter print a module's branches as a table.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from factor.layers import ConvBNAct

# BatchNorm epsilon of every conv in Inception v3: torchvision's BasicConv2d
# and the TF-slim model it was ported from both use 0.001.
BN_EPS = 0.001


@dataclass(frozen=True)
class ConvSpec:
    """One convolution of a branch, followed by BatchNorm and ReLU.

    Attributes:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Kernel height and width.
        stride: Stride in both directions.
        padding: Zero padding on each side, as (rows, columns).
    """

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: int = 1
    padding: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        if self.in_channels < 1 or self.out_channels < 1:
            raise ValueError(
                f"channels must be positive, got in_channels={self.in_channels}, "
                f"out_channels={self.out_channels}"
            )
        if min(self.kernel_size) < 1 or self.stride < 1:
            raise ValueError(
                f"kernel_size and stride must be positive, got kernel_size="
                f"{self.kernel_size}, stride={self.stride}"
            )

    @property
    def kernel_label(self) -> str:
        """Kernel size as height x width, for example ``1x7``."""
        return f"{self.kernel_size[0]}x{self.kernel_size[1]}"

    @property
    def params(self) -> int:
        """Weights of the bias-free conv plus BatchNorm's scale and shift."""
        height, width = self.kernel_size
        return self.in_channels * self.out_channels * height * width + 2 * self.out_channels


def _pair(kernel_size: int | tuple[int, int]) -> tuple[int, int]:
    if isinstance(kernel_size, int):
        return (kernel_size, kernel_size)
    return (int(kernel_size[0]), int(kernel_size[1]))


def conv_same(
    in_channels: int, out_channels: int, kernel_size: int | tuple[int, int]
) -> ConvSpec:
    """Describe a stride-1 conv whose zero padding keeps the grid size.

    Raises:
        ValueError: If a kernel side is even, because symmetric padding then
            cannot keep the size.
    """
    height, width = _pair(kernel_size)
    if height % 2 == 0 or width % 2 == 0:
        raise ValueError(
            f"size-preserving padding needs odd kernel sides, got {height}x{width}; "
            "use conv_valid for even kernels"
        )
    return ConvSpec(in_channels, out_channels, (height, width), 1, (height // 2, width // 2))


def conv_valid(
    in_channels: int, out_channels: int, kernel_size: int | tuple[int, int], stride: int = 1
) -> ConvSpec:
    """Describe a conv without padding, which shrinks the grid."""
    return ConvSpec(in_channels, out_channels, _pair(kernel_size), stride, (0, 0))


def build_conv(spec: ConvSpec) -> ConvBNAct:
    """Build the bias-free conv, BatchNorm (eps 0.001) and ReLU that ``spec`` describes."""
    return ConvBNAct(
        spec.in_channels,
        spec.out_channels,
        spec.kernel_size,
        stride=spec.stride,
        padding=spec.padding,
        bias=False,
        eps=BN_EPS,
    )


def spec_of(layer: nn.Module) -> ConvSpec:
    """Read the ``ConvSpec`` back from a built ConvBNAct (its ``conv`` child)."""
    conv = layer.conv
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"expected a ConvBNAct with an nn.Conv2d child, got {type(conv).__name__}")
    return ConvSpec(
        conv.in_channels,
        conv.out_channels,
        (conv.kernel_size[0], conv.kernel_size[1]),
        conv.stride[0],
        (int(conv.padding[0]), int(conv.padding[1])),
    )
