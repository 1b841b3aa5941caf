"""Tests for stimgen.synth: voices, sequencer, tonal layers, modulation and the session arc.

All checks are analytic (FFT peaks within one bin, spectral slopes, RMS,
lengths, sample positions); nothing is mocked and no wall-clock time is asserted.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import scipy.signal

from resonance.errors import ParameterError
from stimgen.synth import (
    Motif,
    amplitude_modulate,
    apply_gain_db_curve,
    arc_envelope,
    arc_phase,
    binaural,
    chord_frequencies,
    click,
    crossfade,
    drone,
    generate_motif,
    glide,
    harmonic_tone,
    hat,
    isochronic,
    kick,
    metrical_weights,
    noise,
    pad,
    render_sequence,
    sequence,
    snare,
    syncopation_index,
    vary,
)

SR = 48000


def _centroid_hz(y, sr):
    power = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(len(y), 1 / sr)
    return float((f * power).sum() / power.sum())


def _peak_hz(y, sr):
    mag = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(mag)]), sr / len(y)


def _envelope_peak_hz(y, sr, *, max_hz):
    """Frequency of the strongest component of the power envelope below max_hz."""
    env = y**2 - np.mean(y**2)
    mag = np.abs(np.fft.rfft(env * np.hanning(len(env))))
    f = np.fft.rfftfreq(len(env), 1 / sr)
    keep = (f > 0.5) & (f < max_hz)
    return float(f[keep][np.argmax(mag[keep])]), sr / len(y)


def _slope_db_per_octave(y, sr, lo_hz=100.0, hi_hz=5000.0):
    f, p = scipy.signal.welch(y, fs=sr, nperseg=8192)
    band = (f >= lo_hz) & (f <= hi_hz)
    return float(np.polyfit(np.log2(f[band]), 10 * np.log10(p[band]), 1)[0])


# ---------------------------------------------------------------- voices


def test_voices_are_normalised_with_clean_edges(rng):
    for y in (kick(sr=SR), snare(sr=SR, rng=rng), hat(sr=SR, rng=rng), hat(sr=SR, rng=rng, open_=True), click(sr=SR)):
        assert y.ndim == 1 and y.dtype == np.float64
        assert np.max(np.abs(y)) == pytest.approx(1.0, abs=1e-12)
        assert y[0] == 0.0 and abs(y[-1]) < 1e-12
        assert abs(np.mean(y)) < 1e-12
        # no click at the end: the last 1 ms is quiet compared with the peak
        assert np.max(np.abs(y[-SR // 1000 :])) < 0.05


def test_kick_is_low_and_hat_is_high(rng):
    assert _centroid_hz(kick(sr=SR), SR) < 200.0
    assert _centroid_hz(hat(sr=SR, rng=rng), SR) > 5000.0
    assert 500.0 < _centroid_hz(snare(sr=SR, rng=rng), SR) < 5000.0
    assert _centroid_hz(click(sr=SR, freq_hz=2000.0), SR) == pytest.approx(2000.0, rel=0.02)


def test_open_hat_is_longer_and_kick_length_follows_decay(rng):
    assert len(hat(sr=SR, rng=rng, open_=True)) > 3 * len(hat(sr=SR, rng=rng))
    assert len(kick(sr=SR, decay_s=0.25)) == 12000


# ---------------------------------------------------------------- sequencer


def test_backbeat_anchors(rng):
    m = generate_motif(rng=rng, syncopation=0.3)
    assert m.steps == 16
    assert m.voice("kick")[0] == 1.0
    assert m.voice("snare")[4] == 1.0 and m.voice("snare")[12] == 1.0
    hats = m.voice("hat")
    assert np.all(hats[[0, 4, 8, 12]] == 1.0)
    assert np.all(hats[1::2] == 0.0)  # hats only on eighths


def test_syncopation_probability_controls_offbeat_notes():
    offbeat = np.array([s for s in range(16) if s % 4])

    def n_offbeat(syncopation, seed):
        m = generate_motif(rng=np.random.default_rng(seed), syncopation=syncopation)
        return int(np.count_nonzero(m.voice("kick")[offbeat]) + np.count_nonzero(m.voice("snare")[offbeat]))

    assert all(n_offbeat(0.0, seed) == 0 for seed in range(10))
    assert all(n_offbeat(0.9, seed) >= 6 for seed in range(10))
    zero = [syncopation_index(generate_motif(rng=np.random.default_rng(s), syncopation=0.0)) for s in range(10)]
    some = [syncopation_index(generate_motif(rng=np.random.default_rng(s), syncopation=0.3)) for s in range(10)]
    assert max(zero) == 0.0 and np.mean(some) > 0.3  # a filled backbeat leaves few strong rests


def test_syncopation_index_matches_hand_count():
    vel = np.zeros((1, 16))
    vel[0, [0, 3, 8]] = 1.0  # step 3 (weight -4) is followed by a rest on beat 2 (weight -2)
    assert syncopation_index(Motif(("kick",), vel)) == 2.0
    assert metrical_weights(16).tolist()[:5] == [0, -4, -3, -4, -2]


def test_vary_identity_and_change(rng):
    m = generate_motif(rng=rng, syncopation=0.3)
    assert vary(m, rng=np.random.default_rng(1), deviation=0.0, mutation=0.0) == m
    changed = [vary(m, rng=np.random.default_rng(s), deviation=0.5, mutation=0.5) != m for s in range(5)]
    assert all(changed)
    # the downbeat always survives
    assert all(vary(m, rng=np.random.default_rng(s), deviation=1.0).voice("kick")[0] == 1.0 for s in range(5))


def test_sequence_is_deterministic_and_varies():
    def run(seed):
        r = np.random.default_rng(seed)
        return sequence(generate_motif(rng=r), rng=r, n_bars=16, deviation=0.2, mutation=0.3)

    a, b = run(7), run(7)
    assert len(a) == 16 and a == b
    assert len({bar.velocities.tobytes() for bar in a}) > 1


def test_render_places_events_sample_accurately():
    vel = np.zeros((1, 16))
    vel[0, [0, 1, 6]] = [1.0, 0.5, 0.25]
    bar = Motif(("click",), vel)
    impulse = np.array([1.0])
    y = render_sequence([bar], sr=SR, tempo_bpm=120, voices={"click": impulse}, duration_s=4.0)
    assert len(y) == 4 * SR
    # 120 BPM, 16 steps: one step = 0.125 s = 6000 samples; bar = 2 s, looped twice
    expected = {0: 1.0, 6000: 0.5, 36000: 0.25, 96000: 1.0, 102000: 0.5, 132000: 0.25}
    assert {int(i): float(y[i]) for i in np.flatnonzero(y)} == expected
    swung = render_sequence([bar], sr=SR, tempo_bpm=120, voices={"click": impulse}, duration_s=2.0, swing=0.5)
    assert np.flatnonzero(swung).tolist() == [0, 9000, 36000]  # only the odd step moves, by half a step


def test_render_humanize_is_seeded_and_bounded(rng):
    bars = sequence(generate_motif(rng=rng), rng=rng, n_bars=2)
    voices = {"kick": kick(sr=SR), "snare": snare(sr=SR, rng=rng), "hat": hat(sr=SR, rng=rng)}
    kw = dict(sr=SR, tempo_bpm=110, voices=voices, duration_s=5.0, humanize_s=0.005)
    a = render_sequence(bars, rng=np.random.default_rng(3), **kw)
    b = render_sequence(bars, rng=np.random.default_rng(3), **kw)
    c = render_sequence(bars, **{**kw, "humanize_s": 0.0})
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    with pytest.raises(ParameterError, match="voices has no sample for voice 'hat'"):
        render_sequence(bars, sr=SR, tempo_bpm=110, voices={"kick": voices["kick"], "snare": voices["snare"]},
                        duration_s=1.0)


# ---------------------------------------------------------------- tonal


def test_just_and_equal_thirds():
    just = chord_frequencies(200.0, intervals=(0, 4, 7, 12, 16), tuning="just")
    assert just[1] / just[0] == 1.25 and just[2] / just[0] == 1.5 and just[4] / just[0] == 2.5
    equal = chord_frequencies(200.0, intervals=(0, 4), tuning="equal")
    assert equal[1] / equal[0] == pytest.approx(2 ** (4 / 12), rel=1e-12)
    assert chord_frequencies(100.0, intervals=(1.5, Fraction(5, 4)), tuning="equal").tolist() == [150.0, 125.0]


def test_harmonic_tone_spectrum_and_aliasing():
    sr, f0 = 8000, 1100.0
    y = harmonic_tone(f0, sr=sr, duration_s=1.0, n_harmonics=8, rolloff=0.5)
    mag = np.abs(np.fft.rfft(y * np.hanning(len(y))))  # 1 Hz bins
    assert mag[2200] / mag[1100] == pytest.approx(0.5, rel=0.01)
    assert mag[3300] / mag[1100] == pytest.approx(0.25, rel=0.01)
    # harmonics 4-7 (4.4-7.7 kHz) would alias to 3600, 2500, 1400 and 300 Hz if they were rendered
    assert np.max(mag[[3600, 2500, 1400, 300]]) < 1e-4 * mag[1100]
    assert np.max(np.abs(y)) <= 1.0


def test_drone_drifts_and_is_deterministic():
    kw = dict(sr=8000, duration_s=20.0, drift_rate_hz=0.2, drift_depth=0.5)
    a = drone([220.0, 330.0], rng=np.random.default_rng(4), **kw)
    b = drone([220.0, 330.0], rng=np.random.default_rng(4), **kw)
    assert np.array_equal(a, b)
    rms = np.sqrt(np.mean(a[: 19 * 8000].reshape(-1, 8000) ** 2, axis=1))  # per-second RMS
    assert rms.max() / rms.min() > 1.2  # not static


def test_pad_crossfade_keeps_level():
    chords = [[220.0], [220.0]]  # same chord twice: a good crossfade is inaudible in level
    y = pad(chords, sr=8000, chord_s=4.0, crossfade_s=1.0, drift_depth=0.0)
    assert len(y) == 64000
    rms = np.sqrt(np.mean(y[4000:60000].reshape(-1, 800) ** 2, axis=1))
    # equal-power crossfade of two uncorrelated-phase copies varies by far less than a linear dip
    assert rms.min() > 0.6 * rms.max()


def test_isochronic_carrier_and_rate():
    y = isochronic(440.0, sr=SR, duration_s=4.0, rate_hz=6.0, duty=0.5)
    peak, bin_hz = _peak_hz(y, SR)
    assert abs(peak - 440.0) <= bin_hz
    rate, bin_hz = _envelope_peak_hz(y, SR, max_hz=40.0)
    assert abs(rate - 6.0) <= bin_hz
    period = SR // 6
    assert np.max(np.abs(y[period // 2 + 10 : period - 10])) == 0.0  # off half is silent
    assert np.max(np.abs(np.diff(y))) < 2 * np.pi * 440.0 / SR + 0.01  # no click at the edges


def test_binaural_ears():
    y = binaural(200.0, beat_hz=8.0, sr=SR, duration_s=4.0)
    assert y.shape == (2, 4 * SR)
    left, bin_hz = _peak_hz(y[0], SR)
    right, _ = _peak_hz(y[1], SR)
    assert abs(left - 196.0) <= bin_hz and abs(right - 204.0) <= bin_hz
    assert not np.allclose(y[0], y[1])


@pytest.mark.parametrize(("kind", "slope"), [("white", 0.0), ("pink", -3.01), ("brown", -6.02)])
def test_noise_slopes_and_rms(kind, slope, rng):
    y = noise(kind, sr=22050, duration_s=30.0, rng=rng)
    assert len(y) == 30 * 22050
    assert np.sqrt(np.mean(y**2)) == pytest.approx(1.0, abs=1e-12)
    assert abs(_slope_db_per_octave(y, 22050) - slope) < 1.0


def test_sine_whole_grid_cells_at_once_give_the_bits_of_cell_by_cell():
    # The oscillator of the binaural, drone and isochronic streams fills whole grid cells in one
    # broadcast product; reads of any length and start (partial cells at either end, one cell, many,
    # a strided output) give the very samples of the cell-by-cell formula and stay within 1e-9 of np.sin.
    from stimgen.synth.streams import _SINE_GRID, _Sine

    rng = np.random.default_rng(3)
    for freq_hz in (195.0, 1234.567):
        sine = _Sine(freq_hz, 44100)
        for a, m in [(0, 3 * _SINE_GRID), (5, 100), (_SINE_GRID - 7, 2 * _SINE_GRID + 20),
                     *[(int(rng.integers(0, 10**7)), int(rng.integers(1, 5 * _SINE_GRID))) for _ in range(6)]]:
            fast = sine.into(np.empty(m), a, a + m)
            slow = np.empty(m)
            sine._cells(slow, a, a + m)
            np.testing.assert_array_equal(fast, slow)
            strided = np.empty((m, 2))[:, 0]
            np.testing.assert_array_equal(sine.into(strided, a, a + m), slow)
            exact = np.sin(2 * np.pi * (freq_hz / 44100) * np.arange(a, a + m))
            assert np.max(np.abs(fast - exact)) < 1e-9  # np.sin rounds its phase too (ulp of 2e6 rad: 2e-10)


@pytest.mark.parametrize(("kind", "slope", "kurtosis"), [("white", 0.0, 0.0), ("pink", -3.01, -0.16),
                                                         ("brown", -6.02, 0.0)])
def test_streamed_noise_colour_level_and_gaussian_bands(kind, slope, kurtosis):
    """The streamed noise (filtered uniform draws for pink and brown): the colour's slope, unit RMS,
    Gaussian within a 1 kHz third-octave band, the broadband excess kurtosis the docstring states,
    and the same samples for the same seed."""
    from scipy.stats import kurtosis as excess_kurtosis

    from stimgen.synth.streams import NoiseStream

    sr, n = 22050, 30 * 22050
    y = NoiseStream(kind, sr=sr, n_samples=n, rng=np.random.default_rng(7)).read(n)
    again = NoiseStream(kind, sr=sr, n_samples=n, rng=np.random.default_rng(7))
    assert np.array_equal(np.concatenate([again.read(1234), again.read(n)]), y)
    assert abs(_slope_db_per_octave(y, sr) - slope) < 1.0
    rms_tolerance = 0.1 if kind == "brown" else 0.02  # brown noise wanders (its pole is at 3.8 Hz)
    assert np.sqrt(np.mean(y**2)) == pytest.approx(1.0, abs=rms_tolerance)
    band = scipy.signal.sosfilt(scipy.signal.butter(4, [891.0, 1122.0], "bandpass", fs=sr, output="sos"), y)
    assert abs(excess_kurtosis(band[sr:])) < 0.05
    if kind != "brown":  # brown's broadband values follow its slow wander, not the draws
        assert excess_kurtosis(y) == pytest.approx(kurtosis, abs=0.05)


# ---------------------------------------------------------------- modulation


def test_amplitude_modulation_rate_and_depth(rng):
    carrier = np.sin(2 * np.pi * 1000.0 * np.arange(4 * SR) / SR)
    y = amplitude_modulate(carrier, sr=SR, rate_hz=16.0, depth=0.8)
    rate, bin_hz = _envelope_peak_hz(y, SR, max_hz=100.0)
    assert abs(rate - 16.0) <= bin_hz
    assert np.max(np.abs(y)) <= 1.0 and np.max(np.abs(y[SR // 16 - 50 : SR // 16 + 50])) < 0.21
    assert np.array_equal(amplitude_modulate(carrier, sr=SR, rate_hz=16.0, depth=0.0), carrier)
    stereo = np.stack([carrier, -carrier])
    out = amplitude_modulate(stereo, sr=SR, rate_hz=4.0, depth=1.0, shape="square")
    assert out.shape == (2, 4 * SR) and np.array_equal(out[0], -out[1])


def test_glide_is_smooth_and_hits_breakpoints():
    sr = 1000
    c = glide([(0.5, 0.0), (1.5, 1.0), (3.0, -2.0)], sr=sr, duration_s=4.0)
    assert len(c) == 4000
    assert c[0] == 0.0 and c[500] == 0.0 and c[1500] == pytest.approx(1.0) and c[3000] == pytest.approx(-2.0)
    assert c[-1] == -2.0
    # raised cosine: max step = pi/2 * |dv| / n_ramp
    assert np.max(np.abs(np.diff(c))) <= np.pi / 2 * 3.0 / 1500 + 1e-9
    with pytest.raises(ParameterError, match="strictly increasing"):
        glide([(1.0, 0.0), (1.0, 1.0)], sr=sr, duration_s=2.0)


def test_gain_curve():
    y = np.ones((2, 4))
    out = apply_gain_db_curve(y, np.array([0.0, -6.0, -20.0, 20.0]))
    assert np.allclose(out[1], [1.0, 10 ** (-6 / 20), 0.1, 10.0])
    with pytest.raises(ParameterError, match="gain_db_curve"):
        apply_gain_db_curve(y, np.zeros(3))


# ---------------------------------------------------------------- arc


def test_arc_envelope_shape():
    sr = 100
    env = arc_envelope(sr=sr, duration_s=600.0, heat_s=120.0, hold_s=240.0, cool_s=240.0, heat_level=0.2,
                       cool_level=0.0)
    assert len(env) == 60000 and env.min() >= 0.0 and env.max() <= 1.0
    assert env[0] == pytest.approx(0.2)
    assert np.all(env[120 * sr : 360 * sr] == 1.0)  # hold_level during the hold
    assert np.max(np.abs(np.diff(env[: 120 * sr]))) <= np.pi / 2 * 0.8 / (120 * sr) + 1e-12
    assert np.max(np.abs(np.diff(env[360 * sr :]))) <= np.pi / 2 * 1.0 / (240 * sr) + 1e-12
    falling = np.flatnonzero((env < 1.0) & (np.arange(len(env)) >= 360 * sr))
    assert (falling[-1] - falling[0] + 2) / sr >= 240.0  # cooling takes at least cool_s
    assert list(arc_phase([0.0, 119.9, 120.0, 359.0, 360.0], duration_s=600.0, heat_s=120.0, hold_s=240.0,
                          cool_s=240.0)) == ["heat", "heat", "hold", "hold", "cool"]


def test_arc_scales_phases_proportionally():
    env = arc_envelope(sr=10, duration_s=120.0, heat_s=10.0, hold_s=20.0, cool_s=30.0)
    assert np.all(env[200:600] == 1.0) and env[599] == 1.0 and env[601] < 1.0
    assert arc_phase(1000.0, duration_s=120.0, heat_s=10.0, hold_s=20.0, cool_s=30.0) == "cool"


def test_equal_power_crossfade():
    sr = 1000
    a, b = np.ones((2, 3000)), np.ones((2, 2000))
    out = crossfade(a, b, sr=sr, fade_s=1.0)
    assert out.shape == (2, 4000)
    g_a = crossfade(np.ones(3000), np.zeros(2000), sr=sr, fade_s=1.0)[2000:3000]
    g_b = crossfade(np.zeros(3000), np.ones(2000), sr=sr, fade_s=1.0)[2000:3000]
    assert np.allclose(g_a**2 + g_b**2, 1.0)  # equal power
    assert np.allclose(out[1, 2000:3000], g_a + g_b) and np.all(out[:, :2000] == 1.0) and np.all(out[:, 3000:] == 1.0)
    with pytest.raises(ParameterError, match="fade_s="):
        crossfade(np.ones(10), np.ones(10), sr=sr, fade_s=1.0)


# ---------------------------------------------------------------- determinism and errors


def test_same_seed_is_bit_identical():
    def mix(seed):
        r = np.random.default_rng(seed)
        voices = {"kick": kick(sr=SR), "snare": snare(sr=SR, rng=r), "hat": hat(sr=SR, rng=r)}
        bars = sequence(generate_motif(rng=r), rng=r, n_bars=4)
        drums = render_sequence(bars, sr=SR, tempo_bpm=96, voices=voices, duration_s=3.0, humanize_s=0.004, rng=r)
        tones = drone(chord_frequencies(110.0), sr=SR, duration_s=3.0, rng=r)
        return drums + tones + 0.1 * noise("pink", sr=SR, duration_s=3.0, rng=r)

    assert np.array_equal(mix(5), mix(5))
    assert not np.array_equal(mix(5), mix(6))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: amplitude_modulate(np.ones(10), sr=SR, rate_hz=-1.0, depth=0.5), "rate_hz=-1"),
        (lambda: amplitude_modulate(np.ones(10), sr=SR, rate_hz=4.0, depth=1.5), "depth=1.5"),
        (lambda: amplitude_modulate(np.ones(10), sr=SR, rate_hz=4.0, depth=0.5, shape="saw"), "shape='saw'"),
        (lambda: noise("blue", sr=SR, duration_s=1.0, rng=np.random.default_rng(0)), "kind='blue'"),
        (lambda: noise("pink", sr=SR, duration_s=1.0, rng=0), "rng=0"),
        (lambda: chord_frequencies(220.0, tuning="pythagorean"), "tuning='pythagorean'"),
        (lambda: isochronic(440.0, sr=SR, duration_s=1.0, rate_hz=-2.0), "rate_hz=-2"),
        (lambda: isochronic(440.0, sr=SR, duration_s=1.0, rate_hz=40.0, ramp_s=0.01), "ramp_s=0.01"),
        (lambda: binaural(3.0, beat_hz=8.0, sr=SR, duration_s=1.0), "beat_hz=8"),
        (lambda: kick(sr=0), "sr=0"),
        (lambda: generate_motif(rng=np.random.default_rng(0), steps=12), "steps=12"),
        (lambda: generate_motif(rng=np.random.default_rng(0), voices=("tabla",)), "voices='tabla'"),
        (lambda: generate_motif(rng=np.random.default_rng(0), syncopation=1.2), "syncopation=1.2"),
        (lambda: arc_envelope(sr=10, duration_s=60, heat_s=10, hold_s=10, cool_s=10, hold_level=0.1),
         "hold_level=0.1"),
        (lambda: arc_envelope(sr=10, duration_s=60, heat_s=-1, hold_s=10, cool_s=10), "heat_s=-1"),
    ],
)
def test_invalid_arguments_name_the_parameter(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_noise_norm_from_2_16_impulse_samples_equals_the_longer_sum():
    """The noise colours' normalisation from 2**16 impulse-response samples is the bits of a 2**18 one."""
    from stimgen.mastering._kernels import lfilter
    from stimgen.synth.streams import _noise_filter, _noise_norm

    for kind in ("pink", "brown"):
        b, a = _noise_filter(kind)
        impulse = np.zeros(1 << 18)
        impulse[0] = 1.0
        h = lfilter(b, a, impulse)
        assert _noise_norm(kind) == float(1.0 / np.sqrt(np.sum(h * h)))
