"""Mobile blocks built on depthwise convolution: the inverted residual and MBConv.

MobileNet's depthwise separable block (Howard et al., 2017) is
:class:`factor.layers.DepthwiseSeparableConv2d`. This module adds its two
successors:

* :class:`InvertedResidual`: 1 x 1 expansion to ``t C_in`` channels,
  depthwise k x k, then a linear 1 x 1 projection, with a shortcut when the
  shape allows (MobileNetV2, Sandler et al., CVPR 2018).
* :class:`MBConv`: the same block with squeeze-and-excitation after the
  depthwise conv and a smooth activation (MnasNet, MobileNetV3, EfficientNet;
  Howard et al., ICCV 2019; Tan and Le, ICML 2019).

Stochastic depth (drop connect), which EfficientNet applies to the residual
branch during training, is left out: it changes no shape or cost.
"""

from __future__ import annotations

from torch import Tensor, nn

from factor.blocks._conv import check_odd, conv_bn
from factor.blocks.attention import SqueezeExcitation
from factor.layers._args import check_positive


def se_width(in_channels: int, se_ratio: float) -> int:
    """Return the SE hidden width ``max(1, int(in_channels * se_ratio))``.

    MnasNet and EfficientNet size the SE layer from the block's input
    channels, not from the expanded ones.

    Raises:
        ValueError: unless ``0 < se_ratio <= 1``.
    """
    check_positive("in_channels", in_channels)
    if not 0 < se_ratio <= 1:
        raise ValueError(f"se_ratio={se_ratio!r} is invalid: pass a ratio in (0, 1].")
    return max(1, int(in_channels * se_ratio))


class InvertedResidual(nn.Module):
    """Expand (1 x 1), depthwise k x k, optional SE, project (1 x 1, linear), shortcut.

    Children, in call order: ``expand`` (conv, BatchNorm, activation), then
    ``depthwise`` (conv with stride, BatchNorm, activation), ``se``
    (:class:`SqueezeExcitation` on the expanded channels) and ``project``
    (conv and BatchNorm without activation, the "linear bottleneck").
    ``expand`` is ``nn.Identity`` when ``expand_ratio`` is 1 and ``se`` is
    ``nn.Identity`` when ``se_ratio`` is 0. The input is added to the output
    when ``stride == 1`` and ``in_channels == out_channels``.

    With ``E = t C_in`` expanded channels (t > 1), output ``H' x W'`` and no SE:
    parameters ``C_in E + k^2 E + E C_out`` (conv weights) ``+ 2 (E + E + C_out)``
    (BatchNorm), MACs ``H W C_in E + H' W' (k^2 E + E C_out)``.

    Shapes:
        Input N x C_in x H x W, output N x C_out x ceil(H / s) x ceil(W / s).

    Args:
        in_channels: C_in.
        out_channels: C_out.
        kernel_size: Odd side k of the depthwise conv.
        stride: Stride s of the depthwise conv.
        expand_ratio: t, expanded channels over input channels.
        se_ratio: SE hidden width over ``in_channels``; 0 disables SE.
        activation: ``"relu6"`` (MobileNetV2), ``"hardswish"`` (MobileNetV3),
            ``"silu"`` (EfficientNet) or ``"relu"``.
        se_gate: Gate of the SE layer, ``"sigmoid"`` or ``"hardsigmoid"``.

    Raises:
        ValueError: for non-positive sizes, an even kernel, ``se_ratio``
            outside [0, 1], or an unknown activation or gate.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        expand_ratio: int = 6,
        se_ratio: float = 0.0,
        activation: str = "relu6",
        se_gate: str = "sigmoid",
    ) -> None:
        super().__init__()
        check_positive("in_channels", in_channels)
        check_positive("expand_ratio", expand_ratio)
        check_odd("kernel_size", kernel_size)
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels

        self.expand: nn.Module = nn.Identity()
        if expand_ratio != 1:
            self.expand = conv_bn(in_channels, hidden, 1, activation=activation)
        self.depthwise = conv_bn(
            hidden, hidden, kernel_size, stride=stride, groups=hidden, activation=activation
        )
        self.se: nn.Module = nn.Identity()
        if se_ratio != 0:
            self.se = SqueezeExcitation(
                hidden, squeeze_channels=se_width(in_channels, se_ratio), gate=se_gate
            )
        self.project = conv_bn(hidden, out_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """Map N x C_in x H x W to N x C_out x H' x W'."""
        out = self.expand(x)
        # N x E x H x W
        out = self.se(self.depthwise(out))
        # N x E x H' x W'
        out = self.project(out)
        # N x C_out x H' x W'
        return out + x if self.use_residual else out


class MBConv(InvertedResidual):
    """Mobile inverted bottleneck with squeeze-and-excitation (EfficientNet defaults).

    The same layers as :class:`InvertedResidual`, with defaults of
    EfficientNet-B0's MBConv6: ``expand_ratio=6``, ``se_ratio=0.25``, SiLU
    (swish) and a sigmoid gate. MobileNetV3 uses ``activation="hardswish"``
    and ``se_gate="hardsigmoid"`` instead.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        expand_ratio: int = 6,
        se_ratio: float = 0.25,
        activation: str = "silu",
        se_gate: str = "sigmoid",
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size=kernel_size,
            stride=stride,
            expand_ratio=expand_ratio,
            se_ratio=se_ratio,
            activation=activation,
            se_gate=se_gate,
        )
