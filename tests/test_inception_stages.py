"""Tests for factor.inception.stages: per-stage parameters and MACs."""

import pytest
import torch
import torchvision

from factor.counting import count_flops
from factor.inception.network import inception_v3
from factor.inception.stages import STAGES, shape_trail, stage_comparison, stage_costs, stage_of


@pytest.mark.parametrize(
    ("module", "stage"),
    [
        ("Conv2d_2b_3x3.conv", "stem"),
        ("Mixed_5c.branch3x3dbl_3.bn", "35x35 x3"),
        ("Mixed_6a.branch3x3.conv", "reduction 35->17"),
        ("Mixed_6e.branch7x7dbl_5.conv", "17x17 x4"),
        ("Mixed_7a.branch7x7x3_4.conv", "reduction 17->8"),
        ("Mixed_7c.branch3x3_2b.conv", "8x8 x2"),
        ("fc", "head"),
        ("AuxLogits.conv1.conv", "aux"),
    ],
)
def test_stage_of(module, stage):
    assert stage_of(module) == stage


def test_stage_of_rejects_unknown():
    with pytest.raises(ValueError, match="belongs to no Inception v3 stage"):
        stage_of("classifier.weight")


def test_stages_cover_every_child():
    listed = [name for members in STAGES.values() for name in members]
    assert sorted(listed) == sorted(name for name, _ in inception_v3().named_children())


@pytest.fixture(scope="module")
def comparison():
    return stage_comparison(image_size=299, batch_size=1).set_index("stage")


def test_stage_rows_sum_to_count_flops(comparison):
    # Eval mode skips AuxLogits: its MACs are not in the network's count, its parameters are.
    stages = comparison.drop(index=["aux", "total (inference)", "total (training)"])
    assert stages["macs_factorized"].sum() == comparison.loc["total (inference)", "macs_factorized"]
    assert stages["params_factorized"].sum() + comparison.loc["aux", "params_factorized"] == (
        comparison.loc["total (training)", "params_factorized"]
    )


def test_totals_match_torchvision_meta(comparison):
    meta = torchvision.models.Inception_V3_Weights.IMAGENET1K_V1.meta
    # meta["num_params"] counts the aux classifier; meta["_ops"] is in giga units
    # rounded to 3 decimals, and our inference MACs round to the same figure.
    assert comparison.loc["total (training)", "params_factorized"] == meta["num_params"]
    assert round(comparison.loc["total (inference)", "macs_factorized"] / 1e9, 3) == meta["_ops"]


def test_unchanged_stages_have_zero_saving(comparison):
    for stage in ("stem", "reduction 35->17", "head", "aux"):
        assert comparison.loc[stage, "params_saving_pct"] == 0
        assert comparison.loc[stage, "macs_saving_pct"] == 0


@pytest.mark.parametrize("factorized", [True, False])
def test_17x17_macs_by_hand(comparison, factorized):
    model = inception_v3(factorized=factorized)
    weights = sum(
        module.weight.numel()
        for name in STAGES["17x17 x4"]
        for module in getattr(model, name).modules()
        if isinstance(module, torch.nn.Conv2d)
    )
    # Every conv in the 17x17 modules is stride 1 with size-preserving padding,
    # so each weight is used once per output pixel: MACs = 17 * 17 * weights.
    label = "factorized" if factorized else "unfactorized"
    assert comparison.loc["17x17 x4", f"macs_{label}"] == 17 * 17 * weights


def test_stage_costs_without_aux():
    model = inception_v3(aux_logits=False)
    table = stage_costs(model, image_size=75)
    report = count_flops(model, input_size=(1, 3, 75, 75))
    assert list(table["stage"]) == [s for s in STAGES if s != "aux"]
    assert table["macs"].sum() == report.macs
    assert table["params"].sum() == report.params


def test_shape_trail_at_299():
    table = shape_trail(inception_v3(factorized=False), image_size=299).set_index("layer")
    # The counterpart keeps every grid: 35 after the stem, 17 and 8 after the reductions.
    assert table.loc["maxpool2", "shape"] == (1, 192, 35, 35)
    assert table.loc["Mixed_5d", "shape"] == (1, 288, 35, 35)
    assert table.loc["Mixed_6e", "shape"] == (1, 768, 17, 17)
    assert table.loc["Mixed_7c", "shape"] == (1, 2048, 8, 8)
    assert table.loc["fc", "shape"] == (1, 1000)
    assert "AuxLogits" not in table.index
