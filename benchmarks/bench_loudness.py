"""Loudness and true peak of every bundled preset at full length, as ``stimgen generate`` masters it.

The mastering's gain is planned from probe windows (about a minute of
audio, :func:`stimgen.mastering.probe_windows`) so that ``stimgen play``
can start at once; this benchmark checks, on the full-length output of
every bundled preset (the samples ``stimgen generate`` writes, streamed,
never held whole), what that plan delivers:

* integrated loudness of the output (:class:`stimgen.mastering.LoudnessMeter`,
  checked against ``pyloudnorm`` in ``tests/test_mastering.py``) against the
  preset's target (must be within 0.5 LU), and the probe's own prediction;
* true peak of the output at 4x and 8x oversampling
  (:class:`stimgen.mastering.TruePeakMeter`) against the ceiling;
* the CPU time of the plan (before the first sample can play) and of the
  whole mastered render, relative to the session's length.

One core (``OMP_NUM_THREADS`` etc. = 1).

Usage::

    python benchmarks/bench_loudness.py                 # every bundled preset
    python benchmarks/bench_loudness.py groove focus    # some
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

__all__ = ["main", "measure"]


def measure(name: str) -> dict:
    """Plan and master preset ``name`` at its own length; measure the output."""
    from stimgen.mastering import LoudnessMeter, TruePeakMeter
    from stimgen.preset import load_preset
    from stimgen.session import Session

    preset = load_preset(name)
    c0 = time.process_time()
    session = Session(preset)
    session.plan()
    plan_s = time.process_time() - c0
    loud = LoudnessMeter(sr=session.sr, n_channels=2)
    tp4 = TruePeakMeter(oversamples=(4,))
    tp8 = TruePeakMeter(oversamples=(8,))
    c1 = time.process_time()
    for block in session.blocks():
        loud.process(block)
        tp4.process(block)
        tp8.process(block)
    total_s = time.process_time() - c1
    report = session.report
    return {"name": name, "duration_s": session.duration_s, "target": preset["target_lufs"],
            "ceiling": preset["ceiling_dbtp"], "probe": report["probe_loudness_lufs"],
            "loudness": loud.loudness_lufs(), "reported": report["loudness_lufs"],
            "tp4": 20 * math.log10(tp4.finish()), "tp8": 20 * math.log10(tp8.finish()),
            "limited_db": report["max_gain_reduction_db"], "plan_s": plan_s, "total_s": total_s}


def main(argv=None) -> int:
    from stimgen.preset import list_presets

    parser = argparse.ArgumentParser(description="Full-length loudness and true peak of the bundled presets.")
    parser.add_argument("presets", nargs="*", help="bundled preset names (default: all)")
    args = parser.parse_args(argv)
    names = args.presets or [name for name, _ in list_presets()]
    print(f"{'preset':<27} {'min':>5} {'target':>6} {'probe':>7} {'output':>7} {'error':>6} "
          f"{'TP 4x':>6} {'TP 8x':>6} {'ceil':>5} {'limit':>6} {'plan':>7} {'render':>7}")
    worst = 0.0
    ok = True
    for name in names:
        r = measure(name)
        error = r["loudness"] - r["target"]
        worst = max(worst, abs(error))
        held = r["tp4"] <= r["ceiling"] and r["tp8"] <= r["ceiling"] and abs(error) <= 0.5
        ok &= held
        print(f"{name:<27} {r['duration_s'] / 60:5.0f} {r['target']:6.1f} {r['probe']:7.2f} {r['loudness']:7.2f} "
              f"{error:+6.2f} {r['tp4']:6.2f} {r['tp8']:6.2f} {r['ceiling']:5.1f} {r['limited_db']:5.1f}dB "
              f"{r['plan_s']:6.2f}s {r['duration_s'] / r['total_s']:6.0f}x" + ("" if held else "  FAILS"),
              flush=True)
    print(f"largest loudness error {worst:.2f} LU (allowed 0.5); plan = CPU s before the first sample; "
          "render = real-time factor of the mastered render (one pass)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
