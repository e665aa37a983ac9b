"""Tests for factor.inception.spec: conv specifications and the layers built from them."""

import pytest
import torch

from factor.inception.spec import BN_EPS, ConvSpec, build_conv, conv_same, conv_valid, spec_of


@pytest.mark.parametrize(
    ("kernel_size", "padding"),
    [(1, (0, 0)), (3, (1, 1)), (5, (2, 2)), ((1, 7), (0, 3)), ((7, 1), (3, 0)), ((1, 3), (0, 1))],
)
def test_conv_same_pads_half_kernel(kernel_size, padding):
    spec = conv_same(8, 16, kernel_size)
    assert spec.padding == padding
    assert spec.stride == 1


@pytest.mark.parametrize("kernel_size", [2, (1, 4), (6, 1)])
def test_conv_same_rejects_even_kernel(kernel_size):
    with pytest.raises(ValueError, match="odd kernel"):
        conv_same(8, 16, kernel_size)


def test_conv_valid_has_no_padding():
    spec = conv_valid(3, 32, 3, stride=2)
    assert spec == ConvSpec(3, 32, (3, 3), 2, (0, 0))


@pytest.mark.parametrize(
    ("in_channels", "out_channels", "kernel_size", "stride"),
    [(0, 4, (3, 3), 1), (4, -1, (3, 3), 1), (4, 4, (0, 3), 1), (4, 4, (3, 3), 0)],
)
def test_spec_rejects_non_positive(in_channels, out_channels, kernel_size, stride):
    with pytest.raises(ValueError, match="must be positive"):
        ConvSpec(in_channels, out_channels, kernel_size, stride)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # 1x7, 128 -> 128: 128 * 128 * 7 weights + 2 * 128 BatchNorm = 114944.
        (conv_same(128, 128, (1, 7)), 114944),
        # 3x3, 448 -> 384: 448 * 384 * 9 + 2 * 384 = 1548288 + 768 = 1549056.
        (conv_same(448, 384, 3), 1549056),
    ],
)
def test_spec_params(spec, expected):
    assert spec.params == expected


@pytest.mark.parametrize(
    "spec", [conv_same(4, 6, (1, 7)), conv_valid(4, 6, 3, stride=2), conv_same(4, 6, 1)]
)
def test_build_conv_round_trips(spec):
    layer = build_conv(spec)
    assert spec_of(layer) == spec
    assert layer.conv.bias is None
    assert layer.bn.eps == BN_EPS
    assert sum(p.numel() for p in layer.parameters()) == spec.params


def test_build_conv_output_shape():
    layer = build_conv(conv_same(4, 6, (1, 7)))
    # 'same' padding keeps 9 x 11; channels become 6.
    assert layer(torch.randn(2, 4, 9, 11)).shape == (2, 6, 9, 11)
