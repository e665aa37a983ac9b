"""The factorized 17x17 module (InceptionC) in Keras 3, with weights copied from PyTorch.

Keras is an optional extra (``pip install 'factor[keras]'``). Keras 3 picks
its backend from the ``KERAS_BACKEND`` environment variable when it is first
imported; :func:`import_keras` defaults it to ``"torch"``, and a reader with
TensorFlow sets ``KERAS_BACKEND=tensorflow`` first and runs the same code.

Conventions that differ between the two frameworks, and how this module
bridges them:

* Layout: Keras uses N x H x W x C (channels last), PyTorch N x C x H x W.
* Conv kernels: Keras stores kH x kW x C_in x C_out, PyTorch
  C_out x C_in x kH x kW, so a PyTorch weight is permuted by (2, 3, 1, 0).
* BatchNorm: both use ``epsilon`` the same way. Keras's ``momentum`` is the
  weight of the old moving average (default 0.99), PyTorch's the weight of
  the new batch statistic (default 0.1), so ``keras = 1 - torch``.
* Average pooling: Keras's ``padding="same"`` averages only the real
  pixels at the border, torchvision's Inception v3 divides by 9 including
  the zero padding. The Keras model pads with zeros explicitly and pools
  with ``padding="valid"`` to match.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

import numpy as np
import torch

from factor.inception.blocks import InceptionC

KERAS_INSTALL_HINT = (
    "Keras 3 is not installed: install the optional extra with "
    "`pip install 'factor[keras]'` (or `pip install 'keras>=3,<4'`)"
)


def import_keras() -> ModuleType:
    """Import Keras 3, defaulting ``KERAS_BACKEND`` to ``"torch"`` if it is unset.

    Raises:
        ImportError: If Keras (or the chosen backend) is missing, with the
            command that installs it.
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError as error:
        raise ImportError(f"{KERAS_INSTALL_HINT} ({error})") from error
    return keras


def keras_available() -> bool:
    """Tell whether :func:`import_keras` would succeed."""
    try:
        import_keras()
    except ImportError:
        return False
    return True


def build_keras_inception_c(
    in_channels: int,
    channels_7x7: int,
    grid: int = 17,
    eps: float = 0.001,
    momentum: float = 0.9,
    pool_padding: str = "zeros",
) -> Any:
    """Build InceptionC as a Keras functional model, N x grid x grid x C_in -> N x grid x grid x 768.

    Layer names are the PyTorch attribute names plus ``_conv`` / ``_bn``, so
    :func:`copy_torch_weights` can match them.

    Args:
        in_channels: Input channels (768 in Inception v3).
        channels_7x7: Width of the 1x7 / 7x1 chains.
        grid: Height and width of the input.
        eps: BatchNorm epsilon, 0.001 as in Inception v3.
        momentum: Keras BatchNorm momentum, ``1 - torch_momentum``.
        pool_padding: ``"zeros"`` pads explicitly so the average counts the
            padding as torchvision does; ``"same"`` uses Keras's own border
            rule, which differs at the border.
    """
    if pool_padding not in ("zeros", "same"):
        raise ValueError(f"pool_padding must be 'zeros' or 'same', got {pool_padding!r}")
    keras = import_keras()
    layers = keras.layers

    def conv_bn_relu(x: Any, name: str, filters: int, kernel_size: tuple[int, int]) -> Any:
        x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(epsilon=eps, momentum=momentum, name=f"{name}_bn")(x)
        return layers.ReLU(name=f"{name}_relu")(x)

    c7 = channels_7x7
    inputs = keras.Input(shape=(grid, grid, in_channels))
    branch1x1 = conv_bn_relu(inputs, "branch1x1", 192, (1, 1))

    branch7x7 = conv_bn_relu(inputs, "branch7x7_1", c7, (1, 1))
    branch7x7 = conv_bn_relu(branch7x7, "branch7x7_2", c7, (1, 7))
    branch7x7 = conv_bn_relu(branch7x7, "branch7x7_3", 192, (7, 1))

    branch7x7dbl = conv_bn_relu(inputs, "branch7x7dbl_1", c7, (1, 1))
    branch7x7dbl = conv_bn_relu(branch7x7dbl, "branch7x7dbl_2", c7, (7, 1))
    branch7x7dbl = conv_bn_relu(branch7x7dbl, "branch7x7dbl_3", c7, (1, 7))
    branch7x7dbl = conv_bn_relu(branch7x7dbl, "branch7x7dbl_4", c7, (7, 1))
    branch7x7dbl = conv_bn_relu(branch7x7dbl, "branch7x7dbl_5", 192, (1, 7))

    if pool_padding == "zeros":
        pooled = layers.ZeroPadding2D(1)(inputs)
        pooled = layers.AveragePooling2D(3, strides=1, padding="valid")(pooled)
    else:
        pooled = layers.AveragePooling2D(3, strides=1, padding="same")(inputs)
    branch_pool = conv_bn_relu(pooled, "branch_pool", 192, (1, 1))

    outputs = layers.Concatenate(axis=-1)([branch1x1, branch7x7, branch7x7dbl, branch_pool])
    return keras.Model(inputs, outputs, name="InceptionC")


def copy_torch_weights(block: InceptionC, model: Any) -> int:
    """Copy every conv and BatchNorm of a PyTorch InceptionC into the Keras model.

    Returns:
        The number of PyTorch layers copied.

    Raises:
        ValueError: If a PyTorch layer has no Keras counterpart of the same
            name, or a Keras conv/BatchNorm layer receives no weights.
    """
    keras_names = {layer.name for layer in model.layers if layer.name.endswith(("_conv", "_bn"))}
    copied: set[str] = set()
    for entry in block.branch_layers:
        layer = block.get_submodule(entry.name)
        conv_name, bn_name = f"{entry.name}_conv", f"{entry.name}_bn"
        if conv_name not in keras_names or bn_name not in keras_names:
            raise ValueError(f"Keras model has no layers {conv_name!r} / {bn_name!r}")
        # PyTorch C_out x C_in x kH x kW -> Keras kH x kW x C_in x C_out.
        kernel = layer.conv.weight.detach().permute(2, 3, 1, 0).cpu().numpy()
        model.get_layer(conv_name).set_weights([kernel])
        bn = layer.bn
        statistics = [bn.weight, bn.bias, bn.running_mean, bn.running_var]
        model.get_layer(bn_name).set_weights([t.detach().cpu().numpy() for t in statistics])
        copied.update((conv_name, bn_name))
    left = sorted(keras_names - copied)
    if left:
        raise ValueError(f"Keras layers {left} received no PyTorch weights")
    return len(block.branch_layers)


def compare_with_keras(block: InceptionC, model: Any, x: torch.Tensor) -> float:
    """Run both modules in inference mode on ``x`` (N x C x H x W); return the max abs difference."""
    keras = import_keras()
    block.eval()
    with torch.no_grad():
        expected = block(x).cpu().numpy()
    channels_last = np.ascontiguousarray(x.detach().cpu().numpy().transpose(0, 2, 3, 1))
    actual = keras.ops.convert_to_numpy(model(channels_last, training=False))
    return float(np.abs(actual.transpose(0, 3, 1, 2) - expected).max())
