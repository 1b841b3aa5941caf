"""Tests of stimgen.mastering (loudness, true peak, fades, limiter, master) and stimgen.io (tracks)."""

from __future__ import annotations

import json

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from scipy.signal import lfilter, resample_poly

from stimgen.errors import ParameterError
from stimgen.io import read_sidecar, write_track
from stimgen.mastering import (
    fade,
    integrated_loudness_lufs,
    limit_true_peak,
    limiter_gain,
    master,
    true_peak_dbtp,
)

__all__ = []

SR = 48000
DURATION_S = 6.0
LOUDNESS_TOL_LU = 0.5
TRUE_PEAK_TOL_DB = 0.2
# An independent check at 8x may read a hair above the limiter's own
# verification only through floating-point rounding.
PEAK_ROUNDING_DB = 1e-6


@pytest.fixture
def rng():
    return np.random.default_rng(20240501)


def pink_noise(rng, *, sr=SR, duration_s=DURATION_S, rms=0.05):
    """Stereo pink-ish noise: white noise through Kellet's 3-pole 1/f filter."""
    white = rng.standard_normal((2, int(duration_s * sr)))
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1.0, -2.494956002, 2.017265875, -0.522189400]
    y = lfilter(b, a, white, axis=-1)
    return y * (rms / y.std())


