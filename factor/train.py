"""A minimal supervised training loop: SGD, a warm-up then linear-decay schedule, evaluation.

One epoch is one pass over the training batches. After each epoch the loop
evaluates on the test batches and logs one line: loss, train and test
accuracy, training throughput and wall time. Loss and accuracy sums stay on
the device until the epoch ends, so the loop adds no per-step synchronization.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import torch
from torch import nn
from tqdm import tqdm

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Optimizer and schedule of one training run.

    Attributes:
        epochs: Passes over the training batches.
        learning_rate: Peak learning rate, reached at the end of the warm-up.
        momentum: SGD momentum (Nesterov).
        weight_decay: L2 penalty applied by SGD to every parameter,
            BatchNorm scales and biases included.
        label_smoothing: Label smoothing of the cross-entropy loss, 0 for none.
        warmup_fraction: Fraction of all steps over which the learning rate
            rises linearly to ``learning_rate``. It then falls linearly
            towards 0, as ``learning_rate_factor`` gives.
    """

    epochs: int
    learning_rate: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    warmup_fraction: float = 0.15

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs={self.epochs} is invalid: pass a positive count")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate={self.learning_rate} is invalid: pass a positive value")
        if not 0.0 <= self.warmup_fraction < 1.0:
            raise ValueError(f"warmup_fraction={self.warmup_fraction} is invalid: pass a value in [0, 1)")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing={self.label_smoothing} is invalid: pass a value in [0, 1)")


@dataclass(frozen=True)
class EpochRecord:
    """Metrics of one epoch.

    Attributes:
        epoch: 1-based epoch number.
        train_loss: Mean loss over the epoch's training batches (augmented,
            train mode, label smoothing included).
        train_accuracy: Fraction of those training examples classified
            correctly while the weights were changing.
        test_loss: Mean cross-entropy on the test batches after the epoch,
            without label smoothing.
        test_accuracy: Fraction of test examples classified correctly.
        learning_rate: Learning rate of the epoch's last step.
        images_per_second: Training examples per second of training time.
        train_time_s: Seconds spent in the training batches of this epoch.
        eval_time_s: Seconds spent evaluating after this epoch.
        wall_time_s: Seconds since the run started, training and evaluation
            of all epochs so far.
    """

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    learning_rate: float
    images_per_second: float
    train_time_s: float
    eval_time_s: float
    wall_time_s: float

    def as_dict(self) -> dict[str, float | int]:
        """Return the fields as a flat dict."""
        return asdict(self)


def learning_rate_factor(step: int, total_steps: int, warmup_steps: int) -> float:
    """Return the multiplier of the peak learning rate at ``step`` (0-based).

    The factor rises linearly over ``warmup_steps`` steps from ``1 / warmup_steps``
    to 1, then falls linearly to ``1 / (total_steps - warmup_steps)`` at the
    last step, so no step uses a learning rate of exactly zero.
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    decay_steps = total_steps - warmup_steps
    return (total_steps - step) / decay_steps


def train_model(
    model: nn.Module,
    train_batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    test_batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    config: TrainConfig,
    progress: bool = True,
    name: str = "run",
) -> list[EpochRecord]:
    """Train ``model`` with SGD and evaluate it after every epoch.

    Args:
        model: Classifier already on the device of the batches.
        train_batches: Re-iterable (images, labels) batches; ``len()`` must
            give the batches per epoch.
        test_batches: Re-iterable (images, labels) batches for evaluation.
        config: Optimizer and schedule.
        progress: Whether to show a tqdm progress bar over each epoch's batches.
        name: Label of the run in the progress bar and the log lines.

    Returns:
        One record per epoch.
    """
    steps_per_epoch = len(train_batches)  # type: ignore[arg-type]
    total_steps = config.epochs * steps_per_epoch
    warmup_steps = max(1, math.floor(config.warmup_fraction * total_steps))
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.learning_rate, momentum=config.momentum,
        weight_decay=config.weight_decay, nesterov=True,
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, total_steps, warmup_steps)
    )
    criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)

    records = []
    wall_start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        description = f"{name} epoch {epoch}/{config.epochs}"
        batches = tqdm(train_batches, desc=description, leave=False, disable=not progress)
        train_start = time.perf_counter()
        train_loss, train_accuracy, examples, last_rate = _train_epoch(
            model, batches, optimizer, schedule, criterion
        )
        train_time = time.perf_counter() - train_start

        eval_start = time.perf_counter()
        test_loss, test_accuracy = evaluate(model, test_batches)
        eval_time = time.perf_counter() - eval_start

        record = EpochRecord(
            epoch=epoch,
            train_loss=train_loss,
            train_accuracy=train_accuracy,
            test_loss=test_loss,
            test_accuracy=test_accuracy,
            learning_rate=last_rate,
            images_per_second=examples / train_time,
            train_time_s=train_time,
            eval_time_s=eval_time,
            wall_time_s=time.perf_counter() - wall_start,
        )
        records.append(record)
        _log_epoch(name, config.epochs, record)
    return records


def _train_epoch(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    criterion: nn.Module,
) -> tuple[float, float, int, float]:
    """Run one epoch of SGD steps.

    Returns:
        Mean loss, accuracy, example count and the learning rate of the last step.
    """
    model.train()
    loss_sum = correct = None
    examples = 0
    rate = 0.0
    for images, labels in batches:
        # Forward and backward.
        logits = model(images)
        loss = criterion(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()

        # Step the weights, then the learning rate for the next step.
        rate = optimizer.param_groups[0]["lr"]
        optimizer.step()
        schedule.step()

        # Accumulate on the device; reading the sums waits until the epoch ends.
        batch_loss = loss.detach() * labels.numel()
        batch_correct = (logits.detach().argmax(dim=1) == labels).sum()
        loss_sum = batch_loss if loss_sum is None else loss_sum + batch_loss
        correct = batch_correct if correct is None else correct + batch_correct
        examples += labels.numel()
    if loss_sum is None or correct is None:
        raise ValueError("train_batches yielded no batches: pass a non-empty training set")
    return loss_sum.item() / examples, correct.item() / examples, examples, rate


@torch.no_grad()
def evaluate(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]]
) -> tuple[float, float]:
    """Return the mean cross-entropy (no label smoothing) and accuracy of ``model`` in eval mode."""
    model.eval()
    loss_sum = torch.zeros(())
    correct = torch.zeros((), dtype=torch.int64)
    examples = 0
    for images, labels in batches:
        logits = model(images)
        loss_sum = loss_sum.to(logits.device) + nn.functional.cross_entropy(logits, labels, reduction="sum")
        correct = correct.to(logits.device) + (logits.argmax(dim=1) == labels).sum()
        examples += labels.numel()
    if examples == 0:
        raise ValueError("test_batches yielded no batches: pass a non-empty test set")
    return loss_sum.item() / examples, correct.item() / examples


def _log_epoch(name: str, epochs: int, record: EpochRecord) -> None:
    """Log one fixed-format line for an epoch."""
    logger.info(
        "%s epoch %d/%d: loss %.4f, train acc %.4f, test acc %.4f, %.0f img/s, %.1f s",
        name, record.epoch, epochs, record.train_loss, record.train_accuracy,
        record.test_accuracy, record.images_per_second, record.wall_time_s,
    )
