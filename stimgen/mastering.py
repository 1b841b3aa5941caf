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
import functools
import math

import numpy as np
from pyloudnorm.iirfilter import IIRfilter
from scipy.ndimage import minimum_filter1d
from scipy.signal import firwin, oaconvolve, sosfilt

from resonance import validation as _validation
from resonance.errors import ParameterError as _ResonanceParameterError

from .errors import ParameterError

__all__ = [
    "master_session",
    "session_fade_s",
    "SESSION_FADE_S",
    "SESSION_FADE_MAX_FRACTION",
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

#: Samples per block of the oversampled peak detector's pre-screen (see
#: :func:`_peak_envelope`).
_SCREEN_BLOCK = 64

#: Selected screening blocks at most this many blocks apart are interpolated
#: as one run by the peak detector.
_MERGE_BLOCKS = 8

#: Samples per chunk of the element-wise passes (fits in the L2 cache).
_CHUNK = 1 << 15

#: Half length, in input samples, of scipy's polyphase interpolation filter
#: (:func:`scipy.signal.resample_poly` uses ``10 * up`` output taps each side).
_INTERP_RADIUS = 10

#: Regions of the limiter's smoothing longer than this use FFT convolution.
_DIRECT_CONV_MAX = 4096

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
    return _gated_loudness(_block_energies(arr, sr))


@functools.lru_cache(maxsize=16)
def _k_weighting_sos(sr: int) -> tuple[np.ndarray, float]:
    """Second-order sections and overall gain of pyloudnorm's K-weighting filter at ``sr``.

    The coefficients are pyloudnorm's own (:class:`pyloudnorm.iirfilter.IIRfilter`
    with the parameters of ``Meter(sr, "K-weighting")``): a high shelf then a
    high pass.  Running both stages as one :func:`scipy.signal.sosfilt` call is
    the same cascade as pyloudnorm's two ``lfilter`` calls (differences are
    rounding, about 1e-13 relative).
    """
    stages = (
        IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, sr, "high_shelf"),
        IIRfilter(0.0, 0.5, 38.0, sr, "high_pass"),
    )
    sos = np.array([np.concatenate([np.asarray(s.b, float), np.asarray(s.a, float)]) for s in stages])
    sos /= sos[:, 3:4]  # sosfilt wants a0 = 1 (pyloudnorm's already is, so this is exact)
    sos.setflags(write=False)
    gain = 1.0
    for s in stages:
        gain *= float(s.passband_gain)
    return sos, gain


