"""Tests for factor.blocks.structure: the low-rank structure of each factorization."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from factor.blocks.structure import separable_composite_kernel, unfolding_rank
from factor.layers import DepthwiseSeparableConv2d, FactorizedConv2d
from factor.lowrank import composite_kernel


def _linear_separable(channels: int, out_channels: int, kernel_size: int) -> DepthwiseSeparableConv2d:
    return DepthwiseSeparableConv2d(
        channels, out_channels, kernel_size,
        inner_norm=False, inner_activation=False, norm=False, activation=False,
    ).eval()


@pytest.mark.parametrize(("channels", "out_channels", "kernel_size"), [(4, 6, 3), (3, 5, 5)])
def test_separable_composite_kernel_equals_the_two_convs(channels, out_channels, kernel_size):
    torch.manual_seed(0)
    layer = _linear_separable(channels, out_channels, kernel_size)
    kernel = separable_composite_kernel(layer.depthwise.conv, layer.pointwise.conv)
    x = torch.randn(2, channels, 9, 9)
    with torch.no_grad():
        expected = layer(x)
        actual = nn.functional.conv2d(x, kernel, padding=kernel_size // 2)
    assert kernel.shape == (out_channels, channels, kernel_size, kernel_size)
    assert torch.allclose(actual, expected, atol=1e-5)


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_separable_kernel_has_rank_one_slices(kernel_size):
    torch.manual_seed(1)
    layer = _linear_separable(6, 8, kernel_size)
    kernel = separable_composite_kernel(layer.depthwise.conv, layer.pointwise.conv)
    # W[:, i] = P[:, i] outer D[i]: rank 1 for each input channel i.
    assert unfolding_rank(kernel, rows=("o",), fixed="i") == 1
    # The spatial unfolding (o, y) x (i, x) is not constrained: min(8 k, 6 k) = 6 k.
    assert unfolding_rank(kernel, rows=("o", "y")) == 6 * kernel_size


@pytest.mark.parametrize(("mid_channels", "kernel_size"), [(2, 5), (3, 7)])
def test_asymmetric_kernel_has_low_spatial_rank(mid_channels, kernel_size):
    torch.manual_seed(2)
    pair = FactorizedConv2d(
        6, 8, kernel_size, mid_channels=mid_channels,
        inner_norm=False, inner_activation=False, norm=False, activation=False,
    )
    kernel = composite_kernel(pair.conv1.conv, pair.conv2.conv)
    # W[o, i, y, x] = sum_m B[o, m, y] A[m, i, x]: rank of (o, y) x (i, x) is at most C_mid.
    assert unfolding_rank(kernel, rows=("o", "y")) == mid_channels
    # The per-input-channel slices are not rank 1.
    assert unfolding_rank(kernel, rows=("o",), fixed="i") > 1


def test_unfolding_rank_of_dense_random_kernel_is_full():
    kernel = torch.randn(4, 3, 3, 3, generator=torch.Generator().manual_seed(3))
    # (o, y) x (i, x) is 12 x 9: rank 9.
    assert unfolding_rank(kernel, rows=("o", "y")) == 9
    # (o) x (y, x) per input channel is 4 x 9: rank 4.
    assert unfolding_rank(kernel, rows=("o",), fixed="i") == 4


@pytest.mark.parametrize(
    ("rows", "fixed", "message"),
    [(("o", "z"), None, "invalid"), (("o", "o"), None, "invalid"), (("o",), "o", "invalid")],
)
def test_unfolding_rank_rejects_bad_axes(rows, fixed, message):
    with pytest.raises(ValueError, match=message):
        unfolding_rank(torch.zeros(2, 2, 3, 3), rows=rows, fixed=fixed)


def test_separable_composite_kernel_rejects_bad_weights():
    with pytest.raises(ValueError, match="bias"):
        separable_composite_kernel(nn.Conv2d(4, 4, 3, groups=4), nn.Conv2d(4, 4, 1, bias=False))
    with pytest.raises(ValueError, match="depth multiplier 1"):
        separable_composite_kernel(torch.zeros(4, 2, 3, 3), torch.zeros(4, 4, 1, 1))
    with pytest.raises(ValueError, match="1 x 1 weight"):
        separable_composite_kernel(torch.zeros(4, 1, 3, 3), torch.zeros(4, 3, 1, 1))
    with pytest.raises(ValueError, match="4-D"):
        separable_composite_kernel(torch.zeros(4, 3, 3), torch.zeros(4, 4, 1, 1))
