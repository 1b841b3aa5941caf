"""Metre: an online posterior over tempo and beat phase (forward-only bar pointer).

The listener's model of pulse and metre (MODEL.md 2, item 7) is a hidden
Markov model in the manner of the bar-pointer model of Whiteley, Cemgil &
Godsill (2006) with the efficient state space of Krebs, Böck & Widmer (2015),
run *forward only* (filtering, never smoothing): at every frame the model
knows only the past.

* **State.**  A pointer that moves through a cycle of a few beats, one
  position per frame.  Each tempo is a cycle of ``N`` frames holding ``k``
  beats (integers), so the pointer's position fixes the beat phase and
  ``N / k`` the beat period; cycles of at least ``min_cycle_s`` give a tempo
  grid of about 1 % at every rate, where one beat per cycle would give 7 %
  at 180 BPM and 43 frames/s.
* **Transitions.**  The pointer advances one position per frame.  At the end
  of a cycle the tempo may change, with probability falling as
  ``exp(-lambda |N_i / N_j - 1|)`` (Krebs, Böck & Widmer 2015, lambda = 100).
* **Prior over tempo.**  The resonance curve of the perceptual-motor pulse
  (van Noorden & Moelants 1999; peak near 2 Hz) sets the initial
  distribution over tempi and weighs every cycle (``prior_weight``): where
  the evidence leaves two metrical levels nearly tied (a groove's beat and
  its eighth-note hi-hats) the preferred rate wins; the evidence of an
  isochronous sequence is stronger and wins against it.
* **Observation.**  A metrical expectation: the probability of an onset in a
  frame depends on where the frame falls in the beat -- high on the beat,
  lower on the half beat, lower still on the quarter beat, a small floor
  elsewhere (the metrical hierarchy of Lerdahl & Jackendoff 1983 and the
  event frequencies by metrical position of Palmer & Krumhansl 1990).  Each
  frame's event strength ``o`` in [0, 1] is scored as a soft Bernoulli,
  ``q ** o * (1 - q) ** (1 - o)``: an expected beat that stays silent
  costs ``log (1 - q)`` -- omitted beats are evidence too.

The predictive probability of an onset in the next frame,
``p = sum_s P(s | past) q(s)``, gives the rhythmic surprise (information
content of what arrived, bits) and uncertainty (entropy of the prediction,
bits), as in IDyOM (Pearce 2005).  The **metre certainty** is the geometric
mean of (1) the concentration of the beat phase the posterior predicts
``horizon_s`` ahead (the length of its mean resultant vector, Fisher 1993)
and (2) the realised gain of the model's predictions over the onset rate
alone, ``1 - <IC_model> / <IC_rate>`` over ``certainty_tau_s``: 1 when the
model is sure where the coming beats fall and has been right, near 0 when
onsets leave the phase undetermined (random onsets, or so much syncopation
that no metre explains them).  The scorer uses it as the precision of
rhythmic prediction errors (Vuust & Witek 2014; Koelsch, Vuust & Friston
2019).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..dynamics import effective_pulse_response
from ..validation import check_float, check_int

__all__ = ["MetreModel", "MetreOutput"]

_EPS = 1e-6


def _h2(p: float) -> float:
    """Binary entropy (bits) relative to its maximum of 1 bit."""
    p = min(max(p, _EPS), 1.0 - _EPS)
    return -(p * np.log2(p) + (1.0 - p) * np.log2(1.0 - p))


def _ic(p: float, o: float) -> float:
    """Information content (bits) of event strength ``o`` under probability ``p``."""
    return -(o * np.log2(p) + (1.0 - o) * np.log2(1.0 - p))


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product without BLAS (whose threads cost more than they save here)."""
    return float(np.einsum("i,i->", a, b))


@dataclass
class MetreOutput:
    """What the metre model made of one block of frames.

    Attributes
    ----------
    o : ndarray, shape (n,)
        Accent (combined event strength, in [0, 1]) of each frame.
    p : ndarray, shape (n,)
        Predicted probability of an onset in each frame, made before it arrived.
    surprise_bits, entropy_bits : ndarray, shape (n,)
        Information content of what arrived and entropy of the prediction.
    certainty : ndarray, shape (n,)
        Metre certainty after each frame, in [0, 1].
    p_metre : ndarray, shape (n,)
        The metrical template's own prediction (long-term part of ``p``).
    """

    o: np.ndarray
    p: np.ndarray
    surprise_bits: np.ndarray
    entropy_bits: np.ndarray
    certainty: np.ndarray
    p_metre: np.ndarray


