"""Measure and explain convolution factorization.

The package backs a report on why Inception v3 replaces large convolutions
by asymmetric or stacked small ones. It contains the layers, closed-form cost
formulas, measurement tools (parameters, MACs/FLOPs, latency, receptive
fields, low-rank analysis), data loading, a training loop and plotting.
"""

__version__ = "0.1.0"

from factor.counting import CostReport, count_flops, count_parameters
from factor.layers import ConvBNAct, DepthwiseSeparableConv2d, FactorizedConv2d, StackedConv2d

__all__ = [
    "ConvBNAct",
    "CostReport",
    "DepthwiseSeparableConv2d",
    "FactorizedConv2d",
    "StackedConv2d",
    "count_flops",
    "count_parameters",
]
