"""Tests for factor.sweeps: counts against closed forms, table layout, latency columns."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from factor import costs
from factor.sweeps import (
    LatencySettings,
    channel_ratio_sweep,
    conv_arithmetic_intensity,
    grid_size_sweep,
    kernel_size_sweep,
    measure_variants,
    nonlinearity_comparison,
    pivot_ratio,
    resolve_device,
    savings,
    separable_comparison,
)

QUICK = LatencySettings(threads=1, batch_size=2, min_run_time=0.01, warmup=1)


@pytest.mark.parametrize("kernel_size", [3, 5, 7])
def test_kernel_size_sweep_matches_closed_forms(kernel_size):
    table = kernel_size_sweep(8, 9, [kernel_size])
    by_variant = table.set_index("variant")
    standard = costs.conv2d_cost(8, 8, kernel_size, (9, 9))
    factorized = costs.factorized_cost(8, 8, kernel_size, (9, 9), inner_norm=False, norm=False)
    assert by_variant.loc["standard", "macs"] == standard.macs
    assert by_variant.loc["factorized", "macs"] == factorized.macs
    assert by_variant.loc["factorized", "params"] == factorized.params
    # With C_in = C_mid = C_out the saving is exactly k / 2.
    saving = pivot_ratio(table, ["kernel_size"], "macs", "standard", "factorized")
    assert saving.loc[kernel_size] == pytest.approx(kernel_size / 2)


def test_kernel_size_sweep_layout():
    table = kernel_size_sweep(4, 6, [3, 5])
    assert list(table.columns) == ["kernel_size", "variant", "params", "macs"]
    assert list(table["kernel_size"]) == [3, 3, 5, 5]
    assert list(table["variant"]) == ["standard", "factorized"] * 2


def test_channel_ratio_sweep_break_even():
    # C_in = C_out = 8, k = 7: standard 49*64 per position, factorized 7*C_mid*16.
    # Break-even at C_mid = 49*64 / 112 = 28 = 3.5 * C_out.
    table = channel_ratio_sweep(8, 8, 7, 5, [1.0, 3.5, 4.0])
    saving = pivot_ratio(table, ["mid_ratio"], "macs", "standard", "factorized")
    assert saving.loc[1.0] == pytest.approx(3.5)
    assert saving.loc[3.5] == pytest.approx(1.0)
    assert saving.loc[4.0] < 1.0
    assert list(table["mid_channels"].unique()) == [8, 28, 32]


def test_channel_ratio_sweep_rejects_empty_middle():
    with pytest.raises(ValueError, match="mid_channels"):
        channel_ratio_sweep(8, 8, 7, 5, [0.01])


def test_grid_size_sweep_macs_scale_with_area():
    table = grid_size_sweep(4, 5, [4, 8])
    macs = table.set_index(["grid", "variant"])["macs"]
    # "same" padding: MACs = weights * H * W, so 8 x 8 costs 4 times 4 x 4.
    assert macs.loc[(8, "standard")] == 4 * macs.loc[(4, "standard")]
    assert macs.loc[(8, "factorized")] == 4 * macs.loc[(4, "factorized")]


def test_nonlinearity_adds_only_batchnorm_parameters():
    table = nonlinearity_comparison(8, 7, 5).set_index("variant")
    # BatchNorm between the convs adds 2 * C_mid = 16 parameters and no MACs.
    assert table.loc["nonlinear", "params"] - table.loc["linear", "params"] == 16
    assert table.loc["nonlinear", "macs"] == table.loc["linear", "macs"]


def test_separable_comparison_counts_halves():
    table = separable_comparison([(8, 6)], 3)
    by_variant = table.set_index("variant")
    separable = costs.separable_cost(8, 8, 3, (6, 6), inner_norm=False, norm=False)
    assert by_variant.loc["separable", "macs"] == separable.macs
    # Depthwise 8*9*36 = 2592 MACs, pointwise 8*8*36 = 2304; together the separable layer.
    assert by_variant.loc["depthwise", "macs"] == 2592
    assert by_variant.loc["pointwise", "macs"] == 2304
    assert by_variant.loc["separable", "macs"] == 2592 + 2304
    assert list(table.columns[:3]) == ["channels", "grid", "variant"]


def test_measure_variants_latency_columns():
    table = measure_variants({"conv": nn.Conv2d(4, 4, 3, padding=1)}, (4, 6, 6), QUICK)
    row = table.iloc[0]
    assert row["median_ms"] > 0
    assert row["iqr_ms"] >= 0
    assert row["threads"] == 1
    # gmacs_per_s = batch MACs / seconds / 1e9 with 4*4*9*36 = 5184 MACs per image.
    assert row["gmacs_per_s"] == pytest.approx(5184 * 2 / (row["median_ms"] / 1e3) / 1e9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (({}, (4, 6, 6)), "variants is empty"),
        (({"conv": nn.Conv2d(4, 4, 3)}, (4, 0, 6)), "height=0"),
    ],
)
def test_measure_variants_rejects_invalid_input(args, message):
    with pytest.raises(ValueError, match=message):
        measure_variants(*args)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # Dense 3x3, 16 -> 16 on 8 x 8: MACs 16*16*9*64 = 147456; elements
        # 16*64 + 2304 + 16*64 = 4352; 4 bytes each -> 147456 / 17408.
        ((16, 16, 3, 8), 147456 / 17408),
        # Depthwise 3x3, 16 channels on 8 x 8: MACs 16*9*64 = 9216; elements
        # 1024 + 144 + 1024 = 2192 -> 9216 / 8768, below 9 / 8.
        ((16, 16, 3, 8, 16), 9216 / 8768),
    ],
)
def test_conv_arithmetic_intensity(args, expected):
    assert conv_arithmetic_intensity(*args) == pytest.approx(expected)
    assert conv_arithmetic_intensity(16, 16, 3, 8, 16) < 9 / 8


def test_pivot_ratio_missing_variant_raises():
    table = kernel_size_sweep(4, 6, [3])
    with pytest.raises(KeyError):
        pivot_ratio(table, ["kernel_size"], "macs", "standard", "separable")


def test_savings_without_latency():
    table = kernel_size_sweep(8, 6, [3, 7])
    summary = savings(table, ["kernel_size"])
    assert list(summary.columns) == ["param_saving", "mac_saving"]
    # C_in = C_mid = C_out: MACs and weights both drop by k / 2.
    assert summary.loc[3, "mac_saving"] == pytest.approx(1.5)
    assert summary.loc[7, "param_saving"] == pytest.approx(3.5)


def test_savings_with_latency():
    table = kernel_size_sweep(4, 6, [3], QUICK)
    summary = savings(table, ["kernel_size"])
    times = table.set_index("variant")["median_ms"]
    assert summary.loc[3, "reference_ms"] == times["standard"]
    assert summary.loc[3, "candidate_ms"] == times["factorized"]
    assert summary.loc[3, "speedup"] == pytest.approx(times["standard"] / times["factorized"])
    assert summary["noisy"].dtype == bool


def test_resolve_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("cuda:1") == "cuda:1"
