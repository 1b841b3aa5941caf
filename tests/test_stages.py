"""Unit checks of the model's stages: analytic, fast, and able to fail."""

from __future__ import annotations

import numpy as np
import pytest

import synth_signals as S
from resonance import ModelConfig, ParameterError
from resonance.connectome.coupling import entry_coupling, find_regions
from resonance.dynamics import Reservoir, RhythmBank, effective_pulse_response
from resonance.hearing.frontend import MODEL_SR, FrontEnd, erb_filterbank
from resonance.expectation.sinks import OnsetSinks, event_strength


def test_full_scale_sine_reads_about_zero_db_above_the_floor_offset():
    fe = FrontEnd()
    t = np.arange(MODEL_SR) / MODEL_SR
    frames = fe.process(np.sin(2 * np.pi * 1126.0 * t))  # centre of band 3
    band = int(np.argmax(frames.level_db.mean(axis=1)))
    assert abs(fe.band_centres_hz[band] - 1126.0) < 60
    # 0 dBFS sine = floor offset (90 dB) within 1 dB.
    assert frames.level_db[band, 5:].mean() == pytest.approx(-fe.floor_db, abs=1.0)


@pytest.mark.parametrize("shape", [(MODEL_SR * 2,), (2, MODEL_SR * 2)], ids=["mono", "stereo"])
def test_front_end_is_block_split_invariant(rng, shape):
    """Every output is the same bit for bit however the stream is split (per-frame sums, per-row FFTs)."""
    y = rng.standard_normal(shape) * 0.1
    one = FrontEnd().process(y)
    fe = FrontEnd()
    parts = [fe.process(y[..., i : i + 1001]) for i in range(0, y.shape[-1], 1001)]
    for name in ("level_db", "onset", "envelope", "flux_db", "binaural", "binaural_onset", "spectrum"):
        joined = np.concatenate([getattr(p, name) for p in parts], axis=1)
        np.testing.assert_array_equal(joined, getattr(one, name), err_msg=name)


def test_front_end_band_sums_equal_the_matrix_products(rng):
    """The compiled pass (ear powers, bin levels, band and interaural sums) equals the NumPy form."""
    import scipy.fft
    from resonance.hearing import interaural_correlation

    y = (rng.standard_normal((2, MODEL_SR)) * 0.1).astype(np.float32)
    y[1] = 0.6 * y[0] + 0.4 * y[1]  # partly correlated ears
    fe = FrontEnd()
    got = fe.process(y)
    hop, n_fft = fe.hop_length, fe.n_fft
    n = 1 + (y.shape[1] - n_fft) // hop
    idx = np.arange(n)[:, None] * hop + np.arange(n_fft)
    win = np.hanning(n_fft + 1)[:-1].astype(np.float32)
    spec = [scipy.fft.rfft(y[c][idx] * win, axis=-1) for c in range(2)]
    pw = [s.real**2 + s.imag**2 for s in spec]
    power = (pw[0] + pw[1]) * np.float32(0.5)
    band = power.astype(np.float64) @ fe._fb.T / fe._pref
    floor = 10.0 ** (fe.floor_db / 10.0)
    np.testing.assert_allclose(got.level_db, (10.0 * np.log10(np.maximum(band, floor)) - fe.floor_db).T,
                               rtol=1e-13, atol=1e-12)
    nb, bb = fe._n_bin_bins, fe.n_binaural_bands
    rho = interaural_correlation(spec[0][:, :nb], spec[1][:, :nb], fe._fb[:bb, :nb], floor=floor * fe._pref)
    np.testing.assert_allclose(got.binaural, rho, rtol=1e-13, atol=1e-13)
    assert 0.3 < np.median(rho) < 0.99  # the ears are neither identical nor independent


def test_onsets_mark_clicks_not_steady_tones():
    fe = FrontEnd()
    clicks = fe.process(S.match_rms(S.click_train(120, 4.0)))
    fe.reset()
    tone = fe.process(S.match_rms(S.harmonic_tone(220.0, 4.0)))
    o_clicks = event_strength(clicks.onset).sum(axis=0)
    o_tone = event_strength(tone.onset[:, 20:-20]).sum(axis=0)
    n_events = np.count_nonzero(np.diff((o_clicks > 0.5).astype(int)) == 1)
    assert 7 <= n_events <= 9  # 8 clicks in 4 s
    assert o_tone.max() < 0.05


