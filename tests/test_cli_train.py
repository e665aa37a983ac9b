"""Tests for ``python -m factor train``: options, output and errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
import torch
from PIL import Image

from factor.cli import main
from factor.experiment import PROFILES


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two classes with the smoke profile's counts: 100 training and 50 test images each."""
    root = tmp_path_factory.mktemp("images")
    for split, count in (("train", 100), ("test", 50)):
        for name, value in (("dark", 40), ("bright", 200)):
            folder = root / split / name
            folder.mkdir(parents=True)
            for number in range(count):
                Image.new("RGB", (32, 32), (value, value, value)).save(folder / f"{number:04d}.png")
    return root


def train(*options: str) -> int:
    return main(["train", "--profile", "smoke", "--no-progress", *options])


def test_train_writes_csv_and_summary(image_folder: Path, tmp_path: Path, capsys) -> None:
    output = tmp_path / "out" / "results.csv"
    status = train(
        "--data", str(image_folder), "--output", str(output),
        "--variants", "full", "separable", "--placements", "16", "--seeds", "3", "4",
    )
    assert status == 0
    rows = pd.read_csv(output)
    # 2 variants x 2 seeds x 2 smoke epochs.
    assert len(rows) == 8
    assert sorted(rows["seed"].unique()) == [3, 4]
    assert set(rows["variant"]) == {"full", "separable"}
    printed = capsys.readouterr().out
    assert str(output) in printed
    assert "separable" in printed


def test_threads_option_is_recorded(image_folder: Path, tmp_path: Path, monkeypatch) -> None:
    # Give smoke no thread setting of its own, so the recorded count can only come from --threads.
    monkeypatch.setitem(PROFILES, "smoke", dataclasses.replace(PROFILES["smoke"], threads=None))
    before = torch.get_num_threads()
    output = tmp_path / "results.csv"
    status = train(
        "--data", str(image_folder), "--output", str(output),
        "--variants", "factorized", "--placements", "8", "--seeds", "0", "1", "--threads", "1",
    )
    assert status == 0
    assert set(pd.read_csv(output)["threads"]) == {1}
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--profile", "huge"], "invalid choice: 'huge'"),
        (["--variants", "stacked"], "invalid choice: 'stacked'"),
        (["--placements", "4"], "invalid choice: 4"),
    ],
)
def test_invalid_choice_exits(options: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *options])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_data_fails(tmp_path: Path, capsys) -> None:
    assert train("--data", str(tmp_path / "absent"), "--output", str(tmp_path / "r.csv")) == 2
    error = capsys.readouterr().err
    assert "absent does not exist" in error
    assert "--data" in error


def test_bad_layout_fails(tmp_path: Path, capsys) -> None:
    (tmp_path / "flat" / "train").mkdir(parents=True)
    assert train("--data", str(tmp_path / "flat"), "--output", str(tmp_path / "r.csv")) == 2
    assert "train contains no class folders" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_gpu_fails(image_folder: Path, tmp_path: Path, capsys) -> None:
    status = train("--data", str(image_folder), "--device", "cuda", "--output", str(tmp_path / "r.csv"))
    assert status == 2
    assert "no CUDA GPU" in capsys.readouterr().err


def test_unwritable_output_fails(image_folder: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "plain").write_text("")
    status = train("--data", str(image_folder), "--output", str(tmp_path / "plain" / "r.csv"))
    assert status == 2
    assert "is not writable" in capsys.readouterr().err


def test_zero_threads_fails(capsys) -> None:
    assert train("--threads", "0") == 2
    assert "--threads 0 is invalid" in capsys.readouterr().err


def test_negative_seed_fails(capsys) -> None:
    assert train("--seeds", "0", "-1") == 2
    assert "--seeds 0 -1 is invalid" in capsys.readouterr().err


def test_empty_grid_fails(tmp_path: Path, capsys) -> None:
    # separable trains only at the main placement (16), so this selects no run.
    assert train("--variants", "separable", "--placements", "32", "--output", str(tmp_path / "r.csv")) == 2
    error = capsys.readouterr().err
    assert "has no run for --variants separable at --placements 32" in error
    assert not (tmp_path / "r.csv").exists()
