"""Provenance of a run: code version, library versions, hardware, seed.

Every table and figure in the report records where it came from. The
dictionary that ``collect_provenance`` returns has string values only, so a
notebook can print it as a table or write it next to a result file.
"""

from __future__ import annotations

import importlib.metadata
import logging
import platform
import random
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

logger = logging.getLogger(__name__)

GIT_TIMEOUT_S = 5.0
"""Maximum time in seconds that each git command may run."""

PACKAGE_REPOSITORY = Path(__file__).resolve().parent.parent
"""Directory above the ``factor`` package: the repository root of a source checkout."""


def collect_provenance(
    profile: str | None = None,
    seed: int | None = None,
    repository: str | Path | None = None,
) -> dict[str, str]:
    """Collect the code version, library versions and hardware of this run.

    Args:
        profile: Name of the run profile (for example ``"quick"``), or None.
        seed: Seed passed to ``set_seed``, or None.
        repository: Directory whose git commit is recorded. Defaults to the
            repository that contains the ``factor`` package.

    Returns:
        A dict of strings with the keys ``git_commit``, ``python``, ``torch``,
        ``torchvision``, ``numpy``, ``platform``, ``cpu``, ``gpu``,
        ``threads``, ``profile``, ``seed`` and ``timestamp_utc``. Missing
        values are ``"none"`` (no profile, seed or GPU), ``"unknown"`` (no
        git checkout) or ``"not installed"`` (no torchvision).
    """
    return {
        "git_commit": git_commit(PACKAGE_REPOSITORY if repository is None else Path(repository)),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": _distribution_version("torchvision"),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "gpu": gpu_name(),
        "threads": str(torch.get_num_threads()),
        "profile": "none" if profile is None else profile,
        "seed": "none" if seed is None else str(seed),
        "timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def git_commit(repository: Path) -> str:
    """Return the HEAD commit of ``repository``, or ``"unknown"`` outside a checkout.

    The hash gets a ``-dirty`` suffix when tracked files have staged or
    unstaged changes. Untracked files do not count.
    """
    head = _run_git(["rev-parse", "HEAD"], repository)
    if head is None:
        return "unknown"
    changes = _run_git(["status", "--porcelain", "--untracked-files=no"], repository)
    if changes is None:
        return "unknown"
    return f"{head}-dirty" if changes else head


def _run_git(arguments: list[str], repository: Path) -> str | None:
    """Run git in ``repository`` and return its stripped output, or None on failure."""
    try:
        completed = subprocess.run(
            ["git", *arguments],
            cwd=repository,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        logger.debug("git %s failed in %s: %s", " ".join(arguments), repository, error)
        return None
    return completed.stdout.strip()


def cpu_name() -> str:
    """Return the CPU model name from /proc/cpuinfo, else from the platform module."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def gpu_name() -> str:
    """Return the name of the current CUDA device, or ``"none"`` without CUDA."""
    if not torch.cuda.is_available():
        return "none"
    return torch.cuda.get_device_name(torch.cuda.current_device())


def device_name(device: torch.device) -> str:
    """Return a readable hardware name for ``device``: a CPU model or a GPU name."""
    if device.type == "cpu":
        return cpu_name()
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return str(device)


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA).

    NOTE: This does not call ``torch.use_deterministic_algorithms(True)``.
    That switch raises an error in operations that have no deterministic
    implementation, needs ``CUBLAS_WORKSPACE_CONFIG`` to be set on CUDA, and
    replaces some fast kernels by slower ones, which would bias the latency
    measurements in this package. Callers that need bitwise repeatability
    can turn it on themselves.

    Args:
        seed: Integer in [0, 2**32 - 1], the range NumPy accepts.

    Raises:
        ValueError: If ``seed`` is not an integer in that range.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32 - 1], got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def _distribution_version(name: str) -> str:
    """Return the installed version of a distribution, or ``"not installed"``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
