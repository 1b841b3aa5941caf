"""Sensory consonance of sound: roughness, harmonicity, tonalness, familiarity.

Everything here reads spectra (frequencies and amplitudes of partials), never
note names or interval ratios, so it applies to a frame of any audio, to a
synthesised chord of any size and timbre, and to the rates at which brain
harmonics oscillate.  See ``docs/consonance.md`` for the equations and the
source of every constant.

* **Harmonic part.** Every long frame is first reduced to its harmonic
  (sustained) part by a causal median-filtering harmonic/percussive
  separation (Fitzgerald 2010; :func:`harmonic_part`, :class:`FrameAnalyzer`),
  so drums and other hits neither hide a chord's partials nor count as its
  unpitched energy.  A sound whose harmonic part carries too little of its
  energy (:data:`DEFAULT_MIN_HARMONIC_SHARE`: drums, clicks, speech) has no
  consonance.
* **Partials** are the salient, steady peaks of a long magnitude spectrum:
  local maxima at least :data:`DEFAULT_SALIENCE_DB` above the local noise
  floor (a low percentile of the neighbouring bins), refined by quadratic
  interpolation (Smith & Serra 1987), and, when the previous frame is
  given, present there too (a steady partial, not a glide).
* **Tonalness** is the share of the frame's A-weighted energy carried by
  those partials: about 1 for tones and chords, about 0 for noise, clicks
  and drums, low for speech (its partials glide).  It says how pitched the
  sound is (the audio counterpart of Parncutt's 1989 tonalness); a sound
  with little of it has no consonance (:func:`summarize_frames`).
* **Roughness** follows Hutchinson & Knopoff (1978), with the
  parametrisation of the Plomp-Levelt curve by Mashinter (2006) that
  Harrison & Pearce (2020) use: ``sum_{i<j} a_i a_j g(y_ij) / sum a_i^2``,
  ``y`` the partials' distance in critical bandwidths ``1.72 f^0.65``.
* **Harmonicity** follows Harrison & Pearce (2018): the partials form a
  smoothed log-frequency spectrum (Milne et al. 2011), a harmonic template
  swept over candidate fundamentals gives the virtual-pitch spectrum
  (cosine similarity), and harmonicity is its peakiness, the
  Kullback-Leibler divergence from a uniform distribution in bits.  Unlike
  Harrison & Pearce's pitch-class version it keeps octaves apart: in the
  pitch-class domain a minor triad, the inversion of a major one, is
  exactly as harmonic as it.
* **Familiarity** is Harrison & Pearce's (2020) cultural familiarity: the
  natural-log corpus frequency of the chord type that the partials sound.
  A harmonic sieve finds the notes (:func:`note_profile`), their pitch
  classes up to transposition are the type (:func:`chord_type`), and a
  :class:`ChordTypeMemory` (by default the counts of the Bach chorales
  shipped with the package) gives its add-one smoothed log probability.
* **Consonance** is Harrison & Pearce's (2020) composite
  ``-1.620 roughness + 1.780 harmonicity [+ 0.0892 familiarity]``: the
  familiarity term is used when a harmonic memory is given, which the
  pipeline's :class:`~resonance.scorer.Scorer` does by default.

References
----------
Hutchinson, W. & Knopoff, L. (1978). The acoustic component of Western
consonance. Interface 7, 1-29.
Mashinter, K. (2006). Calculating sensory dissonance: some discrepancies
arising from the models of Kameoka & Kuriyagawa, and Hutchinson & Knopoff.
Empirical Musicology Review 1, 65-84.
Milne, A. J., Sethares, W. A., Laney, R. & Sharp, D. B. (2011). Modelling the
similarity of pitch collections with expectation tensors. J. Math. Music 5,
1-20.
Harrison, P. M. C. & Pearce, M. T. (2018). An energy-based generative
sequence model for testing sensory theories of Western harmony. ISMIR 2018.
Harrison, P. M. C. & Pearce, M. T. (2020). Simultaneous consonance in music
perception and composition. Psychological Review 127, 216-244.
Parncutt, R. (1989). Harmony: A Psychoacoustical Approach. Springer.
Moore, B. C. J., Glasberg, B. R. & Peters, R. W. (1985). Relative dominance
of individual partials in determining the pitch of complex tones. JASA 77,
1853-1860.
Moore, B. C. J., Glasberg, B. R. & Peters, R. W. (1986). Thresholds for hearing
mistuned partials as separate tones in harmonic complexes. JASA 80, 479-483.
Semal, C. & Demany, L. (1990). The upper limit of "musical" pitch. Music
Perception 8, 165-175.
Wier, C. C., Jesteadt, W. & Green, D. M. (1977). Frequency discrimination as
a function of frequency and sensation level. JASA 61, 178-184.
Smith, J. O. & Serra, X. (1987). PARSHL: an analysis/synthesis program for
non-harmonic sounds based on a sinusoidal representation. ICMC 1987.
Harris, F. J. (1978). On the use of windows for harmonic analysis with the
discrete Fourier transform. Proc. IEEE 66, 51-83.
Gomez Emilsson, A. (2017). Quantifying bliss. Qualia Research Institute.
Fitzgerald, D. (2010). Harmonic/percussive separation using median
filtering. Proc. DAFx-10, Graz.
"""

from __future__ import annotations

import contextlib
import functools
import math
import zipfile
from dataclasses import dataclass
from importlib import resources

import numpy as np

from .._jit import njit
from .._scipy_compiled import irfft, next_fast_len, rfft
from ..errors import DataFileError, ParameterError
from ..validation import check_finite_array, check_float, check_int

__all__ = [
    "RoughnessCurve",
    "HarmonicTemplate",
    "CompositeWeights",
    "HUTCHINSON_KNOPOFF_1978",
    "HARRISON_PEARCE_2018",
    "HARRISON_PEARCE_2020",
    "DEFAULT_MAX_PEAKS",
    "DEFAULT_FLOOR_DB",
    "DEFAULT_SALIENCE_DB",
    "DEFAULT_NOISE_BAND_HZ",
    "DEFAULT_NOISE_PERCENTILE",
    "DEFAULT_MIN_FREQ_HZ",
    "DEFAULT_MAX_FREQ_HZ",
    "DEFAULT_MIN_TONALNESS",
    "DEFAULT_TRACK_TOLERANCE",
    "DEFAULT_MODE_REFERENCE_HZ",
    "DEFAULT_HPSS_FRAMES",
    "DEFAULT_HPSS_BAND_HZ",
    "DEFAULT_MIN_HARMONIC_SHARE",
    "harmonic_part",
    "HarmonicSeparator",
    "FrameAnalyzer",
    "spectral_peaks",
    "roughness",
    "harmonicity",
    "pitch_class_profile",
    "note_profile",
    "chord_type",
    "ChordTypeMemory",
    "resolve_memory",
    "N_CHORD_TYPES",
    "DEFAULT_NOTE_TOLERANCE_CENTS",
    "DEFAULT_NOTE_MAX_HARMONIC",
    "consonance",
    "analyze_spectrum",
    "summarize_frames",
    "mode_consonance",
]


@dataclass(frozen=True)
class RoughnessCurve:
    """Hutchinson & Knopoff's (1978) pair roughness, Mashinter's (2006) form.

    Two partials at ``f_i`` and ``f_j`` are ``y = |f_i - f_j| / CBW`` critical
    bandwidths apart, ``CBW = cbw_scale * f_mean ** cbw_exponent`` (Hz, the
    mean frequency in Hz).  They contribute
    ``g(y) = (e * y / y_peak * exp(-y / y_peak)) ** 2`` for ``y < y_max``
    and 0 beyond: the Plomp & Levelt (1965) curve, largest (1) at a quarter
    of a critical band.

    Parameters
    ----------
    cbw_scale, cbw_exponent : float
        Critical bandwidth ``1.72 f ** 0.65`` (Hutchinson & Knopoff 1978,
        fitted to Plomp & Levelt's data; Mashinter 2006).
    y_peak : float
        Distance of greatest roughness, in critical bandwidths (0.25; Plomp
        & Levelt 1965).
    y_max : float
        Distance beyond which pairs do not interact (1.2 bandwidths;
        Hutchinson & Knopoff 1978).

    Examples
    --------
    >>> RoughnessCurve().y_peak
    0.25
    """

    cbw_scale: float = 1.72
    cbw_exponent: float = 0.65
    y_peak: float = 0.25
    y_max: float = 1.2


@dataclass(frozen=True)
class HarmonicTemplate:
    """The harmonic template of :func:`harmonicity` (Harrison & Pearce 2018).

    Parameters
    ----------
    n_harmonics : int
        Harmonics in the template, fundamental included (12; Milne &
        Holland 2016, Harrison & Pearce 2018).
    rolloff : float
        Weight of harmonic ``k`` is ``k ** -rolloff`` (0.75; same sources).
    sigma_cents : float
        Standard deviation of the Gaussian that smooths every partial and
        template harmonic on the pitch-class circle (cents).  12 cents, an
        engineering choice within the literature: wider than Milne's 6.83
        (fitted to just-intonation similarity judgments, it penalises the
        14-cent equal-tempered major third, which listeners accept) and far
        narrower than the ~3 % (51 cents) up to which a mistuned harmonic
        still contributes fully to the pitch (Moore, Glasberg & Peters 1985).
    step_cents : float
        Bin width of the log-frequency axis (cents; engineering choice, a
        quarter of ``sigma_cents``).
    octaves_below, octaves_above : float
        Candidate fundamentals span from ``octaves_below`` octaves below the
        lowest strong partial to ``octaves_above`` above it.  4 octaves
        cover the 12 harmonics of the template (3.6 octaves); the window
        moves with the sound (engineering choice).

    Examples
    --------
    >>> HarmonicTemplate().n_harmonics
    12
    """

    n_harmonics: int = 12
    rolloff: float = 0.75
    sigma_cents: float = 12.0
    step_cents: float = 3.0
    octaves_below: float = 4.0
    octaves_above: float = 0.5


@dataclass(frozen=True)
class CompositeWeights:
    """Weights of the composite consonance (Harrison & Pearce 2020).

    The coefficients of the regression of Harrison & Pearce (2020, as
    published in the ``incon`` package, ``har_19_composite``): roughness
    -1.620, harmonicity +1.780, familiarity +0.0892 per unit of natural log
    probability (their "corpus dissonance" coefficient, -0.0892 on
    ``-log``).  The intercept (0.628) is left out: it shifts every value
    alike, and without it zero marks where harmonicity and roughness
    balance.  Their chord-size term (+0.422 per note) is left out, as
    ``incon`` leaves it out by default (a confound of the rating data it was
    fitted on).  They are used as published, not refitted.

    Examples
    --------
    >>> CompositeWeights().harmonicity
    1.78
    """

    roughness: float = -1.620
    harmonicity: float = 1.780
    familiarity: float = 0.0892


#: Hutchinson & Knopoff (1978) roughness, Mashinter (2006) parametrisation.
HUTCHINSON_KNOPOFF_1978 = RoughnessCurve()

#: Harrison & Pearce (2018) template, smoothing 12 cents (see HarmonicTemplate).
HARRISON_PEARCE_2018 = HarmonicTemplate()

#: Harrison & Pearce (2020) composite weights.
HARRISON_PEARCE_2020 = CompositeWeights()

#: Most partials kept per frame (engineering choice: eight-note chords of
#: tones with five resolved harmonics; pairs cost grows with its square).
DEFAULT_MAX_PEAKS = 40

#: Peaks more than this below the strongest peak are ignored (dB): 3 % of
#: its amplitude; the first side lobe of a Hann window (-31.5 dB; Harris
#: 1978) falls below it.
DEFAULT_FLOOR_DB = -30.0

