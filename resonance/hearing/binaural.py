"""Binaural stage: interaural correlation per cochlear band at low frequencies.

Neurons of the medial superior olive compare the fine structure of the two
ears up to about 1.5 kHz (phase locking; Zwislocki & Feldman 1956 for the
upper limit of interaural phase discrimination).  Two tones of slightly
different frequency, one per ear, make the interaural phase difference (IPD)
rotate at their difference frequency: the *binaural beat*.  Its cortical
response follows the beat rate (Schwarz & Taylor 2005; Pratt et al. 2010)
but is weaker than the response to the same beat presented monaurally, where
it is an envelope fluctuation in each ear.

Here the binaural stage reads, per frame and band, the normalised interaural
cross-spectrum ``rho = Re sum_f w_f X_L(f) X_R*(f) / sqrt(P_L P_R)`` (the
interaural correlation at zero lag, i.e. ``cos(IPD)`` for a single tone).
For a diotic or mono signal ``rho = 1`` at every frame, so it has no
fluctuation; for a binaural beat it swings between -1 and 1 at the beat
rate.  The scorer passes ``(1 + rho) / 2`` through the same modulation
filterbank as the envelopes, with the gain
:attr:`~resonance.config.ModelConfig.binaural_gain`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BINAURAL_MAX_HZ", "correlation_from_sums", "interaural_correlation"]

#: Upper frequency of interaural phase sensitivity (Hz): the limit of
#: interaural phase discrimination for tones (Zwislocki & Feldman 1956;
#: Brughera, Dunai & Hartmann 2013 put it at 1.4 kHz).
BINAURAL_MAX_HZ = 1500.0


def interaural_correlation(spec_l: np.ndarray, spec_r: np.ndarray, fb: np.ndarray, *, floor: float,
                           power_l: np.ndarray | None = None, power_r: np.ndarray | None = None) -> np.ndarray:
    """Normalised interaural correlation of each frame in each band.

    Parameters
    ----------
    spec_l, spec_r : ndarray, shape (n_frames, n_bins), complex
        Short-time spectra of the left and right ear.
    fb : ndarray, shape (n_binaural_bands, n_bins)
        Band weights (already restricted to the binaural range).
    floor : float
        Power below which a band counts as silent (its correlation is 1:
        nothing to compare, no fluctuation).
    power_l, power_r : ndarray, shape (n_frames, n_bins), optional
        ``|spec_l|^2`` and ``|spec_r|^2`` if the caller has them already
        (computed here otherwise).

    Returns
    -------
    ndarray, shape (n_binaural_bands, n_frames), float64
        ``rho`` in [-1, 1].

    Examples
    --------
    >>> s = np.ones((2, 4), dtype=complex)
    >>> interaural_correlation(s, s, np.ones((1, 4)), floor=1e-12).tolist()
    [[1.0, 1.0]]
    """
    if power_l is None:
        power_l = spec_l.real**2 + spec_l.imag**2
    if power_r is None:
        power_r = spec_r.real**2 + spec_r.imag**2
    # Re(X_L X_R*) = re_L re_R + im_L im_R; the three band sums in one product.
    cross = spec_l.real * spec_r.real
    cross += spec_l.imag * spec_r.imag
    n = cross.shape[0]
    sums = np.concatenate([cross, power_l, power_r], axis=0) @ np.asarray(fb, dtype=np.float64).T
    return correlation_from_sums(sums[:n], sums[n : 2 * n], sums[2 * n :], floor=floor)


def correlation_from_sums(cross: np.ndarray, power_l: np.ndarray, power_r: np.ndarray, *, floor: float) -> np.ndarray:
    """Normalised interaural correlation from its band sums.

    Parameters
    ----------
    cross : ndarray, shape (n_frames, n_binaural_bands)
        Band sums of the interaural cross-power ``Re X_L X_R*``.
    power_l, power_r : ndarray, shape (n_frames, n_binaural_bands)
        Band sums of each ear's power.
    floor : float
        Power below which a band counts as silent (its correlation is 1).

    Returns
    -------
    ndarray, shape (n_binaural_bands, n_frames), float64
        ``rho = cross / sqrt(power_l * power_r)`` in [-1, 1].

    Examples
    --------
    >>> correlation_from_sums(np.array([[-2.0]]), np.array([[4.0]]), np.array([[1.0]]), floor=1e-12).tolist()
    [[-1.0]]
    """
    den = np.sqrt(power_l * power_r)
    rho = np.where(den > floor, cross / np.maximum(den, 1e-300), 1.0)
    return np.clip(rho, -1.0, 1.0).T.astype(np.float64)
