"""Command-line interface: ``python -m factor COMMAND ...``.

Each subcommand lives in its own module and registers itself through a
``register(subparsers)`` function that sets ``func`` on its parser.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from factor import count_command, train_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m factor",
        description="Count, time and train factorized convolutional networks.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", required=True)
    count_command.register(subparsers)
    train_command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    return int(args.func(args))
