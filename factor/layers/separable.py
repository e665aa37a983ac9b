"""Depthwise separable convolution: a per-channel k x k, then a 1 x 1 mix.

Xception and MobileNet build on this factorization instead of Inception v3's
asymmetric one. With depth multiplier 1 and ``in = out = C`` the weights drop
from ``k^2 C^2`` to ``k^2 C + C^2``.
"""

from __future__ import annotations

import torch
from torch import nn

from factor.layers._args import check_positive, resolve_square_padding
from factor.layers.conv import ConvBNAct


class DepthwiseSeparableConv2d(nn.Module):
    """A depthwise k x k convolution followed by a pointwise 1 x 1 convolution.

    ``depthwise`` is a :class:`ConvBNAct` with ``groups=in_channels`` and
    ``in_channels * depth_multiplier`` outputs, followed by BatchNorm and
    ReLU if ``inner_norm`` and ``inner_activation``. ``pointwise`` is a 1 x 1
    :class:`ConvBNAct` to ``out_channels`` with ``norm`` and ``activation``.

    Shapes:
        Input N x in_channels x H x W. The depthwise step gives
        N x (in_channels * depth_multiplier) x H' x W', the same size as
        ``nn.Conv2d(in_channels, out_channels, k, stride=s, padding=p)``
        produces, and the pointwise step gives N x out_channels x H' x W'.

    Args:
        in_channels: Channels of the input.
        out_channels: Channels of the output.
        kernel_size: Side k of the depthwise kernel.
        stride: Stride of the depthwise convolution; the pointwise one has 1.
        padding: ``"same"`` (odd k only), ``"valid"`` or an int ``p``, applied
            to the depthwise convolution.
        depth_multiplier: Outputs per input channel of the depthwise step.
        bias: Whether each of the two convolutions adds a learned bias. It
            is redundant before a BatchNorm, hence the default False.
        inner_norm: Whether BatchNorm follows the depthwise convolution.
        inner_activation: Whether ReLU follows the depthwise convolution.
        norm: Whether BatchNorm follows the pointwise convolution.
        activation: Whether ReLU follows the pointwise convolution.
        eps: BatchNorm epsilon for both BatchNorm layers.

    Raises:
        ValueError: for non-positive channels, kernel, stride or depth
            multiplier, an unknown padding string, negative or pair padding,
            or an even kernel with ``"same"``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: str | int = "same",
        depth_multiplier: int = 1,
        bias: bool = False,
        inner_norm: bool = True,
        inner_activation: bool = True,
        norm: bool = True,
        activation: bool = True,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        check_positive("in_channels", in_channels)
        check_positive("out_channels", out_channels)
        check_positive("kernel_size", kernel_size)
        check_positive("stride", stride)
        check_positive("depth_multiplier", depth_multiplier)
        pad = resolve_square_padding(padding, kernel_size)
        self.kernel_size = kernel_size
        self.depth_multiplier = depth_multiplier
        depthwise_channels = in_channels * depth_multiplier

        self.depthwise = ConvBNAct(
            in_channels,
            depthwise_channels,
            kernel_size,
            stride=stride,
            padding=pad,
            groups=in_channels,
            bias=bias,
            norm=inner_norm,
            activation=inner_activation,
            eps=eps,
        )
        self.pointwise = ConvBNAct(
            depthwise_channels,
            out_channels,
            1,
            padding=0,
            bias=bias,
            norm=norm,
            activation=activation,
            eps=eps,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map N x in_channels x H x W to N x out_channels x H' x W'."""
        return self.pointwise(self.depthwise(x))