#: A peak is a partial only if it stands this far above the local noise
#: floor (dB).  A peak of white noise's Rayleigh-distributed magnitude
#: exceeds the floor's 20th percentile by 20 dB with probability below
#: 1e-9 (``exp(-(10 * 0.668) ** 2 / 2)``), a stationary sinusoid always does.
DEFAULT_SALIENCE_DB = 20.0

#: Width of the neighbourhood over which the noise floor is estimated (Hz):
#: about a critical band at 1 kHz (engineering choice).
DEFAULT_NOISE_BAND_HZ = 200.0

#: Percentile of the neighbouring magnitudes taken as the noise floor (a low
#: percentile stays in the valleys between dense partials).
DEFAULT_NOISE_PERCENTILE = 20.0

#: Partials below the lower limit of hearing (about 20 Hz; ISO 226:2003) are
#: ignored.
DEFAULT_MIN_FREQ_HZ = 20.0

#: Partials above this are ignored (Hz): musical pitch fades out near 5 kHz
#: (Semal & Demany 1990), and the energy that tonalness divides by is
#: measured over the same band.
DEFAULT_MAX_FREQ_HZ = 5000.0

#: Largest relative frequency change of a steady partial between two
#: consecutive long frames (93 ms apart): 1 %, 17 cents, a few frequency
#: difference limens of tones (Wier, Jesteadt & Green 1977: about 0.2-0.5 %
#: in the musical range at moderate levels; engineering choice).  Partials
#: of gliding pitch (speech intonation) move more and do not count as
#: steady; the smeared lobes of a vibrato (30-80 cents) stay in place.
DEFAULT_TRACK_TOLERANCE = 0.01

#: Below this tonalness (share of energy in partials) a sound has no
#: consonance: its consonance is None.  Engineering choice: most of the
#: sound's energy must be pitched.
DEFAULT_MIN_TONALNESS = 0.5

#: Register (Hz) to which :func:`mode_consonance` transposes a set of rates
#: before the auditory measures: the geometric centre of the 125-2000 Hz
#: range of Plomp & Levelt's (1965) measurements.
DEFAULT_MODE_REFERENCE_HZ = 500.0

#: Largest mistuning (cents) at which a partial still counts as a harmonic
#: of a lower note in :func:`note_profile`.  Engineering choice between the
#: 14 cents by which an equal-tempered major third misses the fifth harmonic
#: of its root (so equal temperament is not heard as extra notes) and the
#: 1-3 % (17-51 cents) beyond which a mistuned low harmonic is heard out as
#: a tone of its own (Moore, Glasberg & Peters 1986).
DEFAULT_NOTE_TOLERANCE_CENTS = 25.0

#: Highest harmonic of a note that :func:`note_profile` assigns to it.
#: Engineering choice: up to the 16th, neighbouring harmonics are more than
#: 100 cents apart, so a window of +-25 cents matches at most one of them.
DEFAULT_NOTE_MAX_HARMONIC = 16

#: Frames (the current long frame and the ones before it, 93 ms apart) over
#: which the causal harmonic/percussive separation takes its median across
#: time.  Fitzgerald (2010) used a 17-frame median at a 23 ms hop (0.39 s);
#: 5 frames at 93 ms span 0.37 s, ending at the current frame (causal, so it
#: works block by block).  A partial must be present in at least 3 of the 5
#: frames to count as harmonic: a drum hit, lasting one or two frames, never
#: is, and a chord only counts once it has sounded for about 0.2 s
#: (engineering choice guided by Fitzgerald 2010).
DEFAULT_HPSS_FRAMES = 5

#: Width (Hz) of the median across frequency that estimates the percussive
#: part of a frame: Fitzgerald's (2010) 17 bins of 10.8 Hz (4096-point FFT at
#: 44.1 kHz), about 180 Hz.
DEFAULT_HPSS_BAND_HZ = 180.0

#: A sound has consonance only if its harmonic part carries at least this
#: share of its A-weighted energy (20 Hz-5 kHz): it must be more sustained
#: than percussive.  Engineering choice with a margin on both sides of what
#: this separation measures: white noise, neither sustained nor percussive,
#: 0.31; a drum groove 0.09, a metronome 0.02, espeak-ng speech 0.19, a
#: recorded voice 0.33; produced music mixes with drums 0.48-0.88.
DEFAULT_MIN_HARMONIC_SHARE = 0.4

_CENTS = 1200.0
#: Partials within 20 dB of the strongest are "strong" (harmonicity's window, notes).
_STRONG = 0.1
#: Pitch-class origin (C); harmonicity does not depend on it.
_PC_REF_HZ = 261.6255653005986


# ----------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------


def _check_partials(freqs_hz, amps, *, amps_name: str = "amps") -> tuple[np.ndarray, np.ndarray]:
    """Validate a set of partials; empty sets are allowed."""
    if np.size(freqs_hz) == 0 and np.size(amps) == 0:
        return np.empty(0), np.empty(0)
    f = check_finite_array("freqs_hz", freqs_hz, ndim=1)
    a = check_finite_array(amps_name, amps, ndim=1)
    if a.shape != f.shape:
        raise ParameterError(f"{amps_name} has shape {a.shape} but freqs_hz has shape {f.shape}; they must match")
    if np.any(f <= 0):
        raise ParameterError(f"freqs_hz has minimum {f.min():g}; all frequencies must be > 0")
    if np.any(a < 0):
        raise ParameterError(f"{amps_name} has minimum {a.min():g}; all values must be >= 0")
    return f, a


def _check_curve(curve) -> RoughnessCurve:
    if not isinstance(curve, RoughnessCurve):
        raise ParameterError(f"curve={curve!r} must be a RoughnessCurve")
    check_float("curve.cbw_scale", curve.cbw_scale, low=0, low_inclusive=False)
    check_float("curve.cbw_exponent", curve.cbw_exponent, low=0, high=1)
    check_float("curve.y_peak", curve.y_peak, low=0, low_inclusive=False)
    check_float("curve.y_max", curve.y_max, low=curve.y_peak, low_inclusive=False)
    return curve


def _check_template(template) -> HarmonicTemplate:
    if not isinstance(template, HarmonicTemplate):
        raise ParameterError(f"template={template!r} must be a HarmonicTemplate")
    check_int("template.n_harmonics", template.n_harmonics, low=1, high=64)
    check_float("template.rolloff", template.rolloff, low=0)
    check_float("template.sigma_cents", template.sigma_cents, low=0, high=300, low_inclusive=False)
    check_float("template.step_cents", template.step_cents, low=0.1, high=template.sigma_cents)
    check_float("template.octaves_below", template.octaves_below, low=0.0, high=10.0)
    check_float("template.octaves_above", template.octaves_above, low=0.0, high=10.0)
    if template.octaves_below + template.octaves_above <= 0:
        raise ParameterError("template.octaves_below + template.octaves_above must be > 0")
    return template


def _check_weights(weights) -> CompositeWeights:
    if not isinstance(weights, CompositeWeights):
        raise ParameterError(f"weights={weights!r} must be a CompositeWeights")
    check_float("weights.roughness", weights.roughness, high=0)
    check_float("weights.harmonicity", weights.harmonicity, low=0)
    check_float("weights.familiarity", weights.familiarity, low=0)
    return weights


# ----------------------------------------------------------------------------
# partials and tonalness
# ----------------------------------------------------------------------------


def _check_spectrum(magnitude, freqs_hz) -> tuple[np.ndarray, np.ndarray]:
    mag = check_finite_array("magnitude", magnitude, ndim=1)
    freqs = check_finite_array("freqs_hz", freqs_hz, ndim=1)
    if freqs.shape != mag.shape:
        raise ParameterError(f"freqs_hz has shape {freqs.shape} but magnitude has shape {mag.shape}; they must match")
    if mag.size < 3:
        raise ParameterError(f"magnitude has {mag.size} bins; it must have at least 3")
    if np.any(mag < 0):
        raise ParameterError(f"magnitude has minimum {mag.min():g}; a magnitude spectrum is >= 0")
    if np.any(np.diff(freqs) <= 0):
        raise ParameterError("freqs_hz must be strictly increasing")
    return mag, freqs


def _a_weight(freqs_hz: np.ndarray) -> np.ndarray:
    """A-weighting power gain (IEC 61672-1:2013), 1 at 1 kHz."""
    return _a_weight_grid(float(freqs_hz[0]), float(freqs_hz[1] - freqs_hz[0]), freqs_hz.size)


@functools.lru_cache(maxsize=8)
def _a_weight_grid(f0_hz: float, df_hz: float, n: int) -> np.ndarray:
    f2 = (f0_hz + df_hz * np.arange(n)) ** 2
    ra = (12194.0**2 * f2**2) / ((f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2))
    out = (ra * 10.0 ** (2.0 / 20.0)) ** 2
    out.setflags(write=False)
    return out


@njit(cache=True, nogil=True)
def _salient_maxima(x, band, floor, salience, out):  # pragma: no cover  (compiled)
    """Write the bins of ``x``'s salient local maxima to ``out``; return how many.

    A bin is one if it is larger than the bin below, not smaller than the bin
    above, in ``band``, and at least ``salience`` times the noise ``floor``.
    """
    count = 0
    for b in range(1, x.size - 1):
        c = x[b]
        if c > x[b - 1] and c >= x[b + 1] and band[b] and c >= floor[b] * salience:
            out[count] = b
            count += 1
    return count


@njit(cache=True, nogil=True)
def _peak_kernel(mag, previous, has_previous, band, floor, salience, level, track_tolerance, freqs,
                 df):  # pragma: no cover  (compiled)
    """Bins of the salient, steady partials of one frame and the mask of their main lobes.

    Bin by bin: a salient local maximum of ``mag`` (larger than the bin
    below, not smaller than the bin above, in ``band`` and at least
    ``salience`` times the noise ``floor``); if ``has_previous``, one with
    a salient maximum of ``previous`` within the tracking tolerance (the
    same floor: consecutive frames share it closely enough); within
    ``level`` of the strongest; the main lobes (+-2 bins) of those; then
    the weaker of two maxima closer than 2 bins dropped.  Only comparisons
    and the products NumPy formed before: the same bits.
    """
    n = mag.size
    idx = np.empty(n, dtype=np.int64)
    lobe = np.zeros(n, dtype=np.bool_)
    count = _salient_maxima(mag, band, floor, salience, idx)
    if count == 0:
        return idx[:0], lobe
    if has_previous:
        prev = np.empty(n, dtype=np.int64)
        n_prev = _salient_maxima(previous, band, floor, salience, prev)
        if n_prev == 0:
            return idx[:0], lobe
        kept = 0
        pos = 0
        for q in range(count):
            i = idx[q]
            tol_bins = max(1.0, track_tolerance * freqs[i] / df)
            while pos < n_prev and prev[pos] < i:  # np.searchsorted(prev, i), side="left"
                pos += 1
            left = prev[max(pos - 1, 0)]
            right = prev[min(pos, n_prev - 1)]
            if min(abs(i - left), abs(i - right)) <= tol_bins:
                idx[kept] = i
                kept += 1
        count = kept
        if count == 0:
            return idx[:0], lobe
    top = mag[idx[0]]
    for q in range(1, count):
        if mag[idx[q]] > top:
            top = mag[idx[q]]
    threshold = top * level
    kept = 0
    for q in range(count):
        if mag[idx[q]] >= threshold:
            idx[kept] = idx[q]
            kept += 1
    count = kept
    for q in range(count):
        for j in range(idx[q] - 2, idx[q] + 3):
            if 0 <= j < n:
                lobe[j] = True
    keep = np.ones(count, dtype=np.bool_)
    for q in range(count - 1):
        if idx[q + 1] - idx[q] < 2:
            if mag[idx[q]] < mag[idx[q + 1]]:
                keep[q] = False
            else:
                keep[q + 1] = False
    kept = 0
    for q in range(count):
        if keep[q]:
            idx[kept] = idx[q]
            kept += 1
    return idx[:kept].copy(), lobe


