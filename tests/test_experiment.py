"""Tests for factor.experiment: profiles, grid, run hash, CSV files, resume, analysis, statistics."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd
import pytest
import torch
from PIL import Image

import factor.train
from factor.experiment import (
    PROFILES,
    Profile,
    RunSpec,
    build_grid,
    check_writable,
    get_profile,
    read_results,
    run_experiment,
    run_hash,
    write_csv_atomic,
)
from factor.experiment import runner
from factor.experiment.analysis import compare, compare_samples, compare_spread, learning_curves, summarize, verdict
from factor.experiment.stats import (
    f_cdf,
    f_quantile,
    regularized_incomplete_beta,
    student_t_cdf,
    student_t_quantile,
    variance_ratio_test,
    welch_t_test,
)
from factor.train import TrainConfig

TINY = Profile(
    name="tiny",
    train=TrainConfig(epochs=2, learning_rate=0.05),
    train_size=16,
    test_size=8,
    batch_size=8,
    eval_batch_size=8,
    width=2,
    kernel_size=3,
    num_seeds=2,
    threads=1,
)
PROVENANCE_COLUMNS = [
    "git_commit", "python", "torch", "torchvision", "numpy", "cpu", "gpu", "threads",
    "profile", "data_source", "seed", "device", "timestamp_utc",
]
METRICS = ["train_loss", "train_accuracy", "test_loss", "test_accuracy"]


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two classes of noisy 32x32 PNGs, dark and bright: 12 training and 6 test images each."""
    root = tmp_path_factory.mktemp("images")
    generator = torch.Generator().manual_seed(0)
    for split, count in (("train", 12), ("test", 6)):
        for label, (name, base) in enumerate((("dark", 40), ("bright", 200))):
            folder = root / split / name
            folder.mkdir(parents=True)
            for number in range(count):
                noise = torch.randint(-30, 30, (32, 32, 3), generator=generator)
                pixels = (noise + base).clamp(0, 255).to(torch.uint8).numpy()
                Image.fromarray(pixels).save(folder / f"{number:04d}.png")
    return root


def run_tiny(image_folder: Path, tmp_path: Path, output: Path, profile: Profile = TINY) -> pd.DataFrame:
    return run_experiment(
        profile, data=image_folder, output=output, variants=["full", "factorized"],
        placements=[16], progress=False, cache_dir=tmp_path / "cache",
    )


# --- profiles and grid -----------------------------------------------------------------------


def test_unknown_profile_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="smoke, default, full"):
        get_profile("huge")


def test_default_profile_has_three_seeds() -> None:
    assert get_profile("default").num_seeds >= 3
    assert get_profile("full").num_seeds == 5
    assert get_profile("full").train_size is None


def test_default_grid_size() -> None:
    grid = build_grid(PROFILES["default"])
    # 4 variants at 16x16 plus {full, factorized} at 32x32 and 8x8: (4 + 2 + 2) pairs x 3 seeds.
    assert len(grid) == 24
    assert grid[0] == RunSpec("full", 16, 0)
    assert len(set(grid)) == 24