def _block_energies(arr: np.ndarray, sr: int) -> np.ndarray:
    """Mean squares (n_channels, n_blocks) of the K-weighted signal over pyloudnorm's gating blocks.

    Block bounds are computed exactly as :meth:`pyloudnorm.Meter.integrated_loudness`
    does (400 ms blocks, 100 ms steps); the squares are summed once per 100 ms
    segment and each block adds its segments, so the signal is squared and
    summed once instead of four times.  A static gain ``g`` on the signal
    multiplies these energies by ``g**2`` (the filter is linear), which is
    how :func:`master` re-measures pure gain changes without filtering again.
    """
    sos, gain = _k_weighting_sos(sr)
    sos = sos.copy()
    n = arr.shape[1]
    t_g = BS1770_BLOCK_S
    step = 1.0 - 0.75
    n_blocks = int(np.round(((n / sr - t_g) / (t_g * step)))) + 1
    j = np.arange(n_blocks, dtype=np.float64)
    lo = np.minimum((t_g * (j * step) * sr).astype(np.int64), n)
    hi = np.minimum((t_g * (j * step + 1) * sr).astype(np.int64), n)
    bounds = np.unique(np.concatenate([lo, hi]))
    starts = bounds[bounds < n]
    # Filter and square in chunks of whole segments (the filter state carries
    # over), so no full-length copy of the signal is made.
    seg = np.empty((arr.shape[0], starts.size))
    zi = np.zeros((sos.shape[0], arr.shape[0], 2))
    per_chunk = max(1, _CHUNK * 8 // max(1, int(t_g * step * sr)))
    for k0 in range(0, starts.size, per_chunk):
        k1 = min(starts.size, k0 + per_chunk)
        a, b = int(starts[k0]), (int(starts[k1]) if k1 < starts.size else n)
        weighted, zi = sosfilt(sos, arr[:, a:b], axis=-1, zi=zi)
        if gain != 1.0:
            weighted *= gain
        sq = np.square(weighted, out=weighted)
        seg[:, k0:k1] = np.add.reduceat(sq, starts[k0:k1] - a, axis=-1)
    s_lo = np.searchsorted(starts, lo)
    s_hi = np.searchsorted(starts, hi)
    width = int(np.max(s_hi - s_lo)) if n_blocks else 0
    idx = s_lo[:, None] + np.arange(width)
    valid = idx < s_hi[:, None]
    parts = seg[:, np.minimum(idx, seg.shape[1] - 1)] * valid
    return (1.0 / (t_g * sr)) * parts.sum(axis=-1)


def _gated_loudness(z: np.ndarray) -> float:
    """Integrated loudness in LUFS from block energies, with pyloudnorm's gating (channel gains 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(np.sum(z, axis=0))
        above_abs = block_lufs >= -70.0
        if not np.any(above_abs):
            return -math.inf
        gamma_r = -0.691 + 10.0 * np.log10(np.sum(np.mean(z[:, above_abs], axis=1))) - 10.0
        gated = (block_lufs > gamma_r) & (block_lufs > -70.0)
        if not np.any(gated):
            return -math.inf
        return float(-0.691 + 10.0 * np.log10(np.sum(np.mean(z[:, gated], axis=1))))


@functools.lru_cache(maxsize=8)
def _interp_taps(oversample: int) -> tuple[np.ndarray, float]:
    """Polyphase taps of :func:`scipy.signal.resample_poly` ``(x, oversample, 1)`` and their gain bound.

    Returns ``taps`` of shape (2 * R + 1, oversample), R = :data:`_INTERP_RADIUS`,
    such that output sample ``oversample * i + p`` of the whole-signal
    ``resample_poly`` (same Kaiser-windowed sinc, zero padding at the ends)
    is ``x[i - R : i + R + 1] @ taps[:, p]``, and ``bound``, the largest L1
    norm of a column (slightly enlarged to absorb rounding).  Hence every
    interpolated value within R samples of a stretch whose sample peak is
    ``a`` is at most ``bound * a`` in magnitude: the rigorous bound (Hoelder's
    inequality) the peak detector uses to skip stretches that cannot reach a
    threshold.  (No bound that does not depend on the interpolator exists:
    inter-sample peaks of arbitrary sample sequences are unbounded.)
    """
    half = 10 * oversample
    h = firwin(2 * half + 1, 1.0 / oversample, window=("kaiser", 5.0)) * oversample
    width = 2 * _INTERP_RADIUS + 1
    taps = np.zeros((width, oversample))
    for k in range(width):
        for p in range(oversample):
            index = half + p - oversample * (k - _INTERP_RADIUS)
            if 0 <= index < h.size:
                taps[k, p] = h[index]
    taps.setflags(write=False)
    bound = max(1.0, float(np.abs(taps).sum(axis=0).max())) * (1.0 + 1e-9)
    return taps, bound


def _sample_envelope(arr: np.ndarray) -> np.ndarray:
    """max over channels of |arr|, shape (n_samples,), in cache-sized chunks (no large temporaries)."""
    n = arr.shape[1]
    env = np.empty(n)
    scratch = np.empty(min(n, _CHUNK))
    for a in range(0, n, _CHUNK):
        b = min(n, a + _CHUNK)
        out, tmp = env[a:b], scratch[: b - a]
        np.abs(arr[0, a:b], out=out)
        for channel in arr[1:]:
            np.maximum(out, np.abs(channel[a:b], out=tmp), out=out)
    return env


def _peak_envelope(arr: np.ndarray, oversample: int, threshold: float = 0.0, env=None) -> np.ndarray:
    """Per-sample peak of |y| over channels and the ``oversample`` interpolated points after each sample.

    ``arr`` has shape (n_channels, n_samples); returns shape (n_samples,).
    The interpolated points are those of a whole-signal
    :func:`scipy.signal.resample_poly` (same filter, zero padding at the
    ends), computed only where they can exceed ``threshold``: the signal is
    screened in blocks of :data:`_SCREEN_BLOCK` samples, and a block is
    interpolated only if ``bound * (sample peak of it and its neighbours)``
    exceeds ``threshold`` (``bound`` from :func:`_interp_taps`, 2.24 =
    +7.0 dB at 4x and at 8x).  Elsewhere the result is the sample peak, which
    is at most ``threshold`` like the true envelope there.  So values above
    ``threshold`` are exact, and ``threshold=0`` gives the full envelope.
    """
    env = _sample_envelope(arr) if env is None else env.copy()
    if oversample == 1:
        return env
    taps, bound = _interp_taps(oversample)
    n_channels, n = arr.shape
    n_blocks = -(-n // _SCREEN_BLOCK)
    block_peak = np.zeros(n_blocks * _SCREEN_BLOCK)
    block_peak[:n] = env
    block_peak = block_peak.reshape(n_blocks, _SCREEN_BLOCK).max(axis=1)
    near = block_peak.copy()
    np.maximum(near[1:], block_peak[:-1], out=near[1:])
    np.maximum(near[:-1], block_peak[1:], out=near[:-1])
    blocks = np.flatnonzero(near * bound > threshold)
    if blocks.size == 0:
        return env
    # Runs of selected blocks; runs less than _MERGE_BLOCKS apart are merged
    # (interpolating a few extra samples is cheaper than another call), so
    # that each run is one vectorised correlation per channel and phase.
    gap = np.flatnonzero(np.diff(blocks) > _MERGE_BLOCKS)
    run_first = blocks[np.concatenate([[0], gap + 1])]
    run_last = blocks[np.concatenate([gap, [blocks.size - 1]])]
    r = _INTERP_RADIUS
    # Long runs are cut into pieces of at most _CHUNK * 8 samples (bounded temporaries).
    piece = _CHUNK * 8 // _SCREEN_BLOCK
    spans = [(p0, min(p0 + piece - 1, b1)) for b0, b1 in zip(run_first.tolist(), run_last.tolist())
             for p0 in range(b0, b1 + 1, piece)]
    for b0, b1 in spans:
        a = b0 * _SCREEN_BLOCK
        b = min(n, (b1 + 1) * _SCREEN_BLOCK)
        # seg[j] = arr[a - R + j], zeros beyond the signal (as resample_poly pads).
        seg = np.zeros((n_channels, b - a + 2 * r))
        lo, hi = max(0, a - r), min(n, b + r)
        seg[:, lo - (a - r):hi - (a - r)] = arr[:, lo:hi]
        peak = env[a:b]
        for c in range(n_channels):
            for p in range(oversample):
                # Output sample oversample * i + p = arr[i - R : i + R + 1] @ taps[:, p].
                values = np.correlate(seg[c], taps[:, p], mode="valid")
                np.maximum(peak, np.abs(values, out=values), out=peak)
    return env


def _peak_max(arr: np.ndarray, oversample: int, threshold: float | None = None) -> float:
    """Largest value of :func:`_peak_envelope`, exact (only candidates above the sample peak are interpolated).

    With ``threshold`` given, the result is exact whenever it exceeds
    ``threshold`` and otherwise only known to be at most ``threshold``.
    """
    env = None
    if threshold is None:
        env = _sample_envelope(arr)
        threshold = float(np.max(env))
    return float(np.max(_peak_envelope(arr, oversample, threshold, env)))


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
    return _lin_to_db(_peak_max(arr, oversample))


def _verified_peak(arr: np.ndarray, threshold: float | None = None) -> float:
    """Largest linear true peak over the verification oversampling factors (see :func:`_peak_max`)."""
    return max(_peak_max(arr, factor, threshold) for factor in _VERIFY_OVERSAMPLES)


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
    return _fade(_as_channels(y), sr, fade_in_s, fade_out_s).reshape(shape)


def _fade(arr: np.ndarray, sr: int, fade_in_s: float, fade_out_s: float) -> np.ndarray:
    """:func:`fade` on validated (n_channels, n_samples) audio; returns a new array."""
    arr = np.array(arr, dtype=np.float64, copy=True)
    n = arr.shape[1]
    n_in = min(int(round(fade_in_s * sr)), n // 2)
    n_out = min(int(round(fade_out_s * sr)), n // 2)
    if n_in > 0:
        arr[:, :n_in] *= 0.5 * (1.0 - np.cos(np.pi * np.arange(n_in) / n_in))
    if n_out > 0:
        arr[:, n - n_out:] *= 0.5 * (1.0 - np.cos(np.pi * np.arange(n_out)[::-1] / n_out))
    return arr


def _limiter_gain(arr: np.ndarray, sr: int, ceiling_dbtp: float, lookahead_s: float, release_s: float) -> np.ndarray:
    """Gain curve (n_samples,) of the look-ahead true-peak limiter; see :func:`limiter_gain`.

    Only the stretches where the gain drops below 1 (plus the look-ahead on
    each side) are processed; elsewhere the gain is exactly 1.
    """
    n = arr.shape[1]
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    env = _peak_envelope(arr, LIMITER_OVERSAMPLE, ceiling)
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
            ahead = minimum_filter1d(seg, size=size, mode="nearest", origin=-(size // 2))[:hi - lo]
            before = ahead[0] if lo == 0 else 1.0  # the gain before the stretch
            deficit = 1.0 - np.concatenate([np.full(n_look, before), ahead])
            if deficit.size <= _DIRECT_CONV_MAX:
                local = 1.0 - np.convolve(deficit, kernel, mode="valid")
            else:
                local = 1.0 - oaconvolve(deficit, kernel, mode="valid")
            # Rounding may leave a value a hair above its inputs' minimum.
            smoothed[lo:hi] = np.minimum(local, gain[lo:hi])
    # Interpolated peaks of the gain-shaped signal may still differ slightly
    # from the detector's; a final static trim guarantees the ceiling.
    peak = _verified_peak_of_product(arr, smoothed, ceiling)
    if peak > ceiling:
        smoothed *= (ceiling / peak) * (1.0 - _TRIM_MARGIN)
    return smoothed


def _verified_peak_of_product(arr: np.ndarray, gain: np.ndarray, threshold: float) -> float:
    """:func:`_verified_peak` of ``arr * gain``, computed in pieces (no full-length product).

    Each piece carries :data:`_INTERP_RADIUS` neighbours on each side, so the
    interpolated values inside it are those of the whole signal.
    """
    n = arr.shape[1]
    r = _INTERP_RADIUS
    size = _CHUNK * 8
    best = 0.0
    for a in range(0, n, size):
        b = min(n, a + size)
        lo, hi = max(0, a - r), min(n, b + r)
        product = arr[:, lo:hi] * gain[lo:hi]
        for factor in _VERIFY_OVERSAMPLES:
            env = _peak_envelope(product, factor, threshold)[a - lo:b - lo]
            best = max(best, float(np.max(env)))
    return best


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
    faded = _fade(arr, sr, fade_in_s, fade_out_s)
    # Loudness is measured once on the faded signal; a static gain g scales its
    # K-weighted block energies by g**2 exactly (the filter is linear), so the
    # signal is only filtered again when the limiter changed it.
    z_faded = _block_energies(faded, sr)
    loudness0 = _gated_loudness(z_faded)
    if not math.isfinite(loudness0):
        raise ParameterError(
            "y is silent (every 400 ms block below the -70 LUFS gate of ITU-R BS.1770 after the fades); "
            "nothing to master"
        )
    peak0_db = _lin_to_db(_verified_peak(faded))
    max_gain_db = ceiling_dbtp - peak0_db + MAX_LIMITING_DB
    wanted_db = target_lufs - loudness0
    ceiling = 10.0 ** (ceiling_dbtp / 20.0)
    out = np.empty_like(faded)  # reused by every iteration (no extra full-length copies)
    for _ in range(_MAX_ITERATIONS):
        gain_db = min(wanted_db, max_gain_db)
        gain = 10.0 ** (gain_db / 20.0)
        np.multiply(faded, gain, out=out)
        curve = _limiter_gain(out, sr, ceiling_dbtp, 0.005, 0.05)
        if np.all(curve == 1.0):
            z_out = z_faded * (gain * gain)
        else:
            out *= curve
            z_out = _block_energies(out, sr)
        loudness = _gated_loudness(z_out)
        if abs(loudness - target_lufs) <= _CONVERGED_LU or (gain_db >= max_gain_db and loudness < target_lufs):
            break
        wanted_db = gain_db + (target_lufs - loudness)
    trim_db = 0.0
    if loudness > target_lufs + _CONVERGED_LU:
        # Never louder than the target: a static trim down (lowers the peak too).
        trim_db = target_lufs - loudness
        trim = 10.0 ** (trim_db / 20.0)
        out *= trim
        loudness = _gated_loudness(z_out * (trim * trim))
    total_gain_db = gain_db + trim_db
    # The limiter verified the ceiling at 4x and 8x for ``scaled * curve`` and
    # the trim only lowers it; the exact 4x peak for the report also guards
    # the invariant explicitly.
    peak = _peak_max(out, TRUE_PEAK_OVERSAMPLE)
    if peak > ceiling:  # pragma: no cover - the limiter's trim makes this unreachable
        out = out * (ceiling / peak) * (1.0 - _TRIM_MARGIN)
        loudness = integrated_loudness_lufs(out, sr=sr)
        peak = _peak_max(out, TRUE_PEAK_OVERSAMPLE)
    min_curve = float(np.min(curve))
    limited = bool(min_curve < 1.0)
    target_reached = bool(abs(loudness - target_lufs) <= LOUDNESS_TOLERANCE_LU)
    true_peak = _lin_to_db(peak)
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


SESSION_FADE_S = 3.0
"""Fade-in and fade-out of a rendered session (s), at most
:data:`SESSION_FADE_MAX_FRACTION` of its duration each."""

SESSION_FADE_MAX_FRACTION = 0.1
"""Longest session fade as a fraction of the session's duration."""


def session_fade_s(duration_s: float) -> float:
    """Fade-in and fade-out length (s) of a rendered session of ``duration_s``.

    Examples
    --------
    >>> session_fade_s(60.0), session_fade_s(10.0)
    (3.0, 1.0)
    """
    return min(SESSION_FADE_S, SESSION_FADE_MAX_FRACTION * float(duration_s))


def master_session(y, *, sr: int, duration_s: float, target_lufs: float, ceiling_dbtp: float):
    """Master a rendered session: the one step ``stimgen generate``, ``play`` and ``optimize`` share.

    Fades of :func:`session_fade_s` in and out, then :func:`master` to
    ``target_lufs`` under ``ceiling_dbtp``.

    Parameters
    ----------
    y : numpy.ndarray, shape (2, n_samples)
        The rendered (and optionally mixed) session.
    sr : int
        Sample rate in Hz.
    duration_s : float
        Session length in seconds (sets the fades).
    target_lufs, ceiling_dbtp : float
        The preset's loudness target and true-peak ceiling.

    Returns
    -------
    y : numpy.ndarray of float64, shape (2, n_samples)
    report : dict
        As returned by :func:`master`.
    """
    fade_s = session_fade_s(duration_s)
    return master(y, sr=sr, target_lufs=target_lufs, ceiling_dbtp=ceiling_dbtp, fade_in_s=fade_s, fade_out_s=fade_s)