def _peaks(mag, freqs, *, max_peaks, floor_db, salience_db, noise_band_hz, noise_percentile, min_freq_hz,
           max_freq_hz, previous=None, track_tolerance=DEFAULT_TRACK_TOLERANCE):
    """Salient, steady peaks and tonalness of one frame (unvalidated).

    Peaks are sought in the band (plus one bin each side for the local
    maxima); tonalness is the A-weighted energy in the main lobes (+-2 bins
    of a Hann window) of the partials; each partial's frequency and
    amplitude come from a parabola through the log magnitudes of its bin and
    its neighbours.  One compiled pass (:func:`_partials_kernel`).
    """
    return _partials_kernel(mag, mag if previous is None else previous, previous is not None, _a_weight(freqs),
                            freqs, float(min_freq_hz), float(max_freq_hz), float(noise_band_hz),
                            float(noise_percentile), 10.0 ** (salience_db / 20.0), 10.0 ** (floor_db / 20.0),
                            float(track_tolerance), int(max_peaks))


@njit(cache=True, nogil=True)
def _masked_sum(x, mask):  # pragma: no cover  (compiled)
    """``np.sum(x[mask])`` with NumPy's pairwise summation: the same bits."""
    packed = np.empty(x.size)
    m = 0
    for i in range(x.size):
        if mask[i]:
            packed[m] = x[i]
            m += 1
    return _pairwise_sum(packed, m)


