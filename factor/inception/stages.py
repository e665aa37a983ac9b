"""Parameters and MACs of Inception v3 per stage, for both networks.

The stages follow Table 1 of Szegedy et al. (CVPR 2016): the stem, three 35x35 modules, the
35 -> 17 reduction, four 17x17 modules, the 17 -> 8 reduction, two 8x8
modules and the head (global pool, dropout, fc), plus the auxiliary
classifier. Counts come from :func:`factor.counting.count_flops`: MACs are
multiply-accumulates of convolutions and linear layers (FLOPs = 2 x MACs);
BatchNorm, ReLU and pooling count zero MACs, BatchNorm's scale and shift
count as parameters, and running statistics do not.

In eval mode the network skips the auxiliary classifier, so
``count_flops`` on the network reports zero MACs for it. ``stage_costs``
therefore counts the head separately on the tensor it receives in training
(the N x 768 x 17 x 17 output of Mixed_6e) and reports it as its own stage.
"""

from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from factor.counting import ROOT_LABEL, count_flops
from factor.inception.network import InceptionV3, inception_v3

STAGES: dict[str, tuple[str, ...]] = {
    "stem": (
        "Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1",
        "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2",
    ),
    "35x35 x3": ("Mixed_5b", "Mixed_5c", "Mixed_5d"),
    "reduction 35->17": ("Mixed_6a",),
    "17x17 x4": ("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"),
    "reduction 17->8": ("Mixed_7a",),
    "8x8 x2": ("Mixed_7b", "Mixed_7c"),
    "head": ("avgpool", "dropout", "fc"),
    "aux": ("AuxLogits",),
}
"""Stage name -> top-level attributes of :class:`InceptionV3`, in call order."""

AUX_STAGE = "aux"
COST_COLUMNS = ["params", "macs", "flops"]


def stage_of(module_name: str) -> str:
    """Return the stage of a qualified module name such as ``Mixed_6b.branch7x7_2.conv``.

    Raises:
        ValueError: If the top-level attribute belongs to no stage.
    """
    top = module_name.split(".", 1)[0]
    for stage, members in STAGES.items():
        if top in members:
            return stage
    raise ValueError(
        f"module {module_name!r} belongs to no Inception v3 stage; "
        f"expected a name under one of {[m for ms in STAGES.values() for m in ms]}"
    )


def stage_costs(model: InceptionV3, image_size: int = 299, batch_size: int = 1) -> pd.DataFrame:
    """Count parameters, MACs and FLOPs of each stage for one N x 3 x S x S batch.

    Returns:
        One row per stage in :data:`STAGES` order (the aux row only when the
        model has the auxiliary classifier), columns ``stage``, ``params``,
        ``macs``, ``flops``. MACs and FLOPs cover the whole batch.
    """
    grid: list[tuple[int, ...]] = []
    handle = model.Mixed_6e.register_forward_hook(
        lambda _module, _inputs, output: grid.append(tuple(output.shape))
    )
    try:
        report = count_flops(model, input_size=(batch_size, 3, image_size, image_size))
    finally:
        handle.remove()

    rows = report.by_module[report.by_module["module"] != ROOT_LABEL].copy()
    rows["stage"] = rows["module"].map(stage_of)
    table = rows.groupby("stage", sort=False)[COST_COLUMNS].sum()
    if model.AuxLogits is not None:
        table.loc[AUX_STAGE] = _aux_costs(model.AuxLogits, grid[0])
    order = [stage for stage in STAGES if stage in table.index]
    return table.loc[order].reset_index()


def _aux_costs(aux: nn.Module, input_shape: tuple[int, ...]) -> list[int]:
    report = count_flops(aux, input_size=input_shape)
    return [report.params, report.macs, report.flops]


def stage_comparison(image_size: int = 299, batch_size: int = 1) -> pd.DataFrame:
    """Tabulate both networks' costs per stage, with totals and the saving in percent.

    Both networks are built with the auxiliary classifier. Two total rows
    follow the stages: ``total (inference)`` without the aux stage, which is
    what an eval-mode forward runs, and ``total (training)`` with it. The
    saving is ``100 * (unfactorized - factorized) / unfactorized``.

    Returns:
        Columns ``stage``, ``params_factorized``, ``params_unfactorized``,
        ``params_saving_pct``, ``macs_factorized``, ``macs_unfactorized``,
        ``macs_saving_pct``.
    """
    tables = {
        label: stage_costs(inception_v3(factorized=flag), image_size, batch_size).set_index("stage")
        for label, flag in (("factorized", True), ("unfactorized", False))
    }
    combined = pd.DataFrame(index=tables["factorized"].index)
    for column in ("params", "macs"):
        for label, table in tables.items():
            combined[f"{column}_{label}"] = table[column]
    inference = combined.drop(index=AUX_STAGE).sum()
    combined.loc["total (inference)"] = inference
    combined.loc["total (training)"] = inference + combined.loc[AUX_STAGE]
    for column in ("params", "macs"):
        factorized = combined[f"{column}_factorized"]
        unfactorized = combined[f"{column}_unfactorized"]
        combined[f"{column}_saving_pct"] = 100 * (unfactorized - factorized) / unfactorized
    ordered = [
        "params_factorized", "params_unfactorized", "params_saving_pct",
        "macs_factorized", "macs_unfactorized", "macs_saving_pct",
    ]
    return combined[ordered].reset_index(names="stage")


def shape_trail(model: InceptionV3, image_size: int = 299, batch_size: int = 1) -> pd.DataFrame:
    """Record the output shape of each top-level layer in one eval-mode forward pass.

    AuxLogits does not run in eval mode and so has no row.

    Returns:
        Columns ``layer``, ``stage`` and ``shape`` (N x C x H x W, or N x F
        after the classifier), in call order.
    """
    rows: list[dict[str, object]] = []
    handles = [
        child.register_forward_hook(
            lambda _module, _inputs, output, name=name: rows.append(
                {"layer": name, "stage": stage_of(name), "shape": tuple(output.shape)}
            )
        )
        for name, child in model.named_children()
    ]
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(batch_size, 3, image_size, image_size))
    finally:
        for handle in handles:
            handle.remove()
    return pd.DataFrame(rows)
