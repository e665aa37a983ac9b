"""Which low-rank structure each factorization imposes on the k x k kernel it replaces.

Both factorizations, applied without anything in between, equal one dense
C_out x C_in x k x k kernel W, but they constrain different unfoldings of W:

* Spatial (Inception v3): 1 x k (C_mid outputs) then k x 1 gives
  ``W[o, i, y, x] = sum_m B[o, m, y] A[m, i, x]``, so the matrix with rows
  (o, y) and columns (i, x) has rank at most C_mid
  (:func:`factor.lowrank.composite_kernel` builds W).
* Channel (depthwise separable, multiplier 1): depthwise D then pointwise P
  gives ``W[o, i, y, x] = P[o, i] D[i, y, x]``, so for every input channel
  i the C_out x k^2 slice ``W[:, i]`` is an outer product, of rank 1.

:func:`separable_composite_kernel` builds W for the second case and
:func:`unfolding_rank` measures the rank of any unfolding.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

AXES = ("o", "i", "y", "x")
"""Names of the four axes of a C_out x C_in x k_h x k_w kernel, in order."""


def separable_composite_kernel(depthwise: nn.Conv2d | Tensor, pointwise: nn.Conv2d | Tensor) -> Tensor:
    """Compute the dense kernel equal to a depthwise conv followed by a 1 x 1 conv.

    Args:
        depthwise: Conv or weight C x 1 x k_h x k_w (depth multiplier 1,
            no bias, stride 1).
        pointwise: Conv or weight C_out x C x 1 x 1 (no bias).

    Returns:
        Weight C_out x C x k_h x k_w with ``W[o, i] = P[o, i] * D[i]``.

    Raises:
        ValueError: for a conv with a bias, shapes that are not a depthwise
            and a pointwise weight, or channel counts that do not chain.
    """
    depthwise_weight = _weight(depthwise, "depthwise")
    pointwise_weight = _weight(pointwise, "pointwise")
    if depthwise_weight.shape[1] != 1:
        raise ValueError(
            f"depthwise weight has shape {tuple(depthwise_weight.shape)}: pass a C x 1 x k x k "
            f"depthwise weight (depth multiplier 1)."
        )
    if pointwise_weight.shape[2:] != (1, 1) or pointwise_weight.shape[1] != depthwise_weight.shape[0]:
        raise ValueError(
            f"pointwise weight has shape {tuple(pointwise_weight.shape)}: pass a "
            f"C_out x {depthwise_weight.shape[0]} x 1 x 1 weight."
        )
    # W[o, i, y, x] = P[o, i] D[i, 0, y, x]
    return torch.einsum("oi,iyx->oiyx", pointwise_weight[:, :, 0, 0], depthwise_weight[:, 0])


def unfolding_rank(
    weight: Tensor, rows: Sequence[str], fixed: str | None = None, atol: float | None = None
) -> int:
    """Return the matrix rank of an unfolding of a 4-D kernel.

    Args:
        weight: C_out x C_in x k_h x k_w kernel.
        rows: Axes that index the rows, e.g. ``("o", "y")``; the other axes
            (except ``fixed``) index the columns.
        fixed: An axis to hold fixed. The result is then the largest rank
            over its slices, e.g. ``fixed="i"`` for the per-input-channel
            slices of a depthwise separable kernel.
        atol: Absolute singular-value tolerance passed to
            ``torch.linalg.matrix_rank``; None uses its default.

    Raises:
        ValueError: for an axis name outside ``AXES`` or an axis named twice.
    """
    names = [*rows, *([fixed] if fixed else [])]
    if any(name not in AXES for name in names) or len(set(names)) != len(names):
        raise ValueError(f"rows={tuple(rows)!r}, fixed={fixed!r} are invalid: use distinct axes from {AXES}.")
    columns = [axis for axis in AXES if axis not in names]
    if fixed is None:
        return _rank(weight, rows, columns, atol)
    slices = weight.movedim(AXES.index(fixed), 0)
    remaining = tuple(axis for axis in AXES if axis != fixed)
    return max(_rank(piece, rows, columns, atol, remaining) for piece in slices)


def _rank(
    weight: Tensor,
    rows: Sequence[str],
    columns: Sequence[str],
    atol: float | None,
    axes: Sequence[str] = AXES,
) -> int:
    order = [axes.index(axis) for axis in (*rows, *columns)]
    permuted = weight.permute(order)
    row_count = int(torch.tensor(permuted.shape[: len(rows)]).prod())
    # The rank is computed in the kernel's own dtype, so the default
    # tolerance, max(m, n) * eps(dtype) * sigma_max, matches its round-off.
    matrix = permuted.reshape(row_count, -1)
    return int(torch.linalg.matrix_rank(matrix, atol=atol))


def _weight(conv: nn.Conv2d | Tensor, name: str) -> Tensor:
    if isinstance(conv, nn.Conv2d):
        if conv.bias is not None:
            raise ValueError(f"{name} conv has a bias: build it with bias=False.")
        weight = conv.weight
    else:
        weight = conv
    if weight.dim() != 4:
        raise ValueError(f"{name} weight has {weight.dim()} dimensions: pass a 4-D conv weight.")
    return weight.detach()
