"""Tests for factor.latency: result structure, caller isolation and validation.

Timings are kept short (min_run_time of a few hundredths of a second) and
no assertion depends on an absolute time. The one comparison of two models
uses a 16-fold workload difference and asks only for a 2-fold gap.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import torch
from torch import nn

from factor.latency import NOISY_IQR_RATIO, LatencyResult, compare_latency, measure_latency
from factor.provenance import cpu_name

QUICK = {"min_run_time": 0.05, "warmup": 1, "threads": 1}
INPUT_SIZE = (2, 8, 16, 16)


def _small_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())


def test_result_structure_and_units() -> None:
    result = measure_latency(_small_model(), INPUT_SIZE, **QUICK)
    assert isinstance(result, LatencyResult)
    assert result.runs >= 1
    # Seconds, not milliseconds: a tiny conv on 2×8×16×16 takes well under 1 s per batch.
    assert 0 < result.median_s < 1.0
    assert result.iqr_s >= 0
    assert result.mean_s > 0
    # per_image_s = median_s / N with N = 2.
    assert result.per_image_s == pytest.approx(result.median_s / 2)
    assert result.batch_size == 2
    assert result.threads == 1
    assert result.memory_format == "contiguous"
    assert result.dtype == "float32"
    assert result.device == cpu_name()
    assert result.noisy == (result.iqr_s / result.median_s > NOISY_IQR_RATIO)


def test_result_is_frozen() -> None:
    result = measure_latency(_small_model(), INPUT_SIZE, **QUICK)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.median_s = 0.0  # type: ignore[misc]


def test_as_dict_has_every_field() -> None:
    result = measure_latency(_small_model(), INPUT_SIZE, **QUICK)
    row = result.as_dict()
    assert list(row) == [field.name for field in dataclasses.fields(LatencyResult)]
    assert row["median_s"] == result.median_s


@pytest.mark.parametrize("memory_format", ["contiguous", "channels_last"])
def test_memory_format_recorded(memory_format: str) -> None:
    result = measure_latency(_small_model(), INPUT_SIZE, memory_format=memory_format, **QUICK)
    assert result.memory_format == memory_format


def test_dtype_recorded() -> None:
    result = measure_latency(_small_model(), INPUT_SIZE, dtype=torch.float64, **QUICK)
    assert result.dtype == "float64"


def test_threads_none_keeps_current_setting() -> None:
    arguments = {**QUICK, "threads": None}
    result = measure_latency(_small_model(), INPUT_SIZE, **arguments)
    assert result.threads == torch.get_num_threads()


def test_thread_setting_restored() -> None:
    before = torch.get_num_threads()
    measure_latency(_small_model(), INPUT_SIZE, **QUICK)
    assert torch.get_num_threads() == before


def test_caller_model_unchanged() -> None:
    model = _small_model().train()
    model[0].weight.requires_grad_(False)
    state_before = {name: tensor.clone() for name, tensor in model.state_dict().items()}

    measure_latency(model, INPUT_SIZE, memory_format="channels_last", dtype=torch.float64, **QUICK)

    assert model.training
    assert all(module.training for module in model.modules())
    assert not model[0].weight.requires_grad
    assert model[0].bias.requires_grad
    for name, tensor in model.state_dict().items():
        # BatchNorm running stats and num_batches_tracked stay as before: eval mode on a copy.
        assert torch.equal(tensor, state_before[name]), name
        assert tensor.dtype == state_before[name].dtype, name
        assert tensor.device.type == "cpu"
    assert model[0].weight.is_contiguous()


def test_larger_workload_is_slower() -> None:
    # Widening a 3×3 conv from 16 to 64 channels on both sides multiplies its
    # MACs by (64 / 16)^2 = 16. Asking for only a 2-fold gap in the medians
    # leaves room for timer overhead and noise.
    small = nn.Conv2d(16, 16, 3, padding=1, bias=False)
    large = nn.Conv2d(64, 64, 3, padding=1, bias=False)
    small_result = measure_latency(small, (1, 16, 32, 32), min_run_time=0.1, warmup=2, threads=1)
    large_input = (1, 64, 32, 32)
    large_result = measure_latency(large, large_input, min_run_time=0.1, warmup=2, threads=1)
    assert large_result.median_s > 2 * small_result.median_s


def test_compare_latency_table() -> None:
    models = {"conv3x3": nn.Conv2d(8, 8, 3, padding=1), "identity": nn.Identity()}
    table = compare_latency(models, INPUT_SIZE, **QUICK)
    assert isinstance(table, pd.DataFrame)
    assert list(table["model"]) == ["conv3x3", "identity"]
    expected_columns = ["model", *(field.name for field in dataclasses.fields(LatencyResult))]
    assert list(table.columns) == [*expected_columns, "relative_median"]
    # The first model is the reference, so its ratio is exactly median / median = 1.
    assert table["relative_median"].iloc[0] == 1.0
    ratio = table["median_s"].iloc[1] / table["median_s"].iloc[0]
    assert table["relative_median"].iloc[1] == pytest.approx(ratio)


def test_compare_latency_rejects_empty() -> None:
    with pytest.raises(ValueError, match="models is empty"):
        compare_latency({}, INPUT_SIZE, **QUICK)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"memory_format": "nhwc"}, "memory_format must be one of .*'nhwc'"),
        ({"memory_format": "channels_first"}, "'channels_first'"),
        ({"threads": 0}, "threads must be a positive int"),
        ({"min_run_time": 0.0}, "min_run_time must be positive"),
        ({"warmup": -1}, "warmup must be zero or a positive count"),
    ],
)
def test_measure_latency_rejects_invalid_arguments(arguments: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        measure_latency(_small_model(), INPUT_SIZE, **{**QUICK, **arguments})


@pytest.mark.parametrize("input_size", [(8, 16, 16), (2, 8, 16, 0), (2, 8, 16.0, 16)])
def test_measure_latency_rejects_invalid_input_size(input_size: tuple) -> None:
    with pytest.raises(ValueError, match="input_size must be four positive ints"):
        measure_latency(_small_model(), input_size, **QUICK)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_measure_latency_rejects_cuda_without_gpu() -> None:
    with pytest.raises(ValueError, match="CUDA is not available"):
        measure_latency(_small_model(), INPUT_SIZE, device="cuda", **QUICK)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_measure_latency_on_cuda() -> None:
    model = _small_model()
    result = measure_latency(model, INPUT_SIZE, device="cuda", **QUICK)
    assert result.device == torch.cuda.get_device_name(torch.device("cuda"))
    assert result.median_s > 0
    assert next(model.parameters()).device.type == "cpu"
