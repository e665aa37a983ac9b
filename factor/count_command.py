"""``python -m factor count MODEL``: parameters, MACs and FLOPs of a torchvision classifier.

The command builds the model with random weights (nothing is downloaded),
runs one batch of zeros through :func:`factor.counting.count_flops` and
prints the totals and a per-module table, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys

import torchvision
from torch import nn

from factor.counting import CostReport, count_flops
from factor.inception import inception_v3

DEFAULT_INPUT_SIZE = 224
# Models whose documented input size differs from DEFAULT_INPUT_SIZE.
MODEL_INPUT_SIZES = {"inception_v3": 299}
# Models that warn unless their weight initialization is chosen explicitly.
EXPLICIT_INIT_MODELS = ("googlenet", "inception_v3")
IMAGE_CHANNELS = 3
EXIT_USAGE = 2
PROG = "python -m factor count"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``count`` subcommand to the CLI's subparsers."""
    parser = subparsers.add_parser(
        "count",
        help="count parameters, MACs and FLOPs of a torchvision classifier",
        description="Build a torchvision classifier with random weights, run one batch "
        "of zeros and report its parameters, MACs and FLOPs (2 FLOPs per MAC).",
    )
    parser.add_argument(
        "model", help="torchvision classification model name, e.g. resnet18 or inception_v3"
    )
    parser.add_argument(
        "--input-size",
        type=int,
        default=None,
        help=f"height and width of the square input in pixels (default: "
        f"{MODEL_INPUT_SIZES['inception_v3']} for inception_v3, {DEFAULT_INPUT_SIZE} otherwise)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        help="images per batch; MACs and FLOPs scale linearly with it (default: 1)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )
    parser.add_argument(
        "--unfactorized",
        action="store_true",
        help="inception_v3 only: count factor's counterpart with every factorization undone",
    )
    parser.add_argument(
        "--no-aux",
        action="store_true",
        help="inception_v3 only: leave out the auxiliary classifier's parameters (its MACs "
        "are never counted, because the count runs in eval mode)",
    )
    parser.set_defaults(func=run)


def classification_model_names() -> list[str]:
    """Return the sorted names of torchvision's classification models."""
    return sorted(torchvision.models.list_models(module=torchvision.models))


def build_model(name: str) -> nn.Module:
    """Build a torchvision classification model with random weights.

    Raises:
        ValueError: when ``name`` is not a torchvision classification model;
            the message lists close matches.
    """
    names = classification_model_names()
    if name not in names:
        matches = difflib.get_close_matches(name, names, n=3)
        if matches:
            hint = f"did you mean {', '.join(matches)}?"
        else:
            hint = "torchvision.models.list_models(module=torchvision.models) lists the names."
        raise ValueError(f"model {name!r} is not a torchvision classification model: {hint}")
    options = {"init_weights": True} if name in EXPLICIT_INIT_MODELS else {}
    return torchvision.models.get_model(name, weights=None, **options)


def default_input_size(name: str) -> int:
    """Return the input height and width that ``name`` is usually run at."""
    return MODEL_INPUT_SIZES.get(name, DEFAULT_INPUT_SIZE)


def run(args: argparse.Namespace) -> int:
    """Count one model, write the result to stdout and return the exit status."""
    size = default_input_size(args.model) if args.input_size is None else args.input_size
    if size <= 0:
        return _fail(f"--input-size {size} is invalid: pass a positive number of pixels.")
    if args.batch_size <= 0:
        return _fail(f"--batch-size {args.batch_size} is invalid: pass a positive integer.")

    try:
        model = _build_requested_model(args)
        report = count_flops(model, (args.batch_size, IMAGE_CHANNELS, size, size))
    except ValueError as error:
        return _fail(str(error))

    if args.json:
        record = {**_as_json(args.model, report), "network": _describe(args),
                  "unfactorized": args.unfactorized,
                  "aux_logits": not args.no_aux if args.model == "inception_v3" else None}
        sys.stdout.write(json.dumps(record) + "\n")
    else:
        sys.stdout.write(f"network:    {_describe(args)}\n" + _as_text(args.model, report))
    return 0


def _describe(args: argparse.Namespace) -> str:
    """Describe the counted network, so that outputs of different options differ."""
    if not (args.unfactorized or args.no_aux):
        return f"torchvision {args.model}"
    kind = "unfactorized counterpart" if args.unfactorized else "factorized"
    aux = "without" if args.no_aux else "with"
    return f"factor Inception v3, {kind}, {aux} auxiliary classifier"


def _build_requested_model(args: argparse.Namespace) -> nn.Module:
    """Build torchvision's model, or factor's Inception v3 when an Inception option is set.

    Raises:
        ValueError: when ``--unfactorized`` or ``--no-aux`` is given for another model.
    """
    if not (args.unfactorized or args.no_aux):
        return build_model(args.model)
    if args.model != "inception_v3":
        raise ValueError(
            f"--unfactorized and --no-aux apply only to inception_v3, not {args.model!r}: "
            "drop the option or count inception_v3."
        )
    return inception_v3(factorized=not args.unfactorized, aux_logits=not args.no_aux)


def _fail(message: str) -> int:
    """Write a one-line error to stderr and return the usage-error exit status."""
    sys.stderr.write(f"{PROG}: error: {message}\n")
    return EXIT_USAGE


def _as_json(name: str, report: CostReport) -> dict[str, object]:
    """Turn a report into a JSON-ready dict."""
    return {
        "model": name,
        "input_size": list(report.input_size),
        "params": report.params,
        "macs": report.macs,
        "flops": report.flops,
        "by_operator": report.by_operator,
        "by_module": report.by_module.to_dict(orient="records"),
    }


def _as_text(name: str, report: CostReport) -> str:
    """Format the totals and the per-module table as text."""
    shape = " x ".join(str(n) for n in report.input_size)
    lines = [
        f"model:      {name}",
        f"input size: {shape} (N x C x H x W)",
        f"params:     {report.params:,}",
        f"MACs:       {report.macs:,} ({report.macs / 1e9:.3f} G, whole batch)",
        f"FLOPs:      {report.flops:,} ({report.flops / 1e9:.3f} G, 2 per MAC)",
        "",
        report.by_module.to_string(index=False),
    ]
    return "\n".join(lines) + "\n"