def test_forward_masking_keeps_noise_fluctuation_out_but_clicks_over_a_bed_in():
    noise = S.match_rms(S.white_noise(4.0, seed=3), rms_db=-40.0)
    clicks = S.match_rms(S.click_train(120, 4.0), rms_db=-26.0)

    def events(y, hold_s):
        o = event_strength(FrontEnd(onset_hold_s=hold_s).process(y).onset[:, 20:])
        return o

    # Steady noise: its frame-to-frame fluctuation is rarely an event with the
    # 50 ms forward-masking reference (narrow low bands fluctuate most), and
    # several times more often without it.
    held = events(noise, 0.05)
    plain = events(noise, 0.0)
    assert (held > 0.1).mean() < 0.03
    assert (plain > 0.1).mean() > 5 * (held > 0.1).mean()
    # Clicks 14 dB above the bed are still each one event.
    o = events(noise + clicks, 0.05).sum(axis=0)  # summed over the 8 bands
    n_events = np.count_nonzero(np.diff((o > 2.0).astype(int)) == 1)
    assert 7 <= n_events <= 9


def test_erb_bands_are_ordered_and_cover_the_range():
    fb = erb_filterbank(sr=MODEL_SR, n_fft=512, n_bands=8, fmin_hz=40.0, fmax_hz=10000.0)
    peaks = fb.argmax(axis=1)
    assert np.all(np.diff(peaks) > 0)
    assert np.all(fb.max(axis=1) == pytest.approx(1.0))


def test_event_strength_is_zero_below_the_jnd_and_saturates():
    x = event_strength(np.array([0.0, 0.9, 7.0, 60.0]))
    assert x[0] == x[1] == 0.0
    assert 0.5 < x[2] < 0.7
    assert x[3] > 0.99