def drums(rng, *, sr=SR, duration_s=DURATION_S, level=0.3):
    """Stereo drum-like signal: pitched-down sine kicks alternating with noise snares, 240 bpm eighths."""
    n = int(duration_s * sr)
    y = np.zeros(n)
    m = int(0.15 * sr)
    t = np.arange(m) / sr
    kick = np.sin(2 * np.pi * (55 * t + 95 * 0.02 * (1 - np.exp(-t / 0.02)))) * np.exp(-t / 0.05)
    snare = rng.standard_normal(m) * np.exp(-t / 0.02)
    for i, start in enumerate(range(0, n - m, sr // 4)):
        y[start:start + m] += kick if i % 2 == 0 else 0.6 * snare
    return level * np.stack([y, np.roll(y, 30)])


def pyloudnorm_lufs(y, sr=SR):
    return pyloudnorm.Meter(sr).integrated_loudness(np.ascontiguousarray(y.T))


def peak_8x_dbtp(y):
    up = resample_poly(np.atleast_2d(y), 8, 1, axis=-1)
    return 20 * np.log10(max(np.abs(up).max(), np.abs(y).max()))


# ----------------------------------------------------------------------------- measurements


def test_loudness_matches_pyloudnorm_and_sine_reference(rng):
    y = pink_noise(rng)
    assert integrated_loudness_lufs(y, sr=SR) == pytest.approx(pyloudnorm_lufs(y), abs=1e-9)
    # BS.1770-4: a 1 kHz sine of amplitude 0.1 (-20 dBFS peak, -23 dB mean square) reads -23 LUFS
    # in one channel (K-weighting gain +0.691 dB at 1 kHz cancels the -0.691 offset), -20 in two.
    t = np.arange(5 * SR) / SR
    sine = 0.1 * np.sin(2 * np.pi * 1000 * t)
    assert integrated_loudness_lufs(sine, sr=SR) == pytest.approx(-23.0, abs=0.1)
    assert integrated_loudness_lufs(np.stack([sine, sine]), sr=SR) == pytest.approx(-20.0, abs=0.1)


def test_loudness_of_silence_is_minus_inf_and_short_signal_refused():
    assert integrated_loudness_lufs(np.zeros((2, SR)), sr=SR) == -np.inf
    with pytest.raises(ParameterError, match=r"y lasts 0\.3 s.*0\.4 s"):
        integrated_loudness_lufs(np.ones(int(0.3 * SR)) * 0.1, sr=SR)


def test_true_peak_sees_inter_sample_peak():
    n = np.arange(2 * SR)
    y = fade(np.sin(np.pi / 2 * n + np.pi / 4), sr=SR, fade_in_s=0.01, fade_out_s=0.01)
    sample_peak_db = 20 * np.log10(np.abs(y).max())
    assert sample_peak_db == pytest.approx(-3.01, abs=0.01)
    assert true_peak_dbtp(y, sr=SR, oversample=1) == pytest.approx(sample_peak_db, abs=1e-12)
    assert true_peak_dbtp(y, sr=SR) == pytest.approx(0.0, abs=TRUE_PEAK_TOL_DB)
    assert true_peak_dbtp(np.stack([0.5 * y, y]), sr=SR) == pytest.approx(true_peak_dbtp(y, sr=SR), abs=1e-12)


def test_true_peak_of_block_boundaries_matches_whole_signal(rng):
    # Longer than one detector block (65536 samples), so the block stitching is exercised.
    y = pink_noise(rng, duration_s=3.0)
    whole = 20 * np.log10(np.abs(resample_poly(y, 4, 1, axis=-1)).max())
    assert true_peak_dbtp(y, sr=SR) == pytest.approx(max(whole, 20 * np.log10(np.abs(y).max())), abs=1e-9)


# ----------------------------------------------------------------------------- fades and limiter


def test_fade_starts_and_ends_at_zero_and_is_raised_cosine():
    y = np.ones((2, SR))
    out = fade(y, sr=SR, fade_in_s=0.1, fade_out_s=0.2)
    assert out.shape == y.shape
    assert np.all(out[:, 0] == 0.0) and np.all(out[:, -1] == 0.0)
    assert np.all(out[:, 4800:-9600] == 1.0)
    assert out[0, 2400] == pytest.approx(0.5, abs=1e-12)
    assert np.all(np.diff(out[0, :4800]) >= 0) and np.all(np.diff(out[0, -9600:]) <= 0)
    # Fades longer than the signal are clipped to half of it each.
    short = fade(np.ones(1000), sr=SR, fade_in_s=10.0, fade_out_s=10.0)
    assert short[0] == 0.0 and short[-1] == 0.0 and short[500] == pytest.approx(1.0, abs=1e-4)
    assert np.all(y == 1.0)  # input untouched


def test_limiter_holds_true_peak_with_smooth_gain(rng):
    y = 4.0 * drums(rng)  # peaks far above full scale
    gain = limiter_gain(y, sr=SR, ceiling_dbtp=-1.0)
    out = limit_true_peak(y, sr=SR, ceiling_dbtp=-1.0)
    assert np.array_equal(out, y * gain)
    assert true_peak_dbtp(out, sr=SR) <= -1.0
    assert peak_8x_dbtp(out) <= -1.0 + PEAK_ROUNDING_DB
    assert gain.min() < 10 ** (-6 / 20)  # it did limit hard
    # No clicks: the gain moves by less than 0.01 per sample (a step of 0.5 over one sample
    # would be a click) and its second difference is small as well.
    assert np.abs(np.diff(gain)).max() < 0.01
    assert np.abs(np.diff(gain, 2)).max() < 1e-3


def test_limiter_leaves_quiet_signal_unchanged(rng):
    y = pink_noise(rng, rms=0.01)
    assert np.array_equal(limit_true_peak(y, sr=SR, ceiling_dbtp=-1.0), y)


# ----------------------------------------------------------------------------- master


@pytest.mark.parametrize("kind", ["pink", "drums"])
@pytest.mark.parametrize("target_lufs", [-20.0, -23.0])
def test_master_reaches_target_under_ceiling(rng, kind, target_lufs):
    y = pink_noise(rng) if kind == "pink" else drums(rng)
    # -3 dBTP forces the limiter on the drums at -20 LUFS.
    out, report = master(y, sr=SR, target_lufs=target_lufs, ceiling_dbtp=-3.0)
    measured = pyloudnorm_lufs(out)
    assert abs(measured - target_lufs) <= LOUDNESS_TOL_LU
    assert report["loudness_lufs"] == pytest.approx(measured, abs=1e-9)
    assert report["target_reached"] is True
    assert true_peak_dbtp(out, sr=SR) <= -3.0
    assert report["true_peak_dbtp"] <= -3.0
    assert peak_8x_dbtp(out) <= -3.0 + PEAK_ROUNDING_DB
    assert np.all(out[:, 0] == 0.0) and np.all(out[:, -1] == 0.0)


def test_master_drums_at_minus_20_are_limited(rng):
    out, report = master(drums(rng), sr=SR, target_lufs=-20.0, ceiling_dbtp=-3.0)
    assert report["limited"] is True and report["max_gain_reduction_db"] > 0.5


def test_master_raises_quiet_and_lowers_loud_input(rng):
    quiet = pink_noise(rng, rms=0.002)
    loud = pink_noise(rng, rms=0.5)
    assert integrated_loudness_lufs(quiet, sr=SR) < -40 and integrated_loudness_lufs(loud, sr=SR) > -10
    out_q, rep_q = master(quiet, sr=SR, target_lufs=-23.0)
    out_l, rep_l = master(np.clip(loud, -1, 1), sr=SR, target_lufs=-23.0)
    assert rep_q["gain_db"] > 15 and rep_l["gain_db"] < -10
    for out in (out_q, out_l):
        assert abs(pyloudnorm_lufs(out) + 23.0) <= LOUDNESS_TOL_LU
        assert true_peak_dbtp(out, sr=SR) <= -1.0


def test_master_peaky_material_stays_below_target_and_says_so(rng):
    out, report = master(drums(rng), sr=SR, target_lufs=-10.0, ceiling_dbtp=-6.0)
    assert report["target_reached"] is False
    assert "too peaky" in report["message"]
    assert pyloudnorm_lufs(out) < -10.0 - LOUDNESS_TOL_LU
    assert true_peak_dbtp(out, sr=SR) <= -6.0 and peak_8x_dbtp(out) <= -6.0 + PEAK_ROUNDING_DB


def test_master_is_deterministic_and_keeps_shape(rng):
    y = drums(rng)
    out1, rep1 = master(y, sr=SR)
    out2, rep2 = master(y.copy(), sr=SR)
    assert out1.tobytes() == out2.tobytes() and rep1 == rep2
    mono, _ = master(y[0], sr=SR)
    assert mono.shape == y[0].shape


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"target_lufs": -5.0}, r"target_lufs=-5 must be a finite number in \[-40, -10\]"),
        ({"target_lufs": -50.0}, r"target_lufs=-50 .*\[-40, -10\]"),
        ({"ceiling_dbtp": 1.0}, r"ceiling_dbtp=1 .*\[-20, 0\]"),
        ({"fade_in_s": -1.0}, r"fade_in_s=-1 .*>= 0"),
        ({"sr": 0}, r"sr=0"),
    ],
)
def test_master_refuses_bad_arguments(rng, kwargs, pattern):
    args = {"sr": SR} | kwargs
    with pytest.raises(ParameterError, match=pattern):
        master(pink_noise(rng, duration_s=1.0), **args)


