"""Attention blocks that reweight a feature map: SE, CBAM and strip-convolution attention.

* :class:`SqueezeExcitation`: one weight per channel from globally pooled
  features (Hu et al., "Squeeze-and-Excitation Networks", CVPR 2018).
* :class:`CBAM`: channel attention from average- and max-pooled features
  through a shared MLP, then a spatial map from a k x k conv over the
  channel-wise mean and max (Woo et al., "CBAM: Convolutional Block
  Attention Module", ECCV 2018).
* :class:`StripConvAttention`: a depthwise k0 x k0 conv, then parallel
  depthwise 1 x k -> k x 1 strip pairs, summed and mixed by a 1 x 1 conv,
  multiplies the input (the multi-scale convolutional attention of Guo et
  al., "SegNeXt", NeurIPS 2022).
* :class:`LargeSeparableKernelAttention`: a large kernel built from a
  1 x a -> a x 1 depthwise pair and a dilated 1 x b -> b x 1 depthwise pair,
  mixed by a 1 x 1 conv, multiplies the input (Lau et al., "Large Separable
  Kernel Attention", Expert Systems with Applications 2024).

All map N x C x H x W to N x C x H x W. The strip blocks use exactly the
factorization of Inception v3, a k x k window as 1 x k then k x 1, but on
depthwise kernels, so a window of side 21 costs 42 weights per channel.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from factor.blocks._conv import check_odd, depthwise_conv, make_gate
from factor.layers._args import check_positive


def squeeze_width(channels: int, reduction: int) -> int:
    """Return the hidden width ``max(1, channels // reduction)`` of an attention MLP.

    Raises:
        ValueError: for a non-positive ``channels`` or ``reduction``.
    """
    check_positive("channels", channels)
    check_positive("reduction", reduction)
    return max(1, channels // reduction)


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation: ``x * gate(W2 relu(W1 avgpool(x) + b1) + b2)``.

    The two fully connected layers are 1 x 1 convolutions with bias on the
    N x C x 1 x 1 pooled tensor: ``reduce`` (C -> S) and ``expand`` (S -> C).
    Parameters: ``2 C S + S + C``. MACs: ``2 C S`` per image. The pooling and
    the C H W products of the rescaling are not conv or linear multiply-adds,
    so neither this count nor ``FlopCounterMode`` includes them.

    Shapes:
        Input N x C x H x W, output N x C x H x W.

    Args:
        channels: C, the channels of the input.
        squeeze_channels: S, the hidden width. None means
            ``max(1, channels // reduction)``.
        reduction: Ratio C / S used when ``squeeze_channels`` is None; Hu et
            al. use 16.
        gate: ``"sigmoid"`` (SE, EfficientNet) or ``"hardsigmoid"`` (MobileNetV3).

    Raises:
        ValueError: for non-positive sizes or an unknown gate.
    """

    def __init__(
        self,
        channels: int,
        squeeze_channels: int | None = None,
        reduction: int = 16,
        gate: str = "sigmoid",
    ) -> None:
        super().__init__()
        if squeeze_channels is None:
            squeeze_channels = squeeze_width(channels, reduction)
        check_positive("channels", channels)
        check_positive("squeeze_channels", squeeze_channels)
        self.squeeze_channels = squeeze_channels

        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, squeeze_channels, 1)
        self.act = nn.ReLU()
        self.expand = nn.Conv2d(squeeze_channels, channels, 1)
        self.gate = make_gate(gate)

    def forward(self, x: Tensor) -> Tensor:
        """Map N x C x H x W to N x C x H x W, each channel scaled by its gate."""
        # N x C x 1 x 1
        weights = self.gate(self.expand(self.act(self.reduce(self.pool(x)))))
        return x * weights


class ChannelAttention(nn.Module):
    """CBAM's channel attention: ``sigmoid(MLP(avgpool(x)) + MLP(maxpool(x)))``.

    The MLP (``reduce`` C -> S, ReLU, ``expand`` S -> C, both 1 x 1 convs
    with bias) is shared by the two pooled descriptors, so it runs twice.
    Parameters: ``2 C S + S + C``. MACs: ``4 C S`` per image.
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        squeeze_channels = squeeze_width(channels, reduction)
        self.reduce = nn.Conv2d(channels, squeeze_channels, 1)
        self.act = nn.ReLU()
        self.expand = nn.Conv2d(squeeze_channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Return the N x C x 1 x 1 channel weights of an N x C x H x W input."""
        average = torch.mean(x, dim=(2, 3), keepdim=True)
        maximum = torch.amax(x, dim=(2, 3), keepdim=True)
        return torch.sigmoid(self._mlp(average) + self._mlp(maximum))

    def _mlp(self, pooled: Tensor) -> Tensor:
        return self.expand(self.act(self.reduce(pooled)))


class SpatialAttention(nn.Module):
    """CBAM's spatial attention: ``sigmoid(conv_kxk([mean_c(x); max_c(x)]))``.

    The conv maps the 2 pooled maps to 1 with bias and "same" padding.
    Parameters: ``2 k^2 + 1``. MACs: ``2 k^2 H W`` per image.
    """

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        check_odd("kernel_size", kernel_size)
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x: Tensor) -> Tensor:
        """Return the N x 1 x H x W spatial weights of an N x C x H x W input."""
        pooled = torch.cat(
            [torch.mean(x, dim=1, keepdim=True), torch.amax(x, dim=1, keepdim=True)], dim=1
        )
        # N x 2 x H x W
        return torch.sigmoid(self.conv(pooled))


