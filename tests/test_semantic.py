"""Tests of the innate speech detector (resonance.expectation.semantic).

Speech comes from espeak-ng (several voices, languages and rates), also as it
would be recorded: phrases with pauses, in a reverberant room with background
noise.  Music is synthesised here with numpy (drums, pads, a melody, a piano,
clicks, noise, mixes).  None of
this material was used to set the detector's fixed weights.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings

import librosa
import numpy as np
import pytest
import soundfile as sf
from scipy.signal import butter, fftconvolve, sosfilt

from resonance.errors import ParameterError
from resonance.expectation.semantic import WEIGHTS, SpeechDetector, speech_probability

SR = 22050
N_FFT = 4096
HOP = 2048
DURATION_S = 10.0

HAVE_ESPEAK = shutil.which("espeak-ng") is not None
needs_espeak = pytest.mark.skipif(not HAVE_ESPEAK, reason="espeak-ng is not installed; no speech to test on")

# (voice, words per minute, text)
SPEECH_CASES = [
    ("en-us", 140, "Please call Stella and ask her to bring these things with her from the store: "
                   "six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack."),
    ("en-gb", 170, "The library closes early on Sundays, so we should leave before four o'clock "
                   "if we want to return the books and still catch the last train home."),
    ("en-us+f3", 150, "My sister told me that the garden behind the old school is full of roses "
                      "in June, and that children play there every afternoon."),
    ("de", 160, "Der Zug nach Hamburg hat heute leider zwanzig Minuten Verspätung, "
                "deshalb trinken wir noch einen Kaffee am Bahnhof."),
    ("fr", 130, "Le marché du samedi matin est plein de couleurs, on y trouve des fromages, "
                "des fleurs et du pain encore chaud."),
    ("es", 180, "Mañana por la tarde vamos a visitar a mis abuelos en el pueblo, "
                "y después cenaremos todos juntos en la plaza."),
]


def _stft(y: np.ndarray) -> np.ndarray:
    return np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, center=False, window="hann"))


def _rms(y: np.ndarray) -> float:
    return float(np.sqrt(np.mean(y**2)))


def _speak(voice: str, wpm: int, text: str, path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(path), text], check=True,
                   capture_output=True)
    y, sr = sf.read(path, dtype="float64")
    if y.ndim > 1:
        y = y.mean(axis=1)
    y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    return 0.1 * y / _rms(y)


# -- synthetic music -------------------------------------------------------------
def _harmonic_tone(f0_hz, duration_s, *, n_harmonics=10, rolloff=0.7, vibrato_hz=0.0, vibrato_cents=0.0):
    t = np.arange(int(duration_s * SR)) / SR
    f = f0_hz * 2.0 ** (vibrato_cents / 1200.0 * np.sin(2 * np.pi * vibrato_hz * t))
    phase = 2 * np.pi * np.cumsum(f) / SR
    y = sum(rolloff ** (k - 1) * np.sin(k * phase) for k in range(1, n_harmonics + 1) if k * f0_hz < SR / 2.5)
    ramp = np.minimum(1.0, np.minimum(t, duration_s - t) / 0.02)
    return y * ramp


def _midi_hz(m):
    return 440.0 * 2.0 ** ((m - 69) / 12.0)


def _place(out, seg, start_s, gain=1.0):
    s = int(start_s * SR)
    if s >= out.size:
        return
    e = min(out.size, s + seg.size)
    out[s:e] += gain * seg[: e - s]


def drum_groove(rng, *, bpm, duration_s=DURATION_S):
    """Kick (decaying 150->60 Hz sine sweep), snare (noise + 200 Hz), hats."""
    y = np.zeros(int(duration_s * SR))
    t = np.arange(int(0.35 * SR)) / SR
    kick = np.sin(2 * np.pi * np.cumsum(60 + 90 * np.exp(-t / 0.04)) / SR) * np.exp(-t / 0.12)
    snare = (0.7 * rng.standard_normal(t.size) + 0.5 * np.sin(2 * np.pi * 200 * t)) * np.exp(-t / 0.07)
    hat = sosfilt(butter(4, 7000, btype="highpass", fs=SR, output="sos"), rng.standard_normal(t.size))
    hat = hat / np.abs(hat).max() * np.exp(-t / 0.025)
    eighth_s = 30.0 / bpm
    for i in range(int(duration_s / eighth_s)):
        _place(y, hat, i * eighth_s, 0.4 + 0.2 * (i % 2 == 0))
        if i % 8 in (0, 3, 5):
            _place(y, kick, i * eighth_s, 1.0)
        if i % 4 == 2:
            _place(y, snare, i * eighth_s, 0.8)
    return y


def chord_pad(rng, *, duration_s=DURATION_S):
    """Triads of harmonic tones, each held 0.5-2 s."""
    chords = [(48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50), (50, 53, 57)]
    y = np.zeros(int(duration_s * SR))
    t0 = 0.0
    while t0 < duration_s:
        hold = float(rng.choice([0.5, 1.0, 1.5, 2.0]))
        chord = chords[rng.integers(len(chords))]
        _place(y, sum(_harmonic_tone(_midi_hz(m), hold, n_harmonics=12, rolloff=0.8) for m in chord), t0)
        t0 += hold
    return y


def melody(rng, *, duration_s=DURATION_S, notes_per_s=4.0):
    """Harmonic tones with steady pitch (plus 5.5 Hz vibrato), 4 notes per second."""
    scale = [0, 2, 4, 5, 7, 9, 11, 12]
    y = np.zeros(int(duration_s * SR))
    dur = 1.0 / notes_per_s
    for i in range(int(duration_s * notes_per_s)):
        f = _midi_hz(55 + scale[rng.integers(len(scale))])
        _place(y, _harmonic_tone(f, dur, n_harmonics=8, rolloff=0.6, vibrato_hz=5.5, vibrato_cents=30), i * dur)
    return y


def piano(rng, *, duration_s=DURATION_S, notes_per_s=3.0):
    """Struck, decaying harmonic tones (two voices), like a piano."""
    y = np.zeros(int(duration_s * SR))
    t = np.arange(int(0.9 * SR)) / SR
    for i in range(int(duration_s * notes_per_s)):
        for m in (60 + int(rng.integers(0, 12)), 48 + int(rng.integers(0, 12))):
            tone = _harmonic_tone(_midi_hz(m), 0.9, n_harmonics=10, rolloff=0.65) * np.exp(-t / 0.3)
            _place(y, tone, i / notes_per_s)
    return y


def click_track(*, bpm=120, duration_s=DURATION_S):
    """A 1 ms click per beat."""
    y = np.zeros(int(duration_s * SR))
    y[(np.arange(0, duration_s, 60.0 / bpm) * SR).astype(int)] = 1.0
    return y


def _norm(y):
    return 0.1 * y / _rms(y)


@pytest.fixture(scope="module")
def music():
    rng = np.random.default_rng(20240611)
    return {
        "drums 100 BPM": _norm(drum_groove(rng, bpm=100)),
        "drums 128 BPM": _norm(drum_groove(rng, bpm=128)),
        "chord pad": _norm(chord_pad(rng)),
        "melody 4 notes/s": _norm(melody(rng)),
        "white noise": 0.1 * rng.standard_normal(int(DURATION_S * SR)),
        "drums 115 BPM + pad": _norm(_norm(drum_groove(rng, bpm=115)) + _norm(chord_pad(rng))),
        "piano": _norm(piano(rng)),
        "click track 120 BPM": _norm(click_track()),
        "melody + drums + pad": _norm(_norm(melody(rng)) + 0.5 * _norm(drum_groove(rng, bpm=96))
                                      + 0.5 * _norm(chord_pad(rng))),
    }


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    if not HAVE_ESPEAK:
        pytest.skip("espeak-ng is not installed; no speech to test on")
    d = tmp_path_factory.mktemp("speech")
    return {f"{v} {wpm} wpm": _speak(v, wpm, text, d / f"{i}.wav") for i, (v, wpm, text) in enumerate(SPEECH_CASES)}


# -- speech as recorded: other voices, pauses, a room, background noise ------------
# (voice, words per minute, T60 of the room (s), SNR of the background noise (dB))
ROOM_CASES = [("en+m3", 150, 0.5, 20.0), ("en+f2", 175, 0.8, 15.0), ("de", 140, 0.6, 10.0),
              ("fr+m1", 190, 0.7, 12.0)]
PHRASES = ["Turn left at the second light.", "Then keep going until you see the bakery.",
           "The station is just behind it, on the right."]


def _room(y, rng, t60_s):
    """Convolve with an exponentially decaying noise impulse response (60 dB decay in ``t60_s``)."""
    t = np.arange(int(t60_s * SR)) / SR
    h = rng.standard_normal(t.size) * 10.0 ** (-3.0 * t / t60_s)
    h[0] = 3.0 * np.sqrt(np.sum(h**2))  # direct sound
    return fftconvolve(y, h / np.sqrt(np.sum(h**2)))[: y.size]


def _background(y, rng, snr_db):
    """Add low-pass (room-like, -6 dB/octave above 170 Hz) noise at ``snr_db``."""
    n = sosfilt(butter(1, 170.0, fs=SR, output="sos"), rng.standard_normal(y.size))
    return y + n * _rms(y) / _rms(n) * 10.0 ** (-snr_db / 20.0)


@pytest.fixture(scope="module")
def room_speech(tmp_path_factory):
    """Phrases separated by 0.4-0.9 s pauses, in a reverberant room with background noise."""
    if not HAVE_ESPEAK:
        pytest.skip("espeak-ng is not installed; no speech to test on")
    d = tmp_path_factory.mktemp("room")
    rng = np.random.default_rng(7)
    out = {}
    for i, (voice, wpm, t60_s, snr_db) in enumerate(ROOM_CASES):
        parts = []
        for j, text in enumerate(PHRASES):
            parts += [_speak(voice, wpm, text, d / f"{i}_{j}.wav"), np.zeros(int(rng.uniform(0.4, 0.9) * SR))]
        y = _background(_room(np.concatenate(parts), rng, t60_s), rng, snr_db)
        out[f"{voice} {wpm} wpm, T60 {t60_s:g} s, SNR {snr_db:g} dB"] = _norm(y)
    return out


def _mean_p(y):
    return float(SpeechDetector().process(_stft(y)).mean())


# -- discrimination ---------------------------------------------------------------
@needs_espeak
def test_every_speech_example_beats_every_music_example(speech, music):
    p_speech = {k: _mean_p(y) for k, y in speech.items()}
    p_music = {k: _mean_p(y) for k, y in music.items()}
    table = "\n".join(f"  {k:24s} {v:.3f}" for k, v in {**p_speech, **p_music}.items())
    print("\nmean speech probability\n" + table)
    margin = min(p_speech.values()) - max(p_music.values())
    assert margin > 0.4, f"speech/music margin {margin:.3f} too small:\n{table}"
    assert min(p_speech.values()) > 0.5, table
    assert max(p_music.values()) < 0.3, table


@needs_espeak
def test_speech_in_a_noisy_room_beats_every_music_example(room_speech, music):
    """Other voices and rates, pauses, reverberation and noise do not undo the detection."""
    p_room = {k: _mean_p(y) for k, y in room_speech.items()}
    p_music = {k: _mean_p(y) for k, y in music.items()}
    table = "\n".join(f"  {k:40s} {v:.3f}" for k, v in {**p_room, **p_music}.items())
    print("\nmean speech probability\n" + table)
    assert min(p_room.values()) > 0.6, table
    assert max(p_music.values()) < 0.3, table


@needs_espeak
def test_hangover_bridges_pauses_and_then_lets_go(speech):
    """A 0.4 s pause between phrases stays speech; 4 s after speech ends, silence is 0."""
    y = speech["en-us 140 wpm"][: 4 * SR]
    gap, tail = np.zeros(int(0.4 * SR)), np.zeros(4 * SR)
    p = SpeechDetector().process(_stft(np.concatenate([y, gap, y, tail])))
    t_s = (np.arange(p.size) * HOP + N_FFT / 2) / SR
    in_gap = (t_s > 4.0 + N_FFT / SR / 2) & (t_s < 4.4 - N_FFT / SR / 2)
    assert in_gap.any() and p[in_gap].min() > 0.5, p[in_gap]
    np.testing.assert_array_equal(p[t_s > 8.4 + 3.0], 0.0)
    off = SpeechDetector(hangover_s=0.0).process(_stft(np.concatenate([y, gap, y, tail])))
    assert np.all(p >= off) and np.any(p > off)


@needs_espeak
def test_speech_under_music_is_less_speechlike_than_clean(speech, music):
    bed = music["drums 115 BPM + pad"]
    for name, y in list(speech.items())[:3]:
        n = min(y.size, bed.size)
        mix = bed[:n] + 10.0 ** (-20 / 20) * y[:n]
        p_clean, p_mix = _mean_p(y[:n]), _mean_p(mix)
        assert p_mix < p_clean - 0.4, f"{name}: clean {p_clean:.3f}, -20 dB under music {p_mix:.3f}"
        assert p_mix < 0.3


@needs_espeak
def test_speech_probability_rises_with_speech_level(speech, music):
    bed = music["drums 115 BPM + pad"]
    y = speech["en-us 140 wpm"]
    n = min(y.size, bed.size)
    p = [_mean_p(bed[:n] + 10.0 ** (db / 20) * y[:n]) for db in (-20, 0, 20)]
    assert p[0] < p[1] < p[2], p


@needs_espeak
def test_independent_of_input_gain(speech):
    y = speech["de 160 wpm"]
    p1 = SpeechDetector().process(_stft(y))
    p2 = SpeechDetector().process(_stft(1e-3 * y))
    np.testing.assert_allclose(p2, p1, rtol=0, atol=1e-9)


# -- streaming contract -------------------------------------------------------------
@needs_espeak
def test_block_splits_give_the_same_output(speech, music):
    rng = np.random.default_rng(3)
    S = np.hstack([_stft(speech["fr 130 wpm"]), _stft(music["drums 100 BPM"])])
    whole = SpeechDetector().process(S)
    det = SpeechDetector()
    parts, i = [], 0
    while i < S.shape[1]:
        n = int(rng.choice([0, 1, 2, 5, 17, 40]))
        parts.append(det.process(S[:, i : i + n]))
        i += n
    split = np.concatenate(parts)
    assert split.shape == whole.shape
    np.testing.assert_allclose(split, whole, rtol=0, atol=1e-12)


def test_reset_forgets_history(music):
    S = _stft(music["melody 4 notes/s"])
    det = SpeechDetector()
    first = det.process(S)
    det.process(_stft(music["drums 128 BPM"]))
    det.reset()
    np.testing.assert_array_equal(det.process(S), first)


@needs_espeak
def test_fixed_detector_with_bounded_history(speech, music):
    """No learning: after window_s + hangover_s of speech, what came before does not matter."""
    S_speech = _stft(speech["es 180 wpm"])
    S_music = _stft(music["chord pad"])
    alone = SpeechDetector().process(S_speech)
    after_music = SpeechDetector().process(np.hstack([S_music, S_music, S_speech]))[2 * S_music.shape[1] :]
    det = SpeechDetector()
    n_hist = int(np.ceil((det.window_s + det.hangover_s) * SR / HOP)) + 1
    np.testing.assert_array_equal(after_music[n_hist:], alone[n_hist:])


def test_weights_are_read_only():
    with pytest.raises(TypeError):
        WEIGHTS["bias"] = 0.0


# -- edge cases ---------------------------------------------------------------------
def test_silence_gives_zero():
    p = SpeechDetector().process(np.zeros((N_FFT // 2 + 1, 50)))
    assert p.shape == (50,)
    np.testing.assert_array_equal(p, 0.0)
    assert speech_probability(np.zeros(3 * SR)).max() == 0.0


def test_output_is_a_probability_per_frame(music):
    y = music["drums 115 BPM + pad"]
    p = speech_probability(y, sr=SR)
    assert p.dtype == np.float64
    assert p.shape == (1 + (y.size - N_FFT) // HOP,)
    assert np.all((p >= 0) & (p <= 1))


def test_empty_block_returns_empty():
    assert SpeechDetector().process(np.zeros((N_FFT // 2 + 1, 0))).shape == (0,)


@pytest.mark.parametrize(
    ("block", "match"),
    [
        (np.full((N_FFT // 2 + 1, 4), np.nan), "NaN"),
        (np.ones(N_FFT // 2 + 1), "2-D"),
        (np.ones((N_FFT // 2 + 1, 3, 2)), "2-D"),
        (np.ones((1000, 4)), "bins"),
        (-np.ones((N_FFT // 2 + 1, 4)), "negative"),
    ],
)
def test_bad_blocks_raise(block, match):
    with pytest.raises(ParameterError, match=match):
        SpeechDetector().process(block)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"window_s": 0.0}, "window_s="),
        ({"f0_min_hz": 500.0}, "f0_max_hz="),
        ({"sr": 0}, "sr="),
        ({"hop_length": 64}, "hop_length=64"),
        ({"low_energy_ratio": 1.5}, "low_energy_ratio="),
        ({"hangover_s": -0.1}, "hangover_s="),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    det = SpeechDetector(**kwargs)  # stores only
    with pytest.raises(ParameterError, match=match):
        det.process(np.ones((N_FFT // 2 + 1, 2)))


def test_speech_probability_rejects_bad_audio():
    with pytest.raises(ParameterError, match="1-D"):
        speech_probability(np.zeros((2, SR)))
    with pytest.raises(ParameterError, match="NaN"):
        speech_probability(np.full(SR, np.nan))
    with pytest.raises(ParameterError, match="samples"):
        speech_probability(np.zeros(100))


def test_masked_quantile_equals_numpy_nanquantile_row_by_row():
    # The detector's vectorised quantile must give np.nanquantile's values
    # (default 'linear' method) bit for bit: rows of every length, ties, NaNs
    # under the mask, fully masked rows (0) and q at 0, 1 and in between.
    from resonance.expectation.semantic import _masked_quantile

    rng = np.random.default_rng(7)
    for case in range(300):
        n_rows, n_cols = rng.integers(1, 20), rng.integers(1, 40)
        x = rng.standard_normal((n_rows, n_cols)) if case % 2 else rng.integers(-2, 3, (n_rows, n_cols)).astype(float)
        x[rng.uniform(size=x.shape) < 0.05] = np.nan
        mask = rng.uniform(size=x.shape) < rng.uniform()
        q = float(rng.choice([0.0, 0.5, 0.9, 1.0, rng.uniform()]))
        expected = np.zeros(n_rows)
        rows = mask.any(axis=1)
        if rows.any():
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
                expected[rows] = np.nanquantile(np.where(mask[rows], x[rows], np.nan), q, axis=1)
        got = _masked_quantile(x, mask, q)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


def test_isolated_voiced_frames_are_not_a_changing_voice():
    # Pitched hits (a tom, a limited kick) voice single frames between quiet
    # unvoiced ones: loud-and-voiced alternating with quiet-and-unvoiced gives
    # every temporal cue of speech, but no two consecutive voiced frames show
    # a voiced spectrum that keeps changing.  Read as "not steady at all",
    # the missing steadiness opened the gate fully and such windows read as
    # speech (p ~ 0.98) or not, depending on where the hits fell on the hop.
    rng = np.random.default_rng(3)
    freqs = np.arange(N_FFT // 2 + 1) * SR / N_FFT
    comb = np.zeros_like(freqs)
    for k in range(1, 16):  # a 150 Hz harmonic spectrum, one bin wide per partial
        comb[np.argmin(np.abs(freqs - 150.0 * k))] = 0.7 ** (k - 1)
    frames = []
    for i in range(60):
        if i % 2 == 0:
            frames.append(comb * (1.0 + 0.05 * rng.standard_normal()))
        else:
            frames.append(0.02 * np.abs(rng.standard_normal(freqs.size)))
    p = SpeechDetector().process(np.stack(frames, axis=1))
    assert p[25:].max() < 0.1, p.round(2)


def test_frame_measures_equal_a_plain_numpy_reading_with_the_kept_work_space():
    """The kept FFT work space and the in-place power spectrum give the bits of fresh NumPy/SciPy arrays.

    Blocks of several sizes in turn (the work space is reused smaller and
    then grown), one with a silent frame (no comb: its row is left 0), in
    either memory order; the band power is the sum of the band's C-ordered
    copy.
    """
    from scipy.fft import irfft as sp_irfft
    from scipy.fft import next_fast_len as sp_next_fast_len
    from scipy.fft import rfft as sp_rfft
    from scipy.ndimage import uniform_filter1d as sp_uniform_filter1d

    from resonance.expectation.semantic import _RIPPLE_FLOOR

    rng = np.random.default_rng(5)
    det = SpeechDetector()
    det._setup()
    blocks = [rng.random((2049, m)) ** 3 for m in (30, 12, 45)]
    blocks[1][:, 4] = 0.0
    blocks[2] = np.asfortranarray(blocks[2])  # (the front end's layout: frames contiguous)
    prev = None
    for S in blocks:
        power, harm, sim = det._frame_measures(S)
        band = S[det._speech]
        X = np.sqrt(S[det._h_lo : det._h_hi].T)
        energy = np.einsum("tf,tf->t", X, X)
        X = X - sp_uniform_filter1d(X, size=det._smooth_bins, axis=1, mode="nearest")
        n_fft = sp_next_fast_len(2 * X.shape[1], real=True)
        spec = sp_rfft(np.concatenate([X, np.zeros((X.shape[0], n_fft - X.shape[1]))], axis=1), axis=1)
        acf = sp_irfft((spec.real**2 + spec.imag**2).astype(complex), n_fft, axis=1)
        ok = acf[:, 0] > np.maximum(_RIPPLE_FLOOR * energy, 1e-300)
        want_harm = np.zeros(S.shape[1])
        want_harm[ok] = np.clip(acf[ok, det._lag_lo : det._lag_hi + 1].max(axis=1) / acf[ok, 0], 0.0, 1.0)
        norm = np.sqrt(np.einsum("tf,tf->t", X, X))
        Xn = np.zeros_like(X)
        Xn[ok] = X[ok] / norm[ok, None]
        before = np.concatenate([prev[None, :], Xn[:-1]]) if prev is not None else None
        want_sim = np.full(S.shape[1], np.nan)
        if before is None:
            want_sim[1:] = np.einsum("tf,tf->t", Xn[1:], Xn[:-1])
        else:
            want_sim[:] = np.einsum("tf,tf->t", Xn, before)
        prev = Xn[-1]
        assert not ok.all() or S is not blocks[1]
        assert np.array_equal(power, np.einsum("ft,ft->t", band, band))
        assert np.array_equal(harm, want_harm)
        assert np.array_equal(sim, want_sim, equal_nan=True)



def _cues_numpy(det, allm):
    """The cues of :meth:`SpeechDetector._judge` over the windows of the series ``allm`` in NumPy.

    The form the compiled :func:`resonance.expectation.semantic._window_cues` replaces.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    from resonance.expectation.semantic import (
        _HARMONICITY_SPREAD_FLOOR,
        _LEVEL_SPREAD_FLOOR_DB,
        VOICED_HARMONICITY,
        VOICING_QUANTILE,
        _masked_median,
        _masked_quantile,
    )

    W = det._n_win
    # Windows ending at each new frame, (n_new, W), rows contiguous.
    P, H, C = (np.ascontiguousarray(sliding_window_view(m, W)) for m in allm)
    valid = ~np.isnan(P)
    P = np.where(valid, P, 0.0)
    H = np.where(valid, H, 0.0)
    floor = max(float(det.silence_power), 1e-300)
    level = 10.0 * np.log10(np.maximum(P, floor))
    ref = np.max(np.where(valid, level, -np.inf), axis=1, keepdims=True)
    active = valid & (P > det.silence_power) & (level > ref - det.dynamic_range_db)
    n_active = active.sum(axis=1)
    level_f = np.maximum(level, ref - det.dynamic_range_db)  # floored level
    n_valid = valid.sum(axis=1)
    nv = np.maximum(n_valid, 1)

    # voicing: mean harmonicity of the active frames
    mean_h = _masked_quantile(H, active, VOICING_QUANTILE)

    # modulation: median |level change| between consecutive valid frames
    pair = valid[:, 1:] & valid[:, :-1]
    mod = _masked_median(np.abs(np.diff(level_f, axis=1)), pair)

    # low energy: share of valid frames with RMS < ratio * mean RMS
    rms = np.sqrt(P)
    mean_rms = rms.sum(axis=1) / nv
    low = (valid & (rms < det.low_energy_ratio * mean_rms[:, None])).sum(axis=1) / nv

    # coupling: correlation of floored level and harmonicity (valid frames)
    dl = np.where(valid, level_f - (np.where(valid, level_f, 0.0).sum(axis=1) / nv)[:, None], 0.0)
    dh = np.where(valid, H - (H.sum(axis=1) / nv)[:, None], 0.0)
    sd_l = np.maximum(np.sqrt((dl * dl).sum(axis=1) / nv), _LEVEL_SPREAD_FLOOR_DB)
    sd_h = np.maximum(np.sqrt((dh * dh).sum(axis=1) / nv), _HARMONICITY_SPREAD_FLOOR)
    coup = (dl * dh).sum(axis=1) / nv / (sd_l * sd_h)

    # steadiness: median similarity of consecutive voiced frames
    voiced = active & (H >= VOICED_HARMONICITY)
    vpair = voiced[:, 1:] & voiced[:, :-1] & ~np.isnan(C[:, 1:])
    steady = _masked_median(np.where(vpair, C[:, 1:], 0.0), vpair)
    # A window without two consecutive voiced frames shows no voiced
    # spectrum that keeps changing: no evidence for the temporal cues.
    # (Read as 0, "not steady at all", it opened the gate fully, so a
    # drum groove whose pitched hits are voiced in isolated frames read
    # as speech in some windows and not in others, depending on where
    # the hits fell on the 93 ms hop.)
    steady[~vpair.any(axis=1)] = 1.0

    return n_active, mean_h, mod, low, coup, steady