def test_master_refuses_silent_empty_and_nan_input():
    with pytest.raises(ParameterError, match="silent"):
        master(np.zeros((2, SR)), sr=SR)
    with pytest.raises(ParameterError, match=r"y has shape \(2, 0\); it must hold at least one sample"):
        master(np.zeros((2, 0)), sr=SR)
    bad = np.full((2, SR), 0.1)
    bad[0, 10] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        master(bad, sr=SR)
    with pytest.raises(ParameterError, match="1 or 2 channels"):
        master(np.full((3, SR), 0.1), sr=SR)


# ----------------------------------------------------------------------------- write_track


def test_write_track_flac_24_bit_round_trip(rng, tmp_path):
    y, report = master(pink_noise(rng, duration_s=2.0), sr=SR, fade_in_s=0.1, fade_out_s=0.1)
    path = tmp_path / "track.flac"
    assert write_track(path, y, sr=SR, bit_depth=24, sidecar={"mastering": report, "preset": "calm"}) == path
    info = sf.info(str(path))
    assert (info.samplerate, info.channels, info.subtype, info.format) == (SR, 2, "PCM_24", "FLAC")
    back, sr = sf.read(str(path), dtype="float64", always_2d=True)
    assert sr == SR and back.T.shape == y.shape
    assert np.abs(back.T - y).max() <= 2.0 ** -23  # one 24-bit step
    side = read_sidecar(path)
    assert side["preset"] == "calm" and side["mastering"]["target_lufs"] == -20.0
    assert side["audio"] == {"file": "track.flac", "sr": SR, "bit_depth": 24, "n_channels": 2,
                             "n_samples": y.shape[1], "duration_s": y.shape[1] / SR}
    text = (tmp_path / "track.json").read_text()
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["track.flac", "track.json"]


def test_write_track_wav_16_bit(tmp_path):
    write_track(tmp_path / "t.WAV", np.zeros((2, 441)), sr=44100)
    assert sf.info(str(tmp_path / "t.WAV")).subtype == "PCM_16"
    assert read_sidecar(tmp_path / "t.WAV")["audio"]["bit_depth"] == 16


