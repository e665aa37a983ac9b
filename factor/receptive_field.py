"""Analytic and gradient-based (effective) receptive fields.

The analytic receptive field of a chain of layers, per axis, is

    r = 1 + sum_i (k_i - 1) * d_i * prod_{j<i} s_j

with kernel size k, dilation d and stride s of layer i. So a 1×7 conv then
a 7×1 conv covers 7×7 input pixels, as do three stacked 3×3 convs.

The effective receptive field (ERF) follows Luo et al., "Understanding the
Effective Receptive Field in Deep Convolutional Neural Networks", NIPS 2016:
the magnitude of the gradient of one central output pixel with respect to
the input. Its support never exceeds the analytic receptive field, and for
a linear chain with generic weights it fills it exactly.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

logger = logging.getLogger(__name__)

Size2d = int | tuple[int, int]
"""A per-axis size in PyTorch's convention: an int for both axes or (height, width)."""


def receptive_field(
    kernel_sizes: Sequence[Size2d],
    strides: Sequence[Size2d] | None = None,
    dilations: Sequence[Size2d] | None = None,
) -> tuple[int, int]:
    """Compute the analytic receptive field (rf_h, rf_w) of a chain of layers.

    Args:
        kernel_sizes: Kernel size of each layer, in the order they are applied.
        strides: Stride of each layer. None means stride 1 everywhere.
        dilations: Dilation of each layer. None means dilation 1 everywhere.

    Returns:
        Height and width in input pixels. An empty chain returns (1, 1).

    Raises:
        ValueError: If the sequences differ in length or a value is not a positive int.
    """
    count = len(kernel_sizes)
    strides = [1] * count if strides is None else strides
    dilations = [1] * count if dilations is None else dilations
    if len(strides) != count or len(dilations) != count:
        raise ValueError(
            f"kernel_sizes, strides and dilations must have equal lengths, got "
            f"{count}, {len(strides)} and {len(dilations)}"
        )

    field = [1, 1]
    jump = [1, 1]  # product of the strides of the earlier layers, per axis
    for kernel_size, stride, dilation in zip(kernel_sizes, strides, dilations):
        kernel_pair = _pair(kernel_size, "kernel_size")
        stride_pair = _pair(stride, "stride")
        dilation_pair = _pair(dilation, "dilation")
        for axis in range(2):
            field[axis] += (kernel_pair[axis] - 1) * dilation_pair[axis] * jump[axis]
            jump[axis] *= stride_pair[axis]
    return field[0], field[1]


def chain_receptive_field(module: nn.Module) -> tuple[int, int]:
    """Compute the analytic receptive field of the convolutions and pools in ``module``.

    The Conv2d, MaxPool2d and AvgPool2d layers are taken in registration
    order (``module.modules()``, which includes ``module`` itself) and treated
    as one sequential chain. Other layers (BatchNorm, activations) do not
    change the receptive field and are skipped.

    NOTE: The result is only valid for a sequential chain. For a module with
    parallel branches, such as an Inception block, it adds the branches up
    as if they ran one after another, which overstates the receptive field.

    Raises:
        ValueError: If ``module`` contains no Conv2d, MaxPool2d or AvgPool2d layer.
    """
    kernel_sizes: list[Size2d] = []
    strides: list[Size2d] = []
    dilations: list[Size2d] = []
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
            kernel_sizes.append(layer.kernel_size)
            strides.append(layer.stride)
            dilations.append(layer.dilation)
        elif isinstance(layer, nn.AvgPool2d):
            kernel_sizes.append(layer.kernel_size)
            strides.append(layer.stride)
            dilations.append(1)
    if not kernel_sizes:
        raise ValueError(
            f"{type(module).__name__} contains no Conv2d, MaxPool2d or AvgPool2d layer; "
            "pass the module that holds the convolution chain"
        )
    return receptive_field(kernel_sizes, strides, dilations)


