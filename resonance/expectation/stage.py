"""The expectation stage of the scorer: metre and harmony side by side.

:class:`Expectation` owns the listener's models of metre
(:class:`~resonance.expectation.metre.MetreModel`) and harmony
(:class:`~resonance.expectation.harmony.HarmonyModel`), feeds them the
frames the front end makes, and gives the scorer what it needs: the
precision of rhythmic prediction errors (the metre certainty), the share
of each chord event's energy that passes as neutral energy
(:func:`~resonance.expectation.harmony.harmonic_pass_share`: surprise and
uncertainty of the chord together, Cheung et al. 2019) and the metrics of
expectation, in bits per event.
"""

from __future__ import annotations

import numpy as np

from .harmony import HarmonyModel
from .metre import MetreModel

__all__ = ["Expectation"]


class Expectation:
    """Metre and harmony models of one stimulus (streaming; starts blank).

    Parameters
    ----------
    frame_rate_hz : float
        Rate of the onset frames passed to :meth:`process_onsets` (Hz).
    certainty_tau_s : float
        Averaging time of the metre certainty (s).
    long_freqs_hz : ndarray or None
        Bin frequencies of the long spectra passed to
        :meth:`process_spectrum`; ``None`` leaves harmony out.

    Examples
    --------
    >>> e = Expectation(frame_rate_hz=43.066)
    >>> o = np.zeros((8, 430)); o[:, ::22] = 1.0
    >>> precision = e.process_onsets(o)
    >>> precision.shape
    (430,)
    """

    def __init__(self, *, frame_rate_hz: float, certainty_tau_s: float = 2.0, long_freqs_hz=None):
        self.frame_rate_hz = frame_rate_hz
        self.certainty_tau_s = certainty_tau_s
        self.long_freqs_hz = long_freqs_hz
        self.metre = MetreModel(frame_rate_hz=frame_rate_hz, certainty_tau_s=certainty_tau_s)
        self.harmony = None if long_freqs_hz is None else HarmonyModel(long_freqs_hz)
        self._acc = {"ic_r": 0.0, "h_r": 0.0, "events_r": 0.0, "cert": 0.0, "n": 0,
                     "ic_h": 0.0, "h_h": 0.0, "events_h": 0, "pass_h": 0.0}
        self._window = (0, 0.0)  # long frames left of the last chord's onset window, its pass share

    @property
    def harmonic_delay_frames(self) -> int:
        """Long frames from a chord's first frame to the frame that confirms it."""
        return 0 if self.harmony is None else self.harmony.hold_frames - 1

    def process_spectrum(self, spectrum: np.ndarray, *, harmonic=None) -> np.ndarray:
        """Feed long magnitude spectra; return the chords' pass share per frame.

        Parameters
        ----------
        spectrum : ndarray, shape (n_bins, n)
        harmonic : ndarray, shape (n_bins, n), or None
            Their harmonic part (:meth:`HarmonyModel.process
            <resonance.expectation.harmony.HarmonyModel.process>`; the
            scorer's separation, shared with consonance), or ``None``.

        Returns
        -------
        ndarray, shape (n,)
            In the ``hold_frames`` frames from the one that confirms a chord
            event, the share of that chord's energy that passes as neutral
            energy (its pass share times the harmonic part's share of the
            confirming frame's energy; the chord's onset window,
            :attr:`harmonic_delay_frames` later
            than the chord's own first frames); 0 elsewhere and without
            harmony.
        """
        n = np.asarray(spectrum).shape[1]
        share = np.zeros(n)
        if self.harmony is None:
            return share
        out = self.harmony.process(spectrum, harmonic=harmonic)
        acc = self._acc
        for ic, h, v in zip(out.surprise_bits, out.entropy_bits, out.pass_share):
            if np.isfinite(ic):
                acc["ic_h"] += ic
                acc["h_h"] += h
                acc["pass_h"] += v
                acc["events_h"] += 1
        # A chord event's energy is that of a pitched, sustained sound: the
        # share passes in proportion to the harmonic (non-percussive) part of
        # the frame that confirms the chord (causal median-filtering HPSS,
        # Fitzgerald 2010: the harmony model's separation, out.harmonic_share),
        # so a drum hit that happens to match a triad template passes little.
        events = {j: v * t for j, v, t in zip(out.frames, out.pass_share, out.harmonic_share)}
        left, value = self._window
        for j in range(n):
            if j in events:
                left, value = self.harmony.hold_frames, events[j]
            if left > 0:
                share[j] = value
                left -= 1
        self._window = (left, value)
        return share

    def process_onsets(self, o_bands: np.ndarray) -> np.ndarray:
        """Feed onset frames; return the precision of each frame's rhythmic errors.

        Parameters
        ----------
        o_bands : ndarray, shape (n_bands, n)
            Event strength in [0, 1] per band and frame.

        Returns
        -------
        ndarray, shape (n,)
            Metre certainty in [0, 1], the precision of rhythmic prediction
            errors in each frame.
        """
        out = self.metre.process(o_bands)
        acc = self._acc
        acc["ic_r"] += float(out.surprise_bits.sum())
        acc["h_r"] += float(out.entropy_bits.sum())
        acc["events_r"] += float(out.o.sum())
        acc["cert"] += float(out.certainty.sum())
        acc["n"] += out.certainty.size
        return out.certainty

    def metrics(self) -> dict:
        """Expectation metrics of everything fed since the start.

        Returns
        -------
        dict
            ``metre_tempo_bpm`` (the metre model's pulse), ``metre_pulse_z``
            (how far the onsets fall on the predicted beats beyond chance, in
            standard errors: :meth:`MetreModel.pulse_z`), ``metre_certainty``
            (mean over frames, in [0, 1]), ``surprise_rhythmic`` and
            ``uncertainty_rhythmic`` (information content of the onsets and
            entropy of the predictions, summed over frames and divided by
            the number of onsets: bits per event; None with fewer than two
            onsets), ``surprise_harmonic`` and
            ``uncertainty_harmonic`` (mean over chord changes, bits per chord;
            None without at least two chord changes), ``surprise`` and
            ``uncertainty`` (their sums: the information of an event that
            carries both an onset and a chord, the parts predicted
            independently; a missing part counts 0), ``n_chords`` (chord
            changes predicted), ``harmonic_pass`` (mean share of a chord
            event's energy that passes as neutral energy, in [0, 1]; None
            without chord changes).
        """
        acc = self._acc
        n_ev = acc["events_r"]
        # Fewer than two onsets' worth of accent is no rhythm (a drone's
        # faint fluctuations would give huge bits per "event").
        s_r = acc["ic_r"] / n_ev if n_ev >= 2.0 else None
        u_r = acc["h_r"] / n_ev if n_ev >= 2.0 else None
        n_h = acc["events_h"]
        s_h = acc["ic_h"] / n_h if n_h else None
        u_h = acc["h_h"] / n_h if n_h else None
        return {
            "metre_tempo_bpm": self.metre.tempo_bpm(),
            "metre_pulse_z": self.metre.pulse_z(),
            "metre_certainty": acc["cert"] / acc["n"] if acc["n"] else 0.0,
            "surprise_rhythmic": s_r,
            "uncertainty_rhythmic": u_r,
            "surprise_harmonic": s_h,
            "uncertainty_harmonic": u_h,
            "surprise": (s_r or 0.0) + (s_h or 0.0),
            "uncertainty": (u_r or 0.0) + (u_h or 0.0),
            "n_chords": n_h,
            "harmonic_pass": acc["pass_h"] / n_h if n_h else None,
        }
