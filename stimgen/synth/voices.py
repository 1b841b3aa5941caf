"""Synthetic drum and click voices (one-shot samples).

Every voice is a 1-D float64 array, peak-normalised to 1, with zero mean
(no DC offset) and raised-cosine edges, so its first and last samples are
exactly 0 and it can be mixed anywhere without clicks.  The designs are the
classic analogue-drum recipes: a kick is a sine whose pitch falls
exponentially under a decaying envelope; a snare is a pitched body plus
band-limited noise; a hi-hat is high-passed noise with a short (closed) or
long (open) decay.
"""

from __future__ import annotations

import numpy as np

from ._checks import ParameterError
from ._checks import check_bool, check_float, check_int

from .modulation import fade_edges

__all__ = [
    "ATTACK_S",
    "CLICK_DURATION_S",
    "CLICK_FREQ_HZ",
    "DECAY_DB",
    "HAT_CLOSED_S",
    "HAT_CUTOFF_HZ",
    "HAT_OPEN_S",
    "KICK_DECAY_S",
    "KICK_F_END_HZ",
    "KICK_F_START_HZ",
    "KICK_SWEEP_S",
    "RELEASE_S",
    "SNARE_BODY_HZ",
    "SNARE_DURATION_S",
    "SNARE_NOISE_BAND_HZ",
    "click",
    "hat",
    "kick",
    "snare",
]

#: Default kick length in seconds (the envelope has fallen by :data:`DECAY_DB` at the end).
KICK_DECAY_S = 0.4
#: Default kick start pitch in Hz (the "beater" thump).
KICK_F_START_HZ = 150.0
#: Default kick end pitch in Hz (the boom).
KICK_F_END_HZ = 45.0
#: Time constant in seconds of the kick's exponential pitch fall.
KICK_SWEEP_S = 0.03
#: Raised-cosine attack of every voice, seconds: short enough to keep the
#: transient, long enough not to click.
ATTACK_S = 0.001
#: Raised-cosine release at the end of every voice, seconds.
RELEASE_S = 0.01
#: Level in dB by which a voice's exponential envelope has fallen at its end.
DECAY_DB = -60.0
#: Snare length in seconds.
SNARE_DURATION_S = 0.25
#: Snare body modes in Hz (drum-head fundamental and first overtone).
SNARE_BODY_HZ = (185.0, 330.0)
#: Pass band in Hz of the snare's wire noise.
SNARE_NOISE_BAND_HZ = (1500.0, 9000.0)
#: High-pass cutoff in Hz of the hi-hat noise (capped at 0.4 sr).
HAT_CUTOFF_HZ = 7000.0
#: Closed hi-hat length in seconds.
HAT_CLOSED_S = 0.08
#: Open hi-hat length in seconds.
HAT_OPEN_S = 0.45
#: Default click (metronome) frequency in Hz.
CLICK_FREQ_HZ = 1000.0
#: Default click length in seconds.
CLICK_DURATION_S = 0.012


def _decay(n, sr, duration_s):
    """Exponential envelope that falls by DECAY_DB over duration_s."""
    t = np.arange(n) / sr
    return 10.0 ** (DECAY_DB / 20.0 * t / duration_s)


def _finish(y, sr):
    """Fade the edges, remove DC without touching the edges, peak-normalise."""
    y = fade_edges(y, sr=sr, fade_in_s=ATTACK_S, fade_out_s=RELEASE_S)
    # Subtract the mean as a multiple of a window that is 0 at both ends, so
    # the DC goes to 0 exactly and the edges stay at 0.
    w = fade_edges(np.ones_like(y), sr=sr, fade_in_s=len(y) / (2 * sr))
    y = y - w * (y.sum() / w.sum())
    return y / np.max(np.abs(y))


