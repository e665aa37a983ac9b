"""Run an experiment grid and keep its results in a CSV file that survives interruptions.

``run_experiment`` is the one entry point of both the notebook and
``python -m factor train``. It validates every input before the first run,
skips runs whose hash is already in the output file, and appends a run's
rows (one per epoch) only after that run has finished.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from factor.blocks.cifar_variants import ATTENTION_VARIANTS, attention_cifar_net
from factor.cifar_net import CifarInceptionNet
from factor.data import (
    DataSource,
    ImageTensors,
    TensorBatches,
    balanced_subset,
    channel_statistics,
    default_cache_dir,
    load_split,
    resolve_data,
)
from factor.experiment.grid import RunSpec, build_grid, run_hash
from factor.experiment.profiles import Profile, get_profile
from factor.experiment.results import append_rows, check_writable, read_results
from factor.provenance import collect_provenance, set_seed
from factor.train import EpochRecord, train_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedData:
    """The subsets and normalization shared by every run of a profile.

    Attributes:
        source: Origin of the images.
        train: Training subset, uint8.
        test: Test subset, uint8.
        mean: Per-channel mean of the training subset, in [0, 1] units.
        std: Per-channel standard deviation of the training subset, in [0, 1] units.
    """

    source: DataSource
    train: ImageTensors
    test: ImageTensors
    mean: torch.Tensor
    std: torch.Tensor


def default_output(profile: str, cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return ``<cache>/experiments/<profile>.csv``, the notebook's result file."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return cache / "experiments" / f"{profile}.csv"


def resolve_device(device: str | torch.device) -> torch.device:
    """Parse ``device`` and check that it is available.

    Raises:
        ValueError: For an unparsable name or a CUDA/MPS device this machine lacks.
    """
    try:
        parsed = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device={device!r} is invalid ({error}): pass 'cpu' or 'cuda'") from error
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} is not available: no CUDA GPU found, so pass 'cpu'")
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} is not available: this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)"
            )
    elif parsed.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} is not available: MPS is missing, so pass 'cpu'")
    elif parsed.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device={device!r} is not supported: pass 'cpu' or 'cuda'")
    return parsed


def prepare_data(
    profile: Profile,
    data: str | os.PathLike[str] = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
) -> PreparedData:
    """Resolve the data, decode both splits (cached) and draw the profile's subsets."""
    source = resolve_data(data, cache_dir=cache_dir)
    train = _subset(load_split(source, "train", cache_dir=cache_dir), profile.train_size, profile.data_seed)
    test = _subset(load_split(source, "test", cache_dir=cache_dir), profile.test_size, profile.data_seed)
    mean, std = channel_statistics(train.images)
    logger.info("data %s: %d training and %d test images", source.name, len(train), len(test))
    return PreparedData(source, train, test, mean, std)


