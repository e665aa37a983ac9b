"""Tests for factor.evidence: current rows of a result CSV and per-variant summaries."""

from __future__ import annotations

import pandas as pd
import pytest

from factor.evidence import current_results, variant_summary
from factor.experiment import RunSpec, get_profile, run_hash

SOURCE = "test-source"


def _row(variant: str, seed: int, epoch: int, accuracy: float, run_key: str | None = None) -> dict:
    spec = RunSpec(variant, 16, seed)
    return {
        "run_hash": run_key or run_hash(get_profile("smoke"), spec, SOURCE),
        "profile": "smoke", "variant": variant, "placement": 16, "seed": seed, "epoch": epoch,
        "test_accuracy": accuracy, "images_per_second": 100.0 + seed, "params": 1000,
        "data_source": SOURCE,
    }


def _write(tmp_path, rows) -> str:
    path = tmp_path / "results.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def test_missing_file_gives_empty_table(tmp_path):
    assert current_results("smoke", tmp_path / "absent.csv").empty


def test_stale_rows_are_dropped(tmp_path):
    rows = [
        _row("full", 0, 1, 0.2),
        _row("full", 0, 2, 0.3),
        _row("full", 1, 2, 0.4, run_key="0123456789abcdef"),  # hash of some older code
    ]
    results = current_results("smoke", _write(tmp_path, rows))
    assert len(results) == 2
    assert set(results["seed"]) == {0}


def test_variant_filter(tmp_path):
    rows = [_row("full", 0, 2, 0.3), _row("factorized", 0, 2, 0.5)]
    results = current_results("smoke", _write(tmp_path, rows), variants=["factorized"])
    assert list(results["variant"]) == ["factorized"]


def test_attention_variants_are_current(tmp_path):
    rows = [_row("factorized", 0, 2, 0.5), _row("factorized_se", 0, 2, 0.6), _row("factorized_strip", 0, 2, 0.4)]
    results = current_results("smoke", _write(tmp_path, rows))
    assert list(results["variant"]) == ["factorized", "factorized_se", "factorized_strip"]


def test_unknown_profile_raises(tmp_path):
    with pytest.raises(ValueError, match="profile='nope'"):
        current_results("nope", tmp_path / "absent.csv")


def test_variant_summary_means_final_epochs(tmp_path):
    rows = [
        _row("full", 0, 1, 0.10), _row("full", 0, 2, 0.30),
        _row("full", 1, 1, 0.20), _row("full", 1, 2, 0.50),
        _row("factorized", 0, 2, 0.60), _row("factorized", 1, 2, 0.60),
    ]
    results = current_results("smoke", _write(tmp_path, rows))
    table = variant_summary(results, 16, ["factorized", "full"])
    assert list(table.index) == ["factorized", "full"]
    # Final epochs of "full": 0.30 and 0.50, mean 0.40, sample std sqrt(0.02) = 0.1414.
    assert table.loc["full", "test_accuracy_mean"] == pytest.approx(0.40)
    assert table.loc["full", "test_accuracy_std"] == pytest.approx(0.02**0.5)
    # Throughput 100 + seed: mean of 100 and 101.
    assert table.loc["full", "images_per_second_mean"] == pytest.approx(100.5)
    assert table.loc["factorized", "seeds"] == 2
    assert table.loc["factorized", "params"] == 1000


@pytest.mark.parametrize(
    ("rows", "variants"),
    [
        ([], ["full"]),
        ([_row("full", 0, 2, 0.3), _row("full", 1, 2, 0.4)], ["full", "separable"]),
        ([_row("full", 0, 2, 0.3)], ["full"]),
    ],
    ids=["empty", "missing-variant", "one-seed"],
)
def test_variant_summary_none_when_incomplete(rows, variants):
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=["run_hash"])
    assert variant_summary(frame, 16, variants) is None
