"""Music-like stimuli for the version-2 facts: legato chorale, dense band mix, beats.

Seeded, mono float64 at :data:`synth_signals.SR` unless stated; levels are
matched by the tests (:func:`synth_signals.match_rms`).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

import synth_signals as S

__all__ = ["chorale", "band_mix", "click_over_silence", "am_noise", "beat_pair", "binaural_beat", "steady_tone"]

SR = S.SR

# A four-voice progression (MIDI notes): I - vi - IV - V - I - IV - ii - V.
_CHORDS = [
    (48, 55, 64, 72), (45, 57, 64, 72), (41, 57, 65, 72), (43, 55, 62, 71),
    (48, 55, 64, 72), (41, 53, 65, 69), (38, 53, 62, 69), (43, 55, 62, 67),
]


def _midi_hz(m):
    return 440.0 * 2.0 ** ((np.asarray(m, dtype=float) - 69.0) / 12.0)


def chorale(duration_s, *, chord_s=2.0, sr=SR):
    """Legato chords on an organ-like sustained timbre (no attack, no decay).

    Every voice holds its pitch for ``chord_s`` and moves to the next chord's
    pitch with a 20 ms crossfade, so the overall level barely changes: only
    the spectrum does.
    """
    n = int(round(duration_s * sr))
    t = np.arange(n) / sr
    idx = np.minimum((t // chord_s).astype(int) % len(_CHORDS), len(_CHORDS) - 1)
    y = np.zeros(n)
    fade = int(0.02 * sr)
    for v in range(4):
        f = _midi_hz([_CHORDS[i][v] for i in range(len(_CHORDS))])[idx]
        # Smooth the frequency steps (a legato glide of ~20 ms).
        f = np.convolve(np.concatenate([np.full(fade, f[0]), f]), np.ones(fade) / fade, mode="valid")[: n]
        phase = 2 * np.pi * np.cumsum(f) / sr
        # Organ-like: flue pipe with a few harmonics, constant level.
        for k, amp in ((1, 1.0), (2, 0.5), (3, 0.3), (4, 0.2), (6, 0.1)):
            y += amp * np.sin(k * phase)
    ramp = int(0.05 * sr)
    y[:ramp] *= np.linspace(0, 1, ramp)
    y[-ramp:] *= np.linspace(1, 0, ramp)
    return y


def _distorted_guitar(f_hz, n, sr, rng):
    t = np.arange(n) / sr
    saw = sum(np.sin(2 * np.pi * k * f_hz * t) / k for k in range(1, 12))
    return np.tanh(4.0 * saw) * (1.0 + 0.02 * rng.standard_normal(n))


def band_mix(bpm, duration_s, *, seed=0, voice=True, guitar=True, sr=SR):
    """A dense mix: drum groove, bass line, distorted power chords and a voice.

    Bass and guitar change pitch every beat / every bar; the "voice" is a
    harmonic source with vibrato and vowel-like formants singing a melody of
    sustained notes.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sr))
    t = np.arange(n) / sr
    beat = 60.0 / bpm
    drums = S.groove(bpm, duration_s, syncopation=0.5, variation=0.5, seed=seed, sr=sr)
    roots = np.array([40, 40, 43, 45, 38, 38, 43, 45])  # E E G A D D G A
    k_beat = (t // beat).astype(int)
    bass_f = _midi_hz(roots[(k_beat // 4) % roots.size] + np.where(k_beat % 4 == 3, 7, 0))
    bass_env = np.exp(-((t % beat) / 0.3))
    bass = np.sin(2 * np.pi * np.cumsum(bass_f) / sr) * bass_env
    y = S.match_rms(drums) + 0.7 * S.match_rms(bass)
    if guitar:
        gtr = np.zeros(n)
        bar = 4 * beat
        for b in range(int(np.ceil(duration_s / bar))):
            i0, i1 = int(b * bar * sr), min(n, int((b + 1) * bar * sr))
            if i0 >= n:
                break
            f = _midi_hz(roots[b % roots.size] + 12)
            seg = _distorted_guitar(f, i1 - i0, sr, rng) + _distorted_guitar(f * 1.5, i1 - i0, sr, rng)
            seg *= np.exp(-np.arange(i1 - i0) / sr / 1.5)
            gtr[i0:i1] = seg
        gtr = lfilter([1.0], [1.0, -0.6], gtr)
        y += 0.5 * S.match_rms(gtr)
    if voice:
        mel = np.array([64, 67, 69, 67, 64, 62, 64, 60])
        f = _midi_hz(mel[(k_beat // 2) % mel.size]) * (1.0 + 0.01 * np.sin(2 * np.pi * 5.5 * t))
        ph = 2 * np.pi * np.cumsum(f) / sr
        src = sum(np.sin(h * ph) / h for h in range(1, 20))
        # Two formants of an "a" vowel (~700, 1200 Hz) as resonators.
        v = src
        for fc, bw in ((700.0, 100.0), (1200.0, 120.0)):
            r = np.exp(-np.pi * bw / sr)
            v = lfilter([1 - r], [1.0, -2 * r * np.cos(2 * np.pi * fc / sr), r * r], v)
        phrase = ((t % (4 * beat)) < 3.5 * beat).astype(float)
        y += 0.5 * S.match_rms(v * phrase)
    return y


def am_noise(rate_hz, duration_s, *, depth=0.5, seed=0, sr=SR):
    """White noise, amplitude-modulated sinusoidally (``rate_hz`` = 0: unmodulated)."""
    t = np.arange(int(round(duration_s * sr))) / sr
    noise = np.random.default_rng(seed).standard_normal(t.size)
    return noise * (1.0 + depth * np.sin(2 * np.pi * rate_hz * t)) if rate_hz else noise


def _fade(n, sr, fade_s=1.0):
    """Raised-cosine fade in and out over ``fade_s``: no onset at the start."""
    k = min(int(fade_s * sr), n // 2)
    env = np.ones(n)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)
    env[:k] = ramp
    env[n - k :] = ramp[::-1]
    return env


def steady_tone(duration_s, *, f0_hz=110.0, sr=SR):
    """A harmonic drone that never changes (faded in and out over 1 s)."""
    y = S.harmonic_tone(f0_hz, duration_s, sr=sr)
    return y * _fade(y.size, sr)


def beat_pair(duration_s, *, f0_hz=110.0, beat_hz=0.5, sr=SR):
    """A drone of two harmonic tones ``beat_hz`` apart: slow beating (faded in and out over 1 s)."""
    y = S.harmonic_tone(f0_hz, duration_s, sr=sr) + S.harmonic_tone(f0_hz + beat_hz, duration_s, sr=sr)
    return y * _fade(y.size, sr)


def binaural_beat(duration_s, *, carrier_hz=250.0, beat_hz=6.0, binaural=True, sr=SR):
    """Two tones ``beat_hz`` apart, one per ear (binaural) or both in each ear.

    Returns shape (2, n): the binaural version has ``carrier`` left and
    ``carrier + beat`` right; the monaural version has their sum in both ears;
    ``beat_hz=0`` gives the same tone in both ears.
    """
    t = np.arange(int(round(duration_s * sr))) / sr
    a = np.sin(2 * np.pi * carrier_hz * t)
    b = np.sin(2 * np.pi * (carrier_hz + beat_hz) * t)
    env = _fade(t.size, sr)
    if binaural:
        return np.stack([a * env, b * env])
    mono = 0.5 * (a + b) * env
    return np.stack([mono, mono])


def click_over_silence(bpm, duration_s, *, sr=SR):
    """A plain click track."""
    return S.click_train(bpm, duration_s, sr=sr)
