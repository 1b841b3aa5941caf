"""Fades, loudness normalisation and limiting: :func:`master` for arrays, :class:`StreamMaster` for sessions.

Mastering needs the integrated loudness of the programme before the first
sample can be given its gain.  A session of any length is mastered in one
streamed pass after a short plan:

1. :meth:`StreamMaster.plan` measures the programme on the stretches of
   :func:`probe_windows`: the whole programme if it lasts at most
   :data:`PROBE_FULL_S`, else :data:`PROBE_WINDOWS` windows of
   :data:`PROBE_WINDOW_S` spread evenly over it (a systematic sample; the
   caller renders them by skipping forward,
   :meth:`stimgen.render.SessionRenderer.seek`).  From them: the integrated
   loudness (BS.1770 gating on the sampled 400 ms blocks), an estimate of
   the true peak, and the static gain whose *limited* probe loudness meets
   the target, capped so that the limiter is not asked for more than
   :data:`MAX_LIMITING_DB`.  The windows and the gain depend only on the
   preset, seed and duration, so ``stimgen generate`` and ``stimgen play``
   produce the same samples, and play starts within a second.
2. :meth:`StreamMaster.apply`: the fades, the gain and, on every block where
   a rigorous bound says an interpolated peak could reach the ceiling, the
   look-ahead true-peak limiter, on a fixed grid of :data:`MASTER_BLOCK_S`
   with one block of delay; the output's loudness and true peak are
   measured as it goes.

Safety does not rest on the estimate: the true peak is held at the ceiling
everywhere by the limiter (checked at 4x and 8x), and the loudness actually
delivered is measured and reported (``benchmarks/bench_loudness.py``
measures every bundled preset at full length against its target).
:func:`master` is this path with the whole array as the probe.
"""

from __future__ import annotations

import bisect
import functools
import math

import numpy as np

from ..errors import ParameterError
from ._common import (
    LOUDNESS_TOLERANCE_LU,
    MAX_CEILING_DBTP,
    MAX_LIMITING_DB,
    MAX_TARGET_LUFS,
    MIN_CEILING_DBTP,
    MIN_TARGET_LUFS,
    TRUE_PEAK_OVERSAMPLE,
    LIMITER_OVERSAMPLE,
    _CONVERGED_LU,
    _INTERP_RADIUS,
    _MAX_ITERATIONS,
    _TRIM_MARGIN,
    _as_channels,
    _check_float,
    _check_sr,
    _lin_to_db,
)
from .limiter import _limiter_gain
from .loudness import KWeighting, LoudnessMeter
from .truepeak import _SCREEN_BLOCK, _block_peaks, _interp_taps

__all__ = [
    "MASTER_BLOCK_S",
    "PROBE_FULL_S",
    "PROBE_PREROLL_S",
    "PROBE_WINDOWS",
    "PROBE_WINDOW_S",
    "probe_windows",
    "LIMITER_MARGIN_DB",
    "SESSION_FADE_S",
    "SESSION_FADE_MAX_FRACTION",
    "StreamMaster",
    "plan_master",
    "fade",
    "master",
    "master_session",
    "session_fade_s",
]

MASTER_BLOCK_S = 3.2
"""Block of the mastering grid, seconds (32 loudness segments of 100 ms).
Engineering choice: long enough that the limiter's context windows add
little work, short enough that a block's temporaries stay a few MB."""

PROBE_FULL_S = 90.0
"""Programmes up to this long (s) are measured whole before mastering (about a
second of CPU); longer ones on :data:`PROBE_WINDOWS` probe windows (32 x 1.3 s
of audio, half a second).  Engineering choice: a short session with a loud
start and a long quiet cool (``gentle_cooldown`` cut to a minute) has too few
loud bars for a sample to find its loudness within 0.5 LU."""

PROBE_WINDOWS = 48
"""Probe windows of a long programme (one per stratum, at a jittered place in
it).  Engineering choice: block energies of drum-heavy presets vary by up to
130 % from one 400 ms block to the next, so a sample finds the loudness only
within a few tenths of a LU; 48 windows (62 s of audio with their pre-rolls,
about half a second of CPU) and the correction while playing
(:data:`GAIN_SLEW_DB`) put every bundled preset within 0.2 LU of its target
at 95 s, 130 s, 300 s and full length (``benchmarks/bench_loudness.py``)."""

PROBE_WINDOW_S = 1.2
"""Length of a probe window (s): 9 gating blocks of 400 ms on a 100 ms hop."""

PROBE_PREROLL_S = 0.1
"""Samples rendered before each probe window (s) to settle the K-weighting
and noise filters (time constants under 45 ms: brown noise's pole, 42 ms at
48 kHz; its variance is then within 1 % of steady state) and give the
limiter some context."""

GAIN_SLEW_DB = 0.25
"""Largest change of the corrected gain per 3.2 s block (dB), as a ramp
linear in dB across the block: at most 4.7 dB per minute, far slower than
any musical change.  Engineering choice."""

GAIN_CORRECTION_MAX_DB = 3.0
"""Largest correction of the planned gain (dB, either way)."""

_SENSITIVITY_STEP_DB = 0.1  # trial change of the rest's gain, to see how much the whole output follows it
_FULL_SENSITIVITY = 0.5  # the full correction when the whole output follows the rest by at least this (dB/dB)
WHOLE_PREROLL_S = 0.4
"""Pre-roll of the windows of a programme measured whole (s): 300 ms for the
gating blocks that straddle two windows, 100 ms to settle the filters."""

