"""Small-sample tests for comparing variants across seeds.

With three to five seeds per variant the question is whether a difference
exceeds the seed-to-seed spread. Welch's t-test compares means without
assuming equal variances, and the F-test compares the variances themselves.
Both p-values come from the regularized incomplete beta function
I_x(a, b), evaluated with its continued fraction by the modified Lentz
method, so the module needs no SciPy.

Relations used (ν degrees of freedom):

* Student t: P(|T| > t) = I_{ν / (ν + t²)}(ν / 2, 1 / 2).
* F(d1, d2): P(F ≤ x) = I_{d1 x / (d1 x + d2)}(d1 / 2, d2 / 2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CONTINUED_FRACTION_TOLERANCE = 1e-14
CONTINUED_FRACTION_MAX_TERMS = 500
TINY = 1e-300  # keeps the Lentz recurrences away from division by zero
QUANTILE_TOLERANCE = 1e-10


@dataclass(frozen=True)
class WelchResult:
    """Welch's two-sample t-test of mean(a) - mean(b).

    Attributes:
        difference: mean(a) - mean(b).
        standard_error: sqrt(s_a² / n_a + s_b² / n_b), sample variances with n - 1.
        t: difference / standard_error (±inf when the error is 0 and the difference is not).
        df: Welch–Satterthwaite degrees of freedom.
        p_value: Two-sided p-value.
    """

    difference: float
    standard_error: float
    t: float
    df: float
    p_value: float


def regularized_incomplete_beta(x: float, a: float, b: float) -> float:
    """Return I_x(a, b) for 0 <= x <= 1 and a, b > 0.

    Raises:
        ValueError: If an argument is out of range.
    """
    if not 0.0 <= x <= 1.0 or a <= 0 or b <= 0:
        raise ValueError(f"I_x(a, b) needs 0 <= x <= 1 and a, b > 0, got x={x}, a={a}, b={b}")
    if x in (0.0, 1.0):
        return x
    # The continued fraction converges fast for x < (a + 1) / (a + b + 2), so use symmetry above.
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - regularized_incomplete_beta(1.0 - x, b, a)
    log_front = a * math.log(x) + b * math.log1p(-x) - _log_beta(a, b) - math.log(a)
    return math.exp(log_front) / _beta_continued_fraction(x, a, b)


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """Evaluate 1 + d1 / (1 + d2 / (1 + ...)) for I_x(a, b) by the modified Lentz method.

    d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) and
    d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)).
    """
    value, c, d = 1.0, 1.0, 0.0
    for term in range(1, CONTINUED_FRACTION_MAX_TERMS + 1):
        m = term // 2
        if term % 2:
            numerator = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        else:
            numerator = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1.0 + numerator * d
        d = 1.0 / (d if abs(d) > TINY else TINY)
        c = 1.0 + numerator / c
        c = c if abs(c) > TINY else TINY
        value *= c * d
        if abs(c * d - 1.0) < CONTINUED_FRACTION_TOLERANCE:
            return value
    raise ArithmeticError(f"continued fraction for I_{x}({a}, {b}) did not converge")


def student_t_cdf(t: float, df: float) -> float:
    """Return P(T <= t) for Student's t distribution with ``df`` degrees of freedom."""
    if df <= 0:
        raise ValueError(f"df={df} is invalid: pass a positive number of degrees of freedom")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * regularized_incomplete_beta(df / (df + t * t), df / 2.0, 0.5)
    return 1.0 - tail if t > 0 else tail


def f_cdf(x: float, d1: float, d2: float) -> float:
    """Return P(F <= x) for the F distribution with (d1, d2) degrees of freedom."""
    if d1 <= 0 or d2 <= 0:
        raise ValueError(f"degrees of freedom must be positive, got d1={d1}, d2={d2}")
    if x <= 0:
        return 0.0
    if math.isinf(x):
        return 1.0
    return regularized_incomplete_beta(d1 * x / (d1 * x + d2), d1 / 2.0, d2 / 2.0)


def student_t_quantile(probability: float, df: float) -> float:
    """Return t with P(T <= t) = ``probability`` for Student's t with ``df`` degrees of freedom.

    Found by bisection on ``student_t_cdf`` to an absolute error below 1e-10.

    Raises:
        ValueError: If ``probability`` is not strictly between 0 and 1.
    """
    return _bisect_quantile(lambda t: student_t_cdf(t, df), probability, centre=0.0)


def f_quantile(probability: float, d1: float, d2: float) -> float:
    """Return x with P(F <= x) = ``probability`` for the F distribution with (d1, d2) degrees of freedom."""
    return _bisect_quantile(lambda x: f_cdf(x, d1, d2), probability, centre=1.0, lower_bound=0.0)


def _bisect_quantile(
    cdf: Callable[[float], float], probability: float, centre: float, lower_bound: float = -math.inf
) -> float:
    """Invert an increasing CDF by doubling a bracket around ``centre``, then bisecting it."""
    if not 0.0 < probability < 1.0:
        raise ValueError(f"probability={probability} is invalid: pass a value strictly between 0 and 1")
    low, high, step = centre - 1.0, centre + 1.0, 1.0
    while cdf(high) < probability:
        step *= 2.0
        high = centre + step
    step = 1.0
    while low > lower_bound and cdf(low) > probability:
        step *= 2.0
        low = max(lower_bound, centre - step)
    while high - low > QUANTILE_TOLERANCE:
        middle = 0.5 * (low + high)
        if cdf(middle) < probability:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def welch_t_test(a: Sequence[float], b: Sequence[float]) -> WelchResult:
    """Test whether mean(a) and mean(b) differ, without assuming equal variances.

    Raises:
        ValueError: If either sample has fewer than two values.
    """
    mean_a, var_a, n_a = _moments(a)
    mean_b, var_b, n_b = _moments(b)
    difference = mean_a - mean_b
    share_a, share_b = var_a / n_a, var_b / n_b
    error = math.sqrt(share_a + share_b)
    if error == 0.0:
        # Both samples are constant: the means either agree exactly or differ for certain.
        p_value = 1.0 if difference == 0.0 else 0.0
        t = 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
        return WelchResult(difference, 0.0, t, float(n_a + n_b - 2), p_value)
    df = (share_a + share_b) ** 2 / (share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1))
    t = difference / error
    p_value = 2.0 * (1.0 - student_t_cdf(abs(t), df))
    return WelchResult(difference, error, t, df, min(1.0, p_value))


def variance_ratio_test(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Return var(a) / var(b) and the two-sided F-test p-value for equal variances.

    Two constant samples spread equally: the ratio is then 1 and the p-value 1.

    Raises:
        ValueError: If either sample has fewer than two values.
    """
    _, var_a, n_a = _moments(a)
    _, var_b, n_b = _moments(b)
    if var_a == 0.0 and var_b == 0.0:
        return 1.0, 1.0
    if var_b == 0.0:
        return math.inf, 0.0
    ratio = var_a / var_b
    lower = f_cdf(ratio, n_a - 1, n_b - 1)
    return ratio, min(1.0, 2.0 * min(lower, 1.0 - lower))


def _moments(sample: Sequence[float]) -> tuple[float, float, int]:
    """Return mean, sample variance (n - 1) and size."""
    values = [float(value) for value in sample]
    size = len(values)
    if size < 2:
        raise ValueError(f"a sample of {size} value(s) is too small: pass at least two (two seeds)")
    mean = sum(values) / size
    variance = sum((value - mean) ** 2 for value in values) / (size - 1)
    return mean, variance, size
