"""Tests for the helpers that glue measured values into the book's prose."""

from __future__ import annotations

import math

import numpy as np
import pytest

from factor.report import rounded


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (np.float64(76.44177963723635), 4, 76.44),
        (0.34931957343586895, 3, 0.349),
        (np.float32(1234567.0), 2, 1200000.0),
        (-0.000123456, 2, -0.00012),
        (0.0, 4, 0.0),
        (np.int64(448), 4, 448),
        (172032, 2, 172032),  # integers are counts and are never rounded
    ],
)
def test_rounded_values(value, digits, expected):
    result = rounded(value, digits)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("value", [math.nan, math.inf, "3.5", True, None])
def test_rounded_rejects_non_numbers(value):
    with pytest.raises(ValueError, match="value="):
        rounded(value)


def test_rounded_rejects_bad_digits():
    with pytest.raises(ValueError, match="digits=0"):
        rounded(1.5, digits=0)
