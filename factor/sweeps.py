"""Sweeps behind the best-practice chapter: when does factorizing a convolution pay off?

Each sweep builds a k x k convolution and its replacements for a range of
one setting (kernel size, middle channels, grid size, layer shape), counts
parameters and MACs with :func:`factor.counting.count_flops` and, when
given :class:`LatencySettings`, times a forward pass with
:func:`factor.latency.measure_latency`. Every sweep returns a DataFrame
with one row per (setting, variant) and English column names:

* ``params`` and ``macs``: for one image (batch 1), MACs = FLOPs / 2;
* ``median_ms``, ``iqr_ms``, ``noisy``: latency per batch of
  ``LatencySettings.batch_size`` images, in milliseconds;
* ``gmacs_per_s``: achieved throughput, batch MACs / median time / 1e9.

The "standard" variant is a plain ``nn.Conv2d`` k x k without bias, and
the replacements keep "same" padding and stride 1, so the MAC ratio is the
ratio of the closed forms in :mod:`factor.costs`. Unless ``nonlinear=True``,
nothing sits between the two halves of a factorized layer, which isolates
the cost of the convolutions themselves.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence

import pandas as pd
import torch
from torch import nn

from factor.counting import count_flops
from factor.latency import measure_latency
from factor.layers import DepthwiseSeparableConv2d, FactorizedConv2d
from factor.layers._args import check_positive

logger = logging.getLogger(__name__)

Variants = Mapping[str, nn.Module]

STANDARD = "standard"
FACTORIZED = "factorized"
SEPARABLE = "separable"
DEPTHWISE = "depthwise"
POINTWISE = "pointwise"


@dataclasses.dataclass(frozen=True)
class LatencySettings:
    """Settings with which :func:`factor.latency.measure_latency` times each variant.

    Attributes:
        device: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        threads: Intra-op CPU threads; None keeps ``torch.get_num_threads()``.
        batch_size: N of the timed N x C x H x W input.
        min_run_time: Minimum measured seconds per variant.
        warmup: Untimed forward passes before each measurement.
        memory_format: ``"contiguous"`` or ``"channels_last"``.
    """

    device: str = "cpu"
    threads: int | None = None
    batch_size: int = 8
    min_run_time: float = 0.3
    warmup: int = 3
    memory_format: str = "contiguous"


def resolve_device(device: str) -> str:
    """Turn ``"auto"`` into ``"cuda"`` when CUDA is available and ``"cpu"`` otherwise.

    Any other value is returned unchanged; :func:`factor.latency.measure_latency`
    validates it when the sweep runs.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def standard_conv(in_channels: int, out_channels: int, kernel_size: int) -> nn.Conv2d:
    """Build the bias-free k x k conv with "same" padding that the sweeps replace."""
    return nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False)


def factorized_conv(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    mid_channels: int | None = None,
    nonlinear: bool = False,
) -> FactorizedConv2d:
    """Build 1 x k then k x 1, bias-free; with ``nonlinear`` BatchNorm + ReLU sit in between.

    Nothing follows the second conv, so the layer is comparable with
    :func:`standard_conv`.
    """
    return FactorizedConv2d(
        in_channels, out_channels, kernel_size, mid_channels=mid_channels,
        inner_norm=nonlinear, inner_activation=nonlinear, norm=False, activation=False,
    )


def separable_conv(in_channels: int, out_channels: int, kernel_size: int) -> DepthwiseSeparableConv2d:
    """Build depthwise k x k then pointwise 1 x 1, bias-free, with nothing in between."""
    return DepthwiseSeparableConv2d(
        in_channels, out_channels, kernel_size,
        inner_norm=False, inner_activation=False, norm=False, activation=False,
    )


def measure_variants(
    variants: Variants,
    input_shape: tuple[int, int, int],
    latency: LatencySettings | None = None,
) -> pd.DataFrame:
    """Count, and optionally time, each variant on one C x H x W input shape.

    Args:
        variants: Modules by name, all accepting N x C x H x W.
        input_shape: ``(C, H, W)`` of one image.
        latency: Timing settings, or None to count only.

    Returns:
        One row per variant, in order: ``variant``, ``params``, ``macs`` and,
        with ``latency``, ``median_ms``, ``iqr_ms``, ``noisy``, ``threads``,
        ``device`` and ``gmacs_per_s``.

    Raises:
        ValueError: for an empty ``variants`` or a shape entry that is not positive.
    """
    if not variants:
        raise ValueError("variants is empty: pass at least one name -> nn.Module entry.")
    for name, size in zip(("channels", "height", "width"), input_shape, strict=True):
        check_positive(name, size)
    rows = []
    for name, module in variants.items():
        report = count_flops(module, input_size=(1, *input_shape))
        row: dict[str, object] = {"variant": name, "params": report.params, "macs": report.macs}
        if latency is not None:
            row.update(_time(module, input_shape, report.macs, latency))
        rows.append(row)
    return pd.DataFrame(rows)


