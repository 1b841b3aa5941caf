"""Sensory consonance of a spectrum: roughness, harmonicity and their blend.

The measures look only at spectral content (the frequencies and amplitudes of
partials), never at note names or interval ratios, so they apply equally to
a synthesised dyad, a frame of arbitrary audio, or a set of brain-mode
frequencies with their energies.

* **Roughness** sums the Plomp & Levelt (1965) dissonance curve over every
  pair of partials, using the parameterisation of Sethares (1993).
* **Harmonicity** is the best match between the spectrum and a harmonic
  template (a harmonic complex tone whose harmonic weights roll off with
  harmonic number), swept over candidate fundamentals taken from the
  sub-harmonics of the partials (Terhardt's sub-harmonic matching, Terhardt,
  Stoll & Seewann 1982).  The match is the cosine similarity of the two
  Gaussian-smoothed pitch spectra, i.e. Milne's spectral pitch similarity
  (Milne et al. 2011) with the template parameters of Milne & Holland (2016)
  as used for harmonicity by Harrison & Pearce (2018).
* **Consonance** is a weighted difference of the two, each on a scale whose
  unit is a prototype: harmonicity 1 is a spectrum identical to the template,
  normalised roughness 1 is a pair of equal partials at the roughest spacing.

References
----------
Plomp, R. & Levelt, W. J. M. (1965). Tonal consonance and critical
bandwidth. JASA 38, 548-560.
Sethares, W. A. (1993). Local consonance and the relationship between timbre
and scale. JASA 94, 1218-1228.
Sethares, W. A. (2005). Tuning, Timbre, Spectrum, Scale (2nd ed.). Springer.
Terhardt, E., Stoll, G. & Seewann, M. (1982). Algorithm for extraction of
pitch and pitch salience from complex tonal signals. JASA 71, 679-688.
Milne, A. J., Sethares, W. A., Laney, R. & Sharp, D. B. (2011). Modelling the
similarity of pitch collections with expectation tensors. J. Math. Music 5,
1-20.
Milne, A. J. & Holland, S. (2016). Empirically testing Tonnetz, voice-leading,
and spectral models of perceived triadic distance. J. Math. Music 10, 59-85.
Hutchinson, W. & Knopoff, L. (1978). The acoustic component of Western
consonance. Interface 7, 1-29.
Gomez Emilsson, A. (2017). Quantifying bliss. Qualia Research Institute.
Harris, F. J. (1978). On the use of windows for harmonic analysis with the
discrete Fourier transform. Proc. IEEE 66, 51-83.
Harrison, P. M. C. & Pearce, M. T. (2018). An energy-based generative
sequence model for testing sensory theories of Western harmony. ISMIR 2018.
Krumbholz, K., Patterson, R. D. & Pressnitzer, D. (2000). The lower limit of
pitch as determined by rate discrimination. JASA 108, 1170-1180.
Semal, C. & Demany, L. (1990). The upper limit of "musical" pitch. Music
Perception 8, 165-175.
Smith, J. O. & Serra, X. (1987). PARSHL: an analysis/synthesis program for
non-harmonic sounds based on a sinusoidal representation. ICMC 1987.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError
from .validation import check_bool, check_finite_array, check_float, check_int, check_option

__all__ = [
    "RoughnessCurve",
    "HarmonicTemplate",
    "SETHARES_1993",
    "MILNE_HOLLAND_2016",
    "DEFAULT_MAX_PEAKS",
    "DEFAULT_FLOOR_DB",
    "DEFAULT_MIN_FREQ_HZ",
    "DEFAULT_ROUGHNESS_WEIGHT",
    "DEFAULT_MODE_REFERENCE_HZ",
    "spectral_peaks",
    "roughness",
    "harmonicity",
    "consonance",
    "analyze_spectrum",
    "mode_consonance",
]


@dataclass(frozen=True)
class RoughnessCurve:
    """Parameters of the Plomp-Levelt dissonance curve for two pure tones.

    Two partials at ``f_lo < f_hi`` contribute
    ``g(x) = exp(-b1 x) - exp(-b2 x)`` with ``x = s (f_hi - f_lo)`` and
    ``s = d_star / (s1 f_lo + s2_hz)``.  The scaling ``s`` stretches the
    curve so that its maximum follows the critical bandwidth at ``f_lo``,
    which puts the roughest spacing near a quarter of a critical band
    (Plomp & Levelt 1965).

    Parameters
    ----------
    b1, b2 : float
        Decay rates of the two exponentials, ``0 < b1 < b2`` (Sethares 1993:
        3.5 and 5.75).
    d_star : float
        Interval scaling of the curve's maximum (Sethares 1993: 0.24).
    s1 : float
        Growth of the curve's width with frequency, dimensionless
        (Sethares 1993: 0.021; 0.0207 in Sethares 2005).
    s2_hz : float
        Width of the curve at low frequency, in Hz (Sethares 1993: 19;
        18.96 in Sethares 2005).

    Examples
    --------
    >>> RoughnessCurve().b2
    5.75
    """

    b1: float = 3.5
    b2: float = 5.75
    d_star: float = 0.24
    s1: float = 0.021
    s2_hz: float = 19.0


@dataclass(frozen=True)
class HarmonicTemplate:
    """Harmonic template used by :func:`harmonicity`.

    The template is a harmonic complex tone with ``n_harmonics`` harmonics of
    weight ``k ** -rolloff`` (harmonic number ``k``), each smeared in log
    frequency by a Gaussian of ``sigma_cents``, as in Milne's spectral pitch
    vectors.  Its fundamental is searched in ``[f0_min_hz, f0_max_hz]``.

    Parameters
    ----------
    n_harmonics : int
        Number of harmonics in the template, fundamental included
        (Milne & Holland 2016: 12).
    rolloff : float
        Exponent of the harmonic weights ``k ** -rolloff`` (Milne & Holland
        2016: 0.75).  The decay is what stops a very low fundamental, whose
        harmonics would land near anything, from fitting well.
    sigma_cents : float
        Standard deviation of the Gaussian smearing of each partial, in
        cents (Milne & Holland 2016: 6.83).
    f0_min_hz : float
        Lowest candidate fundamental.  Below about 30 Hz a periodic sound no
        longer has a pitch (Krumbholz, Patterson & Pressnitzer 2000).
    f0_max_hz : float
        Highest candidate fundamental.  Musical pitch fades out near 5 kHz
        (Semal & Demany 1990).

    Examples
    --------
    >>> HarmonicTemplate().n_harmonics
    12
    """

    n_harmonics: int = 12
    rolloff: float = 0.75
    sigma_cents: float = 6.83
    f0_min_hz: float = 30.0
    f0_max_hz: float = 5000.0


#: Sethares (1993) parameters of the Plomp-Levelt curve.
SETHARES_1993 = RoughnessCurve()

#: Milne & Holland (2016) harmonic template, with pitch limits from
#: Krumbholz et al. (2000) and Semal & Demany (1990).
MILNE_HOLLAND_2016 = HarmonicTemplate()

#: Most partials kept per spectrum frame.  Caps the pair sum at 435 pairs; a
#: pair of 10-harmonic tones needs 20.
DEFAULT_MAX_PEAKS = 30

#: Peaks weaker than this, relative to the strongest peak, are ignored (dB).
#: A partial 30 dB down has 3 % of the strongest amplitude, and the first
#: side lobe of a Hann window (-31.5 dB; Harris 1978) falls below it.
DEFAULT_FLOOR_DB = -30.0

#: Peaks below the lower limit of human hearing (about 20 Hz; ISO 226:2003)
#: are ignored.
DEFAULT_MIN_FREQ_HZ = 20.0

#: Weight of normalised roughness against harmonicity in :func:`consonance`
#: (0.5: equal weight of two terms that share a prototype-based unit scale).
DEFAULT_ROUGHNESS_WEIGHT = 0.5

#: Frequency (Hz) to which :func:`mode_consonance` transposes a set of modes
#: before applying the auditory measures: the geometric centre of the
#: 125-2000 Hz range over which Plomp & Levelt (1965) measured their curve.
DEFAULT_MODE_REFERENCE_HZ = 500.0

_CENTS_PER_OCTAVE = 1200.0
_WEIGHTINGS = ("product", "min")


# ----------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------


def _check_partials(freqs_hz, amps, *, amps_name: str = "amps") -> tuple[np.ndarray, np.ndarray]:
    """Validate a set of partials; empty sets are allowed."""
    f = np.asarray(freqs_hz, dtype=np.float64) if np.size(freqs_hz) == 0 else None
    if f is None:
        f = check_finite_array("freqs_hz", freqs_hz, ndim=1)
    elif f.ndim != 1:
        raise ParameterError(f"freqs_hz has shape {f.shape}; it must have 1 dimension(s)")
    a = np.asarray(amps, dtype=np.float64) if np.size(amps) == 0 else None
    if a is None:
        a = check_finite_array(amps_name, amps, ndim=1)
    elif a.ndim != 1:
        raise ParameterError(f"{amps_name} has shape {a.shape}; it must have 1 dimension(s)")
    if a.shape != f.shape:
        raise ParameterError(
            f"{amps_name} has shape {a.shape} but freqs_hz has shape {f.shape}; they must match"
        )
    if f.size and np.any(f <= 0):
        raise ParameterError(f"freqs_hz has minimum {f.min():g}; all frequencies must be > 0")
    if a.size and np.any(a < 0):
        raise ParameterError(f"{amps_name} has minimum {a.min():g}; all values must be >= 0")
    return f, a


def _check_curve(curve) -> RoughnessCurve:
    if not isinstance(curve, RoughnessCurve):
        raise ParameterError(f"curve={curve!r} must be a RoughnessCurve")
    b1 = check_float("curve.b1", curve.b1, low=0, low_inclusive=False)
    check_float("curve.b2", curve.b2, low=b1, low_inclusive=False)
    check_float("curve.d_star", curve.d_star, low=0, low_inclusive=False)
    check_float("curve.s1", curve.s1, low=0)
    check_float("curve.s2_hz", curve.s2_hz, low=0, low_inclusive=False)
    return curve


def _check_template(template) -> HarmonicTemplate:
    if not isinstance(template, HarmonicTemplate):
        raise ParameterError(f"template={template!r} must be a HarmonicTemplate")
    check_int("template.n_harmonics", template.n_harmonics, low=1)
    check_float("template.rolloff", template.rolloff, low=0)
    check_float("template.sigma_cents", template.sigma_cents, low=0, low_inclusive=False)
    lo = check_float("template.f0_min_hz", template.f0_min_hz, low=0, low_inclusive=False)
    check_float("template.f0_max_hz", template.f0_max_hz, low=lo)
    return template


# ----------------------------------------------------------------------------
# peak picking
# ----------------------------------------------------------------------------


def spectral_peaks(
    magnitude,
    freqs_hz,
    *,
    max_peaks: int = DEFAULT_MAX_PEAKS,
    floor_db: float = DEFAULT_FLOOR_DB,
    min_freq_hz: float = DEFAULT_MIN_FREQ_HZ,
) -> tuple[np.ndarray, np.ndarray]:
    """Pick the partials of one magnitude spectrum.

    A partial is a bin larger than both neighbours.  Its frequency and
    amplitude are refined by fitting a parabola to the log magnitude of the
    three bins around it (quadratically interpolated FFT; Smith & Serra 1987).
    Only the ``max_peaks`` strongest peaks within ``floor_db`` of the
    strongest one, and at or above ``min_freq_hz``, are kept.

    Parameters
    ----------
    magnitude : array_like, shape (n_bins,)
        Linear magnitude spectrum (not power, not dB), non-negative.
    freqs_hz : array_like, shape (n_bins,)
        Strictly increasing bin centre frequencies, e.g. from
        ``np.fft.rfftfreq``.
    max_peaks : int
        Most peaks returned (>= 1).
    floor_db : float
        Level, relative to the strongest peak, below which peaks are ignored
        (<= 0).
    min_freq_hz : float
        Peaks below this frequency are ignored (>= 0).

    Returns
    -------
    peak_freqs_hz : numpy.ndarray, shape (n_peaks,), float64
        Interpolated peak frequencies, increasing.
    peak_amps : numpy.ndarray, shape (n_peaks,), float64
        Interpolated peak magnitudes, in the units of ``magnitude``.
        Both arrays are empty for a silent or flat spectrum.

    Raises
    ------
    ParameterError
        If ``magnitude`` is not a finite non-negative 1-D array of at least
        three bins, if ``freqs_hz`` does not match it or is not strictly
        increasing, or if a keyword is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> sr, n = 8000, 1024
    >>> y = np.sin(2 * np.pi * 1000.7 * np.arange(n) / sr)
    >>> mag = np.abs(np.fft.rfft(y * np.hanning(n)))
    >>> f, a = spectral_peaks(mag, np.fft.rfftfreq(n, 1 / sr))
    >>> f.shape, bool(abs(f[0] - 1000.7) < 0.5)
    ((1,), True)
    """
    mag = check_finite_array("magnitude", magnitude, ndim=1)
    freqs = check_finite_array("freqs_hz", freqs_hz, ndim=1)
    if freqs.shape != mag.shape:
        raise ParameterError(
            f"freqs_hz has shape {freqs.shape} but magnitude has shape {mag.shape}; they must match"
        )
    if mag.size < 3:
        raise ParameterError(f"magnitude has {mag.size} bins; it must have at least 3")
    if np.any(mag < 0):
        raise ParameterError(f"magnitude has minimum {mag.min():g}; a magnitude spectrum is >= 0")
    if np.any(np.diff(freqs) <= 0):
        raise ParameterError("freqs_hz must be strictly increasing")
    max_peaks = check_int("max_peaks", max_peaks, low=1)
    floor_db = check_float("floor_db", floor_db, high=0.0)
    min_freq_hz = check_float("min_freq_hz", min_freq_hz, low=0.0)

    empty = (np.empty(0), np.empty(0))
    centre = mag[1:-1]
    is_peak = (centre > mag[:-2]) & (centre >= mag[2:]) & (freqs[1:-1] >= min_freq_hz)
    idx = np.flatnonzero(is_peak) + 1
    if idx.size == 0:
        return empty
    heights = mag[idx]
    top = heights.max()
    if not top > 0:
        return empty
    keep = heights >= top * 10.0 ** (floor_db / 20.0)
    idx, heights = idx[keep], heights[keep]
    if idx.size > max_peaks:
        strongest = np.argpartition(heights, -max_peaks)[-max_peaks:]
        idx = np.sort(idx[strongest])

    # Parabola through the log magnitudes of the peak bin and its neighbours.
    tiny = np.finfo(np.float64).tiny
    alpha = np.log(np.maximum(mag[idx - 1], tiny))
    beta = np.log(mag[idx])
    gamma = np.log(np.maximum(mag[idx + 1], tiny))
    curvature = alpha - 2.0 * beta + gamma
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(curvature < 0, 0.5 * (alpha - gamma) / curvature, 0.0)
    offset = np.clip(offset, -0.5, 0.5)
    bin_hz = np.where(offset >= 0, freqs[idx + 1] - freqs[idx], freqs[idx] - freqs[idx - 1])
    peak_freqs = freqs[idx] + offset * bin_hz
    peak_amps = np.exp(beta - 0.25 * (alpha - gamma) * offset)
    return peak_freqs, peak_amps


# ----------------------------------------------------------------------------
# roughness
# ----------------------------------------------------------------------------


def _curve_peak(curve: RoughnessCurve) -> float:
    """Maximum of ``exp(-b1 x) - exp(-b2 x)`` over ``x >= 0``."""
    x_peak = math.log(curve.b2 / curve.b1) / (curve.b2 - curve.b1)
    return math.exp(-curve.b1 * x_peak) - math.exp(-curve.b2 * x_peak)


def _roughness(f: np.ndarray, a: np.ndarray, curve: RoughnessCurve, weighting: str, normalize: bool) -> float:
    """Unvalidated core of :func:`roughness`."""
    n = f.size
    if n < 2:
        return 0.0
    i, j = np.triu_indices(n, k=1)
    fi, fj = f[i], f[j]
    f_lo = np.minimum(fi, fj)
    x = np.abs(fj - fi) * (curve.d_star / (curve.s1 * f_lo + curve.s2_hz))
    g = np.exp(-curve.b1 * x) - np.exp(-curve.b2 * x)
    if weighting == "min":
        w = np.minimum(a[i], a[j])
    else:
        w = a[i] * a[j]
    total = float(np.dot(w, g))
    if not normalize:
        return total
    scale = float(np.sum(a)) if weighting == "min" else float(np.dot(a, a))
    if scale <= 0:
        return 0.0
    return 2.0 * total / (_curve_peak(curve) * scale)


def roughness(
    freqs_hz,
    amps,
    *,
    weighting: str = "product",
    normalize: bool = True,
    curve: RoughnessCurve = SETHARES_1993,
) -> float:
    """Sensory roughness of a set of partials (Plomp-Levelt / Sethares).

    Sums the dissonance curve of :class:`RoughnessCurve` over every pair of
    partials, weighted by their amplitudes.

    Parameters
    ----------
    freqs_hz : array_like, shape (n_partials,)
        Partial frequencies in Hz (> 0).  May be empty.
    amps : array_like, shape (n_partials,)
        Partial amplitudes (linear, >= 0).
    weighting : {"product", "min"}
        Amplitude weight of a pair.  ``"product"`` (default): ``a_i a_j``, as
        in Sethares (1993) and Hutchinson & Knopoff (1978); with
        ``normalize`` this is Hutchinson & Knopoff's energy-normalised sum, a
        Rayleigh quotient ``a @ G @ a / a @ a`` of the pair-roughness matrix.
        ``"min"``: ``min(a_i, a_j)``, the amplitude of the beating, as in
        Sethares (2005, appendix G); it gives weak upper partials more say.
    normalize : bool
        If true (default), return a scale-free value: the curve is divided by
        its maximum and the sum by ``sum(a**2) / 2`` (``"product"``) or
        ``sum(a) / 2`` (``"min"``), so loudness drops out and a pair of equal
        partials at the roughest spacing scores exactly 1.  Denser rough
        spectra can exceed 1.  If false, return Sethares' raw sum.
    curve : RoughnessCurve
        Curve parameters (default :data:`SETHARES_1993`).

    Returns
    -------
    float
        Roughness, >= 0; 0 for fewer than two partials or zero amplitude.

    Raises
    ------
    ParameterError
        If the arrays are not 1-D, finite and of equal length, if a frequency
        is <= 0 or an amplitude < 0, or if ``weighting`` is unknown.

    Examples
    --------
    >>> round(roughness([500.0, 527.0], [1.0, 1.0]), 2)
    1.0
    >>> roughness([500.0, 1500.0], [1.0, 1.0]) < 0.01
    True
    """
    f, a = _check_partials(freqs_hz, amps)
    weighting = check_option("weighting", weighting, _WEIGHTINGS)
    normalize = check_bool("normalize", normalize)
    curve = _check_curve(curve)
    return _roughness(f, a, curve, weighting, normalize)


# ----------------------------------------------------------------------------
# harmonicity
# ----------------------------------------------------------------------------


def _harmonicity(f: np.ndarray, a: np.ndarray, template: HarmonicTemplate) -> tuple[float, float]:
    """Unvalidated core of :func:`harmonicity`; returns (harmonicity, f0_hz)."""
    live = a > 0
    f, a = f[live], a[live]
    if f.size == 0:
        return 0.0, math.nan
    n_harm = int(template.n_harmonics)
    k = np.arange(1, n_harm + 1, dtype=np.float64)
    weights = k ** -float(template.rolloff)
    # Two Gaussians of std sigma overlap as a Gaussian of std sigma*sqrt(2):
    # exp(-d^2 / (4 sigma^2)) is their (unnormalised) inner product.
    inv_4var = 1.0 / (4.0 * float(template.sigma_cents) ** 2)

    harm_cents = _CENTS_PER_OCTAVE * np.log2(k)
    tt = weights @ np.exp(-((harm_cents[:, None] - harm_cents[None, :]) ** 2) * inv_4var) @ weights
    cents = _CENTS_PER_OCTAVE * np.log2(f)
    ss = a @ np.exp(-((cents[:, None] - cents[None, :]) ** 2) * inv_4var) @ a

    # Candidate fundamentals: sub-harmonics of every partial (Terhardt 1982),
    # handled in cents so each partial's nearest template harmonic is a lookup.
    cand = (cents[:, None] - harm_cents[None, :]).ravel()
    lo_cents = _CENTS_PER_OCTAVE * math.log2(template.f0_min_hz)
    hi_cents = _CENTS_PER_OCTAVE * math.log2(template.f0_max_hz)
    cand = cand[(cand >= lo_cents - 1e-9) & (cand <= hi_cents + 1e-9)]
    if cand.size == 0:
        return 0.0, math.nan
    above = cents[None, :] - cand[:, None]  # (n_cand, n_partials), cents above f0
    nearest = np.searchsorted(0.5 * (harm_cents[1:] + harm_cents[:-1]), above)
    dev = above - harm_cents[nearest]
    # Partials below the fundamental or far above the last harmonic get a
    # large deviation and so a vanishing match.
    match = weights[nearest] * np.exp(-dev * dev * inv_4var)
    st = match @ a
    best = int(np.argmax(st))
    value = float(st[best] / math.sqrt(ss * tt))
    return min(max(value, 0.0), 1.0), float(2.0 ** (cand[best] / _CENTS_PER_OCTAVE))


def harmonicity(freqs_hz, amps, *, template: HarmonicTemplate = MILNE_HOLLAND_2016) -> float:
    """How well a set of partials fits one harmonic series, in [0, 1].

    For each candidate fundamental ``f0`` (every sub-harmonic ``f_i / k``,
    ``k = 1..n_harmonics``, inside the template's pitch range) the spectrum
    and a harmonic template at ``f0`` are each represented as sums of
    Gaussians in log frequency (std ``sigma_cents``; partial ``i`` weighted
    by its amplitude, harmonic ``k`` by ``k ** -rolloff``), and their cosine
    similarity is computed in closed form (Milne et al. 2011 spectral pitch
    similarity).  Harmonicity is the best cosine over the candidates.

    Energy outside the template and template harmonics missing from the
    spectrum both lower the score, so a low ``f0`` whose dense harmonics
    would land near many partials gains little: its fundamental and low
    harmonics, which carry most template weight, are absent.

    Parameters
    ----------
    freqs_hz : array_like, shape (n_partials,)
        Partial frequencies in Hz (> 0).  May be empty.
    amps : array_like, shape (n_partials,)
        Partial amplitudes (linear, >= 0).
    template : HarmonicTemplate
        Template and pitch range (default :data:`MILNE_HOLLAND_2016`).

    Returns
    -------
    float
        Harmonicity in [0, 1]: 1 when the spectrum has the template's own
        shape; ``1 / norm(template)`` (about 0.70 with the defaults) for a
        single sine; 0 when there are no partials.

    Raises
    ------
    ParameterError
        If the arrays are not 1-D, finite and of equal length, if a frequency
        is <= 0 or an amplitude < 0, or if ``template`` is invalid.

    Examples
    --------
    >>> k = np.arange(1, 11)
    >>> harmonicity(220.0 * k, 1.0 / k) > 0.9
    True
    """
    f, a = _check_partials(freqs_hz, amps)
    template = _check_template(template)
    return _harmonicity(f, a, template)[0]


# ----------------------------------------------------------------------------
# consonance
# ----------------------------------------------------------------------------


def _measures(f, a, *, roughness_weight, weighting, curve, template) -> dict:
    rough = _roughness(f, a, curve, weighting, True)
    harm, f0_hz = _harmonicity(f, a, template)
    return {
        "roughness": rough,
        "harmonicity": harm,
        "consonance": (1.0 - roughness_weight) * harm - roughness_weight * rough,
        "f0_hz": f0_hz,
        "n_partials": int(np.count_nonzero(a > 0)),
    }


def _check_common(roughness_weight, weighting, curve, template):
    return (
        check_float("roughness_weight", roughness_weight, low=0.0, high=1.0),
        check_option("weighting", weighting, _WEIGHTINGS),
        _check_curve(curve),
        _check_template(template),
    )


def consonance(
    freqs_hz,
    amps,
    *,
    roughness_weight: float = DEFAULT_ROUGHNESS_WEIGHT,
    weighting: str = "product",
    curve: RoughnessCurve = SETHARES_1993,
    template: HarmonicTemplate = MILNE_HOLLAND_2016,
) -> float:
    """Sensory consonance of a set of partials (higher is more consonant).

    ``consonance = (1 - w) * harmonicity - w * roughness`` with
    ``w = roughness_weight`` and the normalised roughness of
    :func:`roughness`.  Both terms are scale-free and share a unit set by a
    prototype (harmonicity 1: the template itself; roughness 1: two equal
    partials at the roughest spacing), which is why equal weights are the
    default.  The two-component view follows Harrison & Pearce (2018), who
    found roughness and harmonicity to be separate, complementary predictors.

    Parameters
    ----------
    freqs_hz : array_like, shape (n_partials,)
        Partial frequencies in Hz (> 0).  May be empty.
    amps : array_like, shape (n_partials,)
        Partial amplitudes (linear, >= 0).
    roughness_weight : float
        ``w`` in [0, 1]; 0 uses harmonicity only, 1 roughness only.
    weighting : {"product", "min"}
        Pair weighting of :func:`roughness`.
    curve : RoughnessCurve
        Roughness curve parameters.
    template : HarmonicTemplate
        Harmonic template parameters.

    Returns
    -------
    float
        Consonance, at most ``1 - w``; 0 when there are no partials.

    Notes
    -----
    On synthesised dyads of harmonic complex tones (C4 or A3, 6-10
    harmonics) the values rank the 13 intervals from unison to octave like
    Schwartz, Howe & Purves (2003), Spearman 0.83-0.96, for any ``w`` from
    0.25 to 1.  In low registers (D3 and below) roughness grows for every
    interval but the octave and unison and the agreement drops (about 0.66).

    Raises
    ------
    ParameterError
        If an argument is invalid (see :func:`roughness`, :func:`harmonicity`).

    Examples
    --------
    >>> k = np.arange(1, 7)
    >>> octave = consonance(np.r_[262 * k, 524 * k], np.r_[1 / k, 1 / k])
    >>> semitone = consonance(np.r_[262 * k, 277.6 * k], np.r_[1 / k, 1 / k])
    >>> bool(octave > semitone)
    True
    """
    f, a = _check_partials(freqs_hz, amps)
    w, weighting, curve, template = _check_common(roughness_weight, weighting, curve, template)
    return _measures(f, a, roughness_weight=w, weighting=weighting, curve=curve, template=template)[
        "consonance"
    ]


def analyze_spectrum(
    magnitude,
    freqs_hz,
    *,
    max_peaks: int = DEFAULT_MAX_PEAKS,
    floor_db: float = DEFAULT_FLOOR_DB,
    min_freq_hz: float = DEFAULT_MIN_FREQ_HZ,
    roughness_weight: float = DEFAULT_ROUGHNESS_WEIGHT,
    weighting: str = "product",
    curve: RoughnessCurve = SETHARES_1993,
    template: HarmonicTemplate = MILNE_HOLLAND_2016,
) -> dict:
    """Roughness, harmonicity and consonance of one magnitude-spectrum frame.

    Runs :func:`spectral_peaks` and then the three measures on the peaks.
    Intended for long analysis windows (e.g. ``n_fft=4096`` at 22.05 kHz,
    5.4 Hz bins) so that partials a semitone apart are resolved.

    Parameters
    ----------
    magnitude : array_like, shape (n_bins,)
        Linear magnitude spectrum of one frame, non-negative.
    freqs_hz : array_like, shape (n_bins,)
        Strictly increasing bin frequencies.
    max_peaks, floor_db, min_freq_hz
        Peak picking, see :func:`spectral_peaks`.
    roughness_weight, weighting, curve, template
        See :func:`consonance`.

    Returns
    -------
    dict
        ``roughness`` (float, >= 0), ``harmonicity`` (float in [0, 1]),
        ``consonance`` (float), ``f0_hz`` (float, fundamental of the best
        template; NaN if none) and ``n_partials`` (int).  A silent frame
        gives zeros, NaN ``f0_hz`` and ``n_partials == 0``.

    Raises
    ------
    ParameterError
        If an argument is invalid.

    Examples
    --------
    >>> sr, n = 22050, 4096
    >>> t = np.arange(n) / sr
    >>> y = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 9))
    >>> mag = np.abs(np.fft.rfft(y * np.hanning(n)))
    >>> out = analyze_spectrum(mag, np.fft.rfftfreq(n, 1 / sr))
    >>> bool(out["harmonicity"] > 0.9), bool(abs(out["f0_hz"] - 220) < 2)
    (True, True)
    """
    w, weighting, curve, template = _check_common(roughness_weight, weighting, curve, template)
    f, a = spectral_peaks(
        magnitude, freqs_hz, max_peaks=max_peaks, floor_db=floor_db, min_freq_hz=min_freq_hz
    )
    return _measures(f, a, roughness_weight=w, weighting=weighting, curve=curve, template=template)


def mode_consonance(
    freqs_hz,
    energies,
    *,
    reference_hz: float | None = DEFAULT_MODE_REFERENCE_HZ,
    roughness_weight: float = DEFAULT_ROUGHNESS_WEIGHT,
    weighting: str = "product",
    curve: RoughnessCurve = SETHARES_1993,
    template: HarmonicTemplate = MILNE_HOLLAND_2016,
) -> dict:
    """Consonance among energised oscillators (e.g. brain harmonics).

    The mode amplitudes are ``sqrt(energies)``.  Roughness and harmonicity
    are the same auditory measures as for sound.  Their Plomp-Levelt curve
    and pitch limits are calibrated on hearing, while cortical modes ring at
    about 1-100 Hz, so by default the set is first transposed, keeping every
    frequency ratio, until its amplitude-weighted geometric-mean frequency
    sits at ``reference_hz``.  Harmonicity depends only on ratios (within the
    template's pitch range); roughness then reads spacings relative to that
    register.  This transfer of auditory consonance to brain modes follows
    the symmetry-theory-of-valence proposal (Gomez Emilsson 2017) and is a
    modelling assumption, not an established measurement.

    Parameters
    ----------
    freqs_hz : array_like, shape (n_modes,)
        Mode frequencies in Hz (> 0).  May be empty.
    energies : array_like, shape (n_modes,)
        Mode energies (>= 0).
    reference_hz : float or None
        Register of the transposed set; ``None`` applies the measures to the
        raw frequencies.
    roughness_weight, weighting, curve, template
        See :func:`consonance`.

    Returns
    -------
    dict
        Same keys as :func:`analyze_spectrum`; ``f0_hz`` is given in the
        original (untransposed) frequency units.

    Raises
    ------
    ParameterError
        If an argument is invalid (the message names ``energies`` for bad
        energies).

    Examples
    --------
    >>> out = mode_consonance([4.0, 8.0, 12.0], [1.0, 0.25, 0.1])
    >>> bool(abs(out["f0_hz"] - 4.0) < 0.1)
    True
    """
    f, e = _check_partials(freqs_hz, energies, amps_name="energies")
    w, weighting, curve, template = _check_common(roughness_weight, weighting, curve, template)
    a = np.sqrt(e)
    scale = 1.0
    if reference_hz is not None:
        reference_hz = check_float("reference_hz", reference_hz, low=0, low_inclusive=False)
        total = float(np.sum(a))
        if total > 0:
            centre_hz = math.exp(float(np.dot(a, np.log(f))) / total)
            scale = reference_hz / centre_hz
    out = _measures(f * scale, a, roughness_weight=w, weighting=weighting, curve=curve, template=template)
    out["f0_hz"] = out["f0_hz"] / scale
    return out
