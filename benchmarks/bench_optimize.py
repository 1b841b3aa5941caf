"""Speed of ``stimgen optimize``, and the measurements behind its must-hold claims.

Two parts, run from the repository root:

``python benchmarks/bench_optimize.py speed [--duration 60] [--n 16] [--default-run]``
    Times, for candidates of ``--duration`` seconds (the template's random
    candidates, the same ones for every worker count):

    * baseline 1: :func:`resonance.score_signal` alone on one mastered
      candidate (the model's share of an evaluation);
    * baseline 2: one whole evaluation (render, master, score) of it, one thread;
    * evaluations per second of the optimizer's pool with 1 and 2 workers
      (``--n`` candidates each, pool start-up included), and the seconds of
      computing per second of audio;
    * with ``--default-run``: the wall time of the default command,
      ``stimgen optimize -o BEST.toml`` (60 s candidates, default budget,
      every CPU), start-up, credit assignment and writing included.

``python benchmarks/bench_optimize.py musthold [--budget 240] [--seeds 0 1 2] [--workers 2] [--out FILE.json]``
    The issue's must-hold checks at 60 s on real renders (tens of minutes):

    1. every bundled preset scored at 60 s, at its own loudness and at the
       optimizer's (-20 LUFS); the optimised design must score >= 1.2x the best;
    2. differential evolution against random search with the same budget,
       for every seed;
    3. connectome specificity: the default connectome against its
       auditory-hub rewiring (:func:`stimgen.optimize.entry_hub_rewiring`,
       seed 0) and against a uniform random rewiring (seed 0); each winner is
       scored on both connectomes of its pair;
    4. determinism: the first seed's run repeated gives the same best
       parameters.

The harmonics come from the on-disk cache (``$STIMGEN_CACHE_DIR``, else the
platform cache); rewired connectomes are written to a temporary folder and
their harmonics computed once (about 10 s each).  Timings on a shared machine
are noisy: repeat and keep the best.
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

import numpy as np

__all__ = ["main", "speed", "musthold"]


def _best_of(function, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - t0)
    return best


def speed(duration_s: float = 60.0, n: int = 16, default_run: bool = False) -> dict:
    """Time baselines, pool throughput at 1 and 2 workers, and optionally the default run."""
    from resonance import score_signal
    from stimgen.mastering import master_session
    from stimgen.optimize import SearchSpace, load_harmonics, optimize
    from stimgen.optimize.evaluate import evaluate_preset, single_thread
    from stimgen.render import render_preset

    harmonics = load_harmonics()
    space = SearchSpace.from_preset(None, duration_s=duration_s)
    preset = space.to_preset(space.x0())
    with single_thread():
        y, info = render_preset(preset)
        mastered, _ = master_session(y, sr=info["sr"], duration_s=duration_s, target_lufs=preset["target_lufs"],
                                     ceiling_dbtp=preset["ceiling_dbtp"])
        t_score = _best_of(lambda: score_signal(mastered, info["sr"], harmonics=harmonics), 3)
        t_eval = _best_of(lambda: evaluate_preset(preset, harmonics=harmonics), 3)
    print(f"candidate: the template's starting point, {duration_s:g} s stereo at {info['sr']} Hz")
    print(f"baseline 1, score_signal alone:            {t_score:6.2f} s  ({t_score / duration_s * 1000:.1f} ms per s of audio)")
    print(f"baseline 2, render + master + score:       {t_eval:6.2f} s  ({t_eval / duration_s * 1000:.1f} ms per s of audio, "
          f"{t_eval / t_score:.2f}x baseline 1)")
    out = {"duration_s": duration_s, "score_signal_s": t_score, "evaluation_s": t_eval, "pool": {}}
    bests = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        result = optimize(space, harmonics=harmonics, budget=n, seed=123, workers=workers, method="random")
        wall = time.perf_counter() - t0
        rate = result.n_computed / wall
        bests[workers] = (result.best_values, result.best_score)
        out["pool"][workers] = {"evaluations": result.n_computed, "wall_s": wall, "per_s": rate}
        print(f"pool, {workers} worker(s): {result.n_computed} evaluations in {wall:6.1f} s = {rate:.2f} evaluations/s "
              f"({wall / result.n_computed / duration_s * 1000:.1f} ms of wall time per s of candidate audio; "
              f"{wall / result.n_computed / t_eval:.2f}x baseline 2 per evaluation)")
    same = bests[1] == bests[2]
    print(f"1 and 2 workers give the same best candidate: {same}")
    out["same_result_1_vs_2_workers"] = same
    if default_run:
        with tempfile.TemporaryDirectory() as folder:
            cmd = [sys.executable, "-m", "stimgen", "optimize", "-o", str(Path(folder) / "BEST.toml")]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            wall = time.perf_counter() - t0
        print(proc.stdout)
        if proc.returncode != 0:
            print(proc.stderr)
        print(f"default run (`stimgen optimize -o BEST.toml`): {wall:.0f} s wall = {wall / 60:.2f} min, "
              f"exit code {proc.returncode}")
        out["default_run_s"] = wall
    return out


def _preset_scores(harmonics) -> dict:
    from stimgen.optimize import SearchSpace, evaluate_preset
    from stimgen.preset import list_presets, load_preset, validate_preset

    rows = {}
    for name, _ in list_presets():
        # The arc scaled to 60 s as `stimgen generate --duration 60` scales it.
        base = SearchSpace.from_preset(load_preset(name), duration_s=60.0).base
        own = evaluate_preset(base, harmonics=harmonics)["score"]
        at20 = evaluate_preset(validate_preset({**base, "target_lufs": -20.0}), harmonics=harmonics)["score"]
        rows[name] = {"own_loudness": own, "target_lufs": base["target_lufs"], "at_minus_20_lufs": at20}
        print(f"  {name:28s} {own:7.3f} at {base['target_lufs']:g} LUFS, {at20:7.3f} at -20 LUFS")
    return rows


def musthold(budget: int = 240, seeds=(0, 1, 2), workers: int = 2, out: str | None = None) -> dict:
    """Run the must-hold measurements (see the module docstring)."""
    from resonance.connectome import load_connectome
    from stimgen.optimize import (
        SearchSpace, entry_hub_rewiring, evaluate_preset, load_harmonics, optimize, rewired_connectome,
        write_connectome_csv,
    )

    t_start = time.perf_counter()
    space = SearchSpace.from_preset(None, duration_s=60.0)
    h_default = load_harmonics()
    report: dict = {"budget": budget, "seeds": list(seeds), "workers": workers}

    print("1. bundled presets at 60 s")
    presets = _preset_scores(h_default)
    best_preset = max(max(r["own_loudness"], r["at_minus_20_lufs"]) for r in presets.values())
    report["presets"] = presets

    print("2. differential evolution vs random search (default connectome, 60 s)")
    runs = {}
    for seed in seeds:
        for method in ("de", "random"):
            t0 = time.perf_counter()
            r = optimize(space, harmonics=h_default, budget=budget, seed=seed, workers=workers, method=method)
            runs[(method, seed)] = r
            print(f"  seed {seed} {method:6s}: best {r.best_score:.3f} (evaluation {r.best_evaluation} of "
                  f"{r.n_evaluations}), {time.perf_counter() - t0:.0f} s", flush=True)
    de = [runs[("de", s)].best_score for s in seeds]
    rnd = [runs[("random", s)].best_score for s in seeds]
    report["de"] = de
    report["random"] = rnd
    winner = runs[("de", seeds[0])]
    ratio = winner.best_score / best_preset
    print(f"  -> optimised (seed {seeds[0]}) {winner.best_score:.3f} / best preset {best_preset:.3f} = {ratio:.2f}x "
          f"(must be >= 1.2); DE beats random on {sum(a > b for a, b in zip(de, rnd))} of {len(seeds)} seeds")
    report["ratio_to_best_preset"] = ratio
    report["best_preset_score"] = best_preset
    report["winner"] = winner.best_preset

    print("3. connectome specificity")
    base = load_connectome()
    specificity = {}
    with tempfile.TemporaryDirectory() as folder:
        for label, other, pair_seeds in (
            ("auditory-hub rewiring", entry_hub_rewiring(base, seed=0), seeds),
            ("uniform random rewiring", rewired_connectome(base, seed=0), seeds[:1]),
        ):
            path = write_connectome_csv(Path(folder) / f"{label.split()[0]}.csv", other)
            h_other = load_harmonics(str(path))
            rows = []
            for seed in pair_seeds:
                r_other = optimize(space, connectome=str(path), harmonics=h_other, budget=budget, seed=seed,
                                   workers=workers)
                w_def = runs[("de", seed)].best_preset
                w_oth = r_other.best_preset
                s = {
                    "seed": seed,
                    "default_winner_on_default": runs[("de", seed)].best_score,
                    "other_winner_on_default": evaluate_preset(w_oth, harmonics=h_default)["score"],
                    "other_winner_on_other": r_other.best_score,
                    "default_winner_on_other": evaluate_preset(w_def, harmonics=h_other)["score"],
                }
                s["default_winner"] = {"layers": w_def["layers"], "arc": w_def["arc"]}
                s["other_winner"] = {"layers": w_oth["layers"], "arc": w_oth["arc"]}
                s["holds"] = (s["default_winner_on_default"] > s["other_winner_on_default"]
                              and s["other_winner_on_other"] > s["default_winner_on_other"])
                rows.append(s)
                print(f"  {label}, seed {seed}: on default: default's winner {s['default_winner_on_default']:.3f} vs "
                      f"other's {s['other_winner_on_default']:.3f}; on rewired: other's winner "
                      f"{s['other_winner_on_other']:.3f} vs default's {s['default_winner_on_other']:.3f} "
                      f"-> {'holds' if s['holds'] else 'FAILS'}", flush=True)
            specificity[label] = rows
    report["specificity"] = specificity

    print("4. determinism")
    again = optimize(space, harmonics=h_default, budget=budget, seed=seeds[0], workers=workers)
    same = again.best_values == winner.best_values and again.history == winner.history
    print(f"  seed {seeds[0]} repeated: same best parameters and history: {same}")
    report["deterministic"] = same
    report["wall_s"] = time.perf_counter() - t_start
    print(f"total {report['wall_s'] / 60:.1f} min")
    if out:
        Path(out).write_text(json.dumps(report, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="part", required=True)
    p = sub.add_parser("speed", help="evaluations per second, baselines, default-run wall time")
    p.add_argument("--duration", type=float, default=60.0, help="candidate length (s)")
    p.add_argument("--n", type=int, default=16, help="candidates per worker count")
    p.add_argument("--default-run", action="store_true", help="also time `stimgen optimize -o BEST.toml`")
    m = sub.add_parser("musthold", help="the issue's must-hold measurements at 60 s")
    m.add_argument("--budget", type=int, default=240)
    m.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    m.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    m.add_argument("--out", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.part == "speed":
        speed(args.duration, args.n, args.default_run)
    else:
        musthold(args.budget, tuple(args.seeds), args.workers, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