def kernel_size_sweep(
    channels: int,
    grid: int,
    kernel_sizes: Iterable[int],
    latency: LatencySettings | None = None,
) -> pd.DataFrame:
    """Compare k x k with 1 x k + k x 1 (C_in = C_mid = C_out = channels) for each k.

    Returns:
        The rows of :func:`measure_variants` for variants ``"standard"`` and
        ``"factorized"``, with a leading ``kernel_size`` column.
    """
    return _sweep(
        "kernel_size",
        kernel_sizes,
        lambda k: {
            STANDARD: standard_conv(channels, channels, k),
            FACTORIZED: factorized_conv(channels, channels, k),
        },
        lambda _: (channels, grid, grid),
        latency,
    )


def channel_ratio_sweep(
    in_channels: int,
    out_channels: int,
    kernel_size: int,
    grid: int,
    mid_ratios: Iterable[float],
    latency: LatencySettings | None = None,
) -> pd.DataFrame:
    """Compare k x k with 1 x k + k x 1 for C_mid = round(ratio * out_channels).

    Returns:
        The rows of :func:`measure_variants` with leading ``mid_ratio`` and
        ``mid_channels`` columns.

    Raises:
        ValueError: when a ratio gives fewer than one middle channel.
    """
    frames = []
    for ratio in mid_ratios:
        mid = round(ratio * out_channels)
        check_positive("mid_channels (round(ratio * out_channels))", mid)
        frame = measure_variants(
            {
                STANDARD: standard_conv(in_channels, out_channels, kernel_size),
                FACTORIZED: factorized_conv(in_channels, out_channels, kernel_size, mid),
            },
            (in_channels, grid, grid),
            latency,
        )
        frame.insert(0, "mid_channels", mid)
        frame.insert(0, "mid_ratio", ratio)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def grid_size_sweep(
    channels: int,
    kernel_size: int,
    grids: Iterable[int],
    latency: LatencySettings | None = None,
) -> pd.DataFrame:
    """Compare k x k with 1 x k + k x 1 on square grids of several sizes.

    Returns:
        The rows of :func:`measure_variants` with a leading ``grid`` column.
    """
    return _sweep(
        "grid",
        grids,
        lambda _: {
            STANDARD: standard_conv(channels, channels, kernel_size),
            FACTORIZED: factorized_conv(channels, channels, kernel_size),
        },
        lambda grid: (channels, grid, grid),
        latency,
    )


def nonlinearity_comparison(
    channels: int,
    kernel_size: int,
    grid: int,
    latency: LatencySettings | None = None,
) -> pd.DataFrame:
    """Compare 1 x k + k x 1 without and with BatchNorm + ReLU between the two convs.

    Returns:
        The rows of :func:`measure_variants` for variants ``"linear"`` and
        ``"nonlinear"``.
    """
    return measure_variants(
        {
            "linear": factorized_conv(channels, channels, kernel_size),
            "nonlinear": factorized_conv(channels, channels, kernel_size, nonlinear=True),
        },
        (channels, grid, grid),
        latency,
    )


