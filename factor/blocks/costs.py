"""Closed-form parameters and MACs of the blocks in :mod:`factor.blocks`.

The conventions are those of :mod:`factor.costs` and of
``torch.utils.flop_counter.FlopCounterMode``. MACs are the multiply-adds of
convolutions and linear layers for one image. Pooling, normalization,
activations, gates and element-wise products count zero MACs. Parameters
include biases, BatchNorm and LayerNorm affine parameters and ConvNeXt's
layer scale, but not BatchNorm running statistics. Every block here keeps its
input's H x W, except :func:`inverted_residual_cost` with a stride.
"""

from __future__ import annotations

from collections.abc import Sequence

from factor.blocks.attention import squeeze_width
from factor.blocks.mobile import se_width
from factor.costs import Cost, batchnorm_cost, conv2d_cost, conv2d_output_size

Size = tuple[int, int]

__all__ = [
    "cbam_cost",
    "convnext_block_cost",
    "decomposed_kernel_cost",
    "inverted_residual_cost",
    "lska_cost",
    "squeeze_excitation_cost",
    "strip_attention_cost",
]


def squeeze_excitation_cost(channels: int, squeeze_channels: int) -> Cost:
    """Count an SE layer: two 1 x 1 convs with bias on a 1 x 1 map.

    Parameters ``2 C S + S + C``; MACs ``2 C S``, independent of H x W.
    """
    reduce = conv2d_cost(channels, squeeze_channels, 1, (1, 1), bias=True)
    expand = conv2d_cost(squeeze_channels, channels, 1, (1, 1), bias=True)
    return reduce + expand


def cbam_cost(
    channels: int, input_size: Size, reduction: int = 16, spatial_kernel_size: int = 7
) -> Cost:
    """Count a CBAM block: the shared MLP runs twice, the spatial conv maps 2 -> 1.

    Parameters ``2 C S + S + C + 2 k^2 + 1``; MACs ``4 C S + 2 k^2 H W``.
    """
    squeeze = squeeze_width(channels, reduction)
    mlp = squeeze_excitation_cost(channels, squeeze)
    spatial = conv2d_cost(2, 1, spatial_kernel_size, input_size, bias=True)
    return Cost(mlp.params, 2 * mlp.macs) + spatial


def strip_attention_cost(
    channels: int,
    input_size: Size,
    local_kernel_size: int = 5,
    strip_kernel_sizes: Sequence[int] = (7, 11, 21),
) -> Cost:
    """Count a :class:`factor.blocks.StripConvAttention` block.

    Parameters ``C (k0^2 + 1) + sum_k 2 C (k + 1) + C^2 + C``;
    MACs ``H W (C k0^2 + sum_k 2 C k + C^2)``.
    """
    total = _depthwise(channels, local_kernel_size, input_size)
    for length in strip_kernel_sizes:
        total = total + _depthwise(channels, (1, length), input_size)
        total = total + _depthwise(channels, (length, 1), input_size)
    return total + conv2d_cost(channels, channels, 1, input_size, bias=True)


def lska_cost(
    channels: int,
    input_size: Size,
    local_kernel_size: int = 5,
    dilated_kernel_size: int = 7,
) -> Cost:
    """Count a :class:`factor.blocks.LargeSeparableKernelAttention` block.

    Dilation changes neither count: parameters ``2 C (a + 1) + 2 C (b + 1) + C^2 + C``,
    MACs ``H W (2 C a + 2 C b + C^2)``.
    """
    total = Cost(0, 0)
    for length in (local_kernel_size, dilated_kernel_size):
        total = total + _depthwise(channels, (1, length), input_size)
        total = total + _depthwise(channels, (length, 1), input_size)
    return total + conv2d_cost(channels, channels, 1, input_size, bias=True)


def inverted_residual_cost(
    in_channels: int,
    out_channels: int,
    input_size: Size,
    kernel_size: int = 3,
    stride: int = 1,
    expand_ratio: int = 6,
    se_ratio: float = 0.0,
) -> Cost:
    """Count a :class:`factor.blocks.InvertedResidual` (or MBConv with ``se_ratio > 0``).

    Convs have no bias and each is followed by BatchNorm (``2 E`` or
    ``2 C_out`` parameters). The expansion runs on H x W, the depthwise conv
    and everything after it on the strided ``H' x W'``.
    """
    hidden = in_channels * expand_ratio
    total = Cost(0, 0)
    if expand_ratio != 1:
        total = conv2d_cost(in_channels, hidden, 1, input_size) + batchnorm_cost(hidden)
    output_size = conv2d_output_size(input_size, kernel_size, stride, "same")
    total = total + conv2d_cost(hidden, hidden, kernel_size, output_size, groups=hidden)
    total = total + batchnorm_cost(hidden)
    if se_ratio != 0:
        total = total + squeeze_excitation_cost(hidden, se_width(in_channels, se_ratio))
    total = total + conv2d_cost(hidden, out_channels, 1, output_size)
    return total + batchnorm_cost(out_channels)


def decomposed_kernel_cost(
    channels: int,
    input_size: Size,
    kernel_size: int = 51,
    short_side: int = 5,
    small_kernel_size: int | None = 5,
) -> Cost:
    """Count a :class:`factor.blocks.DecomposedLargeKernelConv`.

    Parameters ``C (2 M N + s^2)`` plus ``2 C`` per BatchNorm; MACs
    ``H W C (2 M N + s^2)``.
    """
    kernels: list[int | Size] = [(short_side, kernel_size), (kernel_size, short_side)]
    if small_kernel_size is not None:
        kernels.append(small_kernel_size)
    total = Cost(0, 0)
    for kernel in kernels:
        total = total + _depthwise(channels, kernel, input_size, bias=False)
        total = total + batchnorm_cost(channels)
    return total


def convnext_block_cost(
    channels: int,
    input_size: Size,
    kernel_size: int = 7,
    expansion: int = 4,
    short_side: int | None = None,
    small_kernel_size: int | None = 5,
) -> Cost:
    """Count a :class:`factor.blocks.ConvNeXtBlock`.

    The depthwise conv and both 1 x 1 convs have a bias; LayerNorm adds
    ``2 C`` parameters and the layer scale ``C``. MACs ``H W (C k^2 + 2 e C^2)``
    with the square kernel.
    """
    hidden = channels * expansion
    if short_side is None:
        spatial = _depthwise(channels, kernel_size, input_size)
    else:
        spatial = decomposed_kernel_cost(
            channels, input_size, kernel_size, short_side, small_kernel_size
        )
    norm_and_scale = Cost(params=2 * channels + channels, macs=0)
    expand = conv2d_cost(channels, hidden, 1, input_size, bias=True)
    project = conv2d_cost(hidden, channels, 1, input_size, bias=True)
    return spatial + norm_and_scale + expand + project


def _depthwise(
    channels: int, kernel_size: int | Size, input_size: Size, bias: bool = True
) -> Cost:
    """Count a stride-1 depthwise conv with "same" padding on an H x W input."""
    return conv2d_cost(channels, channels, kernel_size, input_size, groups=channels, bias=bias)
