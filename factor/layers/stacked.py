"""Stacked factorization: an odd k x k convolution as (k - 1) / 2 stacked 3 x 3.

Inception v3 replaces a 5 x 5 convolution by two 3 x 3 convolutions; a 7 x 7
becomes three. With ``in = mid = out = C`` the weights drop from ``k^2 C^2``
to ``9 n C^2`` for ``n = (k - 1) / 2``, so 25 -> 18 for 5 x 5 and 49 -> 27
for 7 x 7.
"""

from __future__ import annotations

import torch
from torch import nn

from factor.layers._args import check_positive, stacked_depth, stacked_padding
from factor.layers.conv import ConvBNAct


class StackedConv2d(nn.Module):
    """An odd k x k convolution replaced by ``n = (k - 1) / 2`` 3 x 3 convolutions.

    ``layers`` is an ``nn.Sequential`` of ``n`` :class:`ConvBNAct`. All but
    the last use ``inner_norm`` and ``inner_activation``, and the last uses
    ``norm`` and ``activation``. The first maps ``in_channels`` to
    ``mid_channels``, the middle ones keep ``mid_channels`` and the last maps
    to ``out_channels``. With ``n = 1`` the single 3 x 3 maps ``in_channels``
    to ``out_channels``.

    The stride sits on the last 3 x 3 so the receptive field stays k. A stack
    grows its receptive field by ``(3 - 1) * J`` per layer, where ``J`` is
    the product of the strides before that layer. With the stride on the
    last layer every ``J`` is 1, so the field is ``1 + 2 n = k``. With the
    stride s on the first layer it would be ``1 + 2 + 2 (n - 1) s``, which
    exceeds k for ``s > 1`` and ``n > 1``.

    Shapes:
        Input N x in_channels x H x W. Output N x out_channels x H' x W', the
        same size as ``nn.Conv2d(in_channels, out_channels, k, stride=s,
        padding=p)`` produces. ``"same"`` pads every 3 x 3 by 1, so the
        first ``n - 1`` keep H x W and the last gives ``ceil(H / s)``.
        ``"valid"`` pads none, so the first ``n - 1`` give ``H - 2 (n - 1)``
        and the last gives ``floor((H - k) / s) + 1``.

    Args:
        in_channels: Channels of the input.
        out_channels: Channels of the output.
        kernel_size: Odd ``k >= 3`` of the k x k convolution being replaced.
        stride: Stride ``s`` of the k x k convolution, applied by the last 3 x 3.
        padding: ``"same"``, ``"valid"``, 0 (same as ``"valid"``) or
            ``(k - 1) // 2`` (same as ``"same"``).
        mid_channels: Channels between the 3 x 3 convolutions; defaults to
            ``out_channels``.
        bias: Whether each 3 x 3 convolution adds a learned bias. It is
            redundant before a BatchNorm, hence the default False.
        inner_norm: Whether BatchNorm follows each 3 x 3 except the last.
        inner_activation: Whether ReLU follows each 3 x 3 except the last.
        norm: Whether BatchNorm follows the last 3 x 3.
        activation: Whether ReLU follows the last 3 x 3.
        eps: BatchNorm epsilon for every BatchNorm layer.

    Raises:
        ValueError: for non-positive channels or stride, an even kernel or
            one below 3, an unknown padding string, or an int padding other
            than 0 and ``(k - 1) // 2``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: str | int = "same",
        mid_channels: int | None = None,
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
        check_positive("stride", stride)
        depth = stacked_depth(kernel_size)
        if mid_channels is None:
            mid_channels = out_channels
        check_positive("mid_channels", mid_channels)
        per_layer_padding = stacked_padding(padding, kernel_size)
        self.kernel_size = kernel_size
        self.mid_channels = mid_channels

        layers = []
        for index in range(depth):
            is_last = index == depth - 1
            layers.append(
                ConvBNAct(
                    in_channels if index == 0 else mid_channels,
                    out_channels if is_last else mid_channels,
                    3,
                    stride=stride if is_last else 1,
                    padding=per_layer_padding,
                    bias=bias,
                    norm=norm if is_last else inner_norm,
                    activation=activation if is_last else inner_activation,
                    eps=eps,
                )
            )
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map N x in_channels x H x W to N x out_channels x H' x W'."""
        return self.layers(x)

