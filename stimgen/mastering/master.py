"""Fades, loudness normalisation and limiting: :func:`master` for arrays, :class:`StreamMaster` for sessions.

Mastering needs the integrated loudness of the whole programme before the
first sample can be given its gain, so a streamed session is mastered in two
passes over its sections (rendered twice; nothing is kept in between):

1. :meth:`StreamMaster.analyse`: the fades, then the K-weighted energy of
   every 100 ms segment (:class:`~stimgen.mastering.loudness.LoudnessMeter`)
   and the true peak at 4x and 8x
   (:class:`~stimgen.mastering.truepeak.TruePeakMeter`).  From them: the static
   gain that brings the loudness to the target, capped so that the limiter
   never has to take off more than :data:`MAX_LIMITING_DB`.
2. :meth:`StreamMaster.apply`: the fades, the gain and, only if the gained
   true peak exceeds the ceiling, the look-ahead true-peak limiter on
   overlapping windows of :data:`MASTER_BLOCK_S`; yields the output in those
   blocks.

If the limiter lowers the loudness by more than :data:`_CONVERGED_LU`,
:func:`plan_master` runs pass 2 without output and raises the gain (at most
:data:`_MAX_ITERATIONS` times), as the whole-array mastering always did.
The work is done on a fixed grid of blocks whatever the sections given, so
the output depends only on the samples, not on how they were cut.
:func:`master` is this same path with the whole array as one section.
"""

from __future__ import annotations

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
from .loudness import LoudnessMeter
from .truepeak import _SCREEN_BLOCK, _interp_taps, _peak_envelope, _sample_envelope