@njit(cache=True, nogil=True)
def _floor_kernel(m, width, percentile):  # pragma: no cover  (compiled)
    """Local ``percentile`` of ``m`` in blocks of ``width`` bins, interpolated between block centres.

    Order statistics and ``np.interp``'s formula: the bits NumPy gives
    (``m`` finite).
    """
    n = m.size
    n_blocks = max(1, n // width)
    k = int(np.rint(percentile / 100.0 * (width - 1)))
    level = np.empty(n_blocks)
    low = np.empty(k + 1)  # the k + 1 smallest values of a block so far, increasing (+inf: none yet)
    for b in range(n_blocks):
        start = b * width
        stop = min(start + width, n)  # (one short block if n < width)
        low[:] = np.inf
        for i in range(start, stop):
            # Each value passes up the kept ones, keeping the smaller and
            # carrying the larger on (the largest drops off the end):
            # min/max without branches, so no mispredicted insertions.
            v = m[i]
            for q in range(k + 1):
                u = low[q]
                low[q] = min(u, v)
                v = max(u, v)
        level[b] = low[min(k, stop - start - 1)]
    out = np.empty(n)
    if n_blocks == 1:
        out[:] = level[0]
        return out
    centres = (np.arange(n_blocks) + 0.5) * width
    j = 0
    last = n_blocks - 1
    for i in range(n):
        x = float(i)
        if x < centres[0]:
            out[i] = level[0]
        elif x >= centres[last]:
            out[i] = level[last]
        else:
            while centres[j + 1] <= x:
                j += 1
            if x == centres[j]:
                out[i] = level[j]
            else:
                slope = (level[j + 1] - level[j]) / (centres[j + 1] - centres[j])
                out[i] = slope * (x - centres[j]) + level[j]
                if np.isnan(out[i]):
                    out[i] = slope * (x - centres[j + 1]) + level[j + 1]
                    if np.isnan(out[i]) and level[j] == level[j + 1]:
                        out[i] = level[j]
    return out


@njit(cache=True, nogil=True)
def _partials_kernel(mag, previous, has_previous, a_weight, freqs, min_freq_hz, max_freq_hz, noise_band_hz,
                     noise_percentile, salience, level, track_tolerance, max_peaks):  # pragma: no cover
    """:func:`_peaks` compiled: the partials' frequencies and amplitudes and the tonalness.

    The same operations in the same order as NumPy's (sums pairwise as
    NumPy sums); only log and exp may differ from NumPy's in the last bit.
    """
    empty = np.empty(0)
    lo = max(np.searchsorted(freqs, min_freq_hz) - 1, 0)
    hi = min(np.searchsorted(freqs, max_freq_hz, side="right") + 1, freqs.size)
    if hi - lo < 3:
        return empty, empty, 0.0
    mag = mag[lo:hi]
    previous = previous[lo:hi]
    freqs = freqs[lo:hi]
    n = mag.size
    loud = np.empty(n)
    band = np.empty(n, dtype=np.bool_)
    for i in range(n):
        loud[i] = (mag[i] * mag[i]) * a_weight[lo + i]
        band[i] = freqs[i] >= min_freq_hz and freqs[i] <= max_freq_hz
    total = _masked_sum(loud, band)
    if not total > 0:
        return empty, empty, 0.0
    df = freqs[1] - freqs[0]
    width = max(3, int(np.rint(noise_band_hz / df)) | 1)
    floor = _floor_kernel(mag, width, noise_percentile)
    idx, lobe = _peak_kernel(mag, previous, has_previous, band, floor, salience, level, track_tolerance, freqs, df)
    if idx.size == 0:
        return empty, empty, 0.0
    tonal = _masked_sum(loud, lobe & band) / total
    if idx.size > max_peaks:
        heights = np.sort(mag[idx])
        cut = heights[idx.size - max_peaks]
        n_above = 0
        for q in range(idx.size):
            if mag[idx[q]] > cut:
                n_above += 1
        ties = max_peaks - n_above
        kept = 0
        for q in range(idx.size):
            h = mag[idx[q]]
            if h > cut or (h == cut and ties > 0):
                if h == cut:
                    ties -= 1
                idx[kept] = idx[q]
                kept += 1
        idx = idx[:kept]
    # Parabola through the log magnitudes of the peak bin and its neighbours.
    tiny = np.finfo(np.float64).tiny
    f = np.empty(idx.size)
    a = np.empty(idx.size)
    for q in range(idx.size):
        i = idx[q]
        alpha = np.log(max(mag[i - 1], tiny))
        beta = np.log(mag[i])
        gamma = np.log(max(mag[i + 1], tiny))
        curvature = alpha - 2.0 * beta + gamma
        p = 0.5 * (alpha - gamma) / curvature if curvature < 0 else 0.0
        p = min(max(p, -0.5), 0.5)
        f[q] = freqs[i] + p * (freqs[i + 1] - freqs[i - 1]) / 2.0
        a[q] = np.exp(beta - 0.25 * (alpha - gamma) * p)
    return f, a, min(tonal, 1.0)


def spectral_peaks(
    magnitude,
    freqs_hz,
    *,
    max_peaks: int = DEFAULT_MAX_PEAKS,
    floor_db: float = DEFAULT_FLOOR_DB,
    salience_db: float = DEFAULT_SALIENCE_DB,
    min_freq_hz: float = DEFAULT_MIN_FREQ_HZ,
    max_freq_hz: float = DEFAULT_MAX_FREQ_HZ,
) -> tuple[np.ndarray, np.ndarray]:
    """The partials of one magnitude spectrum.

    A partial is a bin larger than both neighbours that stands at least
    ``salience_db`` above the local noise floor (the
    :data:`DEFAULT_NOISE_PERCENTILE` th percentile of the magnitudes within
    :data:`DEFAULT_NOISE_BAND_HZ`) and within ``floor_db`` of the strongest
    partial.  Its frequency and amplitude are refined by a parabola through
    the log magnitudes of the three bins around it (Smith & Serra 1987).

    Parameters
    ----------
    magnitude : array_like, shape (n_bins,)
        Linear magnitude spectrum (not power, not dB), non-negative.
    freqs_hz : array_like, shape (n_bins,)
        Strictly increasing, evenly spaced bin frequencies (``np.fft.rfftfreq``).
    max_peaks : int
        Most partials returned (the strongest), >= 1.
    floor_db : float
        Level relative to the strongest partial below which peaks are
        ignored (<= 0).
    salience_db : float
        Height above the local noise floor a peak needs (>= 0).
    min_freq_hz, max_freq_hz : float
        Band in which partials are sought.

    Returns
    -------
    peak_freqs_hz : numpy.ndarray, shape (n_peaks,), float64
        Interpolated partial frequencies, increasing.
    peak_amps : numpy.ndarray, shape (n_peaks,), float64
        Interpolated peak magnitudes.  Both are empty for silence or noise.

    Raises
    ------
    ParameterError
        If ``magnitude`` is not a finite non-negative 1-D array of at least
        three bins, if ``freqs_hz`` does not match it or does not increase,
        or if a keyword is out of range.

    Examples
    --------
    >>> sr, n = 8000, 1024
    >>> y = np.sin(2 * np.pi * 1000.7 * np.arange(n) / sr)
    >>> mag = np.abs(np.fft.rfft(y * np.hanning(n)))
    >>> f, a = spectral_peaks(mag, np.fft.rfftfreq(n, 1 / sr))
    >>> f.shape, bool(abs(f[0] - 1000.7) < 0.5)
    ((1,), True)
    """
    mag, freqs = _check_spectrum(magnitude, freqs_hz)
    kw = _check_peak_options(max_peaks, floor_db, salience_db, min_freq_hz, max_freq_hz)
    f, a, _ = _peaks(mag, freqs, **kw)
    return f, a


def _check_peak_options(max_peaks, floor_db, salience_db, min_freq_hz, max_freq_hz) -> dict:
    lo = check_float("min_freq_hz", min_freq_hz, low=0.0)
    return {
        "max_peaks": check_int("max_peaks", max_peaks, low=1, high=1000),
        "floor_db": check_float("floor_db", floor_db, high=0.0),
        "salience_db": check_float("salience_db", salience_db, low=0.0, high=120.0),
        "noise_band_hz": DEFAULT_NOISE_BAND_HZ,
        "noise_percentile": DEFAULT_NOISE_PERCENTILE,
        "min_freq_hz": lo,
        "max_freq_hz": check_float("max_freq_hz", max_freq_hz, low=lo, low_inclusive=False),
    }


# ----------------------------------------------------------------------------
# roughness
# ----------------------------------------------------------------------------


def _roughness(f: np.ndarray, a: np.ndarray, curve: RoughnessCurve) -> float:
    return float(_roughness_kernel(f, a, float(curve.cbw_scale), float(curve.cbw_exponent), float(curve.y_peak),
                                   float(curve.y_max)))


@njit(cache=True, nogil=True)
def _roughness_kernel(f, a, cbw_scale, cbw_exponent, y_peak, y_max):  # pragma: no cover  (compiled)
    """``sum_{i<j} a_i a_j g(y_ij) / sum_i a_i**2`` over the pairs in NumPy's ``triu_indices`` order.

    NumPy's pairwise sums; only ``**`` and exp may differ from NumPy's in
    the last bit.
    """
    n = f.size
    sq = a * a
    energy = _pairwise_sum(sq, n)
    if n < 2 or not energy > 0:
        return 0.0
    terms = np.empty(n * (n - 1) // 2)
    m = 0
    for i in range(n):
        for j in range(i + 1, n):
            cbw = cbw_scale * (0.5 * (f[i] + f[j])) ** cbw_exponent
            y = abs(f[i] - f[j]) / cbw
            if y < y_max:
                u = y / y_peak
                g = math.e * u * np.exp(-u)
                terms[m] = a[i] * a[j] * (g * g)
                m += 1
    if m == 0:
        return 0.0
    return _pairwise_sum(terms, m) / energy


def roughness(freqs_hz, amps, *, curve: RoughnessCurve = HUTCHINSON_KNOPOFF_1978) -> float:
    """Roughness of a set of partials (Hutchinson & Knopoff 1978).

    ``R = sum_{i<j} a_i a_j g(y_ij) / sum_i a_i**2`` with the curve of
    :class:`RoughnessCurve`.  Scale-free: two equal partials a quarter of a
    critical band apart give 0.5.

    Parameters
    ----------
    freqs_hz : array_like, shape (n_partials,)
        Partial frequencies in Hz (> 0).  May be empty.
    amps : array_like, shape (n_partials,)
        Partial amplitudes (linear, >= 0).
    curve : RoughnessCurve
        Curve parameters (default :data:`HUTCHINSON_KNOPOFF_1978`).

    Returns
    -------
    float
        Roughness, >= 0; 0 for fewer than two partials.

    Raises
    ------
    ParameterError
        If the arrays are not 1-D, finite and of equal length, if a frequency
        is <= 0 or an amplitude < 0.

    Examples
    --------
    >>> cbw = 1.72 * 510.0 ** 0.65
    >>> round(roughness([510 - cbw / 8, 510 + cbw / 8], [1.0, 1.0]), 3)
    0.5
    >>> roughness([500.0, 1500.0], [1.0, 1.0])
    0.0
    """
    f, a = _check_partials(freqs_hz, amps)
    return _roughness(f, a, _check_curve(curve))


# ----------------------------------------------------------------------------
# harmonicity
# ----------------------------------------------------------------------------


def _gaussians(centres_cents: np.ndarray, weights: np.ndarray, n_bins: int, template: HarmonicTemplate) -> np.ndarray:
    """Sum of Gaussians (std ``sigma_cents``) on a grid of ``step_cents`` bins from 0."""
    step, sigma = template.step_cents, template.sigma_cents
    reach = int(math.ceil(4.0 * sigma / step))
    offsets = np.arange(-reach, reach + 1)
    j = np.round(centres_cents / step).astype(np.int64)[:, None] + offsets[None, :]
    values = weights[:, None] * np.exp(-0.5 * ((j * step - centres_cents[:, None]) / sigma) ** 2)
    return _scatter_add(j, values, n_bins)


@njit(cache=True, nogil=True)
def _scatter_add(j, values, n_bins):  # pragma: no cover  (compiled)
    """``np.bincount`` of ``values`` on the bins ``j`` that lie in ``[0, n_bins)``, in the same order: the same bits."""
    out = np.zeros(n_bins)
    for r in range(j.shape[0]):
        for q in range(j.shape[1]):
            b = j[r, q]
            if 0 <= b < n_bins:
                out[b] += values[r, q]
    return out


def _reach_bins(template: HarmonicTemplate) -> int:
    return int(math.ceil(4.0 * template.sigma_cents / template.step_cents))


@functools.lru_cache(maxsize=16)
def _template_fft(template: HarmonicTemplate, n_fft: int) -> tuple[np.ndarray, float]:
    """FFT (conjugated) and norm of the template, its fundamental ``reach`` bins from 0."""
    k = np.arange(1, template.n_harmonics + 1, dtype=np.float64)
    offset = _reach_bins(template) * template.step_cents
    t = _gaussians(_CENTS * np.log2(k) + offset, k ** -float(template.rolloff), n_fft, template)
    return np.conj(rfft(t)), math.sqrt(float(np.sum(t * t)))


@functools.lru_cache(maxsize=16)
def _pitch_sizes(template: HarmonicTemplate) -> tuple[int, int, int]:
    """Bins of the template's reach, candidates and FFT of :func:`_harmonicities`."""
    step = template.step_cents
    reach = _reach_bins(template)
    n_cand = int(round(_CENTS * (template.octaves_below + template.octaves_above) / step))
    n_t = reach + int(math.ceil(_CENTS * math.log2(template.n_harmonics) / step)) + reach + 1
    return reach, n_cand, next_fast_len(n_cand + n_t, real=True)


def _harmonicities(partials, template: HarmonicTemplate) -> list[float]:
    """Harmonicity (bits) of each ``(f, a)`` set of partials, the FFTs of all done at once.

    The virtual-pitch spectrum of a set of partials is the cosine
    similarity between their smoothed log-frequency spectrum and the
    harmonic template with its fundamental on each candidate bin.  The
    candidates span ``octaves_below`` octaves below the lowest strong
    partial (within 20 dB of the strongest) to ``octaves_above`` above it:
    a window that moves with the sound, so the measure does not depend on
    register.  Harmonicity is that spectrum's divergence from uniform.
    One FFT call serves all sets (row by row, the same bits as one by one).
    """
    reach, n_cand, n_fft = _pitch_sizes(template)
    out = [0.0] * len(partials)
    rows, scales, where = [], [], []
    for r, (f, a) in enumerate(partials):
        live = a > 0
        if not live.any():
            continue
        if not live.all():
            f, a = f[live], a[live]
        x, norm, _ = _pitch_grid(f, a, float(template.step_cents), float(template.sigma_cents), reach,
                                 float(template.octaves_below), n_fft)
        rows.append(x[:n_fft])
        scales.append(norm)
        where.append(r)
    if rows:
        t_hat, t_norm = _template_fft(template, n_fft)
        # Linear correlation over the first n_fft bins: candidate c sits at bin
        # reach + c; bins beyond n_fft cannot meet the template of any candidate.
        y = irfft(rfft(np.array(rows), axis=1) * t_hat, n_fft, axis=1)
        for q, r in enumerate(where):
            out[r] = float(_kl_bits(y[q], n_cand, max(scales[q] * t_norm, 1e-300)))
    return out


@njit(cache=True, nogil=True)
def _pitch_grid(f, a, step, sigma, reach, octaves_below, n_fft):  # pragma: no cover  (compiled)
    """The smoothed log-frequency spectrum of :func:`_harmonicities`, its norm and its first candidate (cents).

    NumPy's operations in NumPy's order (log2 and exp may differ from
    NumPy's in the last bit; sums are NumPy's pairwise sums).
    """
    n = f.size
    cents = np.empty(n)
    top = a[0]
    for i in range(n):
        cents[i] = 1200.0 * np.log2(f[i])
        if a[i] > top:
            top = a[i]
    lowest = np.inf
    highest = -np.inf
    for i in range(n):
        if a[i] >= top * 0.1 and cents[i] < lowest:
            lowest = cents[i]
        if cents[i] > highest:
            highest = cents[i]
    first = lowest - 1200.0 * octaves_below
    low = first - reach * step
    n_x = int(math.ceil((highest - low) / step)) + reach + 1
    x = np.zeros(max(n_x, n_fft))
    for i in range(n):
        c = cents[i] - low
        centre = np.rint(c / step)
        for q in range(-reach, reach + 1):
            j = int(centre) + q
            if 0 <= j < x.size:
                d = (j * step - c) / sigma
                x[j] += a[i] * np.exp(-0.5 * (d * d))
    sq = x * x
    return x, math.sqrt(_pairwise_sum(sq, sq.size)), first


@njit(cache=True, nogil=True)
def _kl_bits(y, n_cand, scale):  # pragma: no cover  (compiled)
    """:func:`_kl_from_uniform_bits` of ``max(y[:n_cand], 0) / scale`` (NumPy's sums; log2 to the last bit)."""
    v = np.empty(n_cand)
    for i in range(n_cand):
        v[i] = max(y[i], 0.0) / scale
    total = _pairwise_sum(v, n_cand)
    if not total > 0:
        return 0.0
    terms = np.empty(n_cand)
    m = 0
    for i in range(n_cand):
        p = v[i] / total
        if p > 0:
            terms[m] = p * np.log2(p * n_cand)
            m += 1
    return _pairwise_sum(terms, m)


def _harmonicity(f: np.ndarray, a: np.ndarray, template: HarmonicTemplate) -> float:
    return _harmonicities([(f, a)], template)[0]


def harmonicity(freqs_hz, amps, *, template: HarmonicTemplate = HARRISON_PEARCE_2018) -> float:
    """Peakiness of the virtual-pitch spectrum of a set of partials (bits).

    The partials, weighted by amplitude, form a log-frequency spectrum
    smoothed by Gaussians of ``template.sigma_cents`` (Milne et al. 2011).
    Its cosine similarity with a harmonic template (``n_harmonics``
    harmonics of weight ``k ** -rolloff``, smoothed alike) at every
    candidate fundamental is the virtual-pitch spectrum; harmonicity is that
    spectrum's Kullback-Leibler divergence from a uniform distribution, in
    bits (Harrison & Pearce 2018).  The candidates span from
    ``octaves_below`` octaves below the lowest strong partial to
    ``octaves_above`` above it, so the value does not change when the whole
    set is transposed.

    Parameters
    ----------
    freqs_hz : array_like, shape (n_partials,)
        Partial frequencies in Hz (> 0).  May be empty.
    amps : array_like, shape (n_partials,)
        Partial amplitudes (linear, >= 0).
    template : HarmonicTemplate
        Template and smoothing (default :data:`HARRISON_PEARCE_2018`).

    Returns
    -------
    float
        Harmonicity, >= 0 (0 without partials or for a flat spectrum).

    Raises
    ------
    ParameterError
        If the arrays are invalid or ``template`` is not a valid template.

    Examples
    --------
    >>> k = np.arange(1, 11)
    >>> tone = harmonicity(220.0 * k, 1.0 / k)
    >>> cluster = harmonicity(220.0 * 2 ** (np.arange(6) / 12), np.ones(6))
    >>> bool(tone > cluster)
    True
    """
    f, a = _check_partials(freqs_hz, amps)
    return _harmonicity(f, a, _check_template(template))


def pitch_class_profile(freqs_hz, amps, *, n_classes: int = 12) -> np.ndarray:
    """Share of the partials' amplitude in each pitch class (C = 0).

    Parameters
    ----------
    freqs_hz, amps : array_like, shape (n_partials,)
        Partials.
    n_classes : int
        Classes per octave (12).

    Returns
    -------
    numpy.ndarray, shape (n_classes,), float64
        Non-negative, summing to 1 (all zeros without partials).

    Examples
    --------
    >>> pitch_class_profile([261.63, 329.63, 392.0], [1, 1, 1]).round(2)[[0, 4, 7]]
    array([0.33, 0.33, 0.33])
    """
    f, a = _check_partials(freqs_hz, amps)
    n = check_int("n_classes", n_classes, low=1, high=1200)
    out = np.zeros(n)
    if f.size:
        pc = np.round(n * np.log2(f / _PC_REF_HZ)).astype(int) % n
        np.add.at(out, pc, a)
    total = out.sum()
    return out / total if total > 0 else out


def _note_profile(f: np.ndarray, a: np.ndarray, tolerance_cents: float, max_harmonic: int) -> np.ndarray:
    """:func:`note_profile` without validation (partials with amplitudes > 0)."""
    return _note_kernel(f, a, float(tolerance_cents), int(max_harmonic), _PC_REF_HZ)


@njit(cache=True, nogil=True)
def _note_kernel(f, a, tolerance_cents, max_harmonic, ref_hz):  # pragma: no cover  (compiled)
    """The harmonic sieve of :func:`note_profile`, with NumPy's sums (log2 may differ in the last bit).

    Which partials each strong partial explains as a harmonic (all at
    once); then, lowest first, each still unexplained strong partial is a
    note that takes the partials no lower note has taken.
    """
    out = np.zeros(12)
    live = a > 0
    if not np.any(live):
        return out
    f, a = f[live], a[live]
    order = np.argsort(f)
    f, a = f[order], a[order]
    candidates = np.flatnonzero(a >= a.max() * 0.1)
    fits = np.zeros((candidates.size, f.size), dtype=np.bool_)
    for r in range(candidates.size):
        base = f[candidates[r]]
        for i in range(f.size):
            ratio = f[i] / base
            k = np.rint(ratio)
            if k >= 1 and k <= max_harmonic:
                fits[r, i] = abs(1200.0 * np.log2(ratio / max(k, 1.0))) <= tolerance_cents
    shares = _sieve_kernel(fits, candidates, a)
    for r in range(candidates.size):
        if shares[r] >= 0:
            out[int(np.rint(12.0 * np.log2(f[candidates[r]] / ref_hz))) % 12] += shares[r]
    return out / _pairwise_sum(out, 12)


@njit(cache=True, nogil=True)
def _block_sum(x, start, n):  # pragma: no cover  (compiled)
    """NumPy's float64 sum of ``x[start:start + n]`` for ``n <= 128`` (8 running sums)."""
    if n < 8:
        res = -0.0
        for i in range(n):
            res += x[start + i]
        return res
    r = x[start:start + 8].copy()
    i = 8
    while i < n - (n % 8):
        for q in range(8):
            r[q] += x[start + i + q]
        i += 8
    res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        res += x[start + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _pairwise_sum(x, n):  # pragma: no cover  (compiled)
    """``x[:n].sum()`` the way NumPy sums float64 (pairwise halves of blocks of 8): the same bits.

    NumPy's recursion, walked with an explicit stack (a cached recursive
    kernel does not load back safely).
    """
    if n <= 128:
        return _block_sum(x, 0, n)
    starts = np.empty(64, dtype=np.int64)
    sizes = np.empty(64, dtype=np.int64)
    split = np.empty(64, dtype=np.int64)
    left = np.empty(64)
    stage = np.zeros(64, dtype=np.int64)  # 0: not split yet, 1: left half pending, 2: right half pending
    depth = 0
    starts[0], sizes[0], stage[0] = 0, n, 0
    while True:
        m = sizes[depth]
        if m > 128:
            n2 = m // 2
            n2 -= n2 % 8
            split[depth] = n2
            stage[depth] = 1
            depth += 1
            starts[depth], sizes[depth], stage[depth] = starts[depth - 1], n2, 0
            continue
        v = _block_sum(x, starts[depth], m)
        while True:
            if depth == 0:
                return v
            depth -= 1
            if stage[depth] == 1:
                left[depth] = v
                stage[depth] = 2
                depth += 1
                starts[depth] = starts[depth - 1] + split[depth - 1]
                sizes[depth] = sizes[depth - 1] - split[depth - 1]
                stage[depth] = 0
                break
            v = left[depth] + v


@njit(cache=True, nogil=True)
def _sieve_kernel(fits, candidates, a):  # pragma: no cover  (compiled)
    """The harmonic sieve of :func:`_note_profile`: each candidate's share of ``a``, -1 if it is no note.

    Lowest first, a candidate not yet explained by a lower note takes the
    amplitude of the partials its row of ``fits`` explains that no lower
    note took (summed as NumPy sums).
    """
    n = a.size
    free = np.ones(n, dtype=np.bool_)
    taken = np.empty(n)
    out = np.full(candidates.size, -1.0)
    for r in range(candidates.size):
        if not free[candidates[r]]:
            continue
        m = 0
        for i in range(n):
            if fits[r, i]:
                if free[i]:
                    taken[m] = a[i]
                    m += 1
                free[i] = False
        out[r] = _pairwise_sum(taken, m)
    return out


def note_profile(
    freqs_hz,
    amps,
    *,
    tolerance_cents: float = DEFAULT_NOTE_TOLERANCE_CENTS,
    max_harmonic: int = DEFAULT_NOTE_MAX_HARMONIC,
) -> np.ndarray:
    """Pitch classes of the notes that a set of partials sounds (C = 0).

    A harmonic sieve: the lowest strong partial (within 20 dB of the
    strongest) is taken as a note, and every partial within
    ``tolerance_cents`` of one of its first ``max_harmonic`` harmonics is
    assigned to it; the lowest strong partial left over is the next note,
    and so on.  Each note's pitch class receives the amplitude of its
    partials.  A note whose fundamental is weak is found at its second or
    fourth harmonic, which has its pitch class; a note that coincides with a
    harmonic of a lower one (a twelfth, a double octave) fuses with it, as
    it does in hearing.

    Parameters
    ----------
    freqs_hz, amps : array_like, shape (n_partials,)
        Partials (Hz > 0, linear amplitudes >= 0).
    tolerance_cents : float
        Largest mistuning of a harmonic (:data:`DEFAULT_NOTE_TOLERANCE_CENTS`).
    max_harmonic : int
        Highest harmonic assigned to a note (:data:`DEFAULT_NOTE_MAX_HARMONIC`).

    Returns
    -------
    numpy.ndarray, shape (12,), float64
        Share of the partials' amplitude in the notes of each pitch class;
        sums to 1 (all zeros without partials).

    Raises
    ------
    ParameterError
        If an argument is invalid.

    Examples
    --------
    >>> k = np.arange(1, 9)
    >>> f = np.concatenate([hz * k for hz in (261.63, 329.63, 392.0)])
    >>> np.flatnonzero(note_profile(f, np.tile(1.0 / k, 3)))
    array([0, 4, 7])
    """
    f, a = _check_partials(freqs_hz, amps)
    tol = check_float("tolerance_cents", tolerance_cents, low=0.0, high=600.0, low_inclusive=False)
    n = check_int("max_harmonic", max_harmonic, low=1, high=64)
    return _note_profile(f, a, tol, n)


def _rotations(mask: int) -> list[int]:
    return [((mask << r) | (mask >> (12 - r))) & 0xFFF for r in range(12)]


#: Canonical transposition (smallest of the 12 rotations) of every 12-bit
#: pitch-class set.
_CANONICAL = np.array([min(_rotations(m)) for m in range(4096)], dtype=np.int64)
_CANONICAL.setflags(write=False)
#: Transposition classes of non-empty pitch-class sets (351).
N_CHORD_TYPES = int(np.unique(_CANONICAL[1:]).size)


def chord_type(pitch_classes) -> int:
    """Transposition class of a pitch-class set, as a 12-bit mask.

    The set is coded as a mask (bit ``p`` for pitch class ``p``) and
    rotated to the smallest of its 12 transpositions, so every major triad
    gives the same number and a minor triad (its inversion) another.

    Parameters
    ----------
    pitch_classes : iterable of int
        Pitch classes (any integers; taken modulo 12).  Repeats are ignored.

    Returns
    -------
    int
        Mask of the canonical transposition, 0 for the empty set.

    Examples
    --------
    >>> chord_type([0, 4, 7]) == chord_type([2, 6, 9]) != chord_type([0, 3, 7])
    True
    """
    mask = 0
    for pc in pitch_classes:
        mask |= 1 << (int(pc) % 12)
    return int(_CANONICAL[mask])


class ChordTypeMemory:
    """Corpus familiarity of chord types: the long-term harmonic memory of consonance.

    Harrison & Pearce's (2020) cultural familiarity: the log probability of
    a chord's type (its pitch-class set up to transposition) among the
    chords of a corpus, with one count added to every type so that unseen
    types stay finite (as in their ``corpdiss`` package).  Unlike theirs,
    the type does not record which note is in the bass: it is read from a
    pitch-class profile.  The shipped counts (:meth:`load`) come from the
    Bach chorales of the music21 corpus (``scripts/train_chord_types.py``).

    Parameters
    ----------
    types : array_like of int, shape (n,)
        Chord types (:func:`chord_type` masks, non-zero, distinct).
    counts : array_like, shape (n,)
        How often each was heard (>= 0).
    add : float
        Count added to each of the :data:`N_CHORD_TYPES` types (1; Harrison
        & Pearce 2020).
    min_share : float
        A pitch class belongs to the chord when it holds at least this share
        of the profile's largest class (0.1, -20 dB in amplitude, the
        threshold of a strong partial; engineering choice).

    Examples
    --------
    >>> memory = ChordTypeMemory([chord_type([0, 4, 7])], [9.0])
    >>> major = np.zeros(12); major[[0, 4, 7]] = 1
    >>> round(memory.log_probability(major), 3)  # log((9 + 1) / (9 + 351))
    -3.584
    """

    def __init__(self, types, counts, *, add: float = 1.0, min_share: float = 0.1):
        self.types = types
        self.counts = counts
        self.add = add
        self.min_share = min_share
        self._setup()

    def _setup(self) -> None:
        types = np.asarray(self.types)
        counts = check_finite_array("counts", self.counts, ndim=1)
        if types.ndim != 1 or types.shape != counts.shape:
            raise ParameterError(f"types has shape {types.shape} but counts has shape {counts.shape}; "
                                 "they must be 1-D and match")
        if types.size and (not np.issubdtype(types.dtype, np.integer) or types.min() < 1 or types.max() > 4095
                           or np.any(_CANONICAL[types] != types) or np.unique(types).size != types.size):
            raise ParameterError("types must be distinct canonical chord-type masks (see chord_type)")
        if np.any(counts < 0):
            raise ParameterError(f"counts has minimum {counts.min():g}; counts must be >= 0")
        add = check_float("add", self.add, low=0.0)
        self.min_share_ = check_float("min_share", self.min_share, low=0.0, high=1.0)
        total = float(counts.sum()) + add * N_CHORD_TYPES
        if not total > 0:
            raise ParameterError("counts sum to 0 and add=0; no type has a probability")
        table = np.full(4096, add)
        table[types.astype(np.int64)] += counts
        with np.errstate(divide="ignore"):
            self.log_prob_ = np.log(table / total)  # natural log; indexed by canonical mask
        self.log_prob_.setflags(write=False)
        self.n_chords_ = float(counts.sum())

    @classmethod
    def load(cls, path=None) -> "ChordTypeMemory":
        """The memory shipped with the package, or one saved in ``path`` (.npz).

        Raises
        ------
        DataFileError
            If the file is missing or malformed.
        """
        if path is None:
            ref = resources.files("resonance") / "data" / "chord_types.npz"
            opened = resources.as_file(ref)
        else:
            ref, opened = path, contextlib.nullcontext(path)
        try:
            with opened as file, np.load(file, allow_pickle=False) as data:
                types, counts = np.asarray(data["types"]), np.asarray(data["counts"], dtype=np.float64)
            return cls(types, counts)
        except (OSError, KeyError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise DataFileError(f"chord-type memory '{ref}' cannot be read ({exc}); it must be an .npz "
                                "written by scripts/train_chord_types.py") from None

    def log_probability(self, profile) -> float:
        """Natural log probability of the chord type of a pitch-class profile.

        Parameters
        ----------
        profile : array_like, shape (12,)
            Non-negative weight of each pitch class (C = 0), e.g.
            :func:`note_profile`.

        Returns
        -------
        float
            ``log P(type)``; ``-inf`` for an all-zero profile.
        """
        w = check_finite_array("profile", profile, ndim=1)
        if w.shape != (12,) or np.any(w < 0):
            raise ParameterError(f"profile has shape {w.shape}; it must be 12 non-negative weights")
        return self._log_probability(w)

    def _log_probability(self, w: np.ndarray) -> float:
        top = float(w.max())
        if not top > 0:
            return -math.inf
        bits = np.flatnonzero(w >= top * max(self.min_share_, 1e-12))
        return float(self.log_prob_[_CANONICAL[int(np.sum(1 << bits))]])


# ----------------------------------------------------------------------------
# consonance
# ----------------------------------------------------------------------------


def resolve_memory(memory):
    """The harmonic memory named by ``memory``.

    Parameters
    ----------
    memory : "default", object or None
        ``"default"`` loads the shipped :class:`ChordTypeMemory`; ``None``
        (no familiarity term) and objects with a ``log_probability`` method
        are returned as they are.

    Returns
    -------
    object or None

    Raises
    ------
    ParameterError
        If ``memory`` is another string or lacks ``log_probability``.
    DataFileError
        If the shipped memory cannot be read.
    """
    if isinstance(memory, str):
        if memory != "default":
            raise ParameterError(f"harmonic_memory={memory!r} must be 'default', None or an object with "
                                 "a log_probability(profile) method")
        return ChordTypeMemory.load()
    if memory is not None and not callable(getattr(memory, "log_probability", None)):
        raise ParameterError(f"harmonic_memory={memory!r} has no log_probability(profile) method")
    return memory


def _familiarity(memory, f, a) -> float | None:
    if memory is None or f.size == 0:
        return None
    profile = _note_profile(f, a, DEFAULT_NOTE_TOLERANCE_CENTS, DEFAULT_NOTE_MAX_HARMONIC)
    # The profile is valid by construction: the shipped memory skips the check.
    value = float(memory._log_probability(profile) if isinstance(memory, ChordTypeMemory)
                  else memory.log_probability(profile))
    if not math.isfinite(value):
        raise ParameterError(f"harmonic memory gave log probability {value}; it must be finite")
    return value


def _measures(f, a, *, curve, template, weights, memory) -> dict:
    rough = _roughness(f, a, curve)
    harm = _harmonicity(f, a, template)
    return _composite(rough, harm, _familiarity(memory, f, a), a, weights)


def _composite(rough: float, harm: float, fam, a: np.ndarray, weights) -> dict:
    """The measures of a set of partials (amplitudes ``a``) and their weighted composite."""
    value = weights.roughness * rough + weights.harmonicity * harm
    if fam is not None:
        value += weights.familiarity * fam
    return {"roughness": rough, "harmonicity": harm, "familiarity": fam, "consonance": value,
            "n_partials": int(np.count_nonzero(a > 0))}


def consonance(
    freqs_hz,
    amps,
    *,
    curve: RoughnessCurve = HUTCHINSON_KNOPOFF_1978,
    template: HarmonicTemplate = HARRISON_PEARCE_2018,
    weights: CompositeWeights = HARRISON_PEARCE_2020,
    memory=None,
) -> float:
    """Consonance of a set of partials: Harrison & Pearce's (2020) composite.

    ``w_r * roughness + w_h * harmonicity [+ w_f * familiarity]`` with the
    weights of :class:`CompositeWeights`.  Familiarity is used only when a
    long-term harmonic ``memory`` is given; without it the composite is
    roughness and harmonicity alone.

    Parameters
    ----------
    freqs_hz, amps : array_like, shape (n_partials,)
        Partials (Hz > 0, linear amplitudes >= 0).
    curve, template, weights
        Roughness curve, harmonic template, composite weights.
    memory : "default", object or None
        Long-term harmonic memory: any object with a method
        ``log_probability(profile) -> float`` giving the natural log
        probability of the chord whose notes have the 12-bin pitch-class
        profile ``profile`` (:func:`note_profile` of the partials), such as
        :class:`ChordTypeMemory`; ``"default"`` loads the shipped one (read
        from disk on every call: load it once with
        :meth:`ChordTypeMemory.load` to measure many sounds); ``None``
        leaves familiarity out.

    Returns
    -------
    float
        Consonance (higher is more consonant; 0 where harmonicity and
        roughness balance).

    Raises
    ------
    ParameterError
        If an argument is invalid.

    Examples
    --------
    >>> k = np.arange(1, 7)
    >>> octave = consonance(np.r_[262 * k, 524 * k], np.r_[1 / k, 1 / k])
    >>> semitone = consonance(np.r_[262 * k, 277.6 * k], np.r_[1 / k, 1 / k])
    >>> bool(octave > semitone)
    True
    """
    f, a = _check_partials(freqs_hz, amps)
    return _measures(f, a, curve=_check_curve(curve), template=_check_template(template),
                     weights=_check_weights(weights), memory=resolve_memory(memory))["consonance"]


def analyze_spectrum(
    magnitude,
    freqs_hz,
    *,
    max_peaks: int = DEFAULT_MAX_PEAKS,
    floor_db: float = DEFAULT_FLOOR_DB,
    salience_db: float = DEFAULT_SALIENCE_DB,
    min_freq_hz: float = DEFAULT_MIN_FREQ_HZ,
    max_freq_hz: float = DEFAULT_MAX_FREQ_HZ,
    curve: RoughnessCurve = HUTCHINSON_KNOPOFF_1978,
    template: HarmonicTemplate = HARRISON_PEARCE_2018,
    weights: CompositeWeights = HARRISON_PEARCE_2020,
    memory=None,
    previous=None,
) -> dict:
    """Tonalness, roughness, harmonicity and consonance of one spectrum frame.

    Intended for long windows (``n_fft=4096`` at 22.05 kHz, 5.4 Hz bins),
    which resolve partials a semitone apart from about C4 up.

    Parameters
    ----------
    magnitude : array_like, shape (n_bins,)
        Linear magnitude spectrum of one Hann-windowed frame, non-negative.
    freqs_hz : array_like, shape (n_bins,)
        Evenly spaced, increasing bin frequencies.
    max_peaks, floor_db, salience_db, min_freq_hz, max_freq_hz
        Partial picking, see :func:`spectral_peaks`.
    curve, template, weights, memory
        See :func:`consonance`.
    previous : array_like, shape (n_bins,) or None
        Magnitude spectrum of the preceding frame (one hop earlier).  When
        given, only steady partials count: those with a salient peak in the
        previous frame within :data:`DEFAULT_TRACK_TOLERANCE` (or one bin).
        Gliding partials (speech intonation) then add to the unpitched
        energy.

    Returns
    -------
    dict
        ``tonalness`` (float in [0, 1], share of the frame's energy in its
        partials), ``roughness``, ``harmonicity``, ``consonance`` (floats,
        measured on the partials alone), ``familiarity`` (float or None) and
        ``n_partials`` (int).  A frame without partials gives zeros.

    Raises
    ------
    ParameterError
        If an argument is invalid.

    Examples
    --------
    >>> sr, n = 22050, 4096
    >>> t = np.arange(n) / sr
    >>> y = sum(np.sin(2 * np.pi * 220 * k * t) / k for k in range(1, 9))
    >>> out = analyze_spectrum(np.abs(np.fft.rfft(y * np.hanning(n))), np.fft.rfftfreq(n, 1 / sr))
    >>> bool(out["tonalness"] > 0.99), out["n_partials"]
    (True, 8)
    """
    mag, freqs = _check_spectrum(magnitude, freqs_hz)
    kw = _check_peak_options(max_peaks, floor_db, salience_db, min_freq_hz, max_freq_hz)
    if previous is not None:
        previous, _ = _check_spectrum(previous, freqs)
    return _analyze_frame(mag, freqs, previous=previous, peak_options=kw, curve=_check_curve(curve),
                          template=_check_template(template), weights=_check_weights(weights),
                          memory=resolve_memory(memory))


def _analyze_frame(mag, freqs, *, previous=None, peak_options=None, curve=HUTCHINSON_KNOPOFF_1978,
                   template=HARRISON_PEARCE_2018, weights=HARRISON_PEARCE_2020, memory=None) -> dict:
    """:func:`analyze_spectrum` without validation, for spectra the pipeline makes itself."""
    kw = _DEFAULT_PEAK_OPTIONS if peak_options is None else peak_options
    f, a, tonal = _peaks(mag, freqs, previous=previous, **kw)
    out = _measures(f, a, curve=curve, template=template, weights=weights, memory=memory)
    out["tonalness"] = tonal
    return out


_DEFAULT_PEAK_OPTIONS = _check_peak_options(
    DEFAULT_MAX_PEAKS, DEFAULT_FLOOR_DB, DEFAULT_SALIENCE_DB, DEFAULT_MIN_FREQ_HZ, DEFAULT_MAX_FREQ_HZ
)


def _hpss_width(df_hz: float, band_hz: float) -> int:
    return max(3, int(round(band_hz / df_hz)) | 1)


@njit(cache=True, nogil=True)
def _hpss_kernel(stack, k, n_history, width, h, out):  # pragma: no cover  (compiled)
    """Soft harmonic mask of the frames ``stack[k:]`` applied in place into ``out``.

    ``h`` holds the medians across time of the frames whose history is
    short (rows before ``n_history - 1 - k``); the others are computed here
    from the ``n_history`` frames ending at each frame.  Medians are exact
    selections (a sorted window), so the result equals the NumPy/SciPy
    form operation for operation.
    """
    n, n_bins = stack.shape
    m = n - k
    short = min(max(n_history - 1 - k, 0), m)
    r = width // 2
    mid = n_history // 2
    col = np.empty(n_history)
    # The frames are taken in groups of G, and the medians across frequency
    # of a group's frames advance together, bin by bin: each update of a
    # window reads what the one before it just stored, so one frame alone
    # waits on its own stores; G frames' updates overlap.
    G = 8
    # Two sorted windows across frequency per frame of a group (the current
    # one and the next), each between sentinels: -inf before, +inf after.
    wins = np.empty((G, 2, width + 2))
    wins[:, :, 0] = -np.inf
    wins[:, :, width + 1] = np.inf
    p = np.empty((G, n_bins))
    hrow = np.empty(n_bins)
    for g0 in range(0, m, G):
        g1 = min(g0 + G, m)
        # Median across frequency (edge bins repeated): a sorted sliding
        # window, its values at 1..width.
        for i in range(g0, g1):
            row = k + i
            win = wins[i - g0, 0]
            for j in range(width):
                b = min(max(j - r, 0), n_bins - 1)
                v = stack[row, b]
                q = j
                while q > 0 and win[q] > v:
                    win[q + 1] = win[q]
                    q -= 1
                win[q + 1] = v
            p[i - g0, 0] = win[r + 1]
        cur = 0
        for b in range(1, n_bins):
            b_old = max(b - 1 - r, 0)
            b_new = min(b + r, n_bins - 1)
            for i in range(g0, g1):
                old = stack[k + i, b_old]
                new = stack[k + i, b_new]
                # Replace ``old`` by ``new`` without branches (vectorised):
                # with t the window without ``old`` (the values from ``old``
                # on moved down by one; +inf on top), the new window at q is
                # max(min(t[q], new), t[q - 1]) -- t[q] below the place of
                # ``new``, ``new`` there, t[q - 1] above.
                src = wins[i - g0, cur]
                dst = wins[i - g0, 1 - cur]
                for q in range(1, width + 1):
                    s0 = src[q - 1]
                    s1 = src[q]
                    s2 = src[q + 1]
                    t_below = s0 if s0 < old else s1
                    t = s1 if s1 < old else s2
                    dst[q] = max(min(t, new), t_below)
                p[i - g0, b] = dst[r + 1]
            cur = 1 - cur
        for i in range(g0, g1):
            row = k + i
            # Median across time of each bin: insertion sort of its n_history values.
            if i < short:
                for b in range(n_bins):
                    hrow[b] = h[i, b]
            elif n_history == 5:
                # The default: a median-of-5 network (the middle of a2 and the
                # middle two of a0, a1, a3, a4).
                for b in range(n_bins):
                    a0 = stack[row - 4, b]
                    a1 = stack[row - 3, b]
                    a2 = stack[row - 2, b]
                    a3 = stack[row - 1, b]
                    a4 = stack[row, b]
                    u0 = max(min(a0, a1), min(a3, a4))
                    u1 = min(max(a0, a1), max(a3, a4))
                    hrow[b] = max(min(a2, max(u0, u1)), min(u0, u1))
            else:
                for b in range(n_bins):
                    for j in range(n_history):
                        v = stack[row - n_history + 1 + j, b]
                        q = j
                        while q > 0 and col[q - 1] > v:
                            col[q] = col[q - 1]
                            q -= 1
                        col[q] = v
                    if n_history % 2:
                        hrow[b] = col[mid]
                    else:
                        hrow[b] = (col[mid - 1] + col[mid]) / 2.0
            pi = p[i - g0]
            for b in range(n_bins):
                h2 = hrow[b] * hrow[b]
                p2 = pi[b] * pi[b]
                s = h2 + p2
                out[i, b] = stack[row, b] * (h2 / s if s > 0 else 0.0)


def _harmonic_frames(stack: np.ndarray, k: int, n_history: int, width: int) -> np.ndarray:
    """Harmonic part of the frames ``stack[k:]`` (unvalidated; see :func:`harmonic_part`).

    ``stack`` holds frames as rows, oldest first; each frame from row ``k``
    on is separated with the median across the ``n_history`` frames ending
    at it (all the frames before it where fewer) and the median across
    ``width`` bins of it (edge bins repeated; ``width`` odd).  The soft mask
    is ``H^2 / (H^2 + P^2)`` (0 where both are 0).
    """
    stack = np.ascontiguousarray(stack, dtype=np.float64)
    n, n_bins = stack.shape
    m = n - k
    short = min(max(n_history - 1 - k, 0), m)  # frames with fewer than n_history frames so far
    h = np.empty((short, n_bins))
    for i in range(short):
        h[i] = np.median(stack[: k + i + 1], axis=0)
    out = np.empty((m, n_bins))
    _hpss_kernel(stack, k, n_history, width, h, out)
    return out


def harmonic_part(frames, freqs_hz, *, band_hz: float = DEFAULT_HPSS_BAND_HZ) -> np.ndarray:
    """Harmonic (pitched, sustained) part of the last of a run of magnitude frames.

    A causal form of Fitzgerald's (2010) median-filtering harmonic/percussive
    separation (``librosa.decompose.hpss`` is the centred, offline form):
    sustained partials are horizontal lines of a spectrogram, so a median
    across time keeps them and removes drum hits; drum hits are vertical
    lines, so a median across frequency keeps them and removes partials.
    The last frame is multiplied by the soft (Wiener, power 2) mask
    ``H^2 / (H^2 + P^2)``, ``H`` the median across ``frames`` (the current
    frame and the ones before it) and ``P`` the median of the current frame
    over ``band_hz``.

    Parameters
    ----------
    frames : array_like, shape (n_frames, n_bins)
        Consecutive linear magnitude spectra, oldest first; the last is the
        frame to separate.  :data:`DEFAULT_HPSS_FRAMES` in the pipeline.
    freqs_hz : array_like, shape (n_bins,)
        Evenly spaced, increasing bin frequencies.
    band_hz : float
        Width of the median across frequency (> 0).

    Returns
    -------
    numpy.ndarray, shape (n_bins,)
        The harmonic part of the last frame (<= it in every bin).

    Raises
    ------
    ParameterError
        If the frames are not a finite non-negative 2-D array matching
        ``freqs_hz`` or ``band_hz`` is not positive.

    Examples
    --------
    >>> sr, n = 22050, 4096
    >>> t = np.arange(n) / sr
    >>> tone = np.abs(np.fft.rfft(np.sin(2 * np.pi * 440 * t) * np.hanning(n)))
    >>> click = np.full_like(tone, tone.max() / 10)
    >>> f = np.fft.rfftfreq(n, 1 / sr)
    >>> h = harmonic_part([tone, tone, tone + click], f)
    >>> bool(h.max() > 0.9 * tone.max()), bool(np.median(h) < 0.01 * np.median(click))
    (True, True)
    """
    arr = check_finite_array("frames", frames, ndim=2)
    if arr.shape[0] < 1:
        raise ParameterError("frames has no frame; give at least one magnitude spectrum")
    _, freqs = _check_spectrum(arr[-1], freqs_hz)
    if np.any(arr < 0):
        raise ParameterError(f"frames has minimum {arr.min():g}; magnitude spectra are >= 0")
    band_hz = check_float("band_hz", band_hz, low=0.0, low_inclusive=False)
    width = _hpss_width(float(freqs[1] - freqs[0]), band_hz)
    return _harmonic_frames(arr, arr.shape[0] - 1, arr.shape[0], width)[0]


class HarmonicSeparator:
    """Harmonic part of a stream of long magnitude frames, block by block.

    :func:`harmonic_part` of every frame (over the ``n_history`` frames
    ending at it), all frames of a block at once in the compiled kernel,
    with the last ``n_history - 1`` frames kept for the next block: the
    frames are the same however the stream is split into blocks.  The
    scorer separates each long frame once with it and hands the result to
    consonance (:class:`FrameAnalyzer`) and to the chord labeller
    (:class:`resonance.expectation.harmony.HarmonyModel`).

    Parameters
    ----------
    freqs_hz : array_like, shape (n_bins,)
        Bin frequencies of the frames (evenly spaced, increasing).
    n_history : int
        Frames of the median across time (>= 1).
    band_hz : float
        Width of the median across frequency (Hz).
    n_bins : int or None
        Separate only ``n_bins`` bins from ``first_bin`` on (as if the
        spectrum ended there: the median across frequency repeats the edge
        bins); ``None``: all from ``first_bin`` on.
    first_bin : int
        Index of the first bin separated (>= 0).

    Examples
    --------
    >>> f = np.fft.rfftfreq(4096, 1 / 22050)
    >>> sep = HarmonicSeparator(f)
    >>> x = np.random.default_rng(0).random((f.size, 7))
    >>> h = np.concatenate([sep.process(x[:, :3]), sep.process(x[:, 3:])], axis=1)
    >>> bool(np.array_equal(h[:, -1], harmonic_part(x[:, 2:].T, f)))
    True
    """

    def __init__(self, freqs_hz, *, n_history: int = DEFAULT_HPSS_FRAMES, band_hz: float = DEFAULT_HPSS_BAND_HZ,
                 n_bins: int | None = None, first_bin: int = 0):
        freqs = check_finite_array("freqs_hz", freqs_hz, ndim=1)
        if freqs.size < 3 or np.any(np.diff(freqs) <= 0):
            raise ParameterError("freqs_hz must hold at least 3 strictly increasing frequencies")
        self.n_history = check_int("n_history", n_history, low=1)
        band_hz = check_float("band_hz", band_hz, low=0.0, low_inclusive=False)
        self.width = _hpss_width(float(freqs[1] - freqs[0]), band_hz)
        self.first_bin = check_int("first_bin", first_bin, low=0, high=freqs.size - 1)
        left = freqs.size - self.first_bin
        self.n_bins = left if n_bins is None else check_int("n_bins", n_bins, low=1, high=left)
        self.reset()

    def reset(self) -> None:
        """Forget the frames before: the next block starts a new stream."""
        self._history: np.ndarray | None = None  # the last n_history - 1 frames (frames x n_bins)
        # Work space of process (the history, then the new frames), kept from
        # call to call: no fresh ~2 MB array, and its page faults, per block.
        self._work = np.empty((0, self.n_bins))

    def process(self, spectra) -> np.ndarray:
        """Harmonic part of the next frames (unvalidated magnitude spectra, shape (n_bins, m)).

        Returns
        -------
        numpy.ndarray, shape (self.n_bins, m)
            The harmonic part of each frame, one per column (<= the frame).
        """
        s = np.asarray(spectra, dtype=np.float64)
        m = s.shape[1]
        if m == 0:
            return np.empty((self.n_bins, 0))
        k = 0 if self._history is None else self._history.shape[0]  # frames of history before the first new one
        if self._work.shape[0] < k + m:
            self._work = np.empty((k + m, self.n_bins))
        stack = self._work[: k + m]  # (k + m, n_bins), frames as rows
        if k:
            stack[:k] = self._history
        stack[k:] = s[self.first_bin : self.first_bin + self.n_bins].T
        cur = _harmonic_frames(stack, k, self.n_history, self.width)  # (m, n_bins)
        self._history = stack[max(k + m - (self.n_history - 1), 0):].copy()
        return cur.T


@njit(cache=True, nogil=True)
def _band_energies(h, edge, s, weight):  # pragma: no cover  (compiled)
    """The weighted energies ``sum(h**2 @ weight)`` and ``sum(s[:n]**2 @ weight)`` of a block of frames.

    ``h`` and ``s`` hold one frame per column; ``edge`` replaces the top
    rows of ``h``.  Summed frame by frame (the order differs from a
    matrix product's: the last bits may).  Four frames are summed side by
    side, each in bin order and added to the total in frame order: the
    bits of one frame at a time, without waiting on one running sum.
    """
    n = weight.size
    first_edge = n - edge.shape[0]
    m = h.shape[1]
    out = np.zeros(2)
    j = 0
    while j + 4 <= m:
        h0 = h1 = h2 = h3 = 0.0
        s0 = s1 = s2 = s3 = 0.0
        for b in range(n):
            w = weight[b]
            if b < first_edge:
                v0, v1, v2, v3 = h[b, j], h[b, j + 1], h[b, j + 2], h[b, j + 3]
            else:
                e = b - first_edge
                v0, v1, v2, v3 = edge[e, j], edge[e, j + 1], edge[e, j + 2], edge[e, j + 3]
            x0, x1, x2, x3 = s[b, j], s[b, j + 1], s[b, j + 2], s[b, j + 3]
            h0 += v0 * v0 * w
            h1 += v1 * v1 * w
            h2 += v2 * v2 * w
            h3 += v3 * v3 * w
            s0 += x0 * x0 * w
            s1 += x1 * x1 * w
            s2 += x2 * x2 * w
            s3 += x3 * x3 * w
        out[0] += h0
        out[1] += s0
        out[0] += h1
        out[1] += s1
        out[0] += h2
        out[1] += s2
        out[0] += h3
        out[1] += s3
        j += 4
    for j in range(j, m):
        eh = 0.0
        es = 0.0
        for b in range(n):
            v = edge[b - first_edge, j] if b >= first_edge else h[b, j]
            x = s[b, j]
            eh += v * v * weight[b]
            es += x * x * weight[b]
        out[0] += eh
        out[1] += es
    return out


def _band_energies_plain(h, edge, s, weight) -> np.ndarray:
    """:func:`_band_energies` frame by frame in NumPy-free Python (its definition; for tests)."""
    n = weight.size
    first_edge = n - edge.shape[0]
    out = [0.0, 0.0]
    for j in range(h.shape[1]):
        eh = es = 0.0
        for b in range(n):
            v = float(edge[b - first_edge, j] if b >= first_edge else h[b, j])
            x = float(s[b, j])
            eh += v * v * float(weight[b])
            es += x * x * float(weight[b])
        out[0] += eh
        out[1] += es
    return np.array(out)


class FrameAnalyzer:
    """Consonance of a stream of long magnitude frames, block by block.

    Every ``every``-th frame (from the second on) is analysed on its
    harmonic part (:func:`harmonic_part` over the last ``n_history``
    frames), with the harmonic part of the frame before it for steady
    partials (:func:`analyze_spectrum`).  Drums and other percussive sound
    thereby neither hide the partials of a chord under broadband energy nor
    count as unpitched energy: tonalness is the share of the *sustained*
    sound in steady partials, and each frame weighs by the energy of its
    harmonic part.  Noise is as sustained as it is percussive (its harmonic
    part is noise) and a sound made only of hits has almost no harmonic
    part, so both stay unpitched.  A sound has consonance only if its
    harmonic part carries at least ``min_harmonic_share`` of its A-weighted
    energy and that part is mostly partials (``min_tonalness``): a drum
    groove, whose sustained part is the ringing of a kick or a snare body,
    carries little of its energy in it.

    Parameters
    ----------
    freqs_hz : array_like, shape (n_bins,)
        Bin frequencies of the frames.
    every : int
        Analyse every n-th frame (>= 1).
    memory : object or None
        Long-term harmonic memory for familiarity (see :func:`consonance`).
    n_history : int
        Frames of the median across time (>= 1).
    band_hz : float
        Width of the median across frequency (Hz).

    Examples
    --------
    >>> sr, n = 22050, 4096
    >>> y = np.sin(2 * np.pi * 440 * np.arange(4 * sr) / sr)
    >>> an = FrameAnalyzer(np.fft.rfftfreq(n, 1 / sr))
    >>> for s in range(0, y.size - n + 1, 2048):
    ...     _ = an.push(np.abs(np.fft.rfft(y[s : s + n] * np.hanning(n))))
    >>> bool(an.summary()["tonalness"] > 0.95)
    True
    """

    def __init__(self, freqs_hz, *, every: int = 1, memory=None, n_history: int = DEFAULT_HPSS_FRAMES,
                 band_hz: float = DEFAULT_HPSS_BAND_HZ):
        self.freqs_hz = check_finite_array("freqs_hz", freqs_hz, ndim=1)
        if self.freqs_hz.size < 3 or np.any(np.diff(self.freqs_hz) <= 0):
            raise ParameterError("freqs_hz must hold at least 3 strictly increasing frequencies")
        self.every = check_int("every", every, low=1)
        self.n_history = check_int("n_history", n_history, low=1)
        band_hz = check_float("band_hz", band_hz, low=0.0, low_inclusive=False)
        self.memory = memory
        self._width = _hpss_width(float(self.freqs_hz[1] - self.freqs_hz[0]), band_hz)
        # Only the band where partials are sought is separated (plus half a
        # median window, so the band's edge is unaffected): the rest is never read.
        self._n_bins = min(self.freqs_hz.size,
                           int(np.searchsorted(self.freqs_hz, DEFAULT_MAX_FREQ_HZ, side="right")) + self._width)
        f = self.freqs_hz[: self._n_bins]
        self._freqs = f
        self._a_weight = _a_weight(f) * ((f >= DEFAULT_MIN_FREQ_HZ) & (f <= DEFAULT_MAX_FREQ_HZ))
        self._previous = None
        self._separator = HarmonicSeparator(self.freqs_hz, n_history=self.n_history, band_hz=band_hz,
                                            n_bins=self._n_bins)
        # Handed a separation of all bins, only the top half-window of the
        # band differs from the band's own (whose median across frequency
        # repeats its edge): those bins are separated here, from the bins
        # their half-window reaches, so both ways give the same frames.
        r = self._width // 2
        self._edge = min(r, self._n_bins, self.freqs_hz.size - self._n_bins)  # 0 where the band is everything
        self._edge_separator = HarmonicSeparator(
            self.freqs_hz, n_history=self.n_history, band_hz=band_hz,
            first_bin=max(self._n_bins - 2 * r, 0), n_bins=min(2 * r, self._n_bins),
        )
        self._n = 0
        self._loud = np.zeros(2)  # A-weighted band energy: harmonic part, whole frame
        #: One (power, tonalness, roughness, harmonicity, consonance, familiarity) per analysed frame.
        self.frames: list[tuple] = []

    def push(self, magnitude) -> dict | None:
        """Add the next frame (unvalidated magnitude spectrum); its analysis, or None if skipped."""
        return self.process(np.asarray(magnitude, dtype=np.float64)[:, None])[0]

    def process(self, spectra, *, harmonic=None) -> list:
        """Add the next frames, one per column (unvalidated magnitude spectra, shape (n_bins, m)).

        The same as :meth:`push` on each column in turn, with the harmonic
        part of all ``m`` frames computed at once (the medians are exact, so
        the frames are the same; sums may differ in the last bit).  The
        scorer hands over the long frames of each block this way.

        Parameters
        ----------
        spectra : array_like, shape (n_bins, m)
            Linear magnitude spectra of consecutive frames, oldest first, on
            the bins ``freqs_hz`` (as :class:`~resonance.hearing.frontend.FrontEnd`
            gives them in ``spectrum``).
        harmonic : array_like, shape (n_bins, m), or None
            Their harmonic part, already separated over all bins by a
            :class:`HarmonicSeparator` of the same ``n_history`` and
            ``band_hz`` fed every block (the scorer shares one between
            consonance and harmony); ``None``: separated here, over the
            band where partials are sought.  Give it for every block or
            for none.

        Returns
        -------
        list, length m
            The analysis of each frame (dict), or None where it is skipped.
        """
        s = np.asarray(spectra, dtype=np.float64)
        m = s.shape[1]
        if m == 0:
            return []
        if harmonic is None:
            h = self._separator.process(s)  # (n_bins, m)
            edge = np.empty((0, m))
        else:
            h = np.asarray(harmonic, dtype=np.float64)[: self._n_bins]
            edge = self._edge_separator.process(s)[-self._edge:] if self._edge else np.empty((0, m))
        # The harmonic part of every frame: its share of the energy is
        # measured on all frames (a beat would alias with every n-th one),
        # and it is the previous frame of the next analysed one.
        self._loud += _band_energies(h, edge, s, self._a_weight)
        out = [None] * m
        todo = []  # (frame, power, partials' f and a, tonalness)
        for j in range(m):
            index = self._n
            self._n += 1
            prev = self._previous
            # (A silent frame: the whole frame, measured only where it matters.)
            if prev is None or (index - 1) % self.every or float(np.dot(s[:, j], s[:, j])) < 1e-12:
                self._previous = j
                continue
            cur = self._column(h, edge, j)
            if not isinstance(prev, np.ndarray):
                prev = self._column(h, edge, prev)
            self._previous = cur
            f, a, tonal = _peaks(cur, self._freqs, previous=prev, **_DEFAULT_PEAK_OPTIONS)
            todo.append((j, float((cur * cur).sum()), f, a, tonal))
        # The analysed frames' measures (as analyze_spectrum gives them), the
        # FFTs of their virtual pitch in one call.
        harms = _harmonicities([(f, a) for _, _, f, a, _ in todo], HARRISON_PEARCE_2018)
        for (j, power, f, a, tonal), harm in zip(todo, harms):
            d = _composite(_roughness(f, a, HUTCHINSON_KNOPOFF_1978), harm, _familiarity(self.memory, f, a), a,
                           HARRISON_PEARCE_2020)
            d["tonalness"] = tonal
            d["power"] = power
            self.frames.append(
                (power, d["tonalness"], d["roughness"], d["harmonicity"], d["consonance"], d["familiarity"])
            )
            out[j] = d
        if not isinstance(self._previous, np.ndarray):  # (a column of this block)
            self._previous = self._column(h, edge, self._previous)
        return out

    @staticmethod
    def _column(h, edge, j) -> np.ndarray:
        """Frame ``j``'s harmonic part (a copy), with the top bins of ``edge`` where it has any."""
        cur = h[:, j].copy()
        if edge.shape[0]:
            cur[-edge.shape[0]:] = edge[:, j]
        return cur

    def summary(self, *, min_tonalness: float = DEFAULT_MIN_TONALNESS,
                min_harmonic_share: float = DEFAULT_MIN_HARMONIC_SHARE) -> dict:
        """:func:`summarize_frames` of the frames analysed so far, and ``harmonic_share``.

        ``harmonic_share`` is the share of the A-weighted energy in the
        harmonic part; below ``min_harmonic_share`` the measures are None.
        """
        min_share = check_float("min_harmonic_share", min_harmonic_share, low=0.0, high=1.0)
        cols = list(zip(*self.frames)) if self.frames else [()] * 6
        out = summarize_frames(cols[0], cols[1], {
            "roughness": cols[2], "harmonicity": cols[3], "consonance": cols[4], "familiarity": cols[5],
        }, min_tonalness=min_tonalness)
        share = float(self._loud[0] / self._loud[1]) if self._loud[1] > 0 else 0.0
        out["harmonic_share"] = round(share, 12)
        if share < min_share:
            out.update({k: None for k in ("roughness", "harmonicity", "consonance", "familiarity")})
        return out


def summarize_frames(power, tonalness, values, *, min_tonalness: float = DEFAULT_MIN_TONALNESS) -> dict:
    """Tonalness-weighted consonance of a sound from its analysed frames.

    ``tonalness = sum(P T) / sum(P)`` (the share of the sound's energy in
    partials), and every measure ``m`` is ``sum(P T m) / sum(P T)``: frames
    weigh by the energy of their partials.  A sound whose tonalness is below
    ``min_tonalness`` has no pitch and so no consonance: its measures are
    ``None``.

    Parameters
    ----------
    power : array_like, shape (n_frames,)
        Energy of each frame (>= 0).
    tonalness : array_like, shape (n_frames,)
        Tonalness of each frame, in [0, 1].
    values : dict of str to array_like, shape (n_frames,)
        Per-frame measures (e.g. ``roughness``, ``harmonicity``,
        ``consonance``); a measure given as None in a frame is skipped.
    min_tonalness : float
        Tonalness below which the measures are None.

    Returns
    -------
    dict
        ``tonalness`` (float; 0 without frames) and one entry per measure
        (float or None).

    Raises
    ------
    ParameterError
        If the arrays do not match or ``min_tonalness`` is outside [0, 1].

    Examples
    --------
    >>> summarize_frames([1, 1], [0.9, 0.1], {"consonance": [1.0, -1.0]})
    {'tonalness': 0.5, 'consonance': 0.8}
    >>> summarize_frames([1], [0.1], {"consonance": [1.0]})
    {'tonalness': 0.1, 'consonance': None}
    """
    p = np.asarray(power, dtype=np.float64).ravel()
    t = np.asarray(tonalness, dtype=np.float64).ravel()
    if p.shape != t.shape:
        raise ParameterError(f"tonalness has shape {t.shape} but power has shape {p.shape}; they must match")
    min_tonalness = check_float("min_tonalness", min_tonalness, low=0.0, high=1.0)
    total = float(p.sum())
    tonal = float(p @ t / total) if total > 0 else 0.0
    out = {"tonalness": round(tonal, 12)}
    pitched = total > 0 and tonal >= min_tonalness
    for name, column in values.items():
        col = [math.nan if v is None else float(v) for v in column]
        col = np.asarray(col, dtype=np.float64)
        if col.shape != p.shape:
            raise ParameterError(f"values[{name!r}] has shape {col.shape} but power has shape {p.shape}")
        w = p * t * np.isfinite(col)
        out[name] = float(np.nansum(w * np.nan_to_num(col)) / w.sum()) if pitched and w.sum() > 0 else None
    return out


def mode_consonance(
    freqs_hz,
    powers,
    *,
    reference_hz: float | None = DEFAULT_MODE_REFERENCE_HZ,
    curve: RoughnessCurve = HUTCHINSON_KNOPOFF_1978,
    template: HarmonicTemplate = HARRISON_PEARCE_2018,
    weights: CompositeWeights = HARRISON_PEARCE_2020,
) -> dict:
    """Consonance among oscillations (e.g. the rates at which brain harmonics ring).

    Amplitudes are ``sqrt(powers)``.  The auditory measures are calibrated
    on hearing, while cortical rhythms run at about 0.5-100 Hz, so by default
    the set is first transposed, keeping every ratio, until its
    amplitude-weighted geometric-mean frequency sits at ``reference_hz``.
    Harmonicity depends only on the ratios; roughness reads the spacings
    relative to that register.  Carrying auditory consonance over to brain
    rhythms follows the symmetry-theory-of-valence proposal (Gomez Emilsson
    2017): a modelling assumption, not a measurement.

    Parameters
    ----------
    freqs_hz : array_like, shape (n,)
        Oscillation frequencies in Hz (> 0).  May be empty.
    powers : array_like, shape (n,)
        Their powers (>= 0).
    reference_hz : float or None
        Register of the transposed set; None measures the raw frequencies.
    curve, template, weights
        See :func:`consonance` (no familiarity: rates have no harmonic memory).

    Returns
    -------
    dict
        ``roughness``, ``harmonicity``, ``consonance`` (floats) and
        ``n_partials``.

    Raises
    ------
    ParameterError
        If an argument is invalid (the message names ``powers``).

    Examples
    --------
    >>> harmonic = mode_consonance([2.0, 4.0, 6.0], [1.0, 0.5, 0.3])["consonance"]
    >>> golden = mode_consonance([2.0, 3.236, 5.236], [1.0, 0.5, 0.3])["consonance"]
    >>> bool(harmonic > golden)
    True
    """
    f, p = _check_partials(freqs_hz, powers, amps_name="powers")
    a = np.sqrt(p)
    if reference_hz is not None:
        reference_hz = check_float("reference_hz", reference_hz, low=0, low_inclusive=False)
        total = float(np.sum(a))
        if total > 0:
            f = f * (reference_hz / math.exp(float(np.dot(a, np.log(f))) / total))
    out = _measures(f, a, curve=_check_curve(curve), template=_check_template(template),
                    weights=_check_weights(weights), memory=None)
    del out["familiarity"]
    return out
