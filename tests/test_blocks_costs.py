"""Tests for factor.blocks.costs: hand-derived counts and agreement with FlopCounterMode."""

from __future__ import annotations

import pytest

from factor.blocks import (
    CBAM,
    ConvNeXtBlock,
    DecomposedLargeKernelConv,
    InvertedResidual,
    LargeSeparableKernelAttention,
    MBConv,
    SqueezeExcitation,
    StripConvAttention,
)
from factor.blocks import costs
from factor.costs import Cost
from factor.counting import count_flops

GRIDS = [(17, 17), (8, 13)]


def test_hand_derived_costs_on_17x17():
    size = (17, 17)
    # SE, C = 32, S = 2: params 2*32*2 + 2 + 32 = 162, MACs 2*32*2 = 128.
    assert costs.squeeze_excitation_cost(32, 2) == Cost(162, 128)
    # CBAM: MLP MACs twice, 4*32*2 = 256, plus 2*49*289 = 28322 for the spatial conv.
    assert costs.cbam_cost(32, size) == Cost(261, 28578)
    # Strip attention: 289 * (32*25 + 2*32*(7 + 11 + 21) + 32*32) = 289 * 4320.
    assert costs.strip_attention_cost(32, size) == Cost(4576, 1248480)
    # LSKA: 289 * (2*32*5 + 2*32*7 + 32*32) = 289 * 1792.
    assert costs.lska_cost(32, size) == Cost(1952, 517888)
    # Inverted residual, E = 192: 289 * (32*192 + 9*192 + 192*32) = 289 * 14016.
    assert costs.inverted_residual_cost(32, 32, size) == Cost(14848, 4050624)
    # SLaK 51/5/5: 289 * 32 * 535.
    assert costs.decomposed_kernel_cost(32, size) == Cost(17312, 4947680)
    # ConvNeXt: 289 * (32*49 + 2*4*32*32) = 289 * 9760.
    assert costs.convnext_block_cost(32, size) == Cost(10048, 2820640)


def test_inverted_residual_cost_with_stride_uses_output_grid():
    # t = 1, k = 5, stride 2 on 17 x 17 -> 9 x 9: MACs 81 * (25*32 + 32*48) = 81 * 2336.
    assert costs.inverted_residual_cost(32, 48, (17, 17), 5, 2, 1) == Cost(2496, 189216)


@pytest.mark.parametrize("grid", GRIDS)
@pytest.mark.parametrize(
    ("block", "formula"),
    [
        (SqueezeExcitation(24, 6), lambda g: costs.squeeze_excitation_cost(24, 6)),
        (CBAM(24, 4, 5), lambda g: costs.cbam_cost(24, g, 4, 5)),
        (StripConvAttention(24, 3, (5, 9)), lambda g: costs.strip_attention_cost(24, g, 3, (5, 9))),
        (LargeSeparableKernelAttention(24, 3, 5, 2), lambda g: costs.lska_cost(24, g, 3, 5)),
        (InvertedResidual(24, 24, 3, 1, 4), lambda g: costs.inverted_residual_cost(24, 24, g, 3, 1, 4)),
        (InvertedResidual(24, 40, 5, 2, 3), lambda g: costs.inverted_residual_cost(24, 40, g, 5, 2, 3)),
        (MBConv(24, 24, 5), lambda g: costs.inverted_residual_cost(24, 24, g, 5, se_ratio=0.25)),
        (DecomposedLargeKernelConv(24, 13, 3, 5), lambda g: costs.decomposed_kernel_cost(24, g, 13, 3, 5)),
        (DecomposedLargeKernelConv(24, 9, 3, None), lambda g: costs.decomposed_kernel_cost(24, g, 9, 3, None)),
        (ConvNeXtBlock(24, 7, 3), lambda g: costs.convnext_block_cost(24, g, 7, 3)),
        (ConvNeXtBlock(24, 15, 2, short_side=3), lambda g: costs.convnext_block_cost(24, g, 15, 2, 3)),
    ],
    ids=[
        "se", "cbam", "strip", "lska", "inverted-residual", "inverted-residual-stride2",
        "mbconv", "slak", "slak-no-small", "convnext", "convnext-slak",
    ],
)
def test_closed_form_matches_flop_counter(block, formula, grid):
    measured = count_flops(block, input_size=(1, 24, *grid))
    expected = formula(grid)
    assert measured.params == expected.params
    assert measured.macs == expected.macs


def test_costs_reject_invalid_sizes():
    with pytest.raises(ValueError, match="channels=0"):
        costs.cbam_cost(0, (8, 8))
    with pytest.raises(ValueError, match="se_ratio=2"):
        costs.inverted_residual_cost(8, 8, (8, 8), se_ratio=2)
