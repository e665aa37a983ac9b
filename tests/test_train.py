"""Tests for factor.train: the learning-rate schedule, evaluation and the training loop."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from factor.train import EpochRecord, TrainConfig, evaluate, learning_rate_factor, train_model


class Batches:
    """Fixed (inputs, labels) batches that can be iterated many times."""

    def __init__(self, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        return iter(self.batches)


def separable_batches(seed: int = 0, batches: int = 4, size: int = 16) -> Batches:
    """Two Gaussian blobs in 2-D, labelled by the sign of the first coordinate."""
    generator = torch.Generator().manual_seed(seed)
    data = []
    for _ in range(batches):
        inputs = torch.randn(size, 2, generator=generator)
        data.append((inputs, (inputs[:, 0] > 0).long()))
    return Batches(data)


class ConstantLogits(nn.Module):
    """Return the same logits for every input row."""

    def __init__(self, logits: list[float]) -> None:
        super().__init__()
        self.logits = torch.tensor(logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(x.shape[0], -1)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        # total 10 steps, warm-up 2: (step + 1) / 2 while warming up ...
        (0, 0.5),
        (1, 1.0),
        # ... then (10 - step) / 8.
        (2, 1.0),
        (6, 0.5),
        (9, 0.125),
    ],
)
def test_learning_rate_factor(step: int, expected: float) -> None:
    assert learning_rate_factor(step, total_steps=10, warmup_steps=2) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [("epochs", 0), ("learning_rate", 0.0), ("warmup_fraction", 1.0), ("label_smoothing", -0.1)],
)
def test_invalid_config_raises(field: str, value: float) -> None:
    settings = {"epochs": 1, field: value}
    with pytest.raises(ValueError, match=field):
        TrainConfig(**settings)


def test_evaluate_constant_logits() -> None:
    model = ConstantLogits([0.0, 0.0, 0.0])
    batches = Batches([(torch.zeros(4, 1), torch.tensor([0, 0, 1, 2]))])
    loss, accuracy = evaluate(model, batches)
    # Equal logits over 3 classes: cross-entropy ln 3 for every example.
    assert loss == pytest.approx(math.log(3))
    # argmax of equal logits is class 0, right for 2 of the 4 labels.
    assert accuracy == 0.5


def test_evaluate_empty_raises() -> None:
    with pytest.raises(ValueError, match="no batches"):
        evaluate(ConstantLogits([0.0]), Batches([]))


def train_linear(seed: int, epochs: int = 3) -> list[EpochRecord]:
    torch.manual_seed(seed)
    model = nn.Linear(2, 2)
    config = TrainConfig(epochs=epochs, learning_rate=0.5, label_smoothing=0.0)
    return train_model(model, separable_batches(), separable_batches(seed=1), config, progress=False)


def test_training_learns_separable_data() -> None:
    records = train_linear(seed=0)
    assert [record.epoch for record in records] == [1, 2, 3]
    assert records[-1].train_loss < records[0].train_loss
    assert records[-1].test_accuracy >= 0.9
    assert all(record.images_per_second > 0 for record in records)
    assert records[-1].wall_time_s >= records[0].wall_time_s


def test_last_learning_rate_recorded() -> None:
    records = train_linear(seed=0)
    # 3 epochs x 4 batches = 12 steps, warm-up floor(0.15 * 12) = 1 step; the last step (11)
    # uses 0.5 * (12 - 11) / 11.
    assert records[-1].learning_rate == pytest.approx(0.5 / 11)
    # Step 3, the last of epoch 1, uses 0.5 * (12 - 3) / 11.
    assert records[0].learning_rate == pytest.approx(0.5 * 9 / 11)


def test_training_is_deterministic() -> None:
    first = train_linear(seed=4)
    second = train_linear(seed=4)
    metrics = ["train_loss", "train_accuracy", "test_loss", "test_accuracy"]
    for one, two in zip(first, second):
        assert [getattr(one, name) for name in metrics] == [getattr(two, name) for name in metrics]


def test_empty_training_batches_raise() -> None:
    with pytest.raises(ValueError, match="no batches"):
        train_model(nn.Linear(2, 2), Batches([]), separable_batches(), TrainConfig(epochs=1), progress=False)


def test_one_log_line_per_epoch(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="factor.train"):
        train_linear(seed=0, epochs=2)
    lines = [record.getMessage() for record in caplog.records if record.name == "factor.train"]
    assert len(lines) == 2
    assert lines[0].startswith("run epoch 1/2: loss ")
    assert "img/s" in lines[1]
