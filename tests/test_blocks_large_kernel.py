"""Tests for factor.blocks.large_kernel: SLaK's decomposed kernel and the ConvNeXt block."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from factor.blocks.large_kernel import ChannelLayerNorm, ConvNeXtBlock, DecomposedLargeKernelConv
from factor.counting import count_parameters
from factor.receptive_field import effective_receptive_field, erf_extent


@pytest.mark.parametrize(
    "block",
    [
        DecomposedLargeKernelConv(8, 11, 3, 3),
        DecomposedLargeKernelConv(8, 9, 3, None),
        ConvNeXtBlock(8),
        ConvNeXtBlock(8, 13, expansion=2, short_side=3),
    ],
    ids=["slak", "slak-no-small", "convnext", "convnext-slak"],
)
@pytest.mark.parametrize("size", [(2, 8, 12, 12), (1, 8, 5, 9)])
def test_large_kernel_blocks_keep_shape(block, size):
    assert block(torch.randn(size)).shape == size


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # 32 * (2*51*5 + 5*5) = 32 * 535 = 17120 weights; 3 BatchNorms of 2*32.
        ((32, 51, 5, 5), 17312),
        # 8 * (2*11*3) = 528 weights; 2 BatchNorms of 2*8.
        ((8, 11, 3, None), 560),
    ],
)
def test_decomposed_kernel_parameters(args, expected):
    assert count_parameters(DecomposedLargeKernelConv(*args)) == expected


def test_decomposed_kernel_window_is_a_cross():
    # 11 x 3 plus 3 x 11 overlap in the central 3 x 3: 33 + 33 - 9 = 57 pixels,
    # against 121 for a full 11 x 11 kernel; the 3 x 3 small kernel lies inside.
    block = DecomposedLargeKernelConv(1, 11, 3, 3).eval()
    erf = effective_receptive_field(block, (1, 1, 21, 21), samples=1)
    assert erf_extent(erf, 0.0) == (11, 11)
    assert int(np.count_nonzero(erf)) == 57


def test_decomposed_kernel_sums_its_branches():
    block = DecomposedLargeKernelConv(4, 7, 3, 3).eval()
    x = torch.randn(2, 4, 9, 9)
    with torch.no_grad():
        expected = block.wide(x) + block.tall(x) + block.small(x)
        assert torch.allclose(block(x), expected)
    assert block.wide[0].kernel_size == (3, 7)
    assert block.tall[0].kernel_size == (7, 3)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # Depthwise 32*49 + 32 bias; LayerNorm 2*32; expand 32*128 + 128; project 128*32 + 32;
        # layer scale 32: 1568 + 32 + 64 + 4224 + 4128 + 32.
        (dict(channels=32), 10048),
        # C = 8, e = 2: depthwise 8*9 + 8 = 80; LN 16; 8*16 + 16 = 144; 16*8 + 8 = 136; scale 8.
        (dict(channels=8, kernel_size=3, expansion=2), 384),
        # Decomposed 13 x 3 kernel, no small kernel: 8*2*13*3 = 624 + 2 BN * 16 = 656, then
        # 16 + 144 + 136 + 8 as above.
        (dict(channels=8, kernel_size=13, expansion=2, short_side=3, small_kernel_size=None), 960),
    ],
)
def test_convnext_block_parameters(kwargs, expected):
    assert count_parameters(ConvNeXtBlock(**kwargs)) == expected


def test_convnext_block_starts_near_identity():
    # Layer scale 1e-6 makes the residual branch tiny at initialization.
    block = ConvNeXtBlock(8).eval()
    x = torch.randn(1, 8, 7, 7)
    with torch.no_grad():
        assert torch.allclose(block(x), x, atol=1e-3)
        block.layer_scale.fill_(0.0)
        assert torch.equal(block(x), x)


def test_channel_layer_norm_matches_channels_last_layer_norm():
    norm = ChannelLayerNorm(6)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.5, 0.5)
    x = torch.randn(2, 6, 4, 5)
    reference = nn.functional.layer_norm(
        x.permute(0, 2, 3, 1), (6,), norm.weight, norm.bias, eps=1e-6
    ).permute(0, 3, 1, 2)
    assert torch.allclose(norm(x), reference, atol=1e-6)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: DecomposedLargeKernelConv(8, 11, 11), "short_side=11"),
        (lambda: DecomposedLargeKernelConv(8, 12, 3), "kernel_size=12"),
        (lambda: DecomposedLargeKernelConv(8, 11, 4), "short_side=4"),
        (lambda: DecomposedLargeKernelConv(0, 11, 3), "channels=0"),
        (lambda: ConvNeXtBlock(8, expansion=0), "expansion=0"),
        (lambda: ConvNeXtBlock(8, kernel_size=6), "kernel_size=6"),
        (lambda: ChannelLayerNorm(-1), "channels=-1"),
    ],
)
def test_large_kernel_blocks_reject_invalid_arguments(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