def _band_noise(n, sr, rng, low_hz, high_hz):
    """White Gaussian noise band-limited by a smooth (raised-cosine) FFT mask."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / sr)
    width = 0.25  # transition width as a fraction of each edge frequency
    lo = np.clip((f - low_hz * (1 - width)) / (low_hz * width), 0, 1)
    hi = np.clip((high_hz * (1 + width) - f) / (high_hz * width), 0, 1)
    mask = (0.5 - 0.5 * np.cos(np.pi * lo)) * (0.5 - 0.5 * np.cos(np.pi * hi))
    return np.fft.irfft(spectrum * mask, n)


def kick(*, sr, decay_s=KICK_DECAY_S, f_start_hz=KICK_F_START_HZ, f_end_hz=KICK_F_END_HZ):
    """Kick drum: a sine sweeping down from ``f_start_hz`` to ``f_end_hz`` under a decay.

    The instantaneous frequency is
    ``f(t) = f_end + (f_start - f_end) exp(-t / KICK_SWEEP_S)`` and the
    amplitude falls exponentially by :data:`DECAY_DB` over ``decay_s``.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    decay_s : float
        Length in seconds (> 0).
    f_start_hz, f_end_hz : float
        Start and end pitch in Hz (> 0, below Nyquist).

    Returns
    -------
    numpy.ndarray of float64, shape (round(decay_s * sr),)
        Peak 1, zero mean, first and last sample 0.

    Raises
    ------
    ParameterError
        If an argument is out of range.

    Examples
    --------
    >>> y = kick(sr=48000)
    >>> y.shape, float(np.max(np.abs(y)))
    ((19200,), 1.0)
    """
    sr = check_int("sr", sr, low=1)
    decay_s = check_float("decay_s", decay_s, low=0, low_inclusive=False)
    nyq = sr / 2
    f_start_hz = check_float("f_start_hz", f_start_hz, low=0, high=nyq, low_inclusive=False, high_inclusive=False)
    f_end_hz = check_float("f_end_hz", f_end_hz, low=0, high=nyq, low_inclusive=False, high_inclusive=False)
    n = max(int(round(decay_s * sr)), 4)
    t = np.arange(n) / sr
    # closed-form integral of f(t): the phase needs no cumulative sum
    phase = 2 * np.pi * (f_end_hz * t + (f_start_hz - f_end_hz) * KICK_SWEEP_S * (1 - np.exp(-t / KICK_SWEEP_S)))
    return _finish(np.sin(phase) * _decay(n, sr, decay_s), sr)


def snare(*, sr, rng, duration_s=SNARE_DURATION_S):
    """Snare drum: two decaying body modes plus band-passed wire noise.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    rng : numpy.random.Generator
        Source of the noise (same state -> bit-identical output).
    duration_s : float
        Length in seconds.

    Returns
    -------
    numpy.ndarray of float64, shape (round(duration_s * sr),)
        Peak 1, zero mean, first and last sample 0.

    Raises
    ------
    ParameterError
        If an argument is out of range or ``rng`` is not a Generator.

    Examples
    --------
    >>> y = snare(sr=48000, rng=np.random.default_rng(0))
    >>> y.shape
    (12000,)
    """
    sr = check_int("sr", sr, low=1)
    _check_rng(rng)
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    n = max(int(round(duration_s * sr)), 4)
    t = np.arange(n) / sr
    body = sum(np.sin(2 * np.pi * f * t) for f in SNARE_BODY_HZ if f < sr / 2)
    body = body * _decay(n, sr, duration_s * 0.4)
    high_hz = min(SNARE_NOISE_BAND_HZ[1], 0.4 * sr)
    low_hz = min(SNARE_NOISE_BAND_HZ[0], 0.5 * high_hz)
    wires = _band_noise(n, sr, rng, low_hz, high_hz)
    wires = wires / np.max(np.abs(wires)) * _decay(n, sr, duration_s)
    return _finish(0.6 * body + wires, sr)


def hat(*, sr, rng, open_=False):
    """Hi-hat: high-passed noise, closed (short) or open (long).

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    rng : numpy.random.Generator
        Source of the noise.
    open_ : bool
        ``True`` for an open hat (:data:`HAT_OPEN_S`), else closed
        (:data:`HAT_CLOSED_S`).

    Returns
    -------
    numpy.ndarray of float64
        Peak 1, zero mean, first and last sample 0.

    Raises
    ------
    ParameterError
        If ``sr`` or ``open_`` is invalid or ``rng`` is not a Generator.

    Examples
    --------
    >>> hat(sr=48000, rng=np.random.default_rng(0)).shape
    (3840,)
    """
    sr = check_int("sr", sr, low=1)
    _check_rng(rng)
    open_ = check_bool("open_", open_)
    duration_s = HAT_OPEN_S if open_ else HAT_CLOSED_S
    n = max(int(round(duration_s * sr)), 4)
    cutoff_hz = min(HAT_CUTOFF_HZ, 0.4 * sr)
    y = _band_noise(n, sr, rng, cutoff_hz, sr)  # upper edge above Nyquist: a high-pass
    return _finish(y * _decay(n, sr, duration_s), sr)


def click(*, sr, freq_hz=CLICK_FREQ_HZ, duration_s=CLICK_DURATION_S):
    """Metronome click: a short Hann-windowed sine burst.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    freq_hz : float
        Tone frequency in Hz (> 0, below Nyquist).
    duration_s : float
        Length in seconds.

    Returns
    -------
    numpy.ndarray of float64, shape (round(duration_s * sr),)
        Peak 1, zero mean, first and last sample 0.

    Raises
    ------
    ParameterError
        If an argument is out of range.

    Examples
    --------
    >>> click(sr=48000).shape
    (576,)
    """
    sr = check_int("sr", sr, low=1)
    freq_hz = check_float("freq_hz", freq_hz, low=0, high=sr / 2, low_inclusive=False, high_inclusive=False)
    duration_s = check_float("duration_s", duration_s, low=0, low_inclusive=False)
    n = max(int(round(duration_s * sr)), 4)
    window = np.hanning(n)
    return _finish(np.sin(2 * np.pi * freq_hz * np.arange(n) / sr) * window, sr)


def _check_rng(rng, name="rng"):
    """Raise ParameterError unless ``rng`` is a numpy Generator."""
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"{name}={rng!r} must be a numpy.random.Generator (e.g. numpy.random.default_rng(0))")
