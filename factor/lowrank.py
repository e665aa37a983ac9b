"""Low-rank analysis of a k×k kernel as a 1×k conv followed by a k×1 conv.

Two linear convolutions in a row equal one convolution. With a 1×k conv A
(mid×C_in×1×k) then a k×1 conv B (C_out×mid×k×1), and PyTorch's
cross-correlation convention, the equivalent k×k kernel is

    W[o, i, y, x] = sum_m B[o, m, y, 0] * A[m, i, 0, x].

Reshaped to the matrix M[(o, y), (i, x)] of size (C_out·k)×(C_in·k), W is a
product of two matrices with inner size mid. So a pair with mid = rank exists
exactly when M has at most that rank, and the truncated SVD of M gives the
best pair in Frobenius norm (Eckart-Young). This is the vertical-horizontal
decomposition of Tai et al., "Convolutional neural networks with low-rank
regularization", ICLR 2016. The discarded singular values predict the error
before any factor is built.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

logger = logging.getLogger(__name__)

ORDERS = ("1xk_first", "kx1_first")


@dataclasses.dataclass(frozen=True, eq=False)
class SeparableFactors:
    """A k×k kernel approximated by two asymmetric convolutions.

    Attributes:
        first: Weight of the conv applied first, rank×C_in×1×k for
            ``"1xk_first"`` or rank×C_in×k×1 for ``"kx1_first"``.
        second: Weight of the conv applied second, C_out×rank×k×1 or C_out×rank×1×k.
        singular_values: All singular values of the reshaped kernel, descending.
        predicted_error: Frobenius norm of the discarded part,
            sqrt(sum of the discarded singular values squared).
        relative_error: ``predicted_error`` divided by the kernel's Frobenius norm.
    """

    first: Tensor
    second: Tensor
    singular_values: Tensor
    predicted_error: float
    relative_error: float

    @property
    def rank(self) -> int:
        """Number of middle channels between the two convs."""
        return self.first.shape[0]

    def to_module(self) -> nn.Sequential:
        """Build the two bias-free convs with "same" padding and these weights.

        Returns:
            ``nn.Sequential(first_conv, second_conv)``, mapping
            N×C_in×H×W -> N×rank×H×W -> N×C_out×H×W.
        """
        convs = []
        for weight in (self.first, self.second):
            out_channels, in_channels, kernel_h, kernel_w = weight.shape
            conv = nn.Conv2d(
                in_channels, out_channels, (kernel_h, kernel_w),
                padding=(kernel_h // 2, kernel_w // 2), bias=False,
                device=weight.device, dtype=weight.dtype,
            )
            with torch.no_grad():
                conv.weight.copy_(weight)
            convs.append(conv)
        return nn.Sequential(*convs)


def composite_kernel(first: nn.Conv2d | Tensor, second: nn.Conv2d | Tensor) -> Tensor:
    """Compute the single kernel equal to applying ``first`` then ``second``.

    Both must be linear: no bias, groups=1, stride 1, dilation 1, and
    nothing (BatchNorm, activation) in between. The composite of a
    kh1×kw1 and a kh2×kw2 kernel is (kh1 + kh2 - 1)×(kw1 + kw2 - 1), so 1×k
    then k×1 (or k×1 then 1×k) gives k×k. With padding (0, k//2) then
    (k//2, 0), the pair equals one k×k conv with padding k//2 everywhere,
    borders included, because zero padding of the input gives zero rows in
    the intermediate map.

    Args:
        first: Conv or weight mid×C_in×kh1×kw1.
        second: Conv or weight C_out×mid×kh2×kw2.

    Returns:
        Weight C_out×C_in×(kh1 + kh2 - 1)×(kw1 + kw2 - 1).

    Raises:
        ValueError: If a conv has a bias, groups, stride or dilation other
            than 1, or the weights are not 4-D or their channels do not chain.
    """
    first_weight = _linear_weight(first, "first")
    second_weight = _linear_weight(second, "second")
    if first_weight.shape[0] != second_weight.shape[1]:
        raise ValueError(
            f"first has {first_weight.shape[0]} output channels but second has "
            f"{second_weight.shape[1]} input channels; they must be equal to chain"
        )

    out_channels, _, kernel_h2, kernel_w2 = second_weight.shape
    _, in_channels, kernel_h1, kernel_w1 = first_weight.shape
    composite = first_weight.new_zeros(
        out_channels, in_channels, kernel_h1 + kernel_h2 - 1, kernel_w1 + kernel_w2 - 1
    )
    # Output (q) reads intermediate q + v, which reads input q + v + u. So each
    # tap v of second shifts a copy of first by v and mixes its channels.
    for row in range(kernel_h2):
        for column in range(kernel_w2):
            mixed = torch.einsum("om,mihw->oihw", second_weight[:, :, row, column], first_weight)
            composite[:, :, row:row + kernel_h1, column:column + kernel_w1] += mixed
    return composite


def max_rank(weight: Tensor) -> int:
    """Return the largest useful rank for a C_out×C_in×k×k kernel: min(C_out·k, C_in·k)."""
    _check_square_odd_kernel(weight)
    out_channels, in_channels, kernel_size, _ = weight.shape
    return min(out_channels * kernel_size, in_channels * kernel_size)


def separable_approximation(
    weight: Tensor, rank: int, order: str = "1xk_first"
) -> SeparableFactors:
    """Approximate a k×k kernel by a 1×k and a k×1 conv with ``rank`` middle channels.

    The reshaped kernel M (see the module docstring) is factored by SVD,
    M = U diag(s) V^T. The top ``rank`` triplets are kept, and sqrt(s) goes
    to each side: second = U sqrt(s), first = sqrt(s) V^T. For
    ``"kx1_first"`` the roles of the two spatial axes are swapped. The SVD
    runs in float64 and the factors are returned in the kernel's dtype.

    Args:
        weight: Kernel C_out×C_in×k×k with k odd.
        rank: Number of middle channels, in [1, ``max_rank(weight)``].
        order: ``"1xk_first"`` (1×k then k×1) or ``"kx1_first"`` (k×1 then 1×k).

    Returns:
        The two factor weights, the singular values and the predicted error.

    Raises:
        ValueError: If the kernel is not 4-D, square and odd, ``rank`` is out
            of range or ``order`` is unknown.
    """
    limit = max_rank(weight)
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= limit:
        raise ValueError(f"rank must be an int in [1, {limit}] for this kernel, got {rank!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")

    weight = weight.detach()
    out_channels, in_channels, kernel_size, _ = weight.shape
    # "1xk_first": rows (o, y) and columns (i, x). "kx1_first": rows (o, x), columns (i, y).
    spatial = weight if order == "1xk_first" else weight.transpose(2, 3)
    matrix = spatial.permute(0, 2, 1, 3).reshape(out_channels * kernel_size, -1).double()
    left, singular_values, right = torch.linalg.svd(matrix, full_matrices=False)

    root = singular_values[:rank].sqrt()
    second = (left[:, :rank] * root).reshape(out_channels, kernel_size, rank).permute(0, 2, 1)
    first = (root[:, None] * right[:rank]).reshape(rank, in_channels, kernel_size)
    if order == "1xk_first":
        # rank×C_in×1×k and C_out×rank×k×1
        first, second = first.unsqueeze(2), second.unsqueeze(3)
    else:
        # rank×C_in×k×1 and C_out×rank×1×k
        first, second = first.unsqueeze(3), second.unsqueeze(2)

    predicted = singular_values[rank:].square().sum().sqrt().item()
    return SeparableFactors(
        first=first.to(weight.dtype).contiguous(),
        second=second.to(weight.dtype).contiguous(),
        singular_values=singular_values.to(weight.dtype),
        predicted_error=predicted,
        relative_error=predicted / matrix.norm().item(),
    )


def approximation_curve(
    weight: Tensor,
    ranks: Sequence[int],
    order: str = "1xk_first",
    input_size: tuple[int, int, int] = (4, 32, 32),
    seed: int = 0,
) -> pd.DataFrame:
    """Tabulate predicted and measured errors of the separable approximation per rank.

    For each rank, three relative errors are compared:

    * ``predicted_relative_error``: from the discarded singular values alone.
    * ``measured_kernel_relative_error``: ||W - W_hat||_F / ||W||_F with
      W_hat = ``composite_kernel`` of the two factors. It equals the
      prediction up to float rounding, by the Eckart-Young theorem.
    * ``measured_output_relative_error``: ||y - y_hat|| / ||y|| for the
      original conv and the factor pair on the same iid standard Gaussian
      input, both unpadded, so every output pixel is an interior one.

    Each interior output is the inner product of a kernel with an input
    patch. For an iid unit-variance patch, E[<W_o - W_hat_o, patch>^2] equals
    ||W_o - W_hat_o||^2, so summed over outputs E||y - y_hat||^2 / E||y||^2 is
    the squared kernel error. The measured ratio comes from one finite draw,
    so the output and kernel columns agree closely but not exactly.

    Args:
        weight: Kernel C_out×C_in×k×k with k odd.
        ranks: Ranks to evaluate, each in [1, ``max_rank(weight)``].
        order: As in ``separable_approximation``.
        input_size: (N, H, W) of the Gaussian test input. Its channel count is C_in.
        seed: Seed of the test input, drawn from a local generator.

    Returns:
        One row per rank with the columns rank, predicted_relative_error,
        measured_kernel_relative_error, measured_output_relative_error and
        params_ratio (factor parameters over k×k parameters,
        rank·k·(C_in + C_out) / (C_out·C_in·k²)).

    Raises:
        ValueError: If ``ranks`` is empty, or as ``separable_approximation``.
    """
    if len(ranks) == 0:
        raise ValueError("ranks is empty; pass at least one rank in [1, max_rank(weight)]")
    _check_square_odd_kernel(weight)
    weight = weight.detach()
    out_channels, in_channels, kernel_size, _ = weight.shape
    batch, height, width = input_size
    if batch < 1 or height < kernel_size or width < kernel_size:
        raise ValueError(
            f"input_size (N, H, W) must have N >= 1 and H, W >= {kernel_size}, got {input_size}"
        )

    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch, in_channels, height, width, generator=generator, dtype=weight.dtype)
    inputs = inputs.to(weight.device)
    reference = F.conv2d(inputs, weight)  # N×C_out×(H-k+1)×(W-k+1)

    rows = []
    for rank in ranks:
        factors = separable_approximation(weight, rank, order=order)
        approximation = F.conv2d(F.conv2d(inputs, factors.first), factors.second)
        kernel_error = weight - composite_kernel(factors.first, factors.second)
        rows.append({
            "rank": rank,
            "predicted_relative_error": factors.relative_error,
            "measured_kernel_relative_error": (kernel_error.norm() / weight.norm()).item(),
            "measured_output_relative_error":
                ((reference - approximation).norm() / reference.norm()).item(),
            "params_ratio": rank * kernel_size * (in_channels + out_channels)
                / (out_channels * in_channels * kernel_size**2),
        })
        logger.debug("rank %d: predicted relative error %.4g", rank, factors.relative_error)
    return pd.DataFrame(rows)


def _linear_weight(conv: nn.Conv2d | Tensor, name: str) -> Tensor:
    """Return the 4-D weight of ``conv`` after checking that it is a plain linear conv."""
    if isinstance(conv, nn.Conv2d):
        settings = {"groups": conv.groups, "stride": conv.stride, "dilation": conv.dilation}
        if conv.bias is not None:
            raise ValueError(f"{name} conv has a bias; build it with bias=False to compose kernels")
        for setting, value in settings.items():
            if value not in (1, (1, 1)):
                raise ValueError(
                    f"{name} conv has {setting}={value}; kernels compose only with {setting}=1"
                )
        weight = conv.weight.detach()
    else:
        weight = conv
    if weight.ndim != 4:
        raise ValueError(
            f"{name} weight must be 4-D (out_channels×in_channels×kh×kw), "
            f"got shape {tuple(weight.shape)}"
        )
    return weight


def _check_square_odd_kernel(weight: Tensor) -> None:
    """Raise ValueError unless ``weight`` is C_out×C_in×k×k with k odd."""
    if weight.ndim != 4:
        raise ValueError(
            f"weight must be 4-D (out_channels×in_channels×k×k), got shape {tuple(weight.shape)}"
        )
    kernel_h, kernel_w = weight.shape[2:]
    if kernel_h != kernel_w:
        raise ValueError(f"kernel must be square, got {kernel_h}×{kernel_w}; pass a k×k weight")
    if kernel_h % 2 == 0:
        raise ValueError(
            f"kernel size must be odd so that 'same' padding is symmetric, got {kernel_h}"
        )
