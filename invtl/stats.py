"""Seed statistics used by every analysis: means, sample standard deviations, 95 % t-intervals."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def ci95(values, axis: int = 0) -> np.ndarray:
    """Half-width of the two-sided 95 % Student-t interval of the mean along `axis`
    (NaN for fewer than 2 values)."""
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    if n < 2:
        return np.full(np.delete(values.shape, axis), np.nan)
    return stats.t.ppf(0.975, n - 1) * values.std(axis=axis, ddof=1) / math.sqrt(n)


def mean_std(values, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample standard deviation (ddof 1, as pandas) along `axis`; std NaN for one value."""
    values = np.asarray(values, dtype=float)
    m = values.mean(axis=axis)
    s = values.std(axis=axis, ddof=1) if values.shape[axis] > 1 else np.full(m.shape, np.nan)
    return m, s


def pearson(x, y) -> float:
    """Pearson r (NaN when either side has no spread or fewer than 2 values)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])
