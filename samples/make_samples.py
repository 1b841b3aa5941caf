"""Regenerate the project's sample audio in this folder.

Run from anywhere::

    python samples/make_samples.py

Every file is synthesised here from fixed seeds (NumPy ``default_rng``), so a
rerun with the same NumPy, libsndfile and espeak-ng versions gives the same
samples.  All files are mono, 22050 Hz, 16-bit FLAC, peak-normalised to
-3 dBFS.  The speech sample needs the ``espeak-ng`` program on ``PATH``.

The script depends only on NumPy, soundfile and espeak-ng, not on the
project's own packages, so it documents exactly how each sample was made.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = [
    "SR",
    "DURATION_S",
    "PEAK_DBFS",
    "metronome",
    "groove",
    "white_noise",
    "drone_consonant",
    "cluster_dissonant",
    "speech_espeak",
    "main",
]

SR = 22050
DURATION_S = 20.0
PEAK_DBFS = -3.0
TEMPO_BPM = 120.0
SUBTYPE = "PCM_16"

SPEECH_TEXT = (
    "The weather this morning is cool and clear. "
    "A train leaves the station at half past nine, and the next one follows an hour later. "
    "Please remember to bring a pencil, a notebook, and something to drink. "
    "After lunch we will walk along the river and count the bridges."
)


# ----------------------------------------------------------------------------- building blocks


def _normalise(y: np.ndarray, *, peak_dbfs: float = PEAK_DBFS) -> np.ndarray:
    """Scale ``y`` so that its absolute peak is ``peak_dbfs`` dB below full scale."""
    return y * (10.0 ** (peak_dbfs / 20.0) / np.max(np.abs(y)))


def _fade(y: np.ndarray, *, sr: int, fade_s: float) -> np.ndarray:
    """Apply raised-cosine fade-in and fade-out of ``fade_s`` seconds."""
    n = int(round(fade_s * sr))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)
    out = y.copy()
    out[:n] *= ramp
    out[-n:] *= ramp[::-1]
    return out


def _place(out: np.ndarray, sound: np.ndarray, start: int, gain: float = 1.0) -> None:
    """Add ``sound`` into ``out`` at sample ``start`` (clipped at the end)."""
    end = min(len(out), start + len(sound))
    out[start:end] += gain * sound[: end - start]


def _click(*, sr: int) -> np.ndarray:
    """A 2 kHz woodblock-like click, 30 ms, 4 ms exponential decay."""
    t = np.arange(int(0.03 * sr)) / sr
    return np.sin(2 * np.pi * 2000.0 * t) * np.exp(-t / 0.004)


def _kick(*, sr: int) -> np.ndarray:
    """Sine kick drum: pitch falling from 150 Hz to 45 Hz, 350 ms."""
    t = np.arange(int(0.35 * sr)) / sr
    freq_hz = 45.0 + 105.0 * np.exp(-t / 0.03)
    phase = 2 * np.pi * np.cumsum(freq_hz) / sr
    return np.sin(phase) * np.exp(-t / 0.12)


def _snare(rng: np.random.Generator, *, sr: int) -> np.ndarray:
    """Snare drum: 185 Hz body plus a band of decaying noise, 200 ms."""
    t = np.arange(int(0.2 * sr)) / sr
    noise = np.diff(rng.standard_normal(len(t) + 1))  # first difference tilts the noise to the treble
    body = np.sin(2 * np.pi * 185.0 * t) * np.exp(-t / 0.04)
    return 0.5 * body + 0.35 * noise * np.exp(-t / 0.05)


def _hat(rng: np.random.Generator, *, sr: int, open_hat: bool = False) -> np.ndarray:
    """Hi-hat: second-differenced noise (a steep high-pass) with a short decay."""
    decay_s = 0.12 if open_hat else 0.025
    t = np.arange(int((0.3 if open_hat else 0.08) * sr)) / sr
    noise = np.diff(rng.standard_normal(len(t) + 2), n=2)
    return 0.25 * noise * np.exp(-t / decay_s)


def _harmonic_tone(f0_hz: float, *, sr: int, n_samples: int, n_harmonics: int = 10) -> np.ndarray:
    """Harmonic complex tone: harmonics k = 1..n with amplitude 1/k, sine phase."""
    t = np.arange(n_samples) / sr
    y = np.zeros(n_samples)
    for k in range(1, n_harmonics + 1):
        if k * f0_hz < 0.45 * sr:
            y += np.sin(2 * np.pi * k * f0_hz * t) / k
    return y


def _chord(f0s_hz, *, sr: int, duration_s: float, seed: int) -> np.ndarray:
    """Sum of harmonic complex tones, each with its own slow, gentle swell.

    Each voice's level moves by at most +-25 % at a rate between 0.04 and
    0.12 Hz (a period of 8-25 s), with seeded rates and phases, so the
    texture breathes without any rhythmic pulse.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sr))
    t = np.arange(n) / sr
    y = np.zeros(n)
    for f0_hz in f0s_hz:
        rate_hz = rng.uniform(0.04, 0.12)
        phase = rng.uniform(0, 2 * np.pi)
        envelope = 1.0 + 0.25 * np.sin(2 * np.pi * rate_hz * t + phase)
        y += envelope * _harmonic_tone(f0_hz, sr=sr, n_samples=n)
    return _fade(y, sr=sr, fade_s=1.0)


