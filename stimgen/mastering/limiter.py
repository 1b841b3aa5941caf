"""The look-ahead true-peak limiter, on a whole signal or section by section."""

from __future__ import annotations

import numpy as np

from ._common import (
    LIMITER_OVERSAMPLE,
    MAX_CEILING_DBTP,
    MIN_CEILING_DBTP,
    _DIRECT_CONV_MAX,
    _RELEASE_DB_PER_TIME_CONSTANT,
    _TRIM_MARGIN,
    _as_channels,
    _check_float,
    _check_sr,
)
from ._kernels import ahead_min
from .truepeak import _peak_envelope, _peak_of_product, _sample_envelope

__all__ = ["limiter_gain", "limit_true_peak"]


def _limiter_gain(arr: np.ndarray, sr: int, ceiling_dbtp: float, lookahead_s: float, release_s: float) -> np.ndarray:
    """Gain curve (n_samples,) of the look-ahead true-peak limiter; see :func:`limiter_gain`.

    Only the stretches where the gain drops below 1 (plus the look-ahead on
    each side) are processed; elsewhere the gain is exactly 1.
    """
    n = arr.shape[1]
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    samples = _sample_envelope(arr)
    env = _peak_envelope(arr, LIMITER_OVERSAMPLE, ceiling, samples)
    over = np.flatnonzero(env > ceiling)
    smoothed = np.ones(n)
    if over.size:
        # Gain each sample needs, in dB (< 0 where the detector exceeds the ceiling, else 0).
        need_db = 20.0 * np.log10(ceiling / env[over])
        # Release: after a dip the gain recovers at a constant rate in dB, i.e.
        # g[k] = min_{j <= k} need[j] + rate * (k - j), computed as a running minimum
        # over the stretch from the first dip to the end of the last recovery.
        rate_db = _RELEASE_DB_PER_TIME_CONSTANT / (release_s * sr)
        first = int(over[0])
        last = min(n, int(np.max(over + np.ceil(-need_db / rate_db))) + 2)
        released_db = np.zeros(last - first)
        released_db[over - first] = need_db
        del need_db
        ramp = rate_db * np.arange(last - first)
        released_db -= ramp
        np.minimum.accumulate(released_db, out=released_db)
        released_db += ramp
        del ramp
        np.minimum(released_db, 0.0, out=released_db)
        below = np.flatnonzero(released_db < 0.0)
        gain = np.ones(n)
        gain[first + below] = 10.0 ** (released_db[below] / 20.0)
        # Stretches where the gain is below 1, merged when their look-ahead neighbourhoods interact.
        n_look = max(1, int(round(lookahead_s * sr)))
        size = n_look + 1
        breaks = np.flatnonzero(np.diff(below) > 3 * n_look + 2)
        run_starts = first + below[np.concatenate([[0], breaks + 1])]
        run_stops = first + below[np.concatenate([breaks, [below.size - 1]])] + 1
        kernel = np.hanning(size + 2)[1:-1]
        kernel /= kernel.sum()
        for a, b in zip(run_starts.tolist(), run_stops.tolist()):
            # Attack with look-ahead: the minimum over the next n_look samples
            # (the last gain repeats past the end), then a causal Hann-window
            # average over the last n_look samples.  Every term of the average
            # covers sample k, so the smoothed gain never exceeds the gain sample
            # k needs, and it starts falling n_look samples before a peak.
            lo = max(0, a - n_look)
            hi = min(n, b + n_look)
            seg = gain[lo:min(n, hi + n_look)]
            if seg.size < hi - lo + n_look:
                seg = np.concatenate([seg, np.full(hi - lo + n_look - seg.size, gain[-1])])
            # minimum_filter1d with origin=-(size // 2) covers [k, k + n_look].
            ahead = ahead_min(seg, size)[:hi - lo]
            before = ahead[0] if lo == 0 else 1.0  # the gain before the stretch
            deficit = 1.0 - np.concatenate([np.full(n_look, before), ahead])
            if deficit.size <= _DIRECT_CONV_MAX:
                local = 1.0 - np.convolve(deficit, kernel, mode="valid")
            else:
                from scipy.signal import oaconvolve  # only for long stretches: its import is slow

                local = 1.0 - oaconvolve(deficit, kernel, mode="valid")
            # Rounding may leave a value a hair above its inputs' minimum.
            smoothed[lo:hi] = np.minimum(local, gain[lo:hi])
    # Interpolated peaks of the gain-shaped signal may still differ slightly
    # from the detector's; a final static trim guarantees the ceiling.
    peak = _peak_of_product(arr, smoothed, ceiling, env=samples)  # at 4x and 8x
    if peak > ceiling:
        smoothed *= (ceiling / peak) * (1.0 - _TRIM_MARGIN)
    return smoothed


