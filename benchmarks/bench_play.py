"""Cost of a live session (``stimgen play``) per audio block, relative to the block's duration.

The engine runs on a virtual clock (no device): every tick the callback body
(:meth:`stimgen.live.Engine.pull`) takes one block of 512 frames at 48 kHz
(10.67 ms) and the worker (:meth:`stimgen.live.Engine.step`) does its turn
for that block: the model (:class:`resonance.Scorer` through
:class:`stimgen.live.ModelMonitor`) scores the block just played, and the
program produces the next one.  Each tick is timed; the figure is the
tick's time divided by the block's duration (the share of one core a live
session needs; goal under 25 %).  Each tick is timed as wall time and as the
process's CPU time (:func:`time.process_time`): on a machine shared with
other jobs the wall time also counts the waits for a core, so the CPU share
is the steadier figure there.  Three rows, measured in the same run:

* ``baseline`` -- the model alone: the same blocks fed to a ModelMonitor
  (mono mix, streaming resample, Scorer), no engine;
* ``fixed`` -- ``stimgen play PRESET``: the program is the mastered session
  (``stimgen generate``'s samples), streamed;
* ``adaptive`` -- ``stimgen play PRESET --adaptive``: layers mixed live, bar
  variation, loudness governor and true-peak limiter, the thermostat steering
  (its band set out of reach, so it acts throughout the hold).

For each: mean, 99th percentile and maximum per tick (% of the block), and
the one-off preparation (the mastering's plan from probe windows) as a
percentage of the session's length, and the time to the first sample of a
fixed session (preparation plus the first block).  ``--first-sample``
times a fresh process from its start to the first block, step by step.  Ticks that complete a model step (every
0.37 s) carry the model's heavier work; the worker runs a second ahead of
the callback, so the mean is what must stay below 100 %, the maximum only
below the ring's length.

One core: ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS``
are set to 1 before NumPy is imported.

Usage::

    python benchmarks/bench_play.py                    # groove, 60 s sessions
    python benchmarks/bench_play.py --preset deep_anneal --seconds 120
    python benchmarks/bench_play.py --preset deep_anneal --first-sample
    python benchmarks/bench_play.py --preset all --first-sample    # every bundled preset
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

__all__ = ["main", "time_session", "time_baseline"]

SR = 48000
BLOCK = 512


def time_session(program, harmonics) -> np.ndarray:
    """Wall and CPU seconds per tick (callback + worker turn) of a session on a virtual clock, shape (n, 2)."""
    from stimgen.live import Engine, ModelMonitor

    monitor = ModelMonitor(harmonics, sr=program.sr)
    monitor.start()  # as stimgen play does before the stream starts
    engine = Engine(program, monitor=monitor, block_frames=BLOCK)
    engine.prefill()
    out = np.zeros((BLOCK, 2), dtype=np.float32)
    ticks = []
    clock, cpu = time.perf_counter, time.process_time
    while not engine.done:
        t0, c0 = clock(), cpu()
        engine.pull(out)
        engine.step()
        ticks.append((clock() - t0, cpu() - c0))
    return np.asarray(ticks)


def time_baseline(y: np.ndarray, harmonics) -> np.ndarray:
    """Wall and CPU seconds per block of the model alone on the frames of ``y`` (2, n), shape (n_blocks, 2)."""
    from stimgen.live import ModelMonitor

    monitor = ModelMonitor(harmonics, sr=SR)
    monitor.start()
    frames = np.ascontiguousarray(y.T)
    ticks = []
    clock, cpu = time.perf_counter, time.process_time
    for a in range(0, frames.shape[0], BLOCK):
        t0, c0 = clock(), cpu()
        monitor.feed(frames[a:a + BLOCK])
        ticks.append((clock() - t0, cpu() - c0))
    return np.asarray(ticks)


def _row(name: str, ticks: np.ndarray, prepare_s: float | None, session_s: float) -> str:
    block_s = BLOCK / SR
    share = 100.0 * ticks[:, 0] / block_s
    cpu = 100.0 * ticks[:, 1] / block_s
    prep = "-" if prepare_s is None else f"{prepare_s:7.2f} s = {100 * prepare_s / session_s:5.2f} %"
    return (f"{name:<10} {share.mean():7.2f} % {np.percentile(share, 99):8.2f} % {share.max():8.1f} %   "
            f"{cpu.mean():7.2f} % {np.percentile(cpu, 99):8.2f} %   {ticks[:, 0].sum():7.2f} s   {prep}")


_FIRST_SAMPLE_CHILD = r"""
import json, os, sys, time
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
marks = {}
def mark(label):
    marks[label] = time.process_time()
