"""Tests of :mod:`resonance.consonance` on audio synthesised here.

The measures only ever see magnitude spectra or partial lists; interval names
and ratios live in this file alone, to build the stimuli and the reference
ranking.
"""

import numpy as np
import pytest
from scipy.stats import spearmanr

from resonance.consonance import (
    MILNE_HOLLAND_2016,
    HarmonicTemplate,
    analyze_spectrum,
    consonance,
    harmonicity,
    mode_consonance,
    roughness,
    spectral_peaks,
)
from resonance.errors import ParameterError

SR = 22050
N_FFT = 4096
HOP = 2048
DURATION_S = 1.0

#: Semitones above the lower tone, equal temperament.
SEMITONES = {
    "P1": 0, "m2": 1, "M2": 2, "m3": 3, "M3": 4, "P4": 5, "TT": 6,
    "P5": 7, "m6": 8, "M6": 9, "m7": 10, "M7": 11, "P8": 12,
}  # fmt: skip

#: Schwartz, Howe & Purves (2003), median of 7 historical consonance
#: rankings, most (1) to least consonant; ties share the mean rank.
SCHWARTZ_2003_RANK = {
    "P1": 1, "P8": 2, "P5": 3, "P4": 4, "M3": 5.5, "M6": 5.5, "m6": 7,
    "m3": 8, "TT": 9, "M2": 10.5, "m7": 10.5, "M7": 12, "m2": 13,
}  # fmt: skip

#: (lower tone in Hz, number of harmonics, amplitude of harmonic k)
TONE_SETTINGS = {
    "C4, 10 harmonics, 1/k": (261.63, 10, lambda k: 1.0 / k),
    "A3, 10 harmonics, 1/k": (220.0, 10, lambda k: 1.0 / k),
    "C4, 8 harmonics, 0.88^k": (261.63, 8, lambda k: 0.88**k),
}


@pytest.fixture
def rng():
    return np.random.default_rng(20030415)


def _complex_tone(f0_hz, n_harmonics, amp_of_k, rng):
    """Harmonic complex tone with random starting phases."""
    t = np.arange(int(SR * DURATION_S)) / SR
    k = np.arange(1, n_harmonics + 1)
    phases = rng.uniform(0, 2 * np.pi, n_harmonics)
    return (amp_of_k(k)[:, None] * np.sin(2 * np.pi * f0_hz * k[:, None] * t + phases[:, None])).sum(0)


def _frame_spectra(y):
    """Hann-windowed magnitude spectra, n_fft 4096, hop 2048."""
    window = np.hanning(N_FFT + 1)[:-1]
    starts = range(0, y.size - N_FFT + 1, HOP)
    mags = [np.abs(np.fft.rfft(y[s : s + N_FFT] * window)) for s in starts]
    return mags, np.fft.rfftfreq(N_FFT, 1 / SR)


def _mean_measures(y, **kwargs):
    """Average of :func:`analyze_spectrum` over the frames of ``y``."""
    mags, freqs_hz = _frame_spectra(y)
    frames = [analyze_spectrum(m, freqs_hz, **kwargs) for m in mags]
    keys = ("roughness", "harmonicity", "consonance")
    return {key: float(np.mean([f[key] for f in frames])) for key in keys}


def _dyads(setting, rng):
    f0_hz, n_harmonics, amp_of_k = TONE_SETTINGS[setting]
    return {
        name: _complex_tone(f0_hz, n_harmonics, amp_of_k, rng)
        + _complex_tone(f0_hz * 2 ** (st / 12), n_harmonics, amp_of_k, rng)
        for name, st in SEMITONES.items()
    }


def _spearman_with_schwartz(values):
    names = list(SEMITONES)
    rho = spearmanr([values[n] for n in names], [-SCHWARTZ_2003_RANK[n] for n in names])[0]
    return float(rho)


def _critical_band_hz(f_hz):
    """Critical bandwidth of Zwicker & Terhardt (1980), an independent reference."""
    return 25.0 + 75.0 * (1.0 + 1.4 * (f_hz / 1000.0) ** 2) ** 0.69