# ----------------------------------------------------------------------------- the samples


def metronome(*, sr: int = SR, duration_s: float = DURATION_S) -> np.ndarray:
    """Identical clicks on every beat at 120 BPM (one every 0.5 s): ordered and fully predictable."""
    y = np.zeros(int(round(duration_s * sr)))
    click = _click(sr=sr)
    beat_s = 60.0 / TEMPO_BPM
    for k in range(int(duration_s / beat_s)):
        _place(y, click, int(round(k * beat_s * sr)))
    return _normalise(y)


def groove(*, sr: int = SR, duration_s: float = DURATION_S, seed: int = 120) -> np.ndarray:
    """A moderately syncopated kick/snare/hi-hat groove at 120 BPM with seeded bar-to-bar variation.

    The grid is sixteenth notes (0.125 s) in 4/4 bars of 2 s.  The base bar
    has kicks on 1 and on the off-beats "and of 2" and "a of 3" (16th steps
    0, 6, 11), snares on the backbeats (steps 4 and 12) and closed hats on
    the eighths, accented on the off-beats.  Each bar then draws from a small
    set of variations (an extra kick on a weak sixteenth, a ghost snare, a
    sixteenth hat pair, an open hat at the bar's end) and small velocity
    changes, so the pattern stays recognisable but never repeats exactly.
    """
    rng = np.random.default_rng(seed)
    y = np.zeros(int(round(duration_s * sr)))
    step = int(round(60.0 / TEMPO_BPM / 4 * sr))  # one sixteenth note in samples
    kick, closed_hat = _kick(sr=sr), _hat(rng, sr=sr)
    open_hat = _hat(rng, sr=sr, open_hat=True)
    snares = [_snare(rng, sr=sr) for _ in range(4)]  # a few takes so hits are not identical
    n_bars = int(np.ceil(duration_s / (16 * step / sr)))
    for bar in range(n_bars):
        start = bar * 16 * step
        kicks = {0: 1.0, 6: 0.8, 11: 0.85}
        snare_hits = {4: 1.0, 12: 1.0}
        hats = {s: (0.9 if s % 4 == 2 else 0.6) for s in range(0, 16, 2)}
        opened = set()
        if rng.random() < 0.5:
            kicks[int(rng.choice([3, 8, 14]))] = 0.7
        if rng.random() < 0.4:
            snare_hits[int(rng.choice([7, 9, 15]))] = 0.3  # ghost note
        if rng.random() < 0.4:
            s = int(rng.choice([9, 13]))
            hats[s] = 0.45
            hats[s + 1] = 0.5
        if bar % 2 == 1 and rng.random() < 0.6:
            hats.pop(14, None)
            opened.add(14)
        for s, v in kicks.items():
            _place(y, kick, start + s * step, v * rng.uniform(0.92, 1.0))
        for s, v in snare_hits.items():
            _place(y, snares[int(rng.integers(len(snares)))], start + s * step, v * rng.uniform(0.9, 1.0))
        for s, v in hats.items():
            _place(y, closed_hat, start + s * step, v * rng.uniform(0.85, 1.0))
        for s in opened:
            _place(y, open_hat, start + s * step, 0.7)
    return _normalise(y)


