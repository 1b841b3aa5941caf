"""Hearing safety of a live, adaptive session: a loudness governor and a true-peak limiter, both streaming.

A fixed session is mastered with a gain planned before it plays
(:class:`stimgen.mastering.StreamMaster`), which needs the programme known in
advance.  An adaptive session changes while it plays, so its level is held
block by block:

1. :class:`LoudnessGovernor` keeps the short-term loudness (the K-weighted
   energy over the last :data:`GOVERNOR_WINDOW_S` seconds, ITU-R BS.1770
   weighting) at or below that of a *reference*: the same session as
   ``stimgen generate`` renders it, with its mastering gain and fades (before
   its limiter), at the same moment, fed block by block alongside.  It only
   ever turns down.
2. :class:`StreamingLimiter` is a look-ahead true-peak limiter: its detector
   is the signal oversampled :data:`~stimgen.mastering.LIMITER_OVERSAMPLE`
   times with the interpolator of :func:`scipy.signal.resample_poly` (the one
   behind :func:`stimgen.mastering.true_peak_dbtp`); its gain recovers at a
   constant rate in dB, starts falling ``lookahead_s`` before each peak
   along a Hann-shaped ramp, and aims :data:`LIMITER_MARGIN_DB` below the
   ceiling.  A final check of each output block, with its neighbours known,
   scales the block down if an interpolated peak still exceeds the ceiling
   (counted in :attr:`StreamingLimiter.n_trims`; expected to stay 0).

Both work on frame-major blocks ``(n_frames, n_channels)`` of float64 (the
layout of the playback ring buffer) and keep their state between calls, so
any split of a signal into blocks gives the same output.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ..mastering import LIMITER_OVERSAMPLE, TRUE_PEAK_OVERSAMPLE
from ..mastering._kernels import ahead_min, kaiser_lowpass, sosfilt

__all__ = [
    "GOVERNOR_WINDOW_S",
    "GOVERNOR_RELEASE_DB_PER_S",
    "LIMITER_MARGIN_DB",
    "INTERP_RADIUS",
    "k_weighting_sos",
    "k_weighted_energy",
    "LoudnessGovernor",
    "StreamingLimiter",
]

#: Window of the governor's loudness measure in seconds: the "short-term"
#: loudness of EBU Tech 3341 (3 s).
GOVERNOR_WINDOW_S = 3.0

#: Fastest rise of the governor's gain, in dB per second (it falls at once).
GOVERNOR_RELEASE_DB_PER_S = 1.0

#: The limiter aims this far below the ceiling (dB), so that the smooth gain
#: curve's effect between samples cannot carry a peak over the ceiling.
LIMITER_MARGIN_DB = 0.3

#: Input samples on each side that one interpolated value depends on
#: (:func:`scipy.signal.resample_poly` uses ``10 * up`` output taps per side).
INTERP_RADIUS = 10

_TRIM_MARGIN = 1e-6


def _interpolator(oversample: int) -> tuple[np.ndarray, float]:
    """The FIR filter :func:`scipy.signal.resample_poly` designs for ``(x, oversample, 1)``, and its gain bound.

    Passing the filter back as ``window`` gives the same output without
    designing it again on every block.  ``bound`` is the largest L1 norm of
    a polyphase branch (times ``oversample``): no interpolated value exceeds
    ``bound`` times the largest sample within :data:`INTERP_RADIUS` of it.
    """
    half = 10 * oversample
    h = kaiser_lowpass(2 * half + 1, 1.0 / oversample, 5.0)
    branches = np.zeros((oversample, -(-h.size // oversample) + 1))
    for p in range(oversample):
        taps = h[p::oversample]
        branches[p, :taps.size] = taps
    bound = max(1.0, float(np.abs(branches).sum(axis=1).max()) * oversample) * (1.0 + 1e-9)
    return h, bound


def k_weighting_sos(sr: int) -> np.ndarray:
    """Second-order sections of the BS.1770 K-weighting filter at ``sr`` (a copy of the mastering's).

    Parameters
    ----------
    sr : int
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray, shape (2, 6)
        A high shelf then a high pass (:func:`stimgen.mastering.k_weighting_sos`).

    Examples
    --------
    >>> k_weighting_sos(48000).shape
    (2, 6)
    """
    from ..mastering import k_weighting_sos as sos

    return np.array(sos(int(sr)))


def k_weighted_energy(y: np.ndarray, *, sr: int, hop: int) -> np.ndarray:
    """Cumulative K-weighted energy of a whole signal at every ``hop`` samples.

    Parameters
    ----------
    y : numpy.ndarray, shape (n_channels, n_samples)
        Audio, time on the last axis.
    sr : int
        Sample rate in Hz.
    hop : int
        Resolution in samples.

    Returns
    -------
    numpy.ndarray of float64, shape (ceil(n_samples / hop) + 1,)
        ``c[j]`` is the sum over channels and samples ``< j * hop`` of the
        squared K-weighted signal (``c[0] = 0``, the last entry covers the
        whole signal).

    Examples
    --------
    >>> c = k_weighted_energy(np.ones((2, 1000)), sr=48000, hop=512)
    >>> c.shape, float(c[0])
    ((3,), 0.0)
    """
    sq = np.square(sosfilt(k_weighting_sos(sr), np.asarray(y, dtype=np.float64), axis=-1)).sum(axis=0)
    n = sq.size
    n_hops = -(-n // hop)
    padded = np.zeros(n_hops * hop)
    padded[:n] = sq
    return np.concatenate([[0.0], np.cumsum(padded.reshape(n_hops, hop).sum(axis=1))])


class LoudnessGovernor:
    """Keep a stream no louder than a reference, block by block (it only turns down).

    Two measures, both K-weighted (ITU-R BS.1770) and both compared with the
    reference over the same samples (the reference's blocks come with the
    stream's, so nothing of the session is needed in advance):

    * short-term: the energy over the last ``window_s`` seconds (3 s, the
      short-term loudness of EBU Tech 3341);
    * integrated: the gated loudness (BS.1770: 400 ms blocks every 100 ms,
      absolute gate -70 LUFS, relative gate -10 LU) of everything so far.
      When the output's exceeds the reference's, an extra attenuation grows
      (by half the excess every 100 ms) until it does not; it relaxes the
      same way when the output is quieter.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    n_channels : int
        Channels of the blocks.
    window_s : float
        Short-term window in seconds.
    release_db_per_s : float
        Fastest rise of the gain (dB/s).

    Attributes
    ----------
    gain : float
        Gain at the end of the last block (<= 1).
    min_gain : float
        Lowest gain applied so far.
    correction_db : float
        Current extra attenuation from the integrated measure (>= 0).

    Notes
    -----
    For a block ending at sample ``end`` the governor measures the input's
    energy ``E`` over the short-term window ending there and the reference's
    ``E_ref`` over the same samples, aims at
    ``min(1, sqrt(E_ref / E)) * 10 ** (-correction_db / 20)``, and glides
    linearly across the block from the previous gain to the new one (falling
    at once, rising at most ``release_db_per_s``).
    """

    def __init__(self, *, sr: int, n_channels: int = 2,
                 window_s: float = GOVERNOR_WINDOW_S, release_db_per_s: float = GOVERNOR_RELEASE_DB_PER_S):
        self.sr = int(sr)
        self.window = max(1, int(round(window_s * sr)))
        self.release_db_per_s = float(release_db_per_s)
        self._sos = k_weighting_sos(self.sr)
        self._zi = np.zeros((self._sos.shape[0], 2, n_channels))
        self._zi_ref = np.zeros((self._sos.shape[0], 2, n_channels))
        self._blocks: list[tuple[int, float, float]] = []  # (n_samples, input, reference energy) of recent blocks
        self._window_energy = 0.0
        self._window_ref = 0.0
        self._window_samples = 0
        # Integrated measure: output and reference energies per gating step (100 ms).
        self._gate_step = int(round(0.1 * self.sr))
        self._acc = [0, 0.0, 0.0]  # samples, output energy, reference energy of the open step
        self._steps_out: list[float] = []
        self._steps_ref: list[float] = []
        self._z_out: list[float] = []
        self._z_ref: list[float] = []
        self.correction_db = 0.0
        self.gain = 1.0
        self.min_gain = 1.0

    def _integrated(self, n: int, e_out: float, e_ref: float) -> None:
        """Accumulate one block's energies; update the correction at every gating step."""
        acc = self._acc
        acc[0] += n
        acc[1] += e_out
        acc[2] += e_ref
        if acc[0] < self._gate_step:
            return
        self._steps_out.append(acc[1])
        self._steps_ref.append(acc[2])
        self._acc = [0, 0.0, 0.0]
        if len(self._steps_out) < 4:
            return
        norm = 4 * self._gate_step
        self._z_out.append(sum(self._steps_out[-4:]) / norm)
        self._z_ref.append(sum(self._steps_ref[-4:]) / norm)
        out = _gated_energy(np.asarray(self._z_out))
        ref = _gated_energy(np.asarray(self._z_ref))
        if out > 0 and ref > 0:
            excess_db = 10.0 * math.log10(out / ref)
            self.correction_db = max(0.0, self.correction_db + 0.5 * excess_db)

    def process(self, x: np.ndarray, *, reference: np.ndarray) -> np.ndarray:
        """Govern one block.

        Parameters
        ----------
        x : numpy.ndarray, shape (n_frames, n_channels)
            The next block.
        reference : numpy.ndarray, shape (n_frames, n_channels)
            The reference's samples at the same frames.

        Returns
        -------
        numpy.ndarray, shape (n_frames, n_channels)
            The block times the governor's gain.
        """
        n = x.shape[0]
        if n == 0:
            return x.copy()
        weighted, self._zi = sosfilt(self._sos, x, axis=0, zi=self._zi)
        power = np.square(weighted).sum(axis=1)
        energy = float(power.sum())
        weighted_ref, self._zi_ref = sosfilt(self._sos, reference, axis=0, zi=self._zi_ref)
        block_ref = float(np.square(weighted_ref).sum())
        self._blocks.append((n, energy, block_ref))
        self._window_energy += energy
        self._window_ref += block_ref
        self._window_samples += n
        while self._blocks and self._window_samples - self._blocks[0][0] >= self.window:
            m, e, r = self._blocks.pop(0)
            self._window_samples -= m
            self._window_energy -= e
            self._window_ref -= r
        e_ref = max(self._window_ref, 0.0)
        e_mix = max(self._window_energy, 0.0)
        target = 1.0 if e_mix <= 1e-20 or e_ref >= e_mix else math.sqrt(max(e_ref, 0.0) / e_mix)
        target *= 10.0 ** (-self.correction_db / 20.0)
        rise = 10.0 ** (self.release_db_per_s * n / self.sr / 20.0)
        new = min(target, self.gain * rise, 1.0)
        ramp = self.gain + (new - self.gain) * (np.arange(1, n + 1) / n)
        self.gain = new
        self.min_gain = min(self.min_gain, new)
        self._integrated(n, float(power @ np.square(ramp)), block_ref)
        return x * ramp[:, np.newaxis]


def _gated_energy(z: np.ndarray) -> float:
    """Mean of the 400 ms block energies that pass the BS.1770 gates (0 if none)."""
    with np.errstate(divide="ignore"):
        loud = -0.691 + 10.0 * np.log10(z)
    kept = z[loud >= -70.0]
    if kept.size == 0:
        return 0.0
    relative = -0.691 + 10.0 * math.log10(kept.mean()) - 10.0
    kept = z[(loud > relative) & (loud > -70.0)]
    return float(kept.mean()) if kept.size else 0.0


class StreamingLimiter:
    """Look-ahead true-peak limiter for a stream of blocks (output delayed by :attr:`delay` frames).

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    ceiling_dbtp : float
        True-peak ceiling in dBTP.
    n_channels : int
        Channels of the blocks.
    lookahead_s : float
        Attack (look-ahead) time in seconds.
    release_s : float
        Release time constant in seconds: the gain recovers at 8.686 dB per
        ``release_s``.
    margin_db : float
        The detector aims this far below the ceiling.

    Attributes
    ----------
    delay : int
        Output delay in frames: output frame ``i`` of the stream is input
        frame ``i - delay`` (the first ``delay`` output frames are silence).
    min_gain : float
        Deepest gain applied so far.
    n_trims : int
        Output blocks the final check had to scale down.

    Examples
    --------
    >>> lim = StreamingLimiter(sr=48000, ceiling_dbtp=-6.0, n_channels=1)
    >>> y = np.sin(2 * np.pi * 100 * np.arange(48000) / 48000)[:, None]
    >>> out = np.concatenate([lim.process(b) for b in np.array_split(y, 90)] + [lim.flush()])
    >>> from stimgen.mastering import true_peak_dbtp
    >>> bool(true_peak_dbtp(out[:, 0], sr=48000) <= -6.0), out.shape[0] - lim.delay
    (True, 48000)
    """

    def __init__(self, *, sr: int, ceiling_dbtp: float, n_channels: int = 2, lookahead_s: float = 0.005,
                 release_s: float = 0.05, margin_db: float = LIMITER_MARGIN_DB):
        self.sr = int(sr)
        self.n_channels = int(n_channels)
        self.ceiling = 10.0 ** (ceiling_dbtp / 20.0)
        self._aim_db = float(ceiling_dbtp) - float(margin_db)
        self._look = max(1, int(round(lookahead_s * sr)))
        self._rate_db = (20.0 / math.log(10.0)) / (release_s * sr)
        r = INTERP_RADIUS
        kernel = np.hanning(self._look + 3)[1:-1]
        self._kernel = kernel / kernel.sum()
        # Limiter delay (look-ahead + detector context), then R more for the final check.
        self._lim_delay = self._look + r
        self.delay = self._lim_delay + r
        self._x = np.zeros((2 * r + self._lim_delay, self.n_channels))  # input history
        self._rel_last = 0.0  # released gain (dB) of the newest detected sample
        self._rel = np.zeros(self._look)  # released gains (dB) awaiting their look-ahead minimum
        self._ahead = np.ones(self._look)  # look-ahead minima (linear) awaiting smoothing
        self._y = np.zeros((r, self.n_channels))  # limited output awaiting the final check
        self._final_prev = np.zeros((r, self.n_channels))  # already emitted output (context)
        self.min_gain = 1.0
        self.n_trims = 0
        self._filters = {f: _interpolator(f) for f in (TRUE_PEAK_OVERSAMPLE, LIMITER_OVERSAMPLE)}

    def _envelope(self, window: np.ndarray, n: int, oversample: int, threshold: float) -> np.ndarray:
        """Peak over channels of the ``n`` middle samples of ``window`` and their interpolated points.

        Exact wherever it exceeds ``threshold``; if the bound of the
        interpolator shows that nothing in the window can exceed it, the
        sample peaks are returned without interpolating.
        """
        r = INTERP_RADIUS
        samples = np.abs(window[r:r + n]).max(axis=1)
        h, bound = self._filters[oversample]
        if bound * float(np.abs(window).max()) <= threshold:
            return samples
        from scipy.signal import resample_poly  # only near the ceiling: its import is slow

        up = resample_poly(window, oversample, 1, axis=0, window=h)
        mid = np.abs(up[oversample * r:oversample * (r + n)]).reshape(n, oversample, -1).max(axis=(1, 2))
        return np.maximum(mid, samples)

    def process(self, x: np.ndarray) -> np.ndarray:
        """Limit the next block; return as many output frames (delayed by :attr:`delay`).

        Parameters
        ----------
        x : numpy.ndarray, shape (n_frames, n_channels)

        Returns
        -------
        numpy.ndarray of float64, shape (n_frames, n_channels)
        """
        n = x.shape[0]
        if n == 0:
            return np.zeros((0, self.n_channels))
        r = INTERP_RADIUS
        look = self._look
        xs = np.concatenate([self._x, np.asarray(x, dtype=np.float64)])
        self._x = xs[-self._x.shape[0]:]
        # Detector for the n samples that now have R samples of context after them.
        aim = 10.0 ** (self._aim_db / 20.0)
        env = self._envelope(xs[-(n + 2 * r):], n, LIMITER_OVERSAMPLE, aim)
        with np.errstate(divide="ignore"):
            need_db = np.minimum(0.0, self._aim_db - 20.0 * np.log10(np.maximum(env, 1e-30)))
        # Release: the gain rises at most rate_db per sample.
        ramp = self._rate_db * np.arange(n + 1)
        rel = np.minimum.accumulate(np.concatenate([[self._rel_last], need_db]) - ramp) + ramp
        rel = np.minimum(rel[1:], 0.0)
        self._rel_last = float(rel[-1])
        # Look-ahead: each sample takes the minimum over itself and the next `look` samples.
        pending = np.concatenate([self._rel, rel])
        ahead_db = _ahead_min(pending, look)[:n]
        self._rel = pending[-look:]
        ahead = 10.0 ** (ahead_db / 20.0)
        # Hann-weighted average over the last `look` + 1 look-ahead minima (each covers the sample).
        hist = np.concatenate([self._ahead, ahead])
        gain = np.convolve(hist, self._kernel, mode="valid")
        gain = np.minimum(gain, 10.0 ** (pending[:n] / 20.0))
        self._ahead = hist[-look:]
        self.min_gain = min(self.min_gain, float(gain.min()))
        # Input samples that the gains belong to: `look` + R behind the newest.
        src = xs[-(n + self._lim_delay):xs.shape[0] - self._lim_delay]
        limited = src * gain[:, np.newaxis]
        # Final check of the block that now has R limited samples after it.
        ys = np.concatenate([self._y, limited])
        self._y = ys[-r:]
        out = ys[:n].copy()
        window = np.concatenate([self._final_prev, ys])[: n + 2 * r]
        peak = max(float(self._envelope(window, n, f, self.ceiling).max())
                   for f in (TRUE_PEAK_OVERSAMPLE, LIMITER_OVERSAMPLE))
        if peak > self.ceiling:
            out *= (self.ceiling / peak) * (1.0 - _TRIM_MARGIN)
            self.n_trims += 1
        self._final_prev = np.concatenate([self._final_prev, out])[-r:]
        return out

    def flush(self) -> np.ndarray:
        """Push :attr:`delay` frames of silence through; return the last ``delay`` output frames."""
        return self.process(np.zeros((self.delay, self.n_channels)))


def _ahead_min(values: np.ndarray, look: int) -> np.ndarray:
    """``out[k] = min(values[k : k + look + 1])`` (the last value repeats past the end)."""
    return ahead_min(values, look + 1)
