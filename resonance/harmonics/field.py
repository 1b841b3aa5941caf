"""Temporal response of each harmonic: the corticothalamic neural field.

The cortical wave equation alone (Robinson et al. 1997) is overdamped below
~18 Hz, so every low mode responds alike to the rates that sound drives.  The
corticothalamic neural field of Robinson, Rennie & Rowe (2002) adds the
cortex-thalamus-cortex loop (delay ``t0``): its linear transfer from input at
the specific (relay) thalamic nuclei -- where sound arrives from the medial
geniculate body -- to cortical excitatory activity of a spatial mode with wave
number ``k`` is::

    L(w)       = 1 / ((1 - i w / alpha)(1 - i w / beta))
    q^2 r_e^2  = (1 - i w / gamma_e)^2
                 - [G_ee L + (G_ese L^2 + G_esre L^3) exp(i w t0) / (1 - G_srs L^2)] / (1 - G_ei L)
    T_k(w)     = L^2 exp(i w t0 / 2) / ((1 - G_srs L^2)(1 - G_ei L)) / (k^2 r_e^2 + q^2 r_e^2)

(Robinson et al. 2002 eqs. 19-24; Abeysuriya, Rennie & Robinson 2015).  A
connectome harmonic with Laplace-Beltrami eigenvalue ``lambda`` (mm^-2) is a
spatial mode with ``k^2 = lambda`` (Robinson et al. 2016 "Eigenmodes of brain
activity", the modal expansion of the field).  Modes with ``k r_e`` below ~1
carry the loop's alpha (~10 Hz) and beta (~20 Hz) resonances; larger
eigenvalues damp them, and modes with large ``k r_e`` are low-pass with a
corner near ``gamma_e k r_e``.  The response of each mode therefore differs
across 0.5-64 Hz with its eigenvalue, which is what lets a connectome matter.

The transfer is normalised by the static gain of the spatially uniform mode
(``k = 0``, ``w = 0``), which depends only on the gains, never on the
connectome: a mode that resonates more than the uniform field at rest has
``|T| > 1``.

Parameters are the nominal waking eyes-closed values of Robinson et al. 2004
(Phys. Rev. E 69:041909, Table; the "typical" set also used by Abeysuriya et
al. 2015): ``G_ee = 5.4, G_ei = -7.0, G_ese = 5.6, G_esre = -2.8,
G_srs = -0.6, alpha = 75 /s, beta = 285 /s, t0 = 84 ms, gamma_e = 116 /s,
r_e = 86 mm`` (wave speed ``v = gamma_e r_e`` = 10 m/s).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..validation import check_float

__all__ = ["FieldParameters", "channel_transfer_power", "corticothalamic_transfer"]


@dataclass(frozen=True)
class FieldParameters:
    """Gains and rates of the corticothalamic field (all literature values).

    Attributes
    ----------
    g_ee, g_ei, g_ese, g_esre, g_srs : float
        Loop gains (Robinson et al. 2004, eyes-closed nominal set).
    alpha_per_s, beta_per_s : float
        Synaptodendritic decay and rise rates (s^-1); same source.
    t0_s : float
        Corticothalamic loop delay (s); same source (84 ms gives the alpha
        peak near 10 Hz).
    gamma_per_s : float
        Cortical damping rate ``gamma_e = v / r_e`` (s^-1); same source.
    r_mm : float
        Range of excitatory axons ``r_e`` (mm); same source.
    """

    g_ee: float = 5.4
    g_ei: float = -7.0
    g_ese: float = 5.6
    g_esre: float = -2.8
    g_srs: float = -0.6
    alpha_per_s: float = 75.0
    beta_per_s: float = 285.0
    t0_s: float = 0.084
    gamma_per_s: float = 116.0
    r_mm: float = 86.0

    def validate(self) -> "FieldParameters":
        """Check every value; return ``self``."""
        for f in fields(self):
            check_float(f.name, getattr(self, f.name))
        for name in ("alpha_per_s", "beta_per_s", "gamma_per_s", "r_mm"):
            check_float(name, getattr(self, name), low=0.0, low_inclusive=False)
        check_float("t0_s", self.t0_s, low=0.0, high=1.0)
        return self


def _loop(w: np.ndarray, p: FieldParameters):
    L = 1.0 / ((1.0 - 1j * w / p.alpha_per_s) * (1.0 - 1j * w / p.beta_per_s))
    thal = 1.0 - p.g_srs * L**2
    cortex = 1.0 - p.g_ei * L
    q2 = (1.0 - 1j * w / p.gamma_per_s) ** 2 - (
        p.g_ee * L + (p.g_ese * L**2 + p.g_esre * L**3) * np.exp(1j * w * p.t0_s) / thal
    ) / cortex
    num = L**2 * np.exp(0.5j * w * p.t0_s) / (thal * cortex)
    return num, q2


def corticothalamic_transfer(eigenvalues_per_mm2, freqs_hz, *, params: FieldParameters | None = None) -> np.ndarray:
    """Response of each spatial mode to thalamic input at each frequency.

    Parameters
    ----------
    eigenvalues_per_mm2 : array_like, shape (n_modes,)
        Laplace-Beltrami eigenvalues ``k^2`` of the modes (mm^-2), >= 0.
    freqs_hz : array_like, shape (n_freqs,)
        Drive frequencies (Hz).
    params : FieldParameters or None
        Field parameters; ``None`` uses the published defaults.

    Returns
    -------
    ndarray, shape (n_modes, n_freqs), complex128
        ``T_k(2 pi f)`` normalised by the static gain of the uniform mode.

    Examples
    --------
    >>> t = corticothalamic_transfer([0.0, 0.01], [1.0, 10.0, 40.0])
    >>> t.shape
    (2, 3)
    >>> bool(abs(t[0, 1]) > abs(t[0, 2]))  # the alpha resonance of the uniform mode
    True
    """
    p = (params or FieldParameters()).validate()
    lam = np.asarray(eigenvalues_per_mm2, dtype=float).reshape(-1)
    f = np.asarray(freqs_hz, dtype=float).reshape(-1)
    w = 2.0 * np.pi * f
    num, q2 = _loop(w, p)
    num0, q20 = _loop(np.zeros(1), p)
    static = abs(num0[0] / q20[0])
    r2 = p.r_mm**2
    return (num[None, :] / (np.clip(lam, 0.0, None)[:, None] * r2 + q2[None, :])) / static


def channel_transfer_power(eigenvalues_per_mm2, rates_hz, *, q: float, fs_hz: float,
                           params: FieldParameters | None = None, n_grid: int = 512) -> np.ndarray:
    """Mean power gain ``|T_k|^2`` over the passband of each modulation filter.

    A modulation filter (:class:`resonance.hearing.ModulationFilterbank`: two
    cascaded complex one-pole resonators, centre rate ``f_c``, bandwidth
    ``f_c / q``) passes the envelope's fluctuations over a band, not at its
    centre rate alone.  The power it hands to a harmonic is therefore the
    filter's output power times the field's power gain averaged over the
    filter's power response:
    ``G_k(f_c) = int |H_c(f)|^2 |T_k(f)|^2 df / int |H_c(f)|^2 df``.
    Reading ``|T_k|^2`` at the centre rate only would miss a resonance that
    falls between two half-octave filters (the alpha peak of the uniform
    mode is a few hertz wide).

    Parameters
    ----------
    eigenvalues_per_mm2 : array_like, shape (n_modes,)
        Laplace-Beltrami eigenvalues of the modes (mm^-2).
    rates_hz : array_like, shape (n_rates,)
        Centre rates of the filters (Hz).
    q : float
        Quality factor of the filters.
    fs_hz : float
        Frame rate of the envelopes the filters run on (Hz).
    params : FieldParameters or None
        Field parameters; ``None`` uses the published defaults.
    n_grid : int
        Frequencies (log-spaced up to ``fs_hz / 2``) of the numerical integral.

    Returns
    -------
    ndarray, shape (n_modes, n_rates), float64
        Band-averaged power gain of each mode for each filter.

    Examples
    --------
    >>> g = channel_transfer_power([0.0, 0.01], [1.0, 8.0], q=2.0, fs_hz=172.27)
    >>> g.shape
    (2, 2)
    """
    q = check_float("q", q, low=0.0, low_inclusive=False)
    fs = check_float("fs_hz", fs_hz, low=0.0, low_inclusive=False)
    rates = np.asarray(rates_hz, dtype=float).reshape(-1)
    f = np.geomspace(max(rates.min() / 16.0, 1e-3), fs / 2.0, n_grid)
    df = np.gradient(f)
    r = np.exp(-np.pi * rates / (q * fs))
    pole = r * np.exp(2j * np.pi * rates / fs)
    h = np.abs((1.0 - r)[:, None] / (1.0 - pole[:, None] * np.exp(-2j * np.pi * f[None, :] / fs))) ** 4
    w = h * df[None, :]
    w /= w.sum(axis=1, keepdims=True)  # (R, F)
    t = corticothalamic_transfer(eigenvalues_per_mm2, f, params=params)
    return (t.real**2 + t.imag**2) @ w.T
