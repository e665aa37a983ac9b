"""Turn result rows into per-variant summaries, learning curves and verdicts.

Every function takes the table that ``run_experiment`` returns (one row per
run and epoch) and aggregates over seeds. A verdict is one of ``"higher"``,
``"lower"`` or ``"no_difference"``: the first two only when Welch's t-test
gives p < ``alpha``, i.e. when the difference exceeds what the
seed-to-seed spread explains at that level.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from factor.experiment.stats import student_t_quantile, variance_ratio_test, welch_t_test

DEFAULT_ALPHA = 0.05
"""Significance level of the verdicts."""

GROUP = ["placement", "variant"]


@dataclass(frozen=True)
class Comparison:
    """Variant ``a`` against variant ``b`` on one metric, one value per seed.

    Attributes:
        metric: Column compared, e.g. ``"test_accuracy"``.
        mean_a, mean_b: Means over seeds.
        std_a, std_b: Sample standard deviations over seeds (n - 1).
        difference: ``mean_a - mean_b``.
        standard_error: Standard error of the difference (Welch).
        df: Welch–Satterthwaite degrees of freedom.
        threshold: Smallest ``|difference|`` that these spreads would make
            significant at ``alpha``: the t quantile at 1 - alpha / 2 times
            the standard error.
        p_value: Two-sided p-value of Welch's t-test.
        verdict: ``"higher"``, ``"lower"`` or ``"no_difference"`` for a against b.
    """

    metric: str
    mean_a: float
    mean_b: float
    std_a: float
    std_b: float
    difference: float
    standard_error: float
    df: float
    threshold: float
    p_value: float
    verdict: str


def final_epoch(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the last epoch's row of every run."""
    last = frame.groupby("run_hash")["epoch"].transform("max")
    return frame[frame["epoch"] == last].reset_index(drop=True)


def summarize(frame: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Return mean, standard deviation and seed count of ``metrics`` at the final epoch.

    Returns:
        One row per (placement, variant), columns ``<metric>_mean``,
        ``<metric>_std`` for each metric, and ``seeds``.
    """
    grouped = final_epoch(frame).groupby(GROUP, sort=False)
    table = grouped[metrics].agg(["mean", "std"])
    table.columns = [f"{metric}_{statistic}" for metric, statistic in table.columns]
    table["seeds"] = grouped.size()
    return table.reset_index()


def learning_curves(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Return ``metric`` per epoch, averaged over seeds, with the cumulative training time.

    Returns:
        One row per (placement, variant, epoch) with ``mean``, ``std`` (over
        seeds) and ``train_time_s``: the mean over seeds of the training
        seconds spent up to the end of that epoch, evaluation excluded.
    """
    ordered = frame.sort_values(["run_hash", "epoch"])
    cumulative = ordered.groupby("run_hash")["train_time_s"].cumsum()
    ordered = ordered.assign(cumulative_train_s=cumulative)
    grouped = ordered.groupby([*GROUP, "epoch"], sort=False)
    curves = grouped[metric].agg(["mean", "std"])
    curves["train_time_s"] = grouped["cumulative_train_s"].mean()
    return curves.reset_index()


def compare(
    frame: pd.DataFrame,
    variant_a: str,
    variant_b: str,
    metric: str,
    placement: int,
    placement_b: int | None = None,
    alpha: float = DEFAULT_ALPHA,
) -> Comparison:
    """Compare ``metric`` at the final epoch between two (variant, placement) groups.

    Args:
        frame: Result rows.
        variant_a, variant_b: Variants to compare, a against b.
        metric: Column to compare.
        placement: Placement of ``variant_a``.
        placement_b: Placement of ``variant_b``, defaults to ``placement``.
        alpha: Significance level of the verdict.

    Raises:
        ValueError: If either group has fewer than two seeds.
    """
    sample_a = _final_values(frame, variant_a, placement, metric)
    sample_b = _final_values(frame, variant_b, placement if placement_b is None else placement_b, metric)
    return compare_samples(sample_a, sample_b, metric, alpha)


def compare_samples(
    sample_a: pd.Series, sample_b: pd.Series, metric: str, alpha: float = DEFAULT_ALPHA
) -> Comparison:
    """Compare two samples of one metric, one value per seed, with Welch's t-test.

    Raises:
        ValueError: If either sample has fewer than two values.
    """
    sample_a, sample_b = sample_a.astype(float), sample_b.astype(float)
    test = welch_t_test(sample_a, sample_b)
    threshold = student_t_quantile(1.0 - alpha / 2.0, test.df) * test.standard_error
    return Comparison(
        metric=metric,
        mean_a=float(sample_a.mean()),
        mean_b=float(sample_b.mean()),
        std_a=float(sample_a.std(ddof=1)),
        std_b=float(sample_b.std(ddof=1)),
        difference=test.difference,
        standard_error=test.standard_error,
        df=test.df,
        threshold=threshold,
        p_value=test.p_value,
        verdict=verdict(test.difference, test.p_value, alpha),
    )


def compare_spread(
    frame: pd.DataFrame,
    variant_a: str,
    variant_b: str,
    metric: str,
    placement: int,
    alpha: float = DEFAULT_ALPHA,
) -> tuple[float, float, str]:
    """Compare the seed-to-seed variance of ``metric`` at the final epoch (F-test).

    Returns:
        var(a) / var(b), the two-sided p-value, and a verdict for a against b:
        ``"lower"`` (a spreads less), ``"higher"`` or ``"no_difference"``.
    """
    sample_a = _final_values(frame, variant_a, placement, metric)
    sample_b = _final_values(frame, variant_b, placement, metric)
    ratio, p_value = variance_ratio_test(sample_a, sample_b)
    return ratio, p_value, verdict(ratio - 1.0, p_value, alpha)


def verdict(difference: float, p_value: float, alpha: float = DEFAULT_ALPHA) -> str:
    """Return ``"higher"`` or ``"lower"`` when p < alpha, by the sign of ``difference``, else ``"no_difference"``."""
    if p_value >= alpha or difference == 0.0:
        return "no_difference"
    return "higher" if difference > 0 else "lower"


def _final_values(frame: pd.DataFrame, variant: str, placement: int, metric: str) -> pd.Series:
    """Return the final-epoch values of ``metric`` for one (variant, placement), one per seed."""
    rows = final_epoch(frame)
    selected = rows[(rows["variant"] == variant) & (rows["placement"] == placement)][metric]
    if len(selected) < 2:
        raise ValueError(
            f"{variant} at placement {placement} has {len(selected)} finished run(s) in the "
            f"results: run at least two seeds"
        )
    return selected.astype(float)
