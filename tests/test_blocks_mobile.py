"""Tests for factor.blocks.mobile: inverted residual and MBConv."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from factor.blocks.attention import SqueezeExcitation
from factor.blocks.mobile import InvertedResidual, MBConv, se_width
from factor.counting import count_parameters


@pytest.mark.parametrize(
    ("in_channels", "out_channels", "kernel_size", "stride", "input_hw", "output_hw"),
    [
        (16, 16, 3, 1, (10, 10), (10, 10)),
        (16, 24, 5, 2, (10, 10), (5, 5)),
        (8, 8, 3, 2, (9, 7), (5, 4)),
    ],
)
@pytest.mark.parametrize("block_class", [InvertedResidual, MBConv])
def test_mobile_block_shapes(block_class, in_channels, out_channels, kernel_size, stride, input_hw, output_hw):
    block = block_class(in_channels, out_channels, kernel_size, stride)
    out = block(torch.randn(2, in_channels, *input_hw))
    assert out.shape == (2, out_channels, *output_hw)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # C_in = C_out = 16, t = 6, E = 96: expand 16*96 = 1536, depthwise 9*96 = 864,
        # project 96*16 = 1536; BatchNorm 2*(96 + 96 + 16) = 416.
        (dict(in_channels=16, out_channels=16), 4352),
        # t = 1 has no expansion: depthwise 9*16 = 144, project 16*24 = 384, BN 2*(16 + 24) = 80.
        (dict(in_channels=16, out_channels=24, expand_ratio=1), 608),
        # Same as the first plus SE on E = 96 with S = int(16 * 0.25) = 4:
        # 2*96*4 + 4 + 96 = 868.
        (dict(in_channels=16, out_channels=16, se_ratio=0.25), 5220),
        # k = 5, t = 4, E = 32: 8*32 = 256, 25*32 = 800, 32*8 = 256; BN 2*(32 + 32 + 8) = 144.
        (dict(in_channels=8, out_channels=8, kernel_size=5, expand_ratio=4), 1456),
    ],
)
def test_inverted_residual_parameters(kwargs, expected):
    assert count_parameters(InvertedResidual(**kwargs)) == expected


def test_mbconv_defaults_add_squeeze_excitation():
    block = MBConv(16, 16)
    assert isinstance(block.se, SqueezeExcitation)
    # EfficientNet sizes SE from the block input: int(16 * 0.25) = 4, not from E = 96.
    assert block.se.squeeze_channels == 4
    assert isinstance(block.depthwise.act, nn.SiLU)
    # MBConv(16, 16) is InvertedResidual(16, 16) plus SE's 868 parameters (see above).
    assert count_parameters(block) == 4352 + 868


def test_inverted_residual_defaults_follow_mobilenet_v2():
    block = InvertedResidual(16, 16)
    assert isinstance(block.se, nn.Identity)
    assert isinstance(block.expand.act, nn.ReLU6)
    # The projection is linear: conv and BatchNorm only.
    assert list(dict(block.project.named_children())) == ["conv", "bn"]


@pytest.mark.parametrize(
    ("in_channels", "out_channels", "stride", "residual"),
    [(8, 8, 1, True), (8, 8, 2, False), (8, 16, 1, False)],
)
def test_residual_only_when_shapes_match(in_channels, out_channels, stride, residual):
    block = InvertedResidual(in_channels, out_channels, stride=stride).eval()
    assert block.use_residual is residual
    if residual:
        x = torch.randn(1, in_channels, 6, 6)
        with torch.no_grad():
            nn.init.zeros_(block.project.bn.weight)  # zero branch -> identity
            assert torch.allclose(block(x), x)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(in_channels=0, out_channels=8), "in_channels=0"),
        (dict(in_channels=8, out_channels=8, kernel_size=4), "kernel_size=4"),
        (dict(in_channels=8, out_channels=8, expand_ratio=0), "expand_ratio=0"),
        (dict(in_channels=8, out_channels=8, se_ratio=1.5), "se_ratio=1.5"),
        (dict(in_channels=8, out_channels=8, se_ratio=-0.25), "se_ratio=-0.25"),
        (dict(in_channels=8, out_channels=8, activation="tanh"), "activation='tanh'"),
        (dict(in_channels=8, out_channels=8, se_ratio=0.5, se_gate="relu"), "gate='relu'"),
        (dict(in_channels=8, out_channels=8, stride=0), "stride=0"),
    ],
)
def test_inverted_residual_rejects_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        InvertedResidual(**kwargs)


@pytest.mark.parametrize(("in_channels", "ratio", "expected"), [(16, 0.25, 4), (3, 0.25, 1), (40, 0.5, 20)])
def test_se_width(in_channels, ratio, expected):
    assert se_width(in_channels, ratio) == expected
