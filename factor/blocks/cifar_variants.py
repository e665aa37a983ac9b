"""CIFAR networks with an attention block, for the experiments harness.

Each variant is the ``"factorized"`` :class:`factor.cifar_net.CifarInceptionNet`
with one attention block inserted after the Inception-style module at the
placement grid. A run therefore measures what the attention adds on top of
the 1 x k + k x 1 factorization, under the same protocol and data:

* ``"factorized_se"``: :class:`factor.blocks.SqueezeExcitation` (reduction 16);
* ``"factorized_strip"``: :class:`factor.blocks.StripConvAttention`
  (5 x 5 local, strips of 7, 11 and 21, as in SegNeXt).
"""

from __future__ import annotations

from torch import nn

from factor.blocks.attention import SqueezeExcitation, StripConvAttention
from factor.cifar_net import CifarInceptionNet

ATTENTION_VARIANTS = ("factorized_se", "factorized_strip")
"""Variant names, in the order the future-directions chapter reports them."""

BASE_VARIANT = "factorized"
"""The ``CifarInceptionNet`` variant that every attention variant extends."""


def attention_cifar_net(
    variant: str,
    placement: int = 16,
    width: int = 8,
    kernel_size: int = 7,
    num_classes: int = 10,
) -> CifarInceptionNet:
    """Build the factorized CIFAR network with an attention block after one module.

    The module at ``placement`` becomes ``nn.Sequential(module, attention)``,
    so its attribute (e.g. ``inception16``) keeps its name and the forward
    pass is unchanged elsewhere.

    Args:
        variant: One of ``ATTENTION_VARIANTS``.
        placement: Grid (32, 16 or 8) of the module that gets the attention block.
        width: Channel multiplier w of the network.
        kernel_size: k of the factorized 1 x k + k x 1 convolution.
        num_classes: Number of output logits.

    Raises:
        ValueError: For an unknown variant, and as ``CifarInceptionNet`` for
            an invalid placement or width.
    """
    if variant not in ATTENTION_VARIANTS:
        raise ValueError(
            f"variant={variant!r} is invalid: pass one of {', '.join(ATTENTION_VARIANTS)}"
        )
    net = CifarInceptionNet(BASE_VARIANT, placement, width, kernel_size, num_classes)
    name = f"inception{placement}"
    module = getattr(net, name)
    # The module concatenates three branches of equal width.
    channels = 3 * module.branch1x1.conv.out_channels
    attention: nn.Module = (
        SqueezeExcitation(channels) if variant == "factorized_se" else StripConvAttention(channels)
    )
    setattr(net, name, nn.Sequential(module, attention))
    net.variant = variant
    return net
