"""Amplitude modulation, click-free parameter automation and gain curves.

All functions work on audio ``y`` with time on the last axis, so a mono
signal has shape ``(n,)`` and a stereo signal shape ``(2, n)``.

Amplitude modulation (AM) of a sound at a fixed rate is the main ingredient
of "focus music": Woods et al. (2024, *Communications Biology* 7:1376,
"Rapid modulation in music supports attention in listeners with attentional
difficulties") used 16 Hz (beta-range) AM; :data:`FOCUS_AM_RATE_HZ` names
that rate.
"""

from __future__ import annotations

import functools

import numpy as np

from ._checks import ParameterError
from ._checks import (
    check_finite_array,
    check_float,
    check_int,
    check_option,
)

__all__ = [
    "AM_SHAPES",
    "FOCUS_AM_RATE_HZ",
    "SQUARE_EDGE_FRACTION",
    "amplitude_modulate",
    "apply_gain_db_curve",
    "fade_edges",
    "glide",
    "modulator",
    "raised_cosine",
]

#: Beta-range amplitude-modulation rate (Hz) used in the focus-music study of
#: Woods et al. 2024 (Communications Biology 7:1376).
FOCUS_AM_RATE_HZ = 16.0

#: Modulator shapes understood by :func:`amplitude_modulate`.
AM_SHAPES = ("sine", "triangle", "square")

#: Fraction of each period spent on *each* rising or falling edge of the
#: "square" modulator.  The edges are raised-cosine, so the square wave does
#: not click; 0.1 keeps 80 % of the period at full or minimum gain.
SQUARE_EDGE_FRACTION = 0.1


def raised_cosine(u):
    """Map ``u`` (clipped to [0, 1]) onto the raised-cosine ramp ``(1 - cos(pi u)) / 2``.

    The ramp starts and ends with zero slope, which is why it is used for every
    fade and transition in :mod:`stimgen.synth`.

    Parameters
    ----------
    u : array_like
        Ramp position; values outside [0, 1] are clipped.

    Returns
    -------
    numpy.ndarray of float64
        Same shape as ``u``, values in [0, 1].

    Raises
    ------
    ParameterError
        Never for finite input; NaN propagates.

    Examples
    --------
    >>> raised_cosine([0.0, 0.5, 1.0]).round(3).tolist()
    [0.0, 0.5, 1.0]
    """
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * u)


def fade_edges(y, *, sr, fade_in_s=0.01, fade_out_s=None):
    """Apply raised-cosine fade-in and fade-out to ``y`` (time on the last axis).

    The first and last samples become exactly zero, so a sound that is cut
    out of a longer signal starts and ends without a click.

    Parameters
    ----------
    y : array_like, shape (..., n)
        Audio.
    sr : int
        Sample rate in Hz.
    fade_in_s : float
        Fade-in length in seconds (0 for none).
    fade_out_s : float or None
        Fade-out length in seconds; ``None`` means the same as ``fade_in_s``.
        Each fade is shortened to at most half the signal.

    Returns
    -------
    numpy.ndarray of float64, shape (..., n)
        A faded copy.

    Raises
    ------
    ParameterError
        If ``sr`` or a fade length is invalid or ``y`` holds non-finite values.

    Examples
    --------
    >>> y = fade_edges(np.ones(100), sr=1000, fade_in_s=0.01)
    >>> float(y[0]), float(y[50]), float(y[-1])
    (0.0, 1.0, 0.0)
    """
    y = check_finite_array("y", y).copy()
    sr = check_int("sr", sr, low=1)
    fade_in_s = check_float("fade_in_s", fade_in_s, low=0)
    fade_out_s = fade_in_s if fade_out_s is None else check_float("fade_out_s", fade_out_s, low=0)
    n = y.shape[-1]
    for length_s, at_start in ((fade_in_s, True), (fade_out_s, False)):
        n_fade = min(int(round(length_s * sr)), n // 2)
        if n_fade < 1:
            continue
        # n_fade + 1 points from 0 to 1; drop the final 1 so the ramp joins
        # the untouched part smoothly and the edge sample is exactly 0.
        ramp = raised_cosine(np.arange(n_fade) / n_fade)
        if at_start:
            y[..., :n_fade] *= ramp
        else:
            y[..., n - n_fade :] *= ramp[::-1]
    return y


_SINE_TABLE_SIZE = 4096

#: Samples per chunk of :func:`amplitude_modulate` (bounded temporaries).
_CHUNK = 1 << 16


@functools.lru_cache(maxsize=1)
def _sine_table():
    """``(1 - cos(2 pi j / N)) / 2`` for j = 0..N (one extra point closes the cycle), read-only."""
    table = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(_SINE_TABLE_SIZE + 1) / _SINE_TABLE_SIZE)
    table.setflags(write=False)
    return table


