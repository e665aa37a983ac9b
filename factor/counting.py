"""Count the parameters and FLOPs of a real model by running it once.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode``, which counts
2 FLOPs per multiply-accumulate of convolutions, matrix products and
attention. Bias additions, BatchNorm, activations and pooling count zero,
the same conventions as the closed forms in :mod:`factor.costs`. MACs are
reported as ``flops // 2``.

Counts are for the whole input batch, so MACs and FLOPs scale linearly with
the batch size N while parameters do not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

logger = logging.getLogger(__name__)

COLUMNS = ["module", "type", "params", "macs", "flops"]
ROOT_LABEL = "(root)"


@dataclass
class CostReport:
    """Measured parameters and FLOPs of a model on one input batch.

    Attributes:
        params: All parameters of the model, trainable or not.
        macs: Multiply-accumulates for the whole batch, ``flops // 2``.
        flops: FLOPs for the whole batch, 2 per multiply-accumulate.
        by_module: One row per module that owns parameters or does counted
            work outside its children, in the order the forward pass first
            calls them. Modules that own parameters but never run come last.
            Columns ``module`` (the qualified name, ``"(root)"`` for the model
            itself), ``type``, ``params``, ``macs`` and ``flops``. For most
            CNNs every row is a leaf module. The column sums equal ``params``,
            ``macs`` and ``flops``, and ``count_flops`` logs a warning if not.
        by_operator: FLOPs per ATen operator, e.g. ``"aten.convolution"``.
        input_size: Shape of the input batch, N first.
    """

    params: int
    macs: int
    flops: int
    by_module: pd.DataFrame
    by_operator: dict[str, int]
    input_size: tuple[int, ...]


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Count the elements of a module's parameters, each shared tensor once.

    Args:
        module: The module to count, including all its submodules.
        trainable_only: Count only parameters with ``requires_grad=True``.

    Returns:
        The number of scalar parameters. BatchNorm running statistics are
        buffers and do not count.
    """
    return sum(
        parameter.numel()
        for parameter in module.parameters()
        if parameter.requires_grad or not trainable_only
    )


def count_flops(
    model: nn.Module,
    input_size: tuple[int, ...] | None = None,
    inputs: torch.Tensor | None = None,
) -> CostReport:
    """Run ``model`` once under ``FlopCounterMode`` and report its costs.

    The model runs in eval mode under ``torch.no_grad`` on its own device,
    so BatchNorm running statistics do not change. Afterwards every
    submodule gets back its own training flag, also when the forward pass
    raises. Parameters keep their ``requires_grad`` and device.

    Args:
        model: The model to measure.
        input_size: Input shape N x C x H x W, batch included. The input is
            zeros of the model's dtype on the model's device.
        inputs: An input batch to use instead of ``input_size``. It is moved
            to the model's device.

    Returns:
        A :class:`CostReport` whose MACs and FLOPs cover the whole batch.

    Raises:
        ValueError: unless exactly one of ``input_size`` and ``inputs`` is
            given, when ``input_size`` has a non-positive entry, or when the
            forward pass fails on this input size.
    """
    batch = _make_inputs(model, input_size, inputs)
    shape = tuple(batch.shape)
    with _measurement_mode(model):
        call_order, counts = _run_counted(model, batch)

    flops = sum(counts.get("Global", {}).values())
    by_module = _module_table(model, call_order, counts)
    total_params = count_parameters(model)
    _check_sums(by_module, total_params, flops)
    return CostReport(
        params=total_params,
        macs=flops // 2,
        flops=flops,
        by_module=by_module,
        by_operator={str(op): count for op, count in counts.get("Global", {}).items()},
        input_size=shape,
    )


def _make_inputs(
    model: nn.Module, input_size: tuple[int, ...] | None, inputs: torch.Tensor | None
) -> torch.Tensor:
    """Build zeros of ``input_size``, or move ``inputs``, onto the model's device."""
    device, dtype = _device_and_dtype(model)
    if input_size is None and inputs is not None:
        return inputs.to(device)
    if input_size is None or inputs is not None:
        raise ValueError("pass exactly one of input_size and inputs to count_flops.")

    size = tuple(input_size)
    if not size or any(isinstance(n, bool) or not isinstance(n, int) or n <= 0 for n in size):
        raise ValueError(
            f"input_size={input_size!r} is invalid: pass positive ints N x C x H x W, "
            f"batch first."
        )
    return torch.zeros(size, device=device, dtype=dtype)


