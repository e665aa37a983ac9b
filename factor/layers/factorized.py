"""Asymmetric factorization: a k x k convolution as 1 x k then k x 1.

Inception v3 replaces 7 x 7 (and 3 x 3) convolutions by a 1 x k and a k x 1
convolution with the same receptive field. With ``in = mid = out = C`` the
weights drop from ``k^2 C^2`` to ``2 k C^2``, a ratio of ``2 / k``.
"""

from __future__ import annotations

import torch
from torch import nn

from factor.layers._args import (
    FACTORIZED_ORDERS,
    check_option,
    check_positive,
    resolve_square_padding,
    split_by_axis,
)
from factor.layers.conv import ConvBNAct


class FactorizedConv2d(nn.Module):
    """A k x k convolution factorized into a 1 x k and a k x 1 convolution.

    ``conv1`` is the first convolution together with what sits between the
    two (BatchNorm if ``inner_norm``, ReLU if ``inner_activation``), and
    ``conv2`` is the second convolution with ``norm`` and ``activation``.
    Both are :class:`ConvBNAct`.

    The stride ``s`` is split by axis: the 1 x k convolution strides
    ``(1, s)`` and the k x 1 convolution strides ``(s, 1)``. An int padding
    ``p`` is the padding of the equivalent k x k convolution, so the 1 x k
    convolution pads ``(0, p)`` and the k x 1 convolution pads ``(p, 0)``.

    Shapes:
        Input N x in_channels x H x W. Output N x out_channels x H' x W',
        the same size as ``nn.Conv2d(in_channels, out_channels, k, stride=s,
        padding=p)`` produces. The intermediate tensor is
        N x mid_channels x H x W' for ``"1xk_first"`` and
        N x mid_channels x H' x W for ``"kx1_first"``.

    Args:
        in_channels: Channels of the input.
        out_channels: Channels of the output.
        kernel_size: ``k`` of the k x k convolution being replaced.
        stride: Stride ``s`` of the k x k convolution being replaced.
        padding: ``"same"`` (odd k only), ``"valid"`` or an int ``p``.
        mid_channels: Channels between the two convolutions; defaults to
            ``out_channels``.
        order: ``"1xk_first"`` or ``"kx1_first"``.
        bias: Whether each of the two convolutions adds a learned bias. It
            is redundant before a BatchNorm, hence the default False.
        inner_norm: Whether BatchNorm follows the first convolution.
        inner_activation: Whether ReLU follows the first convolution.
        norm: Whether BatchNorm follows the second convolution.
        activation: Whether ReLU follows the second convolution.
        eps: BatchNorm epsilon for both BatchNorm layers.

    Raises:
        ValueError: for non-positive channels, kernel or stride, an unknown
            padding string or ``order``, negative or pair padding, or an even
            kernel with ``"same"``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: str | int = "same",
        mid_channels: int | None = None,
        order: str = "1xk_first",
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
        check_option("order", order, FACTORIZED_ORDERS)
        if mid_channels is None:
            mid_channels = out_channels
        check_positive("mid_channels", mid_channels)
        pad = resolve_square_padding(padding, kernel_size)
        self._kernel_size = kernel_size
        self._mid_channels = mid_channels
        self._order = order

        first, second = split_by_axis(kernel_size, stride, pad, order)

        self.conv1 = ConvBNAct(
            in_channels,
            mid_channels,
            first.kernel_size,
            stride=first.stride,
            padding=first.padding,
            bias=bias,
            norm=inner_norm,
            activation=inner_activation,
            eps=eps,
        )
        self.conv2 = ConvBNAct(
            mid_channels,
            out_channels,
            second.kernel_size,
            stride=second.stride,
            padding=second.padding,
            bias=bias,
            norm=norm,
            activation=activation,
            eps=eps,
        )

    @property
    def kernel_size(self) -> int:
        """Side ``k`` of the k x k convolution that this layer replaces."""
        return self._kernel_size

    @property
    def mid_channels(self) -> int:
        """Channels between the two convolutions."""
        return self._mid_channels

    @property
    def order(self) -> str:
        """``"1xk_first"`` or ``"kx1_first"``."""
        return self._order

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map N x in_channels x H x W to N x out_channels x H' x W'."""
        return self.conv2(self.conv1(x))
