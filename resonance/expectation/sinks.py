"""Energy sinks: predictive models that learn a stimulus from scratch.

An energy sink (docs/model.md) is a top-down predictive model.  What it
predicts it absorbs; what surprises it passes on as energy.  Here each
cochlear band has one sink: an online logistic predictor of the band's
onset events from the recent past of that band and of all bands together.

* It starts blank for every stimulus (weights zero, prior event rate only):
  no pre-training on anything (Byrnes 2024, "learning from scratch").
* It learns only from prediction errors ``o - p`` (what arrived minus what
  was expected) -- the delta rule of Rescorla & Wagner (1972), i.e. a
  temporal-difference error with zero discount, applied online after each
  short block of frames (Sutton & Barto 2018, ch. 6 and 9: semi-gradient
  updates of a linear function approximator).
* Its history features reach back ``memory_s`` seconds, so a pattern that
  repeats within that span can be learned exactly: repetition habituates,
  and it does so over as many repetitions as the learning rate needs.

Predictions are Bernoulli probabilities per frame, so surprise (information
content, -log2 p of what happened) and uncertainty (entropy of the
predictive distribution) are in bits, as in IDyOM (Pearce 2005) and Cheung
et al. (2019).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._jit import njit
from .._lfilter import lfilter

from ..validation import check_float, check_int

__all__ = [
    "ModulationSink",
    "OnsetSinks",
    "RecurrenceSink",
    "SinkOutput",
    "TimingTolerance",
    "combine_predictions",
    "event_strength",
]

_EPS = 1e-6


def event_strength(onset_db: np.ndarray, *, jnd_db: float = 1.0, scale_db: float = 6.0) -> np.ndarray:
    """Salience of onsets in [0, 1) from the onset drive in dB.

    A level rise below the intensity just-noticeable difference (~1 dB,
    Jesteadt, Wier & Green 1977) is not an event; above it, salience grows
    and saturates with a scale of ``scale_db`` (6 dB = a doubling of
    amplitude).

    Parameters
    ----------
    onset_db : ndarray
        Onset drive (level rise above the adapted level) in dB.
    jnd_db : float
        Intensity just-noticeable difference (dB).
    scale_db : float
        Saturation scale (dB).

    Returns
    -------
    ndarray
        Event strength, same shape as ``onset_db``.

    Examples
    --------
    >>> float(event_strength(np.array([0.5]))[0])
    0.0
    """
    x = np.asarray(onset_db, dtype=float) - jnd_db
    # Most frames hold no event: the saturation is computed only where the
    # rise exceeds the JND (elsewhere it is exactly 0; NaN stays NaN).
    out = np.zeros(x.shape)
    idx = np.flatnonzero(~(x <= 0.0))
    if idx.size:
        out.reshape(-1)[idx] = -np.expm1(-x.reshape(-1)[idx] / scale_db)
    return out if out.ndim else out[()]


@dataclass
class SinkOutput:
    """What the sinks made of one block.

    Attributes
    ----------
    p : ndarray, shape (n_bands, n)
        Predicted probability of an event in each sink frame, made before
        the frame arrived.
    o : ndarray, shape (n_bands, n)
        Event strength that arrived (pooled to the sink rate).
    surprise_bits : ndarray, shape (n_bands, n)
        Information content of what arrived, ``-[o log2 p + (1-o) log2(1-p)]``.
    entropy_bits : ndarray, shape (n_bands, n)
        Entropy of the predictive distribution, ``H(p)``.

    Notes
    -----
    ``surprise_bits`` and ``entropy_bits`` are computed when first read:
    only the sinks' realised precision
    (:class:`~resonance.expectation.precision.SinkPrecision`) reads them,
    and the scorer uses it only with ``sink_precision_exponent > 0``.
    """

    p: np.ndarray
    o: np.ndarray

    @functools.cached_property
    def _log2_pq(self) -> tuple[np.ndarray, np.ndarray]:
        return np.log2(self.p), np.log2(1.0 - self.p)

    @functools.cached_property
    def surprise_bits(self) -> np.ndarray:
        log_p, log_q = self._log2_pq
        return -(self.o * log_p + (1.0 - self.o) * log_q)

    @functools.cached_property
    def entropy_bits(self) -> np.ndarray:
        log_p, log_q = self._log2_pq
        return -(self.p * log_p + (1.0 - self.p) * log_q)


def _output(o: np.ndarray, p: np.ndarray) -> SinkOutput:
    return SinkOutput(p=np.clip(p, _EPS, 1.0 - _EPS), o=o)


def combine_predictions(out: SinkOutput, p: np.ndarray) -> SinkOutput:
    """The sinks' output with a second predictor's expectation added.

    Two sinks that predict the same events (the band sinks and the
    :class:`RecurrenceSink`) expect an event as strongly as the surer of
    the two: ``max(p_1, p_2)``.  Surprise and entropy are recomputed.

    Parameters
    ----------
    out : SinkOutput
        Output of :meth:`OnsetSinks.process`.
    p : ndarray, shape like ``out.p``
        The other sink's predicted event strength.

    Returns
    -------
    SinkOutput
    """
    return _output(out.o, np.maximum(out.p, p))


# The band sinks' arithmetic per learning block, compiled: a block is 16
# frames of 8 bands against 2 x 172 features, small enough that NumPy's call
# overhead was a large part of its cost.  Every sum is added in an order
# written out, not left to the vectoriser (no ``reassoc``), so that a kernel
# gives the same bits wherever it is compiled in (alone, or into
# OnsetAbsorption's loop of blocks) and on any processor: a prediction sums
# its features lag after lag (the block's frames side by side, a vector);
# the squared norms run in four interleaved partial sums (element i into
# sum i mod 4, added as (s0 + s1) + (s2 + s3)).  Each sum is within a few
# units in the last place of NumPy's einsum/matmul sums.  Indices are
# unsigned, so that the loops compile to vector loads.
@njit(inline="always")
def _sum4(s0, s1, s2, s3):  # pragma: no cover  (compiled)
    return (s0 + s1) + (s2 + s3)


@njit(cache=True, nogil=True)
def _predict(ext, ext_all, first, q_stop, w, b):  # pragma: no cover  (compiled)
    """Predicted probability of frames ``first .. q_stop - 1`` of ``ext`` (B, m) from the L frames before each.

    ``w`` (B, 2 L) holds the weights of the own band's history then of the
    band mean's, newest lag first; ``b`` (B,) the biases.
    """
    B = ext.shape[0]
    L = np.uint64(w.shape[1] // 2)
    m = q_stop - first
    p = np.empty((B, m))
    w_rev = w[:, ::-1].copy()  # oldest lag first: the band mean's, then the own band's
    lo = np.uint64(first) - L  # oldest frame of the first window
    own = np.empty(m)
    mean = np.empty(m)
    for band in range(B):
        row = ext[band]
        w_row = w_rev[band]
        own[:] = 0.0
        mean[:] = 0.0
        # Each frame's sums run over the lags one after the other; the
        # frames of the block side by side (a vector over the frames).
        for lag in range(L):
            k = lo + lag
            w_own = w_row[L + lag]
            w_mean = w_row[lag]
            for j in range(m):
                own[j] += row[k + np.uint64(j)] * w_own
                mean[j] += ext_all[k + np.uint64(j)] * w_mean
        for j in range(m):
            p[band, j] = 1.0 / (1.0 + math.exp(-(own[j] + mean[j] + b[band])))
    return p


@njit(inline="always")
def _weighted_squares(x, lo, span, count):  # pragma: no cover  (compiled)
    """``sum(x[lo + j] ** 2 * count[j] for j < span)`` in four interleaved partial sums."""
    s0 = s1 = s2 = s3 = 0.0
    j = np.uint64(0)
    while j + np.uint64(4) <= span:
        s0 += x[lo + j] * x[lo + j] * count[j]
        s1 += x[lo + j + np.uint64(1)] * x[lo + j + np.uint64(1)] * count[j + np.uint64(1)]
        s2 += x[lo + j + np.uint64(2)] * x[lo + j + np.uint64(2)] * count[j + np.uint64(2)]
        s3 += x[lo + j + np.uint64(3)] * x[lo + j + np.uint64(3)] * count[j + np.uint64(3)]
        j += np.uint64(4)
    while j < span:
        s0 += x[lo + j] * x[lo + j] * count[j]
        j += np.uint64(1)
    return _sum4(s0, s1, s2, s3)


@njit(cache=True, nogil=True)
def _learn(ext, ext_all, first, p, count, learning_rate, l2_decay, w, b):  # pragma: no cover  (compiled)
    """Delta rule on the block of frames ``first .. first + m - 1`` of ``ext`` predicted as ``p`` (B, m), in place.

    The step is ``learning_rate`` over the features' squared norm + 1 (each
    frame of the block's span counted ``count`` times, once per window
    holding it); the weights decay by ``l2_decay`` first.
    """
    B, m = p.shape
    L = np.uint64(w.shape[1] // 2)
    lo = np.uint64(first) - L  # oldest frame of the first window
    span = L + np.uint64(m - 1)
    sq_all = _weighted_squares(ext_all, lo, span, count)
    err = np.empty(m)
    g_own = np.empty(L)
    g_mean = np.empty(L)
    keep = 1.0 - l2_decay
    for band in range(B):
        row = ext[band]
        sq_own = _weighted_squares(row, lo, span, count)
        step = learning_rate / (sq_own + sq_all + 1.0)
        err_sum = 0.0
        for j in range(m):
            err[j] = row[first + j] - p[band, j]
            err_sum += err[j]
        g_own[:] = 0.0
        g_mean[:] = 0.0
        for j in range(m):
            e = err[j]
            k = lo + np.uint64(j)
            for lag in range(L):
                g_own[lag] += e * row[k + lag]
                g_mean[lag] += e * ext_all[k + lag]
        for lag in range(L):
            newest = L - np.uint64(1) - lag
            w[band, newest] = w[band, newest] * keep + g_own[lag] * step
            w[band, L + newest] = w[band, L + newest] * keep + g_mean[lag] * step
        b[band] += step * err_sum


class OnsetSinks:
    """Per-band online predictors of onset events (the energy sinks).

    Parameters
    ----------
    n_bands : int
        Number of bands (one sink each).
    frame_rate_hz : float
        Rate of the sink frames (events are pooled to this rate).
    memory_s : float
        How far back the history features reach (s).  Patterns that repeat
        within this span can be learned; a bar of 4/4 at 60 BPM is 4 s.
    learning_rate : float
        Step size of the delta rule (per block, normalised by the squared
        norm of the features, as in normalised LMS).  Sets how many
        repetitions habituation takes.
    block_frames : int
        Frames per learning block (weights change after each block).
    prior_rate : float
        Event probability per frame before anything is learned.
    l2_decay : float
        Weight decay per block (forgetting), keeping weights bounded.

    Examples
    --------
    >>> sinks = OnsetSinks(n_bands=1, frame_rate_hz=43.0)
    >>> o = np.zeros((1, 430)); o[0, ::43] = 1.0
    >>> out = sinks.process(o)
    >>> out.p.shape
    (1, 430)
    """

    def __init__(
        self,
        *,
        n_bands: int = 8,
        frame_rate_hz: float = 43.066,
        memory_s: float = 4.0,
        learning_rate: float = 0.5,
        block_frames: int = 16,
        prior_rate: float = 0.02,
        l2_decay: float = 1e-4,
    ):
        self.n_bands = n_bands
        self.frame_rate_hz = frame_rate_hz
        self.memory_s = memory_s
        self.learning_rate = learning_rate
        self.block_frames = block_frames
        self.prior_rate = prior_rate
        self.l2_decay = l2_decay
        self._ready = False

    def _setup(self) -> None:
        check_int("n_bands", self.n_bands, low=1)
        check_float("frame_rate_hz", self.frame_rate_hz, low=0.0, low_inclusive=False)
        check_float("memory_s", self.memory_s, low=0.0, low_inclusive=False)
        check_float("learning_rate", self.learning_rate, low=0.0)
        check_int("block_frames", self.block_frames, low=1)
        check_float("prior_rate", self.prior_rate, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_float("l2_decay", self.l2_decay, low=0.0, high=1.0)
        self.n_lags_ = max(1, int(round(self.memory_s * self.frame_rate_hz)))
        self.reset()
        self._ready = True

    def reset(self) -> None:
        """Return to a blank state: no weights, no history."""
        n_lags = max(1, int(round(self.memory_s * self.frame_rate_hz)))
        self.n_lags_ = n_lags
        # Features: own-band history (n_lags) + all-band mean history (n_lags).
        self.w_ = np.zeros((self.n_bands, 2 * n_lags))
        self.b_ = np.full(self.n_bands, np.log(self.prior_rate / (1.0 - self.prior_rate)))
        self._hist = np.zeros((self.n_bands, n_lags))
        self._pending = np.zeros((self.n_bands, 0))

    def process(self, o: np.ndarray, *, before_learning=None) -> SinkOutput:
        """Predict, then learn from, the next frames of event strength.

        Parameters
        ----------
        o : ndarray, shape (n_bands, n)
            Event strength in [0, 1] per band and sink frame.
        before_learning : callable, optional
            Called once per learning block, after the block's predictions
            and before the sinks learn from it, as ``f(p, o)`` with the
            block's predictions and events (each ``(n_bands, block_frames)``);
            it returns the weight decay (``l2_decay``) of this block's
            learning step.

        Returns
        -------
        SinkOutput
            Predictions made before each frame arrived, and the surprise.
        """
        if not self._ready:
            self._setup()
        o = np.asarray(o, dtype=float)
        n = o.shape[1]
        p_all = np.empty_like(o)
        L = self.n_lags_
        # The whole history at once: the last L learned frames, the pending
        # ones, then the new frames; each frame is predicted from the L frames
        # before it in this record (own band, newest first, and the band mean).
        ext = np.concatenate([self._hist, self._pending, o], axis=1)
        ext_all = ext.mean(axis=0)
        q = L + self._pending.shape[1]  # next frame of ext to predict
        first = L  # first pending frame
        start = 0
        while start < n:
            # Blocks are aligned to the stimulus clock so that any split of
            # the input gives the same learning schedule.
            stop = min(n, start + self.block_frames - (q - first))
            q_stop = q + stop - start
            m = q_stop - first
            n_new = stop - start
            # Predictions for the pending frames of this block (features: past only).
            p = _predict(ext, ext_all, first, q_stop, self.w_, self.b_)
            p_all[:, start:stop] = p[:, m - n_new :]
            if m == self.block_frames:
                if before_learning is not None:
                    self.l2_decay = before_learning(p, ext[:, first:q_stop])
                _learn(ext, ext_all, first, p, _window_counts(L, m), self.learning_rate, self.l2_decay, self.w_,
                       self.b_)
                first = q_stop
            q = q_stop
            start = stop
        self._hist = ext[:, first - L : first].copy()
        self._pending = ext[:, first:].copy()
        return _output(o, p_all)


@functools.lru_cache(maxsize=8)
def _window_counts(n_lags: int, m: int) -> np.ndarray:
    """How many of ``m`` consecutive windows of ``n_lags`` frames hold each frame of their span."""
    j = np.arange(n_lags + m - 1)
    count = np.minimum(np.minimum(j + 1, n_lags + m - 1 - j), min(n_lags, m)).astype(float)
    count.flags.writeable = False
    return count


class TimingTolerance:
    """Absorption with the temporal tolerance of an expectation.

    A sink predicts events on its frame grid (23 ms at 43 Hz), but an event
    does not fall on that grid: a click train whose period is not a whole
    number of frames lands one frame early or late, and a short click can
    spill over two frames.  Listeners do not hear timing deviations of this
    size as surprises: in an isochronous sequence at 500 ms intervals the
    just-noticeable displacement is ~2.5-5 % of the interval, 12-25 ms
    (Friberg & Sundberg 1995; Repp 2005).  So an expectation is matched
    within ``tolerance_frames`` frames:

    * an event is absorbed up to the largest prediction made for its frame
      or the ``tolerance_frames`` frames before it (an event that came a
      little late was still expected);
    * an expectation counts as omitted only by what exceeds the largest
      event within ``tolerance_frames`` frames on either side of it.  The
      omission is known only when that window has passed, so it is reported
      ``tolerance_frames`` frames late.

    Without this, a learned metronome leaves a residual error of every beat
    that merely moved by a frame, with the high precision of a learned
    metre.  State is carried across blocks: any split of the stream gives
    the same result.

    Parameters
    ----------
    n_bands : int
        Number of bands.
    tolerance_frames : int
        Tolerance in sink frames (0 = exact frames, as without tolerance).

    Examples
    --------
    >>> tol = TimingTolerance(n_bands=1, tolerance_frames=1)
    >>> o = np.array([[0.0, 0.0, 1.0, 0.0]]); p = np.array([[0.0, 1.0, 0.0, 0.0]])
    >>> expected, omitted = tol.process(o, p)
    >>> np.minimum(o, expected).tolist(), omitted.tolist()
    ([[0.0, 0.0, 1.0, 0.0]], [[0.0, 0.0, 0.0, 0.0]])
    """

    def __init__(self, *, n_bands: int, tolerance_frames: int = 1):
        check_int("n_bands", n_bands, low=1)
        check_int("tolerance_frames", tolerance_frames, low=0, high=8)
        self.n_bands = n_bands
        self.tolerance_frames = tolerance_frames
        self.reset()

    def reset(self) -> None:
        """Forget the carried frames."""
        k = self.tolerance_frames
        self._p = np.zeros((self.n_bands, k))
        self._o = np.zeros((self.n_bands, 2 * k))

    def process(self, o: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Tolerant expectation and omitted expectation per frame.

        Parameters
        ----------
        o, p : ndarray, shape (n_bands, n)
            Event strength that arrived and the prediction made for it.

        Returns
        -------
        expected : ndarray, shape (n_bands, n)
            ``max(p)`` over the frame and the ``tolerance_frames`` before it:
            an event is absorbed up to ``min(o, expected)``.
        omitted : ndarray, shape (n_bands, n)
            Expectation not met within the tolerance, reported
            ``tolerance_frames`` frames after the frame it was due.
        """
        o = np.asarray(o, dtype=float)
        p = np.asarray(p, dtype=float)
        k = self.tolerance_frames
        if k == 0:
            return p, np.maximum(p - o, 0.0)
        n = o.shape[1]
        p_ext = np.concatenate([self._p, p], axis=1)
        o_ext = np.concatenate([self._o, o], axis=1)
        expected = _running_max(p_ext, k + 1)  # frames t-k..t
        # Expectation due at frame t - k against events in t - 2k .. t.
        o_win = _running_max(o_ext, 2 * k + 1)
        omitted = np.maximum(p_ext[:, :n] - o_win, 0.0)
        self._p = p_ext[:, -k:]
        self._o = o_ext[:, -2 * k :]
        return expected, omitted


