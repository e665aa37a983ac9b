"""Convolution layers and their factorized replacements.

* :class:`ConvBNAct`: Conv2d, BatchNorm2d and ReLU, Inception v3's basic block.
* :class:`FactorizedConv2d`: k x k as 1 x k then k x 1.
* :class:`StackedConv2d`: odd k x k as (k - 1) / 2 stacked 3 x 3.
* :class:`DepthwiseSeparableConv2d`: depthwise k x k then pointwise 1 x 1.

All take PyTorch's argument names in PyTorch's order, and ``padding="same"``
works with any stride (output ``ceil(H / stride)``).
"""

from factor.layers.conv import ConvBNAct
from factor.layers.factorized import FactorizedConv2d
from factor.layers.separable import DepthwiseSeparableConv2d
from factor.layers.stacked import StackedConv2d

__all__ = [
    "ConvBNAct",
    "DepthwiseSeparableConv2d",
    "FactorizedConv2d",
    "StackedConv2d",
]
