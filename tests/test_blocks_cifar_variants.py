"""Tests for factor.blocks.cifar_variants: attention added to the factorized CIFAR network."""

from __future__ import annotations

import pytest
import torch

from factor.blocks import SqueezeExcitation, StripConvAttention
from factor.blocks.cifar_variants import ATTENTION_VARIANTS, attention_cifar_net
from factor.cifar_net import CifarInceptionNet
from factor.counting import count_parameters


@pytest.mark.parametrize("variant", ATTENTION_VARIANTS)
@pytest.mark.parametrize("placement", [32, 16, 8])
def test_attention_net_outputs_logits(variant, placement):
    net = attention_cifar_net(variant, placement, width=2, num_classes=7)
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 7)
    assert net.variant == variant


@pytest.mark.parametrize(
    ("variant", "placement", "expected_extra"),
    [
        # Width 2 at grid 16: the module outputs 6w = 12 channels, SE hidden
        # max(1, 12 // 16) = 1: 2*12*1 + 1 + 12 = 37 parameters.
        ("factorized_se", 16, 37),
        # Width 2 at grid 8: 12w = 24 channels, hidden 1: 2*24 + 1 + 24 = 73.
        ("factorized_se", 8, 73),
        # Width 2 at grid 16, 12 channels: local 12*(25+1) = 312, strips
        # 2*12*(8 + 12 + 22) = 1008, mix 12*12 + 12 = 156.
        ("factorized_strip", 16, 1476),
    ],
)
def test_attention_adds_only_its_parameters(variant, placement, expected_extra):
    base = CifarInceptionNet("factorized", placement, width=2)
    net = attention_cifar_net(variant, placement, width=2)
    assert count_parameters(net) - count_parameters(base) == expected_extra


def test_attention_follows_the_placement_module():
    net = attention_cifar_net("factorized_strip", 16, width=2)
    assert isinstance(net.inception16[1], StripConvAttention)
    assert not isinstance(net.inception32, torch.nn.Sequential)
    se_net = attention_cifar_net("factorized_se", 32, width=2)
    assert isinstance(se_net.inception32[1], SqueezeExcitation)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(variant="full"), "variant='full'"),
        (dict(variant="factorized_se", placement=4), "placement=4"),
        (dict(variant="factorized_se", width=0), "width=0"),
    ],
)
def test_attention_net_rejects_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        attention_cifar_net(**kwargs)
