"""Blocks that came after Inception v3's factorization, for comparison with it.

* :mod:`factor.blocks.mobile`: :class:`InvertedResidual` (MobileNetV2) and
  :class:`MBConv` (with squeeze-and-excitation, MobileNetV3/EfficientNet).
* :mod:`factor.blocks.attention`: :class:`SqueezeExcitation`, :class:`CBAM`,
  :class:`StripConvAttention` (SegNeXt) and
  :class:`LargeSeparableKernelAttention` (LSKA).
* :mod:`factor.blocks.large_kernel`: :class:`DecomposedLargeKernelConv`
  (SLaK) and :class:`ConvNeXtBlock`.
* :mod:`factor.blocks.costs`: their closed-form parameters and MACs.
* :mod:`factor.blocks.structure`: the low-rank structure that spatial and
  channel factorization impose on a dense kernel.

MobileNet's depthwise separable block is :class:`factor.layers.DepthwiseSeparableConv2d`.
"""

from factor.blocks.attention import (
    CBAM,
    ChannelAttention,
    LargeSeparableKernelAttention,
    SpatialAttention,
    SqueezeExcitation,
    StripConvAttention,
)
from factor.blocks.large_kernel import ChannelLayerNorm, ConvNeXtBlock, DecomposedLargeKernelConv
from factor.blocks.mobile import InvertedResidual, MBConv

__all__ = [
    "CBAM",
    "ChannelAttention",
    "ChannelLayerNorm",
    "ConvNeXtBlock",
    "DecomposedLargeKernelConv",
    "InvertedResidual",
    "LargeSeparableKernelAttention",
    "MBConv",
    "SpatialAttention",
    "SqueezeExcitation",
    "StripConvAttention",
]