@pytest.mark.parametrize(
    ("name", "y", "kwargs", "pattern"),
    [
        ("m.wav", np.zeros(100), {}, r"shape \(100,\).*stereo"),
        ("s.wav", np.zeros((2, 100)), {"sr": 22050}, r"sr=22050 .*44100, 48000"),
        ("b.flac", np.zeros((2, 100)), {"bit_depth": 8}, r"bit_depth=8 .*16, 24"),
        ("x.mp3", np.zeros((2, 100)), {}, r"'\.mp3'.*\.wav or \.flac"),
        ("p.wav", np.full((2, 100), 1.5), {}, r"\|y\|=1\.5"),
        ("j.wav", np.zeros((2, 100)), {"sidecar": {"x": float("nan")}}, r"sidecar cannot be written as JSON"),
        ("a.wav", np.zeros((2, 100)), {"sidecar": {"audio": 1}}, r"sidecar key 'audio' is reserved"),
    ],
)
def test_write_track_refuses_and_leaves_nothing(tmp_path, name, y, kwargs, pattern):
    args = {"sr": SR} | kwargs
    with pytest.raises(ParameterError, match=pattern):
        write_track(tmp_path / name, y, **args)
    assert list(tmp_path.iterdir()) == []


def test_write_track_failure_keeps_existing_files(tmp_path):
    path = tmp_path / "keep.wav"
    good = 0.25 * np.ones((2, 480))
    write_track(path, good, sr=SR, sidecar={"version": 1})
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    bad = good.copy()
    bad[1, 7] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        write_track(path, bad, sr=SR, sidecar={"version": 2})
    # A sidecar JSON cannot hold is refused before either file is touched.
    with pytest.raises(ParameterError, match="JSON"):
        write_track(path, 0.5 * good, sr=SR, sidecar={"version": object()})
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_read_sidecar_missing(tmp_path):
    with pytest.raises(ParameterError, match=r"sidecar '.*nothing\.json' cannot be read"):
        read_sidecar(tmp_path / "nothing.wav")


# ----------------------------------------------------------------------------- streaming


def test_k_weighting_is_bs1770s_at_48k_and_loudness_matches_pyloudnorm_at_44k(rng):
    from stimgen.mastering import k_weighting_sos

    sos = k_weighting_sos(48000)
    # ITU-R BS.1770-4, Annex 1, Tables 1 and 2 (48 kHz): shelf b and a, high-pass a.
    np.testing.assert_allclose(sos[0], [1.53512485958697, -2.69169618940638, 1.19839281085285,
                                        1.0, -1.69065929318241, 0.73248077421585], atol=2e-4)
    np.testing.assert_allclose(sos[1, 3:], [1.0, -1.99004745483398, 0.99007225036621], atol=1e-4)
    y = pink_noise(rng, sr=44100) * np.linspace(0.2, 1.0, int(DURATION_S * 44100))
    assert integrated_loudness_lufs(y, sr=44100) == pytest.approx(pyloudnorm_lufs(y, sr=44100), abs=0.01)


def test_meters_fed_in_pieces_equal_the_whole(rng):
    from stimgen.mastering import LoudnessMeter, TruePeakMeter

    y = drums(rng)
    loud = LoudnessMeter(sr=SR, n_channels=2)
    peak = TruePeakMeter()
    for a in range(0, y.shape[1], 7001):
        loud.process(y[:, a:a + 7001])
        peak.process(y[:, a:a + 7001])
    assert loud.loudness_lufs() == pytest.approx(integrated_loudness_lufs(y, sr=SR), abs=1e-9)
    whole = max(true_peak_dbtp(y, sr=SR, oversample=4), true_peak_dbtp(y, sr=SR, oversample=8))
    assert 20 * np.log10(peak.finish()) == pytest.approx(whole, abs=1e-12)


@pytest.mark.parametrize("n_channels", [1, 2])
def test_segment_sums_are_the_bits_of_reduceat_of_the_squares(rng, n_channels):
    """KWeighting.segment_sums (squares summed down the interleaved view) equals reduceat of squares(), bit for bit."""
    from stimgen.mastering.loudness import KWeighting

    y = 0.3 * rng.standard_normal((n_channels, 4410 * 9 + 123))
    ours, plain = KWeighting(sr=SR, n_channels=n_channels), KWeighting(sr=SR, n_channels=n_channels)
    for a, b in ((0, 20001), (20001, y.shape[1])):  # the state carries across calls
        x = y[:, a:b]
        starts = [0, 17, 4410, 4411, 5000, *range(8820, x.shape[1], 4410)]
        starts = sorted(k for k in set(starts) if k < x.shape[1])
        np.testing.assert_array_equal(ours.segment_sums(x, starts), np.add.reduceat(plain.squares(x), starts, axis=-1))
    np.testing.assert_array_equal(ours.squares(y[:, :999]), plain.squares(y[:, :999]))  # squares() still works after


