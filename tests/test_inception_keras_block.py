"""Tests for factor.inception.keras_block: InceptionC in Keras 3 with PyTorch weights."""

import pytest
import torch

from factor.inception.blocks import InceptionC
from factor.inception.keras_block import (
    build_keras_inception_c,
    compare_with_keras,
    copy_torch_weights,
    keras_available,
)

pytestmark = pytest.mark.skipif(
    not keras_available(), reason="Keras 3 is not installed (pip install 'factor[keras]')"
)


@pytest.fixture(scope="module")
def torch_block():
    torch.manual_seed(0)
    block = InceptionC(32, channels_7x7=8)
    # Non-trivial BatchNorm statistics, so a swapped gamma/beta or mean/var shows.
    for module in block.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.2, 0.2)
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return block.eval()


def test_keras_matches_torch(torch_block):
    model = build_keras_inception_c(32, channels_7x7=8, grid=9)
    # 10 conv + BatchNorm layers: branch1x1, 3 + 5 in the 7x7 branches, branch_pool.
    assert copy_torch_weights(torch_block, model) == 10
    assert compare_with_keras(torch_block, model, torch.randn(2, 32, 9, 9)) <= 1e-5


def test_keras_same_pooling_differs_at_border(torch_block):
    model = build_keras_inception_c(32, channels_7x7=8, grid=9, pool_padding="same")
    copy_torch_weights(torch_block, model)
    # Keras averages only real pixels at the border; torchvision divides by 9.
    assert compare_with_keras(torch_block, model, torch.randn(2, 32, 9, 9)) > 1e-3


def test_keras_output_shape():
    model = build_keras_inception_c(768, channels_7x7=128)
    assert tuple(model.output.shape) == (None, 17, 17, 768)


def test_rejects_unknown_pool_padding():
    with pytest.raises(ValueError, match="pool_padding"):
        build_keras_inception_c(32, 8, pool_padding="reflect")


def test_copy_rejects_mismatched_model(torch_block):
    other = InceptionC(32, channels_7x7=8, factorized=False)
    model = build_keras_inception_c(32, channels_7x7=8, grid=9)
    # The counterpart has a 7x7 branch7x7_2 where the Keras model has a 1x7.
    with pytest.raises(ValueError):
        copy_torch_weights(other, model)