def effective_receptive_field(
    model: nn.Module,
    input_size: tuple[int, int, int, int],
    samples: int = 8,
    seed: int = 0,
    reinitialize: bool = False,
) -> np.ndarray:
    """Compute the gradient-based effective receptive field of the output's centre pixel.

    For each of ``samples`` Gaussian inputs of shape N×C×H×W, the output's
    centre pixel (N×C_out×H_out×W_out at row H_out // 2, column
    W_out // 2) is summed over batch and channels and back-propagated. The
    map is the absolute input gradient summed over input channels, averaged
    over batch and samples, and scaled so that its maximum is 1.

    The model runs as a deep copy in eval mode on the device and dtype of its
    first parameter (CPU and float32 for a model without parameters). The
    caller's model and torch's global random state are left unchanged.

    Args:
        model: Module mapping N×C×H×W to N×C_out×H_out×W_out.
        input_size: Input shape (N, C, H, W).
        samples: Number of random input batches to average over.
        seed: Seed of the input draws and, with ``reinitialize``, of the weights.
        reinitialize: Whether to call ``reset_parameters()`` on every
            submodule that has it, so the map shows the ERF at initialization
            (as in Luo et al.) instead of for the current weights.

    Returns:
        H×W float64 array with maximum 1. An all-zero gradient (for example
        through dead ReLUs) returns zeros and logs a warning.

    Raises:
        ValueError: If ``input_size`` or ``samples`` is invalid, or the output is not 4-D.
    """
    if len(input_size) != 4 or any(not isinstance(n, int) or n < 1 for n in input_size):
        raise ValueError(f"input_size must be four positive ints (N, C, H, W), got {input_size!r}")
    if not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a positive int, got {samples!r}")

    # The caller may be inside no_grad or inference_mode, and both would block
    # autograd. The copy is made inside the block so that its tensors are not
    # inference tensors.
    with torch.inference_mode(False), torch.enable_grad():
        probe = _prepare_copy(model, seed, reinitialize)
        reference = next(probe.parameters(), None)
        device = reference.device if reference is not None else torch.device("cpu")
        dtype = reference.dtype if reference is not None else torch.float32

        generator = torch.Generator().manual_seed(seed)
        total = torch.zeros(input_size[2:], dtype=torch.float64)
        for _ in range(samples):
            inputs = torch.randn(input_size, generator=generator, dtype=dtype).to(device)
            total += _centre_gradient(probe, inputs.requires_grad_())
    return _normalize(total / (samples * input_size[0]))


def erf_extent(erf_map: np.ndarray, threshold: float) -> tuple[int, int]:
    """Return the (height, width) of the bounding box of pixels above ``threshold * max``.

    The comparison is strict, so ``threshold=0`` gives the extent of the
    nonzero support, which for a linear chain equals the analytic receptive
    field. An all-zero map returns (0, 0).

    Raises:
        ValueError: If ``erf_map`` is not 2-D or ``threshold`` is outside [0, 1).
    """
    values = np.asarray(erf_map)
    if values.ndim != 2:
        raise ValueError(f"erf_map must be a 2-D H×W array, got shape {values.shape}")
    if not 0 <= threshold < 1:
        raise ValueError(
            f"threshold must be a fraction of the maximum in [0, 1), got {threshold!r}"
        )
    rows, columns = np.nonzero(values > threshold * values.max())
    if rows.size == 0:
        return 0, 0
    return int(rows.max() - rows.min() + 1), int(columns.max() - columns.min() + 1)


def _pair(value: Size2d, name: str) -> tuple[int, int]:
    """Expand an int to (value, value) and check that both entries are positive ints."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(not isinstance(n, int) or n < 1 for n in pair):
        raise ValueError(f"{name} must be a positive int or a pair of them, got {value!r}")
    return pair[0], pair[1]


def _prepare_copy(model: nn.Module, seed: int, reinitialize: bool) -> nn.Module:
    """Return an eval-mode deep copy, re-drawn from ``seed`` if ``reinitialize``."""
    probe = copy.deepcopy(model).eval()
    if reinitialize:
        # fork_rng restores the global CPU generator when the block exits.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for layer in probe.modules():
                if hasattr(layer, "reset_parameters"):
                    layer.reset_parameters()
    for parameter in probe.parameters():
        parameter.requires_grad_(False)
    return probe


def _centre_gradient(model: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Return the H×W sum over batch and channels of |d centre output / d input|."""
    outputs = model(inputs)
    if outputs.ndim != 4:
        raise ValueError(
            f"model output must be N×C×H×W, got shape {tuple(outputs.shape)}; "
            "pass the convolutional part of the model"
        )
    # N×C_out×H_out×W_out -> one scalar: all channels at the centre pixel.
    centre = outputs[:, :, outputs.shape[2] // 2, outputs.shape[3] // 2].sum()
    (gradient,) = torch.autograd.grad(centre, inputs)
    return gradient.abs().sum(dim=(0, 1)).double().cpu()  # N×C×H×W -> H×W


def _normalize(total: torch.Tensor) -> np.ndarray:
    """Scale the map to maximum 1, or return zeros with a warning if it is all zero."""
    peak = total.max().item()
    if peak == 0:
        logger.warning("effective receptive field is all zero: no gradient reached the input")
        return total.numpy()
    return (total / peak).numpy()
