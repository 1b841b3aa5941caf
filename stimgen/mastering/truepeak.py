"""True peak after ITU-R BS.1770-4 Annex 2 (oversampled peak), whole or streamed."""

from __future__ import annotations

import functools

import numpy as np

from ._common import (
    LIMITER_OVERSAMPLE,
    TRUE_PEAK_OVERSAMPLE,
    _CHUNK,
    _INTERP_RADIUS,
    _MERGE_BLOCKS,
    _SCREEN_BLOCK,
    _VERIFY_OVERSAMPLES,
    _as_channels,
    _check_int,
    _check_sr,
    _lin_to_db,
)
from ._kernels import kaiser_lowpass

__all__ = ["true_peak_dbtp", "TruePeakMeter"]


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
    h = kaiser_lowpass(2 * half + 1, 1.0 / oversample, 5.0) * oversample
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


def _block_peaks(arr: np.ndarray) -> np.ndarray:
    """Sample peak over channels of each :data:`_SCREEN_BLOCK`-sample stretch of ``arr`` (the last may be shorter).

    ``arr`` has shape (n_channels, n_samples), n_samples >= 1; returns shape
    (ceil(n_samples / _SCREEN_BLOCK),).  The block maxima of
    :func:`_sample_envelope` (``|x|``, then the larger of the channels, then
    one reduction per block: maxima are exact, so these are the same values
    in any order; one reduction over the envelope costs less than a maximum
    and a minimum per channel).
    """
    envelope = np.abs(arr)
    for channel in envelope[1:]:
        np.maximum(envelope[0], channel, out=envelope[0])
    return np.maximum.reduceat(envelope[0], np.arange(0, arr.shape[1], _SCREEN_BLOCK))


def _candidate_spans(block_peaks: np.ndarray, bound: float, threshold: float, n: int) -> list[tuple[int, int]]:
    """Sample ranges ``[a, b)`` whose interpolated values can exceed ``threshold`` (whole screening blocks).

    A block of :data:`_SCREEN_BLOCK` samples is a candidate if ``bound``
    times the sample peak of it and its two neighbours (``block_peaks``, as
    :func:`_block_peaks` gives them) exceeds ``threshold``.  Candidates less
    than :data:`_MERGE_BLOCKS` apart are merged (interpolating a few extra
    samples is cheaper than another call), and long runs are cut into pieces
    of at most ``_CHUNK * 8`` samples (bounded temporaries).
    """
    near = block_peaks.copy()
    np.maximum(near[1:], block_peaks[:-1], out=near[1:])
    np.maximum(near[:-1], block_peaks[1:], out=near[:-1])
    blocks = np.flatnonzero(near * bound > threshold)
    if blocks.size == 0:
        return []
    gap = np.flatnonzero(np.diff(blocks) > _MERGE_BLOCKS)
    run_first = blocks[np.concatenate([[0], gap + 1])]
    run_last = blocks[np.concatenate([gap, [blocks.size - 1]])]
    piece = _CHUNK * 8 // _SCREEN_BLOCK
    return [(p0 * _SCREEN_BLOCK, min(n, (min(p0 + piece - 1, b1) + 1) * _SCREEN_BLOCK))
            for b0, b1 in zip(run_first.tolist(), run_last.tolist()) for p0 in range(b0, b1 + 1, piece)]


def _padded(arr: np.ndarray, a: int, b: int, gain: np.ndarray | None = None) -> np.ndarray:
    """``arr[:, a - R : b + R]`` (R = :data:`_INTERP_RADIUS`), zeros beyond the signal (as resample_poly pads).

    With ``gain`` (n_samples,), the samples are multiplied by it (the same
    products as ``arr * gain`` formed whole).
    """
    r = _INTERP_RADIUS
    n = arr.shape[1]
    seg = np.zeros((arr.shape[0], b - a + 2 * r))
    lo, hi = max(0, a - r), min(n, b + r)
    if gain is None:
        seg[:, lo - (a - r):hi - (a - r)] = arr[:, lo:hi]
    else:
        np.multiply(arr[:, lo:hi], gain[lo:hi], out=seg[:, lo - (a - r):hi - (a - r)])
    return seg


def _peak_envelope(arr: np.ndarray, oversample: int, threshold: float = 0.0, env=None) -> np.ndarray:
    """Per-sample peak of |y| over channels and the ``oversample`` interpolated points after each sample.

    ``arr`` has shape (n_channels, n_samples); returns shape (n_samples,).
    The interpolated points are those of a whole-signal
    :func:`scipy.signal.resample_poly` (same filter, zero padding at the
    ends), computed only where they can exceed ``threshold``: the signal is
    screened in blocks of :data:`_SCREEN_BLOCK` samples, and a block is
    interpolated only if ``bound * (sample peak of it and its neighbours)``
    exceeds ``threshold`` (``bound`` from :func:`_interp_taps`, 2.24 =
    +7.0 dB at 4x and at 8x; :func:`_candidate_spans`).  Elsewhere the result
    is the sample peak, which is at most ``threshold`` like the true envelope
    there.  So values above ``threshold`` are exact, and ``threshold=0``
    gives the full envelope.
    """
    env = _sample_envelope(arr) if env is None else env.copy()
    if oversample == 1:
        return env
    taps, bound = _interp_taps(oversample)
    n_channels, n = arr.shape
    block_peaks = np.maximum.reduceat(env, np.arange(0, n, _SCREEN_BLOCK))
    for a, b in _candidate_spans(block_peaks, bound, threshold, n):
        seg = _padded(arr, a, b)  # seg[j] = arr[a - R + j]
        peak = env[a:b]
        for c in range(n_channels):
            for p in range(oversample):
                # Output sample oversample * i + p = arr[i - R : i + R + 1] @ taps[:, p].
                values = np.correlate(seg[c], taps[:, p], mode="valid")
                np.maximum(peak, np.abs(values, out=values), out=peak)
    return env


