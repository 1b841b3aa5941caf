"""Tests of :mod:`resonance.hearing.consonance` on audio synthesised here.

The measures only ever see magnitude spectra or partial lists; interval names
and ratios live in this file alone, to build the stimuli and the reference
ranking.  Frames are cut as the pipeline cuts them (Hann, 4096 samples, hop
2048 at 22.05 kHz) and each is compared with the one before it.
"""

import numpy as np
import pytest
from scipy.stats import spearmanr

from resonance.hearing.consonance import (
    HARRISON_PEARCE_2020,
    N_CHORD_TYPES,
    ChordTypeMemory,
    CompositeWeights,
    FrameAnalyzer,
    HarmonicTemplate,
    analyze_spectrum,
    chord_type,
    consonance,
    harmonicity,
    mode_consonance,
    note_profile,
    pitch_class_profile,
    roughness,
    spectral_peaks,
    summarize_frames,
)
from resonance.errors import DataFileError, ParameterError

SR = 22050
N_FFT = 4096
HOP = 2048
WINDOW = np.hanning(N_FFT + 1)[:-1]
FREQS_HZ = np.fft.rfftfreq(N_FFT, 1 / SR)

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

C3_HZ, C4_HZ, C5_HZ = 130.81, 261.63, 523.25

#: The shipped long-term harmonic memory (Bach chorales): the must-hold facts
#: are checked on the full composite, as ``stimgen score`` reports it.
MEMORY = ChordTypeMemory.load()


