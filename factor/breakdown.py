"""Group a model's measured cost by the kind of layer that performs it.

The grouping shows where the computation of a CNN goes: which share
of the multiply-adds sits in 1x1, 3x3, larger or asymmetric convolutions,
depthwise convolutions and fully connected layers.
"""

from __future__ import annotations

import pandas as pd
from torch import nn

from factor.counting import ROOT_LABEL, CostReport


def layer_kind(module: nn.Module) -> str:
    """Name the kind of a layer, e.g. ``"conv 3x3"``, ``"depthwise 3x3"`` or ``"linear"``."""
    if isinstance(module, nn.Conv2d):
        kernel_h, kernel_w = module.kernel_size
        if module.groups > 1 and module.groups == module.in_channels:
            return f"depthwise {kernel_h}x{kernel_w}"
        return f"conv {kernel_h}x{kernel_w}"
    if isinstance(module, nn.Linear):
        return "linear"
    return "other"


def cost_by_layer_kind(model: nn.Module, report: CostReport) -> pd.DataFrame:
    """Sum the per-module rows of ``report`` by layer kind.

    Args:
        model: The model that ``report`` was measured on.
        report: Output of :func:`factor.counting.count_flops` for ``model``.

    Returns:
        One row per layer kind with columns ``kind``, ``layers``, ``params``,
        ``macs`` and ``macs_share`` (fraction of the model's MACs), sorted by
        MACs, largest first.
    """
    modules = dict(model.named_modules())
    modules[ROOT_LABEL] = model  # the report names the root module ROOT_LABEL
    rows = report.by_module.copy()
    rows["kind"] = [layer_kind(modules[name]) for name in rows["module"]]
    grouped = rows.groupby("kind").agg(
        layers=("module", "count"), params=("params", "sum"), macs=("macs", "sum")
    )
    grouped["macs_share"] = grouped["macs"] / report.macs
    return grouped.sort_values("macs", ascending=False).reset_index()
