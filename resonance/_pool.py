"""Pooling of consecutive frames (max, sum, mean of groups of ``k``), the same bits as NumPy's reshaped reduction.

The model pools its frame rates by small whole factors: events to the sink
frames (max of 4 envelope frames), the drive to the rhythm bank's rate (mean
of 4), the events to the oscillators' steps (sum of 8).  Written as
``x.reshape(..., n // k, k).max(axis=-1)``, NumPy runs one reduction of
``k`` values per output, ~50 ns each: ~0.2 ms per 10 s block for each such
pooling, more than the arithmetic.  Here the same values are combined with
``k`` whole-array operations on strided views, in the order NumPy's
reduction adds them, so the results are the same bits
(``tests/test_pool.py`` compares them on random input):

* NumPy sums fewer than 8 values one after another, ``((x0 + x1) + x2) + ...``,
  and 8 values pairwise, ``((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7))``,
  each added to a start of ``0.0`` (which only turns a sum of ``-0.0`` into ``+0.0``);
* a mean is that sum divided by ``k``;
* a maximum does not depend on the order (but for the sign of a largest
  value of zero, which may differ from NumPy's).

Other factors go to NumPy's reduction itself.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pool_max", "pool_mean", "pool_sum"]


def _check(x: np.ndarray, k: int) -> None:
    if k < 1 or x.shape[-1] % k:
        raise ValueError(f"pool of k={k} needs a last axis that is a positive multiple of it; got {x.shape}")


def pool_max(x: np.ndarray, k: int) -> np.ndarray:
    """Largest of each ``k`` consecutive values along the last axis.

    Examples
    --------
    >>> pool_max(np.array([[0.0, 2.0, 1.0, 0.5]]), 2).tolist()
    [[2.0, 1.0]]
    """
    x = np.asarray(x)
    _check(x, k)
    if k == 1:
        return x.copy()
    out = np.maximum(x[..., 0::k], x[..., 1::k])
    for i in range(2, k):
        np.maximum(out, x[..., i::k], out=out)
    return out


def pool_sum(x: np.ndarray, k: int) -> np.ndarray:
    """Sum of each ``k`` consecutive values along the last axis, as ``x.reshape(..., -1, k).sum(axis=-1)``.

    Examples
    --------
    >>> pool_sum(np.arange(8.0).reshape(1, 8), 4).tolist()
    [[6.0, 22.0]]
    """
    x = np.asarray(x)
    _check(x, k)
    if x.dtype != np.float64 or k > 8 or k == 1:
        return x.reshape(x.shape[:-1] + (-1, k)).sum(axis=-1)
    if k == 8:
        v = [x[..., i::8] for i in range(8)]
        out = v[0] + v[1]
        out += v[2] + v[3]
        right = v[4] + v[5]
        right += v[6] + v[7]
        out += right
        out += 0.0  # NumPy's sum starts at 0.0: -0.0 becomes +0.0
        return out
    out = x[..., 0::k] + x[..., 1::k]
    for i in range(2, k):
        out += x[..., i::k]
    out += 0.0  # NumPy's sum starts at 0.0: -0.0 becomes +0.0
    return out


def pool_mean(x: np.ndarray, k: int) -> np.ndarray:
    """Mean of each ``k`` consecutive values along the last axis, as ``x.reshape(..., -1, k).mean(axis=-1)``.

    Examples
    --------
    >>> pool_mean(np.arange(8.0).reshape(1, 8), 4).tolist()
    [[1.5, 5.5]]
    """
    out = pool_sum(x, k)
    out /= k
    return out