import numpy as np
import stimgen.cli  # noqa: F401  (what the `stimgen` command imports)
from stimgen.live import Engine, ModelMonitor, Thermostat, adaptive_program, fixed_program
from stimgen.preset import load_preset
mark("imports")
preset = load_preset(sys.argv[1])
if sys.argv[2] == "adaptive":
    program = adaptive_program(preset, thermostat=Thermostat())
else:
    program = fixed_program(preset)
mark("plan")
monitor = ModelMonitor(sr=program.sr)
engine = Engine(program, monitor=monitor)
engine.prefill()
out = np.zeros((engine.block_frames, 2), dtype=np.float32)
engine.pull(out)
mark("first block")
wall_first = time.time()
monitor.start()  # stimgen play sets the model up once the stream has started
mark("model")
print(json.dumps({"marks": marks, "wall_first": wall_first, "duration_s": program.n_frames / program.sr}), flush=True)
"""


def _cli_first_sample(name: str, mode: str, home) -> float:
    """``first_sample_s`` of a real ``stimgen play NAME`` on ALSA's null device, stopped with SIGINT."""
    import json
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ALSA_CONFIG_PATH"}
    env["HOME"] = str(home)
    cmd = [sys.executable, "-m", "stimgen", "play", name, "--json"] + (["--adaptive"] if mode == "adaptive" else [])
    import tempfile

    for wait_s in (6.0, 15.0, 40.0):  # a SIGINT before the stream starts ends the command without a summary
        # Files, not pipes: ALSA may write much to stderr, and a full pipe would stall the child.
        with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
            child = subprocess.Popen(cmd, env=env, stdout=out_f, stderr=err_f, text=True)
            time.sleep(wait_s)
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=120)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                raise RuntimeError(f"stimgen play {name} did not end within 120 s of SIGINT") from None
            out_f.seek(0)
            err_f.seek(0)
            out, err = out_f.read(), err_f.read()
        if child.returncode == 0:
            return float(json.loads(out.strip().splitlines()[-1])["session"]["first_sample_s"])
        if "interrupted" not in err:
            raise RuntimeError(f"stimgen play {name} failed: {err.strip()[-300:]}")
    raise RuntimeError(f"stimgen play {name} did not start playing within {wait_s:g} s")


