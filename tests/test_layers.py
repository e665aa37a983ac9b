"""Tests for factor.layers: shapes, structure, receptive field and validation."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torchvision.models.inception import BasicConv2d

from factor.layers import ConvBNAct, DepthwiseSeparableConv2d, FactorizedConv2d, StackedConv2d

torch.set_num_threads(1)

HEIGHT, WIDTH = 17, 13  # odd and unequal, so a swapped axis shows up


def reference_shape(
    in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: str | int
) -> torch.Size:
    """Output shape of the plain nn.Conv2d that a layer replaces."""
    if padding == "same":
        pad = (kernel_size - 1) // 2
    elif padding == "valid":
        pad = 0
    else:
        pad = padding
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=pad)
    return conv(torch.zeros(2, in_channels, HEIGHT, WIDTH)).shape


def build(kind: str, kernel_size: int, stride: int, padding: str | int) -> nn.Module:
    if kind == "conv":
        return ConvBNAct(3, 5, kernel_size, stride, padding)
    if kind == "1xk_first" or kind == "kx1_first":
        return FactorizedConv2d(3, 5, kernel_size, stride, padding, mid_channels=4, order=kind)
    if kind == "stacked":
        return StackedConv2d(3, 5, kernel_size, stride, padding, mid_channels=4)
    return DepthwiseSeparableConv2d(3, 5, kernel_size, stride, padding, depth_multiplier=2)


def shape_cases() -> list[tuple[str, int, int, str | int]]:
    cases = []
    for kind in ("conv", "1xk_first", "kx1_first", "stacked", "separable"):
        kernels = (3, 5, 7) if kind == "stacked" else (1, 2, 3, 4, 5, 7)
        for kernel_size in kernels:
            paddings: list[str | int] = ["valid", 0]
            if kernel_size % 2 == 1:
                paddings.append("same")
            if kind == "stacked":
                paddings.append((kernel_size - 1) // 2)
            else:
                paddings += [1, 2]
            for stride in (1, 2, 3):
                for padding in paddings:
                    cases.append((kind, kernel_size, stride, padding))
    return cases


@pytest.mark.parametrize("kind, kernel_size, stride, padding", shape_cases())
def test_output_shape_matches_conv2d(
    kind: str, kernel_size: int, stride: int, padding: str | int
) -> None:
    layer = build(kind, kernel_size, stride, padding).eval()
    output = layer(torch.randn(2, 3, HEIGHT, WIDTH))
    assert output.shape == reference_shape(3, 5, kernel_size, stride, padding)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_same_padding_gives_ceil(stride: int) -> None:
    layer = ConvBNAct(3, 5, (3, 7), stride=stride, padding="same")
    output = layer(torch.randn(1, 3, HEIGHT, WIDTH))
    assert output.shape[2] == math.ceil(HEIGHT / stride)
    assert output.shape[3] == math.ceil(WIDTH / stride)


@pytest.mark.parametrize(
    "kernel_size, expected_padding", [((1, 7), (0, 3)), ((7, 1), (3, 0)), ((3, 5), (1, 2))]
)
def test_asymmetric_same_padding(
    kernel_size: tuple[int, int], expected_padding: tuple[int, int]
) -> None:
    layer = ConvBNAct(4, 4, kernel_size)
    assert layer.conv.padding == expected_padding


def test_dilated_same_padding() -> None:
    # A 3 x 3 kernel with dilation 2 spans 5 pixels, so "same" pads (5 - 1) / 2 = 2.
    layer = ConvBNAct(4, 4, 3, dilation=2)
    assert layer.conv.padding == (2, 2)
    assert layer(torch.randn(1, 4, 9, 8)).shape == (1, 4, 9, 8)


def test_conv_bn_act_children() -> None:
    layer = ConvBNAct(3, 8, 3)
    assert [name for name, _ in layer.named_children()] == ["conv", "bn", "act"]
    assert isinstance(layer.conv, nn.Conv2d)
    assert isinstance(layer.bn, nn.BatchNorm2d)
    assert isinstance(layer.act, nn.ReLU)
    assert layer.act.inplace is False


def test_conv_bn_act_without_norm_or_activation() -> None:
    layer = ConvBNAct(3, 8, 3, norm=False, activation=False)
    assert isinstance(layer.bn, nn.Identity)
    assert isinstance(layer.act, nn.Identity)
    assert set(layer.state_dict()) == {"conv.weight", "conv.bias"}


@pytest.mark.parametrize(
    "bias, norm, has_bias",
    [(None, True, False), (None, False, True), (True, True, True), (False, False, False)],
)
def test_conv_bn_act_bias_rule(bias: bool | None, norm: bool, has_bias: bool) -> None:
    layer = ConvBNAct(3, 8, 3, bias=bias, norm=norm)
    assert (layer.conv.bias is not None) == has_bias


def test_conv_bn_act_loads_torchvision_block() -> None:
    torch.manual_seed(0)
    reference = BasicConv2d(6, 8, kernel_size=(1, 7), padding=(0, 3)).eval()
    for buffer in (reference.bn.running_mean, reference.bn.running_var):
        buffer.uniform_(0.5, 1.5)
    layer = ConvBNAct(6, 8, (1, 7), eps=0.001).eval()

    layer.load_state_dict(reference.state_dict(), strict=True)

    x = torch.randn(2, 6, 17, 17)
    torch.testing.assert_close(layer(x), reference(x))


@pytest.mark.parametrize(
    "order, first_kernel, first_stride, first_padding",
    [("1xk_first", (1, 7), (1, 2), (0, 3)), ("kx1_first", (7, 1), (2, 1), (3, 0))],
)
def test_factorized_splits_by_axis(
    order: str,
    first_kernel: tuple[int, int],
    first_stride: tuple[int, int],
    first_padding: tuple[int, int],
) -> None:
    layer = FactorizedConv2d(4, 6, 7, stride=2, padding=3, order=order)
    assert layer.conv1.conv.kernel_size == first_kernel
    assert layer.conv1.conv.stride == first_stride
    assert layer.conv1.conv.padding == first_padding
    # The second conv is the transpose of the first.
    assert layer.conv2.conv.kernel_size == first_kernel[::-1]
    assert layer.conv2.conv.stride == first_stride[::-1]
    assert layer.conv2.conv.padding == first_padding[::-1]


def test_factorized_properties() -> None:
    layer = FactorizedConv2d(4, 6, 5, order="kx1_first")
    assert layer.kernel_size == 5
    assert layer.mid_channels == 6  # defaults to out_channels
    assert layer.order == "kx1_first"
    assert layer.conv1.conv.out_channels == 6
    with pytest.raises(AttributeError):
        layer.kernel_size = 3  # type: ignore[misc]


def test_factorized_inner_and_outer_norm() -> None:
    layer = FactorizedConv2d(
        4, 6, 3, mid_channels=5, inner_norm=False, inner_activation=False, activation=False
    )
    assert isinstance(layer.conv1.bn, nn.Identity)
    assert isinstance(layer.conv1.act, nn.Identity)
    assert isinstance(layer.conv2.bn, nn.BatchNorm2d)
    assert isinstance(layer.conv2.act, nn.Identity)
    assert layer.conv1.conv.out_channels == 5
    assert layer.conv2.conv.in_channels == 5


@pytest.mark.parametrize("kernel_size, depth", [(3, 1), (5, 2), (7, 3), (9, 4)])
def test_stacked_depth_and_stride(kernel_size: int, depth: int) -> None:
    layer = StackedConv2d(4, 6, kernel_size, stride=2, mid_channels=5, inner_norm=False)
    assert len(layer.layers) == depth
    assert [block.conv.stride for block in layer.layers] == [(1, 1)] * (depth - 1) + [(2, 2)]
    assert layer.layers[0].conv.in_channels == 4
    assert layer.layers[-1].conv.out_channels == 6
    assert isinstance(layer.layers[-1].bn, nn.BatchNorm2d)
    if depth > 1:
        assert layer.layers[0].conv.out_channels == 5
        assert isinstance(layer.layers[0].bn, nn.Identity)


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
@pytest.mark.parametrize("stride", [1, 2])
def test_stacked_receptive_field_is_k(kernel_size: int, stride: int) -> None:
    # With all-ones weights and no BatchNorm or ReLU, the gradient of one
    # output pixel is non-zero exactly on its receptive field.
    layer = StackedConv2d(
        1, 1, kernel_size, stride, "valid", norm=False, activation=False,
        inner_norm=False, inner_activation=False,
    )
    for block in layer.layers:
        nn.init.ones_(block.conv.weight)
    x = torch.zeros(1, 1, 21, 21, requires_grad=True)

    layer(x)[0, 0, 1, 1].backward()

    rows, cols = torch.nonzero(x.grad[0, 0], as_tuple=True)
    assert int(rows.max() - rows.min()) + 1 == kernel_size
    assert int(cols.max() - cols.min()) + 1 == kernel_size
    # Output pixel 1 starts at input pixel 1 * stride when nothing is padded.
    assert int(rows.min()) == stride


def test_separable_structure() -> None:
    layer = DepthwiseSeparableConv2d(4, 6, 3, stride=2, depth_multiplier=3, inner_activation=False)
    assert layer.depthwise.conv.groups == 4
    # 4 input channels times depth multiplier 3.
    assert layer.depthwise.conv.out_channels == 12
    assert layer.depthwise.conv.stride == (2, 2)
    assert layer.pointwise.conv.kernel_size == (1, 1)
    assert layer.pointwise.conv.in_channels == 12
    assert isinstance(layer.depthwise.act, nn.Identity)
    assert isinstance(layer.pointwise.act, nn.ReLU)


@pytest.mark.parametrize("layer_class", [FactorizedConv2d, StackedConv2d, DepthwiseSeparableConv2d])
@pytest.mark.parametrize("bias", [True, False])
def test_composite_bias_on_every_conv(layer_class: type[nn.Module], bias: bool) -> None:
    layer = layer_class(4, 6, 5, bias=bias)
    convs = [module for module in layer.modules() if isinstance(module, nn.Conv2d)]
    assert len(convs) >= 2
    assert all((conv.bias is not None) == bias for conv in convs)


INVALID_ARGUMENTS = [
    (ConvBNAct, (0, 8, 3), {}, "in_channels=0"),
    (ConvBNAct, (3, -1, 3), {}, "out_channels=-1"),
    (ConvBNAct, (3, 8, 0), {}, "kernel_size=0"),
    (ConvBNAct, (3, 8, (3, 3, 3)), {}, "kernel_size=(3, 3, 3)"),
    (ConvBNAct, (3, 8, 4), {}, "(4, 4)"),
    (ConvBNAct, (3, 8, (1, 6)), {}, "(1, 6)"),
    (ConvBNAct, (3, 8, 3), {"stride": 0}, "stride=0"),
    (ConvBNAct, (3, 8, 3), {"stride": True}, "stride=True"),
    (ConvBNAct, (3, 8, 3), {"dilation": -2}, "dilation=-2"),
    (ConvBNAct, (3, 8, 3), {"padding": "full"}, "padding='full'"),
    (ConvBNAct, (3, 8, 3), {"padding": -1}, "padding=-1"),
    (ConvBNAct, (3, 8, 3), {"padding": 1.5}, "padding=1.5"),
    (ConvBNAct, (3, 8, 3), {"padding": (1, -1)}, "padding=-1"),
    (ConvBNAct, (3, 8, 3), {"groups": 2}, "groups=2"),
    (ConvBNAct, (4, 6, 3), {"groups": 4}, "out_channels=6"),
    (FactorizedConv2d, (3, 8, 4), {}, "kernel_size=4"),
    (FactorizedConv2d, (3, 8, (1, 7)), {}, "kernel_size=(1, 7)"),
    (FactorizedConv2d, (3, 8, 7), {"order": "2d"}, "order='2d'"),
    (FactorizedConv2d, (3, 8, 7), {"mid_channels": 0}, "mid_channels=0"),
    (FactorizedConv2d, (3, 8, 7), {"padding": (3, 3)}, "padding=(3, 3)"),
    (FactorizedConv2d, (3, 8, 7), {"stride": -1}, "stride=-1"),
    (StackedConv2d, (3, 8, 1), {}, "kernel_size=1"),
    (StackedConv2d, (3, 8, 4), {"padding": "valid"}, "kernel_size=4"),
    (StackedConv2d, (3, 8, 7), {"padding": 1}, "padding=1"),
    (StackedConv2d, (3, 8, 7), {"padding": "full"}, "padding='full'"),
    (StackedConv2d, (3, 8, 5), {"mid_channels": -4}, "mid_channels=-4"),
    (StackedConv2d, (0, 8, 5), {}, "in_channels=0"),
    (DepthwiseSeparableConv2d, (3, 8, 3), {"depth_multiplier": 0}, "depth_multiplier=0"),
    (DepthwiseSeparableConv2d, (3, 8, 2), {}, "kernel_size=2"),
    (DepthwiseSeparableConv2d, (3, 8, 3), {"stride": 0}, "stride=0"),
    (DepthwiseSeparableConv2d, (3, 0, 3), {}, "out_channels=0"),
]


@pytest.mark.parametrize("layer_class, args, kwargs, named_value", INVALID_ARGUMENTS)
def test_invalid_argument_raises(
    layer_class: type[nn.Module], args: tuple, kwargs: dict, named_value: str
) -> None:
    with pytest.raises(ValueError) as error:
        layer_class(*args, **kwargs)
    message = str(error.value)
    assert named_value in message
    assert "pass" in message  # every message names the fix
