"""Compare the training harness's throughput with a bare PyTorch loop on the same model and data.

The harness is ``factor.train.train_model`` fed by ``factor.data.TensorBatches``:
per-batch augmentation (random crop and flip), normalization, the learning-rate
schedule and on-device loss and accuracy sums. The bare loop draws batches
from a tensor that is already normalized and steps plain SGD, with nothing
else. Both train a fresh copy of the same initial model on the same images,
one epoch per measurement, alternating so that a change in machine load hits
both. Throughput counts training images per second of training time; the
harness's evaluation after each epoch is excluded.

It is a script, not a test: the numbers depend on the machine, its load, the
thread count and the PyTorch build. The harness should reach at least 0.9x
the bare loop.

Usage::

    python benchmarks/train_throughput.py --threads 2
    python benchmarks/train_throughput.py --variant separable --images 5000 --repeats 5
"""

from __future__ import annotations

import argparse
import copy
import logging
import statistics
import time

import torch
from torch import nn

from factor.cifar_net import VARIANTS, CifarInceptionNet
from factor.data import TensorBatches
from factor.experiment import PreparedData, get_profile, prepare_data, resolve_device
from factor.provenance import collect_provenance, set_seed
from factor.train import TrainConfig, train_model

TARGET_RATIO = 0.9


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="full", choices=VARIANTS, help="network variant to train")
    parser.add_argument("--profile", default="default", help="profile whose data, width and batch size to use")
    parser.add_argument("--data", default="auto", help="data location, as for python -m factor train")
    parser.add_argument("--images", type=int, default=3000, help="training images per epoch")
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed per loop")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument("--threads", type=int, default=2, help="intra-op CPU threads")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and batch order")
    return parser


def bare_epoch(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int, lr: float) -> float:
    """Train one epoch with the plainest loop and return images per second."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, nesterov=True)
    criterion = nn.CrossEntropyLoss()
    model.train()
    _synchronize(images.device)
    start = time.perf_counter()
    order = torch.randperm(labels.numel(), device=images.device)
    for first in range(0, labels.numel(), batch_size):
        chosen = order[first:first + batch_size]
        loss = criterion(model(images[chosen]), labels[chosen])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _synchronize(images.device)
    return labels.numel() / (time.perf_counter() - start)


def harness_epoch(
    model: nn.Module,
    prepared: PreparedData,
    batch_size: int,
    config: TrainConfig,
    device: torch.device,
    seed: int,
) -> float:
    """Train one epoch through ``train_model`` and return its training images per second."""
    batches = TensorBatches(
        prepared.train, batch_size, prepared.mean, prepared.std, device=device,
        shuffle=True, augment=True, seed=seed, channels_last=True,
    )
    # Evaluation is timed apart from training, so one test batch is enough.
    one_batch = prepared.test.subset(torch.arange(min(len(prepared.test), batch_size)))
    test_batches = TensorBatches(
        one_batch, batch_size, prepared.mean, prepared.std, device=device, channels_last=True
    )
    records = train_model(model, batches, test_batches, config, progress=False, name="harness")
    return records[0].images_per_second


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def normalized_images(prepared: PreparedData, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the training images normalized once, for the bare loop, and their labels."""
    mean = prepared.mean.view(1, -1, 1, 1) * 255.0
    std = prepared.std.view(1, -1, 1, 1) * 255.0
    images = (prepared.train.images.float() - mean) / std
    return images.to(device).contiguous(memory_format=torch.channels_last), prepared.train.labels.to(device)


def main() -> None:
    args = build_parser().parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    profile = get_profile(args.profile)
    set_seed(args.seed)

    # Data: the profile's training subset, cut to --images.
    prepared = prepare_data(profile, args.data)
    train = prepared.train.subset(torch.arange(min(args.images, len(prepared.train))))
    prepared = PreparedData(prepared.source, train, prepared.test, prepared.mean, prepared.std)
    images, labels = normalized_images(prepared, device)

    # One initial model; every epoch trains a fresh copy of it.
    initial = CifarInceptionNet(args.variant, profile.main_placement, width=profile.width)
    initial = initial.to(device=device, memory_format=torch.channels_last)
    config = TrainConfig(epochs=1, learning_rate=profile.train.learning_rate)

    def run_bare() -> float:
        return bare_epoch(copy.deepcopy(initial), images, labels, profile.batch_size, config.learning_rate)

    def run_harness(seed: int) -> float:
        return harness_epoch(copy.deepcopy(initial), prepared, profile.batch_size, config, device, seed)

    # Warm-up: one untimed epoch of each loop (allocator, kernel selection).
    run_bare()
    run_harness(args.seed)
    bare, harness = [], []
    for repeat in range(args.repeats):
        bare.append(run_bare())
        harness.append(run_harness(args.seed + repeat))

    # Report.
    ratio = statistics.median(harness) / statistics.median(bare)
    provenance = collect_provenance(profile=profile.name, seed=args.seed)
    hardware = provenance["cpu"] if device.type == "cpu" else provenance["gpu"]
    print(f"model: CifarInceptionNet({args.variant!r}, placement={profile.main_placement}, width={profile.width})")
    print(f"data: {prepared.source.name}, {labels.numel()} images per epoch, batch {profile.batch_size}")
    print(f"device: {device} ({hardware}), threads {torch.get_num_threads()}, channels_last, "
          f"{args.repeats} epochs per loop, git {provenance['git_commit']}")
    print(f"bare loop: median {statistics.median(bare):.0f} img/s (runs: {', '.join(f'{v:.0f}' for v in bare)})")
    print(f"harness:   median {statistics.median(harness):.0f} img/s (runs: {', '.join(f'{v:.0f}' for v in harness)})")
    verdict = "meets" if ratio >= TARGET_RATIO else "misses"
    print(f"ratio harness / bare: {ratio:.3f} ({verdict} the {TARGET_RATIO:.1f}x target)")


if __name__ == "__main__":
    main()
