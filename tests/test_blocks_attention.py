"""Tests for factor.blocks.attention: shapes, parameter counts, windows, validation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from factor.blocks.attention import (
    CBAM,
    LargeSeparableKernelAttention,
    SqueezeExcitation,
    StripConvAttention,
    squeeze_width,
)
from factor.counting import count_parameters
from factor.receptive_field import effective_receptive_field, erf_extent


@pytest.mark.parametrize(
    "block",
    [
        SqueezeExcitation(16),
        SqueezeExcitation(16, squeeze_channels=3, gate="hardsigmoid"),
        CBAM(16, reduction=4, spatial_kernel_size=3),
        StripConvAttention(16, 3, (5, 7)),
        LargeSeparableKernelAttention(16, 3, 5, 2),
    ],
    ids=["se", "se-hard", "cbam", "strip", "lska"],
)
@pytest.mark.parametrize("size", [(2, 16, 9, 9), (1, 16, 6, 11)])
def test_attention_keeps_shape(block, size):
    assert block(torch.randn(size)).shape == size


@pytest.mark.parametrize(
    ("channels", "reduction", "squeeze", "expected"),
    [
        # S = 64 // 16 = 4: 2*64*4 weights + 4 + 64 biases = 512 + 68.
        (64, 16, None, 580),
        # S = max(1, 8 // 16) = 1: 2*8*1 + 1 + 8.
        (8, 16, None, 25),
        # Explicit S = 5: 2*24*5 + 5 + 24.
        (24, 16, 5, 269),
    ],
)
def test_squeeze_excitation_parameters(channels, reduction, squeeze, expected):
    block = SqueezeExcitation(channels, squeeze_channels=squeeze, reduction=reduction)
    assert count_parameters(block) == expected


def test_squeeze_excitation_scales_each_channel_by_its_gate():
    block = SqueezeExcitation(4, squeeze_channels=2).eval()
    x = torch.randn(3, 4, 5, 5)
    with torch.no_grad():
        pooled = x.mean(dim=(2, 3), keepdim=True)
        gate = torch.sigmoid(block.expand(torch.relu(block.reduce(pooled))))
        expected = x * gate
        assert torch.allclose(block(x), expected)
        # A gate lies in (0, 1), so no activation grows in magnitude.
        assert bool((block(x).abs() <= x.abs() + 1e-6).all())


@pytest.mark.parametrize(
    ("channels", "reduction", "kernel", "expected"),
    [
        # Channel MLP with S = 2: 2*32*2 + 2 + 32 = 162; spatial conv 2*7*7 + 1 = 99.
        (32, 16, 7, 261),
        # S = 16 // 4 = 4: 2*16*4 + 4 + 16 = 148; spatial 2*3*3 + 1 = 19.
        (16, 4, 3, 167),
    ],
)
def test_cbam_parameters(channels, reduction, kernel, expected):
    assert count_parameters(CBAM(channels, reduction, kernel)) == expected


def test_cbam_spatial_map_is_shared_across_channels():
    block = CBAM(8, reduction=2).eval()
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        after_channel = x * block.channel(x)
        spatial = block.spatial(after_channel)
        assert spatial.shape == (1, 1, 6, 6)
        assert torch.allclose(block(x), after_channel * spatial)


@pytest.mark.parametrize(
    ("channels", "local", "strips", "expected"),
    [
        # Local 32*(25+1) = 832; strips 2*32*(8 + 12 + 22) = 2688; mix 32*32 + 32 = 1056.
        (32, 5, (7, 11, 21), 4576),
        # Local 8*(9+1) = 80; one strip pair 2*8*(5+1) = 96; mix 8*8 + 8 = 72.
        (8, 3, (5,), 248),
    ],
)
def test_strip_attention_parameters(channels, local, strips, expected):
    assert count_parameters(StripConvAttention(channels, local, strips)) == expected


def test_strip_attention_window_is_full_square():
    # 3 x 3 local then 1 x 7 -> 7 x 1: the window is (3 + 7 - 1) = 9 on each side, filled.
    block = StripConvAttention(2, 3, (7,))
    _positive_weights(block)
    erf = effective_receptive_field(block, (1, 2, 21, 21), samples=2)
    assert block.receptive_field == 9
    assert erf_extent(erf, 0.0) == (9, 9)
    assert int(np.count_nonzero(erf)) == 9 * 9


@pytest.mark.parametrize(
    ("local", "dilated", "dilation", "expected"),
    [
        # 5 + 3 * (7 - 1) = 23, LSKA's default kernel size.
        (5, 7, 3, 23),
        # 3 + 2 * (5 - 1) = 11.
        (3, 5, 2, 11),
    ],
)
def test_lska_receptive_field(local, dilated, dilation, expected):
    block = LargeSeparableKernelAttention(2, local, dilated, dilation)
    _positive_weights(block)
    erf = effective_receptive_field(block, (1, 2, 31, 31), samples=2)
    assert block.receptive_field == expected
    assert erf_extent(erf, 0.0) == (expected, expected)


def test_lska_parameters():
    # 2*16*(5+1) + 2*16*(7+1) = 192 + 256 depthwise; mix 16*16 + 16 = 272.
    assert count_parameters(LargeSeparableKernelAttention(16)) == 720


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: SqueezeExcitation(0), "channels=0"),
        (lambda: SqueezeExcitation(8, squeeze_channels=0), "squeeze_channels=0"),
        (lambda: SqueezeExcitation(8, reduction=-2), "reduction=-2"),
        (lambda: SqueezeExcitation(8, gate="tanh"), "gate='tanh'"),
        (lambda: CBAM(8, spatial_kernel_size=4), "kernel_size=4"),
        (lambda: StripConvAttention(8, 5, (6,)), "kernel_size=6"),
        (lambda: StripConvAttention(8, 0), "kernel_size=0"),
        (lambda: LargeSeparableKernelAttention(8, dilation=0), "dilation=0"),
    ],
)
def test_attention_rejects_invalid_arguments(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_squeeze_width_floor_is_one():
    # 12 // 16 = 0, raised to 1 so the MLP keeps a hidden unit.
    assert squeeze_width(12, 16) == 1
    assert squeeze_width(48, 16) == 3


def _positive_weights(block: nn.Module) -> None:
    # Positive weights and biases keep the product x * attention(x) from
    # cancelling by chance, so the gradient support shows the whole window.
    with torch.no_grad():
        for parameter in block.parameters():
            parameter.uniform_(0.5, 1.0)