def _cycle_shape(x, shape):
    """Modulator in [0, 1] as a function of cycle count ``x`` (0 at a trough)."""
    frac = x - np.floor(x)
    if shape == "sine":
        # Linear interpolation in a raised-cosine table of _SINE_TABLE_SIZE
        # points per cycle (error < 2e-7, far below audibility for a gain),
        # several times cheaper than evaluating cos for every sample.
        pos = frac * _SINE_TABLE_SIZE
        idx = pos.astype(np.intp)
        pos -= idx
        table = _sine_table()
        lo = table[idx]
        out = table[idx + 1] - lo
        out *= pos
        out += lo
        return out
    if shape == "triangle":
        return 1.0 - np.abs(2.0 * frac - 1.0)
    # soft square: low at the start of the cycle, rises over one edge, stays
    # high, falls over one edge, symmetric about the middle of the cycle.
    edge = SQUARE_EDGE_FRACTION
    rise = (frac - (0.25 - edge / 2)) / edge
    fall = ((0.75 + edge / 2) - frac) / edge
    return raised_cosine(np.minimum(rise, fall))


def modulator(*, sr, n_samples, rate_hz, shape="sine", phase=0.0):
    """Periodic modulator ``m(t)`` in [0, 1], at its minimum at ``t = 0`` when ``phase = 0``.

    With ``x = rate_hz * t + phase / (2 pi)`` cycles:

    * ``"sine"``: ``m = (1 - cos(2 pi x)) / 2``
    * ``"triangle"``: ``m = 1 - |2 frac(x) - 1|``
    * ``"square"``: 0 for the first and last quarter of each cycle, 1 for the
      middle half, joined by raised-cosine edges of
      :data:`SQUARE_EDGE_FRACTION` of a cycle (no clicks).

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    n_samples : int
        Length of the output.
    rate_hz : float
        Modulation rate, > 0 and below the Nyquist frequency.
    shape : {"sine", "triangle", "square"}
        Modulator waveform.
    phase : float
        Phase offset in radians.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples,)

    Raises
    ------
    ParameterError
        If an argument is out of range.

    Examples
    --------
    >>> m = modulator(sr=100, n_samples=100, rate_hz=1.0)
    >>> float(m[0]), float(m[50])
    (0.0, 1.0)
    """
    sr = check_int("sr", sr, low=1)
    n_samples = check_int("n_samples", n_samples, low=0)
    rate_hz = check_float("rate_hz", rate_hz, low=0, high=sr / 2, low_inclusive=False, high_inclusive=False)
    shape = check_option("shape", shape, AM_SHAPES)
    phase = check_float("phase", phase)
    x = np.arange(n_samples) * (rate_hz / sr) + phase / (2.0 * np.pi)
    return _cycle_shape(x, shape)


def amplitude_modulate(y, *, sr, rate_hz, depth, shape="sine", phase=0.0, offset=0):
    """Amplitude-modulate ``y`` at ``rate_hz``.

    The gain is ``g(t) = 1 - depth * (1 - m(t))`` where ``m(t)`` in [0, 1] is
    the :func:`modulator` of the given ``shape`` and ``phase``.  So the gain
    swings between ``1 - depth`` and 1: ``depth = 0`` returns ``y`` unchanged
    (bit-identical), ``depth = 1`` switches the sound fully off at each
    trough.  The modulation never raises the level above the input.  Both
    channels of a stereo signal get the same gain.

    Parameters
    ----------
    y : array_like, shape (n,) or (2, n)
        Audio, time on the last axis.
    sr : int
        Sample rate in Hz.
    rate_hz : float
        Modulation rate in Hz (> 0, below Nyquist), e.g. :data:`FOCUS_AM_RATE_HZ`.
    depth : float
        Modulation depth in [0, 1].
    shape : {"sine", "triangle", "square"}
        Modulator waveform.
    phase : float
        Modulator phase in radians; 0 starts at the gain minimum.
    offset : int
        Index of ``y``'s first sample in a longer signal (>= 0), so that a
        signal modulated section by section equals the whole bit for bit.

    Returns
    -------
    numpy.ndarray of float64, same shape as ``y``

    Raises
    ------
    ParameterError
        If ``y`` is empty or non-finite, or an argument is out of range
        (e.g. ``depth=1.5``, a negative ``rate_hz``).

    Examples
    --------
    >>> y = np.ones(48000)
    >>> out = amplitude_modulate(y, sr=48000, rate_hz=FOCUS_AM_RATE_HZ, depth=0.5)
    >>> float(out.min()), float(out.max())
    (0.5, 1.0)
    """
    y = check_finite_array("y", y)
    depth = check_float("depth", depth, low=0, high=1)
    sr = check_int("sr", sr, low=1)
    offset = check_int("offset", offset, low=0)
    modulator(sr=sr, n_samples=0, rate_hz=rate_hz, shape=shape, phase=phase)  # validates the arguments
    if depth == 0.0:
        return y.copy()
    # In chunks, so that a long signal needs no full-length temporaries; the
    # cycle count of sample k is k * rate / sr + phase / 2 pi, as in modulator().
    out = np.empty(y.shape)
    n = y.shape[-1]
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        m = _cycle_shape(np.arange(offset + a, offset + b) * (rate_hz / sr) + phase / (2.0 * np.pi), shape)
        m -= 1.0
        m *= depth
        m += 1.0
        np.multiply(y[..., a:b], m, out=out[..., a:b])
    return out