class MetreModel:
    """Forward-only bar-pointer model of tempo and beat phase (streaming).

    Parameters
    ----------
    frame_rate_hz : float
        Rate of the frames passed to :meth:`process` (Hz).
    min_bpm, max_bpm : float
        Range of beat rates the model considers.  40-200 BPM covers the
        range of perceived pulse (0.67-3.3 Hz; London 2012, ch. 2 puts the
        limits of metrical entrainment near 30 and 240 BPM) with a margin
        around the 50-180 BPM the model must find.
    prior_weight : float
        Exponent of the pulse resonance applied as a preference at every
        cycle of the pointer (about every 2.5 s): the log-preference between
        two rates an octave apart is 1-1.4 nats per cycle, less than the
        evidence an isochronous train gives against the wrong octave (about
        2 nats per second), more than a hi-hat's eighth notes give for the
        double tempo (engineering choice: 2).
    tempo_step : float
        Relative spacing of the tempo grid (1 %: a quarter of the 4 %
        accuracy asked of a pulse estimate; engineering choice).
    min_cycle_s : float
        Shortest cycle of the pointer (s).  A cycle holds a whole number of
        beats and of frames; the longer it is, the finer the tempi it can
        represent (engineering choice: 2.4 s gives about one frame in 100).
        The observation model treats every beat alike, so the cycle does
        not impose a bar.
    tempo_lambda : float
        Tempo-change sharpness (Krebs, Böck & Widmer 2015 use 100).
    prior_period_s, prior_damping_ratio : float
        The van Noorden & Moelants (1999) pulse resonance used as the prior
        over tempo (their fit: 0.5 s, damping 0.3 -- literature values).
    beat_prob, half_prob, quarter_prob, floor_prob : float
        Probability of an onset on the beat, half beat, quarter beat, and
        anywhere else (per frame).  Engineering choices ordered as the
        metrical hierarchy (Palmer & Krumhansl 1990 find event frequency
        falls from beat to half beat to quarter beat in Western music).
    timing_sd_s : float
        Standard deviation of onset timing around a metrical position (s).
        15 ms: the timing variability of tapping to a metronome (Repp 2005,
        SD of asynchronies ~10-20 ms) -- literature value.
    accent_tau_s : float
        Decay time of the running peak that normalises the accent
        (engineering choice: a few beats).
    certainty_tau_s : float
        Averaging time of the certainty (s).
    horizon_s : float
        The certainty is the concentration of the beat phase each state
        predicts this far ahead (s).  Right after an onset every
        hypothesis agrees that a beat just passed; only a model that also
        knows the tempo knows where the beats of the next second fall
        (engineering choice: 1 s, two beats at the preferred rate).
    n_bins : int
        Positions within the beat at which the short-term memory counts
        onsets (16: finer than a 32nd note at any tempo up to 200 BPM at
        43 frames/s; engineering choice).
    stm_bias : float
        Exponent ``b`` of the entropy weights that combine the long- and
        short-term predictions (Pearce 2005, weighted arithmetic mean;
        engineering choice: 1).

    Examples
    --------
    >>> m = MetreModel(frame_rate_hz=43.066)
    >>> o = np.zeros((1, 860)); o[0, ::22] = 1.0   # ~117 BPM
    >>> out = m.process(o)
    >>> bool(out.certainty[-1] > 0.5)
    True
    """

    def __init__(
        self,
        *,
        frame_rate_hz: float = 43.066,
        min_bpm: float = 40.0,
        max_bpm: float = 200.0,
        prior_weight: float = 2.0,
        tempo_step: float = 0.01,
        min_cycle_s: float = 2.4,
        tempo_lambda: float = 100.0,
        prior_period_s: float = 0.5,
        prior_damping_ratio: float = 0.3,
        beat_prob: float = 0.9,
        half_prob: float = 0.15,
        quarter_prob: float = 0.06,
        floor_prob: float = 0.01,
        timing_sd_s: float = 0.015,
        accent_tau_s: float = 3.0,
        certainty_tau_s: float = 2.0,
        horizon_s: float = 1.0,
        n_bins: int = 16,
        stm_bias: float = 1.0,
    ):
        self.frame_rate_hz = frame_rate_hz
        self.min_bpm = min_bpm
        self.max_bpm = max_bpm
        self.prior_weight = prior_weight
        self.tempo_step = tempo_step
        self.min_cycle_s = min_cycle_s
        self.tempo_lambda = tempo_lambda
        self.prior_period_s = prior_period_s
        self.prior_damping_ratio = prior_damping_ratio
        self.beat_prob = beat_prob
        self.half_prob = half_prob
        self.quarter_prob = quarter_prob
        self.floor_prob = floor_prob
        self.timing_sd_s = timing_sd_s
        self.accent_tau_s = accent_tau_s
        self.certainty_tau_s = certainty_tau_s
        self.horizon_s = horizon_s
        self.n_bins = n_bins
        self.stm_bias = stm_bias
        self._ready = False

    # -- set-up -----------------------------------------------------------------
    def _setup(self) -> None:
        fr = check_float("frame_rate_hz", self.frame_rate_hz, low=1.0, high=1000.0)
        lo = check_float("min_bpm", self.min_bpm, low=10.0, high=400.0)
        hi = check_float("max_bpm", self.max_bpm, low=lo, high=600.0, low_inclusive=False)
        check_float("prior_weight", self.prior_weight, low=0.0, high=10.0)
        check_float("tempo_step", self.tempo_step, low=1e-3, high=0.2)
        check_float("min_cycle_s", self.min_cycle_s, low=0.0, high=20.0)
        check_float("tempo_lambda", self.tempo_lambda, low=0.0)
        for name in ("beat_prob", "half_prob", "quarter_prob", "floor_prob"):
            check_float(name, getattr(self, name), low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        sd = check_float("timing_sd_s", self.timing_sd_s, low=0.0, high=0.2, low_inclusive=False)
        check_float("accent_tau_s", self.accent_tau_s, low=0.01)
        check_float("certainty_tau_s", self.certainty_tau_s, low=0.01)
        check_float("horizon_s", self.horizon_s, low=0.0, high=10.0)
        check_int("n_bins", self.n_bins, low=1, high=96)
        check_float("stm_bias", self.stm_bias, low=0.0, high=16.0)
        # Tempo grid: geometric in steps of ``tempo_step``; each tempo's cycle
        # holds as many beats as make it at least ``min_cycle_s`` long, so
        # that an integer number of frames per cycle resolves the tempo
        # finely at every rate.
        n_tempi = int(np.ceil(np.log(hi / lo) / np.log1p(self.tempo_step))) + 1
        grid = np.geomspace(lo, hi, n_tempi)
        beat_frames = 60.0 * fr / grid
        beats = np.maximum(np.ceil(self.min_cycle_s * fr / beat_frames), 1).astype(int)
        pairs = sorted(set(zip(np.round(beats * beat_frames).astype(int).tolist(), beats.tolist())),
                       key=lambda nb_: nb_[1] * 60.0 * fr / nb_[0])
        lengths = np.array([n_ for n_, _ in pairs])
        n_beats = np.array([b_ for _, b_ in pairs])
        self.cycle_frames_ = lengths
        self.cycle_beats_ = n_beats
        self.bpm_ = n_beats * 60.0 * fr / lengths
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        self._starts = starts
        self._ends = starts + lengths - 1
        n_states = int(lengths.sum())
        tempo_of = np.repeat(np.arange(lengths.size), lengths)
        pos = np.arange(n_states) - starts[tempo_of]
        self._tempo_of = tempo_of
        beat_frames = (lengths / n_beats)[tempo_of]
        phase = (pos / beat_frames) % 1.0  # beat phase of each state, [0, 1)
        beat_s = beat_frames / fr
        # Metrical expectation: per-frame onset probability at each state.
        frame_s = 1.0 / fr
        q = np.full(n_states, self.floor_prob)
        for level, prob in ((4, self.quarter_prob), (2, self.half_prob), (1, self.beat_prob)):
            x = phase * level
            dist_s = np.abs(x - np.round(x)) * beat_s / level
            mass = frame_s / (sd * np.sqrt(2.0 * np.pi)) * np.exp(-0.5 * (dist_s / sd) ** 2)
            q = np.maximum(q, prob * np.minimum(mass, 1.0))
        q = np.clip(q, _EPS, 1.0 - _EPS)
        # The filter runs in float32: half the memory traffic per frame, and
        # ample precision for a distribution renormalised every frame.
        self._q = q.astype(np.float32)
        self._log1q = np.log1p(-q).astype(np.float32)
        self._bin_of = np.floor(phase * self.n_bins + 0.5).astype(int) % self.n_bins
        self._logit = (np.log(q) - np.log1p(-q)).astype(np.float32)
        # Certainty is judged on where each state puts the beat
        # ``horizon_s`` ahead: a sure phase with an unsure tempo is unsure.
        ahead = phase + self.horizon_s / beat_s
        self._cossin = np.stack([np.cos(2.0 * np.pi * ahead), np.sin(2.0 * np.pi * ahead)]).astype(np.float32)
        # Tempo transitions at the end of a cycle (column j: from tempo j).
        period = lengths / n_beats
        ratio = period[:, None] / period[None, :]
        A = np.exp(-self.tempo_lambda * np.abs(ratio - 1.0))
        A[np.abs(ratio - 1.0) > 0.2] = 0.0
        self._A = A / A.sum(axis=0, keepdims=True)
        # Prior over tempo: the pulse resonance (only its positive part).
        g = effective_pulse_response(
            self.bpm_ / 60.0, period_s=self.prior_period_s, damping_ratio=self.prior_damping_ratio
        )
        g = np.maximum(g, 0.05 * g.max())
        self.tempo_prior_ = g / g.sum()
        # The preference acts at every cycle (weights < 1 drain mass from
        # the less preferred rates; the posterior is renormalised each frame).
        self._A = (self._A * ((g / g.max()) ** self.prior_weight)[:, None]).astype(np.float32)
        self._accent_a = float(np.exp(-1.0 / (fr * self.accent_tau_s)))
        self._cert_a = float(np.exp(-1.0 / (fr * self.certainty_tau_s)))
        self._ready = True
        self.reset()

    def reset(self) -> None:
        """Return to the prior: no tempo or phase known."""
        if not self._ready:
            self._setup()
            return
        lengths = self.cycle_frames_
        # Uniform phase within each tempo; the tempo prior spread over its positions.
        self._alpha = np.repeat(self.tempo_prior_ / lengths, lengths).astype(np.float32)
        self._peak = 1.0
        self._last = np.zeros(2)
        self._n1 = np.zeros(self.n_bins)
        self._n = np.zeros(self.n_bins)
        self._r = 0.0
        self._r_now = 0.0
        self._ic_model = 0.0
        self._ic_rate = 0.0
        self._rate = self.floor_prob
        self.tempo_evidence_ = np.zeros(lengths.size)
        self.n_frames_ = 0

    # -- streaming ----------------------------------------------------------------
    def accent(self, o_bands: np.ndarray) -> np.ndarray:
        """Combined event strength (accent) of each frame, in [0, 1], updating the running peak.

        The band event strengths are summed (an onset in more bands, e.g.
        kick plus hi-hat, is a stronger accent than a hi-hat alone; Povel &
        Okkerman 1981, accents from intensity); only local peaks of the sum
        count (one event whose drive spans two frames is one event), divided
        by the running
        peak, never by less than one band's full event.
        """
        s = np.asarray(o_bands, dtype=float).sum(axis=0)
        # One event's drive may straddle two frames: only the frame where the
        # band sum peaks counts (non-maximum suppression, one frame of delay:
        # output frame t holds the accent of input frame t - 1).
        ext = np.concatenate([self._last, s])
        centre, left, right = ext[1:-1], ext[:-2], ext[2:]
        x = np.where((centre > left) & (centre >= right), centre, 0.0)
        self._last = ext[-2:]
        out = np.empty_like(x)
        a = self._accent_a
        peak = self._peak
        for t in range(x.size):
            peak = max(x[t], peak * a, 1.0)
            out[t] = x[t] / peak
        self._peak = peak
        return out

    def process(self, o_bands: np.ndarray) -> MetreOutput:
        """Predict, then observe, the next frames.

        Parameters
        ----------
        o_bands : ndarray, shape (n_bands, n)
            Event strength in [0, 1] per band and frame.

        Returns
        -------
        MetreOutput
        """
        if not self._ready:
            self._setup()
        o = self.accent(o_bands)
        n = o.size
        p = np.empty(n)
        p_metre = np.empty(n)
        cert = np.empty(n)
        alpha = self._alpha
        q, log1q, logit = self._q, self._log1q, self._logit
        starts, ends, A = self._starts, self._ends, self._A
        bin_of, K = self._bin_of, self.n_bins
        n1, n_all = self._n1, self._n
        c_a = self._cert_a
        r_s, ic_m, ic_r, rate = self._r, self._ic_model, self._ic_rate, self._rate
        evidence = self.tempo_evidence_
        lik0 = 1.0 - q
        dot = _dot
        cossin = self._cossin
        r_now = self._r_now
        b = self.stm_bias
        pred = np.empty_like(alpha)
        frame0 = self.n_frames_
        for t in range(n):
            # Predict: every pointer advances one frame; at the end of a
            # cycle the tempo may change.
            pred[1:] = alpha[:-1]
            leaving = alpha[ends]
            entering = np.einsum("ij,j->i", A, leaving)
            pred[starts] = entering
            # The tempo preference drains some mass at cycle ends: predictions
            # are made with the renormalised distribution.
            norm = 1.0 / (1.0 - float(leaving.sum()) + float(entering.sum()))
            # Long-term (metrical template) and short-term (this stimulus)
            # predictions of an onset, combined as in IDyOM: each weighted
            # by its relative entropy to the power -b (Pearce 2005).
            p_ltm = dot(pred, q) * norm
            p_metre[t] = p_ltm
            theta = (n1 + 0.5) / (n_all + 1.0)
            p_stm = dot(np.bincount(bin_of, weights=pred, minlength=K), theta) * norm
            w_l = _h2(p_ltm) ** -b
            w_s = _h2(p_stm) ** -b
            pt = min(max((w_l * p_ltm + w_s * p_stm) / (w_l + w_s), _EPS), 1.0 - _EPS)
            p[t] = pt
            # Observe.
            ot = o[t]
            if ot > 0.0:
                np.multiply(pred, np.exp(np.float32(ot) * logit + log1q), out=alpha)
            else:
                np.multiply(pred, lik0, out=alpha)
            alpha *= 1.0 / alpha.sum()
            m_post = np.bincount(bin_of, weights=alpha, minlength=K)
            n1 += ot * m_post
            n_all += m_post
            # Certainty: the geometric mean of how sure the posterior is of
            # the coming beats and how much better than the onset rate alone
            # its predictions have been lately (the precision of errors is
            # learned from the errors; Feldman & Friston 2010) -- either
            # can veto.  The phase concentration is
            # read every 4th frame (it changes slowly; 2 s averaging).
            g = frame0 + t
            if g % 4 == 0:
                cs = np.einsum("ij,j->i", cossin, alpha)
                r_now = float(np.hypot(cs[0], cs[1]))
            r_s = c_a * r_s + (1.0 - c_a) * r_now
            rt = min(max(rate, _EPS), 1.0 - _EPS)
            ic_m = c_a * ic_m + (1.0 - c_a) * _ic(pt, ot)
            ic_r = c_a * ic_r + (1.0 - c_a) * _ic(rt, ot)
            rate = c_a * rate + (1.0 - c_a) * ot
            gain = min(max(1.0 - ic_m / ic_r, 0.0), 1.0) if ic_r > 0 else 0.0
            c = (r_s * gain) ** 0.5
            cert[t] = c
            if g % 4 == 0:
                evidence += c * np.add.reduceat(alpha, starts)
        self._r_now = r_now
        self._alpha = alpha
        self._r, self._ic_model, self._ic_rate, self._rate = r_s, ic_m, ic_r, rate
        self.n_frames_ += n
        log_p, log_q = np.log2(p), np.log2(1.0 - p)
        surprise = -(o * log_p + (1.0 - o) * log_q)
        entropy = -(p * log_p + (1.0 - p) * log_q)
        return MetreOutput(o=o, p=p, surprise_bits=surprise, entropy_bits=entropy, certainty=cert,
                           p_metre=np.clip(p_metre, _EPS, 1.0 - _EPS))

    def tempo_bpm(self) -> float | None:
        """The pulse: the tempo the certainty-weighted posterior favoured (BPM).

        The posterior over tempo, accumulated over the stimulus with the
        metre certainty as weight; its peak, refined by a parabola on the
        log-tempo axis.  ``None`` before any evidence.
        """
        if not self._ready:
            self._setup()
        ev = self.tempo_evidence_
        if not np.any(ev > 0):
            return None
        j = int(np.argmax(ev))
        bpm = self.bpm_
        if 0 < j < ev.size - 1:
            y0, y1, y2 = np.log(ev[j - 1 : j + 2] + 1e-300)
            denom = y0 - 2.0 * y1 + y2
            if denom < 0:
                shift = float(np.clip(0.5 * (y0 - y2) / denom, -0.5, 0.5))
                lo, hi = (j - 1, j) if shift < 0 else (j, j + 1)
                frac = abs(shift)
                return float(np.exp((1 - frac) * np.log(bpm[j]) + frac * np.log(bpm[hi if shift > 0 else lo])))
        return float(bpm[j])
