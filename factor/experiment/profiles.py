"""Named training protocols: ``smoke`` for tests, ``default`` for 2 CPU cores, ``full`` for a GPU.

A profile fixes everything that decides the numbers of a run except the
variant, the placement and the seed: data subset, model width, optimizer,
schedule, epochs and batch size. All variants of a profile share it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from factor.train import TrainConfig


@dataclass(frozen=True)
class Profile:
    """One training protocol and the grid of runs it covers.

    Attributes:
        name: Profile name, written into every result row.
        train: Optimizer, schedule and epochs.
        train_size: Training images, drawn with the same count per class. None
            takes the whole training split.
        test_size: Test images, drawn the same way. None takes the whole test split.
        batch_size: Training examples per SGD step.
        eval_batch_size: Test examples per forward pass.
        width: Channel multiplier of ``CifarInceptionNet``.
        kernel_size: k of the large-kernel convolution.
        num_seeds: Seeds per (variant, placement): ``seed``, ``seed + 1``, ...
        data_seed: Seed of the subset draw, the same for every run.
        threads: CPU threads for training, None to keep torch's setting.
        channels_last: Whether model and batches use channels-last memory
            layout (faster convolutions on CPU).
        main_placement: Grid of the four-variant comparison.
        ablation_variants: Variants trained at every placement for the
            grid-size ablation.
    """

    name: str
    train: TrainConfig
    train_size: int | None
    test_size: int | None
    batch_size: int
    eval_batch_size: int
    width: int
    kernel_size: int
    num_seeds: int
    data_seed: int = 0
    threads: int | None = None
    channels_last: bool = True
    main_placement: int = 16
    ablation_variants: tuple[str, ...] = field(default=("full", "factorized"))

    def protocol(self) -> dict[str, object]:
        """Return the settings that decide a run's numbers, for the run hash.

        Name, seed count and threads are left out: they select runs or
        change speed, not what a run computes.
        """
        settings = asdict(self)
        for key in ("name", "num_seeds", "threads", "main_placement", "ablation_variants"):
            settings.pop(key)
        return settings


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        train=TrainConfig(epochs=2, learning_rate=0.05),
        train_size=200,
        test_size=100,
        batch_size=50,
        eval_batch_size=100,
        width=2,
        kernel_size=7,
        num_seeds=2,
        threads=1,
    ),
    "default": Profile(
        name="default",
        train=TrainConfig(epochs=4, learning_rate=0.1),
        train_size=6000,
        test_size=2000,
        batch_size=128,
        eval_batch_size=1000,
        width=8,
        kernel_size=7,
        num_seeds=3,
        threads=2,
    ),
    "full": Profile(
        name="full",
        train=TrainConfig(epochs=30, learning_rate=0.1),
        train_size=None,
        test_size=None,
        batch_size=128,
        eval_batch_size=1000,
        width=16,
        kernel_size=7,
        num_seeds=5,
    ),
}


def get_profile(name: str) -> Profile:
    """Return the profile called ``name``.

    Raises:
        ValueError: If no profile has that name, listing the valid names.
    """
    if name not in PROFILES:
        raise ValueError(f"profile={name!r} is invalid: pass one of {', '.join(PROFILES)}")
    return PROFILES[name]