__all__ = [
    "MASTER_BLOCK_S",
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


class StreamMaster:
    """Two-pass mastering of a signal that can be given twice, in sections.

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
    >>> _ = m.analyse([y[:, :100000], y[:, 100000:]])
    >>> out = np.concatenate(list(m.apply([y])), axis=1)
    >>> abs(m.report["loudness_lufs"] + 23.0) < 0.5, m.report["true_peak_dbtp"] <= -1.0
    (True, True)
    """

    def __init__(self, *, sr, n_frames, n_channels=2, target_lufs=-20.0, ceiling_dbtp=-1.0, fade_in_s=2.0,
                 fade_out_s=3.0, energy_hop=None):
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
        block = (32 * self.sr) // 10
        self.bounds = list(range(0, self.n_frames, block)) + [self.n_frames]
        self.gain_db = None
        self.report = None
        self._limit = False
        self.energy_hop = energy_hop
        self.min_gain = 1.0

    def _faded(self, sections):
        """Pass input: the fixed blocks with the fades applied, as (start, block)."""
        for j, y in enumerate(_reblock(sections, self.bounds)):
            a, b = self.bounds[j], self.bounds[j + 1]
            g = _fade_gain(a, b, self.n_frames, self.n_in, self.n_out)
            yield a, (y * g if g is not None else y)

    def analyse(self, sections) -> float:
        """Pass 1: measure the faded signal; set the static gain.  Returns the gain (dB).

        Per block of the grid it keeps three numbers: the sample peak, a
        rigorous upper bound of the true peak (the sample peak of the block
        and its neighbours times the interpolator's L1 norm, see
        :func:`~stimgen.mastering.truepeak._interp_taps`) and an estimate of
        the true peak (4x and 8x interpolation of the :data:`_SURVEY_SPANS`
        loudest 64-sample stretches).  Pass 2 runs the limiter only on blocks
        whose bound, times the gain, can exceed the ceiling, and on their
        neighbours; elsewhere no interpolated peak can reach the ceiling.

        Raises
        ------
        ParameterError
            If the signal is silent (below the -70 LUFS gate after the fades).
        """
        meter = LoudnessMeter(sr=self.sr, n_channels=self.n_channels, hop=self.energy_hop)
        peaks, estimates = [], []
        previous = None
        for _, y in self._faded(sections):
            meter.process(y)
            peaks.append(float(np.max(np.abs(y))) if y.size else 0.0)
            if previous is not None:
                estimates.append(_survey_peak(previous[0], previous[1], y[:, :_INTERP_RADIUS]))
            tail = previous[1][:, -_INTERP_RADIUS:] if previous is not None else np.zeros((self.n_channels, 0))
            previous = (tail, y)
        estimates.append(_survey_peak(previous[0], previous[1], np.zeros((self.n_channels, 0))))
        self._meter = meter
        self.block_peaks = np.asarray(peaks)
        near = self.block_peaks.copy()
        near[1:] = np.maximum(near[1:], self.block_peaks[:-1])
        near[:-1] = np.maximum(near[:-1], self.block_peaks[1:])
        _, bound = _interp_taps(LIMITER_OVERSAMPLE)
        _, bound4 = _interp_taps(TRUE_PEAK_OVERSAMPLE)
        self.block_bounds = near * max(bound, bound4)
        self.block_estimates = np.maximum(np.asarray(estimates), self.block_peaks)
        self.peak0 = float(np.max(self.block_estimates))
        self.loudness0 = meter.loudness_lufs()
        if not math.isfinite(self.loudness0):
            raise ParameterError(
                "y is silent (every 400 ms block below the -70 LUFS gate of ITU-R BS.1770 after the fades); "
                "nothing to master"
            )
        self.max_gain_db = self.ceiling_dbtp - _lin_to_db(self.peak0) + MAX_LIMITING_DB
        self.set_gain(self.target_lufs - self.loudness0)
        return self.gain_db

    def reference_energy(self) -> np.ndarray:
        """Cumulative K-weighted energy per ``energy_hop`` of the output before limiting (gain and fades)."""
        return self._meter.cumulative_energy(gain=self.gain)

    def set_gain(self, gain_db: float) -> None:
        """Set the static gain for pass 2 (capped at the limiter's :data:`MAX_LIMITING_DB`)."""
        self.gain_db = min(float(gain_db), self.max_gain_db)
        self.gain = 10.0 ** (self.gain_db / 20.0)
        ceiling = 10.0 ** ((self.ceiling_dbtp - LIMITER_MARGIN_DB) / 20.0)
        flagged = self.gain * self.block_bounds > ceiling
        around = flagged.copy()
        around[1:] |= flagged[:-1]
        around[:-1] |= flagged[1:]
        self._limit_blocks = around
        self._limit = bool(np.any(around))

    def apply(self, sections):
        """Pass 2: yield the mastered blocks (n_channels, m); :attr:`report` is set when they are all out."""
        if self.gain_db is None:
            raise ParameterError("StreamMaster.apply needs analyse() first (pass 1)")
        out_meter = LoudnessMeter(sr=self.sr, n_channels=self.n_channels) if self._limit else None
        self.min_gain = 1.0
        self._out_peak = 0.0
        blocks = self._gained(sections)
        if self._limit:
            blocks = self._limited(blocks)
        for y in blocks:
            if out_meter is not None:
                out_meter.process(y)
            yield y
        if self._limit:
            loudness = out_meter.loudness_lufs()
            free = ~self._limit_blocks
            peak = max(self._out_peak, self.gain * float(np.max(self.block_estimates[free], initial=0.0)))
        else:
            loudness = self._meter.loudness_lufs(gain=self.gain)
            peak = self.gain * self.peak0
        self._finish(loudness, peak)

    def another_pass(self) -> bool:
        """After a pass 2 that limited: True (and a corrected gain) if the loudness missed the target.

        The limiter lowers the loudness; the gain is raised by the shortfall
        until the loudness is within :data:`_CONVERGED_LU` of the target, the
        gain reaches its cap, or :data:`_MAX_ITERATIONS` passes were made.
        """
        self._passes = getattr(self, "_passes", 0) + 1
        if not self._limit or self.report is None:
            return False
        loudness = self.report["loudness_lufs"]
        capped = self.gain_db >= self.max_gain_db and loudness < self.target_lufs
        if abs(loudness - self.target_lufs) <= _CONVERGED_LU or capped or self._passes >= _MAX_ITERATIONS:
            return False
        self.set_gain(self.gain_db + (self.target_lufs - loudness))
        return True

    def _gained(self, sections):
        for _, y in self._faded(sections):
            yield y * self.gain

    def _limited(self, blocks):
        """The look-ahead limiter on the flagged blocks, with context before and after (one block of delay)."""
        sr = self.sr
        before = int(round(_LIMITER_CONTEXT_S * sr))
        after = int(round(_LOOKAHEAD_S * sr)) + 2 * _INTERP_RADIUS + 2
        ceiling_dbtp = self.ceiling_dbtp - LIMITER_MARGIN_DB
        history = np.zeros((self.n_channels, 0))
        pending = None
        j = 0
        for y in blocks:
            if pending is not None:
                yield self._limit_block(j, history, pending, y[:, :after], ceiling_dbtp)
                j += 1
                history = np.concatenate([history, pending], axis=1)[:, -before:]
            pending = y
        if pending is not None:
            yield self._limit_block(j, history, pending, np.zeros((self.n_channels, 0)), ceiling_dbtp)

    def _limit_block(self, j, history, y, head, ceiling_dbtp):
        if not self._limit_blocks[j]:
            return y
        window = np.concatenate([history, y, head], axis=1)
        gain = _limiter_gain(window, self.sr, ceiling_dbtp, _LOOKAHEAD_S, _RELEASE_S)
        start = history.shape[1]
        g = gain[start:start + y.shape[1]]
        if g.size:
            self.min_gain = min(self.min_gain, float(np.min(g)))
        out = window * gain
        # The exact 4x true peak of this block's output (its neighbours' gains may differ slightly).
        env = _peak_envelope(out, TRUE_PEAK_OVERSAMPLE, self._out_peak)[start:start + y.shape[1]]
        if env.size:
            self._out_peak = max(self._out_peak, float(np.max(env)))
        return out[:, start:start + y.shape[1]]

    def _finish(self, loudness, peak):
        target, ceiling_dbtp = self.target_lufs, self.ceiling_dbtp
        target_reached = bool(abs(loudness - target) <= LOUDNESS_TOLERANCE_LU)
        true_peak = _lin_to_db(peak)
        if target_reached:
            message = f"mastered to {loudness:.1f} LUFS (target {target:g}), true peak {true_peak:.1f} dBTP"
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
            "message": message,
        }


