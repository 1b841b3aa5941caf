"""Cost of scoring a file with :func:`resonance.score_file`, relative to a floor.

Writes a synthesised drum groove (kick, snare, hi-hats over a pink-noise bed,
120 BPM, 44.1 kHz stereo WAV by default) to a temporary folder, then times,
each as the best of ``--repeat`` runs on ONE core:

* the floor -- what any librosa-based analysis pays at least:
  ``librosa.load(path, sr=22050)`` followed by ``librosa.feature.melspectrogram``;
* ``resonance.score_file(path, harmonics=h)`` (harmonics computed, or read from
  the cache, before timing).

It reports both times, their ratio (goal: score <= 2x floor), the real-time
factor of scoring (audio seconds per wall second), and -- from one extra run
under :mod:`cProfile`, not timed -- the stages of ``resonance`` with the most
cumulative time and the functions with the most own time.  The floor and the
score are measured in the same run, so the ratio holds on a busy machine even
when the absolute times do not.  Each is timed both as wall time and as the
process's CPU time (user + system, :func:`time.process_time`): on a machine
shared with other jobs the wall time also counts the waits for a core, the
CPU time does not, so the CPU ratio is the steadier figure there.

One core: ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS``
are set to 1 before NumPy is imported (an already-set value is overridden).

Usage::

    python benchmarks/bench_score.py                 # 10 min, best of 3
    python benchmarks/bench_score.py --minutes 2 --repeat 5 --no-profile
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from scipy.signal import lfilter  # noqa: E402

__all__ = ["main", "groove_blocks", "write_groove"]

#: Tempo of the synthesised groove (beats per minute).
TEMPO_BPM = 120.0


def _decay(n: int, sr: int, tau_s: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (tau_s * sr))


def _drum_kit(sr: int, rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    """Mono one-shots: a few variants of kick, snare and closed/open hat."""
    kit: dict[str, list[np.ndarray]] = {"kick": [], "snare": [], "hat": [], "open_hat": []}
    n = int(0.4 * sr)
    t = np.arange(n) / sr
    for f_end in (45.0, 50.0, 55.0):
        f = f_end + 110.0 * np.exp(-t / 0.03)  # pitch sweep down to f_end
        phase = 2 * np.pi * np.cumsum(f) / sr
        kit["kick"].append(0.9 * np.sin(phase) * _decay(n, sr, 0.12))
    n = int(0.25 * sr)
    b, a = [1.0, -0.9], [1.0]  # gentle high-pass on the noise
    for _ in range(3):
        noise = lfilter(b, a, rng.standard_normal(n)) * 0.25
        tone = np.sin(2 * np.pi * 190.0 * np.arange(n) / sr)
        kit["snare"].append(0.6 * (noise * _decay(n, sr, 0.06) + 0.5 * tone * _decay(n, sr, 0.04)))
    b, a = [1.0, -1.0], [1.0]  # stronger high-pass for hats
    for tau, key, length in ((0.015, "hat", 0.08), (0.12, "open_hat", 0.4)):
        m = int(length * sr)
        for _ in range(4):
            kit[key].append(0.15 * lfilter(b, a, rng.standard_normal(m)) * _decay(m, sr, tau))
    return kit


def groove_blocks(duration_s: float, *, sr: int, channels: int, seed: int = 0, block_s: float = 10.0):
    """Yield a drum groove block by block, shape (n, channels), float64 in [-1, 1].

    Memory stays at one block whatever ``duration_s``: events that ring past
    the end of a block are carried into the next one, and the pink-noise
    filter keeps its state.
    """
    rng = np.random.default_rng(seed)
    kit = _drum_kit(sr, rng)
    tail = max(len(x) for xs in kit.values() for x in xs)
    beat = int(round(60.0 / TEMPO_BPM * sr))
    bar = 4 * beat
    block = bar * max(1, int(round(block_s * sr / bar)))
    n_total = int(round(duration_s * sr))
    pan = np.array([[0.5, 0.5], [0.35, 0.65], [0.65, 0.35], [0.5, 0.5]])  # kick, hat, open hat, snare
    # Pink-ish noise: Paul Kellet's economy filter (-3 dB/octave within ~1 dB).
    pb, pa = [0.049922035, -0.095993537, 0.050612699, -0.004408786], [1.0, -2.494956002, 2.017265875, -0.522189400]
    zi = np.zeros((channels, 3))
    carry = np.zeros((tail, channels))
    done = 0
    while done < n_total:
        n = min(block, n_total - done)
        buf = np.zeros((block + tail, channels))
        buf[:tail] += carry
        for b0 in range(0, block, bar):
            events = [("kick", 0), ("kick", 2 * beat), ("snare", beat), ("snare", 3 * beat)]
            if rng.random() < 0.4:
                events.append(("kick", 2 * beat + beat // 2))
            if rng.random() < 0.3:
                events.append(("snare", 3 * beat + 3 * beat // 4))  # ghost note
            for k in range(8):
                key = "open_hat" if (k == 7 and rng.random() < 0.25) else "hat"
                events.append((key, k * beat // 2 + int(rng.integers(-60, 61))))  # humanised timing
            for key, at in events:
                x = kit[key][int(rng.integers(len(kit[key])))] * rng.uniform(0.6, 1.0)
                i0 = b0 + max(at, 0)
                p = pan[("kick", "hat", "open_hat", "snare").index(key)]
                for c in range(channels):
                    buf[i0 : i0 + len(x), c] += x * (p[c] if channels == 2 else 1.0)
        white = rng.standard_normal((channels, block))
        pink, zi = lfilter(pb, pa, white, axis=1, zi=zi)
        buf[:block] += 0.03 * pink.T
        carry = buf[block:].copy()
        out = np.clip(buf[:n], -1.0, 1.0)
        done += n
        yield out


def write_groove(path, duration_s: float, *, sr: int = 44100, channels: int = 2, subtype: str = "PCM_16",
                 seed: int = 0) -> Path:
    """Write :func:`groove_blocks` to ``path`` (format from the extension), block by block."""
    path = Path(path)
    with sf.SoundFile(str(path), "w", samplerate=sr, channels=channels, subtype=subtype) as out:
        for y in groove_blocks(duration_s, sr=sr, channels=channels, seed=seed):
            out.write(y)
    return path


def _timed(fn) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def _profile(fn, top: int) -> tuple[list, list]:
    """Run ``fn`` under cProfile (CPU time).

    Returns the ``top`` entries under resonance/ by cumulative time, and the
    ``top`` entries anywhere (NumPy, SciPy, soxr included) by own time, each
    as (name, calls, own s, cumulative s).
    """
    prof = cProfile.Profile(time.process_time)  # CPU time: steady on a shared machine
    prof.enable()
    fn()
    prof.disable()
    stats = pstats.Stats(prof).stats
    marker = f"{os.sep}resonance{os.sep}"
    ours, everyone = [], []
    for (filename, line, func), (_, ncalls, tottime, cumtime, _) in stats.items():
        if marker in filename:
            ours.append((f"{filename.split(marker, 1)[1]}:{line}({func})", ncalls, tottime, cumtime))
        short = func if filename == "~" else f"{Path(filename).name}:{line}({func})"
        everyone.append((short, ncalls, tottime, cumtime))
    ours.sort(key=lambda r: r[3], reverse=True)
    everyone.sort(key=lambda r: r[2], reverse=True)
    return ours[:top], everyone[:top]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark resonance.score_file against a librosa floor.")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the test file (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each; the best is kept (default 3)")
    parser.add_argument("--format", choices=("wav", "flac"), default="wav", help="test file format (default wav)")
    parser.add_argument("--top", type=int, default=10, help="profile entries shown (default 10)")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile run")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.repeat < 1:
        parser.error(f"--minutes={args.minutes} must be > 0 and --repeat={args.repeat} >= 1")

    import librosa
    import resonance

    t0 = time.perf_counter()
    h = resonance.connectome_harmonics()
    harm_s = time.perf_counter() - t0

    native_sr = 44100
    audio_s = args.minutes * 60.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"groove.{args.format}"
        t0 = time.perf_counter()
        write_groove(path, audio_s, sr=native_sr, channels=2)
        gen_s = time.perf_counter() - t0

        def floor():
            y, sr = librosa.load(path, sr=22050)
            return librosa.feature.melspectrogram(y=y, sr=sr)

        def score():
            return resonance.score_file(path, harmonics=h)

        # Warm-up (imports, FFT plans, first-touch of the file cache), not timed.
        floor()
        result = score()
        # Interleave the two so that load on the machine hits both alike.
        floor_s = score_s = floor_cpu = score_cpu = float("inf")
        for _ in range(args.repeat):
            wall, cpu = _timed(floor)
            floor_s, floor_cpu = min(floor_s, wall), min(floor_cpu, cpu)
            wall, cpu = _timed(score)
            score_s, score_cpu = min(score_s, wall), min(score_cpu, cpu)
        rows, own_rows = ([], []) if args.no_profile else _profile(score, args.top)

    print(f"file: {args.minutes:g} min drum groove, {native_sr} Hz stereo {args.format.upper()} "
          f"(written in {gen_s:.1f} s); harmonics: {h.level}, {len(h.frequencies_hz)} modes "
          f"(ready in {harm_s:.1f} s); score = {result.score:.4g}")
    print(f"threads: OMP/OPENBLAS/MKL_NUM_THREADS=1; best of {args.repeat} runs each")
    print()
    print(f"{'stage':<34}{'wall s':>9}{'CPU s':>9}{'x real time':>13}{'s per audio min':>17}")
    for name, sec, cpu in (("floor: librosa load + melspec", floor_s, floor_cpu),
                           ("resonance.score_file", score_s, score_cpu)):
        print(f"{name:<34}{sec:>9.2f}{cpu:>9.2f}{audio_s / sec:>13.0f}{sec / args.minutes:>17.3f}")
    ratio = score_s / floor_s
    ratio_cpu = score_cpu / floor_cpu
    print()
    print(f"ratio score / floor: {ratio:.2f}x wall, {ratio_cpu:.2f}x CPU  "
          f"(goal <= 2x: {'met' if max(ratio, ratio_cpu) <= 2.0 else 'NOT met'})")
    print(f"real-time factor of scoring, one core: {audio_s / score_s:.0f}x")
    if rows:
        print()
        print(f"cProfile of one score_file run (inflated by profiling), top {len(rows)} under resonance/ "
              "by cumulative time:")
        total = rows[0][3]
        print(f"{'cum s':>8}{'% top':>7}{'own s':>8}{'calls':>8}  function")
        for name, ncalls, tottime, cumtime in rows:
            print(f"{cumtime:>8.2f}{100 * cumtime / total:>6.0f}%{tottime:>8.2f}{ncalls:>8}  {name}")
        print()
        print(f"top {len(own_rows)} anywhere by own time:")
        print(f"{'own s':>8}{'% top':>7}{'cum s':>8}{'calls':>8}  function")
        for name, ncalls, tottime, cumtime in own_rows:
            print(f"{tottime:>8.2f}{100 * tottime / total:>6.0f}%{cumtime:>8.2f}{ncalls:>8}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
