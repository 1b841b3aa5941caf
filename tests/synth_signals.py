"""Stimuli the tests synthesise: drums, grooves, click trains, dyads, noise.

Everything is seeded and returns mono float64 audio at ``sr``.  Levels are
matched with :func:`match_rms` so comparisons are made at equal loudness.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SR",
    "click",
    "kick",
    "snare",
    "hat",
    "render_events",
    "click_train",
    "metronome",
    "groove",
    "groove_rate",
    "random_onsets",
    "white_noise",
    "harmonic_tone",
    "dyad",
    "match_rms",
]

SR = 22050


def _t(duration_s, sr):
    return np.arange(int(round(duration_s * sr))) / sr


def click(*, sr=SR):
    """A 2 ms raised-cosine click with a 3 kHz ring."""
    t = _t(0.004, sr)
    return np.sin(2 * np.pi * 3000 * t) * np.hanning(t.size)


def kick(*, sr=SR):
    """A kick drum: a sine sweeping 150 -> 50 Hz with a 0.15 s decay."""
    t = _t(0.35, sr)
    f = 50 + 100 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(f) / sr
    return np.sin(phase) * np.exp(-t / 0.15)


def snare(*, sr=SR, seed=1):
    """A snare: a noise burst plus a 190 Hz body, 0.1 s decay."""
    t = _t(0.25, sr)
    noise = np.random.default_rng(seed).standard_normal(t.size)
    return (0.6 * noise + 0.5 * np.sin(2 * np.pi * 190 * t)) * np.exp(-t / 0.08)


def hat(*, sr=SR, seed=2):
    """A closed hi-hat: high-passed noise with a 30 ms decay."""
    t = _t(0.08, sr)
    noise = np.random.default_rng(seed).standard_normal(t.size)
    noise = np.diff(np.diff(noise, prepend=0.0), prepend=0.0)  # crude high-pass
    return 0.3 * noise * np.exp(-t / 0.03)


def render_events(events, duration_s, *, sr=SR):
    """Mix ``(time_s, sound, gain)`` events into a signal of ``duration_s``."""
    y = np.zeros(int(round(duration_s * sr)))
    for time_s, sound, gain in events:
        i = int(round(time_s * sr))
        if i >= y.size:
            continue
        n = min(sound.size, y.size - i)
        y[i : i + n] += gain * sound[:n]
    return y


def click_train(bpm, duration_s, *, sr=SR):
    """Isochronous clicks at ``bpm``."""
    c = click(sr=sr)
    times = np.arange(0.0, duration_s, 60.0 / bpm)
    return render_events([(t, c, 1.0) for t in times], duration_s, sr=sr)


# A bar of 16 sixteenth-note steps.  Base pattern of a plain rock beat.
_BASE = {
    "kick": [0, 8],
    "snare": [4, 12],
    "hat": [0, 2, 4, 6, 8, 10, 12, 14],
}


def _voices(sr):
    return {"kick": kick(sr=sr), "snare": snare(sr=sr), "hat": hat(sr=sr)}


def metronome(bpm, duration_s, *, sr=SR):
    """The groove's drum voices, all on every beat: ordered and predictable."""
    v = _voices(sr)
    beat = 60.0 / bpm
    events = []
    for t in np.arange(0.0, duration_s, beat):
        events += [(t, v["kick"], 1.0), (t, v["hat"], 0.8)]
    return render_events(events, duration_s, sr=sr)


# Syncopation slots (sixteenth-note steps of a 4/4 bar) that a groove may
# use, as in the drum-break stimuli of Witek et al. (2014): anticipations of
# the third beat, off-beat kicks and ghost snares, open hats on the "e"/"a".
_SYNC_SLOTS = [
    ("kick", 3), ("kick", 6), ("kick", 7), ("kick", 10), ("kick", 11), ("kick", 14),
    ("snare", 7), ("snare", 9), ("snare", 15), ("hat", 3), ("hat", 11), ("hat", 15),
]


