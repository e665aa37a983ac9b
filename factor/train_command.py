"""``python -m factor train``: train the experiment grid of a profile outside the notebook.

It calls the same ``run_experiment`` as the experiments chapter, so a result
file written here can be read there and the other way round. Finished runs
found in the output file are skipped, so rerunning an interrupted command
resumes it.
"""

from __future__ import annotations

import argparse
import sys

from factor.cifar_net import PLACEMENTS, VARIANTS
from factor.experiment import PROFILES, build_grid, default_output, get_profile, run_experiment
from factor.experiment.analysis import summarize

EXIT_USAGE = 2
PROG = "python -m factor train"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand to the CLI's subparsers."""
    parser = subparsers.add_parser(
        "train",
        help="train the full, factorized and separable CIFAR networks of a profile",
        description="Train every (variant, placement, seed) run of a profile and append "
        "one CSV row per run and epoch. Runs already in the output file are skipped.",
    )
    parser.add_argument(
        "--profile", default="default", choices=list(PROFILES),
        help="training protocol: smoke (seconds, for tests), default (2 CPU cores), "
        "full (whole training set, meant for a GPU) (default: %(default)s)",
    )

    parser.add_argument(
        "--data", default="auto",
        help="'auto' (shared CIFAR-10 JPEG archive, else torchvision download), "
        "'torchvision', a .tar.gz archive or an ImageFolder directory with "
        "train/<class>/* and test/<class>/* (default: %(default)s)",
    )
    parser.add_argument("--device", default="cpu", help="training device, e.g. cpu or cuda (default: cpu)")
    parser.add_argument(
        "--output", default=None,
        help="result CSV file (default: .cache/experiments/<profile>.csv in the repository)",
    )

    parser.add_argument("--variants", nargs="+", choices=VARIANTS, help="train only these variants")
    parser.add_argument(
        "--placements", nargs="+", type=int, choices=PLACEMENTS,
        help="train only at these grid sizes (32, 16, 8)",
    )
    parser.add_argument("--seeds", nargs="+", type=int, help="seeds to run (default: the profile's)")

    parser.add_argument(
        "--threads", type=int, default=None,
        help="CPU threads for training (default: the profile's setting)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train the requested runs, print a summary and return the exit status."""
    if args.threads is not None and args.threads < 1:
        return _fail(f"--threads {args.threads} is invalid: pass a positive number of threads")
    if args.seeds is not None and any(seed < 0 for seed in args.seeds):
        return _fail(f"--seeds {' '.join(map(str, args.seeds))} is invalid: pass non-negative integers")
    try:
        grid = build_grid(get_profile(args.profile), variants=args.variants, seeds=args.seeds,
                          placements=args.placements)
    except ValueError as error:
        return _fail(str(error))
    if not grid:
        profile = get_profile(args.profile)
        return _fail(
            f"profile {args.profile} has no run for --variants {' '.join(args.variants or VARIANTS)} "
            f"at --placements {' '.join(map(str, args.placements or PLACEMENTS))}: all variants train at "
            f"{profile.main_placement}, and only {', '.join(profile.ablation_variants)} at the other placements"
        )
    output = args.output if args.output is not None else default_output(args.profile)
    try:
        results = run_experiment(
            args.profile, data=args.data, device=args.device, output=output,
            variants=args.variants, seeds=args.seeds, placements=args.placements,
            threads=args.threads, progress=not args.no_progress,
        )
    except (ValueError, FileNotFoundError) as error:
        return _fail(str(error))

    table = summarize(results, ["test_accuracy", "images_per_second"])
    sys.stdout.write(f"results: {output} ({len(results)} rows, data {results['data_source'].iloc[0]})\n")
    sys.stdout.write("final-epoch test accuracy and training throughput, mean and std over seeds:\n")
    sys.stdout.write(table.to_string(index=False, float_format=lambda value: f"{value:.4g}") + "\n")
    return 0


def _fail(message: str) -> int:
    """Write a one-line error to stderr and return the usage-error exit status."""
    sys.stderr.write(f"{PROG}: error: {message}\n")
    return EXIT_USAGE
