"""Read-outs of a scored stimulus: headline, tempo, mode consonance, top regions.

Pure functions of what the scorer accumulated (:meth:`resonance.scorer.Scorer.result`
calls them); none changes the model's state.
"""

from __future__ import annotations

import numpy as np

from ..hearing.consonance import mode_consonance
from .timecourse import equilibrium_score, habituation

__all__ = ["headline", "rate_consonance", "tempo", "top_regions"]


def headline(neutral_power: np.ndarray, *, dt_s: float, settle_s: float, window_s: float):
    """Duration-independent score, the seconds it was read over, and habituation.

    The score is the reservoir's equilibrium level, the mean neutral power
    delivered after ``settle_s`` (:func:`~resonance.metrics.equilibrium_score`);
    habituation is the relative fall of the delivered power from the first
    to the last ``window_s`` (``reservoir_tau_s``) of the settled stretch
    (:func:`~resonance.metrics.habituation`).

    Returns
    -------
    score : float
    score_window_s : float
    habituation : float or None
    """
    score, score_window_s = equilibrium_score(neutral_power, dt_s=dt_s, settle_s=settle_s)
    hab = habituation(neutral_power, dt_s=dt_s, settle_s=settle_s, window_s=window_s)
    return score, score_window_s, hab


def rate_consonance(mean_modes: np.ndarray, rate_power, *, mode_freqs_hz: np.ndarray, freqs_hz: np.ndarray,
                    energised_share: float, max_energised_modes: int) -> float | None:
    """Consonance among the energised harmonics (the valence proxy).

    The energised harmonics are the strongest modes that together hold
    ``energised_share`` of the neutral energy (at most
    ``max_energised_modes``; the constant mode, which does not oscillate,
    excluded).  What is measured is the set of rates at which they
    oscillate under this stimulus: their summed power (from the whole
    drive) at each rhythm rate of the bank (0.5-8 Hz), whose peaks are
    treated as partials and passed through the same roughness and
    harmonicity as sound (:func:`~resonance.hearing.consonance.mode_consonance`).
    Rates in simple ratios (a beat and its subdivisions, 3:2 polyrhythms)
    are consonant; rates near the golden ratio, or a smear of rates, are
    not.

    Parameters
    ----------
    mean_modes : ndarray, shape (K,)
        Mean neutral energy of each harmonic.
    rate_power : ndarray, shape (K, J) or None
        Summed power of each harmonic at each rhythm rate.
    mode_freqs_hz : ndarray, shape (K,)
        Natural frequency of each harmonic (0 for the constant mode).
    freqs_hz : ndarray, shape (J,)
        Rhythm rates of the bank.
    energised_share : float
    max_energised_modes : int

    Returns
    -------
    float or None
        ``None`` when the harmonics were not driven at all.
    """
    ringing = np.flatnonzero(mode_freqs_hz > 0)
    e = mean_modes[ringing]
    if rate_power is None or e.sum() <= 0:
        return None
    order = np.argsort(e)[::-1]
    cum = np.cumsum(e[order]) / e.sum()
    n = min(int(np.searchsorted(cum, energised_share)) + 1, max_energised_modes)
    keep = ringing[order[:max(n, 2)]]
    power = rate_power[keep].sum(axis=0)
    if not power.max() > 0:
        return None
    # Peaks of the rate spectrum (within 30 dB of the strongest), refined
    # by a parabola on the log-log axes of the bank.
    logf = np.log(freqs_hz)
    lp = np.log(np.maximum(power, power.max() * 1e-12))
    inner = (lp[1:-1] > lp[:-2]) & (lp[1:-1] >= lp[2:]) & (power[1:-1] >= 1e-3 * power.max())
    idx = np.flatnonzero(inner) + 1
    if idx.size == 0:
        idx = np.array([int(np.argmax(power))])
    f_hz, p = [], []
    for i in idx:
        shift = 0.0
        if 0 < i < lp.size - 1:
            den = lp[i - 1] - 2 * lp[i] + lp[i + 1]
            if den < 0:
                shift = float(np.clip(0.5 * (lp[i - 1] - lp[i + 1]) / den, -0.5, 0.5))
        f_hz.append(float(np.exp(logf[i] + shift * (logf[min(i + 1, lp.size - 1)] - logf[i]))))
        p.append(float(power[i]))
    return float(mode_consonance(np.array(f_hz), np.array(p))["consonance"])