def _running_max(x: np.ndarray, width: int) -> np.ndarray:
    """``max(x[:, t : t + width])`` for each ``t`` (the last axis), as ``width`` shifted maxima.

    The same values as ``sliding_window_view(x, width, axis=1).max(axis=2)``
    (a maximum is exact), without a reduction over a short axis per window.
    """
    n = x.shape[1] - width + 1
    out = x[:, :n].copy()
    for i in range(1, width):
        np.maximum(out, x[:, i : i + n], out=out)
    return out


class RecurrenceSink:
    """A sink that learns the period at which the stimulus repeats itself.

    The band sinks (:class:`OnsetSinks`) reach back ``memory_s`` (a few
    seconds), so a pattern that recurs over a longer span -- a loop of five
    bars, a verse played again -- is never predicted, however often it
    recurs.  Listeners learn such recurrences: a frozen noise segment
    repeated cyclically is heard as repeating after a few cycles, for cycles
    up to ~10-20 s (Kaernbach 2004; Agus, Thorpe & Pressnitzer 2010).

    This sink predicts each frame from the frame one *recurrence period*
    ago.  For every lag ``L`` between ``min_lag_s`` and ``max_lag_s`` and
    every band it keeps two leaky sums (time constant ``tau_s``): the event
    strength that recurred, ``sum min(o[t], o~[t - L])``, and the event
    strength present then or now, ``sum max(o[t], o[t - L])``, where
    ``o~`` is the past event strength widened by one frame on either side
    (the timing tolerance of :class:`TimingTolerance`).  Their ratio,
    regularised by ``prior_events``, is the lag's reliability ``r_L`` in
    [0, 1): 1 for a stimulus that repeats exactly after ``L``, the event
    rate for events that do not recur.  At each block the band's most
    reliable lag ``L*`` predicts ``p = r_L* o~[t - L*]``: an exact loop is
    absorbed once it has recurred a few times, a metronome after a few
    beats, and music whose bars vary is predicted only as far as its bars
    recur.  It learns from scratch for each stimulus and only from what
    arrived (no weights, no pre-training).

    Parameters
    ----------
    n_bands : int
        Number of bands.
    frame_rate_hz : float
        Rate of the sink frames.
    min_lag_s, max_lag_s : float
        Range of recurrence periods (s).
    tau_s : float
        Time constant of the reliability sums (s).
    prior_events : float
        Regulariser of the reliability, in events: a lag must be confirmed
        by several recurring events before it predicts.
    block_frames : int
        The best lag is chosen every ``block_frames`` frames (counted from
        the start of the stimulus, so any split of the input gives the same
        result).

    Examples
    --------
    >>> sink = RecurrenceSink(n_bands=1, frame_rate_hz=43.0, max_lag_s=2.0)
    >>> o = np.zeros((1, 860)); o[0, ::43] = 1.0
    >>> p = sink.process(o)
    >>> bool(p[0, -43] > 0.8), float(p[0, -40])
    (True, 0.0)
    """

    def __init__(
        self,
        *,
        n_bands: int = 8,
        frame_rate_hz: float = 43.066,
        min_lag_s: float = 0.1,
        max_lag_s: float = 12.0,
        tau_s: float = 8.0,
        prior_events: float = 1.0,
        block_frames: int = 16,
    ):
        check_int("n_bands", n_bands, low=1)
        check_float("frame_rate_hz", frame_rate_hz, low=0.0, low_inclusive=False)
        check_float("min_lag_s", min_lag_s, low=0.0, low_inclusive=False)
        check_float("max_lag_s", max_lag_s, low=min_lag_s, low_inclusive=False)
        check_float("tau_s", tau_s, low=0.0, low_inclusive=False)
        check_float("prior_events", prior_events, low=0.0, low_inclusive=False)
        check_int("block_frames", block_frames, low=1)
        self.n_bands = n_bands
        self.frame_rate_hz = frame_rate_hz
        self.min_lag_s = min_lag_s
        self.max_lag_s = max_lag_s
        self.tau_s = tau_s
        self.prior_events = prior_events
        self.block_frames = block_frames
        # Lags of at least 3 frames: the widened past never holds the frame itself.
        self.lag_min_ = max(3, int(round(min_lag_s * frame_rate_hz)))
        self.lag_max_ = max(self.lag_min_, int(round(max_lag_s * frame_rate_hz)))
        self.lags_ = np.arange(self.lag_min_, self.lag_max_ + 1)
        self.decay_ = float(np.exp(-1.0 / (tau_s * frame_rate_hz)))
        self.reset()

    def reset(self) -> None:
        """Blank state: no history, no reliabilities."""
        B, n_l = self.n_bands, self.lags_.size
        self._hist = np.zeros((B, self.lag_max_ + 1))
        self._agree = np.zeros((B, n_l))
        self._present = np.zeros((B, n_l))
        self._frame = 0
        self._best = np.zeros(B, dtype=int)
        self._r = np.zeros(B)

    @property
    def reliability(self) -> np.ndarray:
        """Reliability of each band's current best lag, shape (n_bands,)."""
        return self._r.copy()

    def process(self, o: np.ndarray) -> np.ndarray:
        """Predict each frame from its recurrence, then learn from it.

        Parameters
        ----------
        o : ndarray, shape (n_bands, n)
            Event strength in [0, 1] per band and sink frame.

        Returns
        -------
        ndarray, shape (n_bands, n)
            Predicted event strength, made before each frame arrived.  The
            reliability of the lag used for each frame is left in
            ``reliability_`` (same shape).
        """
        o = np.asarray(o, dtype=float)
        n = o.shape[1]
        out = np.empty_like(o)
        self.reliability_ = np.empty_like(o)
        start = 0
        while start < n:
            if self._frame % self.block_frames == 0:
                self._choose()
            stop = min(n, start + self.block_frames - self._frame % self.block_frames)
            out[:, start:stop] = self._chunk(o[:, start:stop])
            self.reliability_[:, start:stop] = self._r[:, None]
            self._frame += stop - start
            start = stop
        return out

    def _choose(self) -> None:
        r = self._agree / (self._present + self.prior_events)
        self._best = np.argmax(r, axis=1)
        self._r = r[np.arange(self.n_bands), self._best]

    def _chunk(self, o: np.ndarray) -> np.ndarray:
        B, m = o.shape
        H = self.lag_max_ + 1
        lo, hi = self.lag_min_, self.lag_max_
        full = np.concatenate([self._hist, o], axis=1)  # frame H + j is o[:, j]
        # Widened past: max over frames k-1, k, k+1 (k+1 <= t - 2 for lags >= 3).
        wide = np.maximum(np.maximum(full[:, :-2], full[:, 1:-1]), full[:, 2:])  # index k -> frame k+1
        n_l = hi - lo + 1
        # past[:, j, i] = full[:, H + j - lags[i]] (views, lags ascending).
        past = sliding_window_view(full[:, H - hi : H + m - lo], n_l, axis=1)[:, :, ::-1]
        past_w = sliding_window_view(wide[:, H - hi - 1 : H + m - lo - 1], n_l, axis=1)[:, :, ::-1]
        pred = self._r[:, None] * past_w[np.arange(B), :, self._best]  # (B, m)
        now = o[:, :, None]
        a = self.decay_
        w = a ** np.arange(m - 1, -1, -1)
        self._agree = a**m * self._agree + np.einsum("bml,m->bl", np.minimum(now, past_w), w)
        self._present = a**m * self._present + np.einsum("bml,m->bl", np.maximum(now, past), w)
        self._hist = full[:, -H:]
        return pred


