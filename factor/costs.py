"""Closed-form parameter and MAC counts of the layers in :mod:`factor.layers`.

The formulas are pure functions of shapes and hyper-parameters. They take no
modules or tensors, and the counting that runs a real model lives in
:mod:`factor.counting`. Conventions, chosen to match
``torch.utils.flop_counter.FlopCounterMode``:

* ``macs`` are multiply-accumulates for one image (batch size 1). They scale
  linearly with the batch size N.
* Only convolution and linear multiply-adds count. Bias additions, BatchNorm
  and ReLU add no MACs.
* ``flops = 2 * macs``, the convention of ``FlopCounterMode``.
* ``params`` count convolution weights and biases plus the BatchNorm affine
  weight and bias (``2 C``). Running mean and variance are buffers and do
  not count.

A convolution with kernel ``k_h x k_w``, ``groups`` groups and output
``C_out x H' x W'`` has ``C_out (C_in / groups) k_h k_w`` weights and
performs that many MACs at each of the ``H' W'`` output positions.

Example: a 1 x 7 convolution 64 -> 128 and a 7 x 1 convolution 128 -> 128,
without bias or BatchNorm, have ``64*128*7 + 128*128*7 = 57344 + 114688 =
172032`` weights. On a 17 x 17 input with ``"same"`` padding each weight is
used at 289 positions, so the pair costs ``172032 * 289 = 49717248`` MACs.
"""

from __future__ import annotations

from dataclasses import dataclass

from factor.layers._args import (
    Padding,
    check_divisible,
    check_positive,
    conv_output_size,
    resolve_padding,
    resolve_square_padding,
    split_by_axis,
    stacked_depth,
    stacked_padding,
    to_pair,
)

__all__ = [
    "Cost",
    "batchnorm_cost",
    "conv2d_cost",
    "conv2d_output_size",
    "conv_bn_act_cost",
    "conv_output_size",
    "cost_ratio",
    "factorized_cost",
    "factorized_weight_ratio",
    "separable_cost",
    "separable_weight_ratio",
    "stacked_cost",
    "stacked_weight_ratio",
    "standard_cost",
]

Size = tuple[int, int]


@dataclass(frozen=True)
class Cost:
    """Parameters and multiply-accumulates of a layer for one image.

    Costs add up with ``+``, and ``sum(costs)`` works as well.
    """

    params: int
    macs: int

    @property
    def flops(self) -> int:
        """Floating-point operations, counted as 2 per multiply-accumulate."""
        return 2 * self.macs

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        return Cost(self.params + other.params, self.macs + other.macs)

    def __radd__(self, other: int) -> Cost:
        # ``sum()`` starts from the int 0.
        if other == 0:
            return self
        return NotImplemented


def conv2d_output_size(
    input_size: Size,
    kernel_size: int | Size,
    stride: int | Size = 1,
    padding: Padding = "same",
    dilation: int | Size = 1,
) -> Size:
    """Compute the ``(H', W')`` output size of a convolution on an ``(H, W)`` input.

    ``padding`` follows :class:`factor.layers.ConvBNAct`: ``"same"`` gives
    ``ceil(H / stride)`` for an odd kernel and any stride.
    """
    height, width = to_pair("input_size", input_size)
    kernel = to_pair("kernel_size", kernel_size)
    strides = to_pair("stride", stride)
    dilations = to_pair("dilation", dilation)
    pad = resolve_padding(padding, kernel, dilations)
    return (
        conv_output_size(height, kernel[0], strides[0], pad[0], dilations[0]),
        conv_output_size(width, kernel[1], strides[1], pad[1], dilations[1]),
    )


