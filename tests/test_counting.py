"""Tests for factor.counting: totals, per-module table and an untouched model."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from factor.costs import factorized_cost
from factor.counting import COLUMNS, count_flops, count_parameters
from factor.layers import ConvBNAct, FactorizedConv2d

torch.set_num_threads(1)


def small_classifier() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 10),
    )


class SwappedOrder(nn.Module):
    """Registers ``first`` before ``second`` but calls ``second`` first."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Conv2d(4, 4, 1)
        self.second = nn.Conv2d(4, 4, 1)
        self.scale = nn.Parameter(torch.ones(1))  # owned by the root itself

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.first(self.second(x)) * self.scale


class SelfAttention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attention(x, x, x, need_weights=False)[0]


def test_count_parameters_hand_count() -> None:
    # 3 -> 8 conv 3 x 3 without bias: 3*8*9 = 216, BatchNorm affine 2*8 = 16.
    layer = ConvBNAct(3, 8, 3)
    assert count_parameters(layer) == 232
    layer.bn.requires_grad_(False)
    assert count_parameters(layer, trainable_only=True) == 216


def test_count_parameters_shared_once() -> None:
    # A Linear(4, 4) has 16 + 4 = 20 parameters; reusing it adds none.
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert count_parameters(model) == 20


def test_count_flops_hand_count() -> None:
    # Batch 2 of 3 x 8 x 8. Conv 3 -> 8, 3 x 3, "same": 3*8*9 = 216 weights at
    # 8*8 = 64 positions per image, so 216 * 64 * 2 = 27648 MACs.
    # Linear 8 -> 10: 80 MACs per image, 160 for the batch. Total 27808.
    # Params: conv 216 + 8 bias, BatchNorm 16, linear 80 + 10 = 330.
    report = count_flops(small_classifier(), (2, 3, 8, 8))
    assert report.macs == 27808
    assert report.flops == 55616
    assert report.params == 330
    assert report.input_size == (2, 3, 8, 8)
    assert report.by_operator == {"aten.convolution": 55296, "aten.addmm": 320}


def test_by_module_rows_and_sums() -> None:
    report = count_flops(small_classifier(), (2, 3, 8, 8))
    table = report.by_module
    assert list(table.columns) == COLUMNS
    # ReLU, pooling and Flatten hold nothing and count nothing, so they get no row.
    assert list(table["module"]) == ["0", "1", "5"]
    assert list(table["type"]) == ["Conv2d", "BatchNorm2d", "Linear"]
    assert list(table["macs"]) == [27648, 0, 160]
    assert table["params"].sum() == report.params
    assert table["macs"].sum() == report.macs
    assert table["flops"].sum() == report.flops
    assert sum(report.by_operator.values()) == report.flops


def test_by_module_follows_call_order() -> None:
    report = count_flops(SwappedOrder(), (1, 4, 3, 3))
    # The root owns the scale parameter; its multiply is not a counted operator.
    assert list(report.by_module["module"]) == ["(root)", "second", "first"]
    assert list(report.by_module["params"]) == [1, 20, 20]


@pytest.mark.parametrize(
    "name, input_size",
    [
        ("resnet18", (1, 3, 64, 64)),
        ("inception_v3", (1, 3, 75, 75)),  # the smallest input Inception v3 accepts
        ("mobilenet_v3_small", (2, 3, 32, 32)),
    ],
)
def test_by_module_sums_on_torchvision(name: str, input_size: tuple[int, ...]) -> None:
    model = torchvision.models.get_model(name, weights=None, **_init_options(name))
    report = count_flops(model, input_size)
    assert report.by_module["params"].sum() == report.params
    assert report.params == count_parameters(model)
    assert report.by_module["flops"].sum() == report.flops
    assert report.by_module["macs"].sum() == report.macs


def _init_options(name: str) -> dict[str, bool]:
    return {"init_weights": True} if name == "inception_v3" else {}


def test_factorized_layer_matches_closed_form() -> None:
    layer = FactorizedConv2d(64, 128, 7)
    report = count_flops(layer, (3, 64, 17, 17))
    expected = factorized_cost(64, 128, 7, (17, 17))
    assert report.params == expected.params
    # MACs scale with the batch of 3.
    assert report.macs == 3 * expected.macs


