"""Synchrony: the regional oscillators driven by the events, and their phase locking.

One Stuart-Landau oscillator per region at each rhythm frequency half an
octave apart (:mod:`resonance.dynamics.oscillators`), integrated every
:data:`OSC_FRAMES` envelope frames.  The weights are the connectome's,
divided by their mean row sum (a connectome-independent coupling scale);
delays are tract lengths over ``conduction_speed_mm_per_s``.  Sound enters
each region in proportion to the region's share of the tonotopic entry
patterns (read through the harmonics) and, for the beat, of the premotor
entry.

Synchrony is measured on the oscillators, i.e. on what the stimulus does to
the regions: at each oscillator frequency, the Kuramoto (1984) order
parameter of the regions (amplitude-weighted) times the phase-locking value
over time of each region's oscillation (Lachaux et al. 1999), averaged over
``sync_tau_s``.  Steps are weighted by the oscillators' energy.
"""

from __future__ import annotations

import math

import numpy as np
from .._jit import njit
from .._lfilter import lfilter
from .._pool import pool_sum

from .oscillators import RegionalOscillators, delay_steps, kuramoto_order

__all__ = ["OSC_FRAMES", "OSC_HALF_AMPLITUDE", "SYNC_PRIOR_EVENTS", "Synchrony", "step_average"]

#: Envelope frames per oscillator step (5.8 ms x 8 = 46 ms, 21.5 Hz: above
#: twice the highest oscillator frequency, 8 Hz; the exponential integrator
#: is exact for the linear part at any step).
OSC_FRAMES = 8
#: Oscillator rms amplitude at which synchrony is weighted by one half
#: (engineering choice: a tenth of the saturation amplitude ~1 that a
#: steady beat of full-strength events drives an oscillator to).
OSC_HALF_AMPLITUDE = 0.1
#: Prior of the stimulus-locked phase consistency, in full events within
#: ``sync_tau_s`` (engineering choice: one or two events alone do not make
#: a rhythm that an oscillator can lock to).
SYNC_PRIOR_EVENTS = 4.0


@njit(cache=True, nogil=True, error_model="numpy")
def _locking_sums(states, pre, u, w, pole, last):  # pragma: no cover - compiled
    """Running average of the drive-weighted phase, and the oscillators' power, at the model steps.

    For each oscillator, the phase ``z / |z|`` just before each step (``pre``
    before the first), times the step's drive ``u`` (R, n), is averaged as
    :func:`step_average` does: summed over each group of ``w.size`` steps
    with weights ``w``, the groups averaged with pole ``pole`` from ``last``
    (R, F).  Also returns the power ``|z|^2`` at the last step of each group
    and the sum of ``|z|^2`` over every step.  One pass over the states,
    shape (R, F, n), in place of several array passes.

    Each oscillator's states are read in one loop over the steps that
    compiles to vector instructions, square roots and divisions included
    (with NumPy's error model a division needs no zero test; the divisor is
    at least 1e-300 anyway); the rare states whose squares underflow are
    then redone with ``hypot``, and the sums run in the order of the steps,
    as a plain loop adds them: the same bits as one scalar pass.
    """
    R, F, n = states.shape
    per = w.size
    m = n // per
    num = np.empty((R, F, m), dtype=np.complex128)
    power = np.empty((R, F, m))
    total = 0.0
    # The oscillator's state before each step, then after the last: (re, im) and power.
    zr = np.empty(n + 1)
    zi = np.empty(n + 1)
    pw = np.empty(n + 1)
    inv = np.empty(n + 1)
    for r in range(R):
        for f in range(F):
            zr[0] = pre[r, f].real
            zi[0] = pre[r, f].imag
            pw[0] = zr[0] * zr[0] + zi[0] * zi[0]
            inv[0] = 1.0 / max(math.sqrt(pw[0]), 1e-300)
            bad = 0 if pw[0] > 1e-290 else 1
            for t in range(1, n + 1):
                z = states[r, f, t - 1]
                zr[t] = z.real
                zi[t] = z.imag
                p2 = z.real * z.real + z.imag * z.imag
                pw[t] = p2
                inv[t] = 1.0 / max(math.sqrt(p2), 1e-300)
                bad += 0 if p2 > 1e-290 else 1
            if bad:
                for t in range(n):
                    if not pw[t] > 1e-290:
                        # |z| as numpy's abs (hypot) where the squares would underflow.
                        inv[t] = 1.0 / max(math.hypot(zr[t], zi[t]), 1e-300)
            yr, yi = last[r, f].real, last[r, f].imag
            for k in range(m):
                sr = 0.0
                si = 0.0
                for q in range(per):
                    t = k * per + q
                    d = u[r, t]
                    sr += (d * (zr[t] * inv[t])) * w[q]
                    si += (d * (zi[t] * inv[t])) * w[q]
                # The arithmetic of lfilter([1], [1, -pole]) (transposed direct form II).
                yr = sr + pole * yr
                yi = si + pole * yi
                num[r, f, k] = complex(yr, yi)
                power[r, f, k] = pw[(k + 1) * per]
                for q in range(per):
                    total += pw[k * per + q + 1]
    return num, power, total


