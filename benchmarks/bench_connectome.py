"""Benchmark: does the connectome change which stimuli build most?

Run with ``python benchmarks/bench_connectome.py [--seconds 15] [--json FILE]``
(about 2 minutes on one core).  Scores the varied stimulus set of
``tests/test_model_facts.py`` (two drum grooves, amplitude-modulated noise at
4, 16 and 40 Hz, a beating drone, a legato chorale, a band mix; all
synthesised by ``tests/synth_signals.py`` and ``tests/synth_music.py`` at the
same RMS) on every connectome ``tvb-data`` ships and on randomised controls
of the default harmonics, then reports Spearman's rank correlation of each
variant's scores with the default's:

* ``tvb:76`` (the default, vertex level), ``tvb:76`` at the region level,
  ``tvb:66``, ``tvb:68``, ``tvb:96`` (region level);
* ``random basis``: the default eigenvalues with a random orthonormal basis
  as eigenvectors (seeded);
* ``shuffled eigenvalues``: the default eigenvectors with their eigenvalues
  permuted (seeded);
* ``shuffled vertices``: every eigenvector's entries permuted by one seeded
  permutation of the vertices (the "shuffled eigenvectors" control of
  docs/model.md: spectra kept, spatial structure destroyed).

Also reports each variant's median score relative to the default, and the
share of the default's neutral energy held by the constant (first) mode,
and the scoring cost of one stimulus as a multiple of real time.  It is a
check on the mechanism, not a target: no constant is tuned to its figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main"]

_TESTS = Path(__file__).resolve().parent.parent / "tests"


def _stimuli(seconds: float) -> dict:
    sys.path.insert(0, str(_TESTS))
    import synth_music as M
    import synth_signals as S

    return {
        "groove 120": S.groove(120, seconds, seed=1),
        "groove 80": S.groove(80, seconds, seed=2),
        "AM noise 4 Hz": M.am_noise(4, seconds),
        "AM noise 16 Hz": M.am_noise(16, seconds),
        "AM noise 40 Hz": M.am_noise(40, seconds),
        "beating drone": M.beat_pair(seconds),
        "legato chorale": M.chorale(seconds),
        "band mix": M.band_mix(100, seconds, seed=3),
    }


def _variants(resonance) -> dict:
    h = resonance.connectome_harmonics()
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal(h.vectors.shape))
    perm = np.random.default_rng(2).permutation(h.vectors.shape[0])
    return {
        "tvb:76": h,
        "tvb:76 region level": resonance.connectome_harmonics(level="region"),
        "tvb:66": resonance.connectome_harmonics("tvb:66"),
        "tvb:68": resonance.connectome_harmonics("tvb:68"),
        "tvb:96": resonance.connectome_harmonics("tvb:96"),
        "random basis": dataclasses.replace(h, vectors=q, regional=()),
        "shuffled eigenvalues": dataclasses.replace(
            h, eigenvalues_per_mm2=np.random.default_rng(1).permutation(h.eigenvalues_per_mm2), regional=()
        ),
        "shuffled vertices": dataclasses.replace(h, vectors=h.vectors[perm], regional=()),
    }


def main(argv=None) -> int:
    """Run the benchmark and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each stimulus (s)")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)

    import warnings

    from scipy.stats import spearmanr

    import resonance
    from resonance import score_signal

    warnings.simplefilter("ignore")
    sr = resonance.MODEL_SR if hasattr(resonance, "MODEL_SR") else 22050
    stimuli = {k: v * (0.1 / np.sqrt(np.mean(v**2))) for k, v in _stimuli(args.seconds).items()}
    variants = _variants(resonance)
    scores, cost, first_mode = {}, {}, None
    for name, hv in variants.items():
        t = time.perf_counter()
        results = [score_signal(y, sr, harmonics=hv) for y in stimuli.values()]
        cost[name] = (time.perf_counter() - t) / (len(stimuli) * args.seconds)
        scores[name] = [r.score for r in results]
        if first_mode is None:
            e = np.array([r.timeline["mode_energy"].mean(axis=1) for r in results])
            first_mode = (e[:, 0] / np.maximum(e.sum(axis=1), 1e-300)).tolist()
    ref = scores["tvb:76"]
    names = list(stimuli)
    print(f"## Connectome sensitivity ({len(names)} stimuli, {args.seconds:g} s each)\n")
    print("| variant | Spearman with tvb:76 | median score / tvb:76 | rank of each stimulus (0 = builds most) | cost x real time |")
    print("|---|---|---|---|---|")
    rho = {}
    for name, s in scores.items():
        rho[name] = float(spearmanr(ref, s)[0])
        ranks = np.argsort(np.argsort(-np.asarray(s))).tolist()
        ratio = float(np.median(np.asarray(s) / np.asarray(ref)))
        print(f"| {name} | {rho[name]:.3f} | {ratio:.3g} | {ranks} | {cost[name]:.3f} |")
    print("\nStimuli (rank order above): " + ", ".join(names))
    print("\n| stimulus | " + " | ".join(scores) + " | first-mode share (tvb:76) |")
    print("|---|" + "---|" * (len(scores) + 1))
    for i, n in enumerate(names):
        print(f"| {n} | " + " | ".join(f"{scores[k][i]:.3g}" for k in scores) + f" | {first_mode[i]:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"seconds": args.seconds, "stimuli": names, "scores": scores,
                                         "spearman_with_default": rho, "cost_x_real_time": cost,
                                         "first_mode_share": dict(zip(names, first_mode))}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