def test_attention_is_counted() -> None:
    # One batch of 5 tokens of width 8, 2 heads of width 4:
    # input projection 5 * 8 * 24 = 960 MACs, Q K^T and the product with V
    # 2 heads * 5 * 5 * (4 + 4) = 400 MACs, output projection 5 * 8 * 8 = 320.
    # Total 1680 MACs. Params: in 8*24 + 24 = 216, out 8*8 + 8 = 72, so 288.
    fastpath_before = torch.backends.mha.get_fastpath_enabled()
    report = count_flops(SelfAttention(), (1, 5, 8))
    assert report.macs == 1680
    assert report.params == 288
    assert report.by_module["flops"].sum() == report.flops
    assert torch.backends.mha.get_fastpath_enabled() == fastpath_before


def test_inputs_tensor_gives_same_counts() -> None:
    model = small_classifier()
    from_size = count_flops(model, (2, 3, 8, 8))
    from_tensor = count_flops(model, inputs=torch.randn(2, 3, 8, 8))
    assert from_tensor.macs == from_size.macs
    assert from_tensor.params == from_size.params


def snapshot(model: nn.Module) -> dict[str, object]:
    """Everything count_flops must leave as it found it."""
    return {
        "training": {name: module.training for name, module in model.named_modules()},
        "requires_grad": {name: p.requires_grad for name, p in model.named_parameters()},
        "devices": {name: p.device for name, p in model.named_parameters()},
        "state": {name: tensor.clone() for name, tensor in model.state_dict().items()},
    }


def assert_unchanged(model: nn.Module, before: dict[str, object]) -> None:
    after = snapshot(model)
    assert after["training"] == before["training"]
    assert after["requires_grad"] == before["requires_grad"]
    assert after["devices"] == before["devices"]
    for name, tensor in before["state"].items():  # type: ignore[union-attr]
        assert torch.equal(after["state"][name], tensor), name  # type: ignore[index]


def mixed_state_model() -> nn.Sequential:
    """A model in train mode with one submodule in eval and one frozen layer."""
    model = nn.Sequential(ConvBNAct(3, 8, 3), ConvBNAct(8, 8, 3), nn.Flatten())
    model.train()
    model[1].bn.eval()
    model[0].conv.weight.requires_grad_(False)
    return model


def test_model_unchanged_after_count() -> None:
    model = mixed_state_model()
    before = snapshot(model)
    count_flops(model, (2, 3, 9, 9))
    assert_unchanged(model, before)
    # BatchNorm in train mode would have updated this counter.
    assert int(model[0].bn.num_batches_tracked) == 0


def test_model_unchanged_when_forward_raises() -> None:
    model = mixed_state_model()
    before = snapshot(model)
    fastpath_before = torch.backends.mha.get_fastpath_enabled()
    with pytest.raises(ValueError):
        count_flops(model, (2, 5, 9, 9))
    assert_unchanged(model, before)
    assert torch.backends.mha.get_fastpath_enabled() == fastpath_before


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_model_device() -> None:
    model = mixed_state_model().cuda()
    before = snapshot(model)
    report = count_flops(model, inputs=torch.randn(2, 3, 9, 9))
    assert report.macs > 0
    assert_unchanged(model, before)


@pytest.mark.parametrize(
    "input_size, named_value",
    [((2, 5, 9, 9), "(2, 5, 9, 9)"), ((1, 3, 2, 2), "(1, 3, 2, 2)")],
)
def test_wrong_input_size_names_size_and_model(
    input_size: tuple[int, ...], named_value: str
) -> None:
    # 5 channels do not fit the 3-channel conv, and 2 x 2 is smaller than its 3 x 3 kernel.
    model = nn.Sequential(nn.Conv2d(3, 4, 3))
    with pytest.raises(ValueError) as error:
        count_flops(model, input_size)
    assert named_value in str(error.value)
    assert "Sequential" in str(error.value)


@pytest.mark.parametrize(
    "kwargs, named_value",
    [
        ({}, "exactly one"),
        ({"input_size": (1, 3, 8, 8), "inputs": torch.zeros(1, 3, 8, 8)}, "exactly one"),
        ({"input_size": (1, 3, 0, 8)}, "input_size=(1, 3, 0, 8)"),
        ({"input_size": (1, 3, -8, 8)}, "input_size=(1, 3, -8, 8)"),
        ({"input_size": ()}, "input_size=()"),
    ],
)
def test_invalid_request_raises(kwargs: dict, named_value: str) -> None:
    with pytest.raises(ValueError) as error:
        count_flops(small_classifier(), **kwargs)
    assert named_value in str(error.value)
