"""Tests for factor.costs: closed forms against FlopCounterMode and hand counts."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from factor.costs import (
    Cost,
    batchnorm_cost,
    conv2d_cost,
    conv2d_output_size,
    conv_bn_act_cost,
    conv_output_size,
    cost_ratio,
    factorized_cost,
    factorized_weight_ratio,
    separable_cost,
    separable_weight_ratio,
    stacked_cost,
    stacked_weight_ratio,
    standard_cost,
)
from factor.layers import ConvBNAct, DepthwiseSeparableConv2d, FactorizedConv2d, StackedConv2d

torch.set_num_threads(1)

INPUT_SIZE = (15, 11)  # odd and unequal, so a swapped axis shows up
# (in_channels, mid_channels, out_channels); the second has all three different.
CHANNELS = [(4, None, 4), (3, 5, 6)]
# (inner_norm, norm) of the composite layers.
NORMS = [(True, True), (False, False), (True, False)]


def measure(layer: nn.Module, in_channels: int, batch: int = 1) -> Cost:
    """Count a real layer: parameters by numel, MACs as FlopCounterMode FLOPs / 2."""
    params = sum(parameter.numel() for parameter in layer.parameters())
    x = torch.randn(batch, in_channels, *INPUT_SIZE)
    layer.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        layer(x)
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return Cost(params=params, macs=flops // 2)


def grid(*axes: list) -> list[tuple]:
    return list(itertools.product(*axes))


@pytest.mark.parametrize(
    "kernel_size, stride, padding, channels, bias, norm",
    grid([1, 3, 5, 7], [1, 2], ["same", "valid"], CHANNELS, [False, True], [False, True]),
)
def test_standard_matches_layer(
    kernel_size: int, stride: int, padding: str, channels: tuple, bias: bool, norm: bool
) -> None:
    in_channels, _, out_channels = channels
    layer = ConvBNAct(in_channels, out_channels, kernel_size, stride, padding, bias=bias, norm=norm)
    expected = standard_cost(
        in_channels, out_channels, kernel_size, INPUT_SIZE, stride, padding, bias=bias, norm=norm
    )
    assert measure(layer, in_channels) == expected


@pytest.mark.parametrize(
    "kernel_size, stride, padding, dilation, groups, bias, norm",
    grid([(1, 7), (3, 5), 3], [1, (2, 1)], ["same", 2], [1, 2], [1, 2], [None, True], [False, True]),
)
def test_conv_bn_act_matches_layer(
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int],
    padding: str | int,
    dilation: int,
    groups: int,
    bias: bool | None,
    norm: bool,
) -> None:
    layer = ConvBNAct(4, 6, kernel_size, stride, padding, dilation, groups, bias, norm)
    expected = conv_bn_act_cost(
        4, 6, kernel_size, INPUT_SIZE, stride, padding, dilation, groups, bias, norm
    )
    assert measure(layer, 4) == expected


@pytest.mark.parametrize(
    "kernel_size, stride, padding, order, channels, bias, norms",
    grid(
        [1, 3, 5, 7],
        [1, 2],
        ["same", "valid", 1],
        ["1xk_first", "kx1_first"],
        CHANNELS,
        [False, True],
        NORMS,
    ),
)
def test_factorized_matches_layer(
    kernel_size: int,
    stride: int,
    padding: str | int,
    order: str,
    channels: tuple,
    bias: bool,
    norms: tuple[bool, bool],
) -> None:
    in_channels, mid_channels, out_channels = channels
    inner_norm, norm = norms
    options = dict(mid_channels=mid_channels, bias=bias, inner_norm=inner_norm, norm=norm)
    layer = FactorizedConv2d(
        in_channels, out_channels, kernel_size, stride, padding, order=order, **options
    )
    expected = factorized_cost(
        in_channels, out_channels, kernel_size, INPUT_SIZE, stride, padding, order=order, **options
    )
    assert measure(layer, in_channels) == expected


@pytest.mark.parametrize(
    "kernel_size, stride, padding, channels, bias, norms",
    grid([3, 5, 7], [1, 2], ["same", "valid", 0], CHANNELS, [False, True], NORMS),
)
def test_stacked_matches_layer(
    kernel_size: int,
    stride: int,
    padding: str | int,
    channels: tuple,
    bias: bool,
    norms: tuple[bool, bool],
) -> None:
    in_channels, mid_channels, out_channels = channels
    inner_norm, norm = norms
    options = dict(mid_channels=mid_channels, bias=bias, inner_norm=inner_norm, norm=norm)
    layer = StackedConv2d(in_channels, out_channels, kernel_size, stride, padding, **options)
    expected = stacked_cost(
        in_channels, out_channels, kernel_size, INPUT_SIZE, stride, padding, **options
    )
    assert measure(layer, in_channels) == expected


@pytest.mark.parametrize(
    "kernel_size, stride, padding, channels, depth_multiplier, bias, norms",
    grid([1, 3, 5, 7], [1, 2], ["same", "valid"], CHANNELS, [1, 2], [False, True], NORMS),
)
def test_separable_matches_layer(
    kernel_size: int,
    stride: int,
    padding: str,
    channels: tuple,
    depth_multiplier: int,
    bias: bool,
    norms: tuple[bool, bool],
) -> None:
    in_channels, _, out_channels = channels
    inner_norm, norm = norms
    options = dict(
        depth_multiplier=depth_multiplier, bias=bias, inner_norm=inner_norm, norm=norm
    )
    layer = DepthwiseSeparableConv2d(
        in_channels, out_channels, kernel_size, stride, padding, **options
    )
    expected = separable_cost(
        in_channels, out_channels, kernel_size, INPUT_SIZE, stride, padding, **options
    )
    assert measure(layer, in_channels) == expected


@pytest.mark.parametrize("batch", [2, 5])
def test_macs_scale_with_batch(batch: int) -> None:
    layer = FactorizedConv2d(3, 6, 7, stride=2, mid_channels=5)
    per_image = factorized_cost(3, 6, 7, INPUT_SIZE, stride=2, mid_channels=5)
    measured = measure(layer, 3, batch=batch)
    assert measured.macs == batch * per_image.macs
    assert measured.params == per_image.params


def test_factorized_hand_count() -> None:
    # 1 x 7 conv 64 -> 128 and 7 x 1 conv 128 -> 128, no bias, no BatchNorm:
    # weights 64*128*7 + 128*128*7 = 57344 + 114688 = 172032.
    # "same" keeps 17 x 17 = 289 positions for both, so MACs = 172032 * 289 = 49717248.
    cost = factorized_cost(64, 128, 7, (17, 17), inner_norm=False, norm=False)
    assert cost.params == 172032
    assert cost.macs == 49717248
    assert cost.flops == 99434496


def test_standard_hand_count() -> None:
    # 7 x 7 conv 64 -> 128: weights 64*128*49 = 401408, plus BatchNorm 2*128 = 256.
    # MACs: 401408 * 17 * 17 = 401408 * 289 = 116006912.
    cost = standard_cost(64, 128, 7, (17, 17))
    assert cost.params == 401664
    assert cost.macs == 116006912


def test_stacked_hand_count() -> None:
    # 5 x 5 as two 3 x 3, 32 -> 32 -> 32 on 35 x 35 with "same" and BatchNorm:
    # each 3 x 3 has 32*32*9 = 9216 weights + 2*32 = 64 BatchNorm, so 2 * 9280 = 18560.
    # MACs: 2 * 9216 * 35 * 35 = 2 * 9216 * 1225 = 22579200.
    cost = stacked_cost(32, 32, 5, (35, 35))
    assert cost.params == 18560
    assert cost.macs == 22579200


def test_separable_hand_count() -> None:
    # Depthwise 3 x 3 on 32 channels: 32 * 9 = 288 weights, stride 2 maps 16 x 16
    # to 8 x 8, so 288 * 64 = 18432 MACs. Pointwise 32 -> 64: 2048 weights,
    # 2048 * 64 = 131072 MACs. BatchNorm adds 2*32 + 2*64 = 192 params.
    # params 288 + 2048 + 192 = 2528, MACs 18432 + 131072 = 149504.
    cost = separable_cost(32, 64, 3, (16, 16), stride=2)
    assert cost.params == 2528
    assert cost.macs == 149504


@pytest.mark.parametrize(
    "order, expected_macs",
    [
        # 1xk_first: 1 x 3 stride (1, 2) maps 9 x 5 to 9 x 3, so 8*8*3 = 192
        # weights at 27 positions = 5184 MACs. Then 3 x 1 stride (2, 1) maps
        # 9 x 3 to 5 x 3, 192 * 15 = 2880 MACs. Total 8064.
        ("1xk_first", 8064),
        # kx1_first: 3 x 1 stride (2, 1) maps 9 x 5 to 5 x 5, 192 * 25 = 4800.
        # Then 1 x 3 stride (1, 2) maps 5 x 5 to 5 x 3, 192 * 15 = 2880. Total 7680.
        ("kx1_first", 7680),
    ],
)
def test_factorized_order_changes_macs(order: str, expected_macs: int) -> None:
    cost = factorized_cost(8, 8, 3, (9, 5), stride=2, order=order, inner_norm=False, norm=False)
    assert cost.macs == expected_macs
    # 2 convs of 8*8*3 weights each.
    assert cost.params == 384


@pytest.mark.parametrize(
    "size, kernel_size, stride, padding, dilation, expected",
    [
        (17, 7, 1, 3, 1, 17),  # (17 + 6 - 7) // 1 + 1
        (17, 3, 2, 1, 1, 9),  # (17 + 2 - 3) // 2 + 1 = 8 + 1
        (299, 3, 2, 0, 1, 149),  # (299 - 3) // 2 + 1 = 148 + 1
        (8, 3, 1, 0, 2, 4),  # span 2*2 + 1 = 5, (8 - 5) // 1 + 1
        (3, 3, 2, 0, 1, 1),  # exactly one position
    ],
)
def test_conv_output_size(
    size: int, kernel_size: int, stride: int, padding: int, dilation: int, expected: int
) -> None:
    assert conv_output_size(size, kernel_size, stride, padding, dilation) == expected


def test_conv_output_size_too_small() -> None:
    with pytest.raises(ValueError, match="input size 4"):
        conv_output_size(4, 7, 1, 0)


@pytest.mark.parametrize(
    "input_size, kernel_size, stride, padding, expected",
    [
        ((17, 13), 3, 2, "same", (9, 7)),  # ceil(17 / 2), ceil(13 / 2)
        ((17, 13), (1, 7), 1, "same", (17, 13)),
        ((17, 13), 5, 1, "valid", (13, 9)),  # 17 - 4, 13 - 4
        ((17, 13), 3, (2, 1), (0, 1), (8, 13)),  # (17 - 3) // 2 + 1, 13 + 2 - 2
    ],
)
def test_conv2d_output_size(
    input_size: tuple[int, int],
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int],
    padding: str | int | tuple[int, int],
    expected: tuple[int, int],
) -> None:
    assert conv2d_output_size(input_size, kernel_size, stride, padding) == expected


def test_conv2d_cost_with_groups_and_bias() -> None:
    # groups 4: each of 8 outputs reads 8 / 4 = 2 input channels, so 8*2*3*3 = 144 weights
    # and 8 biases. MACs: 144 * 5 * 6 = 4320.
    cost = conv2d_cost(8, 8, 3, (5, 6), groups=4, bias=True)
    assert cost.params == 152
    assert cost.macs == 4320


def test_batchnorm_cost() -> None:
    # Affine weight and bias, 2 * 64; running statistics are buffers.
    assert batchnorm_cost(64) == Cost(params=128, macs=0)


def test_cost_arithmetic() -> None:
    total = Cost(1, 10) + Cost(2, 20)
    assert total == Cost(3, 30)
    assert total.flops == 60
    assert sum([Cost(1, 10), Cost(2, 20), Cost(3, 30)]) == Cost(6, 60)


def test_cost_ratio() -> None:
    # Factorized 64 -> 128 -> 128 over plain 7 x 7 64 -> 128, no BatchNorm:
    # params 172032 / 401408 = 3/7, and the same MACs ratio at stride 1.
    factorized = factorized_cost(64, 128, 7, (17, 17), inner_norm=False, norm=False)
    standard = standard_cost(64, 128, 7, (17, 17), norm=False)
    params_ratio, macs_ratio = cost_ratio(factorized, standard)
    assert params_ratio == pytest.approx(3 / 7)
    assert macs_ratio == pytest.approx(3 / 7)


def test_cost_ratio_rejects_zero() -> None:
    with pytest.raises(ValueError, match="macs=0"):
        cost_ratio(Cost(1, 1), Cost(5, 0))


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
def test_weight_ratios_match_closed_forms(kernel_size: int) -> None:
    channels = 16
    options = dict(inner_norm=False, norm=False)
    standard = standard_cost(channels, channels, kernel_size, (9, 9), norm=False)
    factorized = factorized_cost(channels, channels, kernel_size, (9, 9), **options)
    stacked = stacked_cost(channels, channels, kernel_size, (9, 9), **options)
    separable = separable_cost(channels, channels, kernel_size, (9, 9), **options)

    assert cost_ratio(factorized, standard) == pytest.approx(
        (factorized_weight_ratio(kernel_size),) * 2
    )
    assert cost_ratio(stacked, standard) == pytest.approx((stacked_weight_ratio(kernel_size),) * 2)
    assert cost_ratio(separable, standard) == pytest.approx(
        (separable_weight_ratio(kernel_size, channels),) * 2
    )


@pytest.mark.parametrize(
    "function, expected",
    [
        # 2 / 7
        (lambda: factorized_weight_ratio(7), 2 / 7),
        # two 3 x 3 over one 5 x 5: 18 / 25
        (lambda: stacked_weight_ratio(5), 0.72),
        # three 3 x 3 over one 7 x 7: 27 / 49
        (lambda: stacked_weight_ratio(7), 27 / 49),
        # 1 / 64 + 1 / 9
        (lambda: separable_weight_ratio(3, 64), 1 / 64 + 1 / 9),
    ],
)
def test_weight_ratio_values(function, expected: float) -> None:
    assert function() == pytest.approx(expected)


@pytest.mark.parametrize(
    "call, named_value",
    [
        (lambda: conv2d_cost(0, 8, 3, (5, 5)), "in_channels=0"),
        (lambda: conv2d_cost(8, 8, 3, (5, 5), groups=3), "groups=3"),
        (lambda: conv2d_cost(8, 8, 3, (0, 5)), "output_size=0"),
        (lambda: batchnorm_cost(-1), "channels=-1"),
        (lambda: standard_cost(8, 8, 4, (9, 9)), "(4, 4)"),
        (lambda: factorized_cost(8, 8, 7, (9, 9), order="diag"), "order='diag'"),
        (lambda: factorized_cost(8, 8, 7, (9, 9), mid_channels=0), "mid_channels=0"),
        (lambda: factorized_cost(8, 8, 7, (9, 9), padding="full"), "padding='full'"),
        (lambda: factorized_cost(8, 8, 7, (3, 9), padding="valid"), "input size 3"),
        (lambda: stacked_cost(8, 8, 7, (9, 9), padding=2), "padding=2"),
        (lambda: stacked_cost(8, 8, 6, (9, 9)), "kernel_size=6"),
        (lambda: separable_cost(8, 8, 3, (9, 9), depth_multiplier=0), "depth_multiplier=0"),
        (lambda: conv_bn_act_cost(8, 8, 3, (9, -9)), "input_size=-9"),
        (lambda: factorized_weight_ratio(0), "kernel_size=0"),
    ],
)
def test_invalid_argument_raises(call, named_value: str) -> None:
    with pytest.raises(ValueError) as error:
        call()
    assert named_value in str(error.value)
