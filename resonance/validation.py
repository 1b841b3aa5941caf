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
    "check_audio",
    "check_sample_rate",
    "MIN_AUDIO_SR_HZ",
    "MAX_AUDIO_SR_HZ",
    "MAX_SAMPLE_ABS",
]

#: Lowest sample rate of audio the model takes, in Hz (telephone speech; below
#: it the ear's range above 4 kHz is lost).  Engineering choice.
MIN_AUDIO_SR_HZ = 8000

#: Highest sample rate, in Hz (768 kHz, the highest rate of current
#: converters; a header claiming more is damaged).  Engineering choice.
MAX_AUDIO_SR_HZ = 768_000

#: Largest absolute sample value accepted anywhere (+120 dBFS).  Floating-point
#: files may exceed full scale (1.0), but values this far above it are a
#: damaged or mis-scaled file, and squaring them would overflow single
#: precision inside the model.  Engineering choice.
MAX_SAMPLE_ABS = 1e6


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


def check_sample_rate(name: str, sr) -> int:
    """Return ``sr`` if it is an audio sample rate the model takes.

    Parameters
    ----------
    name : str
        How the message names it, e.g. ``"sr"`` or ``"'take.wav': sample rate"``.
    sr : int
        Rate in Hz.

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        If ``sr`` is not an integer in [:data:`MIN_AUDIO_SR_HZ`, :data:`MAX_AUDIO_SR_HZ`].

    Examples
    --------
    >>> check_sample_rate("sr", 1)
    Traceback (most recent call last):
    ...
    resonance.errors.ParameterError: sr=1 Hz is not an audio sample rate; allowed: 8000 to 768000 Hz
    """
    if isinstance(sr, bool) or not isinstance(sr, (numbers.Integral, float, np.floating)) or (
        isinstance(sr, (float, np.floating)) and (not math.isfinite(sr) or sr != int(sr))
    ):
        raise ParameterError(f"{name}={_fmt(sr)} must be an integer number of Hz")
    sr = int(sr)
    if not MIN_AUDIO_SR_HZ <= sr <= MAX_AUDIO_SR_HZ:
        raise ParameterError(
            f"{name}={sr} Hz is not an audio sample rate; allowed: {MIN_AUDIO_SR_HZ} to {MAX_AUDIO_SR_HZ} Hz"
        )
    return sr


def check_audio(
    y,
    *,
    name: str = "y",
    max_abs: float = MAX_SAMPLE_ABS,
    n_channels: int | None = None,
    sr: int | None = None,
    start_sample: int = 0,
    hint: str = "",
) -> np.ndarray:
    """Return audio samples as a checked float64 array: the one audio validator.

    Used wherever samples enter or leave the packages: audio files read
    (:mod:`resonance.io.audio`), arrays scored
    (:func:`resonance.score_signal`), files and tracks written
    (:func:`resonance.io.audio.write_audio`, :func:`stimgen.io.write_track`).

    Parameters
    ----------
    y : array_like, shape (n_samples,) or (n_channels, n_samples)
        Samples, time on the last axis.
    name : str
        How the message names the samples (e.g. ``"y"`` or ``"'take.wav'"``).
    max_abs : float
        Largest absolute value allowed: 1.0 for audio to be written as
        fixed-point, :data:`MAX_SAMPLE_ABS` for audio to be analysed.
    n_channels : int or None
        Required number of channels (then ``y`` must be 2-D).
    sr : int or None
        Sample rate in Hz, only to give times in messages.
    start_sample : int
        Index of ``y``'s first sample in a longer stream (for messages).
    hint : str
        Advice appended to a peak error (e.g. ``"run stimgen.mastering.master first"``).

    Returns
    -------
    numpy.ndarray, float64
        ``y`` with its shape.

    Raises
    ------
    ParameterError
        If ``y`` is not numeric, not 1-D or 2-D, empty, has more channels
        than samples (time on the wrong axis) or not ``n_channels``, holds
        NaN or infinite values, or exceeds ``max_abs``; the message names
        ``name``, the value and what is allowed.

    Examples
    --------
    >>> check_audio([0.0, 0.5, -0.25]).dtype
    dtype('float64')
    >>> check_audio([0.0, 1e30], name="'take.wav'", sr=8000)
    Traceback (most recent call last):
    ...
    resonance.errors.ParameterError: 'take.wav' has peak |y|=1e+30; samples must lie in [-1e+06, 1e+06] (+120 dBFS) (the first beyond at 0.000125 s, sample 1)
    """
    try:
        with np.errstate(all="ignore"):
            arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ParameterError(f"{name} must be a numeric array of samples ({exc})") from None
    if arr.ndim not in (1, 2) or (n_channels is not None and (arr.ndim != 2 or arr.shape[0] != n_channels)):
        wanted = f"({n_channels}, n_samples)" if n_channels is not None else "(n_samples,) or (n_channels, n_samples)"
        raise ParameterError(f"{name} has shape {arr.shape}; it must be {wanted}, time on the last axis")
    if arr.size == 0:
        raise ParameterError(f"{name} has shape {arr.shape}; it must hold at least one sample")
    if arr.ndim == 2 and arr.shape[0] > arr.shape[1]:
        raise ParameterError(
            f"{name} has shape {arr.shape}: more channels than samples; time must be on the last axis, "
            "shape (n_channels, n_samples)"
        )
    # Two reductions without temporaries: NaN or inf anywhere makes the
    # largest or the smallest sample non-finite.
    hi, lo = float(arr.max()), float(arr.min())
    finite = np.isfinite(arr) if not (math.isfinite(hi) and math.isfinite(lo)) else None
    if finite is not None:
        n_bad = int(arr.size - np.count_nonzero(finite))
        first = start_sample + int(np.argmin(finite.all(axis=0) if arr.ndim == 2 else finite))
        raise ParameterError(
            f"{name} holds NaN or infinite samples ({n_bad} of them, the first {_at(first, sr)}); all samples "
            "must be finite"
        )
    peak = max(hi, -lo)
    if peak > max_abs:
        magnitude = np.abs(arr)
        first = start_sample + int(np.argmax((magnitude > max_abs).any(axis=0) if arr.ndim == 2 else magnitude > max_abs))
        level = f" ({20 * math.log10(max_abs):+.0f} dBFS)" if max_abs > 1 else ""
        advice = f"; {hint}" if hint else ""
        raise ParameterError(
            f"{name} has peak |y|={peak:.4g}; samples must lie in [-{max_abs:g}, {max_abs:g}]{level} (the first "
            f"beyond {_at(first, sr)}){advice}"
        )
    return arr


def _at(sample: int, sr) -> str:
    return f"at {sample / sr:.6g} s, sample {sample}" if sr else f"sample {sample}"


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