def _survey_peak(tail, y, head) -> float:
    """Estimated true peak of block ``y``: 4x and 8x interpolation of its loudest 64-sample stretches.

    ``tail`` and ``head`` are the neighbouring samples (up to the
    interpolator's radius), so the interpolated values are those of the
    whole signal.
    """
    m = y.shape[1]
    if m == 0:
        return 0.0
    env = _sample_envelope(y)
    n_screen = -(-m // _SCREEN_BLOCK)
    padded = np.zeros(n_screen * _SCREEN_BLOCK)
    padded[:m] = env
    screen = padded.reshape(n_screen, _SCREEN_BLOCK).max(axis=1)
    k = min(_SURVEY_SPANS, n_screen)
    top = np.argpartition(screen, n_screen - k)[n_screen - k:]
    r = _INTERP_RADIUS
    window = np.concatenate([np.zeros((y.shape[0], r - tail.shape[1])), tail, y, head,
                             np.zeros((y.shape[0], r - head.shape[1]))], axis=1)
    # The chosen stretches, each with its context, side by side with zeros between (so they do not interact).
    width = _SCREEN_BLOCK + 2 * r
    parts = np.zeros((y.shape[0], k * (width + 2 * r)))
    spans = []
    for slot, i in enumerate(np.sort(top).tolist()):
        a, b = i * _SCREEN_BLOCK, min(m, (i + 1) * _SCREEN_BLOCK)
        o = slot * (width + 2 * r)
        parts[:, o:o + b - a + 2 * r] = window[:, a:b + 2 * r]
        spans.append((o + r, o + r + b - a))
    best = 0.0
    for factor in (TRUE_PEAK_OVERSAMPLE, LIMITER_OVERSAMPLE):
        env = _peak_envelope(parts, factor)
        best = max(best, max(float(np.max(env[lo:hi])) for lo, hi in spans))
    return best


def plan_master(make_sections, *, dry_runs=True, **kwargs) -> StreamMaster:
    """Pass 1 and, if the limiter takes loudness away, dry runs of pass 2 until the gain is right.

    Parameters
    ----------
    make_sections : callable
        ``make_sections()`` returns a fresh iterable of the signal's sections
        (e.g. a new :class:`stimgen.render.SessionRenderer`'s sections).
    dry_runs : bool
        False: pass 1 only; the caller runs pass 2 and asks
        :meth:`StreamMaster.another_pass` after each (``stimgen generate``
        writes while it checks, so a converged first pass is the output).
        Both ways reach the same gain, so the same samples.
    **kwargs
        For :class:`StreamMaster`.

    Returns
    -------
    StreamMaster
        Ready for the final :meth:`StreamMaster.apply`; with ``dry_runs`` its
        :attr:`~StreamMaster.report` already holds what that pass will report.
    """
    m = StreamMaster(**kwargs)
    m.analyse(make_sections())
    if dry_runs:
        while m._limit:
            for _ in m.apply(make_sections()):
                pass
            if not m.another_pass():
                break
    if not m._limit:
        m._finish(m._meter.loudness_lufs(gain=m.gain), m.gain * m.peak0)
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
        ``true_peak_dbtp`` (float, 4x true peak of ``y_out``; an upper bound
        when nothing was limited), ``gain_db`` (float, static gain applied
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