def separable_comparison(
    shapes: Sequence[tuple[int, int]],
    kernel_size: int,
    latency: LatencySettings | None = None,
) -> pd.DataFrame:
    """Compare k x k, spatial factorization and depthwise separable conv on several shapes.

    Each shape is ``(channels, grid)`` with C_in = C_out = channels. The
    variants are ``"standard"``, ``"factorized"`` (1 x k + k x 1) and
    ``"separable"`` (depthwise k x k + pointwise 1 x 1). Its two halves also
    run alone as ``"depthwise"`` and ``"pointwise"``, so that the time of
    each half can be set against its share of the MACs.

    Returns:
        The rows of :func:`measure_variants` with leading ``channels`` and
        ``grid`` columns.
    """
    frames = []
    for channels, grid in shapes:
        separable = separable_conv(channels, channels, kernel_size)
        frame = measure_variants(
            {
                STANDARD: standard_conv(channels, channels, kernel_size),
                FACTORIZED: factorized_conv(channels, channels, kernel_size),
                SEPARABLE: separable,
                DEPTHWISE: separable.depthwise,
                POINTWISE: separable.pointwise,
            },
            (channels, grid, grid),
            latency,
        )
        frame.insert(0, "grid", grid)
        frame.insert(0, "channels", channels)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def conv_arithmetic_intensity(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    grid: int,
    groups: int = 1,
    bytes_per_element: int = 4,
) -> float:
    """Estimate MACs per byte of a stride-1 "same" conv that reads its input and weights once.

    The traffic counted is input + weights + output, ``bytes_per_element``
    each. A real kernel moves at least that much, more when its caches are
    too small to avoid re-reads, so the result is an upper bound on the
    intensity it achieves. A depthwise k x k conv does ``k^2`` MACs per
    output element and moves at least two elements per output (in and out),
    so its intensity stays below ``k^2 / (2 * bytes_per_element)`` whatever
    the channel count.
    """
    height, width = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    weights = out_channels * (in_channels // groups) * height * width
    macs = weights * grid * grid
    elements = in_channels * grid * grid + weights + out_channels * grid * grid
    return macs / (elements * bytes_per_element)


def pivot_ratio(table: pd.DataFrame, keys: Sequence[str], column: str, numerator: str, denominator: str) -> pd.Series:
    """Return ``column`` of variant ``numerator`` over that of ``denominator``, per setting.

    For example ``pivot_ratio(t, ["kernel_size"], "macs", "standard", "factorized")``
    is the MAC saving of each kernel size, and with ``"median_ms"`` the speedup.

    Raises:
        KeyError: when a variant or column is missing from ``table``.
    """
    wide = table.pivot_table(index=list(keys), columns="variant", values=column, sort=False)
    return wide[numerator] / wide[denominator]


def savings(
    table: pd.DataFrame,
    keys: Sequence[str],
    reference: str = STANDARD,
    candidate: str = FACTORIZED,
) -> pd.DataFrame:
    """Summarize a sweep as the saving of ``candidate`` over ``reference`` per setting.

    Args:
        table: Rows of a sweep, with a ``variant`` column.
        keys: Columns that identify a setting, e.g. ``["kernel_size"]``.
        reference: Variant in the numerators, the layer being replaced.
        candidate: Variant in the denominators, the replacement.

    Returns:
        One row per setting, indexed by ``keys``, with ``param_saving`` and
        ``mac_saving`` (reference over candidate, so 2 means half the cost)
        and, when ``table`` has latency columns, ``reference_ms`` and
        ``candidate_ms`` (median times per batch), ``speedup`` (their ratio)
        and ``noisy`` (either measurement flagged).
    """
    summary = pd.DataFrame({
        "param_saving": pivot_ratio(table, keys, "params", reference, candidate),
        "mac_saving": pivot_ratio(table, keys, "macs", reference, candidate),
    })
    if "median_ms" in table.columns:
        medians = table.pivot_table(
            index=list(keys), columns="variant", values="median_ms", sort=False
        )
        summary["reference_ms"] = medians[reference]
        summary["candidate_ms"] = medians[candidate]
        summary["speedup"] = medians[reference] / medians[candidate]
        flags = table.pivot_table(
            index=list(keys), columns="variant", values="noisy", aggfunc="max", sort=False
        )
        summary["noisy"] = flags[reference].astype(bool) | flags[candidate].astype(bool)
    return summary


def _sweep(
    key: str,
    values: Iterable[int],
    build: Callable[[int], Variants],
    shape: Callable[[int], tuple[int, int, int]],
    latency: LatencySettings | None,
) -> pd.DataFrame:
    """Run :func:`measure_variants` once per value and stack the rows under a ``key`` column."""
    frames = []
    for value in values:
        frame = measure_variants(build(value), shape(value), latency)
        frame.insert(0, key, value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _time(
    module: nn.Module, input_shape: tuple[int, int, int], macs: int, latency: LatencySettings
) -> dict[str, object]:
    """Time one variant and return the latency columns of :func:`measure_variants`."""
    result = measure_latency(
        module,
        (latency.batch_size, *input_shape),
        device=latency.device,
        threads=latency.threads,
        memory_format=latency.memory_format,
        min_run_time=latency.min_run_time,
        warmup=latency.warmup,
    )
    return {
        "median_ms": 1e3 * result.median_s,
        "iqr_ms": 1e3 * result.iqr_s,
        "noisy": result.noisy,
        "threads": result.threads,
        "device": result.device,
        "gmacs_per_s": macs * latency.batch_size / result.median_s / 1e9,
    }
