"""CPU time of the metre model (resonance.expectation.metre) on a file's onsets, against another tree's metre.py.

Speed work on the metre filter needs the filter timed alone, on real input,
against the code it replaces, in the same run.  The file is scored once
(:func:`resonance.score_file`) while the metre model's input blocks (the
bands' onset strengths, as the scorer hands them over) are recorded; then a
fresh :class:`~resonance.expectation.metre.MetreModel` of this tree and one
loaded from ``--base`` (another worktree's ``resonance/expectation/metre.py``)
process the same blocks in turn, alternating, ``--repeat`` times each.
Reported: the least CPU time of each (``MetreModel.process``, all blocks), its
cost relative to the audio's length, the ratio, and how far this tree's
outputs (onset predictions, certainty, beat expectation, surprise, entropy,
tempo evidence) and tempo fall from the base's.

One core: ``OMP_NUM_THREADS`` etc. are set to 1 before NumPy is imported.

Usage::

    git worktree add /tmp/base trial --detach
    python benchmarks/bench_metre.py --file /tmp/mixes10.wav \\
        --base /tmp/base/resonance/expectation/metre.py
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

__all__ = ["main", "record_blocks"]


def record_blocks(path: Path) -> tuple[dict, list, float]:
    """Score ``path`` once; return the scorer's metre parameters, its input blocks and the audio length (s)."""
    import soundfile as sf

    import resonance
    from resonance.expectation import metre

    blocks, params = [], {}
    original = metre.MetreModel.process

    def recording(self, o_bands):
        if not params:
            params.update({k: v for k, v in vars(self).items() if not k.startswith("_") and not k.endswith("_")})
        blocks.append(np.array(o_bands, copy=True))
        return original(self, o_bands)

    metre.MetreModel.process = recording
    try:
        resonance.score_file(str(path), harmonics=resonance.connectome_harmonics())
    finally:
        metre.MetreModel.process = original
    return params, blocks, float(sf.info(str(path)).duration)


def _load_base(path: Path):
    """``path`` (another tree's metre.py) as a module of this package (its relative imports resolve here)."""
    import resonance.expectation  # noqa: F401  (the parent package)

    spec = importlib.util.spec_from_file_location("resonance.expectation._metre_base", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _run(module, params, blocks):
    """CPU seconds of ``MetreModel.process`` over all blocks, and what the model made of them."""
    model = module.MetreModel(**params)
    cpu, outs = 0.0, []
    for b in blocks:
        t0 = time.process_time()
        out = model.process(b)
        cpu += time.process_time() - t0
        outs.append(np.stack([out.p, out.p_metre, out.certainty, out.beat_expectation, out.surprise_bits,
                              out.entropy_bits]))
    return cpu, np.concatenate(outs, axis=1), model.tempo_evidence_.copy(), model.tempo_bpm()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="CPU time of the metre model on a file's onsets, against a base.")
    parser.add_argument("--file", required=True, help="audio file whose onsets the model hears")
    parser.add_argument("--base", required=True, help="another tree's resonance/expectation/metre.py")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each, alternating; the least is kept")
    args = parser.parse_args(argv)
    base_path = Path(args.base)
    if args.repeat < 1 or not base_path.is_file() or not Path(args.file).is_file():
        parser.error(f"--repeat={args.repeat} must be >= 1; --file and --base={args.base} must be files")
    # The base's compiled kernels go to their own cache (the base tree's own cache is left alone).
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "stimgen-bench-metre-numba"))

    from resonance.expectation import metre

    params, blocks, audio_s = record_blocks(Path(args.file))
    base = _load_base(base_path)
    mods = {"this tree": metre, "base": base}
    results = {k: _run(m, params, blocks[:1]) for k, m in mods.items()}  # warm-up (compilation, caches)
    best = {k: np.inf for k in mods}
    for _ in range(args.repeat):
        for k, m in mods.items():
            results[k] = _run(m, params, blocks)
            best[k] = min(best[k], results[k][0])
    n = sum(b.shape[1] for b in blocks)
    print(f"## metre model on {Path(args.file).name} ({audio_s / 60:.1f} min, {n} frames; least of {args.repeat})")
    for k in mods:
        print(f"{k:<12}{best[k]:>8.3f} s CPU  {best[k] / audio_s:.5f} x real time")
    print(f"ratio this tree / base: {best['this tree'] / best['base']:.3f}")
    (_, out, ev, bpm), (_, out0, ev0, bpm0) = results["this tree"], results["base"]
    for name, x, y in (("outputs", out, out0), ("tempo evidence", ev, ev0)):
        big = np.abs(y) > 1e-12
        rel = float(np.max(np.abs(x - y)[big] / np.abs(y[big]))) if big.any() else 0.0
        print(f"{name}: " + ("bit-identical" if np.array_equal(x, y) else f"max relative difference {rel:.2g}"))
    print(f"tempo: {bpm!r} (base {bpm0!r})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
