"""Loudness, true peak, fades and limiting for generated tracks (pure, arrays only).

Every generated track goes through :func:`master` before it is written or
played: raised-cosine fades in and out, integrated loudness normalised to a
target (ITU-R BS.1770-4, the measure behind EBU R128), and a look-ahead limiter
that keeps the *true* peak (BS.1770-4 Annex 2) at or below a ceiling.  For
hearing safety the result is never louder than the target (plus
:data:`LOUDNESS_TOLERANCE_LU`) and its true peak never exceeds the ceiling,
whatever the input or preset asks for; very peaky material that cannot reach
the target without heavy limiting stays quieter, and the report says so.

Audio ``y`` has time on the last axis: shape ``(n_samples,)`` (mono) or
``(n_channels, n_samples)`` with 1 or 2 channels (stereo = ``(2, n)``).
Nothing here reads or writes files (see :mod:`stimgen.io`).  All functions are
deterministic: the same inputs give bit-identical outputs.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d
from scipy.signal import lfilter, resample_poly

from resonance import validation as _validation
from resonance.errors import ParameterError as _ResonanceParameterError

from .errors import ParameterError

__all__ = [
    "BS1770_BLOCK_S",
    "MAX_TARGET_LUFS",
    "MIN_TARGET_LUFS",
    "MAX_CEILING_DBTP",
    "MIN_CEILING_DBTP",
    "LOUDNESS_TOLERANCE_LU",
    "MAX_LIMITING_DB",
    "TRUE_PEAK_OVERSAMPLE",
    "LIMITER_OVERSAMPLE",
    "integrated_loudness_lufs",
    "true_peak_dbtp",
    "fade",
    "limiter_gain",
    "limit_true_peak",
    "master",
]

#: Gating block of the integrated loudness, in seconds (ITU-R BS.1770-4,
#: section 2.8: 400 ms blocks overlapping by 75 %).  Shorter signals are refused.
BS1770_BLOCK_S = 0.4

#: Loudest allowed loudness target in LUFS.  Louder targets are refused for
#: hearing safety (EBU R128 programmes are normalised to -23 LUFS; -10 LUFS is
#: already far above any listening-test level).
MAX_TARGET_LUFS = -10.0

#: Quietest allowed loudness target in LUFS (quieter stimuli drown in the
#: noise floor of ordinary rooms and 16-bit files).
MIN_TARGET_LUFS = -40.0

#: Highest allowed true-peak ceiling in dBTP (digital full scale).
MAX_CEILING_DBTP = 0.0

#: Lowest allowed true-peak ceiling in dBTP.
MIN_CEILING_DBTP = -20.0

#: The mastered loudness lies within this many LU of the target whenever the
#: target is reachable, and never more than this above it (EBU R128 allows
#: +/-0.5 LU where exact normalisation is impractical; EBU Tech 3341 gives
#: +/-0.1 LU as the meter accuracy).
LOUDNESS_TOLERANCE_LU = 0.5

#: :func:`master` stops adjusting its gain once the loudness is this close to
#: the target, in LU.
_CONVERGED_LU = 0.05

#: Most gain adjustments :func:`master` makes (each one re-runs the limiter).
_MAX_ITERATIONS = 8

#: Deepest gain reduction, in dB, that :func:`master` asks of the limiter to
#: reach the loudness target.  Heavier limiting audibly squashes transients
#: and pumps; peakier material stays below the target instead (the report's
#: ``target_reached`` is then false).
MAX_LIMITING_DB = 12.0

#: Oversampling factor of the true-peak meter (ITU-R BS.1770-4 Annex 2: 4x
#: for 48 kHz material).
TRUE_PEAK_OVERSAMPLE = 4

#: Oversampling factor of the limiter's peak detector.  Twice the standard's
#: factor, so the limiter also holds peaks that a 4x meter under-reads
#: (up to about 0.7 dB for content near the Nyquist frequency).
LIMITER_OVERSAMPLE = 8

#: Oversampling factors at which the limiter verifies its output; the output
#: true peak is at or below the ceiling at each of them.
_VERIFY_OVERSAMPLES = (TRUE_PEAK_OVERSAMPLE, LIMITER_OVERSAMPLE)

#: Relative margin of the limiter's final static trim, so that rounding in
#: the last bit cannot leave a peak above the ceiling (1e-6 = 9e-6 dB).
_TRIM_MARGIN = 1e-6

#: Recovery rate of the limiter's release, in dB per ``release_s``: the
#: initial slope of an exponential release with time constant ``release_s``
#: (20 / ln 10 = 8.686 dB per time constant).
_RELEASE_DB_PER_TIME_CONSTANT = 20.0 / math.log(10.0)

#: Input samples processed per block by the oversampled peak detector (keeps
#: memory bounded for long tracks).
_PEAK_BLOCK = 1 << 16

#: Input samples of context on each side of a block of the peak detector;
#: more than the half length of scipy's polyphase filter (10 input samples).
_PEAK_CONTEXT = 32

_SR_LOW = 8000
_SR_HIGH = 384000


# ----------------------------------------------------------------------------- validation helpers


@contextlib.contextmanager
def _as_stimgen_error():
    """Re-raise :class:`resonance.errors.ParameterError` as :class:`stimgen.errors.ParameterError`."""
    try:
        yield
    except _ResonanceParameterError as exc:
        raise ParameterError(str(exc)) from None


def _check_float(name, value, **bounds) -> float:
    with _as_stimgen_error():
        return _validation.check_float(name, value, **bounds)


def _check_int(name, value, **bounds) -> int:
    with _as_stimgen_error():
        return _validation.check_int(name, value, **bounds)


def _check_sr(sr) -> int:
    return _check_int("sr", sr, low=_SR_LOW, high=_SR_HIGH)


def _as_channels(y, name: str = "y") -> np.ndarray:
    """Validate audio; return a float64 view of shape (n_channels, n_samples), 1 or 2 channels."""
    with _as_stimgen_error():
        arr = _validation.check_finite_array(name, y)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.shape[0] not in (1, 2):
        raise ParameterError(
            f"{name} has shape {arr.shape}; it must be (n_samples,) or (n_channels, n_samples) with 1 or 2 "
            "channels (time on the last axis)"
        )
    return arr


def _lin_to_db(value: float) -> float:
    return 20.0 * math.log10(value) if value > 0 else -math.inf


# ----------------------------------------------------------------------------- measurements


def integrated_loudness_lufs(y, *, sr: int) -> float:
    """Integrated loudness of a mono or stereo signal (ITU-R BS.1770-4).

    K-weighting, 400 ms blocks with 75 % overlap, absolute gate at -70 LUFS and
    relative gate at -10 LU, as implemented by :class:`pyloudnorm.Meter`.

    Parameters
    ----------
    y : array_like, shape (n_samples,) or (n_channels, n_samples)
        Audio with 1 or 2 channels, time on the last axis, finite values.
    sr : int
        Sample rate in Hz, in [8000, 384000].

    Returns
    -------
    float
        Loudness in LUFS; ``-inf`` for silence (every gating block below the
        absolute gate of -70 LUFS).

    Raises
    ------
    ParameterError
        If ``y`` is empty, not finite, has more than 2 channels, or lasts less
        than one gating block (:data:`BS1770_BLOCK_S` = 0.4 s; signals are
        not padded, because padding with silence would change the result), or
        if ``sr`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> sr = 48000
    >>> t = np.arange(5 * sr) / sr
    >>> y = np.tile(0.1 * np.sin(2 * np.pi * 1000 * t), (2, 1))
    >>> round(integrated_loudness_lufs(y, sr=sr), 1)  # 1 kHz at -20 dBFS per channel
    -20.0
    """
    sr = _check_sr(sr)
    arr = _as_channels(y)
    n = arr.shape[1]
    if n < BS1770_BLOCK_S * sr:
        raise ParameterError(
            f"y lasts {n / sr:.3g} s ({n} samples at sr={sr}); integrated loudness needs at least "
            f"{BS1770_BLOCK_S} s (one ITU-R BS.1770 gating block)"
        )
    meter = pyloudnorm.Meter(sr, filter_class="K-weighting", block_size=BS1770_BLOCK_S)
    return float(meter.integrated_loudness(np.ascontiguousarray(arr.T)))


def _peak_envelope(arr: np.ndarray, oversample: int) -> np.ndarray:
    """Per-sample peak of |y| over channels and the ``oversample`` interpolated points after each sample.

    ``arr`` has shape (n_channels, n_samples).  Uses scipy's polyphase
    interpolator block by block (with zero padding at the ends, like a
    whole-signal :func:`scipy.signal.resample_poly`), so memory stays bounded.
    Returns shape (n_samples,).
    """
    n_channels, n = arr.shape
    env = np.max(np.abs(arr), axis=0)
    if oversample == 1:
        return env
    pad = _PEAK_CONTEXT
    padded = np.zeros((n_channels, n + 2 * pad))
    padded[:, pad:pad + n] = arr
    for start in range(0, n, _PEAK_BLOCK):
        stop = min(start + _PEAK_BLOCK, n)
        seg = padded[:, start:stop + 2 * pad]
        up = resample_poly(seg, oversample, 1, axis=-1)
        core = up[:, oversample * pad:oversample * (pad + stop - start)]
        block_peak = np.max(np.abs(core), axis=0).reshape(stop - start, oversample).max(axis=1)
        np.maximum(env[start:stop], block_peak, out=env[start:stop])
    return env


def true_peak_dbtp(y, *, sr: int, oversample: int = TRUE_PEAK_OVERSAMPLE) -> float:
    """True peak in dBTP (ITU-R BS.1770-4 Annex 2), the maximum over channels.

    The signal is oversampled with a polyphase interpolator
    (:func:`scipy.signal.resample_poly`, Kaiser-windowed sinc) and the largest
    absolute value of the oversampled signal and of the original samples is
    taken.  Floating-point input needs no 12 dB pre-attenuation.

    Parameters
    ----------
    y : array_like, shape (n_samples,) or (n_channels, n_samples)
        Audio with 1 or 2 channels, time on the last axis, finite values.
    sr : int
        Sample rate in Hz, in [8000, 384000] (the result does not depend on it;
        it is checked so callers pass it consistently).
    oversample : int
        Oversampling factor in [1, 32]; 4 is the standard's, 1 gives the
        sample peak.

    Returns
    -------
    float
        True peak in dB relative to full scale; ``-inf`` for all-zero input.

    Raises
    ------
    ParameterError
        If ``y`` is empty, not finite or has more than 2 channels, or if
        ``sr`` or ``oversample`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> n = np.arange(48000)
    >>> y = np.sin(np.pi / 2 * n + np.pi / 4)   # sr/4 at 45 degrees: samples at +/-0.707
    >>> y = fade(y, sr=48000, fade_in_s=0.01, fade_out_s=0.01)  # no edge ringing
    >>> round(true_peak_dbtp(y, sr=48000, oversample=1), 1), round(true_peak_dbtp(y, sr=48000), 1)
    (-3.0, 0.0)
    """
    _check_sr(sr)
    oversample = _check_int("oversample", oversample, low=1, high=32)
    arr = _as_channels(y)
    return _lin_to_db(float(np.max(_peak_envelope(arr, oversample))))


def _verified_peak(arr: np.ndarray) -> float:
    """Largest linear true peak over the verification oversampling factors."""
    return max(float(np.max(_peak_envelope(arr, factor))) for factor in _VERIFY_OVERSAMPLES)


# ----------------------------------------------------------------------------- processing


def fade(y, *, sr: int, fade_in_s: float = 2.0, fade_out_s: float = 3.0) -> np.ndarray:
    """Apply raised-cosine fades in and out.

    The fade-in gain is ``0.5 * (1 - cos(pi * i / n_in))`` for
    ``i = 0 .. n_in - 1`` (the first sample is exactly zero), the fade-out
    its mirror image (the last sample is exactly zero); the slope is zero at
    both ends of each ramp, so it adds no click.  Each fade is shortened to at
    most half the signal.

    Parameters
    ----------
    y : array_like, shape (n_samples,) or (n_channels, n_samples)
        Audio with 1 or 2 channels, time on the last axis, finite values.
    sr : int
        Sample rate in Hz, in [8000, 384000].
    fade_in_s, fade_out_s : float
        Fade durations in seconds (>= 0; 0 means no fade).

    Returns
    -------
    numpy.ndarray, float64, same shape as ``y``
        The faded audio (a new array).

    Raises
    ------
    ParameterError
        If ``y`` is empty, not finite or has more than 2 channels, or if
        ``sr`` or a fade duration is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> out = fade(np.ones(48000), sr=48000, fade_in_s=0.1, fade_out_s=0.1)
    >>> float(out[0]), float(out[24000]), float(out[-1])
    (0.0, 1.0, 0.0)
    """
    sr = _check_sr(sr)
    fade_in_s = _check_float("fade_in_s", fade_in_s, low=0.0)
    fade_out_s = _check_float("fade_out_s", fade_out_s, low=0.0)
    shape = np.shape(y)
    arr = _as_channels(y).copy()
    n = arr.shape[1]
    n_in = min(int(round(fade_in_s * sr)), n // 2)
    n_out = min(int(round(fade_out_s * sr)), n // 2)
    if n_in > 0:
        arr[:, :n_in] *= 0.5 * (1.0 - np.cos(np.pi * np.arange(n_in) / n_in))
    if n_out > 0:
        arr[:, n - n_out:] *= 0.5 * (1.0 - np.cos(np.pi * np.arange(n_out)[::-1] / n_out))
    return arr.reshape(shape)


def _limiter_gain(arr: np.ndarray, sr: int, ceiling_dbtp: float, lookahead_s: float, release_s: float) -> np.ndarray:
    """Gain curve (n_samples,) of the look-ahead true-peak limiter; see :func:`limiter_gain`."""
    n = arr.shape[1]
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    env = _peak_envelope(arr, LIMITER_OVERSAMPLE)
    # Gain each sample needs, in dB (<= 0).
    with np.errstate(divide="ignore"):
        need_db = np.minimum(0.0, 20.0 * np.log10(ceiling / np.maximum(env, 1e-300)))
    # Release: after a dip the gain recovers at a constant rate in dB, i.e.
    # g[k] = min_{j <= k} need[j] + rate * (k - j), computed as a running minimum.
    rate_db = _RELEASE_DB_PER_TIME_CONSTANT / (release_s * sr)
    ramp = rate_db * np.arange(n)
    released_db = np.minimum.accumulate(need_db - ramp) + ramp
    np.minimum(released_db, 0.0, out=released_db)
    gain = 10.0 ** (released_db / 20.0)
    # Attack with look-ahead: the minimum over the next n_look samples, then a
    # causal Hann-window average over the last n_look samples.  Every term of
    # the average covers sample k, so the smoothed gain never exceeds the gain
    # sample k needs, and it starts falling n_look samples before a peak.
    n_look = max(1, int(round(lookahead_s * sr)))
    size = n_look + 1
    padded = np.concatenate([gain, np.full(n_look, gain[-1])])
    # minimum_filter1d with origin=-(size // 2) covers [k, k + n_look].
    ahead = minimum_filter1d(padded, size=size, mode="nearest", origin=-(size // 2))[:n]
    kernel = np.hanning(size + 2)[1:-1]
    kernel /= kernel.sum()
    smoothed = lfilter(kernel, [1.0], np.concatenate([np.full(n_look, ahead[0]), ahead]))[n_look:]
    # lfilter's rounding may leave a value a hair above its inputs' minimum.
    np.minimum(smoothed, gain, out=smoothed)
    # Interpolated peaks of the gain-shaped signal may still differ slightly
    # from the detector's; a final static trim guarantees the ceiling.
    peak = _verified_peak(arr * smoothed)
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


def master(
    y,
    *,
    sr: int,
    target_lufs: float = -20.0,
    ceiling_dbtp: float = -1.0,
    fade_in_s: float = 2.0,
    fade_out_s: float = 3.0,
) -> tuple[np.ndarray, dict]:
    """Fade, loudness-normalise and true-peak-limit a track.

    Steps: :func:`fade`; a static gain that brings the integrated loudness
    to ``target_lufs``; :func:`limit_true_peak` to ``ceiling_dbtp``.  Since
    limiting lowers the loudness, the gain is raised and the limiter re-run
    (from the faded signal, up to 8 times) until the loudness is within
    0.05 LU of the target.  Guarantees, whatever the input:

    * the true peak (4x and 8x oversampling) is at or below ``ceiling_dbtp``;
    * the loudness is at most ``target_lufs + 0.5`` LU;
    * the limiter never reduces the gain by more than :data:`MAX_LIMITING_DB`
      (12 dB) below what the input peaks need; material too peaky to reach
      the target within that stays quieter, with ``target_reached`` false.

    Parameters
    ----------
    y : array_like, shape (n_samples,) or (n_channels, n_samples)
        Audio with 1 or 2 channels, time on the last axis, finite values,
        lasting at least 0.4 s and not silent.
    sr : int
        Sample rate in Hz, in [8000, 384000].
    target_lufs : float
        Integrated loudness target in LUFS, in [-40, -10].  Louder targets
        are refused for hearing safety.
    ceiling_dbtp : float
        True-peak ceiling in dBTP, in [-20, 0].
    fade_in_s, fade_out_s : float
        Raised-cosine fade durations in seconds (>= 0; each at most half the
        signal).

    Returns
    -------
    y_out : numpy.ndarray, float64, same shape as ``y``
        The mastered audio.
    report : dict
        ``loudness_lufs`` (float, integrated loudness of ``y_out``),
        ``true_peak_dbtp`` (float, 4x true peak of ``y_out``), ``gain_db``
        (float, static gain applied before the limiter, including any final
        trim), ``limited`` (bool, the limiter lowered the gain somewhere),
        ``max_gain_reduction_db`` (float, deepest limiter reduction, >= 0),
        ``target_reached`` (bool, loudness within 0.5 LU of the target),
        ``target_lufs``, ``ceiling_dbtp`` and ``message`` (str, a sentence
        for the user).

    Raises
    ------
    ParameterError
        If ``y`` is empty, not finite, has more than 2 channels, lasts less
        than 0.4 s or is silent (below the -70 LUFS gate), or if an argument
        is out of range (the message names it and the allowed range).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = 0.01 * rng.standard_normal((2, 10 * 48000))
    >>> out, report = master(y, sr=48000, target_lufs=-23.0)
    >>> abs(report["loudness_lufs"] + 23.0) < 0.5, report["true_peak_dbtp"] <= -1.0
    (True, True)
    """
    sr = _check_sr(sr)
    target_lufs = _check_float("target_lufs", target_lufs, low=MIN_TARGET_LUFS, high=MAX_TARGET_LUFS)
    ceiling_dbtp = _check_float("ceiling_dbtp", ceiling_dbtp, low=MIN_CEILING_DBTP, high=MAX_CEILING_DBTP)
    fade_in_s = _check_float("fade_in_s", fade_in_s, low=0.0)
    fade_out_s = _check_float("fade_out_s", fade_out_s, low=0.0)
    shape = np.shape(y)
    arr = _as_channels(y)
    faded = fade(arr, sr=sr, fade_in_s=fade_in_s, fade_out_s=fade_out_s)
    loudness0 = integrated_loudness_lufs(faded, sr=sr)
    if not math.isfinite(loudness0):
        raise ParameterError(
            "y is silent (every 400 ms block below the -70 LUFS gate of ITU-R BS.1770 after the fades); "
            "nothing to master"
        )
    peak0_db = _lin_to_db(_verified_peak(faded))
    max_gain_db = ceiling_dbtp - peak0_db + MAX_LIMITING_DB
    wanted_db = target_lufs - loudness0
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    for _ in range(_MAX_ITERATIONS):
        gain_db = min(wanted_db, max_gain_db)
        scaled = faded * 10.0 ** (gain_db / 20.0)
        curve = _limiter_gain(scaled, sr, ceiling_dbtp, 0.005, 0.05)
        out = scaled * curve
        loudness = integrated_loudness_lufs(out, sr=sr)
        if abs(loudness - target_lufs) <= _CONVERGED_LU or (gain_db >= max_gain_db and loudness < target_lufs):
            break
        wanted_db = gain_db + (target_lufs - loudness)
    trim_db = 0.0
    if loudness > target_lufs + _CONVERGED_LU:
        # Never louder than the target: a static trim down (lowers the peak too).
        trim_db = target_lufs - loudness
        out = out * 10.0 ** (trim_db / 20.0)
        loudness = integrated_loudness_lufs(out, sr=sr)
    total_gain_db = gain_db + trim_db
    # The limiter guarantees the ceiling; this guards the invariant explicitly.
    peak = _verified_peak(out)
    if peak > ceiling:  # pragma: no cover - the limiter's trim makes this unreachable
        out = out * (ceiling / peak) * (1.0 - _TRIM_MARGIN)
        loudness = integrated_loudness_lufs(out, sr=sr)
    min_curve = float(np.min(curve))
    limited = bool(min_curve < 1.0)
    target_reached = bool(abs(loudness - target_lufs) <= LOUDNESS_TOLERANCE_LU)
    true_peak = true_peak_dbtp(out, sr=sr)
    if target_reached:
        message = f"mastered to {loudness:.1f} LUFS (target {target_lufs:g}), true peak {true_peak:.1f} dBTP"
    else:
        message = (
            f"mastered to {loudness:.1f} LUFS, below the target {target_lufs:g} LUFS: the material is too "
            f"peaky to reach it under the {ceiling_dbtp:g} dBTP ceiling with at most {MAX_LIMITING_DB:g} dB "
            "of limiting"
        )
    report = {
        "loudness_lufs": float(loudness),
        "true_peak_dbtp": float(true_peak),
        "gain_db": float(total_gain_db),
        "limited": limited,
        "max_gain_reduction_db": max(0.0, float(-_lin_to_db(min_curve))),
        "target_reached": target_reached,
        "target_lufs": float(target_lufs),
        "ceiling_dbtp": float(ceiling_dbtp),
        "message": message,
    }
    return out.reshape(shape), report