def first_sample(names, *, repeats: int = 1, cli: bool = False) -> int:
    """Time from the start of a fresh process to the first block of ``stimgen play NAME``, per preset.

    Each preset runs, fixed and adaptive, in a child process doing what
    ``stimgen play`` does before its first sample (imports, the mastering
    plan, filling the ring buffer) and pulling the first 512-frame block,
    then setting the model up (which ``stimgen play`` does in the background
    once the stream runs); the child reports its CPU time at each step, the
    parent the wall time until the child's report.  With ``cli``, also the
    real command on ALSA's null device (its ``first_sample_s``: wall time
    from the process's start to the first block handed to PortAudio).
    ``repeats`` runs each; minimum and median are shown (the machine may be
    shared: the minimum is the idle figure).
    """
    import json
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    home = None
    if cli:
        home = Path(tempfile.mkdtemp(prefix="alsa-null-"))
        (home / ".asoundrc").write_text("pcm.!default {\n  type null\n}\n")
    head = (f"{'preset':<27} {'mode':<8} {'min':>4} {'imports':>8} {'plan':>7} {'ring':>7} {'CPU first':>14} "
            f"{'wall first':>14} {'model':>7}" + (f" {'CLI wall':>14}" if cli else ""))
    print(head + "\n" + " " * 41 + "CPU s to the first block; min / median of " + str(repeats))
    for name in names:
        for mode in ("fixed", "adaptive"):
            rows, walls, clis = [], [], []
            for _ in range(repeats):
                w0 = time.time()
                child = subprocess.run([sys.executable, "-c", _FIRST_SAMPLE_CHILD, name, mode], capture_output=True,
                                       text=True, check=True)
                r = json.loads(child.stdout.strip().splitlines()[-1])
                m = r["marks"]
                walls.append(r["wall_first"] - w0)
                rows.append([m["imports"], m["plan"] - m["imports"], m["first block"] - m["plan"], m["first block"],
                             m["model"] - m["first block"]])
                if cli:
                    clis.append(_cli_first_sample(name, mode, home))
            rows = np.asarray(rows)
            best = rows[np.argmin(rows[:, 3])]
            line = (f"{name:<27} {mode:<8} {r['duration_s'] / 60:4.0f} {best[0]:7.2f}s {best[1]:6.2f}s {best[2]:6.2f}s "
                    f"{rows[:, 3].min():6.2f}/{np.median(rows[:, 3]):5.2f}s {min(walls):6.2f}/{np.median(walls):5.2f}s "
                    f"{best[4]:6.2f}s")
            if cli:
                line += f" {min(clis):6.2f}/{np.median(clis):5.2f}s"
            print(line, flush=True)
    print("imports, plan (the mastering gain from the probe windows; adaptive: also its sources), ring (filling the "
          "1 s ring buffer): CPU s of the fastest run; CPU/wall first: from the process's start to the first block "
          "(wall: from the parent's spawning the child to the first block); model: the model's set-up, after the "
          "first block; CLI wall: stimgen play on ALSA's null device, its first_sample_s")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Per-block cost of stimgen play (fixed and adaptive).")
    parser.add_argument("--preset", default="groove", help="bundled preset or .toml file")
    parser.add_argument("--seconds", type=float, default=60.0, help="session length")
    parser.add_argument("--first-sample", action="store_true",
                        help="only time the first sample of fixed and adaptive sessions at the preset's own length")
    parser.add_argument("--repeats", type=int, default=1, help="runs per preset and mode for --first-sample")
    parser.add_argument("--cli", action="store_true",
                        help="with --first-sample, also time the real command on ALSA's null device (6 s per run)")
    args = parser.parse_args(argv)
    if args.first_sample:
        from stimgen.preset import list_presets

        names = [name for name, _ in list_presets()] if args.preset == "all" else [args.preset]
        return first_sample(names, repeats=args.repeats, cli=args.cli)

    from resonance.harmonics import connectome_harmonics
    from stimgen.live import Thermostat, adaptive_program, fixed_program
    from stimgen.preset import load_preset

    harmonics = connectome_harmonics()
    preset = load_preset(args.preset)
    session_s = args.seconds

    from stimgen.session import Session

    t0 = time.perf_counter()
    fixed = fixed_program(preset, duration_s=session_s)
    prep_fixed = time.perf_counter() - t0
    first = fixed_program(preset, duration_s=session_s)
    t0 = time.perf_counter()
    first.next_frames(BLOCK)
    first_block_s = time.perf_counter() - t0
    mastered = np.concatenate(list(Session(preset, duration_s=session_s).blocks()), axis=1)
    baseline = time_baseline(mastered, harmonics)
    fixed_ticks = time_session(fixed, harmonics)

    t0 = time.perf_counter()
    adaptive = adaptive_program(preset, duration_s=session_s, thermostat=Thermostat(band=(1e3, 2e3)))
    prep_adaptive = time.perf_counter() - t0
    adaptive_ticks = time_session(adaptive, harmonics)

    print(f"stimgen play, {args.preset}, {session_s:g} s sessions, {BLOCK}-frame blocks at {SR} Hz "
          f"({1000 * BLOCK / SR:.2f} ms), one core")
    print(f"{'row':<10} {'mean':>9} {'p99':>10} {'max':>10}   {'CPU mean':>9} {'CPU p99':>10}   {'total':>9}   "
          "preparation (share of session)")
    print(_row("baseline", baseline, None, session_s))
    print(_row("fixed", fixed_ticks, prep_fixed, session_s))
    print(_row("adaptive", adaptive_ticks, prep_adaptive, session_s))
    print(f"time to the first sample of the fixed session: {prep_fixed + first_block_s:.2f} s "
          f"(mastering pass 1 {prep_fixed:.2f} s + first block {first_block_s:.3f} s; add ~1 s of start-up)")
    print(f"ratios to the baseline (mean wall per block): fixed {fixed_ticks[:, 0].mean() / baseline[:, 0].mean():.2f}x, "
          f"adaptive {adaptive_ticks[:, 0].mean() / baseline[:, 0].mean():.2f}x")
    print(f"thermostat: {len(adaptive.thermostat.log)} logged changes; limiter trims {adaptive.limiter.n_trims}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
