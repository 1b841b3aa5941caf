"""Peak memory of scoring a long file with :func:`resonance.score_file`.

Writes a synthesised drum groove (see :func:`bench_score.groove_blocks`) of
``--hours`` hours to a temporary folder as 22.05 kHz mono FLAC, block by block
(the whole signal is never in memory), then runs two child processes, one
after the other:

1. baseline -- ``import resonance`` and load the harmonics (from the on-disk
   cache; a first call computes them);
2. score -- the same, then ``resonance.score_file(path, harmonics=h)``.

The peak resident set size of each child comes from ``os.wait4`` (the
kernel's ``ru_maxrss`` of that child alone, KiB on Linux), so the difference
between the two is attributable to scoring.  While the scoring child runs,
its ``VmRSS`` is sampled from ``/proc`` to show whether memory grows with the
audio scored (a streaming scorer should stay flat).  The scoring child also
reports its wall time, the real-time factor, and the size of every array in
the result's timeline.  Goal: score peak under 1 GB.

Children run with ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=MKL_NUM_THREADS=1``.

Usage::

    python benchmarks/bench_score_memory.py               # 3 hours (a few minutes)
    python benchmarks/bench_score_memory.py --hours 0.5
    python benchmarks/bench_score_memory.py --file long.flac
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_score import write_groove  # noqa: E402  (also pins BLAS threads to 1 here)

__all__ = ["main"]

GOAL_BYTES = 1e9

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import resonance
h = resonance.connectome_harmonics()
out = {"setup_s": time.perf_counter() - t0,
       "after_setup_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
if sys.argv[1] == "score":
    t0 = time.perf_counter()
    r = resonance.score_file(sys.argv[2], harmonics=h)
    out["wall_s"] = time.perf_counter() - t0
    out["duration_s"] = r.duration_s
    out["score"] = r.score
    out["timeline"] = {k: [list(v.shape), str(v.dtype), int(v.nbytes)] for k, v in r.timeline.items()}
print(json.dumps(out))
"""


def _vm_rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _run_child(mode: str, path: str, poll_s: float = 0.5) -> tuple[dict, int, list[tuple[float, int]]]:
    """Run the child; return its JSON report, its peak RSS (KiB) and RSS samples (s, KiB)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cwd = Path(__file__).resolve().parent.parent  # repo root, so `import resonance` finds the checkout
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, mode, path], stdout=subprocess.PIPE, env=env, cwd=cwd)
    samples = []
    t0 = time.perf_counter()
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss = _vm_rss_kib(proc.pid)
        if rss is not None:
            samples.append((time.perf_counter() - t0, rss))
        time.sleep(poll_s)
    proc.returncode = os.waitstatus_to_exitcode(status)
    report = proc.stdout.read()
    proc.stdout.close()
    if proc.returncode != 0:
        raise SystemExit(f"{mode} child failed with exit code {proc.returncode}")
    return json.loads(report), usage.ru_maxrss, samples


def _mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Peak memory of resonance.score_file on a long file.")
    parser.add_argument("--hours", type=float, default=3.0, help="length of the test file (default 3)")
    parser.add_argument("--file", type=Path, default=None, help="score this file instead of writing one")
    args = parser.parse_args(argv)
    if args.hours <= 0:
        parser.error(f"--hours={args.hours} must be > 0")

    # Fill the harmonics cache first, so neither child pays for computing them.
    subprocess.run([sys.executable, "-c", "import resonance; resonance.connectome_harmonics()"], check=True,
                   cwd=Path(__file__).resolve().parent.parent)

    with tempfile.TemporaryDirectory() as tmp:
        if args.file is None:
            path = Path(tmp) / "groove.flac"
            t0 = time.perf_counter()
            write_groove(path, args.hours * 3600.0, sr=22050, channels=1)
            print(f"file: {args.hours:g} h drum groove, 22050 Hz mono FLAC, {path.stat().st_size / 2**20:.0f} MiB "
                  f"on disk (written in {time.perf_counter() - t0:.0f} s)")
        else:
            path = args.file
            print(f"file: {path} ({path.stat().st_size / 2**20:.0f} MiB on disk)")
        base, base_kib, _ = _run_child("baseline", str(path))
        rep, score_kib, samples = _run_child("score", str(path))

    audio_s = rep["duration_s"]
    print(f"audio: {audio_s / 3600:.2f} h; score = {rep['score']:.4g}; children use 1 BLAS/OpenMP thread")
    print()
    print(f"{'child':<40}{'peak RSS':>12}")
    print(f"{'baseline: import resonance + harmonics':<40}{_mib(base_kib):>12}")
    print(f"{'score_file':<40}{_mib(score_kib):>12}")
    print(f"{'difference (attributable to scoring)':<40}{_mib(score_kib - base_kib):>12}")
    print()
    ok = score_kib * 1024 < GOAL_BYTES
    print(f"goal: score peak < 1 GB: {'met' if ok else 'NOT met'} ({score_kib * 1024 / 1e9:.2f} GB)")
    print(f"scoring wall time: {rep['wall_s']:.0f} s = {audio_s / rep['wall_s']:.0f}x real time "
          f"(+ {rep['setup_s']:.1f} s import and harmonics)")
    if samples:
        t_end = samples[-1][0]
        marks = []
        for frac in (0.1, 0.25, 0.5, 0.75, 1.0):
            t, rss = min(samples, key=lambda s: abs(s[0] - frac * t_end))
            marks.append(f"{frac * 100:.0f}%: {_mib(rss)}")
        print(f"VmRSS of the scoring child along its run (fraction of wall time): {', '.join(marks)}")
    print()
    total = sum(v[2] for v in rep["timeline"].values())
    print(f"result.timeline arrays ({total / 2**20:.1f} MiB in all):")
    for key, (shape, dtype, nbytes) in rep["timeline"].items():
        print(f"  {key:<14}{str(tuple(shape)):<16}{dtype:<10}{nbytes / 2**20:>8.2f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