def _device_and_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Return the device of the first parameter or buffer and the first float dtype."""
    tensors = [*model.parameters(), *model.buffers()]
    device = tensors[0].device if tensors else torch.device("cpu")
    floats = [tensor.dtype for tensor in tensors if tensor.is_floating_point()]
    return device, floats[0] if floats else torch.get_default_dtype()


@contextmanager
def _measurement_mode(model: nn.Module) -> Iterator[None]:
    """Put ``model`` in eval mode under no_grad, then restore each module's flag.

    The fused fast path of ``nn.MultiheadAttention`` and
    ``nn.TransformerEncoderLayer`` runs as one operator that
    ``FlopCounterMode`` does not count, so it is switched off meanwhile.
    """
    training_flags = {module: module.training for module in model.modules()}
    fastpath_enabled = torch.backends.mha.get_fastpath_enabled()
    model.eval()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad():
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath_enabled)
        for module, training in training_flags.items():
            module.training = training


def _cpu_attention_flops(
    query_shape: torch.Size,
    key_shape: torch.Size,
    value_shape: torch.Size,
    *args: object,
    out_shape: torch.Size | None = None,
    **kwargs: object,
) -> int:
    """Count softmax(Q K^T) V on CPU at 2 FLOPs per multiply-add.

    ``FlopCounterMode`` in torch 2.14 has formulas for the CUDA attention
    kernels but none for the CPU flash-attention kernel. Q is
    N x heads x L x E, K is N x heads_kv x S x E and V is N x heads_kv x S x Ev.
    Q K^T takes ``L S E`` multiply-adds per head and the product with V
    takes ``L S Ev``.
    """
    batch, heads, query_length, head_dim = query_shape
    key_length = key_shape[-2]
    value_dim = value_shape[-1]
    return 2 * batch * heads * query_length * key_length * (head_dim + value_dim)


EXTRA_FLOP_FORMULAS = {
    torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _cpu_attention_flops,
}


def _run_counted(
    model: nn.Module, batch: torch.Tensor
) -> tuple[list[str], dict[str, dict[object, int]]]:
    """Run one forward pass and return the module call order and the FLOP counts.

    The counts are keyed as ``FlopCounterMode`` keys them: ``"Global"`` for
    all work, the model's class name for the root and
    ``"<class name>.<qualified name>"`` for submodules.
    """
    call_order: list[str] = []
    seen: set[str] = set()

    def record_call(name: str) -> None:
        if name not in seen:
            seen.add(name)
            call_order.append(name)

    handles = [
        module.register_forward_pre_hook(lambda *_, name=name: record_call(name))
        for name, module in model.named_modules()
    ]
    try:
        with FlopCounterMode(display=False, custom_mapping=EXTRA_FLOP_FORMULAS) as counter:
            model(batch)
    except (RuntimeError, AssertionError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ValueError(
            f"forward pass of {type(model).__name__} failed on input size "
            f"{tuple(batch.shape)} ({type(error).__name__}: {first_line}). Pass an "
            f"input size that {type(model).__name__} accepts, N x C x H x W."
        ) from error
    finally:
        for handle in handles:
            handle.remove()
    return call_order, counter.get_flop_counts()


def _module_table(
    model: nn.Module, call_order: list[str], counts: dict[str, dict[object, int]]
) -> pd.DataFrame:
    """Tabulate each module's own parameters and own FLOPs.

    A module's own FLOPs are its counted FLOPs minus those of its children.
    Because each name has exactly one parent name, the own counts add up to
    the model's total.
    """
    root_key = type(model).__name__
    modules = dict(model.named_modules())
    total_flops = {
        name: sum(counts.get(f"{root_key}.{name}" if name else root_key, {}).values())
        for name in modules
    }
    own_flops = dict(total_flops)
    for name in modules:
        if name:
            own_flops[_parent_name(name)] -= total_flops[name]
    own_params = dict.fromkeys(modules, 0)
    for name, parameter in model.named_parameters():
        own_params[_parent_name(name)] += parameter.numel()

    called = set(call_order)
    never_called = [name for name in modules if name not in called]
    rows = []
    for name in [*call_order, *never_called]:
        if own_params[name] or own_flops[name]:
            module_type = type(modules[name]).__name__
            flops = own_flops[name]
            rows.append([name or ROOT_LABEL, module_type, own_params[name], flops // 2, flops])
    return pd.DataFrame(rows, columns=COLUMNS).astype(
        {"params": "int64", "macs": "int64", "flops": "int64"}
    )


def _parent_name(name: str) -> str:
    """Return the qualified name of the module that owns ``name``."""
    return name.rpartition(".")[0]


def _check_sums(by_module: pd.DataFrame, params: int, flops: int) -> None:
    """Log a warning when the per-module table does not add up to the totals."""
    table_params = int(by_module["params"].sum())
    table_flops = int(by_module["flops"].sum())
    if table_params != params or table_flops != flops:
        logger.warning(
            "per-module table sums to %d params and %d FLOPs, but the totals are %d and %d",
            table_params,
            table_flops,
            params,
            flops,
        )
