"""Forward-pass latency of a model, measured with ``torch.utils.benchmark``.

Each measurement runs a deep copy of the model in eval mode under
``torch.inference_mode`` on one fixed random input. Warm-up runs are
excluded, and on CUDA the timer synchronizes the device around each block of
runs. The result reports median and interquartile range (IQR) in seconds per
batch, beside the device, thread count, dtype and memory format that the
number depends on.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import timeit
from collections.abc import Callable, Mapping

import pandas as pd
import torch
from torch import nn

# NOTE: importing torch.utils.benchmark imports torch.utils.cpp_extension, which
# logs a warning with a timestamp and process id when a CUDA build of torch
# finds no GPU. It is noise in every notebook that times code, so it is muted.
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
from torch.utils import benchmark  # noqa: E402

from factor.provenance import device_name

logger = logging.getLogger(__name__)

NOISY_IQR_RATIO = 0.1
"""IQR / median above which a result is flagged noisy.

It is the threshold at which ``torch.utils.benchmark.Measurement`` starts
to warn about system fluctuation (``_IQR_WARN_THRESHOLD`` in torch 2.14).
"""

MEMORY_FORMATS: dict[str, torch.memory_format] = {
    "contiguous": torch.contiguous_format,
    "channels_last": torch.channels_last,
}


@dataclasses.dataclass(frozen=True)
class LatencyResult:
    """Latency of one model on one input size.

    Times are wall-clock seconds for one forward pass of the whole batch,
    except ``per_image_s``, which divides the median by the batch size.

    Attributes:
        median_s: Median time per batch, in seconds.
        iqr_s: Interquartile range of the times per batch, in seconds.
        mean_s: Mean time per batch, in seconds.
        runs: Number of measurements. Each one averages a block of forward passes.
        batch_size: N of the N×C×H×W input.
        per_image_s: ``median_s / batch_size``, in seconds.
        device: Hardware name: the CPU model or the CUDA device name.
        threads: Number of intra-op CPU threads torch used during the measurement.
        memory_format: ``"contiguous"`` or ``"channels_last"``.
        dtype: Parameter and input dtype without the ``torch.`` prefix, e.g. ``"float32"``.
        noisy: Whether ``iqr_s / median_s`` exceeds ``NOISY_IQR_RATIO``.
    """

    median_s: float
    iqr_s: float
    mean_s: float
    runs: int
    batch_size: int
    per_image_s: float
    device: str
    threads: int
    memory_format: str
    dtype: str
    noisy: bool

    def as_dict(self) -> dict[str, float | int | str | bool]:
        """Return the fields as a flat dict, one entry per attribute."""
        return dataclasses.asdict(self)


def measure_latency(
    model: nn.Module,
    input_size: tuple[int, int, int, int],
    device: str | torch.device = "cpu",
    threads: int | None = None,
    memory_format: str = "contiguous",
    min_run_time: float = 0.5,
    warmup: int = 3,
    dtype: torch.dtype = torch.float32,
) -> LatencyResult:
    """Measure the forward-pass latency of ``model`` on a random N×C×H×W input.

    The caller's model is not touched: a deep copy is moved to ``device``,
    ``dtype`` and ``memory_format`` and switched to eval mode.

    Args:
        model: Any module that accepts one N×C×H×W tensor.
        input_size: Input shape (N, C, H, W).
        device: Device to run on, e.g. ``"cpu"`` or ``"cuda:0"``.
        threads: Intra-op CPU threads during the measurement. None keeps
            ``torch.get_num_threads()``. The previous setting is restored afterwards.
        memory_format: ``"contiguous"`` (NCHW) or ``"channels_last"`` (NHWC).
        min_run_time: Minimum total measured time in seconds, passed to
            ``Timer.blocked_autorange``.
        warmup: Number of untimed forward passes before the measurement.
        dtype: Dtype of the parameters and of the input.

    Returns:
        The timing statistics and the conditions they were measured under.

    Raises:
        ValueError: If an argument is invalid or CUDA is requested but not available.
    """
    _validate_arguments(input_size, threads, memory_format, min_run_time, warmup)
    target = torch.device(device)
    if target.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {target} requested but CUDA is not available; use device='cpu'")
    threads = torch.get_num_threads() if threads is None else threads
    layout = MEMORY_FORMATS[memory_format]

    timed_model = copy.deepcopy(model).to(device=target, dtype=dtype, memory_format=layout).eval()
    generator = torch.Generator(device=target).manual_seed(0)
    inputs = torch.randn(input_size, generator=generator, device=target, dtype=dtype)
    inputs = inputs.contiguous(memory_format=layout)

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        measurement = _time_forward(timed_model, inputs, target, threads, min_run_time, warmup)
    finally:
        torch.set_num_threads(previous_threads)

    result = _to_result(measurement, input_size[0], target, threads, memory_format, dtype)
    logger.info(
        "latency %s: median %.4g s, IQR %.4g s, %d runs, %d threads%s",
        tuple(input_size), result.median_s, result.iqr_s, result.runs, threads,
        " (noisy)" if result.noisy else "",
    )
    return result


def compare_latency(
    models: Mapping[str, nn.Module],
    input_size: tuple[int, int, int, int],
    device: str | torch.device = "cpu",
    threads: int | None = None,
    memory_format: str = "contiguous",
    min_run_time: float = 0.5,
    warmup: int = 3,
    dtype: torch.dtype = torch.float32,
) -> pd.DataFrame:
    """Measure each model with ``measure_latency`` under the same conditions.

    Args:
        models: Models by display name. The first one is the reference.
        input_size: Input shape (N, C, H, W), shared by all models.
        device, threads, memory_format, min_run_time, warmup, dtype: As in
            ``measure_latency``.

    Returns:
        One row per model, in the order of ``models``: a ``model`` column, the
        ``LatencyResult`` fields, and ``relative_median``, which is each
        median divided by the first model's median.

    Raises:
        ValueError: If ``models`` is empty, or as ``measure_latency``.
    """
    if not models:
        raise ValueError("models is empty; pass at least one name -> nn.Module entry")
    rows = []
    for name, model in models.items():
        result = measure_latency(
            model, input_size, device=device, threads=threads, memory_format=memory_format,
            min_run_time=min_run_time, warmup=warmup, dtype=dtype,
        )
        rows.append({"model": name, **result.as_dict()})
    table = pd.DataFrame(rows)
    table["relative_median"] = table["median_s"] / table["median_s"].iloc[0]
    return table


def _validate_arguments(
    input_size: tuple[int, int, int, int],
    threads: int | None,
    memory_format: str,
    min_run_time: float,
    warmup: int,
) -> None:
    """Raise ValueError for the first invalid argument of ``measure_latency``."""
    if len(input_size) != 4 or any(not isinstance(n, int) or n < 1 for n in input_size):
        raise ValueError(f"input_size must be four positive ints (N, C, H, W), got {input_size!r}")
    if memory_format not in MEMORY_FORMATS:
        raise ValueError(
            f"memory_format must be one of {sorted(MEMORY_FORMATS)}, got {memory_format!r}"
        )
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive int or None, got {threads!r}")
    if min_run_time <= 0:
        raise ValueError(f"min_run_time must be positive seconds, got {min_run_time!r}")
    if warmup < 0:
        raise ValueError(f"warmup must be zero or a positive count, got {warmup!r}")


def _time_forward(
    model: nn.Module,
    inputs: torch.Tensor,
    device: torch.device,
    threads: int,
    min_run_time: float,
    warmup: int,
) -> benchmark.Measurement:
    """Run the warm-up passes, then time ``model(inputs)`` with a benchmark Timer."""
    # NOTE: Only test_measure_latency_on_cuda covers the CUDA branch, and it
    # is skipped on machines without a GPU.
    clock = _synchronized_clock(device) if device.type == "cuda" else timeit.default_timer
    timer = benchmark.Timer(
        stmt="model(inputs)",
        globals={"model": model, "inputs": inputs},
        timer=clock,
        num_threads=threads,
    )
    with torch.inference_mode():
        for _ in range(warmup):
            model(inputs)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return timer.blocked_autorange(min_run_time=min_run_time)


def _synchronized_clock(device: torch.device) -> Callable[[], float]:
    """Return a clock that waits for the CUDA device before reading the time."""

    def clock() -> float:
        torch.cuda.synchronize(device)
        return timeit.default_timer()

    return clock


def _to_result(
    measurement: benchmark.Measurement,
    batch_size: int,
    device: torch.device,
    threads: int,
    memory_format: str,
    dtype: torch.dtype,
) -> LatencyResult:
    """Convert a benchmark Measurement into a LatencyResult."""
    median = measurement.median
    return LatencyResult(
        median_s=median,
        iqr_s=measurement.iqr,
        mean_s=measurement.mean,
        runs=len(measurement.times),
        batch_size=batch_size,
        per_image_s=median / batch_size,
        device=device_name(device),
        threads=threads,
        memory_format=memory_format,
        dtype=str(dtype).removeprefix("torch."),
        noisy=measurement.iqr / median > NOISY_IQR_RATIO,
    )