class CBAM(nn.Module):
    """Convolutional Block Attention Module: channel attention, then spatial attention.

    Woo et al. found the sequential channel-first order better than a
    parallel one. Parameters: ``2 C S + S + C + 2 k^2 + 1`` with
    ``S = max(1, C // reduction)``. MACs: ``4 C S + 2 k^2 H W`` per image.

    Shapes:
        Input N x C x H x W, output N x C x H x W.

    Args:
        channels: C, the channels of the input.
        reduction: Ratio C / S of the shared MLP; Woo et al. use 16.
        spatial_kernel_size: Odd side k of the spatial conv; Woo et al. use 7.

    Raises:
        ValueError: for non-positive sizes or an even ``spatial_kernel_size``.
    """

    def __init__(self, channels: int, reduction: int = 16, spatial_kernel_size: int = 7) -> None:
        super().__init__()
        self.channel = ChannelAttention(channels, reduction)
        self.spatial = SpatialAttention(spatial_kernel_size)

    def forward(self, x: Tensor) -> Tensor:
        """Map N x C x H x W to N x C x H x W."""
        x = x * self.channel(x)
        return x * self.spatial(x)


class StripConvAttention(nn.Module):
    """Attention map from depthwise strip convolutions, multiplied into the input.

    ``local`` is a depthwise k0 x k0 conv. Each branch in ``strips`` is a
    depthwise 1 x k conv then a depthwise k x 1 conv on the local output.
    Its window is (k0 + k - 1) x (k0 + k - 1), at 2 k weights per channel. The local output and the branch outputs are summed, ``mix``
    (1 x 1 conv, C -> C) mixes the channels, and the result multiplies the
    input element-wise. Every conv has a bias.

    Parameters: ``C (k0^2 + 1) + sum_k 2 C (k + 1) + C^2 + C``.
    MACs: ``H W (C k0^2 + sum_k 2 C k + C^2)`` per image; the final product
    adds C H W multiplies that ``FlopCounterMode`` does not count.

    Shapes:
        Input N x C x H x W, output N x C x H x W.

    Args:
        channels: C, the channels of the input.
        local_kernel_size: Odd side k0 of the depthwise square conv (SegNeXt: 5).
        strip_kernel_sizes: Odd lengths k of the strip pairs (SegNeXt: 7, 11, 21).

    Raises:
        ValueError: for a non-positive channel count or an even or
            non-positive kernel size.
    """

    def __init__(
        self,
        channels: int,
        local_kernel_size: int = 5,
        strip_kernel_sizes: Sequence[int] = (7, 11, 21),
    ) -> None:
        super().__init__()
        self.local = depthwise_conv(channels, local_kernel_size)
        self.strips = nn.ModuleList(
            nn.Sequential(depthwise_conv(channels, (1, k)), depthwise_conv(channels, (k, 1)))
            for k in strip_kernel_sizes
        )
        self.mix = nn.Conv2d(channels, channels, 1)
        self.local_kernel_size = local_kernel_size
        self.strip_kernel_sizes = tuple(strip_kernel_sizes)

    @property
    def receptive_field(self) -> int:
        """Side of the largest input window behind one attention weight: ``k0 + max(k) - 1``."""
        return self.local_kernel_size + max(self.strip_kernel_sizes, default=1) - 1

    def forward(self, x: Tensor) -> Tensor:
        """Map N x C x H x W to N x C x H x W."""
        local = self.local(x)
        context = local
        for strip in self.strips:
            context = context + strip(local)
        # N x C x H x W attention weights, not squashed to [0, 1] (as in SegNeXt).
        return self.mix(context) * x


class LargeSeparableKernelAttention(nn.Module):
    """Large-kernel attention from two cascaded pairs of 1-D depthwise convolutions.

    ``local`` is a depthwise 1 x a conv then a depthwise a x 1 conv.
    ``dilated`` is a depthwise 1 x b conv then a depthwise b x 1 conv, both
    with dilation d. The window has side ``a + d (b - 1)``; the default
    a = 5, b = 7, d = 3 gives 23. ``mix`` (1 x 1 conv) mixes the channels and
    the result multiplies the input. Every conv has a bias.

    Parameters: ``2 C (a + 1) + 2 C (b + 1) + C^2 + C``.
    MACs: ``H W (2 C a + 2 C b + C^2)`` per image.

    Shapes:
        Input N x C x H x W, output N x C x H x W.

    Args:
        channels: C, the channels of the input.
        local_kernel_size: Odd length a of the undilated pair.
        dilated_kernel_size: Odd length b of the dilated pair.
        dilation: Dilation d of the second pair.

    Raises:
        ValueError: for non-positive sizes or even kernel lengths.
    """

    def __init__(
        self,
        channels: int,
        local_kernel_size: int = 5,
        dilated_kernel_size: int = 7,
        dilation: int = 3,
    ) -> None:
        super().__init__()
        a, b = local_kernel_size, dilated_kernel_size
        self.local = nn.Sequential(depthwise_conv(channels, (1, a)), depthwise_conv(channels, (a, 1)))
        self.dilated = nn.Sequential(
            depthwise_conv(channels, (1, b), dilation=dilation),
            depthwise_conv(channels, (b, 1), dilation=dilation),
        )
        self.mix = nn.Conv2d(channels, channels, 1)
        self.receptive_field = a + dilation * (b - 1)

    def forward(self, x: Tensor) -> Tensor:
        """Map N x C x H x W to N x C x H x W."""
        return self.mix(self.dilated(self.local(x))) * x
