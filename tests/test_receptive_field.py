"""Tests for factor.receptive_field: the analytic formula against the gradient-based ERF."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from factor.receptive_field import (
    chain_receptive_field,
    effective_receptive_field,
    erf_extent,
    receptive_field,
)


@pytest.mark.parametrize(
    ("kernel_sizes", "strides", "dilations", "expected"),
    [
        # One 1×7 conv: 1 + (1 - 1) = 1 rows, 1 + (7 - 1) = 7 columns.
        ([(1, 7)], None, None, (1, 7)),
        # 1×7 then 7×1: rows 1 + 0 + 6 = 7, columns 1 + 6 + 0 = 7.
        ([(1, 7), (7, 1)], None, None, (7, 7)),
        # Three 3×3 convs: 1 + 2 + 2 + 2 = 7.
        ([3, 3, 3], None, None, (7, 7)),
        # Two 3×3 convs replace one 5×5: 1 + 2 + 2 = 5.
        ([3, 3], None, None, (5, 5)),
        # 3×3 stride 2, then 3×3: 1 + 2 * 1 + 2 * 2 = 7.
        ([3, 3], [2, 1], None, (7, 7)),
        # Inception v3 stem: 3×3/2, 3×3, 3×3, maxpool 3×3/2, then a 1×1 conv:
        # 1 + 2*1 + 2*2 + 2*2 + 2*2 + 0*4 = 15.
        ([3, 3, 3, 3, 1], [2, 1, 1, 2, 1], None, (15, 15)),
        # A 3×3 conv with dilation 2: 1 + 2 * 2 = 5.
        ([3], None, [2], (5, 5)),
        # Per-axis strides (2, 1): rows 1 + 2 + 2*2 = 7, columns 1 + 2 + 2*1 = 5.
        ([3, 3], [(2, 1), 1], None, (7, 5)),
        # Per-axis dilation (1, 3): rows 1 + 2*1 = 3, columns 1 + 2*3 = 7.
        ([3], None, [(1, 3)], (3, 7)),
        # No layers: the identity sees one pixel.
        ([], None, None, (1, 1)),
    ],
)
def test_receptive_field_formula(
    kernel_sizes: list, strides: list | None, dilations: list | None, expected: tuple[int, int]
) -> None:
    assert receptive_field(kernel_sizes, strides, dilations) == expected


@pytest.mark.parametrize(
    ("kernel_sizes", "strides", "dilations", "message"),
    [
        ([3, 3], [1], None, "equal lengths"),
        ([3], None, [1, 1], "equal lengths"),
        ([0], None, None, "kernel_size must be a positive int"),
        ([3], [0], None, "stride must be a positive int"),
        ([3], None, [(1, 0)], "dilation must be a positive int"),
        ([(3, 3, 3)], None, None, "kernel_size must be a positive int or a pair"),
        ([3.0], None, None, "kernel_size must be a positive int"),
    ],
)
def test_receptive_field_rejects_invalid(
    kernel_sizes: list, strides: list | None, dilations: list | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        receptive_field(kernel_sizes, strides, dilations)


def _factorized_7x7(channels: int, activation: bool) -> nn.Sequential:
    """A 1×7 conv then a 7×1 conv, unpadded, with an optional BN + ReLU between."""
    middle: list[nn.Module] = [nn.BatchNorm2d(channels), nn.ReLU()] if activation else []
    return nn.Sequential(
        nn.Conv2d(channels, channels, (1, 7), bias=False),
        *middle,
        nn.Conv2d(channels, channels, (7, 1), bias=False),
    )


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        # A plain 1×7 conv: (1, 7).
        (nn.Conv2d(3, 4, (1, 7)), (1, 7)),
        # 1×7 then 7×1, BN and ReLU in between change nothing: (7, 7).
        (_factorized_7x7(4, activation=True), (7, 7)),
        # Nested containers are walked in registration order: 3 + 2 + 2 = 7.
        (nn.Sequential(nn.Sequential(nn.Conv2d(2, 2, 3), nn.ReLU()), nn.Conv2d(2, 2, 3),
                       nn.Sequential(nn.Conv2d(2, 2, 3))), (7, 7)),
        # 3×3/2 conv, maxpool 3×3/2, 3×3 conv: 1 + 2*1 + 2*2 + 2*4 = 15.
        (nn.Sequential(nn.Conv2d(2, 2, 3, stride=2), nn.MaxPool2d(3, stride=2), nn.Conv2d(2, 2, 3)),
         (15, 15)),
        # AvgPool2d(2) has stride 2 by default: 1 + 1*1 + 2*2 = 6.
        (nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(2, 2, 3)), (6, 6)),
        # Dilated conv 3×3, dilation 2, then 1×1: 1 + 2*2 + 0 = 5.
        (nn.Sequential(nn.Conv2d(2, 2, 3, dilation=2), nn.Conv2d(2, 2, 1)), (5, 5)),
    ],
)
def test_chain_receptive_field(module: nn.Module, expected: tuple[int, int]) -> None:
    assert chain_receptive_field(module) == expected


def test_chain_receptive_field_rejects_no_conv() -> None:
    with pytest.raises(ValueError, match="Sequential contains no Conv2d"):
        chain_receptive_field(nn.Sequential(nn.ReLU(), nn.BatchNorm2d(3)))


def test_erf_single_conv_equals_kernel_magnitude() -> None:
    # For y = conv(x, w) the gradient of the centre output with respect to x
    # is w placed around the centre, whatever x is. So the map is |w| / max|w|
    # with max|w| = 4, centred at input pixel (2, 2) of a 5×5 input (the
    # single 3×3 output's centre pixel is output (1, 1), which reads rows 1..3).
    kernel = torch.tensor(
        [[1.0, -2.0, 0.0], [0.0, 4.0, 1.0], [2.0, 0.0, -1.0]], dtype=torch.float64
    )
    conv = nn.Conv2d(1, 1, 3, bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(kernel.view(1, 1, 3, 3))
    expected = np.zeros((5, 5))
    expected[1:4, 1:4] = kernel.abs().numpy() / 4.0
    erf = effective_receptive_field(conv, (1, 1, 5, 5), samples=2)
    np.testing.assert_array_equal(erf, expected)


@pytest.mark.parametrize(
    "module",
    [
        _factorized_7x7(3, activation=False),
        nn.Sequential(nn.Conv2d(3, 3, 3), nn.Conv2d(3, 3, 3), nn.Conv2d(3, 3, 3)),
        nn.Sequential(nn.Conv2d(3, 3, 3, stride=2), nn.Conv2d(3, 3, 3)),
        nn.Sequential(nn.Conv2d(3, 3, 3, dilation=2), nn.Conv2d(3, 3, (1, 5))),
    ],
)
def test_erf_support_of_linear_chain_is_analytic(module: nn.Module) -> None:
    # In float64 a linear chain's gradient is exactly zero outside the
    # analytic receptive field and nonzero inside it for random weights, so
    # the strict support (threshold 0) has the analytic extent.
    torch.manual_seed(0)
    module = module.double()
    erf = effective_receptive_field(module, (1, 3, 23, 23), samples=2)
    assert erf_extent(erf, 0.0) == chain_receptive_field(module)


def test_erf_support_of_relu_chain_is_analytic() -> None:
    # ReLUs can only zero gradient paths, so the support stays inside the
    # 7×7 analytic field. With 8 samples some path to every pixel is active.
    torch.manual_seed(0)
    module = _factorized_7x7(4, activation=True).double()
    erf = effective_receptive_field(module, (2, 4, 21, 21), samples=8)
    assert erf_extent(erf, 0.0) == (7, 7)
    outside = erf.copy()
    outside[7:14, 7:14] = 0.0
    assert not outside.any()


def test_erf_shape_and_scale() -> None:
    torch.manual_seed(0)
    erf = effective_receptive_field(_factorized_7x7(3, activation=True), (1, 3, 17, 19), samples=2)
    assert erf.shape == (17, 19)
    assert erf.dtype == np.float64
    assert erf.max() == 1.0
    assert erf.min() >= 0.0


def test_erf_leaves_model_and_rng_unchanged() -> None:
    torch.manual_seed(0)
    model = _factorized_7x7(3, activation=True).train()
    state_before = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    rng_before = torch.get_rng_state()

    effective_receptive_field(model, (2, 3, 15, 15), samples=2, reinitialize=True)

    assert torch.equal(torch.get_rng_state(), rng_before)
    assert model.training
    assert all(parameter.requires_grad for parameter in model.parameters())
    assert all(parameter.grad is None for parameter in model.parameters())
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, state_before[name]), name


def test_erf_repeatable_for_seed() -> None:
    torch.manual_seed(0)
    model = _factorized_7x7(3, activation=True)
    first = effective_receptive_field(model, (1, 3, 15, 15), samples=2, seed=3)
    second = effective_receptive_field(model, (1, 3, 15, 15), samples=2, seed=3)
    other = effective_receptive_field(model, (1, 3, 15, 15), samples=2, seed=4)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_erf_reinitialize_redraws_weights() -> None:
    # Seed 1 here, so that the redraw from seed 0 gives other weights.
    torch.manual_seed(1)
    model = _factorized_7x7(3, activation=False)
    current = effective_receptive_field(model, (1, 3, 15, 15), samples=1)
    redrawn = effective_receptive_field(model, (1, 3, 15, 15), samples=1, reinitialize=True)
    again = effective_receptive_field(model, (1, 3, 15, 15), samples=1, reinitialize=True)
    assert not np.allclose(current, redrawn)
    np.testing.assert_array_equal(redrawn, again)


def test_erf_inside_inference_mode() -> None:
    conv = nn.Conv2d(2, 2, 3)
    with torch.inference_mode():
        erf = effective_receptive_field(conv, (1, 2, 7, 7), samples=1)
    # A 3×3 conv sees 3×3 pixels.
    assert erf_extent(erf, 0.0) == (3, 3)


def test_erf_all_zero_gradient_returns_zeros(caplog: pytest.LogCaptureFixture) -> None:
    conv = nn.Conv2d(1, 1, 3)
    with torch.no_grad():
        conv.weight.zero_()
    erf = effective_receptive_field(conv, (1, 1, 5, 5), samples=1)
    assert not erf.any()
    assert "all zero" in caplog.text


@pytest.mark.parametrize(
    ("input_size", "samples", "message"),
    [
        ((3, 15, 15), 1, "input_size must be four positive ints"),
        ((1, 3, 0, 15), 1, "input_size must be four positive ints"),
        ((1, 3, 15, 15), 0, "samples must be a positive int"),
    ],
)
def test_erf_rejects_invalid_arguments(input_size: tuple, samples: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        effective_receptive_field(nn.Conv2d(3, 3, 3), input_size, samples=samples)


def test_erf_rejects_non_spatial_output() -> None:
    model = nn.Sequential(nn.Conv2d(3, 3, 3), nn.Flatten())
    with pytest.raises(ValueError, match="model output must be N×C×H×W"):
        effective_receptive_field(model, (1, 3, 9, 9), samples=1)


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        # Nonzero support: rows 1..3 and columns 1..4, so 3 × 4.
        (0.0, (3, 4)),
        # Above 0.5 * 1.0: the values 1.0 at (2, 2) and 0.6 at (2, 3), so 1 × 2.
        (0.5, (1, 2)),
        # Above 0.9: only the peak, 1 × 1.
        (0.9, (1, 1)),
    ],
)
def test_erf_extent(threshold: float, expected: tuple[int, int]) -> None:
    erf = np.zeros((5, 6))
    erf[1, 1] = 0.1
    erf[2, 2] = 1.0
    erf[2, 3] = 0.6
    erf[3, 4] = 0.2
    assert erf_extent(erf, threshold) == expected


def test_erf_extent_of_zero_map() -> None:
    assert erf_extent(np.zeros((4, 4)), 0.0) == (0, 0)


@pytest.mark.parametrize(
    ("erf_map", "threshold", "message"),
    [
        (np.zeros((2, 3, 3)), 0.0, "erf_map must be a 2-D"),
        (np.zeros((3, 3)), 1.0, "threshold must be a fraction"),
        (np.zeros((3, 3)), -0.1, "threshold must be a fraction"),
    ],
)
def test_erf_extent_rejects_invalid(erf_map: np.ndarray, threshold: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        erf_extent(erf_map, threshold)
