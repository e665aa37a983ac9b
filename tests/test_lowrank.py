"""Tests for factor.lowrank: composite kernels, the SVD factorization and its error."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from factor.lowrank import (
    approximation_curve,
    composite_kernel,
    max_rank,
    separable_approximation,
)

ORDERS = ["1xk_first", "kx1_first"]


def _random_kernel(out_channels: int, in_channels: int, kernel_size: int, seed: int = 0,
                   dtype: torch.dtype = torch.float64) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    shape = (out_channels, in_channels, kernel_size, kernel_size)
    return torch.randn(shape, generator=generator, dtype=dtype)


def _asymmetric_pair(in_channels: int, mid_channels: int, out_channels: int, kernel_size: int,
                     order: str) -> tuple[nn.Conv2d, nn.Conv2d]:
    """Bias-free 1×k and k×1 convs with 'same' padding, in the requested order."""
    pad = kernel_size // 2
    horizontal = {"kernel_size": (1, kernel_size), "padding": (0, pad), "bias": False}
    vertical = {"kernel_size": (kernel_size, 1), "padding": (pad, 0), "bias": False}
    if order == "1xk_first":
        first_spec, second_spec = horizontal, vertical
    else:
        first_spec, second_spec = vertical, horizontal
    first = nn.Conv2d(in_channels, mid_channels, **first_spec).double()
    second = nn.Conv2d(mid_channels, out_channels, **second_spec).double()
    return first, second


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(("in_channels", "mid_channels", "out_channels", "kernel_size"),
                         [(1, 1, 1, 3), (3, 2, 4, 5), (4, 6, 2, 7)])
def test_composite_kernel_matches_pair_of_convs(
    order: str, in_channels: int, mid_channels: int, out_channels: int, kernel_size: int
) -> None:
    torch.manual_seed(0)
    first, second = _asymmetric_pair(in_channels, mid_channels, out_channels, kernel_size, order)
    inputs = torch.randn(2, in_channels, 11, 13, dtype=torch.float64)

    composite = composite_kernel(first, second)
    pair_output = second(first(inputs))
    single_output = F.conv2d(inputs, composite, padding=kernel_size // 2)

    assert composite.shape == (out_channels, in_channels, kernel_size, kernel_size)
    # The zero-padded border agrees too, so the whole map is compared.
    torch.testing.assert_close(single_output, pair_output, rtol=1e-12, atol=1e-12)


def test_composite_kernel_hand_example() -> None:
    # 1×3 weights a = [1, 2, 3], then 3×1 weights b = [1, 0, -1]:
    # W[y, x] = b[y] * a[x] = [[1, 2, 3], [0, 0, 0], [-1, -2, -3]].
    first = torch.tensor([1.0, 2.0, 3.0]).view(1, 1, 1, 3)
    second = torch.tensor([1.0, 0.0, -1.0]).view(1, 1, 3, 1)
    expected = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -3.0]]).view(1, 1, 3, 3)
    assert torch.equal(composite_kernel(first, second), expected)


def test_composite_kernel_sums_middle_channels() -> None:
    # Middle channel 0 carries a = e0 and b = e0, channel 1 carries a = e2 and
    # b = e2, so W = e0 e0^T + e2 e2^T: ones at (0, 0) and (2, 2) only.
    first = torch.zeros(2, 1, 1, 3)
    first[0, 0, 0, 0] = 1.0
    first[1, 0, 0, 2] = 1.0
    second = torch.zeros(1, 2, 3, 1)
    second[0, 0, 0, 0] = 1.0
    second[0, 1, 2, 0] = 1.0
    expected = torch.zeros(1, 1, 3, 3)
    expected[0, 0, 0, 0] = 1.0
    expected[0, 0, 2, 2] = 1.0
    assert torch.equal(composite_kernel(first, second), expected)


def test_composite_kernel_of_stacked_3x3_is_5x5() -> None:
    # Two 3×3 convs compose to one (3 + 3 - 1) = 5×5 conv. Unpadded, the
    # outputs agree everywhere.
    torch.manual_seed(0)
    first = nn.Conv2d(3, 4, 3, bias=False).double()
    second = nn.Conv2d(4, 2, 3, bias=False).double()
    inputs = torch.randn(1, 3, 12, 12, dtype=torch.float64)
    composite = composite_kernel(first.weight.detach(), second.weight.detach())
    assert composite.shape == (2, 3, 5, 5)
    torch.testing.assert_close(F.conv2d(inputs, composite), second(first(inputs)))


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (nn.Conv2d(2, 2, (1, 3)), nn.Conv2d(2, 2, (3, 1), bias=False), "first conv has a bias"),
        (nn.Conv2d(2, 2, (1, 3), bias=False), nn.Conv2d(2, 2, (3, 1)), "second conv has a bias"),
        (nn.Conv2d(2, 2, (1, 3), groups=2, bias=False), nn.Conv2d(2, 2, (3, 1), bias=False),
         "groups=2"),
        (nn.Conv2d(2, 2, (1, 3), stride=2, bias=False), nn.Conv2d(2, 2, (3, 1), bias=False),
         r"stride=\(2, 2\)"),
        (nn.Conv2d(2, 2, (1, 3), bias=False), nn.Conv2d(2, 2, (3, 1), dilation=2, bias=False),
         r"dilation=\(2, 2\)"),
        (nn.Conv2d(2, 3, (1, 3), bias=False), nn.Conv2d(2, 2, (3, 1), bias=False),
         "first has 3 output channels but second has 2 input channels"),
        (torch.zeros(2, 2, 3), torch.zeros(2, 2, 3, 1), "first weight must be 4-D"),
    ],
)
def test_composite_kernel_rejects_invalid(first: object, second: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        composite_kernel(first, second)  # type: ignore[arg-type]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    ("out_channels", "in_channels", "kernel_size"), [(1, 1, 3), (4, 3, 5), (6, 8, 7)]
)
def test_rank_one_kernel_reconstructed_exactly(
    order: str, out_channels: int, in_channels: int, kernel_size: int
) -> None:
    # W[o, i, y, x] = b[o, y] * a[i, x] (or b[o, x] * a[i, y] for kx1 first)
    # is one outer product, so rank 1 reconstructs it and the error is 0.
    generator = torch.Generator().manual_seed(1)
    b = torch.randn(out_channels, kernel_size, generator=generator)
    a = torch.randn(in_channels, kernel_size, generator=generator)
    if order == "1xk_first":
        weight = torch.einsum("oy,ix->oiyx", b, a)
    else:
        weight = torch.einsum("ox,iy->oiyx", b, a)

    factors = separable_approximation(weight, rank=1, order=order)
    reconstruction = composite_kernel(factors.first, factors.second)

    assert (reconstruction - weight).norm() / weight.norm() < 1e-6
    assert factors.relative_error < 1e-6


def test_factor_shapes_per_order() -> None:
    weight = _random_kernel(out_channels=4, in_channels=3, kernel_size=5)
    horizontal_first = separable_approximation(weight, rank=2, order="1xk_first")
    vertical_first = separable_approximation(weight, rank=2, order="kx1_first")
    assert horizontal_first.first.shape == (2, 3, 1, 5)
    assert horizontal_first.second.shape == (4, 2, 5, 1)
    assert vertical_first.first.shape == (2, 3, 5, 1)
    assert vertical_first.second.shape == (4, 2, 1, 5)
    assert horizontal_first.rank == 2


def test_singular_values_hand_example() -> None:
    # A 1×1×3×3 kernel is its own matrix M. For W = b a^T with b = [1, 2, 2]
    # (norm 3) and a = [0, 3, 4] (norm 5), the only singular value is
    # 3 * 5 = 15, so rank 1 discards nothing.
    b = torch.tensor([1.0, 2.0, 2.0])
    a = torch.tensor([0.0, 3.0, 4.0])
    weight = torch.outer(b, a).view(1, 1, 3, 3)
    factors = separable_approximation(weight.double(), rank=1)
    torch.testing.assert_close(factors.singular_values,
                               torch.tensor([15.0, 0.0, 0.0], dtype=torch.float64))
    assert factors.predicted_error == pytest.approx(0.0, abs=1e-12)


def test_predicted_error_hand_example() -> None:
    # W = diag(3, 2, 1) has singular values 3, 2, 1. Rank 1 discards 2 and 1,
    # so the predicted error is sqrt(2^2 + 1^2) = sqrt(5) and the relative
    # error is sqrt(5) / sqrt(3^2 + 2^2 + 1^2) = sqrt(5 / 14).
    weight = torch.diag(torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64)).view(1, 1, 3, 3)
    factors = separable_approximation(weight, rank=1)
    assert factors.predicted_error == pytest.approx(math.sqrt(5.0), rel=1e-12)
    assert factors.relative_error == pytest.approx(math.sqrt(5.0 / 14.0), rel=1e-12)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("rank", [1, 2, 5, 11])
@pytest.mark.parametrize("seed", [0, 1])
def test_predicted_error_equals_measured(order: str, rank: int, seed: int) -> None:
    # Eckart-Young: the truncated SVD leaves exactly the discarded singular
    # values, so ||W - W_hat||_F = sqrt(sum of discarded sigma^2).
    weight = _random_kernel(out_channels=4, in_channels=5, kernel_size=3, seed=seed)
    factors = separable_approximation(weight, rank=rank, order=order)
    measured = (weight - composite_kernel(factors.first, factors.second)).norm().item()
    assert measured == pytest.approx(factors.predicted_error, rel=1e-10, abs=1e-12)
    assert factors.relative_error == pytest.approx(measured / weight.norm().item(), rel=1e-10)


def test_predicted_error_equals_measured_float32() -> None:
    weight = _random_kernel(out_channels=8, in_channels=8, kernel_size=3, dtype=torch.float32)
    factors = separable_approximation(weight, rank=6)
    assert factors.first.dtype == torch.float32
    measured = (weight - composite_kernel(factors.first, factors.second)).norm().item()
    assert measured == pytest.approx(factors.predicted_error, rel=1e-5)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    ("out_channels", "in_channels", "kernel_size"), [(3, 3, 3), (2, 5, 5), (6, 2, 7)]
)
def test_full_rank_reconstructs_exactly(
    order: str, out_channels: int, in_channels: int, kernel_size: int
) -> None:
    weight = _random_kernel(out_channels, in_channels, kernel_size)
    full = max_rank(weight)
    factors = separable_approximation(weight, rank=full, order=order)
    torch.testing.assert_close(composite_kernel(factors.first, factors.second), weight)
    assert factors.predicted_error == 0.0
    assert factors.singular_values.shape == (full,)


def test_error_non_increasing_in_rank() -> None:
    weight = _random_kernel(out_channels=4, in_channels=4, kernel_size=3)
    errors = [separable_approximation(weight, rank).relative_error for rank in range(1, 13)]
    measured = []
    for rank in range(1, 13):
        factors = separable_approximation(weight, rank)
        measured.append((weight - composite_kernel(factors.first, factors.second)).norm().item())
    assert all(later <= earlier for earlier, later in zip(errors, errors[1:]))
    assert all(later <= earlier + 1e-12 for earlier, later in zip(measured, measured[1:]))
    assert errors[0] > 0.1


def test_singular_values_descending() -> None:
    factors = separable_approximation(_random_kernel(3, 4, 5), rank=2)
    values = factors.singular_values
    assert torch.all(values[:-1] >= values[1:])


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("rank", [1, 3, 9])
def test_to_module_runs_composite_kernel(order: str, rank: int) -> None:
    weight = _random_kernel(out_channels=3, in_channels=4, kernel_size=3)
    factors = separable_approximation(weight, rank=rank, order=order)
    module = factors.to_module()
    inputs = torch.randn(2, 4, 9, 10, dtype=torch.float64)

    expected = F.conv2d(inputs, composite_kernel(factors.first, factors.second), padding=1)

    assert isinstance(module, nn.Sequential)
    assert all(conv.bias is None for conv in module)
    assert module[0].out_channels == rank
    torch.testing.assert_close(module(inputs), expected)


def test_to_module_full_rank_equals_original_conv() -> None:
    weight = _random_kernel(out_channels=2, in_channels=3, kernel_size=5)
    module = separable_approximation(weight, rank=max_rank(weight)).to_module()
    inputs = torch.randn(1, 3, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(module(inputs), F.conv2d(inputs, weight, padding=2))


def test_separable_approximation_detaches_parameter() -> None:
    conv = nn.Conv2d(2, 2, 3, bias=False)
    factors = separable_approximation(conv.weight, rank=2)
    assert not factors.first.requires_grad
    assert not factors.second.requires_grad


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        # min(C_out * k, C_in * k) = min(8 * 3, 4 * 3) = 12.
        ((8, 4, 3, 3), 12),
        # min(2 * 7, 5 * 7) = 14.
        ((2, 5, 7, 7), 14),
        # min(1 * 1, 1 * 1) = 1.
        ((1, 1, 1, 1), 1),
    ],
)
def test_max_rank(shape: tuple[int, int, int, int], expected: int) -> None:
    assert max_rank(torch.zeros(shape)) == expected


@pytest.mark.parametrize(
    ("shape", "rank", "order", "message"),
    [
        ((2, 2, 3, 3), 0, "1xk_first", r"rank must be an int in \[1, 6\].*got 0"),
        ((2, 2, 3, 3), 7, "1xk_first", r"rank must be an int in \[1, 6\].*got 7"),
        ((2, 2, 3, 3), True, "1xk_first", "rank must be an int"),
        ((2, 2, 3, 3), 2.0, "1xk_first", "rank must be an int"),
        ((2, 2, 3, 5), 1, "1xk_first", "kernel must be square, got 3×5"),
        ((2, 2, 4, 4), 1, "1xk_first", "kernel size must be odd.*got 4"),
        ((2, 3, 3), 1, "1xk_first", "weight must be 4-D"),
        ((2, 2, 3, 3), 1, "diagonal", "order must be one of"),
    ],
)
def test_separable_approximation_rejects_invalid(
    shape: tuple[int, ...], rank: int, order: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        separable_approximation(torch.zeros(shape), rank=rank, order=order)


def test_approximation_curve_columns_and_agreement() -> None:
    weight = _random_kernel(out_channels=4, in_channels=4, kernel_size=3, dtype=torch.float32)
    table = approximation_curve(weight, ranks=[1, 2, 6, 12])

    assert list(table.columns) == [
        "rank",
        "predicted_relative_error",
        "measured_kernel_relative_error",
        "measured_output_relative_error",
        "params_ratio",
    ]
    assert list(table["rank"]) == [1, 2, 6, 12]
    for row in table.itertuples():
        assert row.measured_kernel_relative_error == pytest.approx(
            row.predicted_relative_error, rel=1e-4, abs=1e-6)
    # Partial ranks: the output error on white noise estimates the kernel error.
    # The default input gives 4 × 4 × 30 × 30 = 14,400 outputs, and the two
    # columns differ by about 1 % here, so 5 % leaves a margin.
    for row in table.iloc[:3].itertuples():
        assert row.measured_output_relative_error == pytest.approx(
            row.measured_kernel_relative_error, rel=0.05)
    # Full rank 12 = min(4 * 3, 4 * 3) reconstructs the kernel: both errors vanish.
    assert table["measured_kernel_relative_error"].iloc[3] < 1e-5
    assert table["measured_output_relative_error"].iloc[3] < 1e-5


@pytest.mark.parametrize(
    ("shape", "rank", "expected"),
    [
        # rank * k * (C_in + C_out) / (C_out * C_in * k^2) = 2 * 3 * 8 / (4 * 4 * 9) = 1/3.
        ((4, 4, 3, 3), 2, 1 / 3),
        # 1 * 7 * (2 + 3) / (3 * 2 * 49) = 35 / 294 = 5/42.
        ((3, 2, 7, 7), 1, 5 / 42),
    ],
)
def test_approximation_curve_params_ratio(
    shape: tuple[int, int, int, int], rank: int, expected: float
) -> None:
    weight = torch.randn(shape)
    table = approximation_curve(weight, ranks=[rank], input_size=(1, 9, 9))
    assert table["params_ratio"].iloc[0] == pytest.approx(expected)


def test_approximation_curve_is_repeatable() -> None:
    weight = _random_kernel(out_channels=3, in_channels=3, kernel_size=3)
    first = approximation_curve(weight, ranks=[1, 2], seed=5)
    second = approximation_curve(weight, ranks=[1, 2], seed=5)
    assert first.equals(second)


@pytest.mark.parametrize(
    ("ranks", "input_size", "message"),
    [
        ([], (1, 8, 8), "ranks is empty"),
        ([1], (1, 2, 8), r"input_size \(N, H, W\) must have"),
        ([1], (0, 8, 8), r"input_size \(N, H, W\) must have"),
        ([7], (1, 8, 8), r"rank must be an int in \[1, 6\]"),
    ],
)
def test_approximation_curve_rejects_invalid(
    ranks: list[int], input_size: tuple, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        approximation_curve(torch.zeros(2, 2, 3, 3), ranks=ranks, input_size=input_size)