@pytest.mark.parametrize(
    ("variants", "placements", "seeds", "expected"),
    [
        # separable only exists at the main placement: 1 pair x 3 seeds.
        (["separable"], None, None, 3),
        # full at 32, 16 and 8 with 2 seeds.
        (["full"], None, [5, 6], 6),
        # all 4 variants at 16 with 1 seed.
        (None, [16], [0], 4),
        # factorized_linear is not trained at 8.
        (["factorized_linear"], [8], None, 0),
        # attention variants run only when named, and only at the main placement:
        # 2 variants at 16 x 3 seeds.
        (["factorized_se", "factorized_strip"], None, None, 6),
        (["factorized_se"], [32], None, 0),
    ],
)
def test_grid_filters(variants, placements, seeds, expected: int) -> None:
    grid = build_grid(PROFILES["default"], variants=variants, placements=placements, seeds=seeds)
    assert len(grid) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"variants": ["stacked"]}, "variants="),
        ({"placements": [4]}, "placements="),
        ({"seeds": []}, "seeds="),
        ({"seeds": [1, 1]}, "seeds="),
    ],
)
def test_grid_rejects_bad_options(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_grid(PROFILES["default"], **options)


def test_default_grid_has_no_attention_variants() -> None:
    variants = {spec.variant for spec in build_grid(PROFILES["default"])}
    assert variants == {"full", "factorized", "factorized_linear", "separable"}


@pytest.mark.parametrize("variant", ["factorized_se", "factorized_strip"])
def test_attention_variant_trains(image_folder: Path, tmp_path: Path, variant: str) -> None:
    results = run_experiment(
        TINY, data=image_folder, output=tmp_path / "results.csv", variants=[variant],
        placements=[16], seeds=[0], progress=False, cache_dir=tmp_path / "cache",
    )
    # One run of TINY.train.epochs = 2 epochs, one row each.
    assert results["variant"].tolist() == [variant, variant]
    assert results["epoch"].tolist() == [1, 2]


def test_run_hash_tracks_protocol() -> None:
    spec = RunSpec("full", 16, 0)
    base = run_hash(TINY, spec, "cifar10-jpg")
    assert base == run_hash(TINY, spec, "cifar10-jpg")
    assert base != run_hash(TINY, RunSpec("full", 16, 1), "cifar10-jpg")
    assert base != run_hash(TINY, spec, "cifar10-torchvision")
    longer = dataclasses.replace(TINY, train=TrainConfig(epochs=3, learning_rate=0.05))
    assert base != run_hash(longer, spec, "cifar10-jpg")
    # Thread count and profile name do not change what a run computes.
    assert base == run_hash(dataclasses.replace(TINY, threads=2, name="renamed"), spec, "cifar10-jpg")


# --- result files ----------------------------------------------------------------------------


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "results.csv"
    write_csv_atomic(pd.DataFrame({"a": [1]}), path)
    original = path.read_text()

    def broken_to_csv(self, stream, **_kwargs):
        stream.write("a\n2\n")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken_to_csv)
    with pytest.raises(OSError, match="disk full"):
        write_csv_atomic(pd.DataFrame({"a": [2]}), path)
    assert path.read_text() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_read_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_results(tmp_path / "none.csv").empty


