"""Helpers that pass measured values from notebook cells to the book's prose.

The book cites numbers in its text through myst-nb's ``glue``. Two details
matter there: numpy scalars print as ``np.float64(...)``, which the
``{glue:text}`` role cannot format, and a float printed to 17 digits can
differ in its last digits between CPUs, which nbval would report as a
changed output. :func:`glue_number` therefore stores plain Python numbers
rounded to a fixed number of significant digits.
"""

from __future__ import annotations

import math
import numbers


def rounded(value: numbers.Real, digits: int = 4) -> int | float:
    """Return ``value`` as a Python int, or as a float rounded to ``digits`` significant digits.

    Raises:
        ValueError: if ``value`` is not a finite real number or ``digits`` < 1.
    """
    if digits < 1:
        raise ValueError(f"digits={digits} is invalid: pass a positive number of significant digits.")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"value={value!r} is not a real number: glue text with glue_text().")
    if isinstance(value, numbers.Integral):
        return int(value)
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"value={number} is not finite and cannot be cited in the text.")
    if number == 0.0:
        return 0.0
    return round(number, digits - 1 - math.floor(math.log10(abs(number))))


def glue_number(name: str, value: numbers.Real, digits: int = 4) -> int | float:
    """Glue a number for ``{glue:text}`name:.2f``` without displaying it; return the glued value."""
    from myst_nb import glue

    number = rounded(value, digits)
    glue(name, number, display=False)
    return number


def glue_text(name: str, text: str) -> str:
    """Glue a Markdown fragment for ``{glue:md}`name``` without displaying it; return it."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)
    return text