_DB_TO_NEPER = math.log(10.0) / 20.0  # 10 ** (x / 20) == exp(x * _DB_TO_NEPER)
_DENSITY_SHARE = 0.5  # share of the probe strata laid out by the density (the rest evenly: robust to a poor guess)
_GOLDEN = (5 ** 0.5 - 1) / 2  # jitter of the probe windows within their strata (a low-discrepancy sequence)

_LIMITER_CONTEXT_S = 0.25
"""Context before each block given to the limiter, seconds: its release
recovers 8.7 dB per 50 ms, so a peak more than 0.25 s back (43 dB of
recovery, against at most :data:`MAX_LIMITING_DB` + a few dB of reduction)
no longer affects the block."""

LIMITER_MARGIN_DB = 0.01
"""The limiter aims this far below the ceiling (dB) so that the joins of its
windows and 16-bit rounding (at most 0.0003 dB at -1 dBTP) cannot cross the
ceiling.  Engineering choice."""

_SURVEY_SPANS = 8
"""Loudest 64-sample stretches per block whose true peak pass 1 interpolates
(the estimate reported as the true peak; safety does not depend on it)."""

_LOOKAHEAD_S = 0.005
_RELEASE_S = 0.05

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


def _fade_gain(a: int, b: int, n: int, n_in: int, n_out: int):
    """Raised-cosine fade gains of samples [a, b) of an n-sample signal, or None if all 1."""
    if (a >= n_in) and (b <= n - n_out):
        return None
    k = np.arange(a, b)
    g = np.ones(b - a)
    head = k < n_in
    if np.any(head):
        g[head] = 0.5 * (1.0 - np.cos(np.pi * k[head] / n_in))
    tail = k >= n - n_out
    if np.any(tail):
        g[tail] *= 0.5 * (1.0 - np.cos(np.pi * (n - 1 - k[tail]) / n_out))
    return g


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
    arr = np.array(_as_channels(y), dtype=np.float64, copy=True)
    n = arr.shape[1]
    n_in, n_out = _fade_lengths(n, sr, fade_in_s, fade_out_s)
    g = _fade_gain(0, n, n, n_in, n_out)
    if g is not None:
        arr *= g
    return arr.reshape(shape)