def conv2d_cost(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Size,
    output_size: Size,
    groups: int = 1,
    bias: bool = False,
) -> Cost:
    """Count the parameters and MACs of one ``nn.Conv2d`` given its output size.

    Weights: ``C_out (C_in / groups) k_h k_w``, plus ``C_out`` with bias.
    MACs: the weight count times ``H' W'``. The bias adds no MACs.
    """
    check_positive("in_channels", in_channels)
    check_positive("out_channels", out_channels)
    check_positive("groups", groups)
    check_divisible("in_channels", in_channels, groups)
    check_divisible("out_channels", out_channels, groups)
    kernel_height, kernel_width = to_pair("kernel_size", kernel_size)
    output_height, output_width = to_pair("output_size", output_size)

    weights = out_channels * (in_channels // groups) * kernel_height * kernel_width
    params = weights + (out_channels if bias else 0)
    return Cost(params=params, macs=weights * output_height * output_width)


def batchnorm_cost(channels: int) -> Cost:
    """Count BatchNorm2d's affine weight and bias (``2 C``); it adds no MACs."""
    check_positive("channels", channels)
    return Cost(params=2 * channels, macs=0)


def conv_bn_act_cost(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Size,
    input_size: Size,
    stride: int | Size = 1,
    padding: Padding = "same",
    dilation: int | Size = 1,
    groups: int = 1,
    bias: bool | None = None,
    norm: bool = True,
) -> Cost:
    """Count a :class:`factor.layers.ConvBNAct` on an ``(H, W)`` input.

    ``bias=None`` means a bias only when ``norm`` is False, as in the layer.
    The activation costs nothing, so it takes no argument here.
    """
    cost, _ = _conv_bn_act(
        in_channels,
        out_channels,
        kernel_size,
        input_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=bias,
        norm=norm,
    )
    return cost


def standard_cost(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    input_size: Size,
    stride: int = 1,
    padding: str | int = "same",
    bias: bool = False,
    norm: bool = True,
) -> Cost:
    """Count the plain k x k ConvBNAct that a factorized layer replaces.

    ``bias`` defaults to False like the factorized layers, so a comparison
    with :func:`factorized_cost` at default arguments is like for like.
    """
    return conv_bn_act_cost(
        in_channels, out_channels, kernel_size, input_size, stride, padding, bias=bias, norm=norm
    )


def factorized_cost(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    input_size: Size,
    stride: int = 1,
    padding: str | int = "same",
    mid_channels: int | None = None,
    bias: bool = False,
    inner_norm: bool = True,
    norm: bool = True,
    order: str = "1xk_first",
) -> Cost:
    """Count a :class:`factor.layers.FactorizedConv2d` on an ``(H, W)`` input.

    The order matters for MACs when ``stride > 1``: the first convolution
    strides one axis only, so the second one runs on ``H x W'`` or
    ``H' x W`` positions.
    """
    check_positive("kernel_size", kernel_size)
    check_positive("stride", stride)
    mid_channels = out_channels if mid_channels is None else mid_channels
    check_positive("mid_channels", mid_channels)
    pad = resolve_square_padding(padding, kernel_size)
    first, second = split_by_axis(kernel_size, stride, pad, order)

    first_cost, middle_size = _conv_bn_act(
        in_channels,
        mid_channels,
        first.kernel_size,
        input_size,
        stride=first.stride,
        padding=first.padding,
        bias=bias,
        norm=inner_norm,
    )
    second_cost, _ = _conv_bn_act(
        mid_channels,
        out_channels,
        second.kernel_size,
        middle_size,
        stride=second.stride,
        padding=second.padding,
        bias=bias,
        norm=norm,
    )
    return first_cost + second_cost


def stacked_cost(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    input_size: Size,
    stride: int = 1,
    padding: str | int = "same",
    mid_channels: int | None = None,
    bias: bool = False,
    inner_norm: bool = True,
    norm: bool = True,
) -> Cost:
    """Count a :class:`factor.layers.StackedConv2d` on an ``(H, W)`` input."""
    depth = stacked_depth(kernel_size)
    mode = stacked_padding(padding, kernel_size)
    mid_channels = out_channels if mid_channels is None else mid_channels
    check_positive("mid_channels", mid_channels)

    total = Cost(0, 0)
    size = input_size
    for index in range(depth):
        is_last = index == depth - 1
        cost, size = _conv_bn_act(
            in_channels if index == 0 else mid_channels,
            out_channels if is_last else mid_channels,
            3,
            size,
            stride=stride if is_last else 1,
            padding=mode,
            bias=bias,
            norm=norm if is_last else inner_norm,
        )
        total = total + cost
    return total


def separable_cost(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    input_size: Size,
    stride: int = 1,
    padding: str | int = "same",
    depth_multiplier: int = 1,
    bias: bool = False,
    inner_norm: bool = True,
    norm: bool = True,
) -> Cost:
    """Count a :class:`factor.layers.DepthwiseSeparableConv2d` on an ``(H, W)`` input."""
    check_positive("in_channels", in_channels)
    check_positive("depth_multiplier", depth_multiplier)
    pad = resolve_square_padding(padding, kernel_size)
    depthwise_channels = in_channels * depth_multiplier

    depthwise, size = _conv_bn_act(
        in_channels,
        depthwise_channels,
        kernel_size,
        input_size,
        stride=stride,
        padding=pad,
        groups=in_channels,
        bias=bias,
        norm=inner_norm,
    )
    pointwise, _ = _conv_bn_act(
        depthwise_channels, out_channels, 1, size, padding=0, bias=bias, norm=norm
    )
    return depthwise + pointwise


def cost_ratio(a: Cost, b: Cost) -> tuple[float, float]:
    """Return ``(a.params / b.params, a.macs / b.macs)``.

    Raises:
        ValueError: when ``b`` has no parameters or no MACs.
    """
    if b.params == 0 or b.macs == 0:
        raise ValueError(f"cannot divide by {b}: pass a reference cost with params and MACs.")
    return a.params / b.params, a.macs / b.macs


def factorized_weight_ratio(kernel_size: int) -> float:
    """Return ``2 k / k^2 = 2 / k``: weights of 1 x k + k x 1 over k x k.

    This holds for ``in = mid = out`` channels, without bias or BatchNorm.
    The MAC ratio is the same with stride 1 and ``"same"`` padding.
    """
    check_positive("kernel_size", kernel_size)
    return 2 / kernel_size


def stacked_weight_ratio(kernel_size: int) -> float:
    """Return ``9 n / k^2`` for ``n = (k - 1) / 2``: weights of n 3 x 3 over one k x k.

    This holds for ``in = mid = out`` channels, without bias or BatchNorm.
    """
    depth = stacked_depth(kernel_size)
    return 9 * depth / kernel_size**2


def separable_weight_ratio(kernel_size: int, channels: int) -> float:
    """Return ``(k^2 C + C^2) / (k^2 C^2) = 1 / C + 1 / k^2``.

    These are the weights of a depthwise k x k plus a pointwise 1 x 1 over a
    k x k, with ``in = out = C``, depth multiplier 1, and no bias or BatchNorm.
    """
    check_positive("kernel_size", kernel_size)
    check_positive("channels", channels)
    return 1 / channels + 1 / kernel_size**2


def _conv_bn_act(
    in_channels: int,
    out_channels: int,
    kernel_size: int | Size,
    input_size: Size,
    stride: int | Size = 1,
    padding: Padding = "same",
    dilation: int | Size = 1,
    groups: int = 1,
    bias: bool | None = None,
    norm: bool = True,
) -> tuple[Cost, Size]:
    """Return the cost of one ConvBNAct and its ``(H', W')`` output size."""
    output_size = conv2d_output_size(input_size, kernel_size, stride, padding, dilation)
    if bias is None:
        bias = not norm
    cost = conv2d_cost(in_channels, out_channels, kernel_size, output_size, groups, bias)
    if norm:
        cost = cost + batchnorm_cost(out_channels)
    return cost, output_size
