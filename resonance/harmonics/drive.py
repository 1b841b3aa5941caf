"""How the stimulus drives the harmonics: the onset path and the modulation path.

Two streaming stages turn what the ear hears into energy per harmonic:

* :class:`OnsetDrive` -- the rhythm bank's amplitudes (neutral and total band
  channels) enter each harmonic through its tonotopic entry pattern plus the
  auditory-motor loop at the premotor regions, pass the harmonic's field
  response ``|T_k(f)|^2`` and are weighted by the stimulus's coherence gain
  (:func:`rhythm_coherence`).
* :class:`ModulationDrive` -- the envelopes' modulation spectra (and the
  binaural fluctuation) enter the same way at each modulation rate, weighted
  by :func:`modulation_coherence`.

Both gains are measured on the stimulus at the entry, before the connectome,
so they do not cancel the harmonics' own response.  Each stage keeps the
running average of its gain; :meth:`reset` starts a new stimulus.
"""

from __future__ import annotations

import numpy as np
from .._jit import njit
from .._lfilter import lfilter
from .._scipy_compiled import median_filter

__all__ = ["MOD_FLOOR_FILTERS", "ModulationDrive", "OnsetDrive", "modulation_coherence", "rhythm_coherence"]

#: Modulation filters over which the floor of the modulation spectrum is the
#: median (:func:`modulation_coherence`): five half-octave filters, one octave
#: either side.  Engineering choice: a line (an AM rate, a beat) is one or two
#: filters wide, so the median of five ignores it, while the floor of noise
#: changes little over two octaves.
MOD_FLOOR_FILTERS = 5


def rhythm_coherence(zt: np.ndarray, state, *, freqs_hz: np.ndarray, a: float, floor: float, exponent: float):
    """Coherence gain of the stimulus's rhythm, per rhythm frequency and step.

    Energy piles up in a resonance only where the sensory drive is
    persistently concentrated: the drive's spectral density summed over
    the bands (power per bandwidth, so that irregular drive is flat),
    averaged over ``coherence_tau_s`` (pole ``a`` per step), is divided by
    its mean over the rhythm frequencies (divisive normalisation, Carandini
    & Heeger 2012).  Periodic drive keeps its lines in place and gains;
    irregular drive has wandering peaks that average out to ~1.

    Parameters
    ----------
    zt : ndarray, shape (B, J, n), complex
        Rhythm-bank amplitudes of the total band channels.
    state : ndarray, shape (J, 1) or None
        Running average before the first step (``None``: start of a stimulus).
    freqs_hz : ndarray, shape (J,)
        Rhythm frequencies.
    a : float
        Pole of the running average per step.
    floor, exponent : float
        ``normalization_floor`` and ``normalization_exponent`` of the config.

    Returns
    -------
    gain : ndarray, shape (J, n)
    state : ndarray, shape (J, 1)
    """
    dens = (zt.real**2 + zt.imag**2).sum(axis=0) / freqs_hz[:, None]  # (J, n)
    first = a * dens[:, :1] if state is None else state
    avg, state = lfilter([1.0 - a], [1.0, -a], dens, axis=1, zi=first)
    ratio = avg / (floor + avg.mean(axis=0, keepdims=True))
    gain = ratio if exponent == 1.0 else ratio**exponent
    return gain, state


