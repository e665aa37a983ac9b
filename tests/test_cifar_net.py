"""Tests for factor.cifar_net: shapes, which layers the variants change, parameter counts."""

from __future__ import annotations

import pytest
import torch

from factor.cifar_net import PLACEMENTS, VARIANTS, CifarInceptionNet, large_kernel_conv


def count(module: torch.nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_output_shape(variant: str, placement: int) -> None:
    model = CifarInceptionNet(variant, placement, width=2, num_classes=5).eval()
    assert model(torch.zeros(3, 3, 32, 32)).shape == (3, 5)


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("stem", (1, 4, 32, 32)),
        ("inception32", (1, 12, 32, 32)),
        ("reduction16", (1, 16, 16, 16)),
        ("inception16", (1, 24, 16, 16)),
        ("reduction8", (1, 32, 8, 8)),
        ("inception8", (1, 48, 8, 8)),
    ],
)
def test_shape_trail(name: str, shape: tuple[int, ...]) -> None:
    # Width w = 4: stem w, module 3w, reduction 3w + w, module 6w, reduction 6w + 2w, module 12w.
    model = CifarInceptionNet("factorized", 16, width=4).eval()
    shapes = []

    def record(_module: torch.nn.Module, _inputs: object, output: torch.Tensor) -> None:
        shapes.append(tuple(output.shape))

    getattr(model, name).register_forward_hook(record)
    model(torch.zeros(1, 3, 32, 32))
    assert shapes == [shape]


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        # Branch channels b = 2w = 4 at placement 16, k = 7, no conv bias, BatchNorm 2 per channel.
        # full: 7*7*4*4 = 784 weights + BatchNorm 2*4 = 8.
        ("full", 792),
        # factorized: 1x7 (7*4*4 = 112) + BN 8 + 7x1 (112) + BN 8.
        ("factorized", 240),
        # factorized_linear: the same convolutions without the inner BatchNorm.
        ("factorized_linear", 232),
        # separable: depthwise 7*7*4 = 196 + BN 8 + pointwise 4*4 = 16 + BN 8.
        ("separable", 228),
    ],
)
def test_large_kernel_parameters(variant: str, expected: int) -> None:
    assert count(large_kernel_conv(variant, 4, 4, 7)) == expected
    model = CifarInceptionNet(variant, 16, width=2)
    assert count(model.inception16.branch_kxk_2) == expected


@pytest.mark.parametrize("variant", VARIANTS[1:])
@pytest.mark.parametrize("placement", PLACEMENTS)
def test_variants_differ_only_at_placement(variant: str, placement: int) -> None:
    full = CifarInceptionNet("full", placement, width=2).state_dict()
    other = CifarInceptionNet(variant, placement, width=2).state_dict()
    prefix = f"inception{placement}.branch_kxk_2."
    outside_full = {key: value.shape for key, value in full.items() if not key.startswith(prefix)}
    outside_other = {key: value.shape for key, value in other.items() if not key.startswith(prefix)}
    assert outside_full == outside_other
    assert any(key.startswith(prefix) for key in other)


@pytest.mark.parametrize(("placement", "branch_channels"), [(32, 2), (16, 4), (8, 8)])
def test_full_kernel_moves_with_placement(placement: int, branch_channels: int) -> None:
    model = CifarInceptionNet("full", placement, width=2)
    conv = getattr(model, f"inception{placement}").branch_kxk_2.conv
    assert conv.kernel_size == (7, 7)
    assert conv.in_channels == branch_channels
    for grid in PLACEMENTS:
        if grid != placement:
            assert getattr(model, f"inception{grid}").branch_kxk_2.conv.kernel_size == (3, 3)


def test_total_parameter_difference() -> None:
    # Only the k x k branch differs: 792 - 240 = 552 (see test_large_kernel_parameters).
    full = count(CifarInceptionNet("full", 16, width=2))
    factorized = count(CifarInceptionNet("factorized", 16, width=2))
    assert full - factorized == 552


def test_unknown_variant_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="full, factorized, factorized_linear, separable"):
        CifarInceptionNet("stacked")
    with pytest.raises(ValueError, match="variant='stacked'"):
        large_kernel_conv("stacked", 4, 4, 7)


@pytest.mark.parametrize(("argument", "value"), [("placement", 17), ("width", 0), ("width", 1.5)])
def test_invalid_argument_raises(argument: str, value: object) -> None:
    with pytest.raises(ValueError, match=argument):
        CifarInceptionNet(**{argument: value})
