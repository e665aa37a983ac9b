"""Read the training results of the experiments chapter for use in later chapters.

The experiments chapter writes one CSV row per run and epoch through
:func:`factor.experiment.run_experiment`. Later chapters only read that file:
:func:`current_results` keeps the rows whose run hash matches the current
protocol and code, so rows left over from an older version of the network
or the training loop never mix into a table, and
:func:`variant_summary` reduces them to one row per variant.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import pandas as pd

from factor.blocks.cifar_variants import ATTENTION_VARIANTS
from factor.cifar_net import VARIANTS
from factor.experiment import build_grid, default_output, get_profile, read_results, run_hash
from factor.experiment.analysis import summarize

logger = logging.getLogger(__name__)


def current_results(
    profile: str,
    output: str | os.PathLike[str] | None = None,
    variants: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the stored rows of ``profile`` that the current code would produce.

    A row is current when its run hash equals the hash that
    :func:`factor.experiment.run_hash` gives today for a run of the
    profile's grid, for the data source recorded in that row.

    Args:
        profile: Experiment profile name (``smoke``, ``default``, ``full``).
        output: Result CSV. None reads the harness's default file for ``profile``.
        variants: Keep only these variants. None keeps every variant the
            harness can train, the attention variants included.

    Returns:
        The current rows, possibly none. A missing file gives an empty table.

    Raises:
        ValueError: For an unknown profile or variant, or a file that is not
            a result CSV of this package.
    """
    protocol = get_profile(profile)
    path = output if output is not None else default_output(profile)
    stored = read_results(path)
    if stored.empty:
        logger.info("no results in %s", path)
        return stored
    if variants is None:
        variants = [*VARIANTS, *ATTENTION_VARIANTS]
    grid = build_grid(protocol, variants=variants)
    sources = stored["data_source"].dropna().unique()
    hashes = {run_hash(protocol, spec, source) for spec in grid for source in sources}
    current = stored[stored["run_hash"].isin(hashes)].reset_index(drop=True)
    logger.info("%d of %d rows in %s are current", len(current), len(stored), path)
    return current


def variant_summary(
    results: pd.DataFrame, placement: int, variants: Sequence[str], min_seeds: int = 2
) -> pd.DataFrame | None:
    """Summarize final-epoch test accuracy and training throughput per variant.

    Args:
        results: Rows as :func:`current_results` returns them.
        placement: Grid of the compared variants.
        variants: Variants that must all be present, in the order of the table.
        min_seeds: Finished seeds each variant needs.

    Returns:
        One row per variant, indexed by variant, with ``test_accuracy_mean``,
        ``test_accuracy_std``, ``images_per_second_mean``,
        ``images_per_second_std``, ``params`` and ``seeds``. None when a
        variant is missing or has fewer than ``min_seeds`` finished runs.
    """
    if results.empty:
        return None
    selected = results[(results["placement"] == placement) & results["variant"].isin(variants)]
    if selected.empty:
        return None
    table = summarize(selected, ["test_accuracy", "images_per_second"]).set_index("variant")
    if any(variant not in table.index for variant in variants):
        return None
    table = table.loc[list(variants)]
    if (table["seeds"] < min_seeds).any():
        return None
    params = selected.groupby("variant")["params"].first()
    table.insert(len(table.columns) - 1, "params", params.loc[list(variants)])
    return table.drop(columns="placement")
