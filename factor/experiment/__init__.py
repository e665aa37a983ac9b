"""Experiments: profiles, the run grid, resumable result files and their analysis.

``run_experiment`` trains the runs of a profile that its result CSV does not
contain yet. ``python -m factor train`` and the experiments chapter both call it.
"""

from factor.experiment.grid import RunSpec, build_grid, code_fingerprint, run_hash
from factor.experiment.profiles import PROFILES, Profile, get_profile
from factor.experiment.results import append_rows, check_writable, read_results, write_csv_atomic
from factor.experiment.runner import (
    PreparedData,
    default_output,
    prepare_data,
    resolve_device,
    run_experiment,
    train_run,
)

__all__ = [
    "PROFILES",
    "PreparedData",
    "Profile",
    "RunSpec",
    "append_rows",
    "build_grid",
    "check_writable",
    "code_fingerprint",
    "default_output",
    "get_profile",
    "prepare_data",
    "read_results",
    "resolve_device",
    "run_experiment",
    "run_hash",
    "train_run",
    "write_csv_atomic",
]
