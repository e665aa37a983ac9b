"""Tests for factor.inception.memory: peak bytes of live activations."""

import pytest
import torch
from torch import nn

from factor.inception.memory import peak_activation_memory


def toy(inplace: bool) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, bias=False), nn.ReLU(inplace=inplace), nn.Flatten())


def test_peak_counts_input_and_output_of_relu():
    result = peak_activation_memory(toy(inplace=False), (1, 1, 4, 4))
    # Conv output 1 x 2 x 4 x 4 float32 = 32 * 4 = 128 bytes. ReLU writes a new
    # 128-byte tensor while the conv output is still referenced: peak 256.
    # Flatten is a view of the ReLU output, so 128 bytes remain at the end.
    assert result.peak_bytes == 256
    assert result.final_bytes == 128
    # Two new 128-byte storages were written in all.
    assert result.allocated_bytes == 256


def test_inplace_relu_adds_nothing():
    result = peak_activation_memory(toy(inplace=True), (1, 1, 4, 4))
    # The in-place ReLU and the Flatten view share the conv output's 128 bytes.
    assert result.peak_bytes == 128


@pytest.mark.parametrize("batch_size", [1, 3])
def test_peak_scales_with_batch(batch_size):
    result = peak_activation_memory(toy(inplace=False), (batch_size, 1, 4, 4))
    assert result.peak_bytes == 256 * batch_size
    assert result.input_size == (batch_size, 1, 4, 4)


def test_rejects_bad_input_size():
    with pytest.raises(ValueError, match="four positive ints"):
        peak_activation_memory(toy(inplace=False), (1, 0, 4, 4))


def test_peak_by_child():
    result = peak_activation_memory(toy(inplace=False), (1, 1, 4, 4))
    # Children of the Sequential are named "0", "1", "2". During the conv only its
    # 128-byte output is new. During the ReLU both 128-byte tensors are alive.
    # During the Flatten the conv output is freed, and the view adds nothing.
    assert result.peak_by_child == {"0": 128, "1": 256, "2": 128}
