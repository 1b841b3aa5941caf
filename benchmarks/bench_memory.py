"""Peak memory of ``stimgen generate`` against session length (the streaming render's promise).

Runs ``stimgen generate PRESET --duration D --no-score`` in a subprocess for
each duration and reads that child's peak resident set size and CPU time
from ``os.wait4`` (the rusage of exactly that process).  Memory should be flat in the duration (well under 400 MB);
CPU time per second of audio gives the real-time factor on one core.

Usage::

    python benchmarks/bench_memory.py --preset deep_anneal --minutes 1 10 60 240
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time


def measure(preset: str, minutes: float, folder: str) -> dict:
    out = os.path.join(folder, f"{preset}_{minutes:g}.flac")
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "stimgen", "generate", preset, "--duration", str(minutes * 60),
                              "--no-score", "-o", out], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if child.returncode != 0:
        raise SystemExit(f"generate failed: {child.stderr.read().decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    size = os.path.getsize(out)
    os.remove(out)
    return {"minutes": minutes, "peak_rss_mb": usage.ru_maxrss / 1024, "cpu_s": cpu, "wall_s": wall,
            "x_real_time_cpu": minutes * 60 / cpu, "file_mb": size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="deep_anneal")
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 10])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"stimgen generate {args.preset} --no-score (peak RSS and CPU time of each run)")
        for minutes in sorted(args.minutes):
            r = measure(args.preset, minutes, folder)
            print(f"{r['minutes']:6g} min: peak RSS {r['peak_rss_mb']:6.0f} MB, CPU {r['cpu_s']:7.1f} s "
                  f"({r['x_real_time_cpu']:5.0f}x real time on one core), wall {r['wall_s']:7.1f} s, "
                  f"file {r['file_mb']:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