# ----------------------------------------------------------------------------
# dyads of harmonic complex tones
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("setting", list(TONE_SETTINGS))
def test_dyad_consonance_follows_schwartz_2003_ranking(setting, rng):
    dyads = _dyads(setting, rng)
    measured = {name: _mean_measures(y)["consonance"] for name, y in dyads.items()}
    assert _spearman_with_schwartz(measured) >= 0.8
    # Octave and fifth above minor second and major seventh.
    assert min(measured["P8"], measured["P5"]) > max(measured["m2"], measured["M7"])


@pytest.mark.parametrize("roughness_weight", [0.25, 0.75])
def test_dyad_ranking_does_not_hinge_on_the_roughness_weight(roughness_weight, rng):
    dyads = _dyads("C4, 10 harmonics, 1/k", rng)
    measured = {
        name: _mean_measures(y, roughness_weight=roughness_weight)["consonance"] for name, y in dyads.items()
    }
    assert _spearman_with_schwartz(measured) >= 0.8


def test_each_component_orders_octave_above_minor_second(rng):
    dyads = _dyads("A3, 10 harmonics, 1/k", rng)
    octave, semitone = _mean_measures(dyads["P8"]), _mean_measures(dyads["m2"])
    assert octave["roughness"] < semitone["roughness"]
    assert octave["harmonicity"] > semitone["harmonicity"]


def test_consonance_follows_the_timbre_not_the_ratio():
    # Sethares (1993): for partials stretched so that 2.1 replaces the octave,
    # the 2.1 ratio is smoother than 2:1; for harmonic partials the reverse.
    k = np.arange(1, 9)
    amps = np.r_[0.88**k, 0.88**k]

    def dyad(pseudo_octave, ratio):
        partials = 261.63 * k ** np.log2(pseudo_octave)
        return consonance(np.r_[partials, ratio * partials], amps)

    assert dyad(2.1, 2.1) > dyad(2.1, 2.0)
    assert dyad(2.0, 2.0) > dyad(2.0, 2.1)


# ----------------------------------------------------------------------------
# harmonicity
# ----------------------------------------------------------------------------


def test_single_harmonic_tone_is_harmonic_and_finds_its_fundamental(rng):
    y = _complex_tone(196.0, 10, lambda k: 1.0 / k, rng)
    mags, freqs_hz = _frame_spectra(y)
    out = analyze_spectrum(mags[3], freqs_hz)
    assert out["harmonicity"] > 0.9
    assert abs(out["f0_hz"] - 196.0) < 1.0
    assert out["n_partials"] == 10


def test_white_noise_has_low_harmonicity(rng):
    noise = _mean_measures(rng.standard_normal(int(SR * DURATION_S)))
    tone = _mean_measures(_complex_tone(261.63, 10, lambda k: 1.0 / k, rng))
    assert noise["harmonicity"] < 0.5
    assert tone["harmonicity"] - noise["harmonicity"] > 0.4
    assert noise["consonance"] < tone["consonance"]


def test_single_sine_harmonicity_is_one_over_template_norm():
    # A lone partial matches only the template's fundamental: cosine = 1/|T|.
    k = np.arange(1, MILNE_HOLLAND_2016.n_harmonics + 1)
    expected = 1.0 / np.sqrt(np.sum(k ** (-2 * MILNE_HOLLAND_2016.rolloff)))
    assert harmonicity([440.0], [1.0]) == pytest.approx(expected, abs=0.01)