def _tone(f0_hz, duration_s, *, n_harmonics=11, stretch=2.0, seed=0):
    """Complex tone, harmonic k at ``f0 * k ** log2(stretch)``, amplitude 1/k, random phases.

    11 harmonics with 1/k amplitudes are the default tones of Harrison &
    Pearce's ``incon`` models.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(int(SR * duration_s)) / SR
    y = np.zeros_like(t)
    for k in range(1, n_harmonics + 1):
        f_hz = f0_hz * k ** np.log2(stretch)
        if f_hz < SR / 2 - 200:
            y += np.sin(2 * np.pi * f_hz * t + rng.uniform(0, 2 * np.pi)) / k
    return y


def _chord(root_hz, semitones, duration_s=1.2, **kw):
    return sum(_tone(root_hz * 2 ** (s / 12), duration_s, seed=i, **kw) for i, s in enumerate(semitones))


def _measure(y, memory=MEMORY, every=1):
    """Tonalness-weighted measures of ``y`` over its frames, as the pipeline measures them."""
    analyzer = FrameAnalyzer(FREQS_HZ, every=every, memory=memory)
    for s in range(0, y.size - N_FFT + 1, HOP):
        analyzer.push(np.abs(np.fft.rfft(y[s : s + N_FFT] * WINDOW)) * 2 / WINDOW.sum())
    return analyzer.summary()


def _spearman_with_schwartz(values):
    names = list(SEMITONES)
    return float(spearmanr([values[n] for n in names], [-SCHWARTZ_2003_RANK[n] for n in names])[0])


# ----------------------------------------------------------------------------
# must hold: dyads, triads, clusters, tuning, stretched partials
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("root_hz", [C3_HZ, C4_HZ, C5_HZ])
def test_dyads_follow_schwartz_2003_in_three_registers(root_hz):
    measured = {n: _measure(_chord(root_hz, [0, s]))["consonance"] for n, s in SEMITONES.items()}
    assert _spearman_with_schwartz(measured) >= 0.85, measured
    assert min(measured["P8"], measured["P5"]) > max(measured["m2"], measured["M7"], measured["TT"])


CLOSE = {"major": [0, 4, 7], "minor": [0, 3, 7], "diminished": [0, 3, 6], "augmented": [0, 4, 8]}
OPEN = {"major": [0, 7, 16], "minor": [0, 7, 15], "diminished": [0, 6, 15], "augmented": [0, 8, 16]}


@pytest.mark.parametrize(("root_hz", "voicing"), [
    (C4_HZ, "close"), (C5_HZ, "close"), (C3_HZ, "open"), (C4_HZ, "open"), (C5_HZ, "open"),
    pytest.param(C3_HZ, "close", marks=pytest.mark.xfail(
        strict=True,
        reason="close triads on C3: diminished 0.940 vs augmented 0.942 (a tie): the two minor thirds of the "
        "diminished triad are rougher this low (roughness 0.331 vs 0.208), which familiarity (-3.17 vs -5.78, "
        "Bach chorales) only just offsets; major 1.585 > minor 1.461 > both holds")),
])
def test_triads_major_above_minor_above_diminished_above_augmented(root_hz, voicing):
    chords = CLOSE if voicing == "close" else OPEN
    c = {name: _measure(_chord(root_hz, st))["consonance"] for name, st in chords.items()}
    assert c["major"] > c["minor"] > c["diminished"] > c["augmented"], c


def test_familiarity_orders_the_triads_and_is_what_puts_augmented_last():
    # Without the memory, roughness and harmonicity alone rank the augmented
    # triad above the diminished one (C4, close); the corpus reverses it.
    chords = {name: _chord(C4_HZ, st) for name, st in CLOSE.items()}
    fam = {name: _measure(y)["familiarity"] for name, y in chords.items()}
    assert fam["major"] > fam["minor"] > fam["diminished"] > fam["augmented"], fam
    bare = {name: _measure(y, memory=None)["consonance"] for name, y in chords.items()}
    assert bare["augmented"] > bare["diminished"], bare


@pytest.mark.parametrize("root_hz", [C3_HZ, C4_HZ])
@pytest.mark.parametrize("base", [[0, 4, 7], [0, 4, 7, 12], [0, 4, 7, 10, 14], [0, 4, 7, 11, 14, 17]])
def test_adding_a_semitone_cluster_lowers_consonance(root_hz, base):
    top = max(base)
    before = _measure(_chord(root_hz, base))["consonance"]
    after = _measure(_chord(root_hz, base + [top + 1]))["consonance"]
    assert after < before


@pytest.mark.parametrize("root_hz", [C3_HZ, C4_HZ])
def test_equal_temperament_is_not_penalised_against_just_intonation(root_hz):
    et = _measure(_chord(root_hz, [0, 4, 7]))["consonance"]
    ji = _measure(sum(_tone(root_hz * r, 1.2, seed=i) for i, r in enumerate([1.0, 5 / 4, 3 / 2])))["consonance"]
    dim = _measure(_chord(root_hz, [0, 3, 6]))["consonance"]
    assert abs(et - ji) < 0.03 * ji
    assert et - dim > 5 * abs(et - ji)


@pytest.mark.parametrize(("stretch", "side"), [(2.0, 0), (2.1, 1), (1.9, -1)])
def test_stretched_partials_move_the_best_octave(stretch, side):
    # Marjieh et al. (2024): the preferred "octave" follows the partials.
    grid = np.round(np.arange(10.5, 14.01, 0.1), 2)
    c = [_measure(_tone(C4_HZ, 0.6, stretch=stretch) + _tone(C4_HZ * 2 ** (g / 12), 0.6, stretch=stretch, seed=1))[
        "consonance"] for g in grid]
    best = grid[int(np.argmax(c))]
    if side == 0:
        assert abs(best - 12.0) <= 0.15
    else:
        assert side * (best - 12.0) > 0.4, best
        assert abs(best - 12 * np.log2(stretch)) <= 0.15, best


# ----------------------------------------------------------------------------
# tonalness: sound without pitch has no consonance
# ----------------------------------------------------------------------------


def test_noise_and_clicks_have_no_consonance_tones_do(rng):
    noise = _measure(rng.standard_normal(2 * SR))
    clicks = np.zeros(2 * SR)
    clicks[:: SR // 4] = 1.0
    click_out = _measure(clicks)
    tone = _measure(_chord(C4_HZ, [0, 4, 7]))
    assert noise["consonance"] is None and noise["tonalness"] < 0.05
    assert click_out["consonance"] is None and click_out["tonalness"] < 0.05 and click_out["harmonic_share"] < 0.1
    assert tone["tonalness"] > 0.95 and tone["consonance"] is not None


#: I-IV-V-I-vi-IV-V-I on C4, one chord a second (the progression's roots).
PROGRESSION_ROOTS = [0, 5, 7, 0, 9, 5, 7, 0]


@pytest.fixture(scope="module")
def drums():
    import synth_signals as S

    return S.groove(120, len(PROGRESSION_ROOTS), seed=3)


def _with_drums(shape, drums, drum_level=2.0):
    """A chord progression with a drum groove twice as loud (rms) on top."""
    y = np.concatenate([_chord(C4_HZ * 2 ** (r / 12), shape, 1.0) for r in PROGRESSION_ROOTS])
    d = drums[: y.size]
    return y / np.std(y) + drum_level * d / np.std(d)


def test_harmony_is_heard_through_drums_and_drums_alone_have_none(drums):
    import synth_signals as S

    major, cluster = _measure(_with_drums([0, 4, 7], drums)), _measure(_with_drums([0, 1, 2, 3], drums))
    assert major["consonance"] is not None and cluster["consonance"] is not None
    assert major["consonance"] > cluster["consonance"] + 1.0
    assert major["familiarity"] > cluster["familiarity"]
    for alone in (drums, S.metronome(120, 8.0)):
        out = _measure(alone)
        assert out["consonance"] is None and out["harmonic_share"] < 0.4, out


def test_frames_analysed_in_blocks_are_those_analysed_one_by_one(drums):
    y = _with_drums([0, 4, 7], drums)[: 6 * SR]
    spectra = np.stack([np.abs(np.fft.rfft(y[s : s + N_FFT] * WINDOW)) for s in range(0, y.size - N_FFT + 1, HOP)],
                       axis=1)
    one = FrameAnalyzer(FREQS_HZ, every=3, memory=MEMORY)
    singles = [one.push(spectra[:, j]) for j in range(spectra.shape[1])]
    assert sum(a is not None for a in singles) >= 15
    for block in (2, 5, 64):  # shorter and longer than the five frames of the median across time
        many = FrameAnalyzer(FREQS_HZ, every=3, memory=MEMORY)
        out = [a for j in range(0, spectra.shape[1], block) for a in many.process(spectra[:, j : j + block])]
        assert [a is None for a in out] == [a is None for a in singles]
        assert many.frames == one.frames  # the harmonic parts are exactly the same
        assert many.summary() == pytest.approx(one.summary(), rel=1e-12)
    # The batched harmonic part of a frame is harmonic_part of it and the frames before it.
    from resonance.hearing.consonance import DEFAULT_HPSS_FRAMES, harmonic_part

    an = FrameAnalyzer(FREQS_HZ, every=1)
    an.process(spectra[:, :9])
    n = an._n_bins
    expected = harmonic_part(spectra[:n, 9 - DEFAULT_HPSS_FRAMES : 9].T, FREQS_HZ[:n])
    np.testing.assert_array_equal(an._previous, expected)


def test_a_separation_of_all_bins_handed_over_gives_the_frames_of_the_analysers_own(drums):
    """The scorer separates each long frame once (all bins) for consonance and harmony alike."""
    from resonance.hearing.consonance import HarmonicSeparator, harmonic_part

    y = _with_drums([0, 4, 7], drums)[: 4 * SR]
    spectra = np.stack([np.abs(np.fft.rfft(y[s : s + N_FFT] * WINDOW)) for s in range(0, y.size - N_FFT + 1, HOP)],
                       axis=1)
    own = FrameAnalyzer(FREQS_HZ, every=2, memory=MEMORY)
    own.process(spectra)
    sep = HarmonicSeparator(FREQS_HZ)
    shared = FrameAnalyzer(FREQS_HZ, every=2, memory=MEMORY)
    parts = []
    for j in range(0, spectra.shape[1], 3):  # blocks shorter than the median across time
        parts.append(sep.process(spectra[:, j : j + 3]))
        shared.process(spectra[:, j : j + 3], harmonic=parts[-1])
    assert len(shared.frames) >= 10 and shared.frames == own.frames
    assert shared.summary() == own.summary()
    # The separator's frames, whatever the blocks, are harmonic_part of each frame and the ones before it.
    h = np.concatenate(parts, axis=1)
    assert h.shape == spectra.shape
    for j in (0, 2, 11):
        np.testing.assert_array_equal(h[:, j], harmonic_part(spectra[:, max(j - 4, 0) : j + 1].T, FREQS_HZ))


def test_the_compiled_separation_equals_plain_medians_with_ties_and_any_window():
    """The sliding medians of the kernel are exact: the same as NumPy's and SciPy's median filters."""
    from scipy.ndimage import median_filter

    from resonance.hearing.consonance import harmonic_part

    rng = np.random.default_rng(3)
    for n_bins, n_frames, band_hz in ((40, 5, 180.0), (40, 3, 60.0), (7, 4, 180.0), (300, 6, 33.0)):
        freqs = np.arange(n_bins) * (22050 / 4096)
        frames = rng.integers(0, 6, (n_frames, n_bins)).astype(float) * 0.25  # many equal values
        frames[:, rng.integers(0, n_bins, 3)] = 0.0
        width = max(3, int(round(band_hz / freqs[1])) | 1)
        h = np.median(frames, axis=0)
        p = median_filter(frames[-1], size=width, mode="nearest")
        s = h**2 + p**2
        expected = frames[-1] * np.divide(h**2, s, out=np.zeros_like(s), where=s > 0)
        np.testing.assert_allclose(harmonic_part(frames, freqs, band_hz=band_hz), expected, rtol=1e-15, atol=0)


def test_a_gliding_tone_is_less_tonal_than_a_steady_one():
    t = np.arange(2 * SR) / SR
    f_hz = 150.0 * 2 ** (np.sin(2 * np.pi * 0.7 * t) * 4 / 12)  # +-4 semitones: intonation-like
    phase = 2 * np.pi * np.cumsum(f_hz) / SR
    glide = sum(np.sin(k * phase) / k for k in range(1, 12))
    assert _measure(glide)["tonalness"] < 0.5 < _measure(_tone(150.0, 2.0))["tonalness"]


@pytest.mark.parametrize("extent_cents", [30.0, 80.0])
def test_a_tone_with_vibrato_stays_pitched(extent_cents):
    t = np.arange(2 * SR) / SR
    phase = 2 * np.pi * np.cumsum(330.0 * 2 ** (extent_cents / 1200 * np.sin(2 * np.pi * 5.5 * t))) / SR
    out = _measure(sum(np.sin(k * phase) / k for k in range(1, 12)))
    assert out["tonalness"] > 0.6 and out["consonance"] is not None


def test_noise_added_to_a_chord_lowers_tonalness_not_its_harmonicity(rng):
    chord = _chord(C4_HZ, [0, 4, 7], 1.5)
    noisy = chord + 0.3 * np.std(chord) * rng.standard_normal(chord.size)
    clean_out, noisy_out = _measure(chord), _measure(noisy)
    assert noisy_out["tonalness"] < clean_out["tonalness"]
    assert noisy_out["harmonicity"] == pytest.approx(clean_out["harmonicity"], rel=0.1)


def test_summarize_frames_weights_by_tonal_energy():
    out = summarize_frames([1.0, 3.0], [1.0, 0.5], {"consonance": [2.0, 0.0], "familiarity": [None, None]})
    assert out["tonalness"] == pytest.approx(0.625)
    assert out["consonance"] == pytest.approx(2.0 / 2.5)
    assert out["familiarity"] is None
    assert summarize_frames([], [], {"consonance": []}) == {"tonalness": 0.0, "consonance": None}


# ----------------------------------------------------------------------------
# components
# ----------------------------------------------------------------------------


def test_roughness_unit_and_range():
    cbw = 1.72 * 510.0**0.65
    assert roughness([510 - cbw / 8, 510 + cbw / 8], [1.0, 1.0]) == pytest.approx(0.5, abs=1e-9)
    assert roughness([500.0, 500.0], [1.0, 1.0]) == 0.0
    assert roughness([500.0, 500.0 + 1.3 * 1.72 * 500**0.65], [1.0, 1.0]) == 0.0
    assert roughness([], []) == 0.0
    # Scale-free.
    f_hz, a = np.array([200.0, 213.0, 400.0, 611.0]), np.array([1.0, 0.7, 0.5, 0.3])
    assert roughness(f_hz, 1e3 * a) == pytest.approx(roughness(f_hz, a), rel=1e-12)


def test_harmonicity_is_transposition_invariant_and_prefers_harmonic_spectra():
    k = np.arange(1, 11)
    tone = harmonicity(220.0 * k, 1 / k)
    assert harmonicity(3.1 * 220.0 * k, 1 / k) == pytest.approx(tone, rel=1e-6)
    inharmonic = harmonicity(220.0 * k**1.15, 1 / k)
    assert tone > inharmonic + 0.2
    assert harmonicity([], []) == 0.0


def test_composite_uses_harrison_pearce_2020_weights_and_optional_familiarity():
    k = np.arange(1, 12)
    f_hz, a = np.r_[261.63 * k, 392.0 * k], np.r_[1 / k, 1 / k]
    expected = HARRISON_PEARCE_2020.roughness * roughness(f_hz, a) + HARRISON_PEARCE_2020.harmonicity * harmonicity(
        f_hz, a)
    assert consonance(f_hz, a) == pytest.approx(expected, rel=1e-12)

    class Memory:  # a stand-in with the protocol of the long-term harmonic memory
        def log_probability(self, profile):
            assert profile.shape == (12,) and profile.sum() == pytest.approx(1.0)
            return -2.0

    with_memory = consonance(f_hz, a, memory=Memory())
    assert with_memory == pytest.approx(expected - 2.0 * HARRISON_PEARCE_2020.familiarity, rel=1e-12)
    no_roughness = consonance(f_hz, a, weights=CompositeWeights(roughness=0.0))
    assert no_roughness > consonance(f_hz, a)


def test_pitch_class_profile_of_a_major_triad():
    profile = pitch_class_profile([261.63, 329.63, 392.0, 523.25], [1.0, 1.0, 1.0, 1.0])
    assert profile[[0, 4, 7]] == pytest.approx([0.5, 0.25, 0.25])


def test_spectral_peaks_skip_noise_and_find_a_sine():
    t = np.arange(N_FFT) / SR
    freq_hz = 1000.0 + 0.37 * SR / N_FFT
    mag = np.abs(np.fft.rfft(np.sin(2 * np.pi * freq_hz * t) * WINDOW))
    peaks_hz, amps = spectral_peaks(mag, FREQS_HZ)
    assert peaks_hz.shape == amps.shape == (1,)
    assert abs(peaks_hz[0] - freq_hz) < 0.1 * SR / N_FFT
    noise_mag = np.abs(np.fft.rfft(np.random.default_rng(0).standard_normal(N_FFT) * WINDOW))
    assert spectral_peaks(noise_mag, FREQS_HZ)[0].size <= 2


def test_note_profile_finds_the_notes_not_their_harmonics():
    k = np.arange(1, 12)
    for semitones in ([0, 4, 7], [0, 7, 16], [0, 3, 6, 10]):
        f_hz = np.concatenate([C3_HZ * 2 ** (st / 12) * k for st in semitones])
        profile = note_profile(f_hz, np.tile(1 / k, len(semitones)))
        assert set(np.flatnonzero(profile >= 0.1 * profile.max())) == {st % 12 for st in semitones}
        assert profile.sum() == pytest.approx(1.0)
    # A tone without its fundamental is still heard at its pitch class (E).
    assert np.argmax(note_profile(329.63 * np.arange(2, 9), np.ones(7))) == 4
    assert note_profile([], []).sum() == 0.0


def test_chord_type_is_transposition_invariant_but_not_inversion_invariant():
    major = chord_type([0, 4, 7])
    assert all(chord_type([(p + r) for p in (0, 4, 7)]) == major for r in range(12))
    assert chord_type([0, 3, 7]) != major and chord_type([12, 16, 19, 28]) == major
    assert chord_type([]) == 0 and N_CHORD_TYPES == 351


def test_chord_type_memory_is_add_one_smoothed_log_frequency():
    memory = ChordTypeMemory([chord_type([0, 4, 7]), chord_type([0, 3, 6])], [30.0, 10.0])
    total = 40.0 + N_CHORD_TYPES
    profile = np.zeros(12)
    profile[[2, 6, 9]] = [0.5, 0.3, 0.2]  # D major
    assert memory.log_probability(profile) == pytest.approx(np.log(31.0 / total))
    profile[1] = 0.01  # below a tenth of the largest class: not a note of the chord
    assert memory.log_probability(profile) == pytest.approx(np.log(31.0 / total))
    assert memory.log_probability(np.eye(12)[[0, 1, 2]].sum(0)) == pytest.approx(np.log(1.0 / total))
    types = {chord_type([b for b in range(12) if mask >> b & 1]) for mask in range(1, 4096)}
    assert len(types) == N_CHORD_TYPES
    assert np.exp(memory.log_prob_[sorted(types)]).sum() == pytest.approx(1.0)


def test_shipped_memory_comes_from_the_chorales(tmp_path):
    from _scripts import run_script

    assert MEMORY.n_chords_ > 10_000
    fam = {name: MEMORY.log_probability(np.eye(12)[st].sum(0)) for name, st in CLOSE.items()}
    assert fam["major"] > fam["minor"] > fam["diminished"] > fam["augmented"]
    # The training script, on two chorales, writes a memory that loads.
    out = tmp_path / "types.npz"
    assert run_script("train_chord_types.py", "--limit", 2, "-o", out) == 0
    small = ChordTypeMemory.load(out)
    assert 20 < small.n_chords_ < MEMORY.n_chords_
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    np.save(tmp_path / "array.npy", np.zeros(3))
    (tmp_path / "cut.npz").write_bytes(out.read_bytes()[:200])
    np.savez(tmp_path / "other.npz", types=np.array([3, 6]), counts=np.array([1.0, 2.0]))  # 6 = 3 transposed
    for name in ("bad.npz", "array.npy", "cut.npz", "other.npz", "missing.npz"):
        with pytest.raises(DataFileError, match=name):
            ChordTypeMemory.load(tmp_path / name)


# ----------------------------------------------------------------------------
# brain modes
# ----------------------------------------------------------------------------


def test_mode_consonance_prefers_simple_ratios_to_golden_ones():
    p = [1.0, 0.6, 0.4]
    harmonic = mode_consonance([2.0, 4.0, 6.0], p)["consonance"]
    three_two = mode_consonance([2.0, 3.0, 6.0], p)["consonance"]
    golden = mode_consonance([2.0, 2.0 * 1.618, 2.0 * 1.618**2], p)["consonance"]
    assert harmonic > golden and three_two > golden


def test_mode_consonance_depends_on_ratios_and_relative_power_only():
    f_hz, p = np.array([1.0, 2.0, 3.1, 4.4]), np.array([1.0, 0.4, 0.6, 0.2])
    base = mode_consonance(f_hz, p)
    moved = mode_consonance(3.0 * f_hz, 50.0 * p)
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
        (lambda: consonance([440.0], [1.0], weights=CompositeWeights(roughness=1.0)), "weights.roughness="),
        (lambda: mode_consonance([5.0, 7.0], [1.0, -1.0]), "powers"),
        (lambda: spectral_peaks([0.0, 1.0, np.inf, 0.0], [0.0, 1.0, 2.0, 3.0]), "magnitude"),
        (lambda: spectral_peaks([0.0, 1.0, 0.0], [0.0, 1.0]), "freqs_hz"),
        (lambda: spectral_peaks([0.0, 1.0, 0.0], [0.0, 1.0, 2.0], max_peaks=0), "max_peaks="),
        (lambda: spectral_peaks([0.0, 1.0, 0.0], [0.0, 1.0, 2.0], floor_db=6.0), "floor_db="),
        (lambda: harmonicity([440.0], [1.0], template=HarmonicTemplate(sigma_cents=0.0)), "sigma_cents="),
        (lambda: analyze_spectrum([0.0, 1.0, 0.0], [0.0, 1.0, 2.0], previous=[1.0, 0.0]), "magnitude"),
        (lambda: summarize_frames([1.0], [0.5], {"consonance": [1.0]}, min_tonalness=2.0), "min_tonalness="),
        (lambda: consonance([440.0], [1.0], memory="bach"), "harmonic_memory='bach'"),
        (lambda: consonance([440.0], [1.0], memory=object()), "log_probability"),
        (lambda: MEMORY.log_probability(np.ones(7)), "profile has shape"),
        (lambda: ChordTypeMemory([14], [1.0]), "canonical"),
        (lambda: ChordTypeMemory([chord_type([0, 4, 7])], [-1.0]), "counts"),
        (lambda: note_profile([440.0], [1.0], tolerance_cents=0.0), "tolerance_cents="),
    ],
)
def test_bad_input_raises_parameter_error_naming_the_argument(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


# ----------------------------------------------------------------------------
# through the pipeline and the reports
# ----------------------------------------------------------------------------


def test_pipeline_consonance_is_the_same_for_any_block_split_and_uses_a_memory(default_harmonics):
    from resonance import Scorer

    y = 0.05 * _chord(C4_HZ, [0, 4, 7, 11], 5.0)
    whole = Scorer(default_harmonics)
    whole.process(y)
    split = Scorer(default_harmonics)
    for i in range(0, y.size, 4097):
        split.process(y[i : i + 4097])
    a, b = whole.result().metrics, split.result().metrics
    for key in ("consonance", "roughness", "harmonicity", "tonalness", "familiarity"):
        assert a[key] is not None and b[key] == pytest.approx(a[key], rel=1e-9), key
    # A steady chord drives no neutral energy into the harmonics (nothing for
    # mode consonance to read, None); whatever it is, the split must not change it.
    assert (a["mode_consonance"] is None) == (b["mode_consonance"] is None)
    if a["mode_consonance"] is not None:
        assert b["mode_consonance"] == pytest.approx(a["mode_consonance"], rel=1e-9)
    # By default the familiarity of the shipped memory is part of consonance.
    w = HARRISON_PEARCE_2020
    sensory = w.roughness * a["roughness"] + w.harmonicity * a["harmonicity"]
    assert a["familiarity"] < 0 and a["consonance"] == pytest.approx(sensory + w.familiarity * a["familiarity"])

    bare = Scorer(default_harmonics, harmonic_memory=None)
    bare.process(y)
    m0 = bare.result().metrics
    assert m0["familiarity"] is None and m0["consonance"] == pytest.approx(sensory)

    class Memory:
        def log_probability(self, profile):
            return float(np.log(0.05))

    remembered = Scorer(default_harmonics, harmonic_memory=Memory())
    remembered.process(y)
    m = remembered.result().metrics
    assert m["familiarity"] == pytest.approx(np.log(0.05))
    assert m["consonance"] == pytest.approx(sensory + w.familiarity * np.log(0.05))


def test_reports_show_a_missing_consonance_as_null_empty_and_dash(tmp_path):
    import json

    from stimgen.report import format_record, reading, write_results

    record = {"file": "noise.wav", "duration_s": 10.0, "score": 1e-5,
              "metrics": {"consonance": None, "harmonicity": None, "tonalness": 0.0, "entrainment": 0.01,
                          "absorbed_fraction": 0.1, "semantic_fraction": 0.0}}
    text = format_record(record)
    assert [line for line in text.splitlines() if "consonance" in line][0].split()[1] == "-"
    assert "noise-like" in reading(record)
    write_results([record], tmp_path / "r.csv")
    header, row = (tmp_path / "r.csv").read_text().splitlines()
    assert row.split(",")[header.split(",").index("metrics.consonance")] == ""
    write_results([record], tmp_path / "r.jsonl")
    assert json.loads((tmp_path / "r.jsonl").read_text())["metrics"]["consonance"] is None


def test_compiled_separation_equals_the_numpy_medians():
    """The harmonic part (compiled) is exactly np.median across time and scipy's median filter across frequency."""
    from scipy.ndimage import median_filter

    from resonance.hearing.consonance import _harmonic_frames

    rng = np.random.default_rng(3)
    stack = rng.random((30, 90)) ** 3
    stack[:, 40:44] = stack[:, 39:40]  # ties within the frequency window
    stack[12] = 0.0  # a silent frame (mask 0)
    for n_history, width in ((5, 33), (4, 9)):
        for k in (0, 2, 9):
            got = _harmonic_frames(stack, k, n_history, width)
            for i, row in enumerate(range(k, stack.shape[0])):
                h = np.median(stack[max(0, row - n_history + 1) : row + 1], axis=0)
                p = median_filter(stack[row], size=width, mode="nearest")
                h2, p2 = h * h, p * p
                with np.errstate(invalid="ignore", divide="ignore"):
                    want = stack[row] * np.where(h2 + p2 > 0, h2 / (h2 + p2), 0.0)
                np.testing.assert_array_equal(got[i], want)


