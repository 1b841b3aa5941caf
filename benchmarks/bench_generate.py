"""End-to-end speed of ``stimgen generate``'s stages on the bundled presets.

For each preset, renders ``--seconds`` of audio at 48 kHz (:func:`stimgen.render.render_preset`),
masters it (:func:`stimgen.mastering.master`) and reports each stage, and both together, as a
multiple of real time (audio seconds per wall-clock second, one core), best of ``--repeat``.

Baseline, measured in the same run on the same mix: one BS.1770 loudness measurement
(``pyloudnorm.Meter.integrated_loudness``), the least any loudness-normalising generator must do.
The ``x baseline`` column is (render + master time) / baseline time.

Usage::

    python benchmarks/bench_generate.py [--seconds 120] [--repeat 2] [--presets groove focus]
"""

from __future__ import annotations

import argparse
import time

import pyloudnorm
from threadpoolctl import threadpool_limits

from stimgen.mastering import master
from stimgen.preset import list_presets, load_preset
from stimgen.render import render_preset

__all__ = ["main"]


def _best(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None) -> None:
    """Run the benchmark and print one row per preset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--presets", nargs="*", default=[name for name, _ in list_presets()])
    args = parser.parse_args(argv)
    sr, d = 48000, args.seconds
    print(f"{'preset':28s} {'render':>8s} {'master':>8s} {'both':>8s} {'x baseline':>11s}   (real-time factors, {d:g} s)")
    with threadpool_limits(1):
        for name in args.presets:
            p = load_preset(name)
            t_render, (y, _) = _best(lambda: render_preset(p, duration_s=d, sr=sr), args.repeat)
            t_master, _ = _best(
                lambda: master(y, sr=sr, target_lufs=p["target_lufs"], ceiling_dbtp=p["ceiling_dbtp"],
                               fade_in_s=3.0, fade_out_s=3.0),
                args.repeat,
            )
            meter = pyloudnorm.Meter(sr)
            t_base, _ = _best(lambda: meter.integrated_loudness(y.T), args.repeat)
            both = t_render + t_master
            print(f"{name:28s} {d / t_render:7.0f}x {d / t_master:7.0f}x {d / both:7.0f}x {both / t_base:10.1f}x")


if __name__ == "__main__":
    main()
