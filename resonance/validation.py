"""Parameter validators shared by the Python API and preset files.

Each validator returns the cleaned value or raises
:class:`resonance.errors.ParameterError` with a message that names the
parameter, the value and what is allowed, e.g.
``"sr=0 must be a positive integer"``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from .errors import ParameterError

__all__ = [
    "check_int",
    "check_float",
    "check_option",
    "check_bool",
    "check_finite_array",
]


def _fmt(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer in ``[low, high]``.

    Parameters
    ----------
    name : str
        Name used in the error message.
    value : object
        Candidate value. Booleans and non-integral floats are refused.
    low, high : int or None
        Inclusive bounds; ``None`` means unbounded.

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        If ``value`` is not an integer or lies outside the bounds.

    Examples
    --------
    >>> check_int("n_modes", 200, low=2)
    200
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, float, np.floating)):
        raise ParameterError(f"{name}={_fmt(value)} must be an integer{_bounds(low, high)}")
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or value != int(value):
            raise ParameterError(f"{name}={_fmt(value)} must be an integer{_bounds(low, high)}")
    ivalue = int(value)
    if (low is not None and ivalue < low) or (high is not None and ivalue > high):
        raise ParameterError(f"{name}={ivalue} must be an integer{_bounds(low, high)}")
    return ivalue


def check_float(
    name: str,
    value,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite ``float`` within the given bounds.

    Parameters
    ----------
    name : str
        Name used in the error message.
    value : object
        Candidate number (booleans are refused).
    low, high : float or None
        Bounds; ``None`` means unbounded.
    low_inclusive, high_inclusive : bool
        Whether the bounds themselves are allowed.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        If ``value`` is not a finite real number within the bounds.

    Examples
    --------
    >>> check_float("gamma_per_s", 116.0, low=0, low_inclusive=False)
    116.0
    """
    allowed = _interval(low, high, low_inclusive, high_inclusive)
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ParameterError(f"{name}={_fmt(value)} must be a finite number{allowed}")
    fvalue = float(value)
    if not math.isfinite(fvalue):
        raise ParameterError(f"{name}={fvalue} must be a finite number{allowed}")
    if low is not None and (fvalue < low or (fvalue == low and not low_inclusive)):
        raise ParameterError(f"{name}={fvalue:g} must be a finite number{allowed}")
    if high is not None and (fvalue > high or (fvalue == high and not high_inclusive)):
        raise ParameterError(f"{name}={fvalue:g} must be a finite number{allowed}")
    return fvalue


def check_option(name: str, value, options: Iterable) -> object:
    """Return ``value`` if it is one of ``options``.

    Raises
    ------
    ParameterError
        If ``value`` is not among ``options``; the message lists them.

    Examples
    --------
    >>> check_option("kind", "pink", ("white", "pink", "brown"))
    'pink'
    """
    options = tuple(options)
    if value not in options:
        listed = ", ".join(_fmt(o) for o in options)
        raise ParameterError(f"{name}={_fmt(value)} is not allowed; choose one of {listed}")
    return value


def check_bool(name: str, value) -> bool:
    """Return ``value`` if it is a boolean.

    Raises
    ------
    ParameterError
        If ``value`` is not ``True`` or ``False``.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name}={_fmt(value)} must be true or false")
    return bool(value)


def check_finite_array(name: str, value, *, ndim: int | None = None, dtype=np.float64) -> np.ndarray:
    """Return ``value`` as a finite array of ``dtype``.

    Parameters
    ----------
    name : str
        Name used in the error message.
    value : array_like
        Candidate array.
    ndim : int or None
        Required number of dimensions.
    dtype : numpy dtype
        Output dtype.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ParameterError
        If the array is empty, has the wrong number of dimensions, or holds
        NaN or infinite values.
    """
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be numeric: {exc}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ParameterError(f"{name} has shape {arr.shape}; it must have {ndim} dimension(s)")
    if arr.size == 0:
        raise ParameterError(f"{name} is empty; it must hold at least one value")
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ParameterError(f"{name} holds {n_bad} NaN or infinite value(s); all values must be finite")
    return arr


def _bounds(low, high) -> str:
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def _interval(low, high, low_inclusive, high_inclusive) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" {'>=' if low_inclusive else '>'} {low:g}"
    if low is None:
        return f" {'<=' if high_inclusive else '<'} {high:g}"
    left = "[" if low_inclusive else "("
    right = "]" if high_inclusive else ")"
    return f" in {left}{low:g}, {high:g}{right}"