def _peak_of_product(arr: np.ndarray, gain: np.ndarray, threshold: float, oversamples=_VERIFY_OVERSAMPLES,
                     env: np.ndarray | None = None) -> float:
    """True peak (linear) of ``arr * gain`` at each factor of ``oversamples``, the largest; exact above ``threshold``.

    The same values as :class:`TruePeakMeter` (``floor=threshold``) fed the
    product, which is at most ``threshold`` whenever the result is: the
    interpolated points of a whole-signal resample_poly (zero padding at the
    ends) and the samples, interpolated only on :func:`_candidate_spans` of
    the product (the larger of the factors' bounds).  ``gain`` is >= 0, so
    the product's sample envelope is ``env * gain`` exactly (``env``:
    :func:`_sample_envelope` of ``arr``, if known); the product itself is
    formed only on the candidate spans.
    """
    n_channels, n = arr.shape
    env = _sample_envelope(arr) if env is None else env
    # |a * g| == |a| * g for g >= 0 (rounding is symmetric and monotonic): the product's block peaks.
    block_peaks = np.maximum.reduceat(env * gain, np.arange(0, n, _SCREEN_BLOCK))
    best = float(np.max(block_peaks))
    threshold = max(threshold, best)
    bound = max(_interp_taps(factor)[1] for factor in oversamples)
    for a, b in _candidate_spans(block_peaks, bound, threshold, n):
        seg = _padded(arr, a, b, gain)
        for factor in oversamples:
            taps = _interp_taps(factor)[0]
            for c in range(n_channels):
                for p in range(factor):
                    values = np.correlate(seg[c], taps[:, p], mode="valid")
                    best = max(best, float(values.max()), -float(values.min()))  # max |values|
    return best


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
    >>> from stimgen.mastering import fade
    >>> y = fade(y, sr=48000, fade_in_s=0.01, fade_out_s=0.01)  # no edge ringing
    >>> round(true_peak_dbtp(y, sr=48000, oversample=1), 1), round(true_peak_dbtp(y, sr=48000), 1)
    (-3.0, 0.0)
    """
    _check_sr(sr)
    oversample = _check_int("oversample", oversample, low=1, high=32)
    arr = _as_channels(y)
    return _lin_to_db(_peak_max(arr, oversample))


class TruePeakMeter:
    """Linear true peak of a signal fed in pieces, at several oversampling factors.

    Each piece is measured when the next one arrives (or at :meth:`finish`),
    with :data:`~stimgen.mastering._common._INTERP_RADIUS` samples of
    context on each side, so the interpolated values are those of the whole
    signal (zeros before its start and after its end, as
    :func:`scipy.signal.resample_poly` pads).  Only candidates above the
    running maximum are interpolated, so :attr:`peak` is exact.

    Parameters
    ----------
    oversamples : tuple of int
        Factors; :attr:`peak` is the largest over all of them.
    floor : float
        Linear level below which the peak need not be exact: candidates at
        or under it are not interpolated (a check against a ceiling passes
        the ceiling).  :attr:`peak` is exact whenever it exceeds ``floor``,
        else at most ``floor``.  Default 0: always exact.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(np.pi / 2 * np.arange(4800) + np.pi / 4)[np.newaxis] * np.hanning(4800)
    >>> meter = TruePeakMeter()
    >>> for a in range(0, 4800, 1000):
    ...     meter.process(y[:, a:a + 1000])
    >>> meter.finish() == max(_peak_max(y, 4), _peak_max(y, 8))
    True
    """

    def __init__(self, *, oversamples=_VERIFY_OVERSAMPLES, floor: float = 0.0):
        self.oversamples = tuple(oversamples)
        self.floor = float(floor)
        self.peak = 0.0
        self._tail = None
        self._pending = None

    def process(self, y) -> None:
        """Add the next piece, shape (n_channels, m)."""
        y = np.asarray(y, dtype=np.float64)
        if self._pending is not None:
            self._measure(y[:, :_INTERP_RADIUS])
        self._pending = y

    def finish(self) -> float:
        """Measure the last piece; return the true peak (linear)."""
        if self._pending is not None:
            self._measure(np.zeros((self._pending.shape[0], 0)))
            self._pending = None
        return self.peak

    def _measure(self, head) -> None:
        r = _INTERP_RADIUS
        y = self._pending
        c, m = y.shape
        tail = np.zeros((c, r)) if self._tail is None else self._tail
        after = np.zeros((c, r))
        after[:, :head.shape[1]] = head[:, :r]
        window = np.concatenate([tail, y, after], axis=1)
        threshold = max(self.peak, self.floor, float(np.max(np.abs(y))) if m else 0.0)
        for factor in self.oversamples:
            env = _peak_envelope(window, factor, threshold)[r:r + m]
            if m:
                self.peak = max(self.peak, float(np.max(env)))
        if m >= r:
            self._tail = y[:, m - r:]
        else:
            joined = np.concatenate([tail, y], axis=1)
            self._tail = joined[:, joined.shape[1] - r:]
