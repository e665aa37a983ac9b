"""Base class for Inception modules built from named branches of ConvSpec chains.

A branch is a chain of conv + BatchNorm + ReLU layers, optionally ending in
parallel heads whose outputs are concatenated (the 8x8 modules' 1x3 / 3x1
pair). Each layer is registered directly on the module under torchvision's
flat name (``branch7x7_1``, ``branch3x3_2a``), so the state_dict keys of a
factor block and of torchvision's block are the same strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from string import ascii_lowercase

import pandas as pd
import torch
from torch import Tensor, nn

from factor.inception.spec import ConvSpec, build_conv


@dataclass(frozen=True)
class BranchLayer:
    """One layer of a branch, as listed in the chapter's module tables.

    Attributes:
        branch: Branch name, for example ``branch7x7dbl``.
        name: Attribute and state_dict name, for example ``branch7x7dbl_3``.
        spec: The layer's convolution.
        parallel: True for a head that runs beside its sibling on one input.
    """

    branch: str
    name: str
    spec: ConvSpec
    parallel: bool = False


def layer_names(branch: str, chain_length: int, head_count: int) -> tuple[list[str], list[str]]:
    """Name a branch's layers the way torchvision and the TF-slim model do.

    A branch with a single layer takes the branch name (``branch1x1``).
    Otherwise the chain is numbered from 1 (``branch7x7_1`` ...) and the
    parallel heads take the next number plus a letter (``branch3x3_2a``,
    ``branch3x3_2b``).
    """
    if chain_length == 1 and head_count == 0:
        return [branch], []
    chain = [f"{branch}_{index}" for index in range(1, chain_length + 1)]
    heads = [f"{branch}_{chain_length + 1}{ascii_lowercase[index]}" for index in range(head_count)]
    return chain, heads


class BranchedBlock(nn.Module):
    """An Inception module whose branches are registered with ``add_branch``."""

    def __init__(self) -> None:
        super().__init__()
        self._branches: dict[str, tuple[list[str], list[str]]] = {}
        self._layers: list[BranchLayer] = []

    def add_branch(
        self, branch: str, chain: Sequence[ConvSpec], heads: Sequence[ConvSpec] = ()
    ) -> None:
        """Build and register a branch's layers in the order ``forward`` calls them.

        Raises:
            ValueError: If the branch exists, is empty, or its channels do not chain.
        """
        if branch in self._branches:
            raise ValueError(f"branch {branch!r} is already defined; pick another name")
        if not chain:
            raise ValueError(f"branch {branch!r} needs at least one conv in its chain")
        _check_channels(branch, chain, heads)
        chain_names, head_names = layer_names(branch, len(chain), len(heads))
        for name, spec in zip(chain_names, chain):
            self.add_module(name, build_conv(spec))
            self._layers.append(BranchLayer(branch, name, spec))
        for name, spec in zip(head_names, heads):
            self.add_module(name, build_conv(spec))
            self._layers.append(BranchLayer(branch, name, spec, parallel=True))
        self._branches[branch] = (chain_names, head_names)

    def run_branch(self, branch: str, x: Tensor) -> Tensor:
        """Run a branch's chain, then its parallel heads concatenated on channels."""
        chain_names, head_names = self._branches[branch]
        for name in chain_names:
            x = self.get_submodule(name)(x)
        if head_names:
            x = torch.cat([self.get_submodule(name)(x) for name in head_names], dim=1)
        return x

    @property
    def branch_layers(self) -> list[BranchLayer]:
        """Every conv layer of the module, branch by branch, in call order."""
        return list(self._layers)


def layer_table(block: BranchedBlock) -> pd.DataFrame:
    """Tabulate a module's conv layers, branch by branch, in call order.

    Returns:
        Columns ``branch``, ``layer``, ``kernel`` (``1x7``), ``in_channels``,
        ``out_channels``, ``stride``, ``padding`` and ``parallel``.
    """
    rows = [
        {
            "branch": entry.branch,
            "layer": entry.name,
            "kernel": entry.spec.kernel_label,
            "in_channels": entry.spec.in_channels,
            "out_channels": entry.spec.out_channels,
            "stride": entry.spec.stride,
            "padding": entry.spec.padding,
            "parallel": entry.parallel,
        }
        for entry in block.branch_layers
    ]
    return pd.DataFrame(rows)


def _check_channels(branch: str, chain: Sequence[ConvSpec], heads: Sequence[ConvSpec]) -> None:
    for first, second in zip(chain, chain[1:]):
        if first.out_channels != second.in_channels:
            raise ValueError(
                f"branch {branch!r}: a conv with {first.out_channels} output channels "
                f"feeds one with {second.in_channels} input channels"
            )
    for head in heads:
        if head.in_channels != chain[-1].out_channels:
            raise ValueError(
                f"branch {branch!r}: head expects {head.in_channels} input channels, "
                f"the chain outputs {chain[-1].out_channels}"
            )
