"""Argument validation and padding arithmetic shared by the layers and costs.

Padding modes:

* ``"same"``: symmetric padding ``dilation * (k - 1) // 2`` per side for an
  odd kernel, so the output size is ``ceil(H / stride)`` for every stride.
  PyTorch's own ``padding="same"`` supports only stride 1.
* ``"valid"``: no padding.
* a non-negative int ``p`` (or a pair ``(p_h, p_w)`` where a layer allows it):
  that many zeros on each side.

The functions here work on plain ints, so :mod:`factor.costs` applies the
same rules to shapes as the layers apply to modules.
"""

from __future__ import annotations

from typing import NamedTuple

PADDING_MODES = ("same", "valid")
FACTORIZED_ORDERS = ("1xk_first", "kx1_first")

Padding = str | int | tuple[int, int]


def check_positive(name: str, value: object) -> int:
    """Return ``value`` if it is a positive int, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name}={value!r} is invalid: pass a positive integer.")
    return value


def to_pair(name: str, value: int | tuple[int, int]) -> tuple[int, int]:
    """Expand an int to ``(value, value)`` and validate both entries as positive."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ValueError(
                f"{name}={value!r} is invalid: pass an int or a (height, width) pair."
            )
        return check_positive(name, value[0]), check_positive(name, value[1])
    check_positive(name, value)
    return value, value


def check_option(name: str, value: object, options: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``options``, else raise ValueError."""
    if value not in options:
        choices = ", ".join(repr(option) for option in options)
        raise ValueError(f"{name}={value!r} is invalid: pass one of {choices}.")
    return value  # type: ignore[return-value]


def check_divisible(channels_name: str, channels: int, groups: int) -> None:
    """Raise ValueError unless ``groups`` divides ``channels``."""
    if channels % groups != 0:
        raise ValueError(
            f"groups={groups} does not divide {channels_name}={channels}: "
            f"pass a groups value that divides both channel counts."
        )


def resolve_padding(
    padding: Padding,
    kernel_size: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
) -> tuple[int, int]:
    """Turn a padding mode, int or pair into per-axis zeros ``(p_h, p_w)``.

    Args:
        padding: ``"same"``, ``"valid"``, a non-negative int or a pair.
        kernel_size: ``(k_h, k_w)``, already validated as positive.
        dilation: ``(d_h, d_w)``, already validated as positive.

    Returns:
        The number of zeros added on each side of the height and width axes.

    Raises:
        ValueError: for an unknown string, a negative int or an even kernel
            with ``"same"``.
    """
    if isinstance(padding, str):
        check_option("padding", padding, PADDING_MODES)
        if padding == "valid":
            return 0, 0
        if kernel_size[0] % 2 == 0 or kernel_size[1] % 2 == 0:
            raise ValueError(
                f"padding='same' needs an odd kernel_size, got {kernel_size}: use an odd "
                f"kernel or pass an explicit int padding."
            )
        return (
            dilation[0] * (kernel_size[0] - 1) // 2,
            dilation[1] * (kernel_size[1] - 1) // 2,
        )
    if isinstance(padding, tuple):
        if len(padding) != 2:
            raise ValueError(
                f"padding={padding!r} is invalid: pass 'same', 'valid', an int or a pair."
            )
        return check_non_negative("padding", padding[0]), check_non_negative(
            "padding", padding[1]
        )
    check_non_negative("padding", padding)
    return padding, padding


def resolve_square_padding(padding: str | int, kernel_size: int) -> int:
    """Turn ``"same"``, ``"valid"`` or an int into the zeros per side of a k x k conv.

    The composite layers take one int kernel size, so they reject a padding pair.
    """
    if isinstance(padding, tuple):
        raise ValueError(
            f"padding={padding!r} is invalid for a square k x k kernel: pass 'same', "
            f"'valid' or one non-negative int."
        )
    if padding == "same" and kernel_size % 2 == 0:
        raise ValueError(
            f"padding='same' needs an odd kernel_size, got kernel_size={kernel_size}: use "
            f"an odd kernel or pass an explicit int padding."
        )
    return resolve_padding(padding, (kernel_size, kernel_size))[0]


class AxisConv(NamedTuple):
    """Per-axis ``(height, width)`` kernel, stride and padding of one convolution."""

    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]


def split_by_axis(
    kernel_size: int, stride: int, padding: int, order: str
) -> tuple[AxisConv, AxisConv]:
    """Split a k x k convolution into a 1 x k and a k x 1, in the order applied.

    The 1 x k convolution acts on the width, so it takes the stride and
    padding of the width axis. The k x 1 convolution takes those of the
    height axis.
    """
    check_option("order", order, FACTORIZED_ORDERS)
    wide = AxisConv((1, kernel_size), (1, stride), (0, padding))
    tall = AxisConv((kernel_size, 1), (stride, 1), (padding, 0))
    return (wide, tall) if order == "1xk_first" else (tall, wide)


def check_non_negative(name: str, value: object) -> int:
    """Return ``value`` if it is a non-negative int, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(
            f"{name}={value!r} is invalid: pass 'same', 'valid' or a non-negative integer."
        )
    return value


def conv_output_size(
    size: int, kernel_size: int, stride: int, padding: int, dilation: int = 1
) -> int:
    """Compute one spatial output size of a convolution, as ``nn.Conv2d`` does.

    ``floor((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``

    Raises:
        ValueError: when the padded input is smaller than the dilated kernel.
    """
    span = dilation * (kernel_size - 1) + 1
    padded = size + 2 * padding
    if padded < span:
        raise ValueError(
            f"input size {size} with padding {padding} is smaller than the kernel "
            f"span {span}: pass a larger input or more padding."
        )
    return (padded - span) // stride + 1


def stacked_depth(kernel_size: int) -> int:
    """Return ``n = (k - 1) / 2``, the number of 3 x 3 layers that replace a k x k.

    Raises:
        ValueError: unless ``kernel_size`` is an odd int of at least 3.
    """
    check_positive("kernel_size", kernel_size)
    if kernel_size < 3 or kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size={kernel_size} cannot be stacked from 3 x 3 convolutions: "
            f"pass an odd kernel_size of at least 3."
        )
    return (kernel_size - 1) // 2


def stacked_padding(padding: str | int, kernel_size: int) -> str:
    """Return the padding mode of each 3 x 3 in a stack that replaces a k x k.

    Only "same" and "valid" keep the output size equal to that of the k x k
    convolution with every 3 x 3 padded alike, so an int padding must be
    0 (``"valid"``) or ``(k - 1) // 2`` (``"same"``).
    """
    if isinstance(padding, str):
        return check_option("padding", padding, ("same", "valid"))
    pad = resolve_square_padding(padding, kernel_size)
    if pad == 0:
        return "valid"
    if pad == (kernel_size - 1) // 2:
        return "same"
    raise ValueError(
        f"padding={padding!r} is not supported by StackedConv2d with "
        f"kernel_size={kernel_size}: pass 'same' (equal to {(kernel_size - 1) // 2}) "
        f"or 'valid' (equal to 0)."
    )