class Synchrony:
    """Streaming synchrony stage: drive the regional oscillators, record their phase locking.

    Parameters
    ----------
    coupling : Coupling
        Entry patterns of the harmonics (:func:`~resonance.connectome.entry_coupling`).
    weights, tract_lengths_mm : ndarray, shape (R, R), or None
        The connectome's weights and tract lengths (``None``: uncoupled, no delays).
    freqs_hz : ndarray, shape (J,)
        Rhythm frequencies of the bank; the oscillators take every
        ``bank_per_octave // 2``-th.
    frame_rate_hz : float
        Envelope frame rate.
    step : int
        Envelope frames per model step (a multiple of :data:`OSC_FRAMES`).
    config : ModelConfig
        ``bank_per_octave``, ``oscillator_q``, ``oscillator_saturation_per_s``,
        ``oscillator_coupling_per_s``, ``conduction_speed_mm_per_s``,
        ``motor_gain``, ``n_bands``, ``sync_tau_s``.
    """

    def __init__(self, *, coupling, weights, tract_lengths_mm, freqs_hz, frame_rate_hz: float, step: int, config):
        self.coupling = coupling
        self.weights = weights
        self.tract_lengths_mm = tract_lengths_mm
        self.freqs_hz = freqs_hz
        self.frame_rate_hz = frame_rate_hz
        self.step = step
        self.config = config
        self._ready = False

    def _setup(self) -> None:
        cfg = self.config
        c = self.coupling
        n_reg = c.region_means.shape[0]
        per_oct = max(1, cfg.bank_per_octave // 2)
        f = self.freqs_hz[np.arange(0, self.freqs_hz.size, per_oct)]
        w = self.weights
        lengths = self.tract_lengths_mm
        if w is None or np.shape(w) != (n_reg, n_reg):
            w = np.zeros((n_reg, n_reg))
        w = np.asarray(w, dtype=float).copy()
        np.fill_diagonal(w, 0.0)
        mean_row = w.sum(axis=1).mean()
        if mean_row > 0:
            w /= mean_row
        dt = OSC_FRAMES / self.frame_rate_hz
        if lengths is None or np.shape(lengths) != w.shape:
            delays = np.zeros(w.shape, dtype=int)
        else:
            delays = delay_steps(lengths, speed_mm_per_s=cfg.conduction_speed_mm_per_s, dt_s=dt)
        self._osc_args = dict(
            dt_s=dt, a_per_s=-np.pi * f / cfg.oscillator_q, b_per_s=cfg.oscillator_saturation_per_s,
            coupling_per_s=cfg.oscillator_coupling_per_s,
        )
        self._weights, self._delays, self._freqs = w, delays, f
        entry = c.region_means @ c.auditory  # (R, B)
        entry = np.maximum(entry, 0.0)
        entry /= np.maximum(entry.max(axis=0, keepdims=True), 1e-12)
        motor = np.maximum(c.region_means @ c.motor, 0.0)
        if motor.max() > 0:
            motor = cfg.motor_gain * motor / motor.max()
        self._entry = np.concatenate([entry, motor[:, None] / cfg.n_bands], axis=1)  # (R, B+1)
        self._a = float(np.exp(-(OSC_FRAMES / self.frame_rate_hz) / cfg.sync_tau_s))
        self._ready = True
        self.reset()
        # The compiled loops are loaded (or compiled) now, in the set-up, not
        # on the first model step of a live stream.
        self._osc.process(np.zeros((n_reg, 1, 1)))
        _locking_sums(np.zeros((1, 1, 1), complex), np.zeros((1, 1), complex), np.zeros((1, 1)), np.ones(1), 0.5,
                      np.zeros((1, 1), complex))
        self.reset()

    def reset(self) -> None:
        """Start a new stimulus: oscillators at rest, nothing recorded."""
        if not self._ready:
            self._setup()
            return
        self._osc = RegionalOscillators(self._weights, self._delays, self._freqs, **self._osc_args)
        self._state = None
        self._sync = []  # (energy, order across regions x locking to the stimulus) per step
        self._amp = [0.0, 0]

    def process(self, o: np.ndarray) -> None:
        """Drive the oscillators with the next model steps' events; record their phase locking.

        Parameters
        ----------
        o : ndarray, shape (B, n_env)
            Event strength per band and envelope frame (total drive), a
            whole number of model steps.
        """
        if not self._ready:
            self._setup()
        B = self.config.n_bands
        n_env = o.shape[1]
        u_b = np.concatenate([o, o.sum(axis=0, keepdims=True)], axis=0)  # (B+1, n_env)
        u_b = pool_sum(u_b, OSC_FRAMES)
        u = (self._entry @ u_b)[:, None, :]  # (R, 1, n_osc)
        pre = self._osc.state.copy()
        states = self._osc.process(u)  # (R, F, n_osc)
        # Stimulus-locked phase consistency (the inter-trial phase coherence
        # of evoked responses): the drive-weighted mean phasor of the phase
        # at which events arrive (the phase of each oscillator just before
        # each step's drive), over ``sync_tau_s``, against the drive plus a
        # prior of SYNC_PRIOR_EVENTS full events.  Events on a steady rhythm
        # find an entrained oscillator at the same phase every time;
        # irregular events find it anywhere.
        a = self._a
        R = u.shape[0]
        if self._state is None:
            self._state = (np.zeros(states.shape[:2], dtype=complex), np.zeros((R, 1)))
        per = self.step // OSC_FRAMES
        # Read at the model steps only (step_average); the drive's running
        # sum is the same at every frequency: averaged once.
        num, xe, power_sum = _locking_sums(states, pre, u[:, 0, :], _step_weights(a, per), a**per, self._state[0])
        num_state = num[..., -1].copy()
        den, den_state = step_average(u, a, per, self._state[1])
        self._state = (num_state, den_state)
        prior = (1.0 - a) * SYNC_PRIOR_EVENTS
        x = states[:, :, per - 1 :: per]  # (R, F, n_steps) at the model steps
        plv = np.abs(num) / (den + prior)
        order = kuramoto_order(x, axis=0)  # (F, n)
        # xe: the oscillators' power at the model steps, (R, F, n).
        locked_time = (xe * plv).sum(axis=0) / np.maximum(xe.sum(axis=0), 1e-300)
        locked = order * locked_time
        energy = xe.sum(axis=0)  # (F, n)
        self._sync.append(np.stack([energy.sum(axis=0), (energy * locked).sum(axis=0)], axis=1))
        # Mean squared amplitude of the oscillators, summed over their steps.
        self._amp[0] += power_sum / (states.shape[0] * states.shape[1])
        self._amp[1] += states.shape[2]

    def value(self) -> float:
        """Synchrony since the last :meth:`reset`, in [0, 1].

        Energy-weighted locking, times how strongly the oscillators are
        driven at all (rms amplitude A against :data:`OSC_HALF_AMPLITUDE`):
        regions that the stimulus leaves at rest are not synchronised by it.
        """
        if not self._ready:
            self._setup()
        sync = np.concatenate(self._sync) if self._sync else np.zeros((0, 2))
        amp = float(np.sqrt(self._amp[0] / max(self._amp[1], 1)))
        presence = amp / (amp + OSC_HALF_AMPLITUDE)
        return float(sync[:, 1].sum() / sync[:, 0].sum()) * presence if sync.size and sync[:, 0].sum() > 0 else 0.0


def step_average(x: np.ndarray, a: float, per: int, last: np.ndarray):
    """Exponential running average along the last axis, read every ``per`` samples.

    ``y[n] = a y[n-1] + (1 - a) x[n]`` (``scipy.signal.lfilter([1 - a], [1, -a], x)``)
    at samples ``per - 1, 2 per - 1, ...``: each group of ``per`` samples is
    summed with weights ``(1 - a) a^(per-1-q)``, and the groups are averaged
    with ``a^per`` (the same values up to rounding, at 1/``per`` of the
    filtering cost).  ``last`` is ``y`` before the first sample (shape of
    ``x`` without its last axis); returns the values read, shape
    ``x.shape[:-1] + (n / per,)``, and ``y`` after the last sample.
    """
    n = x.shape[-1]
    g = x.reshape(x.shape[:-1] + (n // per, per)) @ _step_weights(a, per)
    return _running_average(g, a, per, last)


def _step_weights(a: float, per: int) -> np.ndarray:
    """Weights ``(1 - a) a^(per-1-q)`` of the samples of a group (:func:`step_average`)."""
    return (1.0 - a) * a ** np.arange(per - 1, -1, -1, dtype=float)


def _running_average(g: np.ndarray, a: float, per: int, last: np.ndarray):
    """The groups' weighted sums ``g`` averaged with pole ``a^per`` (:func:`step_average`)."""
    y, _ = lfilter([1.0], [1.0, -(a**per)], g, axis=-1, zi=(a**per) * last[..., None])
    return y, y[..., -1]
