"""Small builders shared by the blocks: activations by name, conv + BatchNorm + activation.

:class:`factor.layers.ConvBNAct` fixes the activation to ReLU. The mobile
blocks need ReLU6, hard-swish or SiLU, so they build their units here.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from factor.layers._args import check_option, check_positive

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "hardswish": nn.Hardswish,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
}
"""Activation name -> module class, as the block arguments spell them."""

GATES: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "hardsigmoid": nn.Hardsigmoid}
"""Gate name -> module class for attention weights in [0, 1]."""


def make_activation(name: str) -> nn.Module:
    """Build the activation called ``name``; raise ValueError for an unknown name."""
    check_option("activation", name, tuple(ACTIVATIONS))
    return ACTIVATIONS[name]()


def make_gate(name: str) -> nn.Module:
    """Build the gate called ``name``; raise ValueError for an unknown name."""
    check_option("gate", name, tuple(GATES))
    return GATES[name]()


def conv_bn(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    stride: int = 1,
    groups: int = 1,
    activation: str | None = None,
) -> nn.Sequential:
    """Build a bias-free conv with "same" padding, BatchNorm and an optional activation.

    The children are ``conv``, ``bn`` and, unless ``activation`` is None,
    ``act``. Padding is ``(k_h // 2, k_w // 2)``, so an odd kernel gives an
    output of ``ceil(H / stride)``.
    """
    check_positive("in_channels", in_channels)
    check_positive("out_channels", out_channels)
    check_positive("stride", stride)
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    layers: dict[str, nn.Module] = {
        "conv": nn.Conv2d(
            in_channels,
            out_channels,
            kernel,
            stride=stride,
            padding=(kernel[0] // 2, kernel[1] // 2),
            groups=groups,
            bias=False,
        ),
        "bn": nn.BatchNorm2d(out_channels),
    }
    if activation is not None:
        layers["act"] = make_activation(activation)
    return nn.Sequential(OrderedDict(layers))


def depthwise_conv(
    channels: int,
    kernel_size: int | tuple[int, int],
    dilation: int = 1,
    bias: bool = True,
) -> nn.Conv2d:
    """Build a stride-1 depthwise conv whose "same" padding keeps H x W.

    Padding is ``dilation * (k - 1) // 2`` per axis, which needs odd kernel sides.

    Raises:
        ValueError: for a non-positive channel count, kernel side or
            dilation, or an even kernel side.
    """
    check_positive("channels", channels)
    check_positive("dilation", dilation)
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    for side in kernel:
        check_odd("kernel_size", side)
    padding = (dilation * (kernel[0] - 1) // 2, dilation * (kernel[1] - 1) // 2)
    return nn.Conv2d(
        channels, channels, kernel, padding=padding, dilation=dilation, groups=channels, bias=bias
    )


def check_odd(name: str, value: object) -> int:
    """Return ``value`` if it is a positive odd int, else raise ValueError."""
    check_positive(name, value)
    if value % 2 == 0:  # type: ignore[operator]
        raise ValueError(
            f"{name}={value!r} is invalid: pass an odd kernel size so that padding keeps H x W."
        )
    return value  # type: ignore[return-value]