def run_experiment(
    profile: str | Profile,
    data: str | os.PathLike[str] = "auto",
    device: str | torch.device = "cpu",
    output: str | os.PathLike[str] | None = None,
    variants: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    placements: Sequence[int] | None = None,
    seed: int = 0,
    threads: int | None = None,
    progress: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Train every run of the grid that the output file does not hold yet.

    Args:
        profile: A profile or its name (``smoke``, ``default``, ``full``).
        data: Data location, as in ``factor.data.resolve_data``.
        device: Training device, e.g. ``"cpu"`` or ``"cuda"``.
        output: Result CSV. Defaults to ``<cache>/experiments/<profile>.csv``.
        variants, seeds, placements, seed: Restrict the grid, as in ``build_grid``.
        threads: CPU threads during training. None uses the profile's setting.
        progress: Whether to show progress bars.
        cache_dir: Cache folder for data. Defaults to ``<repository>/.cache``.

    Returns:
        The rows of the requested runs (one per run and epoch), in grid order.

    Raises:
        ValueError: For an unknown profile, variant, placement or device, an
            unwritable output, or invalid data.
        FileNotFoundError: If the data cannot be found or downloaded.
    """
    chosen = get_profile(profile) if isinstance(profile, str) else profile
    target = resolve_device(device)
    path = check_writable(output if output is not None else default_output(chosen.name, cache_dir))
    grid = build_grid(chosen, variants=variants, seeds=seeds, placements=placements, seed=seed)
    existing = read_results(path)
    prepared = prepare_data(chosen, data, cache_dir)
    hashes = [run_hash(chosen, spec, prepared.source.name) for spec in grid]

    previous_threads = torch.get_num_threads()
    run_threads = threads if threads is not None else chosen.threads
    if run_threads is not None:
        torch.set_num_threads(run_threads)
    try:
        existing = _train_missing(chosen, grid, hashes, prepared, target, existing, path, progress)
    finally:
        torch.set_num_threads(previous_threads)

    order = {key: position for position, key in enumerate(hashes)}
    selected = existing[existing["run_hash"].isin(order)]
    selected = selected.assign(grid_position=selected["run_hash"].map(order))
    selected = selected.sort_values(["grid_position", "epoch"]).drop(columns="grid_position")
    return selected.reset_index(drop=True)


def _train_missing(
    profile: Profile,
    grid: list[RunSpec],
    hashes: list[str],
    prepared: PreparedData,
    device: torch.device,
    existing: pd.DataFrame,
    path: Path,
    progress: bool,
) -> pd.DataFrame:
    """Train each run whose hash is not in ``existing``, appending its rows when it finishes."""
    finished = set(existing["run_hash"])
    for number, (spec, key) in enumerate(zip(grid, hashes), start=1):
        label = f"run {number}/{len(grid)} {spec.variant}@{spec.placement} seed {spec.seed}"
        if key in finished:
            logger.info("%s: found in %s, skipped", label, path)
            continue
        logger.info("%s: training (hash %s)", label, key)
        rows = train_run(profile, spec, prepared, device, progress=progress, name=label)
        rows.insert(0, "run_hash", key)
        existing = append_rows(existing, rows, path)
        finished.add(key)
    return existing


def train_run(
    profile: Profile,
    spec: RunSpec,
    prepared: PreparedData,
    device: torch.device,
    progress: bool = True,
    name: str = "run",
) -> pd.DataFrame:
    """Train one run from scratch and return its rows, one per epoch, without the hash."""
    set_seed(spec.seed)
    build = attention_cifar_net if spec.variant in ATTENTION_VARIANTS else CifarInceptionNet
    model = build(
        spec.variant, spec.placement, width=profile.width, kernel_size=profile.kernel_size,
        num_classes=len(prepared.train.classes),
    )
    memory_format = torch.channels_last if profile.channels_last else torch.contiguous_format
    model = model.to(device=device, memory_format=memory_format)
    train_batches = TensorBatches(
        prepared.train, profile.batch_size, prepared.mean, prepared.std, device=device,
        shuffle=True, augment=True, seed=spec.seed, channels_last=profile.channels_last,
    )
    test_batches = TensorBatches(
        prepared.test, profile.eval_batch_size, prepared.mean, prepared.std, device=device,
        channels_last=profile.channels_last,
    )
    records = train_model(model, train_batches, test_batches, profile.train, progress=progress, name=name)
    return _rows(profile, spec, prepared, device, model, records)


def _rows(
    profile: Profile,
    spec: RunSpec,
    prepared: PreparedData,
    device: torch.device,
    model: torch.nn.Module,
    records: list[EpochRecord],
) -> pd.DataFrame:
    """Combine the epoch records with the run's settings and provenance."""
    provenance = collect_provenance(profile=profile.name, seed=spec.seed)
    settings = {
        "profile": profile.name,
        "variant": spec.variant,
        "placement": spec.placement,
        "seed": spec.seed,
    }
    context = {
        "params": sum(parameter.numel() for parameter in model.parameters()),
        "data_source": prepared.source.name,
        "train_size": len(prepared.train),
        "test_size": len(prepared.test),
        "batch_size": profile.batch_size,
        "width": profile.width,
        "device": str(device),
        **{key: value for key, value in provenance.items() if key not in ("profile", "seed")},
    }
    return pd.DataFrame([{**settings, **record.as_dict(), **context} for record in records])


def _subset(split: ImageTensors, size: int | None, seed: int) -> ImageTensors:
    """Return ``split`` itself when ``size`` is None, else a class-balanced subset."""
    if size is None:
        return split
    return split.subset(balanced_subset(split.labels, size, seed))