def test_the_compiled_window_cues_equal_the_numpy_form_bit_for_bit(speech, music):
    """Every cue of every window is the NumPy form's, to the bit.

    Real measures of speech, music and speech followed by music (from a
    stimulus's start: missing history, the first frame's similarity
    missing), and synthetic ones with silent, missing and tied frames.
    """
    from resonance.expectation.semantic import (
        _HARMONICITY_SPREAD_FLOOR,
        _LEVEL_SPREAD_FLOOR_DB,
        VOICED_HARMONICITY,
        VOICING_QUANTILE,
        _window_cues,
    )

    det = SpeechDetector()
    det._setup()
    W = det._n_win
    series = []
    clips = [next(iter(speech.values())), music["melody + drums + pad"], music["chord pad"]]
    for y in clips + [np.concatenate(clips[:2])]:
        S = np.abs(librosa.stft(y, n_fft=4096, hop_length=2048, center=False, window="hann"))
        series.append(np.stack(det._frame_measures(S)))
    rng = np.random.default_rng(3)
    synth = np.stack([rng.random(60) ** 4, np.round(rng.random(60), 1), rng.uniform(-1, 1, 60)])
    synth[0, 10:14] = 0.0  # silent frames
    synth[2, 20:23] = np.nan  # no similarity
    series.append(synth)
    n_steady = 0
    for measures in series:
        allm = np.concatenate([np.full((3, W - 1), np.nan), measures], axis=1)  # (a stimulus's start)
        P, H, C = allm
        valid = ~np.isnan(P)
        P0 = np.where(valid, P, 0.0)
        level = 10.0 * np.log10(np.maximum(P0, max(det.silence_power, 1e-300)))
        got = _window_cues(P0, np.where(valid, H, 0.0), C, level, valid, W, det.silence_power,
                           det.dynamic_range_db, det.low_energy_ratio, VOICED_HARMONICITY, VOICING_QUANTILE,
                           _LEVEL_SPREAD_FLOOR_DB, _HARMONICITY_SPREAD_FLOOR)
        want = _cues_numpy(det, allm)
        for name, g, w in zip(("n_active", "voicing", "modulation", "low", "coupling", "steadiness"), got, want):
            assert np.array_equal(g, w), name
        n_steady += int(np.sum((got[5] != 1.0) & (got[5] != 0.0)))
    assert n_steady > 0  # (some windows hold consecutive voiced frames)