def _check_limiter_args(sr, ceiling_dbtp, lookahead_s, release_s):
    sr = _check_sr(sr)
    ceiling_dbtp = _check_float("ceiling_dbtp", ceiling_dbtp, low=MIN_CEILING_DBTP, high=MAX_CEILING_DBTP)
    lookahead_s = _check_float("lookahead_s", lookahead_s, low=0.0, high=0.1, low_inclusive=False)
    release_s = _check_float("release_s", release_s, low=0.0, high=5.0, low_inclusive=False)
    return sr, ceiling_dbtp, lookahead_s, release_s


def limiter_gain(
    y, *, sr: int, ceiling_dbtp: float = -1.0, lookahead_s: float = 0.005, release_s: float = 0.05
) -> np.ndarray:
    """Gain curve of the look-ahead true-peak limiter (what :func:`limit_true_peak` multiplies by).

    The detector is the peak over channels of the signal oversampled
    :data:`LIMITER_OVERSAMPLE` times.  From it comes the gain each sample
    needs to stay under the ceiling; the gain then recovers at
    8.686 dB per ``release_s`` (the initial slope of an exponential release
    with that time constant), and starts falling ``lookahead_s`` before each
    peak along a Hann-shaped ramp, so the curve has no step.  A final static
    trim (verified at 4x and 8x oversampling) guarantees the ceiling.

    Parameters
    ----------
    y : array_like, shape (n_samples,) or (n_channels, n_samples)
        Audio with 1 or 2 channels, time on the last axis, finite values.
    sr : int
        Sample rate in Hz, in [8000, 384000].
    ceiling_dbtp : float
        True-peak ceiling in dBTP, in [-20, 0].
    lookahead_s : float
        Look-ahead (attack) time in seconds, in (0, 0.1].
    release_s : float
        Release time constant in seconds, in (0, 5].

    Returns
    -------
    numpy.ndarray, float64, shape (n_samples,)
        Gain in (0, 1] per sample, common to all channels.

    Raises
    ------
    ParameterError
        If ``y`` is empty, not finite or has more than 2 channels, or an
        argument is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from stimgen.mastering import true_peak_dbtp
    >>> y = np.sin(2 * np.pi * 100 * np.arange(48000) / 48000)
    >>> g = limiter_gain(y, sr=48000, ceiling_dbtp=-6.0)
    >>> bool(true_peak_dbtp(y * g, sr=48000) <= -6.0), bool(np.max(np.abs(np.diff(g))) < 1e-3)
    (True, True)
    """
    sr, ceiling_dbtp, lookahead_s, release_s = _check_limiter_args(sr, ceiling_dbtp, lookahead_s, release_s)
    return _limiter_gain(_as_channels(y), sr, ceiling_dbtp, lookahead_s, release_s)


def limit_true_peak(
    y, *, sr: int, ceiling_dbtp: float = -1.0, lookahead_s: float = 0.005, release_s: float = 0.05
) -> np.ndarray:
    """Limit the true peak of a signal to a ceiling with a smooth look-ahead limiter.

    ``y * limiter_gain(y, ...)``; see :func:`limiter_gain`.  The output's
    true peak, measured by :func:`true_peak_dbtp` at 4x (and at 8x), is at or
    below ``ceiling_dbtp``.  Signals already below the ceiling come back
    unchanged (gain exactly 1).

    Parameters
    ----------
    y : array_like, shape (n_samples,) or (n_channels, n_samples)
        Audio with 1 or 2 channels, time on the last axis, finite values.
    sr : int
        Sample rate in Hz, in [8000, 384000].
    ceiling_dbtp : float
        True-peak ceiling in dBTP, in [-20, 0].
    lookahead_s : float
        Look-ahead (attack) time in seconds, in (0, 0.1].
    release_s : float
        Release time constant in seconds, in (0, 5].

    Returns
    -------
    numpy.ndarray, float64, same shape as ``y``

    Raises
    ------
    ParameterError
        If ``y`` is empty, not finite or has more than 2 channels, or an
        argument is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from stimgen.mastering import true_peak_dbtp
    >>> n = np.arange(48000)
    >>> y = np.sin(np.pi / 2 * n + np.pi / 4)
    >>> out = limit_true_peak(y, sr=48000, ceiling_dbtp=-1.0)
    >>> bool(true_peak_dbtp(out, sr=48000) <= -1.0)
    True
    """
    sr, ceiling_dbtp, lookahead_s, release_s = _check_limiter_args(sr, ceiling_dbtp, lookahead_s, release_s)
    shape = np.shape(y)
    arr = _as_channels(y)
    gain = _limiter_gain(arr, sr, ceiling_dbtp, lookahead_s, release_s)
    return (arr * gain).reshape(shape)
