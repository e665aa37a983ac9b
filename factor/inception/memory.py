"""Peak activation memory of one forward pass, from the bytes of live tensors.

Method: a ``TorchDispatchMode`` intercepts every ATen operator of the forward
pass. After each operator it drops the storages that Python has freed since
the last one, adds the storages of the operator's new outputs, and records
the running total. The peak is the largest total. Outputs that share a
storage with an input (views, in-place ReLU) add nothing. Weights, buffers
and the input tensor exist before the pass and are not counted.

What it does not see: scratch buffers that a kernel allocates and frees
inside one operator (oneDNN workspaces, im2col), allocator caching and
fragmentation. The figure is therefore a lower bound on the process's
extra resident memory; unlike a timing, it does not vary from run to run.

NOTE: ``TorchDispatchMode``, ``tree_flatten`` and ``StorageWeakRef`` come
from torch modules without a stability promise (checked with torch 2.14).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten


@dataclass(frozen=True)
class ActivationMemory:
    """Peak and final bytes of tensors created during one forward pass.

    Attributes:
        peak_bytes: Largest sum of live activation bytes after any operator.
        final_bytes: Bytes still live when the pass returned (its outputs).
        allocated_bytes: Sum of the sizes of all new storages, a measure of
            how many activation bytes the pass writes.
        operators: Number of ATen operators the pass ran.
        input_size: Input shape, N x C x H x W.
        peak_by_child: Peak while each top-level child of the model ran,
            by child name, in call order. It includes every tensor alive
            then, such as the module's input and finished branches.
    """

    peak_bytes: int
    final_bytes: int
    allocated_bytes: int
    operators: int
    input_size: tuple[int, int, int, int]
    peak_by_child: dict[str, int]

    @property
    def peak_mib(self) -> float:
        """Peak in MiB (2**20 bytes)."""
        return self.peak_bytes / 2**20


class _LiveTensorBytes(TorchDispatchMode):
    """Dispatch mode that tracks the bytes of storages created under it."""

    def __init__(self) -> None:
        super().__init__()
        self._live: dict[int, tuple[StorageWeakRef, int]] = {}
        self.current = 0
        self.peak = 0
        self.allocated = 0
        self.operators = 0
        self.label = ""
        self.peak_by_label: dict[str, int] = {}

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        inputs = {_storage_key(t) for t in tree_flatten((args, kwargs))[0] if isinstance(t, Tensor)}
        out = func(*args, **kwargs)
        self.operators += 1
        self._drop_freed()
        for tensor in tree_flatten(out)[0]:
            if isinstance(tensor, Tensor):
                self._add(tensor, inputs)
        self.peak = max(self.peak, self.current)
        self.peak_by_label[self.label] = max(self.peak_by_label.get(self.label, 0), self.current)
        return out

    def _drop_freed(self) -> None:
        freed = [key for key, (ref, _) in self._live.items() if ref.expired()]
        for key in freed:
            self.current -= self._live.pop(key)[1]

    def _add(self, tensor: Tensor, inputs: set[int]) -> None:
        key = _storage_key(tensor)
        if key in self._live or key in inputs:
            return
        storage = tensor.untyped_storage()
        self._live[key] = (StorageWeakRef(storage), storage.nbytes())
        self.current += storage.nbytes()
        self.allocated += storage.nbytes()


def _storage_key(tensor: Tensor) -> int:
    return tensor.untyped_storage().data_ptr()


def peak_activation_memory(
    model: nn.Module, input_size: tuple[int, int, int, int], seed: int = 0
) -> ActivationMemory:
    """Measure the peak bytes of live activations in one eval-mode, no-grad forward pass.

    The model is switched to eval mode. The count is exact for the tensors
    it intercepts (see the module docstring) and independent of timing.
    Operators outside any top-level child are attributed to ``""``.
    """
    if len(input_size) != 4 or min(input_size) < 1:
        raise ValueError(f"input_size must be four positive ints (N, C, H, W), got {input_size!r}")
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(input_size, generator=generator)
    model.eval()
    tracker = _LiveTensorBytes()
    handles = [
        child.register_forward_pre_hook(lambda *_, name=name: setattr(tracker, "label", name))
        for name, child in model.named_children()
    ]
    try:
        with torch.no_grad(), tracker:
            output = model(x)
            tracker._drop_freed()
            final = tracker.current
    finally:
        for handle in handles:
            handle.remove()
    del output
    return ActivationMemory(
        tracker.peak, final, tracker.allocated, tracker.operators, tuple(input_size), dict(tracker.peak_by_label)
    )
