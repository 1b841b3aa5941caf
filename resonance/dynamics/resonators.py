"""Resonant dynamics: pulse resonator, rhythm resonator bank, energy reservoir.

Three linear, streaming stages turn onset drive into resonant energy.

* :class:`PulseResonator` -- the damped oscillator of the perceptual-motor
  system proposed by van Noorden & Moelants (1999).  Only its *effective*
  response (its amplitude beyond that of a critically damped oscillator)
  counts; with a resonance period of 0.5 s and damping ratio 0.3 the effective
  curve peaks at ~535 ms with a half-height width of ~0.49 s, inside the
  ranges the authors fitted to tapping data (500-550 ms, 400-800 ms).
* :class:`RhythmBank` -- a bank of complex one-pole resonators with constant
  quality factor, log-spaced from 0.5 to 64 Hz (the amplitude-modulation range
  of docs/model.md), in the spirit of the gradient-frequency oscillator networks
  of Large et al. (2010).  Periodic drive piles up in the resonator at its
  frequency (coherent build-up, tuning-fork style); irregular drive spreads
  over all of them and is attenuated by the narrow bandwidths.
* :class:`Reservoir` -- the slow energy store of each mode (docs/model.md): a
  leaky integrator of the power delivered, with a time constant of tens of
  seconds (the "energy parameter" or temperature).
"""

from __future__ import annotations

import numpy as np
from .._lfilter import lfilter

from ..validation import check_float, check_int

__all__ = ["PulseResonator", "RhythmBank", "Reservoir", "effective_pulse_response", "bank_frequencies_hz"]


def _oscillator_ba(f0_hz: float, zeta: float, fs_hz: float):
    """Digital (bilinear) damped oscillator with unit gain at DC."""
    from scipy.signal import bilinear  # here: importing scipy.signal costs 0.6-0.9 s, and scoring never needs it

    w0 = 2.0 * np.pi * f0_hz
    # Pre-warp so the digital resonance sits at f0.
    w0w = 2.0 * fs_hz * np.tan(w0 / (2.0 * fs_hz))
    return bilinear([w0w**2], [1.0, 2.0 * zeta * w0w, w0w**2], fs=fs_hz)


def effective_pulse_response(freqs_hz, *, period_s: float = 0.5, damping_ratio: float = 0.3) -> np.ndarray:
    """Effective resonance curve of the pulse oscillator (magnitude).

    ``|H_zeta(f)| - |H_1(f)|`` with both oscillators normalised to unit gain at
    DC: the enhancement of a damped oscillator beyond critical damping (van
    Noorden & Moelants 1999).

    Parameters
    ----------
    freqs_hz : array_like
        Frequencies (Hz).
    period_s : float
        Resonance period of the oscillator (s).
    damping_ratio : float
        Damping ratio of the oscillator (0 < zeta < 1).

    Returns
    -------
    ndarray
        Effective gain at each frequency (>= 0 near resonance).

    Examples
    --------
    >>> g = effective_pulse_response([0.5, 1.9, 5.0])
    >>> bool(g[1] > g[0] and g[1] > g[2])
    True
    """
    f = np.asarray(freqs_hz, dtype=float)
    f0 = 1.0 / period_s
    a = f0**2 / np.sqrt((f0**2 - f**2) ** 2 + (2.0 * damping_ratio * f0 * f) ** 2)
    a1 = f0**2 / (f0**2 + f**2)
    return a - a1


