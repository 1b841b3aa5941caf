"""What the sinks absorb of the events, and the prediction error that passes.

:class:`OnsetAbsorption` composes the onset sinks of one stimulus: the band
sinks (:class:`~resonance.expectation.sinks.OnsetSinks`), the optional
recurrence sink (:class:`~resonance.expectation.loops.SectionRecurrence`),
the timing tolerance and the sinks' precision
(:class:`~resonance.expectation.precision.SinkPrecision`).

What a sink predicted is absorbed: the arrived strength up to the predicted
strength.  What passes is the prediction error -- an onset that came
unexpected, and an expected one that did not come (placed at the frame where
it was due) -- as precision-weighted squared error, the form of
prediction-error energy in predictive coding (Friston 2005: precision x
error^2).  The precision of a rhythmic error is the metre model's certainty
(Feldman & Friston 2010; Vuust & Witek 2014; Koelsch, Vuust & Friston 2019):
a syncopation against a sure metre carries energy, onsets that no metre
explains carry little, and the small residual errors of a learned metronome
carry almost none.  The band sink's own realised precision (its information
gain over the event rate) multiplies in only with
``ModelConfig.sink_precision_exponent > 0``: it weights down exactly the drive
that the sinks cannot read, which on recorded mixes (sink precision
0.002-0.14) removed most of the onset path (docs/model.md, "Why recorded
mixes scored low").
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from .._pool import pool_max
from .loops import SectionRecurrence, _section_block
from .precision import SinkPrecision
from .sinks import OnsetSinks, TimingTolerance, _learn, _output, _predict, _window_counts, combine_predictions

__all__ = ["OnsetAbsorption"]


@njit(cache=True, nogil=True)
def _novelty(full, j0, m, lag, seen, jnd, a, novel):  # pragma: no cover - compiled
    """The novelty sum after frames ``j0 .. j0 + m - 1`` of ``full`` (see ``_learn_with_recurrence``)."""
    B = full.shape[0]
    acc = novel * a**m
    w = a ** (m - 1)
    for t in range(m):
        if seen + t >= lag:
            j = j0 + t
            k = j - lag
            s = 0.0
            for b in range(B):
                past = max(full[b, k - 1], max(full[b, k], full[b, k + 1]))
                d = full[b, j] - past - (1.0 - past) * jnd
                if d > 0.0:
                    s += d * d
            acc += w * s
        w /= a
    return acc


@njit(cache=True, nogil=True)
def _gated_blocks(ext, ext_all, first, spb, n_blocks, w, b, count, learning_rate, decay, rfull, rpos, lag_lo, lag_hi,
                  agree, present, rec_decay, prior, state, full, j_full, jnd, novel, seen, p_all, pred,
                  recurring):  # pragma: no cover - compiled
    """Whole learning blocks of :meth:`OnsetAbsorption._learn_with_recurrence`, in one compiled call.

    Block ``k`` is frames ``first + k spb ..`` of the band sinks' record
    ``ext`` (``ext_all`` its band mean), column ``rpos + k spb`` of the
    recurrence sink's work space ``rfull`` and ``j_full + k spb`` of the
    events' record ``full``.  Each block runs the steps of the per-block
    form in the same order with the same arithmetic (the same compiled
    kernels, whose sums are added in an order written out, so the same bits
    here as called alone): the band sinks predict (``_predict``); the novelty gate
    ``g``; the recurrence sink predicts from and learns the residual
    ``max(o - p, 0)`` (``_section_block``), its prediction weighted by
    ``1 - g``; the novelty sum (``_novelty``); the band sinks learn with
    weight decay ``max(1e-4, g decay)`` (``_learn``).  Fills ``p_all``,
    ``pred`` and ``recurring``, updates the weights and the recurrence
    state in place; returns the novelty sum, the frames seen and the last
    weight decay.

    Numba compiles the kernels of sinks.py and loops.py into this one and
    keys its on-disk cache on this file only: after editing those kernels,
    delete ``__pycache__/absorption._gated_blocks*`` (an installed copy is
    compiled afresh).
    """
    B = ext.shape[0]
    rp = np.empty((B, spb))
    l2 = 0.0
    for k in range(n_blocks):
        f0 = first + k * spb
        p = _predict(ext, ext_all, f0, f0 + spb, w, b)
        g = novel / (novel + prior)
        j0 = rpos + k * spb
        for band in range(B):
            for t in range(spb):
                p_all[band, k * spb + t] = p[band, t]
                r = ext[band, f0 + t] - p[band, t]
                if not (r >= 0.0 or r != r):  # np.maximum(r, 0.0), NaN kept
                    r = 0.0
                rfull[band, j0 + t] = r
        _section_block(rfull, j0, spb, lag_lo, lag_hi, agree, present, rec_decay, prior, True, state, rp)
        keep = 1.0 - g
        for band in range(B):
            for t in range(spb):
                pred[band, k * spb + t] = rp[band, t] * keep
            recurring[band, k] = keep * state[1]
        lag = lag_lo + int(state[0])
        novel = _novelty(full, j_full + k * spb, spb, lag, seen, jnd, rec_decay, novel)
        seen += spb
        l2 = max(1e-4, g * decay)
        _learn(ext, ext_all, f0, p, count, learning_rate, l2, w, b)
    return novel, seen, l2


def _forgetting(tau_s: float, *, block_s: float) -> float:
    """Weight decay per learning block of the band sinks for a forgetting time constant ``tau_s`` (0: 1e-4)."""
    return 1e-4 if tau_s <= 0 else float(-np.expm1(-block_s / tau_s))


class OnsetAbsorption:
    """Streaming absorption of the events by the onset sinks.

    Parameters
    ----------
    frame_rate_hz : float
        Envelope frame rate of the events.
    pool : int
        Envelope frames per sink frame (events are max-pooled to it).
    step : int
        Envelope frames per model step.
    config : ModelConfig
        ``n_bands``, ``sink_memory_s``, ``sink_learning_rate``,
        ``sink_tolerance_frames``, ``recurrence_*`` (the recurrence sink is
        off when ``recurrence_max_lag_s <= 0``) and ``precision_tau_s``.
    """

    def __init__(self, *, frame_rate_hz: float, pool: int, step: int, config):
        self.frame_rate_hz = frame_rate_hz
        self.pool = pool
        self.step = step
        self.config = config
        self.reset()

    def reset(self) -> None:
        """Start a new stimulus: every sink blank."""
        cfg = self.config
        B = cfg.n_bands
        fr, pool, step = self.frame_rate_hz, self.pool, self.step
        self._sinks = OnsetSinks(
            n_bands=B,
            frame_rate_hz=fr / pool,
            memory_s=cfg.sink_memory_s,
            learning_rate=cfg.sink_learning_rate,
            block_frames=step // pool,
            l2_decay=_forgetting(cfg.sink_forgetting_tau_s, block_s=step / fr),
        )
        self._tol = TimingTolerance(n_bands=B, tolerance_frames=cfg.sink_tolerance_frames)
        self._rec = None if cfg.recurrence_max_lag_s <= 0 else SectionRecurrence(
            n_bands=B, frame_rate_hz=fr / pool, min_lag_s=cfg.recurrence_min_lag_s,
            max_lag_s=cfg.recurrence_max_lag_s, tau_s=cfg.recurrence_tau_s,
            prior_events=cfg.recurrence_prior_events, block_frames=step // pool,
        )
        self._decay = _forgetting(cfg.sink_forgetting_tau_s, block_s=step / fr)
        self._gate = self._rec is not None and cfg.sink_forgetting_tau_s > 0
        if self._gate:
            self._raw = np.zeros((B, self._rec.lag_max_ + 2))
            self._novel = 0.0
            self._seen = 0
            self._jnd = float(-np.expm1(-cfg.onset_jnd_db / cfg.onset_scale_db))
        self._precision = SinkPrecision(frame_s=pool / fr, tau_s=cfg.precision_tau_s, repeat=pool)
        # Whole blocks in one compiled call (_learn_blocks); False: block by
        # block through the sinks' callback (the plain form it must equal).
        self._fused = True

    def _learn_with_recurrence(self, pooled: np.ndarray, n_steps: int):
        """Band sinks and recurrence sink block by block, the band sinks' forgetting gated by novelty.

        Before each learning block the band sinks' weights decay by
        ``g (1 - exp(-block / sink_forgetting_tau_s))`` (at least 1e-4), with
        ``g = N / (N + recurrence_prior_events)`` and ``N`` the novelty of
        the recent sound: a leaky sum (``recurrence_tau_s``) over frames and
        bands of the squared event strength that did not recur one
        recurrence period ago (the recurrence sink's current lag; the past
        widened by one frame, its timing tolerance; strength differences
        within the intensity JND not counted).  Squared, as the sinks'
        prediction errors are: what matters is whole new events, not the
        small differences of strength that the sink-frame grid leaves
        between two exact repetitions.  Sound that recurs exactly as a
        section (a loop) has ``N ~ 0`` and is kept, so the band sinks keep
        learning it; sound with new events (a varied groove) is forgotten
        over the span of auditory sensory memory.  Frames with no past one
        lag ago (the opening) add no novelty.  The recurrence sink's
        prediction (and the share of modulation it absorbs) is weighted by
        ``1 - g``: it predicts from one period ago as far as the sound has
        been recurring without new events, so it learns a loop and leaves a
        varied groove, whose steady backbeat it would otherwise take for a
        recurrence while the band sinks are still learning it, to the band
        sinks.  Blocks follow the stimulus clock, so any split of the input
        gives the same result.
        """
        B = pooled.shape[0]
        spb = self.step // self.pool
        rec = self._rec
        H = self._raw.shape[1]
        full = np.concatenate([self._raw, pooled], axis=1)  # frame H + j is pooled[:, j]
        if not self._sinks._ready:
            self._sinks._setup()
        if self._fused and self._sinks._pending.shape[1] == 0 and rec._frame % spb == 0:
            return self._learn_blocks(pooled, n_steps, full)
        pred = np.empty_like(pooled)
        recurring = np.zeros((B, n_steps))
        k = 0

        def before_learning(p, o):
            nonlocal k
            g = self._novel / (self._novel + rec.prior_events)
            span = slice(k * spb, (k + 1) * spb)
            # The recurrence sink learns what the band sinks leave
            # unpredicted (resonance.expectation.loops).
            # It predicts from one period ago as far as the sound has been
            # recurring without new events: fully for a loop, hardly in varied music.
            residual = o - p
            np.maximum(residual, 0.0, out=residual)
            np.multiply(rec.process(residual), 1.0 - g, out=pred[:, span])
            recurring[:, k] = (1.0 - g) * rec.reliability_[:, -1]
            lag = int(rec.lags_[rec._best[0]])
            self._novel = _novelty(full, H + k * spb, spb, lag, self._seen, self._jnd, rec.decay_, self._novel)
            self._seen += spb
            k += 1
            return max(1e-4, g * self._decay)

        p = self._sinks.process(pooled, before_learning=before_learning).p
        self._raw = full[:, -H:]
        # The recurrence sink adds its expectation to the band sinks'.
        return _output(pooled, np.maximum(p, np.minimum(p + pred, 1.0))), recurring

    def _learn_blocks(self, pooled: np.ndarray, n_steps: int, full: np.ndarray):
        """:meth:`_learn_with_recurrence` for whole blocks on the stimulus clock, in one compiled call.

        The per-block steps of the band sinks, the novelty gate and the
        recurrence sink run in ``_gated_blocks`` instead of a Python loop
        with a callback: the same arithmetic in the same order, the same
        results bit for bit (tests/test_absorption.py), without the Python
        overhead of some 11 blocks' small calls per second of audio.
        """
        sinks, rec = self._sinks, self._rec
        B, n = pooled.shape
        spb = self.step // self.pool
        H = self._raw.shape[1]
        L = sinks.n_lags_
        ext = np.concatenate([sinks._hist, pooled], axis=1)  # the sinks' record (nothing pending)
        ext_all = ext.mean(axis=0)
        rfull, rpos = rec._room(n)
        p_all = np.empty((B, n))
        pred = np.empty((B, n))
        recurring = np.empty((B, n_steps))
        self._novel, self._seen, l2 = _gated_blocks(
            ext, ext_all, L, spb, n_steps, sinks.w_, sinks.b_, _window_counts(L, spb), sinks.learning_rate,
            self._decay, rfull, rpos, rec.lag_min_, rec.lag_max_, rec._agree[0], rec._present[0], rec.decay_,
            rec.prior_events, rec._state, full, H, self._jnd, self._novel, self._seen, p_all, pred, recurring,
        )
        if n_steps:
            sinks.l2_decay = l2
        sinks._hist = ext[:, n : n + L].copy()
        sinks._pending = ext[:, L + n :].copy()
        rec._pos = rpos + n
        rec._best[:] = int(rec._state[0])
        rec._r[:] = rec._state[1]
        rec.reliability_ = np.full((B, spb), rec._state[1])
        rec._frame += n
        self._raw = full[:, -H:]
        p = _output(pooled, p_all).p
        return _output(pooled, np.maximum(p, np.minimum(p + pred, 1.0))), recurring

    def process(self, o: np.ndarray, certainty: np.ndarray):
        """Absorb the next model steps' events.

        Parameters
        ----------
        o : ndarray, shape (B, n_env)
            Event strength per band and envelope frame, a whole number of
            model steps.
        certainty : ndarray, shape (n_env / pool,)
            The metre model's certainty per sink frame.

        Returns
        -------
        error : ndarray, shape (B, n_env)
            Precision-weighted squared prediction error (unexpected onsets
            and omitted expected ones).
        predicted : ndarray, shape (B, n_env)
            The arrived strength up to the predicted strength (absorbed).
        recurring : ndarray, shape (B, n_env / step)
            Reliability of the recurrence sink per step (0 when it is off).
        """
        B = o.shape[0]
        pool = self.pool
        n_steps = o.shape[1] // self.step
        # Sinks on pooled events (43 Hz), predictions held over each pool.
        pooled = pool_max(o, pool)
        recurring = np.zeros((B, n_steps))
        if self._rec is None:
            # Without the recurrence sink the band sinks forget at the plain
            # time constant (sink_forgetting_tau_s; 0: ~an hour).
            sink_out = self._sinks.process(pooled)
        elif not self._gate:
            sink_out = self._sinks.process(pooled)
            # The recurrence sink predicts from the period at which the stimulus
            # repeats itself (a loop, a metronome); the surer sink wins.
            # It learns what the band sinks leave unpredicted (the level
            # above them: resonance.expectation.loops) and adds its expectation to theirs.
            residual = np.maximum(pooled - sink_out.p, 0.0)
            sink_out = combine_predictions(sink_out, np.minimum(sink_out.p + self._rec.process(residual), 1.0))
            recurring = self._rec.reliability_.reshape(B, n_steps, -1).mean(axis=2)
        else:
            sink_out, recurring = self._learn_with_recurrence(pooled, n_steps)
        # Expectations are matched within the timing tolerance (sinks.py).
        expected, omitted_s = self._tol.process(sink_out.o, sink_out.p)
        p = np.repeat(expected, pool, axis=1)
        # The precision of a rhythmic error is the metre model's certainty;
        # the band sinks' own realised precision weighs in only with
        # sink_precision_exponent > 0 (config.py; docs/model.md).
        precision = np.repeat(certainty, pool)[None, :]
        if self.config.sink_precision_exponent > 0.0:
            precision = precision * self._precision.process(sink_out) ** self.config.sink_precision_exponent
        predicted = np.minimum(o, p)
        omitted = np.zeros_like(o)
        omitted[:, ::pool] = omitted_s
        error = ((o - predicted) ** 2 + omitted**2) * precision
        return error, predicted, recurring