def test_the_compiled_sum_of_the_note_sieve_is_numpys_sum_bit_for_bit():
    """The sieve's kernel sums a note's partials as NumPy does, so note profiles keep their last bit."""
    from resonance.hearing.consonance import _pairwise_sum

    rng = np.random.default_rng(7)
    for n in [0, 1, 7, 8, 9, 15, 16, 17, 40, 127, 128, 129, 300, 1000, 5003]:
        x = rng.random(n) * 10.0 ** rng.uniform(-6, 6, n)
        assert _pairwise_sum(x, n) == float(x.sum()), n


def test_peaks_of_a_steady_frame_match_a_numpy_reading():
    """The compiled peak picking finds the salient local maxima the definition names, and needs a steady partner."""
    from resonance.hearing.consonance import _DEFAULT_PEAK_OPTIONS, _peaks

    sr, n = 22050, 4096
    t = np.arange(n) / sr
    y = sum(np.sin(2 * np.pi * 220.0 * k * t) / k for k in range(1, 7))
    mag = np.abs(np.fft.rfft(y * np.hanning(n)))
    freqs = np.fft.rfftfreq(n, 1 / sr)
    f, a, tonal = _peaks(mag, freqs, previous=mag, **_DEFAULT_PEAK_OPTIONS)
    assert np.allclose(f, 220.0 * np.arange(1, 7), rtol=2e-3)
    assert tonal > 0.9
    shifted = np.roll(mag, 20)  # every partial moved half a harmonic spacing: beyond the tolerance
    f2, _, _ = _peaks(mag, freqs, previous=shifted, **_DEFAULT_PEAK_OPTIONS)
    assert f2.size == 0


