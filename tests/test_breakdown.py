"""Tests for grouping measured cost by layer kind."""

from __future__ import annotations

import pytest
from torch import nn

from factor.breakdown import cost_by_layer_kind, layer_kind
from factor.counting import count_flops


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (nn.Conv2d(4, 8, 3), "conv 3x3"),
        (nn.Conv2d(4, 8, (1, 7)), "conv 1x7"),
        (nn.Conv2d(8, 8, 5, groups=8), "depthwise 5x5"),
        (nn.Conv2d(8, 16, 3, groups=2), "conv 3x3"),
        (nn.Linear(4, 2), "linear"),
        (nn.ReLU(), "other"),
    ],
)
def test_layer_kind(module, expected):
    assert layer_kind(module) == expected


def test_cost_by_layer_kind_on_toy_network():
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),  # 3*8*9 = 216 weights
        nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False),  # 8*9 = 72 weights
        nn.Conv2d(8, 16, 1, bias=False),  # 8*16 = 128 weights
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),  # 160 weights + 10 biases
    )
    report = count_flops(model, input_size=(1, 3, 4, 4))
    table = cost_by_layer_kind(model, report).set_index("kind")

    # Each convolution weight is used at 4*4 = 16 positions.
    assert table.loc["conv 3x3", "macs"] == 216 * 16
    assert table.loc["depthwise 3x3", "macs"] == 72 * 16
    assert table.loc["conv 1x1", "macs"] == 128 * 16
    assert table.loc["linear", "macs"] == 160
    assert table.loc["linear", "params"] == 170
    assert table["macs"].sum() == report.macs
    assert table["macs_share"].sum() == pytest.approx(1.0)
    assert list(table.index[:1]) == ["conv 3x3"]  # largest first


def test_cost_by_layer_kind_bare_layer():
    # A bare layer is its own root module: 4*8*3*3 = 288 weights at 5*5 = 25 positions.
    layer = nn.Conv2d(4, 8, 3, padding=1, bias=False)
    table = cost_by_layer_kind(layer, count_flops(layer, input_size=(1, 4, 5, 5)))
    assert table["kind"].tolist() == ["conv 3x3"]
    assert table["macs"].tolist() == [288 * 25]