@pytest.mark.parametrize(("text", "message"), [("a,b\n1,2\n", "lacks the columns"), ("", "cannot read")])
def test_read_foreign_file_raises(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "other.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_results(path)


def test_check_writable_rejects_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is a directory"):
        check_writable(tmp_path)


def test_check_writable_rejects_file_parent(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    with pytest.raises(ValueError, match="is a file, not a directory"):
        check_writable(tmp_path / "plain" / "results.csv")


def test_check_writable_creates_parents(tmp_path: Path) -> None:
    path = check_writable(tmp_path / "a" / "b" / "results.csv")
    assert path.parent.is_dir()


# --- running, determinism, resume ------------------------------------------------------------


def test_run_writes_rows_and_provenance(image_folder: Path, tmp_path: Path) -> None:
    results = run_tiny(image_folder, tmp_path, tmp_path / "results.csv")
    # 2 variants x 2 seeds x 2 epochs.
    assert len(results) == 8
    for column in PROVENANCE_COLUMNS:
        assert column in results.columns
    assert set(results["data_source"]) == {f"imagefolder:{image_folder.resolve()}"}
    assert set(results["threads"].astype(str)) == {"1"}
    stored = read_results(tmp_path / "results.csv")
    assert len(stored) == 8
    assert not stored.duplicated(["run_hash", "epoch"]).any()


def test_same_seed_gives_same_numbers(image_folder: Path, tmp_path: Path) -> None:
    first = run_tiny(image_folder, tmp_path, tmp_path / "first.csv")
    second = run_tiny(image_folder, tmp_path, tmp_path / "second.csv")
    pd.testing.assert_frame_equal(first[METRICS], second[METRICS])
    # Different seeds of one variant give different numbers.
    seeds = first[(first["variant"] == "full") & (first["epoch"] == 1)]
    assert seeds["train_loss"].nunique() == 2


def test_second_run_reuses_finished_runs(image_folder: Path, tmp_path: Path, monkeypatch) -> None:
    output = tmp_path / "results.csv"
    first = run_tiny(image_folder, tmp_path, output)

    def fail(*_args, **_kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(runner, "train_model", fail)
    second = run_tiny(image_folder, tmp_path, output)
    pd.testing.assert_frame_equal(first[METRICS], second[METRICS])


def test_resume_after_interruption(image_folder: Path, tmp_path: Path, monkeypatch) -> None:
    output = tmp_path / "results.csv"
    real_evaluate = factor.train.evaluate
    calls = []

    def interrupt_in_second_run(model, batches):
        calls.append(1)
        # Runs evaluate once per epoch: calls 1-2 are run 1, call 3 is epoch 1 of run 2.
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_evaluate(model, batches)

    monkeypatch.setattr(factor.train, "evaluate", interrupt_in_second_run)
    with pytest.raises(KeyboardInterrupt):
        run_tiny(image_folder, tmp_path, output)
    partial = read_results(output)
    # Only run 1 finished: 2 epochs.
    assert len(partial) == 2
    assert partial["seed"].tolist() == [0, 0]

    monkeypatch.setattr(factor.train, "evaluate", real_evaluate)
    trained = []
    real_train = runner.train_model

    def counting_train(*args, **kwargs):
        trained.append(kwargs["name"])
        return real_train(*args, **kwargs)

    monkeypatch.setattr(runner, "train_model", counting_train)
    results = run_tiny(image_folder, tmp_path, output)
    # Runs 2, 3 and 4 were trained; run 1 was read back.
    assert len(trained) == 3
    assert len(results) == 8
    stored = read_results(output)
    assert len(stored) == 8
    assert not stored.duplicated(["run_hash", "epoch"]).any()
    pd.testing.assert_frame_equal(stored.iloc[:2][METRICS], partial[METRICS])


def test_changed_protocol_trains_again(image_folder: Path, tmp_path: Path) -> None:
    output = tmp_path / "results.csv"
    run_tiny(image_folder, tmp_path, output)
    longer = dataclasses.replace(TINY, train=TrainConfig(epochs=3, learning_rate=0.05))
    results = run_tiny(image_folder, tmp_path, output, profile=longer)
    # New runs: 2 variants x 2 seeds x 3 epochs; the old 8 rows stay in the file.
    assert len(results) == 12
    assert len(read_results(output)) == 8 + 12


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"profile": "huge"}, ValueError, "profile="),
        ({"device": "tpu"}, ValueError, "device="),
        ({"data": "missing-folder"}, FileNotFoundError, "does not exist"),
        ({"output": "."}, ValueError, "is a directory"),
    ],
)
def test_invalid_input_raises_before_training(
    image_folder: Path, tmp_path: Path, monkeypatch, options: dict, error: type, message: str
) -> None:
    monkeypatch.setattr(runner, "train_model", lambda *a, **k: pytest.fail("training started"))
    arguments = {"profile": TINY, "data": image_folder, "output": tmp_path / "r.csv"}
    arguments.update(options)
    if options.get("data") == "missing-folder":
        arguments["data"] = tmp_path / "missing-folder"
    if options.get("output") == ".":
        arguments["output"] = tmp_path
    with pytest.raises(error, match=message):
        run_experiment(**arguments, progress=False, cache_dir=tmp_path / "cache")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_gpu_raises() -> None:
    with pytest.raises(ValueError, match="no CUDA GPU"):
        runner.resolve_device("cuda")


# --- analysis --------------------------------------------------------------------------------


def synthetic_results() -> pd.DataFrame:
    """Two seeds x two epochs for variants a and b; final accuracies a: 0.6, 0.8; b: 0.5, 0.5."""
    rows = []
    finals = {"a": [0.6, 0.8], "b": [0.5, 0.5]}
    for variant, values in finals.items():
        for seed, final in enumerate(values):
            for epoch, accuracy in ((1, final - 0.2), (2, final)):
                rows.append({
                    "run_hash": f"{variant}{seed}", "variant": variant, "placement": 16,
                    "seed": seed, "epoch": epoch, "test_accuracy": accuracy, "train_time_s": 1.5,
                })
    return pd.DataFrame(rows)


