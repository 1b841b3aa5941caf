"""Temporal resonance of the harmonics: the damped wave equation of neural field theory.

Each mode's amplitude obeys the damped wave equation of neural field theory
(Robinson et al. 1997; Pang et al. 2023)::

    a'' + 2 gamma a' + gamma^2 (1 + r^2 lambda) a = gamma^2 q

so it rings at ``f = gamma r sqrt(lambda) / (2 pi)`` with damping ratio
``1 / sqrt(1 + r^2 lambda)``, and its response to a drive at angular
frequency ``w`` is ``H(w) = gamma^2 / (gamma^2 (1 + r^2 lambda) - w^2 +
2 i gamma w)``.  The corticothalamic extension (:mod:`resonance.harmonics.field`)
is what the scorer uses; these are the cortical wave alone and the
dispersion reported with every :class:`~resonance.harmonics.Harmonics`.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ..validation import check_finite_array, check_float

__all__ = ["GAMMA_PER_S", "R_MM", "mode_dispersion", "neural_field_transfer"]

#: Damping rate of cortical waves, gamma (s^-1).  Pang et al. 2023, Nature
#: 618:566 ("Geometric constraints on human brain function"), Methods, after
#: Robinson et al. 2002.
GAMMA_PER_S = 116.0

#: Characteristic axonal range r (mm).  Pang et al. 2023 (as above); with
#: :data:`GAMMA_PER_S` the wave speed is ``v = gamma r`` = 3.35 m/s.
#: Robinson et al. 1997 (Phys. Rev. E 56:826) use r = 86 mm (v = 10 m/s).
R_MM = 28.9


def mode_dispersion(eigenvalues_per_mm2, *, gamma_per_s: float = GAMMA_PER_S, r_mm: float = R_MM):
    """Ringing frequency and damping ratio of neural-field modes.

    Parameters
    ----------
    eigenvalues_per_mm2 : array_like, shape (n_modes,)
        Physical Laplace-Beltrami eigenvalues (mm^-2), >= 0.
    gamma_per_s : float
        Damping rate gamma (s^-1), > 0.
    r_mm : float
        Axonal range r (mm), > 0.

    Returns
    -------
    frequencies_hz : ndarray, shape (n_modes,), float64
        ``gamma r sqrt(lambda) / (2 pi)``.
    damping_ratio : ndarray, shape (n_modes,), float64
        ``1 / sqrt(1 + r^2 lambda)`` (1 = critically damped).

    Raises
    ------
    ParameterError
        If eigenvalues are negative or not finite, or a parameter is not > 0.

    Examples
    --------
    >>> f, z = mode_dispersion([0.0, 1e-3])
    >>> round(float(f[1]), 1), round(float(z[0]), 3)
    (16.9, 1.0)
    """
    lam = _check_eigenvalues(eigenvalues_per_mm2)
    gamma = check_float("gamma_per_s", gamma_per_s, low=0, low_inclusive=False)
    r = check_float("r_mm", r_mm, low=0, low_inclusive=False)
    frequencies = gamma * r * np.sqrt(lam) / (2.0 * math.pi)
    damping = 1.0 / np.sqrt(1.0 + r * r * lam)
    return frequencies, damping


def neural_field_transfer(
    eigenvalues_per_mm2, freqs_hz, *, gamma_per_s: float = GAMMA_PER_S, r_mm: float = R_MM
) -> np.ndarray:
    """Frequency response of each mode to a drive at each frequency.

    ``H_k(w) = gamma^2 / (gamma^2 (1 + r^2 lambda_k) - w^2 + 2 i gamma w)``
    with ``w = 2 pi f``: the steady-state amplitude of mode ``k`` per unit
    drive ``q`` (docs/model.md).  ``H_k(0) = 1 / (1 + r^2 lambda_k)``.

    Parameters
    ----------
    eigenvalues_per_mm2 : array_like, shape (n_modes,)
        Physical eigenvalues (mm^-2), >= 0.
    freqs_hz : float or array_like, shape (n_freqs,)
        Drive frequencies (Hz), finite.
    gamma_per_s, r_mm : float
        Dispersion parameters (see :func:`mode_dispersion`).

    Returns
    -------
    ndarray, shape (n_modes, n_freqs), complex128

    Raises
    ------
    ParameterError
        If an input is not finite or a parameter is not > 0.

    Examples
    --------
    >>> h = neural_field_transfer([0.0, 1e-3], [0.0, 10.0])
    >>> h.shape, round(float(abs(h[0, 0])), 6)
    ((2, 2), 1.0)
    """
    lam = _check_eigenvalues(eigenvalues_per_mm2)
    gamma = check_float("gamma_per_s", gamma_per_s, low=0, low_inclusive=False)
    r = check_float("r_mm", r_mm, low=0, low_inclusive=False)
    freqs = check_finite_array("freqs_hz", np.atleast_1d(np.asarray(freqs_hz, dtype=float)), ndim=1)
    w = 2.0 * math.pi * freqs[None, :]
    g2 = gamma * gamma
    return g2 / (g2 * (1.0 + r * r * lam[:, None]) - w * w + 2j * gamma * w)


def _check_eigenvalues(values) -> np.ndarray:
    lam = check_finite_array("eigenvalues_per_mm2", np.atleast_1d(np.asarray(values, dtype=float)), ndim=1)
    if (lam < 0).any():
        raise ParameterError(
            f"eigenvalues_per_mm2 holds the negative value {lam.min():g}; eigenvalues must be >= 0"
        )
    return lam
