"""CPU of each mastering stage of ``stimgen generate``, per 10 minutes of audio, against a baseline in the same run.

The session is rendered and mastered as ``stimgen generate`` does it
(:class:`stimgen.session.Session`: probe windows, plan, one streamed pass),
in a child process per checkout, and the CPU time (``time.process_time``)
spent in each stage is summed over the session:

* ``loudness meter``: the K-weighted loudness of the output
  (:class:`stimgen.mastering.LoudnessMeter`);
* ``probe energies``: the probe windows' K-weighted block energies;
* ``true-peak survey`` and ``screen``: the estimated true peak of each
  block (with the block peaks of the probe windows it screens itself), and
  the block peaks of the streamed pass, which choose the survey's stretches
  and decide whether the limiter runs;
* ``limiter``: the look-ahead true-peak limiter with its 4x/8x check, on
  the blocks (and probe windows) that can reach the ceiling;
* ``gain correction``: the gain steered while the session is written;
* ``mastering total``: the plan and the streamed pass less the synthesis
  (``render``, timed too) of the sections and probe windows.

Jobs: ``beat10`` (``benchmarks/bench_peer.py``'s 10-minute 10 Hz binaural
beat over pink noise, 44.1 kHz; the limiter never acts) and bundled presets
(``deep_anneal``: the limiter acts on most blocks).  Each child also prints
a hash of the mastered float64 samples and of their 16-bit rounding, so the
table says whether the checkouts produce the same output.  Runs are
interleaved and the least CPU of ``--repeats`` is shown per stage (a shared
machine); ratios are baseline / this checkout.

Usage::

    python benchmarks/bench_mastering.py [--jobs beat10 deep_anneal] [--minutes 10] [--repeats 3]
                                         [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Stage -> (module, attribute path) of the functions timed; a name missing in a checkout is skipped.
STAGES = {
    "render": [("stimgen.render", "SessionRenderer.read")],
    "loudness meter": [("stimgen.mastering.loudness", "LoudnessMeter.process")],
    "probe energies": [("stimgen.mastering.master", "_block_energies")],
    "true-peak survey": [("stimgen.mastering.master", "_survey_peak")],
    "screen": [("stimgen.mastering.master", "_block_peaks"), ("stimgen.mastering.master", "_sample_envelope")],
    "limiter": [("stimgen.mastering.master", "_limiter_gain")],
    "gain correction": [("stimgen.mastering.master", "StreamMaster._corrected_gain_db")],
}


def child(job: str, minutes: float) -> None:
    """Render and master one job with the stages timed; print one JSON line."""
    import functools
    import hashlib
    import importlib
    import time

    import numpy as np

    totals = {}
    depth = [0]

    def timed(function, stage):
        # A call inside another timed call stays with the outer stage (e.g. the limiter's own sample
        # envelope is the limiter's, not the screen's), so the stages never count the same time twice.
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if depth[0]:
                return function(*args, **kwargs)
            depth[0] += 1
            t0 = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                totals[stage] = totals.get(stage, 0.0) + time.process_time() - t0
                depth[0] -= 1
        return wrapper

    for stage, places in STAGES.items():
        for module_name, path in places:
            module = importlib.import_module(module_name)
            module = sys.modules[module_name]  # not a same-named function of the package
            *owners, name = path.split(".")
            owner = module
            for part in owners:
                owner = getattr(owner, part)
            function = getattr(owner, name, None)
            if function is not None:
                setattr(owner, name, timed(function, stage))
    try:  # keep freed heap, as stimgen generate does
        from stimgen.commands.generate import _pad_heap

        _pad_heap()
    except ImportError:
        pass
    from stimgen.preset import load_preset
    from stimgen.session import Session

    if job == "beat10":
        from bench_peer import PRESET

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "beat10.toml")
            with open(path, "w") as fh:
                fh.write(PRESET.format(duration_s=minutes * 60))
            resolved = load_preset(path)
    else:
        resolved = load_preset(job)
    digest, digest16 = hashlib.sha1(), hashlib.sha1()
    t0 = time.process_time()
    session = Session(resolved, duration_s=minutes * 60)
    session.plan()
    for y in session.blocks():
        t_hash = time.process_time()
        digest.update(y.tobytes())
        digest16.update(np.round(np.clip(y, -1.0, 1.0) * 32767.0).astype(np.int16).tobytes())
        t0 += time.process_time() - t_hash  # hashing is not the mastering's
    total = time.process_time() - t0
    totals["mastering total"] = total - totals.get("render", 0.0)
    print(json.dumps({"cpu": totals, "hash": digest.hexdigest()[:12], "hash16": digest16.hexdigest()[:12],
                      "loudness_lufs": session.report["loudness_lufs"],
                      "true_peak_dbtp": session.report["true_peak_dbtp"]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", nargs="+", default=["beat10", "deep_anneal"])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", default=None, help="folder holding another stimgen checkout, timed alongside")
    parser.add_argument("--child", nargs=2, metavar=("JOB", "MINUTES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], float(args.child[1]))
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trees = {"this": here}
    if args.baseline:
        trees["baseline"] = os.path.abspath(args.baseline)
    per_10_min = 10.0 / args.minutes
    for job in args.jobs:
        best = {name: {} for name in trees}
        out = {}
        for _ in range(max(1, args.repeats)):
            for name, root in trees.items():
                env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])}
                line = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", job, str(args.minutes)],
                                      env=env, cwd=root, capture_output=True, text=True, check=True).stdout
                result = json.loads(line.strip().splitlines()[-1])
                out[name] = result
                for stage, cpu in result["cpu"].items():
                    best[name][stage] = min(best[name].get(stage, float("inf")), cpu)
        print(f"\n{job}, {args.minutes:g} min; CPU s per 10 min of audio, least of {args.repeats} run(s)")
        header = f"{'stage':<18}" + "".join(f"{name:>10}" for name in trees)
        print(header + (f"{'ratio':>8}" if args.baseline else ""))
        for stage in [*STAGES, "mastering total"]:
            row = [best[name].get(stage) for name in trees]
            if all(v is None for v in row):
                continue
            text = "".join(f"{'-' if v is None else format(v * per_10_min, '.3f'):>10}" for v in row)
            if args.baseline and row[0] and row[1] is not None:
                text += f"{row[1] / row[0]:7.2f}x"
            print(f"{stage:<18}{text}")
        for name in trees:
            r = out[name]
            print(f"{name}: output sha1 {r['hash']} (16-bit {r['hash16']}), {r['loudness_lufs']:.3f} LUFS, "
                  f"{r['true_peak_dbtp']:.3f} dBTP")
        if args.baseline:
            same = out["this"]["hash"] == out["baseline"]["hash"]
            print("output bit-identical to the baseline" if same else "output DIFFERS from the baseline")


if __name__ == "__main__":
    main()
