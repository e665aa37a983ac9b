"""Rules that undo Inception v3's factorizations, one conv specification at a time.

The unfactorized counterpart of Inception v3 is defined by three rules:

1. A sequential pair 1xn then nx1 (either order) becomes one nxn conv with
   the second conv's output channels.
2. In the 35x35 modules, two stacked 3x3 convs become one 5x5 conv with the
   second conv's output channels: both see a 5x5 window of the input.
3. In the 8x8 modules, a parallel 1x3 / 3x1 pair on the same input becomes
   one 3x3 conv whose output channels are the pair's sum.

Every merged conv keeps stride 1 and size-preserving padding, so the
unfactorized network produces the same output shapes as the factorized one.
The blocks in :mod:`factor.inception.blocks` apply these rules when built
with ``factorized=False``.
"""

from __future__ import annotations

from collections.abc import Sequence

from factor.inception.spec import ConvSpec, conv_same


def _asymmetric_side(spec: ConvSpec) -> int | None:
    """Return n when the kernel is 1xn or nx1 with n > 1, else None."""
    height, width = spec.kernel_size
    if height == 1 and width > 1:
        return width
    if width == 1 and height > 1:
        return height
    return None


def is_asymmetric_pair(first: ConvSpec, second: ConvSpec) -> bool:
    """Tell whether ``first`` then ``second`` is a stride-1 1xn, nx1 pair (either order)."""
    side = _asymmetric_side(first)
    return (
        side is not None
        and side == _asymmetric_side(second)
        and first.kernel_size != second.kernel_size
        and first.stride == second.stride == 1
        and first.out_channels == second.in_channels
    )


def merge_asymmetric_pair(first: ConvSpec, second: ConvSpec) -> ConvSpec:
    """Rule 1: replace a sequential 1xn, nx1 pair by one nxn conv.

    Raises:
        ValueError: If the two specs are not such a pair.
    """
    if not is_asymmetric_pair(first, second):
        raise ValueError(
            f"expected a stride-1 1xn then nx1 pair, got {first.kernel_label} "
            f"(stride {first.stride}) then {second.kernel_label} (stride {second.stride})"
        )
    side = max(first.kernel_size)
    return conv_same(first.in_channels, second.out_channels, side)


def merge_asymmetric_chain(chain: Sequence[ConvSpec]) -> list[ConvSpec]:
    """Apply rule 1 along a chain, merging each consecutive asymmetric pair once."""
    merged: list[ConvSpec] = []
    index = 0
    while index < len(chain):
        if index + 1 < len(chain) and is_asymmetric_pair(chain[index], chain[index + 1]):
            merged.append(merge_asymmetric_pair(chain[index], chain[index + 1]))
            index += 2
        else:
            merged.append(chain[index])
            index += 1
    return merged


def merge_stacked_pair(first: ConvSpec, second: ConvSpec) -> ConvSpec:
    """Rule 2: replace two stacked stride-1 kxk convs by one (2k-1)x(2k-1) conv.

    Two stacked 3x3 convs see a 5x5 window, so the pair becomes a 5x5 conv
    with the second conv's output channels.

    Raises:
        ValueError: If the kernels are not equal, square and odd, or a stride
            is not 1, or the channels do not chain.
    """
    side = first.kernel_size[0]
    square = first.kernel_size == second.kernel_size == (side, side)
    if not (square and side % 2 == 1 and first.stride == second.stride == 1):
        raise ValueError(
            f"expected two stacked stride-1 kxk convs with odd k, got {first.kernel_label} "
            f"(stride {first.stride}) then {second.kernel_label} (stride {second.stride})"
        )
    if first.out_channels != second.in_channels:
        raise ValueError(
            f"stacked convs do not chain: first has {first.out_channels} output channels, "
            f"second has {second.in_channels} input channels"
        )
    return conv_same(first.in_channels, second.out_channels, 2 * side - 1)


def merge_parallel_pair(left: ConvSpec, right: ConvSpec) -> ConvSpec:
    """Rule 3: replace a parallel 1xn / nx1 pair on one input by an nxn conv.

    The merged conv's output channels are the sum of the pair's, so the
    concatenation that followed the pair keeps its width.

    Raises:
        ValueError: If the specs are not a 1xn, nx1 pair on the same input.
    """
    side = _asymmetric_side(left)
    pair = (
        side is not None
        and side == _asymmetric_side(right)
        and left.kernel_size != right.kernel_size
        and left.stride == right.stride == 1
    )
    if not pair or left.in_channels != right.in_channels:
        raise ValueError(
            f"expected parallel stride-1 1xn and nx1 convs on one input, got "
            f"{left.kernel_label} ({left.in_channels} in) and {right.kernel_label} "
            f"({right.in_channels} in)"
        )
    return conv_same(left.in_channels, left.out_channels + right.out_channels, side)