def white_noise(*, sr: int = SR, duration_s: float = DURATION_S, seed: int = 7) -> np.ndarray:
    """Gaussian white noise: unpredictable and incoherent."""
    rng = np.random.default_rng(seed)
    return _normalise(rng.standard_normal(int(round(duration_s * sr))))


def drone_consonant(*, sr: int = SR, duration_s: float = DURATION_S, seed: int = 5) -> np.ndarray:
    """Just-intonation major triad plus octave (4:5:6:8 on 220 Hz) of harmonic complex tones."""
    f0s_hz = [220.0 * r for r in (1.0, 5 / 4, 3 / 2, 2.0)]
    return _normalise(_chord(f0s_hz, sr=sr, duration_s=duration_s, seed=seed))


def cluster_dissonant(*, sr: int = SR, duration_s: float = DURATION_S, seed: int = 5) -> np.ndarray:
    """Equal-tempered semitone cluster (220 Hz and the three semitones above) of the same tones.

    Same voice count, timbre, register and swells as :func:`drone_consonant`;
    only the intervals differ.
    """
    f0s_hz = [220.0 * 2 ** (k / 12) for k in range(4)]
    return _normalise(_chord(f0s_hz, sr=sr, duration_s=duration_s, seed=seed))


def espeak_version() -> str:
    """Return the first line of ``espeak-ng --version``."""
    out = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True, timeout=30)
    return out.stdout.strip().splitlines()[0]


def speech_espeak(*, sr: int = SR, text: str = SPEECH_TEXT) -> np.ndarray:
    """A few plain sentences spoken by espeak-ng (voice en-us, 150 words per minute)."""
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed; install it (e.g. apt-get install espeak-ng) to make the speech sample")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), text], check=True, timeout=120)
        y, native_sr = sf.read(wav, dtype="float64", always_2d=True)
    y = y.mean(axis=1)
    if native_sr != sr:
        import soxr  # only needed if espeak-ng's output rate ever differs from SR

        y = soxr.resample(y, native_sr, sr, quality="VHQ")
    return _normalise(_fade(y, sr=sr, fade_s=0.01))


SAMPLES = {
    "metronome_120bpm.flac": metronome,
    "groove_120bpm.flac": groove,
    "white_noise.flac": white_noise,
    "drone_consonant.flac": drone_consonant,
    "cluster_dissonant.flac": cluster_dissonant,
    "speech_espeak.flac": speech_espeak,
}


def main(argv=None) -> int:
    """Write every sample into ``--out`` (default: this folder) and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if shutil.which("espeak-ng"):
        print(f"espeak-ng: {espeak_version()}")
    print(f"libsndfile: {sf.__libsndfile_version__}, numpy: {np.__version__}")
    for name, make in SAMPLES.items():
        y = make()
        target = args.out / name
        tmp = target.with_name(f".{name}.tmp")
        sf.write(tmp, y, SR, format="FLAC", subtype=SUBTYPE)
        tmp.replace(target)
        digest = hashlib.sha256(target.read_bytes()).hexdigest()[:16]
        peak_dbfs = 20 * np.log10(np.max(np.abs(y)))
        print(f"{name:24s} {len(y) / SR:6.2f} s  peak {peak_dbfs:5.1f} dBFS  "
              f"{target.stat().st_size / 1024:7.1f} KiB  sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