def test_very_low_fundamentals_are_not_credited():
    # Partials 15, 16 and 17 of a 20 Hz series.  A flat template at 20 Hz
    # would explain them all; the pitch limit and the harmonic roll-off
    # each stop that.
    f_hz = 20.0 * np.array([15.0, 16.0, 17.0])
    energies = np.ones(3)

    def best(template):
        out = mode_consonance(f_hz, energies, reference_hz=None, template=template)
        return out["harmonicity"], out["f0_hz"]

    flat_no_limit = best(HarmonicTemplate(n_harmonics=20, rolloff=0.0, f0_min_hz=15.0))
    flat_limited = best(HarmonicTemplate(n_harmonics=20, rolloff=0.0))
    decaying_no_limit = best(HarmonicTemplate(n_harmonics=20, f0_min_hz=15.0))
    assert flat_no_limit[1] == pytest.approx(20.0, rel=0.01)
    assert flat_limited[0] < flat_no_limit[0]
    assert flat_limited[1] > 30.0
    assert decaying_no_limit[1] > 30.0


# ----------------------------------------------------------------------------
# roughness
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("f_low_hz", [250.0, 500.0, 1000.0])
def test_roughness_of_two_sines_peaks_near_quarter_critical_band(f_low_hz):
    gaps_hz = np.arange(0.5, 300.0, 0.25)
    values = [roughness([f_low_hz, f_low_hz + g], [1.0, 1.0]) for g in gaps_hz]
    gap_at_peak_hz = gaps_hz[int(np.argmax(values))]
    quarter_band_hz = _critical_band_hz(f_low_hz + gap_at_peak_hz / 2) / 4
    assert abs(gap_at_peak_hz / quarter_band_hz - 1.0) < 0.2
    assert max(values) == pytest.approx(1.0, abs=1e-3)  # documented unit


def test_roughness_vanishes_for_identical_or_distant_sines():
    assert roughness([500.0, 500.0], [1.0, 1.0]) == 0.0
    assert roughness([500.0, 1500.0], [1.0, 1.0]) < 0.01
    assert roughness([500.0], [1.0]) == 0.0
    assert roughness([], []) == 0.0


def test_roughness_of_sine_pairs_measured_from_audio():
    t = np.arange(int(SR * DURATION_S)) / SR
    quarter_band_hz = _critical_band_hz(500.0) / 4

    def measured(f2_hz):
        return _mean_measures(np.sin(2 * np.pi * 500 * t) + np.sin(2 * np.pi * f2_hz * t))["roughness"]

    rough = measured(500.0 + quarter_band_hz)
    assert rough > 0.8
    assert measured(1500.0) < 0.05 * rough
    assert measured(500.0) < 0.05 * rough


@pytest.mark.parametrize("weighting", ["product", "min"])
def test_normalised_measures_ignore_overall_level(weighting):
    f_hz = np.array([200.0, 213.0, 400.0, 611.0, 800.0])
    amps = np.array([1.0, 0.7, 0.5, 0.3, 0.2])
    quiet = (roughness(f_hz, amps, weighting=weighting), harmonicity(f_hz, amps))
    loud = (roughness(f_hz, 1e3 * amps, weighting=weighting), harmonicity(f_hz, 1e3 * amps))
    assert loud == pytest.approx(quiet, rel=1e-9)
    assert quiet[0] > 0.1  # the test spectrum is not trivially smooth
    raw_ratio = roughness(f_hz, 1e3 * amps, weighting=weighting, normalize=False) / roughness(
        f_hz, amps, weighting=weighting, normalize=False
    )
    assert raw_ratio == pytest.approx(1e6 if weighting == "product" else 1e3, rel=1e-9)


# ----------------------------------------------------------------------------
# peak picking and robustness
# ----------------------------------------------------------------------------


def test_spectral_peaks_interpolates_frequency_within_a_tenth_of_a_bin():
    freq_hz = 1000.0 + 0.37 * SR / N_FFT
    t = np.arange(N_FFT) / SR
    mag = np.abs(np.fft.rfft(np.sin(2 * np.pi * freq_hz * t) * np.hanning(N_FFT)))
    peaks_hz, amps = spectral_peaks(mag, np.fft.rfftfreq(N_FFT, 1 / SR))
    assert peaks_hz.shape == amps.shape == (1,)
    assert abs(peaks_hz[0] - freq_hz) < 0.1 * SR / N_FFT