def _fade_lengths(n, sr, fade_in_s, fade_out_s):
    return min(int(round(fade_in_s * sr)), n // 2), min(int(round(fade_out_s * sr)), n // 2)


def _reblock(sections, bounds):
    """Cut a stream of (n_channels, m) sections into the blocks ``bounds[j]:bounds[j + 1]``."""
    buf, have, j = [], 0, 0
    for y in sections:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 1:
            y = y[np.newaxis]
        buf.append(y)
        have += y.shape[1]
        while j + 1 < len(bounds) and have >= bounds[j + 1] - bounds[j]:
            joined = buf[0] if len(buf) == 1 else np.concatenate(buf, axis=1)
            size = bounds[j + 1] - bounds[j]
            yield joined[:, :size]
            rest = joined[:, size:]
            buf, have = ([rest] if rest.shape[1] else []), rest.shape[1]
            j += 1
    if j + 1 < len(bounds):
        raise ParameterError(f"the sections hold {bounds[j] + have} frames; expected {bounds[-1]}")


def probe_windows(n_frames: int, sr: int, *, density=None) -> list[tuple[int, int, float]]:
    """The stretches of a programme that the mastering measures before its first sample.

    A programme of at most :data:`PROBE_FULL_S` is measured whole, in
    consecutive windows of :data:`MASTER_BLOCK_S` (weight 1; each given the
    last :data:`WHOLE_PREROLL_S` of the one before as its pre-roll, which
    holds the start of the gating blocks that straddle the two: the
    measurement is that of the whole, in small pieces).  A longer one is cut into :data:`PROBE_WINDOWS`
    strata and measured on one window of :data:`PROBE_WINDOW_S` in each, at a
    place in its stratum given by the golden-ratio sequence (so the windows
    do not all fall on the same beat of a bar, as evenly spaced ones would),
    with :data:`PROBE_PREROLL_S` free before it.  The strata hold equal
    shares of ``density`` (e.g. the session arc's energy: loud stretches,
    which set the gated loudness, get more, shorter strata), mixed with an
    even spread so that no stratum is shorter than a window; without
    ``density`` they are equal.  Each window stands for its stratum: its
    weight is the stratum's length over the window's.  The windows depend
    only on the arguments, so ``stimgen generate`` and ``stimgen play``
    measure the same stretches and find the same gain.

    Parameters
    ----------
    n_frames, sr : int
        Programme length (frames) and rate (Hz).
    density : array_like or None
        Relative weights (>= 0) of equal consecutive cells of the programme.

    Returns
    -------
    list of (int, int, float)
        ``(start, stop, weight)`` per window, in order.

    Examples
    --------
    >>> probe_windows(7 * 48000, 48000)
    [(0, 153600, 1.0), (153600, 307200, 1.0), (307200, 336000, 1.0)]
    >>> w = probe_windows(2700 * 48000, 48000)
    >>> len(w), w[0][1] - w[0][0], round(w[0][2], 1)
    (48, 57600, 46.9)
    """
    n_frames, sr = int(n_frames), int(sr)
    if n_frames <= PROBE_FULL_S * sr:
        block = (32 * sr) // 10
        return [(a, min(n_frames, a + block), 1.0) for a in range(0, n_frames, block)]
    width = int(round(PROBE_WINDOW_S * sr))
    pre = int(round(PROBE_PREROLL_S * sr))
    n = PROBE_WINDOWS
    bounds = [k * n_frames // n for k in range(n + 1)]
    d = None if density is None else np.asarray(density, dtype=np.float64)
    if d is not None and d.size and np.all(np.isfinite(d)) and np.all(d >= 0) and d.mean() > 0:
        d = d / d.mean()
        # Mix with the even spread so that the densest stratum still holds a window and its pre-roll.
        shortest = (width + pre + 2) * n / n_frames  # the largest density allowed, inverted
        lam = 0.0 if d.max() <= 1.0 else min(_DENSITY_SHARE, max(0.0, (1.0 / shortest - 1.0) / (d.max() - 1.0)))
        mixed = (1.0 - lam) + lam * d
        cdf = np.concatenate([[0.0], np.cumsum(mixed)]) / mixed.sum()
        cells = np.linspace(0.0, n_frames, d.size + 1)
        bounds = [0] + [int(np.interp(k / n, cdf, cells)) for k in range(1, n)] + [n_frames]
    windows = []
    for k in range(n):
        lo, hi = bounds[k], bounds[k + 1]
        a = lo + pre + int(((0.5 + k * _GOLDEN) % 1.0) * max(0, hi - lo - width - pre))
        windows.append((a, a + width, (hi - lo) / width))
    return windows


class StreamMaster:
    """Mastering of a programme given in sections: a gain planned from probe windows, then one streamed pass.

    :meth:`plan` measures the faded programme on the windows of
    :func:`probe_windows` (the whole programme if it is short): the
    integrated loudness of their 400 ms gating blocks (BS.1770 gates applied
    to that sample of blocks), an estimate of the true peak, and the
    loudness they keep after the limiter at a trial gain; the static gain is
    the one whose limited loudness meets the target, capped so that the
    limiter is not asked for more than :data:`MAX_LIMITING_DB` on the probed
    peaks.  :meth:`apply` then fades, gains and limits the programme in one
    pass, block by block on a fixed grid of :data:`MASTER_BLOCK_S` (so the
    output depends only on the samples, not on how they were cut), with one
    block of delay: the look-ahead true-peak limiter runs on every block
    whose samples, or its neighbours', could make an interpolated peak reach
    the ceiling (a rigorous bound, :func:`~stimgen.mastering.truepeak._interp_taps`);
    elsewhere no peak can.  The output's loudness and true peak are measured
    as it goes (:attr:`report`).

    Parameters
    ----------
    sr : int
        Sample rate in Hz, in [8000, 384000].
    n_frames : int
        Length of the signal (frames).
    n_channels : int
        1 or 2.
    target_lufs, ceiling_dbtp, fade_in_s, fade_out_s : float
        As in :func:`master`.

    Examples
    --------
    >>> import numpy as np
    >>> y = 0.01 * np.random.default_rng(0).standard_normal((2, 10 * 48000))
    >>> m = StreamMaster(sr=48000, n_frames=y.shape[1], target_lufs=-23.0, ceiling_dbtp=-1.0,
    ...                  fade_in_s=0.5, fade_out_s=0.5)
    >>> _ = m.plan([(a, y[:, a:b]) for a, b in m.windows])
    >>> out = np.concatenate(list(m.apply([y[:, :100000], y[:, 100000:]])), axis=1)
    >>> abs(m.report["loudness_lufs"] + 23.0) < 0.5, m.report["true_peak_dbtp"] <= -1.0
    (True, True)
    """

    def __init__(self, *, sr, n_frames, n_channels=2, target_lufs=-20.0, ceiling_dbtp=-1.0, fade_in_s=2.0,
                 fade_out_s=3.0, density=None):
        self.sr = _check_sr(sr)
        self.target_lufs = _check_float("target_lufs", target_lufs, low=MIN_TARGET_LUFS, high=MAX_TARGET_LUFS)
        self.ceiling_dbtp = _check_float("ceiling_dbtp", ceiling_dbtp, low=MIN_CEILING_DBTP, high=MAX_CEILING_DBTP)
        fade_in_s = _check_float("fade_in_s", fade_in_s, low=0.0)
        fade_out_s = _check_float("fade_out_s", fade_out_s, low=0.0)
        self.n_frames = int(n_frames)
        self.n_channels = int(n_channels)
        if self.n_frames < 0.4 * self.sr:
            raise ParameterError(
                f"y lasts {self.n_frames / self.sr:.3g} s ({self.n_frames} samples at sr={self.sr}); mastering "
                "needs at least 0.4 s (one ITU-R BS.1770 gating block)"
            )
        self.n_in, self.n_out = _fade_lengths(self.n_frames, self.sr, fade_in_s, fade_out_s)
        self.block_frames = (32 * self.sr) // 10  # MASTER_BLOCK_S, exact at 44.1 and 48 kHz
        self.bounds = list(range(0, self.n_frames, self.block_frames)) + [self.n_frames]
        planned = probe_windows(self.n_frames, self.sr, density=density)
        self.sampled = self.n_frames > PROBE_FULL_S * self.sr  # else measured whole
        self.windows = [(a, b) for a, b, _ in planned]
        self.window_weights = [w for _, _, w in planned]
        _, bound8 = _interp_taps(LIMITER_OVERSAMPLE)
        _, bound4 = _interp_taps(TRUE_PEAK_OVERSAMPLE)
        self._bound = max(bound8, bound4)
        self._ceiling = 10.0 ** ((self.ceiling_dbtp - LIMITER_MARGIN_DB) / 20.0)
        self.gain_db = None
        self.report = None
        self.min_gain = 1.0
        self.block_peak = None

    def plan(self, windows, *, own: bool = False) -> float:
        """Measure the probe windows and set the static gain.  Returns the gain (dB).

        Parameters
        ----------
        windows : iterable of (int, numpy.ndarray)
            For each of :attr:`windows` in order, ``(lo, y)``: the samples of
            frames ``[lo, stop)`` of the programme (before the fades), shape
            (n_channels, stop - lo), where ``lo <= start`` may reach back up
            to :data:`PROBE_PREROLL_S` to settle the filters and give the
            limiter its context.  A programme measured whole is one window
            ``(0, y)``.
        own : bool
            The arrays are the caller's to give away: the fades are applied
            in place (no copy of a programme measured whole).

        Raises
        ------
        ParameterError
            If the windows are silent (below the -70 LUFS gate after the fades).
        """
        probes = []
        for (start, stop), (lo, y) in zip(self.windows, windows):
            y = _as_channels(np.asarray(y, dtype=np.float64), name="probe window")
            if y.shape[1] != stop - lo or lo > start:
                raise ParameterError(f"probe window from frame {lo} holds {y.shape[1]} frames; expected frames "
                                     f"[{lo}, {stop}) covering [{start}, {stop})")
            g = _fade_gain(lo, stop, self.n_frames, self.n_in, self.n_out)
            if g is not None and own and y.flags.writeable:
                y *= g
            elif g is not None:
                y = y * g
            skip = start - lo
            part = y[:, skip:]
            tail = y[:, max(0, skip - _INTERP_RADIUS):skip]
            if not self.sampled:
                # Measured whole: the gating blocks that end in this window start in it or in the 300 ms
                # before it (the pre-roll), so the windows together hold every block of the programme once.
                skip = max(0, skip - 3 * (self.sr // 10))
            probes.append({"y": y, "skip": skip, "z": _block_energies(y, skip, self.sr),
                           "peak": float(np.max(np.abs(y))),
                           "estimate": max(_survey_peak(tail, part, np.zeros((y.shape[0], 0))),
                                           float(np.max(np.abs(part))))})
        if len(probes) != len(self.windows):
            raise ParameterError(f"{len(probes)} probe windows given; expected {len(self.windows)}")
        self._probes = probes
        self.peak0 = max(p["estimate"] for p in probes)
        self._weights = np.concatenate([np.full(p["z"].shape[1], w) for p, w in zip(probes, self.window_weights)])
        self.loudness0 = _weighted_gated_loudness(np.concatenate([p["z"] for p in probes], axis=1).sum(axis=0),
                                                  self._weights)
        if not math.isfinite(self.loudness0):
            raise ParameterError(
                "y is silent (every 400 ms block below the -70 LUFS gate of ITU-R BS.1770 after the fades); "
                "nothing to master"
            )
        self.max_gain_db = self.ceiling_dbtp - _lin_to_db(self.peak0) + MAX_LIMITING_DB
        gain_db = min(self.target_lufs - self.loudness0, self.max_gain_db)
        loudness = self._probe_loudness(gain_db)
        # The limiter lowers the loudness: raise the gain by the shortfall its probe output shows.
        for _ in range(_MAX_ITERATIONS):
            capped = gain_db >= self.max_gain_db and loudness < self.target_lufs
            if abs(loudness - self.target_lufs) <= _CONVERGED_LU or capped:
                break
            gain_db = min(gain_db + (self.target_lufs - loudness), self.max_gain_db)
            loudness = self._probe_loudness(gain_db)
        self.probe_loudness_lufs = loudness
        self.set_gain(gain_db)
        # For the correction while the programme plays: each window's block energies (summed over the
        # channels, before the gain) and the share of energy the limiter keeps.
        # Joined once (the correction slices them): the windows' energies and weights, and where each starts.
        energies = [p["z"].sum(axis=0) for p in probes]
        self._probe_starts = [start for start, _ in self.windows]
        self._probe_offsets = np.cumsum([0] + [e.size for e in energies]).tolist()
        self._probe_e = np.concatenate(energies)
        self._probe_w = np.concatenate([np.full(e.size, w) for e, w in zip(energies, self.window_weights)])
        unlimited = self.loudness0 + self.gain_db
        self._limit_keep = 10.0 ** ((loudness - unlimited) / 10.0) if math.isfinite(unlimited) else 1.0
        self._probes = None  # the probe audio is not kept
        return self.gain_db

    def _probe_loudness(self, gain_db: float) -> float:
        """Integrated loudness of the probe windows after the gain and the limiter."""
        gain = 10.0 ** (gain_db / 20.0)
        z = []
        self.probe_limited = False
        for p in self._probes:
            if gain * p["peak"] * self._bound <= self._ceiling:
                z.append(p["z"] * (gain * gain))
                continue
            self.probe_limited = True
            y = p["y"] * gain
            y = y * _limiter_gain(y, self.sr, self.ceiling_dbtp - LIMITER_MARGIN_DB, _LOOKAHEAD_S, _RELEASE_S)
            z.append(_block_energies(y, p["skip"], self.sr))
        return _weighted_gated_loudness(np.concatenate(z, axis=1).sum(axis=0), self._weights)

    def plan_report(self) -> dict:
        """What :meth:`plan` predicts, in the keys of :attr:`report` (before the output exists).

        ``loudness_lufs`` is the probe windows' loudness after the gain and
        the limiter, ``true_peak_dbtp`` their estimated true peak after the
        gain, at most the ceiling (the limiter holds it there), ``limited``
        whether the limiter acted on them; ``planned`` is True.
        """
        if self.gain_db is None:
            raise ParameterError("StreamMaster.plan_report needs plan() first")
        loudness = self.probe_loudness_lufs
        peak_dbtp = min(_lin_to_db(self.gain * self.peak0), self.ceiling_dbtp)
        reached = bool(abs(loudness - self.target_lufs) <= LOUDNESS_TOLERANCE_LU)
        return {"loudness_lufs": float(loudness), "true_peak_dbtp": float(peak_dbtp), "gain_db": float(self.gain_db),
                "limited": bool(self.probe_limited), "target_reached": reached,
                "target_lufs": float(self.target_lufs), "ceiling_dbtp": float(self.ceiling_dbtp),
                "probe_loudness_lufs": float(loudness), "planned": True,
                "message": f"planned for {loudness:.1f} LUFS (target {self.target_lufs:g}) from "
                           f"{len(self.windows)} probe window(s)"}

    def set_gain(self, gain_db: float) -> None:
        """Set the static gain of :meth:`apply` (capped at :attr:`max_gain_db`)."""
        self.gain_db = min(float(gain_db), self.max_gain_db)
        self.gain = 10.0 ** (self.gain_db / 20.0)

    def apply(self, sections, *, own: bool = False):
        """Fade, gain and limit; yield the mastered blocks (n_channels, m); :attr:`report` is set at the end.

        ``own``: the sections are the caller's to give away (float64 arrays
        not used after they are handed over): the gain is applied in place.
        While a block is out, :attr:`block_peak` is its sample peak
        (``max |y|``, exactly: the limiter's screen of it) or None where the
        limiter changed it (not measured again).
        """
        if self.gain_db is None:
            raise ParameterError("StreamMaster.apply needs plan() first")
        meter = LoudnessMeter(sr=self.sr, n_channels=self.n_channels)
        self._out_meter = meter
        self._done = _SortedEnergies()
        self.min_gain = 1.0
        self._out_peak = 0.0
        self._limited_any = False
        self.gain_range_db = [self.gain_db, self.gain_db]
        for y in self._limited(self._gained(sections, own=own)):
            meter.process(y)
            yield y
        self._finish(meter.loudness_lufs(), self._out_peak)

    def _gained(self, sections, *, own=False):
        """The fixed blocks times the fades and the (corrected) gain (one product per sample).

        When the gain was planned from probe windows, it is corrected at the
        start of every block (:meth:`_corrected_gain_db`) and glides there
        across the block, linearly in dB.
        """
        control = self.sampled
        current = self.gain_db
        ramp = None
        for j, y in enumerate(_reblock(sections, self.bounds)):
            a, b = self.bounds[j], self.bounds[j + 1]
            new = self._corrected_gain_db(current) if control and j > 0 else current
            if new == current:
                gain = 10.0 ** (current / 20.0)
            else:
                if ramp is None or ramp.size != b - a:  # k / m for k = 1 .. m, the same for every full block
                    ramp = np.arange(1, b - a + 1) / (b - a)
                # 10 ** (dB / 20) as exp(dB * ln(10) / 20): the same gains to within 1e-15, a third of the CPU.
                gain = np.multiply(ramp, (new - current) * _DB_TO_NEPER)
                gain += current * _DB_TO_NEPER
                np.exp(gain, out=gain)
                self.gain_range_db = [min(self.gain_range_db[0], new), max(self.gain_range_db[1], new)]
            g = _fade_gain(a, b, self.n_frames, self.n_in, self.n_out)
            current = new
            factor = gain if g is None else g * gain
            if own and y.flags.writeable:
                y *= factor  # the same products, without a new array
                yield y
            else:
                yield y * factor

    def _corrected_gain_db(self, current: float) -> float:
        """The gain (dB) for the next block, from what was played and the probe windows ahead.

        The output measured so far (its 400 ms block energies) and the probe
        windows not yet reached (their block energies at the current gain
        times the limiter's planned share, each standing for an equal part of
        their strata of the rest) estimate the loudness of the whole output; the gain moves by
        the estimate's distance from the target (as a uniform change of the
        whole programme would need, so a short rest is never pushed hard), by
        at most :data:`GAIN_SLEW_DB` per block and within
        :data:`GAIN_CORRECTION_MAX_DB` of the plan.
        """
        meter = self._out_meter
        done = self._done
        done.add(meter.block_energies(first=done.size).sum(axis=0))  # the blocks completed since the last call
        first = bisect.bisect_left(self._probe_starts, meter.n_samples)  # the first window not yet reached
        if first == len(self._probe_starts):
            return current
        ahead_w = self._probe_w[self._probe_offsets[first]:]
        ahead = self._probe_e[self._probe_offsets[first]:] * (self._limit_keep * 10.0 ** (current / 10.0))
        n_rest = max(0.0, (self.n_frames - meter.n_samples) / (self.sr / 10.0))
        weights = ahead_w * (n_rest / ahead_w.sum())
        estimate = _split_gated_loudness(done, ahead, weights)
        ahead *= 10.0 ** (_SENSITIVITY_STEP_DB / 10.0)
        sensitivity = (_split_gated_loudness(done, ahead, weights) - estimate) / _SENSITIVITY_STEP_DB
        if not (math.isfinite(estimate) and math.isfinite(sensitivity)):
            return current
        # A rest that carries little of the loudness (a quiet cool, under the relative gate) is left alone.
        wanted = current + (self.target_lufs - estimate) * min(1.0, max(0.0, sensitivity) / _FULL_SENSITIVITY)
        wanted = min(max(wanted, self.gain_db - GAIN_CORRECTION_MAX_DB),
                     min(self.gain_db + GAIN_CORRECTION_MAX_DB, self.max_gain_db))
        return min(max(wanted, current - GAIN_SLEW_DB), current + GAIN_SLEW_DB)

    def _limited(self, blocks):
        """Each block, limited if a peak near it could reach the ceiling (one block of delay)."""
        sr = self.sr
        before = int(round(_LIMITER_CONTEXT_S * sr))
        after = int(round(_LOOKAHEAD_S * sr)) + 2 * _INTERP_RADIUS + 2
        history = np.zeros((self.n_channels, 0))
        pending, pending_screen, pending_peak, previous_peak = None, None, 0.0, 0.0
        for y in blocks:
            screen = _block_peaks(y) if y.shape[1] else np.zeros(0)
            peak = float(np.max(screen)) if screen.size else 0.0
            if pending is not None:
                near = max(previous_peak, pending_peak, peak)
                yield self._limit_block(history, pending, y[:, :after], near, pending_screen)
                if pending.shape[1] >= before:
                    history = pending[:, pending.shape[1] - before:]
                else:
                    history = np.concatenate([history, pending], axis=1)[:, -before:]
                previous_peak = pending_peak
            pending, pending_screen, pending_peak = y, screen, peak
        if pending is not None:
            near = max(previous_peak, pending_peak)
            yield self._limit_block(history, pending, np.zeros((self.n_channels, 0)), near, pending_screen)

    def _limit_block(self, history, y, head, near_peak, screen):
        r = _INTERP_RADIUS
        self.block_peak = None
        if near_peak * self._bound <= self._ceiling:
            # No interpolated peak of this block can reach the ceiling: measure an estimate, pass it on.
            if y.size:
                self._out_peak = max(self._out_peak, _survey_peak(history[:, -r:], y, head[:, :r], screen))
            self.block_peak = float(np.max(screen)) if screen.size else 0.0  # the block is y itself
            return y
        window = np.concatenate([history, y, head], axis=1)
        gain = _limiter_gain(window, self.sr, self.ceiling_dbtp - LIMITER_MARGIN_DB, _LOOKAHEAD_S, _RELEASE_S)
        start = history.shape[1]
        g = gain[start:start + y.shape[1]]
        if g.size:
            self.min_gain = min(self.min_gain, float(np.min(g)))
        out = window[:, start:start + y.shape[1]] * g
        if g.size and g.min() < 1.0:
            self._limited_any = True  # the limiter verified this stretch at 4x and 8x: at most the ceiling
        elif y.size:
            self._out_peak = max(self._out_peak, _survey_peak(history[:, -r:], out, head[:, :r]))
        return out

    def _finish(self, loudness, peak):
        target, ceiling_dbtp = self.target_lufs, self.ceiling_dbtp
        target_reached = bool(abs(loudness - target) <= LOUDNESS_TOLERANCE_LU)
        true_peak = _lin_to_db(peak)
        if getattr(self, "_limited_any", False):
            true_peak = max(true_peak, ceiling_dbtp)  # the bound of the limited stretches
        if target_reached:
            message = f"mastered to {loudness:.1f} LUFS (target {target:g}), true peak {true_peak:.1f} dBTP"
        elif loudness > target:
            message = (f"mastered to {loudness:.1f} LUFS, above the target {target:g} LUFS: the probe windows "
                       "under-read this programme's loudness")
        else:
            message = (
                f"mastered to {loudness:.1f} LUFS, below the target {target:g} LUFS: the material is too "
                f"peaky to reach it under the {ceiling_dbtp:g} dBTP ceiling with at most {MAX_LIMITING_DB:g} dB "
                "of limiting"
            )
        self.report = {
            "loudness_lufs": float(loudness),
            "true_peak_dbtp": float(true_peak),
            "gain_db": float(self.gain_db),
            "limited": bool(self.min_gain < 1.0),
            "max_gain_reduction_db": max(0.0, float(-_lin_to_db(self.min_gain))),
            "target_reached": target_reached,
            "target_lufs": float(target),
            "ceiling_dbtp": float(ceiling_dbtp),
            "probe_loudness_lufs": float(self.probe_loudness_lufs),
            "gain_range_db": [float(self.gain_range_db[0]), float(self.gain_range_db[1])],
            "planned": False,
            "message": message,
        }


def _weighted_gated_loudness(e: np.ndarray, w: np.ndarray) -> float:
    """BS.1770 gated loudness (LUFS) of 400 ms block energies ``e`` (summed over channels).

    Block ``i`` counts ``w[i]`` times (a probe block stands for its stratum).
    """
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10.0 * np.log10(e)
    above = block_lufs >= -70.0
    if not np.any(above):
        return -math.inf
    gamma = -0.691 + 10.0 * math.log10(float(np.dot(w[above], e[above]) / np.sum(w[above]))) - 10.0
    gated = above & (block_lufs > gamma)
    return -0.691 + 10.0 * math.log10(float(np.dot(w[gated], e[gated]) / np.sum(w[gated])))


#: Energy (mean square) of a 400 ms block at BS.1770's absolute gate of -70 LUFS.
_ABSOLUTE_GATE_ENERGY = 10.0 ** ((-70.0 + 0.691) / 10.0)


class _SortedEnergies:
    """Block energies (weight 1 each): a sorted list with its suffix sums, and the latest few unsorted.

    The gated sums of :func:`_split_gated_loudness` cost a binary search in
    the sorted list and one vectorised pass over at most
    :attr:`RECENT_MAX` recent blocks, whatever the session's length (the
    recent blocks join the sorted list when they reach that many), so the
    gain correction of a long session (:meth:`StreamMaster._corrected_gain_db`,
    once per block) no longer grows with the square of its length (a 4-hour
    ``deep_anneal`` took 343 s of CPU with the old correction, 144 s now).
    """

    RECENT_MAX = 4096

    def __init__(self):
        self.values = np.zeros(0)
        self._suffix = np.zeros(1)  # _suffix[i] = sum(values[i:]), summed from the largest
        self._recent = np.zeros(0)

    @property
    def size(self) -> int:
        return self.values.size + self._recent.size

    def add(self, e: np.ndarray) -> None:
        self._recent = np.concatenate([self._recent, e])
        if self._recent.size >= self.RECENT_MAX:
            self.values = np.sort(np.concatenate([self.values, self._recent]), kind="stable")  # merges two runs
            self._suffix = np.append(np.cumsum(self.values[::-1])[::-1], 0.0)
            self._recent = np.zeros(0)

    def above(self, threshold: float, *, strict: bool) -> tuple[float, int]:
        """Sum and count of the energies above ``threshold`` (or at it, unless ``strict``)."""
        i = int(np.searchsorted(self.values, threshold, side="right" if strict else "left"))
        recent = self._recent[self._recent > threshold] if strict else self._recent[self._recent >= threshold]
        return float(self._suffix[i]) + float(np.sum(recent)), self.values.size - i + recent.size


def _split_gated_loudness(done: _SortedEnergies, e: np.ndarray, w: np.ndarray) -> float:
    """:func:`_weighted_gated_loudness` of the blocks of ``done`` (weight 1) and blocks ``e`` (weights ``w``).

    The gates compare energies with the energies of -70 LUFS and of the
    relative gate (the same tests as on the blocks' loudness, up to float
    rounding at the thresholds themselves).
    """
    s_done, n_done = done.above(_ABSOLUTE_GATE_ENERGY, strict=False)
    above = e >= _ABSOLUTE_GATE_ENERGY
    w_above = float(np.sum(w[above])) + n_done
    if w_above <= 0.0:
        return -math.inf
    mean = (float(np.dot(w[above], e[above])) + s_done) / w_above
    relative = mean * 0.1  # the relative gate, -10 LU below the mean of the blocks above the absolute gate
    if relative >= _ABSOLUTE_GATE_ENERGY:
        s_done, n_done = done.above(relative, strict=True)
        gated = e > relative
    else:
        gated = above
    weight = float(np.sum(w[gated])) + n_done
    return -0.691 + 10.0 * math.log10((float(np.dot(w[gated], e[gated])) + s_done) / weight)


def _block_energies(y, skip, sr):
    """Mean squares (n_channels, n_blocks) of K-weighted ``y[:, skip:]`` over 400 ms gating blocks, 100 ms hop.

    The filter starts at rest at ``y``'s first sample; the first ``skip``
    samples only settle it.  Blocks are those of a signal starting at
    ``y[:, skip]`` (segments of ``sr // 10``, as :class:`LoudnessMeter`).
    Filtered in pieces of whole segments, so the temporaries stay small.
    """
    seg = sr // 10
    n_channels = y.shape[0]
    n_seg = (y.shape[1] - skip) // seg
    if n_seg < 4:
        return np.zeros((n_channels, 0))
    weighting = KWeighting(sr=sr, n_channels=n_channels)
    if skip:
        weighting.squares(y[:, :skip])
    sums = np.empty((n_channels, n_seg))
    step = max(1, (1 << 17) // seg)  # segments per piece
    for k in range(0, n_seg, step):
        m = min(step, n_seg - k)
        sq = weighting.squares(y[:, skip + k * seg:skip + (k + m) * seg])
        sums[:, k:k + m] = sq.reshape(n_channels, m, seg).sum(axis=2)
    n_blocks = n_seg - 3
    return (sums[:, :n_blocks] + sums[:, 1:n_blocks + 1] + sums[:, 2:n_blocks + 2] + sums[:, 3:]) / (4 * seg)


def _survey_peak(tail, y, head, screen=None) -> float:
    """Estimated true peak of block ``y``: 4x and 8x interpolation of its loudest 64-sample stretches.

    ``tail`` and ``head`` are the neighbouring samples (up to the
    interpolator's radius; zeros beyond them), so the interpolated values are
    those of the whole signal; ``screen`` is ``y``'s
    :func:`~stimgen.mastering.truepeak._block_peaks` if already known.  Only
    the chosen stretches are read: the windows of 2 R + 1 samples around each
    of their samples are gathered and multiplied by the polyphase taps of
    both factors at once (the correlations of
    :func:`~stimgen.mastering.truepeak._peak_envelope`, summed in another
    order: the same values to within float rounding).
    """
    m = y.shape[1]
    if m == 0:
        return 0.0
    screen = _block_peaks(y) if screen is None else screen
    n_screen = screen.size
    k = min(_SURVEY_SPANS, n_screen)
    top = np.argpartition(screen, n_screen - k)[n_screen - k:]
    r = _INTERP_RADIUS
    n_channels = y.shape[0]
    # The 2R + 1 samples around each sample of each chosen stretch (from the tail and head, zeros beyond
    # them) as rows, gathered at once with (k, 64, 2R + 1) indices.
    starts = top * _SCREEN_BLOCK
    index = starts[:, np.newaxis, np.newaxis] + _survey_grid()
    if starts.min() >= r and starts.max() + _SCREEN_BLOCK + r <= m:
        windows = np.take(y, index, axis=1)  # (n_channels, k, 64, 2R + 1), C order
    else:  # a stretch at an edge: the block with its context (rare: only then a full copy)
        ext = np.zeros((n_channels, m + 2 * r + _SCREEN_BLOCK))
        ext[:, r:r + m] = y
        n_tail, n_head = min(r, tail.shape[1]), min(r, head.shape[1])
        if n_tail:
            ext[:, r - n_tail:r] = tail[:, tail.shape[1] - n_tail:]
        ext[:, r + m:r + m + n_head] = head[:, :n_head]
        windows = np.take(ext, index + r, axis=1)
    windows = windows.reshape(n_channels, -1, 2 * r + 1)
    if starts.max() + _SCREEN_BLOCK > m:  # the last stretch is shorter: only the block's own samples
        windows = windows[:, ((starts[:, np.newaxis] + np.arange(_SCREEN_BLOCK)) < m).ravel()]
    best = float(np.max(screen[top]))
    values = windows @ _survey_taps()  # (n_channels, n_at, both factors' phases)
    return max(best, float(np.max(np.abs(values))))


@functools.lru_cache(maxsize=1)
def _survey_grid() -> np.ndarray:
    """Offsets (64, 2R + 1) of the interpolator's window around each sample of a screening stretch."""
    grid = np.arange(_SCREEN_BLOCK)[:, np.newaxis] + np.arange(-_INTERP_RADIUS, _INTERP_RADIUS + 1)
    grid.setflags(write=False)
    return grid


@functools.lru_cache(maxsize=1)
def _survey_taps() -> np.ndarray:
    """The polyphase taps of :data:`TRUE_PEAK_OVERSAMPLE` and :data:`LIMITER_OVERSAMPLE` side by side."""
    taps = np.concatenate([_interp_taps(TRUE_PEAK_OVERSAMPLE)[0], _interp_taps(LIMITER_OVERSAMPLE)[0]], axis=1)
    taps.setflags(write=False)
    return taps


def plan_master(make_sections, **kwargs) -> StreamMaster:
    """A :class:`StreamMaster` planned on a programme given whole (its sections joined in memory).

    For programmes held in memory (:func:`master`); a session of any length
    is planned from its probe windows instead (:class:`stimgen.session.Session`).

    Parameters
    ----------
    make_sections : callable
        ``make_sections()`` returns an iterable of the signal's sections.
    **kwargs
        For :class:`StreamMaster`.

    Returns
    -------
    StreamMaster
        Ready for :meth:`StreamMaster.apply`; its windows are the whole programme.
    """
    m = StreamMaster(**kwargs)
    m.windows, m.window_weights = [(0, m.n_frames)], [1.0]
    parts = [np.asarray(y, dtype=np.float64) for y in make_sections()]
    parts = [y[np.newaxis] if y.ndim == 1 else y for y in parts]
    y = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
    m.plan([(0, y)])
    return m


def master(
    y,
    *,
    sr: int,
    target_lufs: float = -20.0,
    ceiling_dbtp: float = -1.0,
    fade_in_s: float = 2.0,
    fade_out_s: float = 3.0,
) -> tuple[np.ndarray, dict]:
    """Fade, loudness-normalise and true-peak-limit a track held in memory.

    The streamed mastering (:class:`StreamMaster`, :func:`plan_master`)
    with the whole array as one section.  Guarantees, whatever the input:

    * the true peak (4x and 8x oversampling) is at or below ``ceiling_dbtp``;
    * the loudness is within 0.5 LU of ``target_lufs`` unless the material is
      too peaky (then below it);
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
        ``true_peak_dbtp`` (float, true peak of ``y_out``: 4x and 8x
        interpolation of each 3.2 s block's loudest stretches, or the ceiling
        for a block the limiter acted on, which it verified to lie at or under
        it), ``probe_loudness_lufs`` (float, what the plan predicted),
        ``planned`` (False), ``gain_db`` (float, static gain applied
        before the limiter), ``limited`` (bool, the limiter lowered the gain
        somewhere), ``max_gain_reduction_db`` (float, deepest limiter
        reduction, >= 0), ``target_reached`` (bool, loudness within 0.5 LU
        of the target), ``target_lufs``, ``ceiling_dbtp`` and ``message``
        (str, a sentence for the user).

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
    shape = np.shape(y)
    arr = _as_channels(y)
    m = plan_master(lambda: [arr], sr=sr, n_frames=arr.shape[1], n_channels=arr.shape[0], target_lufs=target_lufs,
                    ceiling_dbtp=ceiling_dbtp, fade_in_s=fade_in_s, fade_out_s=fade_out_s)
    out = np.concatenate(list(m.apply([arr])), axis=1)
    return out.reshape(shape), m.report


def master_session(y, *, sr: int, duration_s: float, target_lufs: float, ceiling_dbtp: float):
    """Master a rendered session held in memory: fades of :func:`session_fade_s`, then :func:`master`.

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
