"""Tests for ``python -m factor count``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from torchvision.models import Inception3, ResNet, ResNet18_Weights

from factor import cli
from factor.count_command import build_model, classification_model_names, default_input_size

torch.set_num_threads(1)

# torchvision's weight metadata: "num_params" and "_ops" (GMACs at 224 x 224).
RESNET18_META = ResNet18_Weights.IMAGENET1K_V1.meta
RESNET18_PARAMS = RESNET18_META["num_params"]


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["count", "resnet18", "--input-size", "64", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert status == 0
    assert result["model"] == "resnet18"
    assert result["input_size"] == [1, 3, 64, 64]
    assert result["params"] == RESNET18_PARAMS
    assert result["flops"] == 2 * result["macs"]
    assert sum(row["flops"] for row in result["by_module"]) == result["flops"]


def test_batch_size_scales_macs(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["count", "resnet18", "--input-size", "32", "--json"])
    single = json.loads(capsys.readouterr().out)
    cli.main(["count", "resnet18", "--input-size", "32", "--batch-size", "3", "--json"])
    triple = json.loads(capsys.readouterr().out)
    assert triple["input_size"] == [3, 3, 32, 32]
    assert triple["macs"] == 3 * single["macs"]
    assert triple["params"] == single["params"]


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["count", "resnet18", "--input-size", "64"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.splitlines()[0] == "network:    torchvision resnet18"
    assert "model:      resnet18" in out
    assert "input size: 1 x 3 x 64 x 64" in out
    assert f"params:     {RESNET18_PARAMS:,}" in out
    assert "FLOPs:" in out
    table_header = out.splitlines()[7].split()
    assert table_header == ["module", "type", "params", "macs", "flops"]
    assert "layer4.1.conv2" in out


def test_bad_model_name(capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["count", "resnet19"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "'resnet19'" in captured.err
    assert "resnet18" in captured.err  # the closest match


@pytest.mark.parametrize(
    "arguments, named_value",
    [
        (["resnet18", "--input-size", "0"], "--input-size 0"),
        (["resnet18", "--input-size", "-32"], "--input-size -32"),
        (["resnet18", "--batch-size", "0"], "--batch-size 0"),
        # Inception v3 needs at least 75 x 75, so 40 x 40 fails inside the forward pass.
        (["inception_v3", "--input-size", "40"], "(1, 3, 40, 40)"),
    ],
)
def test_bad_input_size(
    capsys: pytest.CaptureFixture[str], arguments: list[str], named_value: str
) -> None:
    status = cli.main(["count", *arguments])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert named_value in captured.err


def test_default_input_sizes() -> None:
    assert default_input_size("inception_v3") == 299
    assert default_input_size("resnet18") == 224


def test_build_model() -> None:
    assert isinstance(build_model("resnet18"), ResNet)
    assert isinstance(build_model("inception_v3"), Inception3)
    assert "inception_v3" in classification_model_names()
    with pytest.raises(ValueError, match="did you mean inception_v3"):
        build_model("inception_v4")


def test_subprocess_json() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "factor", "count", "resnet18", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["input_size"] == [1, 3, 224, 224]
    assert result["params"] == RESNET18_PARAMS
    # torchvision gives _ops to 3 decimals, 1.814 for resnet18.
    assert round(result["macs"] / 1e9, 3) == RESNET18_META["_ops"]
