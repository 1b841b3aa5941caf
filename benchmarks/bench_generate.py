"""End-to-end speed of ``stimgen generate``'s stages on the bundled presets.

For each preset, renders ``--seconds`` of audio at 48 kHz once (:class:`stimgen.render.SessionRenderer`,
section by section), then streams the whole mastered session as ``stimgen generate`` does
(:class:`stimgen.session.Session`: the gain planned from probe windows, then one mastered
pass; no file, no score) and reports both as a multiple of real time (audio seconds per
CPU second, one thread), best of ``--repeat``.

Baseline, measured in the same run on the same mix: one BS.1770 loudness measurement
(``pyloudnorm.Meter.integrated_loudness``), the least any loudness-normalising generator must do.
The ``x baseline`` column is the streamed session's time / baseline time.

Usage::

    python benchmarks/bench_generate.py [--seconds 120] [--repeat 2] [--presets groove focus]
"""

from __future__ import annotations

import argparse
import time

import pyloudnorm
from threadpoolctl import threadpool_limits

from stimgen.preset import list_presets, load_preset
from stimgen.render import SessionRenderer, render_preset
from stimgen.session import Session

__all__ = ["main"]


def _best(fn, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
    return best, out


def main(argv=None) -> None:
    """Run the benchmark and print one row per preset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--presets", nargs="*", default=[name for name, _ in list_presets()])
    args = parser.parse_args(argv)
    sr, d = 48000, args.seconds
    print(f"{'preset':28s} {'render':>8s} {'session':>8s} {'x baseline':>11s}   (real-time factors, {d:g} s)")
    with threadpool_limits(1):
        for name in args.presets:
            p = load_preset(name)
            t_render, _ = _best(lambda: [None for _ in SessionRenderer(p, duration_s=d, sr=sr).sections()],
                                args.repeat)

            def session():
                s = Session(p, duration_s=d, sr=sr)
                s.plan()
                for _ in s.blocks():
                    pass
                return s

            t_session, _ = _best(session, args.repeat)
            y, _ = render_preset(p, duration_s=d, sr=sr)
            meter = pyloudnorm.Meter(sr)
            t_base, _ = _best(lambda: meter.integrated_loudness(y.T), args.repeat)
            print(f"{name:28s} {d / t_render:7.0f}x {d / t_session:7.0f}x {t_session / t_base:10.1f}x")


if __name__ == "__main__":
    main()