def tempo(power: np.ndarray, *, freqs_hz: np.ndarray, pulse_gain: np.ndarray, min_salience: float):
    """Perceived tempo (BPM) and pulse salience: the pulse resonance applied to periodicity salience.

    A pulse level is supported by every event on its grid, so its salience
    is the harmonic sum ``S(f) = sum_h P(h f)`` of the drive's power (the
    spectral counterpart of the autocorrelation at lag ``1/f``); the tempo
    is the level, within 0.5-4 Hz, where the pulse resonance times the
    salience peaks (van Noorden & Moelants 1999; Moelants 2002).  The pulse
    salience is ``max S / median S`` over those levels; below
    ``min_salience`` (``tempo_min_salience``) there is no pulse to report
    (noise, drones, speech) and the tempo is None.

    Parameters
    ----------
    power : ndarray, shape (J,)
        Summed power of the whole drive at each rhythm rate.
    freqs_hz, pulse_gain : ndarray, shape (J,)
        Rhythm rates of the bank and the pulse resonance's magnitude there.
    min_salience : float

    Returns
    -------
    tempo_bpm : float or None
    pulse_salience : float
    """
    if not np.any(power > 0):
        return None, 1.0
    logf = np.log(freqs_hz)
    candidates = np.flatnonzero(freqs_hz <= 4.0)
    salience = np.zeros(freqs_hz.size)
    for j in candidates:
        for h in range(1, 5):
            fh = h * freqs_hz[j]
            if fh > freqs_hz[-1] * 1.001:
                break
            salience[j] += np.interp(np.log(fh), logf, power)
    sal = salience[candidates]
    pulse_salience = float(sal.max() / max(float(np.median(sal)), 1e-300))
    if pulse_salience < min_salience:
        return None, pulse_salience
    weighted = salience * pulse_gain**2
    j = candidates[np.argmax(weighted[candidates])]
    f = freqs_hz[j]
    if 0 < j < freqs_hz.size - 1 and weighted[j + 1] > 0:
        # Parabolic interpolation of the peak on a log-frequency axis.
        y0, y1, y2 = np.log(weighted[j - 1 : j + 2] + 1e-30)
        denom = y0 - 2 * y1 + y2
        if denom < 0:
            shift = 0.5 * (y0 - y2) / denom
            step = np.log(freqs_hz[j + 1] / freqs_hz[j])
            f = f * np.exp(np.clip(shift, -0.5, 0.5) * step)
    return 60.0 * f, pulse_salience


def top_regions(mean_modes: np.ndarray, *, regional, labels, region_means: np.ndarray, n: int = 5):
    """Regions holding the most neutral energy, and the regional share.

    With regional harmonics (vertex level), a region's energy is the energy
    of its own patch harmonics driven through the global modes
    (:func:`~resonance.connectome.coupling.regional_projection`); the
    regional share is the fraction of that energy in patch modes beyond the
    constant one (patterns within regions rather than whole-region
    activity).  Without them (region level) the region's mean activity is
    used and the share is ``None``.

    Parameters
    ----------
    mean_modes : ndarray, shape (K,)
        Mean neutral energy of each harmonic.
    regional : tuple of (weights, region_of, order_of)
        :func:`~resonance.connectome.coupling.regional_projection` of the harmonics.
    labels : sequence of str
        Region labels.
    region_means : ndarray, shape (R, K)
        Mean of each harmonic over each region.
    n : int
        Regions listed.

    Returns
    -------
    regions : list of (str, float)
        Label and share of the neutral energy.
    share : float or None
    """
    weights, region_of, order_of = regional
    if weights.shape[0]:
        e_rows = weights @ mean_modes
        region_energy = np.bincount(region_of, weights=e_rows, minlength=len(labels))
        total_rows = e_rows.sum()
        share = float(e_rows[order_of > 0].sum() / total_rows) if total_rows > 0 else 0.0
    else:
        region_energy = (region_means**2) @ mean_modes
        share = None
    total = region_energy.sum()
    if total <= 0:
        return [], share
    order = np.argsort(region_energy)[::-1][:n]
    return [(str(labels[i]), float(region_energy[i] / total)) for i in order], share
