"""Large depthwise kernels: SLaK's decomposition into rectangles and ConvNeXt's block.

* :class:`DecomposedLargeKernelConv`: an M x M depthwise kernel replaced by
  a depthwise M x N and a depthwise N x M kernel in parallel (N < M), plus a
  small depthwise kernel, each followed by BatchNorm, outputs summed (Liu
  et al., "More ConvNets in the 2020s: Scaling up Kernels Beyond 51x51
  using Sparsity", ICLR 2023). SLaK also trains these kernels sparse and
  wider; that part is left out, so the costs here are dense.
* :class:`ConvNeXtBlock`: depthwise 7 x 7, LayerNorm, 1 x 1 expansion,
  GELU, 1 x 1 projection, layer scale and a shortcut (Liu et al., "A
  ConvNet for the 2020s", CVPR 2022). ``short_side`` swaps its depthwise
  conv for the decomposed large kernel, which is how SLaK builds its blocks.

Inception v3 chains 1 x k and k x 1, a product whose window is the full
k x k. SLaK adds an M x N and an N x M kernel instead, a sum whose window is
a cross of two bands.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from factor.blocks._conv import check_odd, depthwise_conv
from factor.layers._args import check_positive


class DecomposedLargeKernelConv(nn.Module):
    """Depthwise M x N + N x M (+ s x s) kernels in parallel, each with BatchNorm, summed.

    Children: ``wide`` (depthwise N x M conv and BatchNorm), ``tall``
    (depthwise M x N conv and BatchNorm) and ``small`` (depthwise s x s conv
    and BatchNorm, or None). The convs have no bias because BatchNorm follows.

    Parameters: ``C (2 M N + s^2) + 2 C`` per branch of BatchNorm (3 branches
    with ``small``). MACs: ``H W C (2 M N + s^2)`` per image.

    Shapes:
        Input N x C x H x W, output N x C x H x W.

    Args:
        channels: C.
        kernel_size: Odd long side M.
        short_side: Odd short side N, smaller than M (SLaK: 5).
        small_kernel_size: Odd side s of the parallel square kernel (SLaK: 5),
            or None for no small kernel.

    Raises:
        ValueError: for non-positive or even sizes, or ``short_side >= kernel_size``.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int = 51,
        short_side: int = 5,
        small_kernel_size: int | None = 5,
    ) -> None:
        super().__init__()
        check_odd("kernel_size", kernel_size)
        check_odd("short_side", short_side)
        if short_side >= kernel_size:
            raise ValueError(
                f"short_side={short_side} is invalid for kernel_size={kernel_size}: "
                f"pass a short side smaller than the kernel size."
            )
        self.kernel_size = kernel_size
        self.wide = _depthwise_bn(channels, (short_side, kernel_size))
        self.tall = _depthwise_bn(channels, (kernel_size, short_side))
        self.small: nn.Module | None = None
        if small_kernel_size is not None:
            self.small = _depthwise_bn(channels, small_kernel_size)

    def forward(self, x: Tensor) -> Tensor:
        """Map N x C x H x W to N x C x H x W."""
        out = self.wide(x) + self.tall(x)
        if self.small is not None:
            out = out + self.small(x)
        return out


class ChannelLayerNorm(nn.LayerNorm):
    """LayerNorm over the channels of an N x C x H x W tensor (ConvNeXt's norm).

    It normalizes each pixel's C values, as ``nn.LayerNorm(C)`` does on the
    N x H x W x C layout. Parameters: ``2 C``.
    """

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        check_positive("channels", channels)
        super().__init__(channels, eps=eps)

    def forward(self, x: Tensor) -> Tensor:
        """Map N x C x H x W to N x C x H x W."""
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    """Depthwise k x k, LayerNorm, 1 x 1 (C -> e C), GELU, 1 x 1 (e C -> C), scale, shortcut.

    Children, in call order: ``spatial``, ``norm`` (:class:`ChannelLayerNorm`),
    ``expand``, ``act`` (GELU), ``project`` and the per-channel
    ``layer_scale`` parameter. ``spatial`` is a depthwise k x k conv with
    bias, or a :class:`DecomposedLargeKernelConv` when ``short_side`` is
    given. ``expand`` and ``project`` are 1 x 1 convs with bias, the
    "linear" layers of ConvNeXt.

    With the depthwise k x k: parameters ``C k^2 + C + 2 C + 2 e C^2 + e C + C + C``;
    MACs ``H W (C k^2 + 2 e C^2)`` per image.

    Shapes:
        Input N x C x H x W, output N x C x H x W.

    Args:
        channels: C.
        kernel_size: Odd side k of the depthwise kernel (ConvNeXt: 7), or
            the long side M of the decomposed kernel.
        expansion: e, hidden over input channels (ConvNeXt: 4).
        layer_scale_init: Initial value of the per-channel output scale
            (ConvNeXt: 1e-6).
        short_side: None for a square depthwise kernel, or the short side N
            of SLaK's decomposed kernel.
        small_kernel_size: Side of the parallel small kernel when ``short_side``
            is given.

    Raises:
        ValueError: for non-positive or even sizes.
    """

    def __init__(
        self,
        channels: int,
        kernel_size: int = 7,
        expansion: int = 4,
        layer_scale_init: float = 1e-6,
        short_side: int | None = None,
        small_kernel_size: int | None = 5,
    ) -> None:
        super().__init__()
        check_positive("expansion", expansion)
        hidden = channels * expansion
        if short_side is None:
            self.spatial: nn.Module = depthwise_conv(channels, kernel_size)
        else:
            self.spatial = DecomposedLargeKernelConv(
                channels, kernel_size, short_side, small_kernel_size
            )
        self.norm = ChannelLayerNorm(channels)
        self.expand = nn.Conv2d(channels, hidden, 1)
        self.act = nn.GELU()
        self.project = nn.Conv2d(hidden, channels, 1)
        self.layer_scale = nn.Parameter(torch.full((channels, 1, 1), layer_scale_init))

    def forward(self, x: Tensor) -> Tensor:
        """Map N x C x H x W to N x C x H x W."""
        out = self.norm(self.spatial(x))
        # N x e C x H x W
        out = self.act(self.expand(out))
        # N x C x H x W
        out = self.project(out)
        return x + self.layer_scale * out


def _depthwise_bn(channels: int, kernel_size: int | tuple[int, int]) -> nn.Sequential:
    return nn.Sequential(depthwise_conv(channels, kernel_size, bias=False), nn.BatchNorm2d(channels))
