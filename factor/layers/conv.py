"""Convolution followed by BatchNorm and ReLU, the basic block of Inception v3."""

from __future__ import annotations

import torch
from torch import nn

from factor.layers._args import (
    Padding,
    check_divisible,
    check_positive,
    resolve_padding,
    to_pair,
)


class ConvBNAct(nn.Module):
    """Conv2d, then BatchNorm2d, then ReLU, each of the last two optional.

    The children are ``conv`` (``nn.Conv2d``), ``bn`` (``nn.BatchNorm2d`` or
    ``nn.Identity``) and ``act`` (``nn.ReLU`` or ``nn.Identity``). Only
    ``conv`` and ``bn`` hold parameters or buffers, so the state_dict keys are
    ``conv.weight``, ``conv.bias`` (when present), ``bn.weight``, ``bn.bias``,
    ``bn.running_mean``, ``bn.running_var`` and ``bn.num_batches_tracked``,
    the same keys as torchvision's Inception v3 ``BasicConv2d``.

    Shapes:
        Input N x in_channels x H x W. Output N x out_channels x H' x W', where
        ``H' = floor((H + 2 p_h - d_h (k_h - 1) - 1) / s_h) + 1`` as for
        ``nn.Conv2d``. With ``padding="same"`` this is ``ceil(H / s_h)``.

    Args:
        in_channels: Channels of the input.
        out_channels: Channels of the output.
        kernel_size: ``k`` or ``(k_h, k_w)``.
        stride: ``s`` or ``(s_h, s_w)``.
        padding: ``"same"`` (symmetric ``d (k - 1) // 2`` per side, odd
            kernels only, any stride), ``"valid"`` (none), a non-negative int
            or a ``(p_h, p_w)`` pair.
        dilation: ``d`` or ``(d_h, d_w)``.
        groups: Number of channel groups; it must divide both channel counts.
        bias: Whether the convolution adds a learned bias. ``None`` adds one
            only when ``norm`` is False, because BatchNorm's own shift makes a
            convolution bias redundant.
        norm: Whether to apply ``nn.BatchNorm2d`` after the convolution.
        activation: Whether to apply ``nn.ReLU`` at the end.
        eps: BatchNorm epsilon. torchvision's Inception v3 uses 0.001.

    Raises:
        ValueError: for non-positive channels, kernel, stride, dilation or
            groups, groups that do not divide the channels, an unknown padding
            string, negative padding or an even kernel with ``"same"``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: Padding = "same",
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool | None = None,
        norm: bool = True,
        activation: bool = True,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        check_positive("in_channels", in_channels)
        check_positive("out_channels", out_channels)
        check_positive("groups", groups)
        check_divisible("in_channels", in_channels, groups)
        check_divisible("out_channels", out_channels, groups)
        kernel_pair = to_pair("kernel_size", kernel_size)
        stride_pair = to_pair("stride", stride)
        dilation_pair = to_pair("dilation", dilation)
        padding_pair = resolve_padding(padding, kernel_pair, dilation_pair)
        if bias is None:
            bias = not norm

        self.conv = nn.Conv2d(
            in_channels,
            out_channels,
            kernel_pair,
            stride=stride_pair,
            padding=padding_pair,
            dilation=dilation_pair,
            groups=groups,
            bias=bias,
        )
        self.bn: nn.Module = nn.BatchNorm2d(out_channels, eps=eps) if norm else nn.Identity()
        self.act: nn.Module = nn.ReLU(inplace=False) if activation else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map N x in_channels x H x W to N x out_channels x H' x W'."""
        return self.act(self.bn(self.conv(x)))