def test_sinks_learn_a_periodic_train_but_not_a_random_one(rng):
    fr = 43.0
    n = int(120 * fr)
    periodic = np.zeros((1, n))
    periodic[0, :: int(fr / 2)] = 1.0
    random = (rng.random((1, n)) < periodic.mean()).astype(float)
    p_out = OnsetSinks(n_bands=1, frame_rate_hz=fr, learning_rate=20.0).process(periodic)
    r_out = OnsetSinks(n_bands=1, frame_rate_hz=fr, learning_rate=20.0).process(random)
    late = slice(n // 2, None)

    def absorbed(out):
        return float(np.minimum(out.p, out.o)[:, late].sum() / out.o[:, late].sum())

    assert absorbed(p_out) > 0.8
    assert absorbed(r_out) < 0.2
    # Surprise per event falls as the periodic train is learned.
    ev = periodic[0] > 0
    first = p_out.surprise_bits[0, : n // 8][ev[: n // 8]].mean()
    last = p_out.surprise_bits[0, late][ev[late]].mean()
    assert last < 0.25 * first


def test_sinks_without_learning_keep_their_prior():
    o = np.zeros((2, 500))
    o[:, ::20] = 1.0
    out = OnsetSinks(n_bands=2, frame_rate_hz=43.0, learning_rate=0.0, prior_rate=0.05).process(o)
    np.testing.assert_allclose(out.p, 0.05)


def test_sinks_are_block_split_invariant(rng):
    o = (rng.random((3, 900)) < 0.1).astype(float)
    a = OnsetSinks(n_bands=3, frame_rate_hz=43.0).process(o)
    sinks = OnsetSinks(n_bands=3, frame_rate_hz=43.0)
    parts = [sinks.process(o[:, i : i + 37]) for i in range(0, 900, 37)]
    np.testing.assert_allclose(np.concatenate([p.p for p in parts], axis=1), a.p, rtol=1e-12)


def test_pulse_resonance_matches_van_noorden_moelants():
    periods = np.linspace(0.2, 2.0, 4000)
    g = effective_pulse_response(1.0 / periods)
    best = periods[np.argmax(g)]
    half = periods[g >= g.max() / 2]
    assert 0.50 <= best <= 0.55  # resonance period 500-550 ms
    assert 0.40 <= half.max() - half.min() <= 0.80  # width at half height


def test_rhythm_bank_reads_the_amplitude_of_a_line():
    fs = 43.0
    t = np.arange(int(60 * fs)) / fs
    bank = RhythmBank(fs_hz=fs, freqs_hz=[1.0, 2.0, 4.0], q=16.0, decimate=1)
    z = bank.process((0.3 * np.cos(2 * np.pi * 2.0 * t))[None])
    amp = np.abs(z[0, :, -1])
    # A cosine of amplitude 0.3 has a positive-frequency component of 0.15.
    assert amp[1] == pytest.approx(0.15, rel=0.05)
    assert amp[0] < 0.2 * amp[1] and amp[2] < 0.2 * amp[1]


def test_reservoir_settles_at_the_delivered_power():
    res = Reservoir(dt_s=0.1, tau_s=5.0)
    y = res.process(np.full((1, 1000), 2.0))
    assert y[0, -1] == pytest.approx(2.0, rel=1e-6)
    assert y[0, 49] == pytest.approx(2.0 * (1 - np.exp(-5.0 / 5.0)), rel=0.03)


def test_find_regions_strips_hemisphere_prefixes():
    labels = ["rA1", "lA1", "lh-transversetemporal", "ctx-rh-transversetemporal", "rV1", "Left-A2", "lingual"]
    assert find_regions(labels, ["A1", "transversetemporal", "A2"]).tolist() == [0, 1, 2, 3, 5]
    assert find_regions(labels, ["lingual"]).tolist() == [6]


def test_auditory_entry_is_tonotopic(default_harmonics):
    cp = entry_coupling(default_harmonics, n_bands=8)
    assert set(cp.auditory_regions) == {"rA1", "rA2", "lA1", "lA2"}
    assert cp.auditory.shape == (default_harmonics.vectors.shape[1], 8)
    # Neighbouring bands drive more similar sets of modes than distant ones.
    c = np.corrcoef(cp.auditory.T)
    assert c[0, 1] > c[0, 7] and c[6, 7] > c[0, 7]


def test_connectome_without_auditory_regions_is_refused(default_harmonics):
    class NoAuditory:
        region_labels = tuple(f"R{i}" for i in range(3))
        vectors = np.eye(3)
        vertex_region = np.arange(3)
        positions_mm = np.eye(3)
        hemisphere = np.array(["L", "R", "L"])
        level = "region"

    with pytest.raises(ParameterError, match="no auditory entry region"):
        entry_coupling(NoAuditory(), n_bands=8)


@pytest.mark.parametrize(
    "field, value, match",
    [("bank_q", 0.0, "bank_q="), ("n_bands", 0, "n_bands="), ("reservoir_tau_s", float("nan"), "reservoir_tau_s=")],
)
def test_model_config_validates(field, value, match):
    with pytest.raises(ParameterError, match=match):
        ModelConfig(**{field: value}).validate()


def test_front_end_hears_identical_ears_as_mono_and_a_binaural_beat_as_interaural_swing(rng):
    from resonance.hearing.frontend import FrontEnd

    sr = 22050
    t = np.arange(3 * sr) / sr
    y = np.sin(2 * np.pi * 300 * t) * (1.0 + 0.5 * np.sin(2 * np.pi * 3 * t))
    mono = FrontEnd().process(y)
    both = FrontEnd().process(np.stack([y, y]))
    np.testing.assert_allclose(both.level_db, mono.level_db, atol=1e-4)
    assert np.allclose(both.binaural, 1.0, atol=1e-4)
    beat = FrontEnd().process(np.stack([np.sin(2 * np.pi * 300 * t), np.sin(2 * np.pi * 306 * t)]))
    rho = beat.binaural[:, 50:]
    assert rho.min() < -0.8 and rho.max() > 0.8  # cos(IPD) swings at the 6 Hz beat
    # Each ear alone hears a steady tone: the loudest band's level stays put,
    # while the same two tones in one ear beat by many dB.
    main = int(np.argmax(beat.level_db[:, 50:].mean(axis=1)))
    summed = FrontEnd().process(np.sin(2 * np.pi * 300 * t) + np.sin(2 * np.pi * 306 * t))
    assert beat.level_db[main, 50:].std() < 0.5 < 3.0 < summed.level_db[main, 50:].std()


def test_audio_reader_keeps_two_ears_when_asked(tmp_path):
    import soundfile as sf

    from resonance.io.audio import AudioReader

    t = np.arange(44100) / 44100
    stereo = np.stack([np.sin(2 * np.pi * 300 * t), np.sin(2 * np.pi * 306 * t)], axis=1) * 0.3
    path = tmp_path / "beat.wav"
    sf.write(path, stereo, 44100)
    blocks = list(AudioReader(path, sr=22050, block_s=0.25, mono=False, dtype=np.float64))
    y = np.concatenate(blocks, axis=1)
    assert y.shape[0] == 2 and abs(y.shape[1] - 22050) <= 2
    assert np.abs(y[0] - y[1]).max() > 0.1  # the ears stay distinct


def test_step_average_reads_the_running_average_at_the_model_steps(rng):
    from scipy.signal import lfilter

    from resonance.dynamics.synchrony import step_average as _step_average

    a, per = 0.97, 8
    x = rng.standard_normal((3, 2, 5 * per)) + 1j * rng.standard_normal((3, 2, 5 * per))
    last = rng.standard_normal((3, 2)) + 0j
    full, _ = lfilter([1.0 - a], [1.0, -a], x, axis=-1, zi=a * last[..., None])
    # In two calls (the state carried over), the same values as filtering every sample.
    y1, state = _step_average(x[..., : 2 * per], a, per, last)
    y2, state = _step_average(x[..., 2 * per :], a, per, state)
    np.testing.assert_allclose(np.concatenate([y1, y2], axis=-1), full[..., per - 1 :: per], rtol=1e-12)
    np.testing.assert_allclose(state, full[..., -1], rtol=1e-12)


def test_compiled_modulation_filters_equal_lfilter_in_two_blocks(rng):
    """Each modulation filter (compiled) gives lfilter's recursion and the 3-tap FIR bit for bit, across blocks."""
    from scipy.signal import lfilter

    from resonance.hearing import ModulationFilterbank
    from resonance.hearing.modulation import _filter_power

    mfb = ModulationFilterbank(fs_hz=MODEL_SR / 128, step=1, n_channels=3)
    mfb._setup()
    x = -rng.random((3, 700))  # a relative envelope, in [-1, 0]
    got = np.empty((3, mfb.rates_hz_.size, 700))
    for sl in (slice(0, 333), slice(333, 700)):  # the filter states carried across the blocks
        part = np.empty((3, mfb.rates_hz_.size, sl.stop - sl.start))
        _filter_power(np.ascontiguousarray(x[:, sl]), mfb._den_a, mfb._num_re, mfb._num_im, mfb._z, mfb._w, part)
        got[:, :, sl] = part
    for j in range(mfb.rates_hz_.size):
        y = np.concatenate([np.zeros((3, 2)), lfilter([1.0], mfb._den[j], x, axis=1)], axis=1)
        c = mfb._num[j]
        zr = c[0].real * y[:, 2:] + c[1].real * y[:, 1:-1] + c[2].real * y[:, :-2]
        zi = c[1].imag * y[:, 1:-1] + c[2].imag * y[:, :-2]
        np.testing.assert_array_equal(got[:, j], zr * zr + zi * zi)
    assert got[:, :, 100:].min() > 0  # every filter rings


@pytest.mark.parametrize("step", [1, 5, 8, 13, 64, 128])
def test_modulation_step_means_in_the_filters_equal_numpys_mean_of_the_frames(rng, step):
    """Step means taken inside the filters (whole steps) equal the per-frame power's NumPy mean, bit for bit."""
    from resonance.hearing import ModulationFilterbank
    from resonance.hearing.modulation import _filter_power, _filter_step_means

    mfb = ModulationFilterbank(fs_hz=MODEL_SR / 128, step=step, n_channels=6)
    mfb._setup()
    J = mfb.rates_hz_.size
    x = -rng.random((6, 7 * step))
    z, w = mfb._z.copy(), mfb._w.copy()
    for sl in (slice(0, 3 * step), slice(3 * step, 7 * step)):  # states carried across blocks
        xs = np.ascontiguousarray(x[:, sl])
        m = xs.shape[1] // step
        power = np.empty((6, J, xs.shape[1]))
        _filter_power(xs, mfb._den_a, mfb._num_re, mfb._num_im, z, w, power)
        got = np.empty((6, J, m))
        _filter_step_means(xs, mfb._den_a, mfb._num_re, mfb._num_im, mfb._z, mfb._w, step, got)
        np.testing.assert_array_equal(got, power.reshape(6, J, m, step).mean(axis=3))
        np.testing.assert_array_equal(mfb._z, z)
        np.testing.assert_array_equal(mfb._w, w)
    # Through process: whole steps (the step means in the filters) and a split
    # that cuts steps (per-frame power, partial steps carried) agree, up to
    # the order in which a cut step's frames are summed.
    env = np.exp(rng.standard_normal((6, 9 * step)) * 0.3)
    whole = ModulationFilterbank(fs_hz=MODEL_SR / 128, step=step, n_channels=6).process(env)
    cut = ModulationFilterbank(fs_hz=MODEL_SR / 128, step=step, n_channels=6)
    k = 4 * step + max(1, step // 2)
    parts = np.concatenate([cut.process(env[:, :k]), cut.process(env[:, k:])], axis=2)
    np.testing.assert_allclose(parts, whole, rtol=1e-10, atol=0)


def test_compiled_flux_rises_equal_the_numpy_maxima(rng):
    """Band flux (compiled rises) equals the rise over each bin's forward-masking maximum, across blocks."""
    from resonance.hearing import band_flux_db

    lag, hold = 2, 4
    bin_db = (rng.random((60, 17)) * 40.0).astype(np.float32)
    fb = rng.random((3, 17))
    fb /= fb.sum(axis=1, keepdims=True)
    f1, state = band_flux_db(bin_db[:25], None, lag=lag, hold=hold, fb_norm=fb)
    f2, _ = band_flux_db(bin_db[25:], state, lag=lag, hold=hold, fb_norm=fb)
    span = lag + hold - 1
    ext = np.concatenate([np.repeat(bin_db[:1], span, axis=0), bin_db])
    ref = np.stack([ext[t : t + hold].max(axis=0) for t in range(bin_db.shape[0])])
    rise = np.maximum(bin_db - ref, 0.0)
    want = fb @ rise.T.astype(np.float64)
    np.testing.assert_allclose(np.concatenate([f1, f2], axis=1), want, rtol=1e-12, atol=1e-12)
    assert np.count_nonzero(want) > 100  # the check sees rises, not only zeros


def _fma(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once (exact rational arithmetic; Python's int division rounds correctly)."""
    from fractions import Fraction

    return float(Fraction(a) * Fraction(b) + Fraction(c))


@pytest.mark.parametrize("hold", [1, 6, 9])
def test_compiled_flux_in_chunks_equals_the_per_frame_rises_bit_for_bit(rng, hold):
    """The chunked flux kernel (several chunks of frames, a call ending inside one) gives the plain form's bits."""
    from resonance.hearing.flux import _FLUX_CHUNK, band_flux_db

    lag, n, n_bins = 2, 2 * _FLUX_CHUNK + 37, 29
    bin_db = (rng.random((n, n_bins)) * 40.0).astype(np.float32)
    fb = rng.random((4, n_bins)) * (rng.random((4, n_bins)) < 0.6)
    fb /= fb.sum(axis=1, keepdims=True)
    cut = _FLUX_CHUNK - 3
    f1, state = band_flux_db(bin_db[:cut], None, lag=lag, hold=hold, fb_norm=fb)
    f2, _ = band_flux_db(bin_db[cut:], state, lag=lag, hold=hold, fb_norm=fb)
    span = lag + hold - 1
    ext = np.concatenate([np.repeat(bin_db[:1], span, axis=0), bin_db])
    rise = np.maximum(bin_db - np.stack([ext[t : t + hold].max(axis=0) for t in range(n)]), np.float32(0.0))
    want = np.zeros((4, n))
    for j in range(4):  # each band's sum in bin order, one rounding per step (a fused multiply-add)
        for f in np.flatnonzero(fb[j]):
            want[j] = [_fma(float(r), float(fb[j, f]), w) for r, w in zip(rise[:, f], want[j])]
    np.testing.assert_array_equal(np.concatenate([f1, f2], axis=1), want)
    assert np.count_nonzero(want) > 100  # the check sees rises, not only zeros


def test_a_legato_semitone_step_of_a_low_tone_is_a_flux_event():
    # A sustained harmonic tone stepping between G3 and G#3 every 0.5 s, phase
    # continuous, at one level (a bowed legato line): the band level does not
    # rise, the partials move by less than one 43 Hz bin.  Each step is a full
    # event of spectral flux (>= 6 dB, the onset scale); the held notes between
    # the steps are not (< 1 dB, the JND).
    n = int(0.5 * MODEL_SR)
    f = np.repeat(np.array([196.0, 207.65] * 4), n)
    phase = 2.0 * np.pi * np.cumsum(f) / MODEL_SR
    y = 0.1 * sum(np.sin(h * phase) * 0.7**h for h in range(1, 9))
    fe = FrontEnd()
    flux = fe.process(y).flux_db
    step = n / fe.hop_length
    for i in range(1, 8):
        at = int(round(i * step))
        assert flux[:, at - 2 : at + 8].max() >= 6.0, (i, flux[:, at - 2 : at + 8].max())
        assert flux[:, at + 20 : at + 60].max() < 1.0, (i, flux[:, at + 20 : at + 60].max())


@pytest.mark.parametrize("n_fft", [512, 4096])
def test_front_end_ffts_into_reused_arrays_are_scipys_bits(rng, n_fft):
    """The front end's transforms (written into reused arrays) are scipy.fft.rfft's, bit for bit."""
    import scipy.fft

    from resonance.hearing.frontend import _r2c, _rfft_rows

    x = (rng.standard_normal((7, n_fft)) * 0.1).astype(np.float32)
    out = np.full((9, n_fft // 2 + 1), np.nan, dtype=np.complex64)
    got = _rfft_rows(x, out[:7])
    want = scipy.fft.rfft(x, axis=-1)
    assert got.dtype == want.dtype == np.complex64
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    if _r2c() is not None:  # the compiled transform wrote into the given rows, no further
        assert np.shares_memory(got, out) and np.isnan(out[7:]).all()
    # Into columns (the transpose of a C-contiguous array), as the short frames are.
    cols = np.full((n_fft // 2 + 1, 9), np.nan, dtype=np.complex64)
    assert _rfft_rows(x, cols[:, :7].T) is not None and np.isnan(cols[:, 7:]).all()
    np.testing.assert_array_equal(np.ascontiguousarray(cols[:, :7].T).view(np.uint32), want.view(np.uint32))
    # The long spectra of a mono stream: |rfft(frame * window)| * 2 / sum(window).
    fe = FrontEnd()
    y = (rng.standard_normal(3 * fe.n_fft_long) * 0.1).astype(np.float32)
    spec = fe.process(y).spectrum
    win = np.hanning(fe.n_fft_long + 1)[:-1]
    frames = np.stack([y[i : i + fe.n_fft_long] for i in range(0, y.size - fe.n_fft_long + 1, fe.hop_length_long)])
    want = np.abs(scipy.fft.rfft(frames * win.astype(np.float32), axis=-1)) * (2.0 / win.sum())
    np.testing.assert_array_equal(spec, want.T)


def test_identical_ears_are_transformed_once_with_the_same_bits(rng, monkeypatch):
    """A mono recording stored as stereo (the left ear's spectra copied) gives the bits of two transforms."""
    import resonance.hearing.frontend as frontend

    y = (rng.standard_normal(MODEL_SR) * 0.1).astype(np.float32)
    z = np.stack([y, y])
    z[1, 9000:13000] *= 0.5  # the ears differ for a while, then are identical again
    blocks = [z[:, i : i + 3001] for i in range(0, z.shape[1], 3001)]

    def run():
        fe = FrontEnd()
        return [fe.process(b) for b in blocks]

    fast = run()
    same = frontend._same
    seen = []
    monkeypatch.setattr(frontend, "_same", lambda a, b: seen.append(1) and False)
    slow = run()
    assert len(seen) == len(blocks)  # the slow run transformed both ears of every block
    for name in ("level_db", "onset", "envelope", "flux_db", "binaural", "binaural_onset", "spectrum"):
        got = np.concatenate([getattr(p, name) for p in fast], axis=1)
        np.testing.assert_array_equal(got, np.concatenate([getattr(p, name) for p in slow], axis=1), err_msg=name)
    assert same(y, y.copy()) and not same(y, z[1]) and not same(y, y[:-1])