def test_stream_master_output_does_not_depend_on_the_sections_and_keeps_the_ceiling(rng):
    from stimgen.mastering import plan_master

    y = drums(rng, duration_s=10.0, level=0.9)
    kwargs = dict(sr=SR, n_frames=y.shape[1], target_lufs=-14.0, ceiling_dbtp=-1.0, fade_in_s=0.5, fade_out_s=0.5)
    outs = []
    for size in (y.shape[1], 12345, 48000):
        def sections(size=size):
            return (y[:, a:a + size] for a in range(0, y.shape[1], size))

        m = plan_master(sections, **kwargs)
        outs.append(np.concatenate(list(m.apply(sections())), axis=1))
        assert m.report["limited"] and abs(m.report["loudness_lufs"] + 14.0) <= LOUDNESS_TOL_LU
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])
    assert abs(pyloudnorm_lufs(outs[0]) + 14.0) <= LOUDNESS_TOL_LU
    # block_peak: each block's exact sample peak while it is out, or None where the limiter changed it.
    quiet = 0.01 * rng.standard_normal(y.shape)  # gained to -30 LUFS: far under the ceiling, never limited
    for x, target, limited in ((y, -14.0, True), (quiet, -30.0, False)):
        m = plan_master(lambda x=x: [x], **{**kwargs, "target_lufs": target})
        peaks = [(m.block_peak, float(np.max(np.abs(block)))) for block in m.apply([x[:, :100000], x[:, 100000:]])]
        assert len(peaks) > 2 and all((p is None) == limited for p, _ in peaks)
        assert all(p == exact for p, exact in peaks if p is not None)
    assert true_peak_dbtp(outs[0], sr=SR, oversample=4) <= -1.0
    assert peak_8x_dbtp(outs[0]) <= -1.0 + PEAK_ROUNDING_DB


def test_peak_of_product_and_block_peaks_equal_the_whole_signal_references(rng):
    """The limiter's verification (the product formed on candidate spans only) is resample_poly's true peak,
    and the block peaks and survey see the same samples as the per-sample envelope."""
    from stimgen.mastering.truepeak import _block_peaks, _peak_of_product, _sample_envelope
    from stimgen.mastering.master import _survey_peak

    y = drums(rng, duration_s=2.0, level=0.9)[:, :95_999]  # not a whole number of 64-sample blocks
    gain = np.clip(np.linspace(1.4, 0.6, y.shape[1]), None, 1.0)  # >= 0, 1 at the start
    product = y * gain
    whole = max(np.abs(resample_poly(product, f, 1, axis=-1)).max() for f in (4, 8))
    whole = max(whole, np.abs(product).max())
    assert _peak_of_product(y, gain, 0.0) == pytest.approx(whole, rel=1e-12)
    # Above the threshold the value is exact; below it, it is only known not to exceed the threshold.
    assert _peak_of_product(y, gain, 0.5 * whole) == pytest.approx(whole, rel=1e-12)
    assert _peak_of_product(y, gain, 2.0 * whole) <= 2.0 * whole
    env = _sample_envelope(y)
    n_blocks = -(-y.shape[1] // 64)
    padded = np.zeros(n_blocks * 64)
    padded[:env.size] = env
    np.testing.assert_array_equal(_block_peaks(y), padded.reshape(n_blocks, 64).max(axis=1))
    # At most 8 stretches of 64 samples: the survey interpolates all of them, with the neighbours as context.
    a, m = 13_750, 64  # a snare: both the tail and the head change the interpolated values at the edges
    tail, part, head = y[:, a - 10:a], y[:, a:a + m], y[:, a + m:a + m + 10]
    ref = max(np.abs(resample_poly(y, f, 1, axis=-1)[:, f * a:f * (a + m)]).max() for f in (4, 8))
    assert _survey_peak(tail, part, head) == pytest.approx(max(ref, np.abs(part).max()), rel=1e-12)
    none = np.zeros((2, 0))  # no context: zeros, as at the ends of a signal
    ref = max(np.abs(resample_poly(part, f, 1, axis=-1)).max() for f in (4, 8))
    assert _survey_peak(none, part, none) == pytest.approx(max(ref, np.abs(part).max()), rel=1e-12)
    # Inside a longer block: the 8 loudest stretches (here 5 to 12 of 20) are interpolated, with their neighbours.
    quiet = 0.01 * rng.standard_normal((2, 20 * 64))
    quiet[:, 5 * 64:13 * 64] = 0.9 * rng.standard_normal((2, 8 * 64))
    ref = max(np.abs(resample_poly(quiet, f, 1, axis=-1)[:, f * 5 * 64:f * 13 * 64]).max() for f in (4, 8))
    assert _survey_peak(none, quiet, none) == pytest.approx(max(ref, np.abs(quiet).max()), rel=1e-12)
