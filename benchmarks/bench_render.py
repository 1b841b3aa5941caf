"""Speed of :func:`stimgen.mastering.master` on a synthetic drum + pink-noise mix.

Generates a stereo mix with NumPy (sine kicks, noise snares and hi-hats at
120 BPM over a pink-noise bed), masters it with the default preset
(-20 LUFS, -1 dBTP) and reports the best of ``--repeat`` runs as a multiple
of real time.  The product needs mastering well under 1/100 of the audio
duration (target >= 300x real time).  Baseline in the same run: one pyloudnorm
loudness measurement of the same mix.

Usage::

    python benchmarks/bench_render.py [--seconds 60] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import numpy as np
import pyloudnorm
from scipy.signal import lfilter

from stimgen.mastering import master, true_peak_dbtp

__all__ = ["main", "drum_mix"]


def drum_mix(seconds: float = 60.0, sr: int = 48000, seed: int = 0) -> np.ndarray:
    """Stereo (2, n) drum + pink-noise mix, deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    white = rng.standard_normal((2, n))
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1.0, -2.494956002, 2.017265875, -0.522189400]
    bed = lfilter(b, a, white, axis=-1)
    bed *= 0.03 / bed.std()
    m = int(0.25 * sr)
    t = np.arange(m) / sr
    kick = np.sin(2 * np.pi * (50 * t + 120 * 0.03 * (1 - np.exp(-t / 0.03)))) * np.exp(-t / 0.08)
    beat = sr // 2  # 120 BPM
    drums = np.zeros((2, n + m))
    for i, start in enumerate(range(0, n, beat // 2)):
        if i % 4 == 0:
            drums[:, start:start + m] += 0.8 * kick
        elif i % 4 == 2:
            snare = rng.standard_normal((2, m)) * np.exp(-t / 0.04)
            drums[:, start:start + m] += 0.4 * snare
        hat = rng.standard_normal((2, m // 8)) * np.exp(-t[: m // 8] / 0.005)
        drums[:, start:start + m // 8] += 0.15 * np.diff(np.concatenate([hat, hat[:, -1:]], axis=1), axis=1)
    return bed + drums[:, :n]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark stimgen.mastering.master.")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the mix")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    args = parser.parse_args(argv)

    sr = 48000
    y = drum_mix(args.seconds, sr)
    best = np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        out, report = master(y, sr=sr)
        best = min(best, time.perf_counter() - t0)
    print(f"mix: {args.seconds:g} s stereo at {sr} Hz, input true peak {true_peak_dbtp(y, sr=sr):.2f} dBTP")
    print(f"report: {report['loudness_lufs']:.2f} LUFS, {report['true_peak_dbtp']:.2f} dBTP, "
          f"limited={report['limited']} ({report['max_gain_reduction_db']:.2f} dB), gain {report['gain_db']:.2f} dB")
    print(f"master(): best of {args.repeat} = {best:.3f} s = {args.seconds / best:.0f}x real time")
    # Baseline in the same run: one BS.1770 loudness measurement of the same mix (pyloudnorm).
    meter = pyloudnorm.Meter(sr)
    base = np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        meter.integrated_loudness(y.T)
        base = min(base, time.perf_counter() - t0)
    print(f"baseline (pyloudnorm integrated loudness): {base:.3f} s; master() = {best / base:.1f}x the baseline")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        master(y, sr=sr)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