def test_summarize_final_epoch() -> None:
    table = summarize(synthetic_results(), ["test_accuracy"]).set_index("variant")
    # a: mean (0.6 + 0.8) / 2 = 0.7, sample std sqrt(2 * 0.1**2 / 1) = 0.14142.
    assert table.loc["a", "test_accuracy_mean"] == pytest.approx(0.7)
    assert table.loc["a", "test_accuracy_std"] == pytest.approx(math.sqrt(0.02))
    assert table.loc["b", "seeds"] == 2


def test_learning_curves_accumulate_time() -> None:
    curves = learning_curves(synthetic_results(), "test_accuracy").set_index(["variant", "epoch"])
    # Epoch 2 ends after 1.5 + 1.5 = 3.0 training seconds; a's epoch-1 mean is 0.7 - 0.2 = 0.5.
    assert curves.loc[("a", 2), "train_time_s"] == pytest.approx(3.0)
    assert curves.loc[("a", 1), "mean"] == pytest.approx(0.5)


def test_compare_within_spread_is_no_difference() -> None:
    result = compare(synthetic_results(), "a", "b", "test_accuracy", placement=16)
    # diff 0.2, standard error sqrt(0.02 / 2 + 0) = 0.1, t = 2 with df = 1: p = 0.29517.
    assert result.difference == pytest.approx(0.2)
    assert result.p_value == pytest.approx(1 - 2 * math.atan(2) / math.pi)
    assert result.verdict == "no_difference"
    # Cauchy quantile tan(pi (0.975 - 1/2)) = 12.706 at df = 1, times SE 0.1.
    assert result.threshold == pytest.approx(math.tan(math.pi * 0.475) * 0.1)


def test_compare_needs_two_seeds() -> None:
    frame = synthetic_results()
    with pytest.raises(ValueError, match="run at least two seeds"):
        compare(frame[frame["seed"] == 0], "a", "b", "test_accuracy", placement=16)


def test_compare_spread_verdict() -> None:
    ratio, p_value, word = compare_spread(synthetic_results(), "b", "a", "test_accuracy", 16)
    # b is constant, a is not: ratio 0 / 0.02 = 0 and F-CDF(0) = 0, so p = 0.
    assert ratio == 0.0
    assert p_value == 0.0
    assert word == "lower"


@pytest.mark.parametrize(
    ("difference", "p_value", "expected"),
    [(0.1, 0.01, "higher"), (-0.1, 0.01, "lower"), (0.1, 0.05, "no_difference"), (0.0, 0.0, "no_difference")],
)
def test_verdict_words(difference: float, p_value: float, expected: str) -> None:
    assert verdict(difference, p_value) == expected


# --- statistics ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "df", "expected"),
    [
        (0.0, 3.0, 0.5),
        # df = 1 is the Cauchy distribution: 1/2 + atan(t) / pi.
        (1.0, 1.0, 0.75),
        # df = 2 has the closed form 1/2 + t / (2 sqrt(2 + t^2)): 1/2 + 2 / (2 sqrt 6).
        (2.0, 2.0, 0.5 + 1 / math.sqrt(6)),
        (-2.0, 2.0, 0.5 - 1 / math.sqrt(6)),
    ],
)
def test_student_t_cdf_closed_forms(t: float, df: float, expected: float) -> None:
    assert student_t_cdf(t, df) == pytest.approx(expected, abs=1e-12)


def test_student_t_quantile_table() -> None:
    # Tables give t_{0.975}(4) = 2.776445 and t_{0.975}(30) = 2.042272.
    assert student_t_cdf(2.776445, 4) == pytest.approx(0.975, abs=1e-6)
    assert student_t_cdf(2.042272, 30) == pytest.approx(0.975, abs=1e-6)