def test_spectral_peaks_floor_and_cap():
    t = np.arange(N_FFT) / SR
    y = np.sin(2 * np.pi * 440 * t) + 10 ** (-40 / 20) * np.sin(2 * np.pi * 1320 * t)
    mag = np.abs(np.fft.rfft(y * np.hanning(N_FFT)))
    freqs_hz = np.fft.rfftfreq(N_FFT, 1 / SR)
    assert spectral_peaks(mag, freqs_hz, floor_db=-30)[0].size == 1
    assert spectral_peaks(mag, freqs_hz, floor_db=-60)[0].size >= 2
    noise_mag = np.abs(np.fft.rfft(np.random.default_rng(0).standard_normal(N_FFT)))
    assert spectral_peaks(noise_mag, freqs_hz, max_peaks=7)[0].size == 7


def test_silence_gives_empty_peaks_and_neutral_measures():
    freqs_hz = np.fft.rfftfreq(N_FFT, 1 / SR)
    peaks_hz, amps = spectral_peaks(np.zeros_like(freqs_hz), freqs_hz)
    assert peaks_hz.size == amps.size == 0
    out = analyze_spectrum(np.zeros_like(freqs_hz), freqs_hz)
    assert out["n_partials"] == 0
    assert out["roughness"] == out["harmonicity"] == out["consonance"] == 0.0
    assert np.isnan(out["f0_hz"])


# ----------------------------------------------------------------------------
# brain modes
# ----------------------------------------------------------------------------


def test_mode_consonance_prefers_harmonic_mode_sets():
    energies = [1.0, 0.5, 0.3]
    harmonic = mode_consonance([6.0, 12.0, 18.0], energies)
    clustered = mode_consonance([6.0, 6.4, 6.9], energies)
    assert harmonic["consonance"] > clustered["consonance"]
    assert harmonic["f0_hz"] == pytest.approx(6.0, rel=0.01)  # reported in mode units


def test_mode_consonance_depends_on_ratios_and_relative_energy_only():
    freqs_hz = np.array([4.0, 7.1, 9.0, 13.3])
    energies = np.array([1.0, 0.4, 0.6, 0.2])
    base = mode_consonance(freqs_hz, energies)
    moved = mode_consonance(3.0 * freqs_hz, 50.0 * energies)
    for key in ("roughness", "harmonicity", "consonance"):
        assert moved[key] == pytest.approx(base[key], rel=1e-9)


# ----------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: roughness([440.0, np.nan], [1.0, 1.0]), "freqs_hz"),
        (lambda: roughness([440.0, 0.0], [1.0, 1.0]), "freqs_hz"),
        (lambda: harmonicity([440.0, 660.0], [1.0, -0.5]), "amps"),
        (lambda: consonance([440.0, 660.0, 880.0], [1.0, 1.0]), "amps has shape"),
        (lambda: consonance([440.0], [1.0], roughness_weight=1.5), "roughness_weight="),
        (lambda: roughness([440.0], [1.0], weighting="max"), "weighting="),
        (lambda: mode_consonance([5.0, 7.0], [1.0, -1.0]), "energies"),
        (lambda: spectral_peaks([0.0, 1.0, np.inf, 0.0], [0.0, 1.0, 2.0, 3.0]), "magnitude"),
        (lambda: spectral_peaks([0.0, 1.0, 0.0], [0.0, 1.0]), "freqs_hz"),
        (lambda: spectral_peaks([0.0, 1.0, 0.0], [0.0, 1.0, 2.0], max_peaks=0), "max_peaks="),
        (lambda: spectral_peaks([0.0, 1.0, 0.0], [0.0, 1.0, 2.0], floor_db=6.0), "floor_db="),
        (lambda: harmonicity([440.0], [1.0], template=HarmonicTemplate(sigma_cents=0.0)), "sigma_cents="),
    ],
)
def test_bad_input_raises_parameter_error_naming_the_argument(call, match):
    with pytest.raises(ParameterError, match=match):
        call()
