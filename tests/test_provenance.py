"""Tests for factor.provenance: git state, environment keys and seeding."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import torch

from factor.provenance import collect_provenance, cpu_name, device_name, git_commit, set_seed

EXPECTED_KEYS = {
    "git_commit",
    "python",
    "torch",
    "torchvision",
    "numpy",
    "platform",
    "cpu",
    "gpu",
    "threads",
    "profile",
    "seed",
    "timestamp_utc",
}

requires_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repository: Path, *arguments: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *arguments],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A fresh git repository with one committed file."""
    _git(tmp_path, "init", "--quiet")
    (tmp_path / "tracked.txt").write_text("first\n", encoding="utf-8")
    _git(tmp_path, "add", "tracked.txt")
    _git(tmp_path, "commit", "--quiet", "-m", "Add tracked file")
    return tmp_path


@requires_git
def test_git_commit_clean_checkout(repository: Path) -> None:
    head = _git(repository, "rev-parse", "HEAD")
    # A clean checkout reports the bare 40-hex HEAD hash.
    assert git_commit(repository) == head
    assert re.fullmatch(r"[0-9a-f]{40}", head)


@requires_git
@pytest.mark.parametrize("staged", [False, True])
def test_git_commit_dirty_tracked_file(repository: Path, staged: bool) -> None:
    head = _git(repository, "rev-parse", "HEAD")
    (repository / "tracked.txt").write_text("changed\n", encoding="utf-8")
    if staged:
        _git(repository, "add", "tracked.txt")
    # A modified tracked file, staged or not, adds the suffix.
    assert git_commit(repository) == f"{head}-dirty"


@requires_git
def test_git_commit_ignores_untracked_files(repository: Path) -> None:
    head = _git(repository, "rev-parse", "HEAD")
    (repository / "untracked.txt").write_text("new\n", encoding="utf-8")
    # Untracked files leave the hash unchanged.
    assert git_commit(repository) == head


def test_git_commit_outside_checkout(tmp_path: Path) -> None:
    # tmp_path lies outside any repository, so git rev-parse fails.
    assert git_commit(tmp_path) == "unknown"


def test_git_commit_missing_directory(tmp_path: Path) -> None:
    assert git_commit(tmp_path / "does-not-exist") == "unknown"


@requires_git
def test_collect_provenance_uses_given_repository(repository: Path) -> None:
    head = _git(repository, "rev-parse", "HEAD")
    provenance = collect_provenance(profile="quick", seed=7, repository=repository)
    assert provenance["git_commit"] == head


def test_collect_provenance_keys_and_values(tmp_path: Path) -> None:
    provenance = collect_provenance(profile="full", seed=123, repository=tmp_path)
    assert set(provenance) == EXPECTED_KEYS
    assert all(isinstance(value, str) for value in provenance.values())
    assert provenance["profile"] == "full"
    assert provenance["seed"] == "123"
    assert provenance["torch"] == torch.__version__
    assert provenance["numpy"] == np.__version__
    assert provenance["threads"] == str(torch.get_num_threads())
    assert provenance["git_commit"] == "unknown"


def test_collect_provenance_defaults_are_none() -> None:
    provenance = collect_provenance()
    assert provenance["profile"] == "none"
    assert provenance["seed"] == "none"


def test_collect_provenance_timestamp_is_utc() -> None:
    timestamp = datetime.fromisoformat(collect_provenance()["timestamp_utc"])
    assert timestamp.utcoffset() is not None
    assert timestamp.utcoffset().total_seconds() == 0


def test_collect_provenance_gpu_matches_cuda() -> None:
    gpu = collect_provenance()["gpu"]
    if torch.cuda.is_available():
        assert gpu == torch.cuda.get_device_name(torch.cuda.current_device())
    else:
        assert gpu == "none"


def test_cpu_name_is_not_empty() -> None:
    assert cpu_name().strip()


def test_device_name_cpu_is_cpu_model() -> None:
    assert device_name(torch.device("cpu")) == cpu_name()


def _draw_all() -> tuple[float, float, torch.Tensor]:
    return random.random(), float(np.random.rand()), torch.rand(3)


@pytest.mark.parametrize("seed", [0, 1, 2**32 - 1])
def test_set_seed_repeats_draws(seed: int) -> None:
    set_seed(seed)
    first = _draw_all()
    set_seed(seed)
    second = _draw_all()
    assert first[0] == second[0]
    assert first[1] == second[1]
    assert torch.equal(first[2], second[2])


def test_set_seed_different_seeds_differ() -> None:
    set_seed(0)
    first = _draw_all()
    set_seed(1)
    second = _draw_all()
    assert first[0] != second[0]
    assert first[1] != second[1]
    assert not torch.equal(first[2], second[2])


def test_set_seed_leaves_determinism_off() -> None:
    before = torch.are_deterministic_algorithms_enabled()
    set_seed(5)
    assert torch.are_deterministic_algorithms_enabled() == before


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "3", True])
def test_set_seed_rejects_invalid(seed: object) -> None:
    with pytest.raises(ValueError, match="seed must be an integer"):
        set_seed(seed)  # type: ignore[arg-type]