@pytest.mark.parametrize("x", [0.1, 1.0, 3.0, 39.0])
def test_f_cdf_two_two(x: float) -> None:
    # F(2, 2) has CDF x / (1 + x).
    assert f_cdf(x, 2, 2) == pytest.approx(x / (1 + x), abs=1e-12)


@pytest.mark.parametrize(("x", "a", "b"), [(0.3, 1.0, 1.0), (0.3, 2.0, 1.0), (0.8, 1.0, 3.0)])
def test_incomplete_beta_closed_forms(x: float, a: float, b: float) -> None:
    # I_x(1, 1) = x; I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b.
    expected = x**a if b == 1.0 else 1 - (1 - x) ** b
    assert regularized_incomplete_beta(x, a, b) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("probability", "df", "expected"),
    [
        # Cauchy (df = 1): tan(pi (p - 1/2)).
        (0.975, 1.0, math.tan(math.pi * 0.475)),
        (0.1, 1.0, math.tan(math.pi * -0.4)),
        # df = 2: t = (2p - 1) sqrt(2 / (4 p (1 - p))), the inverse of the closed-form CDF.
        (0.9, 2.0, 0.8 * math.sqrt(2 / (4 * 0.9 * 0.1))),
    ],
)
def test_student_t_quantile(probability: float, df: float, expected: float) -> None:
    assert student_t_quantile(probability, df) == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize(("probability", "expected"), [(0.975, 39.0), (0.025, 0.025 / 0.975), (0.5, 1.0)])
def test_f_quantile_two_two(probability: float, expected: float) -> None:
    # F(2, 2): p = x / (1 + x), so x = p / (1 - p).
    assert f_quantile(probability, 2, 2) == pytest.approx(expected, abs=1e-8)


def test_quantile_rejects_bounds() -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        student_t_quantile(1.0, 3)


def test_welch_by_hand() -> None:
    result = welch_t_test([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    # Both variances 1: SE sqrt(1/3 + 1/3) = 0.8165, t = -3 / 0.8165 = -3.6742, df = 4.
    t = 3 / math.sqrt(2 / 3)
    assert result.t == pytest.approx(-t)
    assert result.df == pytest.approx(4.0)
    # df = 4 has a closed form. With s = 1 + t^2 / 4:
    # CDF = 1/2 + (3/8) (t / sqrt(s)) (1 - t^2 / (12 s)) = 0.98934, so p = 2 (1 - CDF) = 0.021312.
    s = 1 + t * t / 4
    cdf = 0.5 + 0.375 * (t / math.sqrt(s)) * (1 - t * t / (12 * s))
    assert result.p_value == pytest.approx(2 * (1 - cdf), abs=1e-12)


def test_welch_constant_samples() -> None:
    assert welch_t_test([1.0, 1.0], [1.0, 1.0]).p_value == 1.0
    assert welch_t_test([2.0, 2.0], [1.0, 1.0]).p_value == 0.0


def test_variance_ratio_by_hand() -> None:
    ratio, p_value = variance_ratio_test([1.0, 2.0, 3.0], [1.0, 3.0, 5.0])
    # Variances 1 and 4: ratio 0.25; F(2, 2) CDF 0.25 / 1.25 = 0.2, two-sided p = 0.4.
    assert ratio == pytest.approx(0.25)
    assert p_value == pytest.approx(0.4)


def test_variance_ratio_of_constant_samples() -> None:
    assert variance_ratio_test([2.0, 2.0], [5.0, 5.0]) == (1.0, 1.0)
    assert variance_ratio_test([1.0, 2.0], [5.0, 5.0]) == (math.inf, 0.0)


def test_compare_samples_of_runs() -> None:
    result = compare_samples(pd.Series([10.0, 12.0]), pd.Series([10.0, 12.0]), "images_per_second")
    # Equal samples: difference 0, p-value 1.
    assert result.difference == 0.0
    assert result.p_value == pytest.approx(1.0)
    assert result.verdict == "no_difference"


def test_small_sample_raises() -> None:
    with pytest.raises(ValueError, match="at least two"):
        welch_t_test([1.0], [2.0, 3.0])
