"""Time Inception v3 and its unfactorized counterpart, forward pass only.

Prints one table row per network, batch size and memory format (median and
IQR in milliseconds per batch, the speedup of the factorized network and its
MAC ratio), then the run's provenance. It is a script, not a test: the
numbers depend on the machine, its load, the thread count and the PyTorch
build.

Usage::

    python benchmarks/inception_latency.py --batch-sizes 1 32 \
        --memory-formats contiguous channels_last --threads 2
    python benchmarks/inception_latency.py --device cuda
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

import pandas as pd
import torch

from factor.counting import count_flops
from factor.inception.network import inception_v3
from factor.latency import MEMORY_FORMATS, measure_latency
from factor.provenance import collect_provenance, set_seed

NETWORKS = {"factorized": True, "unfactorized": False}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32], help="batch sizes N to time")
    parser.add_argument("--image-size", type=int, default=299, help="input height and width in pixels")
    parser.add_argument(
        "--memory-formats", nargs="+", default=["contiguous"], choices=sorted(MEMORY_FORMATS),
        help="memory formats of weights and input",
    )
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument("--threads", type=int, default=None, help="intra-op CPU threads (default: torch's)")
    parser.add_argument("--min-run-time", type=float, default=1.0, help="seconds of timed runs per row")
    parser.add_argument("--warmup", type=int, default=2, help="untimed forward passes before timing")
    parser.add_argument("--no-aux", action="store_true", help="build the networks without AuxLogits")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and inputs")
    return parser


def latency_table(args: argparse.Namespace) -> pd.DataFrame:
    """Time every network, batch size and memory format; return one row each."""
    models = {name: inception_v3(factorized=flag, aux_logits=not args.no_aux) for name, flag in NETWORKS.items()}
    image = (1, 3, args.image_size, args.image_size)
    macs = {name: count_flops(model, input_size=image).macs for name, model in models.items()}
    rows = []
    for batch_size in args.batch_sizes:
        for memory_format in args.memory_formats:
            timings = {
                name: measure_latency(
                    model, (batch_size, 3, args.image_size, args.image_size), device=args.device,
                    threads=args.threads, memory_format=memory_format,
                    min_run_time=args.min_run_time, warmup=args.warmup,
                )
                for name, model in models.items()
            }
            for name, result in timings.items():
                rows.append({
                    "network": name, "batch": batch_size, "memory_format": memory_format,
                    "median_ms": 1e3 * result.median_s, "iqr_ms": 1e3 * result.iqr_s,
                    "per_image_ms": 1e3 * result.per_image_s, "runs": result.runs,
                    "threads": result.threads, "noisy": result.noisy,
                    "speedup": timings["unfactorized"].median_s / result.median_s,
                    "mac_ratio": macs["unfactorized"] / macs[name],
                    "device": result.device,
                })
    return pd.DataFrame(rows)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    set_seed(args.seed)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    table = latency_table(args)
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(table.round(3).to_string(index=False))
    print()
    for key, value in collect_provenance(seed=args.seed).items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