def groove(bpm, duration_s, *, syncopation=0.5, variation=0.3, loop=False, seed=0, sr=SR):
    """A drum groove: a steady backbeat plus syncopated notes.

    The backbeat (kick on beat 1, snare on 2 and 4, hats on eighths) stays;
    syncopation adds notes on off-beat sixteenths and may anticipate the kick
    of beat 3 -- the structure of the drum breaks of Witek et al. (2014).

    Parameters
    ----------
    bpm : float
        Tempo (quarter notes per minute).
    duration_s : float
        Length of the result.
    syncopation : float in [0, 1]
        Probability that each syncopation slot is used in a bar.
    variation : float in [0, 1]
        Probability that a bar re-draws its syncopations (0 = the first bar
        repeats exactly; 1 = every bar is new).
    loop : bool
        If True, one bar is drawn and repeated exactly (same as variation=0).
    seed : int
        Seed of the generator.
    """
    rng = np.random.default_rng(seed)
    v = _voices(sr)
    step = 60.0 / bpm / 4.0
    bar_s = 16 * step

    def draw_bar():
        notes = [(0, "kick"), (4, "snare"), (12, "snare")] + [(s, "hat") for s in range(0, 16, 2)]
        # Beat 3's kick is either on the beat or anticipated (syncopated).
        notes.append((7 if rng.random() < syncopation else 8, "kick"))
        for name, s in _SYNC_SLOTS:
            if rng.random() < syncopation / 3.0:
                notes.append((s, name))
        return notes

    bar = draw_bar()
    events = []
    n_bars = int(np.ceil(duration_s / bar_s))
    for k in range(n_bars):
        if k > 0 and not loop and rng.random() < variation:
            bar = draw_bar()
        for s, name in bar:
            gain = 1.0 if name != "hat" else 0.8
            events.append((k * bar_s + s * step, v[name], gain))
    return render_events(events, duration_s, sr=sr)


def groove_rate(bpm, *, syncopation=0.5):
    """Expected number of notes per second of :func:`groove`."""
    per_bar = 3 + 8 + 1 + len(_SYNC_SLOTS) * syncopation / 3.0
    return per_bar / (16 * 60.0 / bpm / 4.0)


def random_onsets(n_per_s, duration_s, *, seed=0, sr=SR):
    """The groove's voices at uniformly random times, ``n_per_s`` on average."""
    rng = np.random.default_rng(seed)
    v = _voices(sr)
    n = rng.poisson(n_per_s * duration_s)
    times = np.sort(rng.uniform(0.0, duration_s, n))
    names = rng.choice(["kick", "snare", "hat", "hat"], n)
    return render_events([(t, v[k], 1.0 if k != "hat" else 0.8) for t, k in zip(times, names)], duration_s, sr=sr)


def white_noise(duration_s, *, seed=0, sr=SR):
    """Gaussian white noise."""
    return np.random.default_rng(seed).standard_normal(int(round(duration_s * sr)))


def harmonic_tone(f0_hz, duration_s, *, n_harmonics=8, rolloff=0.88, sr=SR):
    """A harmonic complex tone with amplitudes ``rolloff ** (k - 1)``."""
    t = _t(duration_s, sr)
    y = sum(rolloff ** (k - 1) * np.sin(2 * np.pi * k * f0_hz * t) for k in range(1, n_harmonics + 1))
    ramp = min(int(0.02 * sr), t.size // 2)
    env = np.ones(t.size)
    env[:ramp] = np.linspace(0, 1, ramp)
    env[-ramp:] = np.linspace(1, 0, ramp)
    return y * env


def dyad(f0_hz, semitones, duration_s, *, sr=SR, **kw):
    """Two harmonic complex tones ``semitones`` apart (equal temperament)."""
    return harmonic_tone(f0_hz, duration_s, sr=sr, **kw) + harmonic_tone(
        f0_hz * 2.0 ** (semitones / 12.0), duration_s, sr=sr, **kw
    )


def match_rms(y, *, rms_db=-20.0):
    """Scale ``y`` to an RMS level of ``rms_db`` dBFS."""
    rms = np.sqrt(np.mean(y**2))
    return y * (10 ** (rms_db / 20.0) / max(rms, 1e-12))