def test_the_compiled_band_energies_equal_the_frame_by_frame_sums_bit_for_bit():
    """Four frames summed side by side give the bits of one frame at a time, with and without edge rows."""
    from resonance.hearing.consonance import _band_energies, _band_energies_plain

    rng = np.random.default_rng(11)
    for m in [0, 1, 3, 4, 5, 8, 11]:
        h = rng.random((40, m)) * 10.0 ** rng.uniform(-3, 3, (40, m))
        s = np.asfortranarray(h + rng.random((40, m)))
        w = rng.random(37)
        for n_edge in [0, 1, 4]:
            edge = rng.random((n_edge, m))
            got = _band_energies(np.asfortranarray(h), edge, s, w)
            assert np.array_equal(got, _band_energies_plain(h, edge, s, w)), (m, n_edge)


def test_the_compiled_noise_floor_is_numpys_order_statistic_and_interpolation_bit_for_bit():
    """Each block's k-th smallest value (the kept-smallest network) and np.interp between block centres."""
    from resonance.hearing.consonance import _floor_kernel

    rng = np.random.default_rng(13)
    for n in [1, 2, 5, 36, 37, 38, 100, 962]:
        for width in [3, 5, 37]:
            for percentile in [0.0, 20.0, 50.0, 100.0]:
                m = rng.random(n) * 10.0 ** rng.uniform(-5, 0, n)
                m[rng.random(n) < 0.2] = 0.0  # ties
                m[: n // 3] = np.round(m[: n // 3], 1)
                k = int(np.rint(percentile / 100.0 * (width - 1)))
                n_blocks = max(1, n // width)
                level = np.array([np.sort(m[b * width : min(b * width + width, n)])[min(k, min(width, n) - 1)]
                                  for b in range(n_blocks)])
                want = np.interp(np.arange(n), (np.arange(n_blocks) + 0.5) * width, level)
                assert np.array_equal(_floor_kernel(m, width, percentile), want), (n, width, percentile)
