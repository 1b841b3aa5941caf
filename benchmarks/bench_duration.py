"""Benchmark: does the score depend on how long the model has listened?

Run with ``python benchmarks/bench_duration.py [--seeds 0 1 2 3] [--grooves 16] [--json FILE]``
(about 2 minutes per seed and 3 minutes for 16 grooves on one core).  The
figures of issue 10's duration point and of docs/model.md ("Duration"), for
the model as configured and for a baseline configuration measured in the
same run (default: the model of session 5, recurrence sink off and band
sinks that forget over about an hour):

* **same music**: one steady groove (``tests/synth_signals.groove``, 120 BPM,
  180 s, RMS 0.1) cut into 10 s blocks; its 20 s excerpts starting at 0, 10,
  ..., 140 s each read over their second block, its 60 s excerpts starting
  at 0, 50 and 100 s over their last five, and the 180 s excerpt over
  10-160 s, so that every duration reads the same 150 s of music (the test
  ``test_the_same_music_reads_alike_however_long_the_model_has_listened``
  uses seed 0); max/min of the three means;
* **grooves**: the mean over ``--grooves`` grooves (seeds 0..N-1) of the
  neutral power over 10-20, 10-60 and 10-180 s of each, i.e. the scores of
  their 20, 60 and 180 s excerpts cut from the start
  (``test_steady_groove_scores_alike_on_20_60_and_180_s`` uses 16);
* **loop**: the habituation metric of the exact one-bar loop and of the
  varied groove (seed 3, 180 s), and their scores.

It is a check on the mechanism, not a target: no constant is tuned to its
figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main"]

_TESTS = Path(__file__).resolve().parent.parent / "tests"


def _level(y, rms=0.1):
    return y * (rms / np.sqrt(np.mean(y**2)))


def _same_music(S, score, seed: int) -> list:
    y = _level(S.groove(120, 180.0, syncopation=0.5, variation=0.5, seed=seed))
    n10 = int(10 * S.SR)
    s20 = np.mean([score(y[i * n10 : (i + 2) * n10]).score for i in range(15)])
    s60 = np.mean([score(y[i * n10 : (i + 6) * n10]).score for i in (0, 5, 10)])
    whole = score(y[: 18 * n10])
    t, p = whole.timeline["t_s"], whole.timeline["neutral_power"]
    return [float(s20), float(s60), float(p[(t > 10.0) & (t <= 160.0)].mean())]


def _grooves(S, score, n: int) -> list:
    reads = np.zeros(3)
    for seed in range(n):
        r = score(_level(S.groove(120, 180.0, syncopation=0.5, variation=0.5, seed=seed)))
        t, p = r.timeline["t_s"], r.timeline["neutral_power"]
        reads += [p[(t > 10.0) & (t <= d)].mean() for d in (20.0, 60.0, 180.0)]
    return (reads / n).tolist()


def _loop(S, score) -> dict:
    loop = score(_level(S.groove(120, 180.0, syncopation=0.5, loop=True, seed=3)))
    varied = score(_level(S.groove(120, 180.0, syncopation=0.5, variation=0.5, seed=3)))
    return {
        "loop_habituation": loop.metrics["habituation"], "varied_habituation": varied.metrics["habituation"],
        "loop_score": loop.score, "varied_score": varied.score,
    }


def main(argv=None) -> int:
    """Run the benchmark and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3], help="same-music grooves (default 0-3)")
    parser.add_argument("--grooves", type=int, default=16, help="grooves of the from-the-start read (0: skip)")
    parser.add_argument("--baseline", default='{"recurrence_max_lag_s": 0, "sink_forgetting_tau_s": 0}',
                        help="ModelConfig fields of the baseline, as JSON (default: the model of session 5)")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(_TESTS))
    import synth_signals as S

    from resonance import ModelConfig, connectome_harmonics, score_signal

    harmonics = connectome_harmonics()
    configs = {"model": ModelConfig(), "baseline": ModelConfig(**json.loads(args.baseline))}
    out = {}
    for name, cfg in configs.items():
        def score(y, cfg=cfg):
            return score_signal(y, S.SR, harmonics=harmonics, config=cfg)

        t0 = time.process_time()
        fig = {"same_music": {str(s): _same_music(S, score, s) for s in args.seeds}}
        if args.grooves:
            fig["grooves"] = _grooves(S, score, args.grooves)
        fig["loop"] = _loop(S, score)
        fig["cpu_s"] = time.process_time() - t0
        out[name] = fig
    print("## Same music read after 20 / 60 / 180 s of listening (each over 10-160 s)\n")
    print("| groove | model 20 / 60 / 180 s | max/min | baseline 20 / 60 / 180 s | max/min |")
    print("|---|---|---|---|---|")
    for s in args.seeds:
        a, b = out["model"]["same_music"][str(s)], out["baseline"]["same_music"][str(s)]
        print(f"| seed {s} | {' / '.join(f'{x:.3f}' for x in a)} | {max(a) / min(a):.3f} "
              f"| {' / '.join(f'{x:.3f}' for x in b)} | {max(b) / min(b):.3f} |")
    if args.grooves:
        a, b = out["model"]["grooves"], out["baseline"]["grooves"]
        print(f"\n## {args.grooves} grooves, excerpts from the start (mean 20 / 60 / 180 s scores)\n")
        print(f"model {' / '.join(f'{x:.3f}' for x in a)} (max/min {max(a) / min(a):.3f}); "
              f"baseline {' / '.join(f'{x:.3f}' for x in b)} (max/min {max(b) / min(b):.3f})")
    print("\n## Exact loop against the varied groove (seed 3, 180 s)\n")
    print("| config | loop habituation | varied habituation | loop score | varied score |")
    print("|---|---|---|---|---|")
    for name in configs:
        d = out[name]["loop"]
        print(f"| {name} | {d['loop_habituation']:.3f} | {d['varied_habituation']:.3f} "
              f"| {d['loop_score']:.4g} | {d['varied_score']:.4g} |")
    print(f"\nCPU: model {out['model']['cpu_s']:.0f} s, baseline {out['baseline']['cpu_s']:.0f} s")
    if args.json:
        from resonance.io.atomic import atomic_path

        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