def modulation_coherence(m: np.ndarray, state, *, a: float, floor: float, exponent: float):
    """Coherence gain of the modulation spectrum, per rate and step.

    The summed modulation power in each (constant-Q) filter, averaged over
    ``coherence_tau_s``, divided by the floor around it: the median of the
    :data:`MOD_FLOOR_FILTERS` filters centred on it (one octave either
    side).  The gain is the excess of that ratio over 1.  A modulation
    concentrated at a few rates (a beat, an AM line, a rhythm) stands out
    at its rate, whatever the rate; the intrinsic fluctuation of noise,
    whose relative modulation power is about the same in every filter and
    varies slowly with rate, gives ~0.  Unlike the onset path, no precision
    weighting removes unpredictable drive here, so only the coherent excess
    counts.

    Parameters
    ----------
    m : ndarray, shape (B, R, n)
        Modulation power per band, rate and step.
    state : ndarray, shape (R, 1) or None
        Running average before the first step.
    a, floor, exponent : float
        As for :func:`rhythm_coherence`.

    Returns
    -------
    gain : ndarray, shape (R, n)
    state : ndarray, shape (R, 1)
    """
    dens = m.sum(axis=0)  # (R, n): power per constant-Q filter
    first = a * dens[:, :1] if state is None else state
    avg, state = lfilter([1.0 - a], [1.0, -a], dens, axis=1, zi=first)
    med = median_filter(avg, size=(MOD_FLOOR_FILTERS, 1), mode="mirror")
    ratio = avg / (floor + med)
    excess = np.maximum(ratio - 1.0, 0.0)
    gain = excess if exponent == 1.0 else excess**exponent
    return gain, state


#: Bytes of the modes' amplitudes formed per product in :meth:`OnsetDrive.process`:
#: they are formed and read a few rhythm frequencies at a time, so that they
#: stay in a core's 1 MB L2 cache (engineering choice: 200 modes x 4
#: frequencies x 54 steps (a 20 s block) of complex amplitudes, 0.7 MB; the
#: whole block's would be 17 MB).  A live stream's few steps take every
#: frequency in one product.
_AMPLITUDE_BYTES = 700_000


@njit(cache=True, nogil=True)
def _mode_energy(a, transfer_power, gain, j0, c, e, rate):  # pragma: no cover - compiled
    """Add the energy of drive ``c`` at rhythm frequencies ``j0, j0 + 1, ...`` to ``e``.

    ``a`` holds the (re, im) pairs of the modes' amplitudes for those
    frequencies, shape (K, 2 n_j n) (rhythm frequency, then step); each
    pair's power ``re**2 + im**2`` is scaled by ``transfer_power[k, j]``
    (``|T_k(f_j)|^2``).  Adds ``gain[j, t] power[k, j, t]`` to ``e[k, c, t]``
    (shape (K, 2, n)), frequency after frequency, so that calls in the order
    of ``j`` sum as one pass over all frequencies would; for the total drive
    (``c`` 1) also writes ``sum_t power[k, j, t]`` to ``rate[k, j]``.
    """
    K = a.shape[0]
    n = gain.shape[1]
    n_j = a.shape[1] // (2 * n)
    p = np.empty(n)
    for k in range(K):
        row = a[k]
        i = 0
        for jj in range(n_j):
            j = j0 + jj
            g = transfer_power[k, j]
            for t in range(n):
                re = row[i + 2 * t]
                im = row[i + 2 * t + 1]
                p[t] = (re * re + im * im) * g
            for t in range(n):
                e[k, c, t] += gain[j, t] * p[t]
            if c == 1:
                # Summed in order from 0, as Numba's ``p.sum()`` does (the same bits), without the
                # array-method typing that makes a cached kernel load Numba's NumPy support (and scipy.linalg).
                total = 0.0
                for t in range(n):
                    total += p[t]
                rate[k, j] = total
            i += 2 * n