def glide(values_at_times, *, sr, duration_s, start=0, stop=None):
    """Turn breakpoints ``[(t_s, value), ...]`` into a smooth per-sample curve.

    Between consecutive breakpoints the curve follows a raised-cosine
    transition (zero slope at each breakpoint, so no corners and no clicks
    when it automates a gain or a frequency); before the first breakpoint it
    holds the first value and after the last it holds the last value.  Sample
    ``k`` sits at time ``k / sr``.

    Parameters
    ----------
    values_at_times : sequence of (float, float)
        Breakpoints ``(t_s, value)`` with strictly increasing times >= 0.
    sr : int
        Sample rate in Hz.
    duration_s : float
        Length of the curve in seconds (``round(duration_s * sr)`` samples).
    start, stop : int, int or None
        Return only samples ``start`` to ``stop`` of the curve (default:
        all); each sample depends only on its own index, so pieces equal the
        whole curve bit for bit.

    Returns
    -------
    numpy.ndarray of float64, shape (stop - start,)

    Raises
    ------
    ParameterError
        If the breakpoints are empty, not pairs, non-finite, or their times
        are negative or not strictly increasing.

    Examples
    --------
    >>> c = glide([(0.0, 0.0), (1.0, 10.0)], sr=10, duration_s=2.0)
    >>> c[[0, 5, 10, 19]].round(9).tolist()
    [0.0, 5.0, 10.0, 10.0]
    """
    points = check_finite_array("values_at_times", values_at_times)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ParameterError(
            f"values_at_times has shape {points.shape}; it must be a sequence of (t_s, value) pairs"
        )
    sr = check_int("sr", sr, low=1)
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    times, values = points[:, 0], points[:, 1]
    if times[0] < 0:
        raise ParameterError(f"values_at_times: time {times[0]:g} s must be >= 0")
    steps = np.diff(times)
    if np.any(steps <= 0):
        bad = int(np.argmax(steps <= 0)) + 1
        raise ParameterError(
            f"values_at_times: time {times[bad]:g} s at index {bad} must be later than the previous "
            f"time {times[bad - 1]:g} s (times must be strictly increasing)"
        )
    n = int(round(duration_s * sr))
    start = check_int("start", start, low=0, high=n)
    stop = n if stop is None else check_int("stop", stop, low=start, high=n)
    t = np.arange(start, stop) / sr
    if len(times) == 1:
        return np.full(stop - start, values[0])
    seg = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    u = (t - times[seg]) / steps[seg]
    return values[seg] + (values[seg + 1] - values[seg]) * raised_cosine(u)


def apply_gain_db_curve(y, gain_db_curve):
    """Multiply ``y`` by a gain given in decibels, per sample or constant.

    Parameters
    ----------
    y : array_like, shape (n,) or (2, n)
        Audio, time on the last axis.
    gain_db_curve : float or array_like, shape (n,)
        Gain in dB: a scalar or one value per sample (e.g. from :func:`glide`).
        The linear gain is ``10 ** (gain_db / 20)``.

    Returns
    -------
    numpy.ndarray of float64, same shape as ``y``

    Raises
    ------
    ParameterError
        If an input is non-finite or the curve length differs from ``y``'s.

    Examples
    --------
    >>> apply_gain_db_curve(np.ones(3), -20.0).round(3).tolist()
    [0.1, 0.1, 0.1]
    """
    y = check_finite_array("y", y)
    gain_db = check_finite_array("gain_db_curve", gain_db_curve)
    if gain_db.ndim > 1 or (gain_db.ndim == 1 and gain_db.shape[0] != y.shape[-1]):
        raise ParameterError(
            f"gain_db_curve has shape {gain_db.shape}; it must be a scalar or have one value per "
            f"sample ({y.shape[-1]})"
        )
    return y * 10.0 ** (gain_db / 20.0)