class PulseResonator:
    """Damped perceptual-motor oscillator driven by onsets (streaming).

    The output is the effective response: the damped oscillator's output
    minus a critically damped oscillator's output, both driven by the same
    signal (van Noorden & Moelants 1999).

    Parameters
    ----------
    fs_hz : float
        Rate of the drive signal (frames per second).
    period_s : float
        Resonance period (s); 0.5 s after van Noorden & Moelants (1999).
    damping_ratio : float
        Damping ratio; 0.3 gives the published half-height width.
    n_channels : int
        Number of independent drive signals processed in parallel.

    Examples
    --------
    >>> pr = PulseResonator(fs_hz=172.27)
    >>> x = np.zeros((1, 1723)); x[0, ::86] = 1.0
    >>> pr.process(x).shape
    (1, 1723)
    """

    def __init__(self, *, fs_hz: float, period_s: float = 0.5, damping_ratio: float = 0.3, n_channels: int = 1):
        self.fs_hz = fs_hz
        self.period_s = period_s
        self.damping_ratio = damping_ratio
        self.n_channels = n_channels
        self._ready = False

    def _setup(self):
        fs = check_float("fs_hz", self.fs_hz, low=0.0, low_inclusive=False)
        period = check_float("period_s", self.period_s, low=4.0 / fs, high=10.0)
        zeta = check_float("damping_ratio", self.damping_ratio, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        check_int("n_channels", self.n_channels, low=1)
        self._ba = _oscillator_ba(1.0 / period, zeta, fs)
        self._ba1 = _oscillator_ba(1.0 / period, 1.0, fs)
        self.reset()
        self._ready = True

    def reset(self) -> None:
        """Bring both oscillators to rest."""
        self._zi = np.zeros((self.n_channels, 2))
        self._zi1 = np.zeros((self.n_channels, 2))

    def process(self, x: np.ndarray) -> np.ndarray:
        """Drive the oscillator with the next frames.

        Parameters
        ----------
        x : ndarray, shape (n_channels, n)
            Drive signal.

        Returns
        -------
        ndarray, shape (n_channels, n)
            Effective response.
        """
        if not self._ready:
            self._setup()
        y, self._zi = lfilter(*self._ba, x, axis=1, zi=self._zi)
        y1, self._zi1 = lfilter(*self._ba1, x, axis=1, zi=self._zi1)
        return y - y1


def bank_frequencies_hz(*, fmin_hz: float = 0.5, fmax_hz: float = 64.0, per_octave_low: int = 12,
                        per_octave_high: int = 4, split_hz: float = 4.0) -> np.ndarray:
    """Centre frequencies of the rhythm bank: dense below ``split_hz``.

    The pulse and metre range (0.5-4 Hz) is sampled at ``per_octave_low``
    resonators per octave (tempo resolution ~6 %), the faster
    amplitude-modulation range more coarsely.
    """
    lo = fmin_hz * 2.0 ** (np.arange(int(round(np.log2(split_hz / fmin_hz) * per_octave_low))) / per_octave_low)
    hi = split_hz * 2.0 ** (np.arange(int(round(np.log2(fmax_hz / split_hz) * per_octave_high)) + 1) / per_octave_high)
    return np.concatenate([lo, hi])


class RhythmBank:
    """Constant-Q bank of complex resonators, decimated output (streaming).

    Resonator ``j`` obeys ``z[t] = r_j exp(i w_j / fs) z[t-1] + (1 - r_j) x[t]``
    with ``r_j = exp(-pi f_j / (Q fs))`` (bandwidth ``f_j / Q``).  The gain at
    the resonance frequency is 1, so ``|z|`` reads the amplitude of the
    drive's component at ``f_j``.

    Parameters
    ----------
    fs_hz : float
        Rate of the drive (frames per second).
    freqs_hz : array_like or None
        Resonator frequencies; default :func:`bank_frequencies_hz`.
    q : float
        Quality factor.  Q = 8 gives a decay time of ``Q / (pi f)`` = 1.3 s at
        2 Hz: a rhythm must persist for a couple of bars to build up.
    decimate : int
        Output every ``decimate``-th frame (the amplitudes change slowly).
    n_channels : int
        Number of drive channels.

    Examples
    --------
    >>> bank = RhythmBank(fs_hz=172.27, decimate=43)
    >>> z = bank.process(np.ones((1, 430)))
    >>> z.shape[:2] == (1, bank.freqs_hz_.size)
    True
    """

    def __init__(self, *, fs_hz: float, freqs_hz=None, q: float = 8.0, decimate: int = 43, n_channels: int = 1):
        self.fs_hz = fs_hz
        self.freqs_hz = freqs_hz
        self.q = q
        self.decimate = decimate
        self.n_channels = n_channels
        self._ready = False

    def _setup(self):
        fs = check_float("fs_hz", self.fs_hz, low=0.0, low_inclusive=False)
        q = check_float("q", self.q, low=0.5)
        check_int("decimate", self.decimate, low=1)
        check_int("n_channels", self.n_channels, low=1)
        freqs = bank_frequencies_hz() if self.freqs_hz is None else np.asarray(self.freqs_hz, dtype=float)
        freqs = freqs[freqs < fs / 2.0]
        self.freqs_hz_ = freqs
        self._r = np.exp(-np.pi * freqs / (q * fs))
        self._pole = self._r * np.exp(2j * np.pi * freqs / fs)
        self.reset()
        self._ready = True

    def reset(self) -> None:
        """Bring every resonator to rest."""
        if not hasattr(self, "freqs_hz_"):
            return
        self._state = np.zeros((self.n_channels, self.freqs_hz_.size), dtype=complex)
        self._phase = 0  # frames since the last output sample

    def process(self, x: np.ndarray) -> np.ndarray:
        """Drive the bank and return the decimated complex amplitudes.

        Parameters
        ----------
        x : ndarray, shape (n_channels, n)
            Drive.

        Returns
        -------
        ndarray, shape (n_channels, n_freqs, n_out), complex
            Amplitudes at every ``decimate``-th frame of the stream.
        """
        if not self._ready:
            self._setup()
        x = np.asarray(x, dtype=float)
        n = x.shape[1]
        D = self.decimate
        if self._phase == 0 and n % D == 0:
            return self._process_steps(x)
        # Indices (within this block) of the frames that are output.
        first = (self.decimate - 1 - self._phase) % self.decimate
        idx = np.arange(first, n, self.decimate)
        out = np.empty((self.n_channels, self.freqs_hz_.size, idx.size), dtype=complex)
        for j, pole in enumerate(self._pole):
            # Transposed direct form: the filter state is pole * (last output).
            zj, _ = lfilter([1.0 - self._r[j]], [1.0, -pole], x, axis=1, zi=(pole * self._state[:, j])[:, None])
            if n:
                self._state[:, j] = zj[:, -1]
            out[:, j, :] = zj[:, idx]
        self._phase = (self._phase + n) % self.decimate
        return out


    def _process_steps(self, x: np.ndarray) -> np.ndarray:
        """Same result as the frame recursion, for whole decimation steps.

        Within a step of ``D`` frames the state evolves as
        ``z_end = pole**D z_start + sum_i (1 - r) pole**(D-1-i) x_i``, so each
        step's input enters through one matrix product with a decaying
        kernel, and only the step ends are iterated.
        """
        D = self.decimate
        C, n = x.shape
        m = n // D
        if not hasattr(self, "_kern"):
            i = np.arange(D)
            self._kern = (1.0 - self._r)[None, :] * self._pole[None, :] ** (D - 1 - i)[:, None]  # (D, J)
            self._pole_d = self._pole**D
        u = x.reshape(C, m, D) @ self._kern  # (C, m, J)
        out = np.empty((C, self.freqs_hz_.size, m), dtype=complex)
        state = self._state
        for k in range(m):
            state = self._pole_d * state + u[:, k, :]
            out[:, :, k] = state
        self._state = state
        return out


class Reservoir:
    """Leaky integrator of delivered power: the slow energy store.

    ``dE/dt = P(t) - E / tau``; the steady state for constant power is
    ``P * tau``.  We report ``E / tau`` so the reading has the units of power
    and equals the average delivered power over the last ~``tau`` seconds.

    Parameters
    ----------
    dt_s : float
        Time step of the power samples (s).
    tau_s : float
        Leak time constant (s).  30 s: energy builds over tens of seconds and
        cools over a similar span, the time scale of the annealing arc within
        a listening session.
    n_channels : int
        Number of independent stores (one per mode).
    """

    def __init__(self, *, dt_s: float, tau_s: float = 30.0, n_channels: int = 1):
        self.dt_s = dt_s
        self.tau_s = tau_s
        self.n_channels = n_channels
        self._ready = False

    def _setup(self):
        dt = check_float("dt_s", self.dt_s, low=0.0, low_inclusive=False)
        tau = check_float("tau_s", self.tau_s, low=0.0, low_inclusive=False)
        check_int("n_channels", self.n_channels, low=1)
        self._a = float(np.exp(-dt / tau))
        self.reset()
        self._ready = True

    def reset(self) -> None:
        """Empty the store."""
        self._state = np.zeros((self.n_channels, 1))

    def process(self, power: np.ndarray) -> np.ndarray:
        """Integrate the next power samples.

        Parameters
        ----------
        power : ndarray, shape (n_channels, n)
            Delivered power per channel and step.

        Returns
        -------
        ndarray, shape (n_channels, n)
            Stored energy divided by ``tau`` after each step.
        """
        if not self._ready:
            self._setup()
        a = self._a
        y, self._state = lfilter([1.0 - a], [1.0, -a], power, axis=1, zi=self._state)
        return y
