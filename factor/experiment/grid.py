"""The runs of an experiment and the hash that identifies a finished run.

The grid has two parts that share runs: every variant at the profile's main
placement (the four-variant comparison), and the ablation variants at every
placement (the grid-size ablation). Each (variant, placement) pair is
trained once per seed.

A run's hash covers the profile's protocol, the variant, placement and seed,
the data source and the source code that computes the numbers. A run found
in the results under the same hash is finished, so a changed protocol, data
source or model is trained again instead of being read from stale rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from factor.blocks.cifar_variants import ATTENTION_VARIANTS
from factor.cifar_net import PLACEMENTS, VARIANTS
from factor.experiment.profiles import Profile

PACKAGE_DIR = Path(__file__).resolve().parents[1]
CODE_FILES = (
    "cifar_net.py",
    "train.py",
    "data/augment.py",
    "data/batches.py",
    "data/tensors.py",
    "experiment/runner.py",
    "layers/*.py",
    "blocks/*.py",
)
"""Files of the ``factor`` package whose code decides the numbers of a run."""


@dataclass(frozen=True)
class RunSpec:
    """One training run: a variant at a placement, with one seed."""

    variant: str
    placement: int
    seed: int


def build_grid(
    profile: Profile,
    variants: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    placements: Sequence[int] | None = None,
    seed: int = 0,
) -> list[RunSpec]:
    """List the runs of ``profile``, optionally restricted.

    Args:
        profile: The protocol.
        variants: Keep only these variants. None keeps the four variants of
            ``factor.cifar_net.VARIANTS``; the attention variants of
            ``factor.blocks.cifar_variants.ATTENTION_VARIANTS`` run only when
            named here, and only at the main placement.
        seeds: Seeds to run. None uses ``seed, seed + 1, ...`` (``profile.num_seeds`` of them).
        placements: Keep only these placements. None keeps all.
        seed: First seed when ``seeds`` is None.

    Returns:
        Runs ordered by placement (main placement first), then variant, then seed.

    Raises:
        ValueError: For an unknown variant or placement, or an empty or
            repeated seed list.
    """
    if variants is None:
        chosen_variants = list(VARIANTS)
    else:
        chosen_variants = _check_subset("variant", variants, VARIANTS + ATTENTION_VARIANTS)
    chosen_placements = _check_subset("placement", placements, PLACEMENTS)
    run_seeds = list(range(seed, seed + profile.num_seeds)) if seeds is None else list(seeds)
    if not run_seeds or len(set(run_seeds)) != len(run_seeds):
        raise ValueError(f"seeds={run_seeds!r} is invalid: pass one or more distinct integers")

    ordered = sorted(PLACEMENTS, key=lambda grid: grid != profile.main_placement)
    grid = []
    for placement in ordered:
        main = placement == profile.main_placement
        allowed = VARIANTS + ATTENTION_VARIANTS if main else profile.ablation_variants
        for variant in allowed:
            if variant in chosen_variants and placement in chosen_placements:
                grid.extend(RunSpec(variant, placement, run_seed) for run_seed in run_seeds)
    return grid


def run_hash(profile: Profile, spec: RunSpec, data_source: str) -> str:
    """Return a 16-hex-digit hash of everything that decides the run's numbers."""
    payload = {
        "protocol": profile.protocol(),
        "variant": spec.variant,
        "placement": spec.placement,
        "seed": spec.seed,
        "data_source": data_source,
        "code": code_fingerprint(),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def code_fingerprint() -> str:
    """Return a SHA-256 over the source files listed in ``CODE_FILES``."""
    digest = hashlib.sha256()
    for pattern in CODE_FILES:
        for path in sorted(PACKAGE_DIR.glob(pattern)):
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode("utf-8"))
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _check_subset(name: str, chosen: Sequence[object] | None, valid: Sequence[object]) -> list[object]:
    """Return ``chosen`` (or all of ``valid``) after checking each entry is valid."""
    if chosen is None:
        return list(valid)
    unknown = [entry for entry in chosen if entry not in valid]
    if unknown or not chosen:
        raise ValueError(
            f"{name}s={list(chosen)!r} is invalid: pass one or more of {', '.join(map(str, valid))}"
        )
    return list(chosen)