class ModulationSink:
    """A sink that learns the modulation spectrum each band is expected to have.

    The onset sinks predict *events*; this sink predicts the *modulation*
    of each band's envelope: for every band and modulation rate, the
    (transduced) modulation power of the next model step.  Its expectation
    is learned by the delta rule from its own prediction errors (Rescorla &
    Wagner 1972), ``u_hat += eta (u - u_hat)`` once per step, starting blank
    (``u_hat = 0``) for each stimulus, with ``eta = 1 - exp(-step_s / tau_s)``:
    a leaky memory of the modulation heard over the last ``tau_s``.

    What passes is the prediction error of both signs, ``|u - u_hat|``: more
    modulation than expected, and expected modulation that did not come
    (the two signs of the onset sinks' errors).  A modulation that stays the
    same -- a click track, a steady amplitude modulation, a beating drone --
    is absorbed over ``tau_s`` (it habituates); the modulation of music,
    whose notes, instruments and accents keep changing the modulation
    spectrum of each band from step to step, keeps passing as it changes.

    Parameters
    ----------
    n_bands, n_rates : int
        Bands and modulation rates.
    step_s : float
        Duration of one step (s).
    tau_s : float
        Memory of the expectation (s).

    Examples
    --------
    >>> sink = ModulationSink(n_bands=1, n_rates=1, step_s=0.37, tau_s=8.0)
    >>> u = np.full((1, 1, 200), 0.5)                 # a steady modulation
    >>> err = sink.process(u)
    >>> round(float(err[0, 0, 0]), 2), bool(err[0, 0, -1] < 0.01)
    (0.5, True)
    """

    def __init__(self, *, n_bands: int, n_rates: int, step_s: float, tau_s: float = 8.0):
        check_int("n_bands", n_bands, low=1)
        check_int("n_rates", n_rates, low=1)
        check_float("step_s", step_s, low=0.0, low_inclusive=False)
        check_float("tau_s", tau_s, low=0.0, low_inclusive=False)
        self.n_bands = n_bands
        self.n_rates = n_rates
        self.step_s = step_s
        self.tau_s = tau_s
        self.eta_ = float(-np.expm1(-step_s / tau_s))
        self.reset()

    def reset(self) -> None:
        """Blank expectation (no modulation expected)."""
        self.expected_ = np.zeros((self.n_bands, self.n_rates))

    def process(self, u: np.ndarray) -> np.ndarray:
        """Prediction error of the next steps, then learn from them.

        Parameters
        ----------
        u : ndarray, shape (n_bands, n_rates, n)
            Modulation power per band, rate and step (>= 0).

        Returns
        -------
        ndarray, shape (n_bands, n_rates, n)
            ``|u - u_hat|``, with ``u_hat`` the expectation held before
            each step arrived.
        """
        u = np.asarray(u, dtype=float)
        if u.shape[2] == 0:
            return np.zeros_like(u)
        a = 1.0 - self.eta_
        # after[:, :, i] is the expectation once step i has been learned.
        after, _ = lfilter([self.eta_], [1.0, -a], u, axis=2, zi=(a * self.expected_)[:, :, None])
        before = np.concatenate([self.expected_[:, :, None], after[:, :, :-1]], axis=2)
        self.expected_ = after[:, :, -1].copy()
        return np.abs(u - before)
