"""Inception v3's stem, its five module types and the auxiliary classifier.

Szegedy et al., "Rethinking the Inception Architecture for Computer Vision"
(CVPR 2016, arXiv:1512.00567), with the filter-bank sizes of the released
model as torchvision 0.29 and the TF-slim ``inception_v3.py`` define them:

* ``InceptionA``: 35x35 modules (Mixed_5b-5d, paper Figure 5). They keep a
  1x1 -> 5x5 branch beside the double 3x3 branch; Figure 5 shows only 3x3s.
* ``InceptionB``: 35 -> 17 grid reduction (Mixed_6a, Figure 10).
* ``InceptionC``: 17x17 modules with 1x7 / 7x1 factorization (Mixed_6b-6e,
  Figure 6), the channel width of the factorized chains is ``channels_7x7``.
* ``InceptionD``: 17 -> 8 grid reduction (Mixed_7a).
* ``InceptionE``: 8x8 modules with parallel 1x3 and 3x1 heads (Mixed_7b-7c,
  Figure 7).
* ``InceptionAux``: the auxiliary classifier on the last 17x17 output.

Every conv is a ``ConvBNAct`` (bias-free conv, BatchNorm with eps 0.001,
ReLU). With ``factorized=False`` a block applies the rules of
:mod:`factor.inception.unfactorize`. Shapes in comments are N x C x H x W;
H x W is the module's grid (35, 17 or 8 at a 299 x 299 input).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from factor.inception.branches import BranchedBlock
from factor.inception.spec import ConvSpec, build_conv, conv_same, conv_valid
from factor.inception.unfactorize import (
    merge_asymmetric_chain,
    merge_parallel_pair,
    merge_stacked_pair,
)


def stem_layers(in_channels: int = 3) -> dict[str, nn.Module]:
    """Build the stem, in call order, under torchvision's attribute names.

    The stem maps N x 3 x 299 x 299 to N x 192 x 35 x 35: three 3x3 convs,
    a max pool, a 1x1 and a 3x3 conv, and a second max pool.
    """
    return {
        "Conv2d_1a_3x3": build_conv(conv_valid(in_channels, 32, 3, stride=2)),
        "Conv2d_2a_3x3": build_conv(conv_valid(32, 32, 3)),
        "Conv2d_2b_3x3": build_conv(conv_same(32, 64, 3)),
        "maxpool1": nn.MaxPool2d(kernel_size=3, stride=2),
        "Conv2d_3b_1x1": build_conv(conv_valid(64, 80, 1)),
        "Conv2d_4a_3x3": build_conv(conv_valid(80, 192, 3)),
        "maxpool2": nn.MaxPool2d(kernel_size=3, stride=2),
    }


def _pool_same() -> nn.AvgPool2d:
    # Zero padding counts in the average (count_include_pad=True), as in
    # torchvision; Keras's padding="same" pooling does not count it.
    return nn.AvgPool2d(kernel_size=3, stride=1, padding=1, count_include_pad=True)


def _chain(factorized: bool, chain: Sequence[ConvSpec]) -> list[ConvSpec]:
    return list(chain) if factorized else merge_asymmetric_chain(chain)


class InceptionA(BranchedBlock):
    """35x35 module (Mixed_5b-5d): N x C_in x H x W -> N x (224 + pool_features) x H x W.

    Args:
        in_channels: Input channels (192, 256, 288 in Inception v3).
        pool_features: Output channels of the pooling branch (32 or 64).
        factorized: If False, the double 3x3 branch becomes one 5x5 conv.
    """

    def __init__(self, in_channels: int, pool_features: int, factorized: bool = True) -> None:
        super().__init__()
        self.add_branch("branch1x1", [conv_same(in_channels, 64, 1)])

        self.add_branch("branch5x5", [conv_same(in_channels, 48, 1), conv_same(48, 64, 5)])

        stacked = [conv_same(64, 96, 3), conv_same(96, 96, 3)]
        if not factorized:
            stacked = [merge_stacked_pair(*stacked)]
        self.add_branch("branch3x3dbl", [conv_same(in_channels, 64, 1), *stacked])

        self.avg_pool = _pool_same()
        self.add_branch("branch_pool", [conv_same(in_channels, pool_features, 1)])

    def forward(self, x: Tensor) -> Tensor:
        # N x C_in x H x W
        branch1x1 = self.run_branch("branch1x1", x)
        # N x 64 x H x W
        branch5x5 = self.run_branch("branch5x5", x)
        # N x 64 x H x W
        branch3x3dbl = self.run_branch("branch3x3dbl", x)
        # N x 96 x H x W
        branch_pool = self.run_branch("branch_pool", self.avg_pool(x))
        # N x pool_features x H x W
        # output: N x (224 + pool_features) x H x W
        return torch.cat([branch1x1, branch5x5, branch3x3dbl, branch_pool], dim=1)


class InceptionB(BranchedBlock):
    """35 -> 17 grid reduction (Mixed_6a): N x C_in x H x W -> N x (480 + C_in) x H' x W'.

    H' = (H - 3) // 2 + 1. The module has no factorized conv, so it is the
    same in both networks. Its stacked 3x3s end in a stride-2 conv and are
    not merged, because rule 2 covers only the 35x35 modules.
    """

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.add_branch("branch3x3", [conv_valid(in_channels, 384, 3, stride=2)])

        self.add_branch(
            "branch3x3dbl",
            [conv_same(in_channels, 64, 1), conv_same(64, 96, 3), conv_valid(96, 96, 3, stride=2)],
        )

        self.max_pool = nn.MaxPool2d(kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        # N x C_in x H x W
        branch3x3 = self.run_branch("branch3x3", x)
        # N x 384 x H' x W'
        branch3x3dbl = self.run_branch("branch3x3dbl", x)
        # N x 96 x H' x W'
        branch_pool = self.max_pool(x)
        # N x C_in x H' x W'
        # output: N x (480 + C_in) x H' x W'
        return torch.cat([branch3x3, branch3x3dbl, branch_pool], dim=1)


class InceptionC(BranchedBlock):
    """17x17 module (Mixed_6b-6e): N x C_in x H x W -> N x 768 x H x W.

    Args:
        in_channels: Input channels (768 in Inception v3).
        channels_7x7: Width of the 1x7 / 7x1 chains (128, 160, 160, 192).
        factorized: If False, each 1x7, 7x1 pair becomes one 7x7 conv.
    """

    def __init__(self, in_channels: int, channels_7x7: int, factorized: bool = True) -> None:
        super().__init__()
        c7 = channels_7x7
        self.add_branch("branch1x1", [conv_same(in_channels, 192, 1)])

        self.add_branch(
            "branch7x7",
            _chain(
                factorized,
                [conv_same(in_channels, c7, 1), conv_same(c7, c7, (1, 7)), conv_same(c7, 192, (7, 1))],
            ),
        )

        self.add_branch(
            "branch7x7dbl",
            _chain(
                factorized,
                [
                    conv_same(in_channels, c7, 1),
                    conv_same(c7, c7, (7, 1)),
                    conv_same(c7, c7, (1, 7)),
                    conv_same(c7, c7, (7, 1)),
                    conv_same(c7, 192, (1, 7)),
                ],
            ),
        )

        self.avg_pool = _pool_same()
        self.add_branch("branch_pool", [conv_same(in_channels, 192, 1)])

    def forward(self, x: Tensor) -> Tensor:
        # N x C_in x H x W
        branch1x1 = self.run_branch("branch1x1", x)
        # N x 192 x H x W
        branch7x7 = self.run_branch("branch7x7", x)
        # N x 192 x H x W
        branch7x7dbl = self.run_branch("branch7x7dbl", x)
        # N x 192 x H x W
        branch_pool = self.run_branch("branch_pool", self.avg_pool(x))
        # N x 192 x H x W
        # output: N x 768 x H x W
        return torch.cat([branch1x1, branch7x7, branch7x7dbl, branch_pool], dim=1)


class InceptionD(BranchedBlock):
    """17 -> 8 grid reduction (Mixed_7a): N x C_in x H x W -> N x (512 + C_in) x H' x W'.

    Args:
        in_channels: Input channels (768 in Inception v3).
        factorized: If False, the 1x7, 7x1 pair becomes one 7x7 conv.
    """

    def __init__(self, in_channels: int, factorized: bool = True) -> None:
        super().__init__()
        self.add_branch(
            "branch3x3", [conv_same(in_channels, 192, 1), conv_valid(192, 320, 3, stride=2)]
        )

        self.add_branch(
            "branch7x7x3",
            _chain(
                factorized,
                [
                    conv_same(in_channels, 192, 1),
                    conv_same(192, 192, (1, 7)),
                    conv_same(192, 192, (7, 1)),
                    conv_valid(192, 192, 3, stride=2),
                ],
            ),
        )

        self.max_pool = nn.MaxPool2d(kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        # N x C_in x H x W
        branch3x3 = self.run_branch("branch3x3", x)
        # N x 320 x H' x W'
        branch7x7x3 = self.run_branch("branch7x7x3", x)
        # N x 192 x H' x W'
        branch_pool = self.max_pool(x)
        # N x C_in x H' x W'
        # output: N x (512 + C_in) x H' x W'
        return torch.cat([branch3x3, branch7x7x3, branch_pool], dim=1)


class InceptionE(BranchedBlock):
    """8x8 module with the expanded filter bank (Mixed_7b-7c): N x C_in x H x W -> N x 2048 x H x W.

    Args:
        in_channels: Input channels (1280 or 2048 in Inception v3).
        factorized: If False, each parallel 1x3 / 3x1 pair becomes one 3x3
            conv with 768 output channels.
    """

    def __init__(self, in_channels: int, factorized: bool = True) -> None:
        super().__init__()
        self.add_branch("branch1x1", [conv_same(in_channels, 320, 1)])

        self._add_expanded(
            "branch3x3", [conv_same(in_channels, 384, 1)], factorized
        )

        self._add_expanded(
            "branch3x3dbl", [conv_same(in_channels, 448, 1), conv_same(448, 384, 3)], factorized
        )

        self.avg_pool = _pool_same()
        self.add_branch("branch_pool", [conv_same(in_channels, 192, 1)])

    def _add_expanded(self, branch: str, chain: list[ConvSpec], factorized: bool) -> None:
        width = chain[-1].out_channels
        heads = [conv_same(width, 384, (1, 3)), conv_same(width, 384, (3, 1))]
        if factorized:
            self.add_branch(branch, chain, heads)
        else:
            self.add_branch(branch, [*chain, merge_parallel_pair(*heads)])

    def forward(self, x: Tensor) -> Tensor:
        # N x C_in x H x W
        branch1x1 = self.run_branch("branch1x1", x)
        # N x 320 x H x W
        branch3x3 = self.run_branch("branch3x3", x)
        # N x 768 x H x W (1x3 and 3x1 heads, 384 each)
        branch3x3dbl = self.run_branch("branch3x3dbl", x)
        # N x 768 x H x W
        branch_pool = self.run_branch("branch_pool", self.avg_pool(x))
        # N x 192 x H x W
        # output: N x 2048 x H x W
        return torch.cat([branch1x1, branch3x3, branch3x3dbl, branch_pool], dim=1)


class InceptionAux(nn.Module):
    """Auxiliary classifier on the last 17x17 output: N x C_in x 17 x 17 -> N x num_classes.

    It is the same in both networks. Inception v3 runs it only in training.
    """

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.avg_pool = nn.AvgPool2d(kernel_size=5, stride=3)
        self.conv0 = build_conv(conv_same(in_channels, 128, 1))
        self.conv1 = build_conv(conv_valid(128, 768, 5))
        self.global_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        # N x C_in x 17 x 17
        x = self.avg_pool(x)
        # N x C_in x 5 x 5
        x = self.conv0(x)
        # N x 128 x 5 x 5
        x = self.conv1(x)
        # N x 768 x 1 x 1
        x = torch.flatten(self.global_pool(x), 1)
        # N x 768
        # output: N x num_classes
        return self.fc(x)