class OnsetDrive:
    """Energy that the rhythm of the events delivers to each harmonic.

    Parameters
    ----------
    auditory : ndarray, shape (K, B)
        Entry pattern of each band in each harmonic
        (:func:`~resonance.connectome.entry_coupling`).
    motor : ndarray, shape (K,)
        Premotor entry of each harmonic (the auditory-motor loop).
    transfer : ndarray, shape (K, J), complex
        Field response of each harmonic at each rhythm frequency
        (:func:`~resonance.harmonics.field.corticothalamic_transfer`).
    freqs_hz : ndarray, shape (J,)
        Rhythm frequencies of the bank.
    pulse_gain : ndarray, shape (J,)
        Magnitude of the pulse resonance at each rhythm frequency.
    motor_gain : float
        Weight of the loop's entry (``ModelConfig.motor_gain``).
    coherence_a : float
        Pole per step of the coherence gain's running average.
    floor, exponent : float
        ``normalization_floor`` and ``normalization_exponent``.
    """

    def __init__(self, *, auditory, motor, transfer, freqs_hz, pulse_gain, motor_gain: float,
                 coherence_a: float, floor: float, exponent: float):
        self.auditory = auditory
        self.motor = motor
        self.transfer = transfer
        self.freqs_hz = freqs_hz
        self.pulse_gain = pulse_gain
        self.motor_gain = motor_gain
        self.coherence_a = coherence_a
        self.floor = floor
        self.exponent = exponent
        # Entry of each harmonic (bands, then the loop) and its power response.
        self._entry = np.concatenate([auditory, motor_gain * motor[:, None]], axis=1)
        self._transfer_power = np.ascontiguousarray(transfer.real**2 + transfer.imag**2)
        # Compiled (or loaded from numba's cache) now, in the set-up, not on
        # the first model step of a live stream.
        _mode_energy(np.zeros((1, 2)), np.ones((1, 1)), np.ones((1, 1)), 0, 1, np.zeros((1, 2, 1)), np.zeros((1, 1)))
        self.reset()

    def reset(self) -> None:
        """Start a new stimulus (forget the coherence gain's running average)."""
        self._state = None

    def loop_power(self, zt: np.ndarray) -> np.ndarray:
        """Power of the auditory-motor loop (band sum through the pulse resonance), shape (J, n)."""
        loop = zt.sum(axis=0) * self.pulse_gain[:, None]
        return loop.real**2 + loop.imag**2

    def process(self, z: np.ndarray):
        """Normalised energy delivered to each mode, neutral and total.

        Parameters
        ----------
        z : ndarray, shape (2 B, J, n)
            Rhythm-bank amplitudes: neutral band channels then total ones.

        Returns
        -------
        e_n, e_t : ndarray, shape (K, n)
            Energy delivered to each mode by the neutral and the total drive.
        rate_power : ndarray, shape (K, J)
            Power of the total drive's amplitude of each mode at each rhythm
            frequency, summed over the steps.
        pulse : ndarray, shape (J, n)
            Coherent power of the auditory-motor pulse loop (total drive) at
            each rhythm frequency.
        """
        B = self.auditory.shape[1]
        zn, zt = z[:B], z[B:]
        J, n = zn.shape[1], zn.shape[2]
        # Coherence gain of the stimulus at the entry (rhythm_coherence).
        gain, self._state = rhythm_coherence(
            zt, self._state, freqs_hz=self.freqs_hz, a=self.coherence_a, floor=self.floor, exponent=self.exponent
        )  # (J, n)
        # Auditory-motor loop: band-summed rhythm through the pulse resonance,
        # entering at the premotor regions.
        loop_n = zn.sum(axis=0) * self.pulse_gain[:, None]
        loop_t = zt.sum(axis=0) * self.pulse_gain[:, None]
        # Auditory entry (tonotopic projection of each band) plus the loop, for
        # the neutral and the total drive: one real product on the (re, im)
        # pairs; each harmonic's response |T_k(f)|^2 then scales the power.
        drive = np.empty((B + 1, 2, J, n), dtype=complex)
        drive[:B, 0], drive[B, 0], drive[:B, 1], drive[B, 1] = zn, loop_n, zt, loop_t
        flat = drive.reshape(B + 1, -1).view(np.float64)  # columns: drive, frequency, step, (re, im)
        gain = np.ascontiguousarray(gain)
        K = self._entry.shape[0]
        e = np.zeros((K, 2, n))
        rate_power = np.empty((K, J))
        chunk = max(1, _AMPLITUDE_BYTES // (K * n * 16))  # rhythm frequencies per product
        for c in range(2):
            for j0 in range(0, J, chunk):
                cols = slice((c * J + j0) * 2 * n, (c * J + min(j0 + chunk, J)) * 2 * n)
                _mode_energy(self._entry @ flat[:, cols], self._transfer_power, gain, j0, c, e, rate_power)
        e_n, e_t = e[:, 0], e[:, 1]
        # Coherent pulse power of the loop.
        pulse = gain * (loop_t.real**2 + loop_t.imag**2)
        return e_n, e_t, rate_power, pulse


class ModulationDrive:
    """Energy that the modulation spectra deliver to each harmonic.

    Parameters
    ----------
    auditory : ndarray, shape (K, B)
        Entry pattern of each band in each harmonic.
    rate_gain : ndarray, shape (K, R)
        Power gain of each harmonic over each modulation filter's band
        (:func:`~resonance.harmonics.field.channel_transfer_power`).
    binaural_gain : float
        Weight of a band's binaural fluctuation against its envelope's
        modulation (amplitude; its square weighs the power).
    coherence_a, floor, exponent : float
        As for :class:`OnsetDrive`.
    """

    def __init__(self, *, auditory, rate_gain, binaural_gain: float, coherence_a: float, floor: float,
                 exponent: float):
        self.auditory = auditory
        self.rate_gain = rate_gain
        self.binaural_gain = binaural_gain
        self.coherence_a = coherence_a
        self.floor = floor
        self.exponent = exponent
        aud2 = np.asarray(auditory, dtype=float) ** 2  # (K, B)
        # Each harmonic's weight of each (band, rate) pair: the band's entry
        # power times the harmonic's gain at the rate, (K, B R).
        self._weights = (aud2[:, :, None] * np.asarray(rate_gain, dtype=float)[:, None, :]).reshape(aud2.shape[0], -1)
        self.reset()

    def reset(self) -> None:
        """Start a new stimulus (forget the coherence gain's running average)."""
        self._state = None

    def bands(self, m: np.ndarray) -> np.ndarray:
        """Transduced modulation power per band: envelope, plus the band's binaural fluctuation.

        Saturating transduction of the relative modulation power (full
        modulation, m^2 = 1, gives one half; sparse clicks, whose m^2 is far
        above 1, cannot exceed 1): the compression of envelope fluctuations
        by auditory adaptation (Dau et al. 1997's adaptation loops limit the
        response to large, fast changes).

        Parameters
        ----------
        m : ndarray, shape (B + B_bin, R, n)
            Relative modulation power of the band envelopes, then of the
            binaural channels (:class:`~resonance.hearing.ModulationFilterbank`).

        Returns
        -------
        ndarray, shape (B, R, n)
        """
        B = self.auditory.shape[1]
        m = m / (1.0 + m)
        bands = m[:B].copy()
        nb = m.shape[0] - B
        if nb:
            bands[:nb] += self.binaural_gain**2 * m[B:]
        return bands

    def process(self, bands: np.ndarray, surprise: np.ndarray, neutral_w: np.ndarray, total_w: np.ndarray):
        """Neutral and total energy per harmonic.

        Parameters
        ----------
        bands : ndarray, shape (B, R, n)
            :meth:`bands` of the step's modulation spectra.
        surprise : ndarray, shape (B, R, n)
            What the modulation sink did not expect of them
            (:class:`~resonance.expectation.sinks.ModulationSink`).
        neutral_w, total_w : ndarray, shape (B, n)
            Share of each band's events that no sink predicted (times the
            non-speech share) times its loudness weight, and the loudness
            weight alone.

        Returns
        -------
        m_n, m_t : ndarray, shape (K, n)
            For each rate, the band's power enters its tonotopic patch (bands
            add as powers), passes the harmonic's field response
            ``|T_k(f)|^2``, and is weighted by the coherence gain.
        """
        B = self.auditory.shape[1]
        gain, self._state = modulation_coherence(
            bands, self._state, a=self.coherence_a, floor=self.floor, exponent=self.exponent
        )
        R, n = bands.shape[1], bands.shape[2]
        # sum over bands b and rates r of aud^2[k, b] rate_gain[k, r] gain[r, t] x[b, r, t]:
        # one product of the (K, B R) weights with the neutral and total drive.
        x = np.concatenate([surprise * neutral_w[:, None, :], bands * total_w[:, None, :]], axis=2)  # (B, R, 2 n)
        x *= np.concatenate([gain, gain], axis=1)[None]
        m = self._weights @ x.reshape(B * R, 2 * n)  # (K, 2 n)
        return m[:, :n], m[:, n:]
