"""Where scoring a file spends its time: CPU seconds per model stage, against a floor.

:mod:`bench_score` gives the ratio of ``resonance.score_file`` to a librosa
floor and a cProfile listing (inflated by profiling, and by function rather
than by stage).  This benchmark answers the question a speed-up needs first:
which *stage* of :class:`resonance.Scorer` costs what.  Every stage's entry
point is wrapped by a timer (CPU time, :func:`time.process_time`; exclusive:
a stage timed inside another is subtracted from it), and the file is scored
the way :func:`resonance.score_file` does (:class:`resonance.io.audio.AudioReader`
blocks into one ``Scorer``).  The wrappers cost a few microseconds per call,
a few hundred calls per minute of audio: negligible.

Stages:

* ``read + resample``  -- decoding and resampling to the model rate;
* ``front end``        -- :class:`resonance.hearing.frontend.FrontEnd` (bands, long STFT,
  onsets, flux, binaural);
* ``speech``           -- :class:`resonance.expectation.semantic.SpeechDetector`;
* ``harmonic separation`` -- :class:`resonance.hearing.consonance.HarmonicSeparator`
  (the harmonic part of each long frame, for consonance and harmony);
* ``consonance``       -- :class:`resonance.hearing.consonance.FrameAnalyzer`;
* ``harmony``, ``metre`` -- :class:`resonance.expectation.Expectation`;
* ``sinks``            -- onset, recurrence sinks and timing tolerance;
* ``rhythm bank``, ``mode energy``, ``modulation filterbank``, ``modulation energy``,
  ``reservoir``, ``oscillators``, ``synchrony read-out``, ``result``;
* ``glue``             -- everything else in ``Scorer.process`` / ``_advance``
  (buffers, precision, pass share, bookkeeping).

The floor (``librosa.load(path, sr=22050)`` + ``librosa.feature.melspectrogram``)
is timed in the same run, best of ``--repeat`` like the score, so the ratio
holds on a busy machine.  Files: a synthesised drum groove (``--minutes``,
44.1 kHz stereo WAV, :func:`bench_score.write_groove`) and any ``--file``.

One core: ``OMP_NUM_THREADS`` etc. are set to 1 before NumPy is imported.

Usage::

    python benchmarks/bench_score_stages.py                       # 10 min groove
    python benchmarks/bench_score_stages.py --minutes 2 --file /tmp/realcache/mix__hedgewars_Rock.wav
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_score import write_groove  # noqa: E402  (also pins BLAS threads to 1)

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

__all__ = ["main", "stage_times"]

#: (stage, module, class, method); the first listed of a nested pair is outer.
_STAGES = (
    ("front end", "resonance.hearing.frontend", "FrontEnd", "process"),
    ("speech", "resonance.expectation.semantic", "SpeechDetector", "process"),
    ("harmonic separation", "resonance.hearing.consonance", "HarmonicSeparator", "process"),
    ("consonance", "resonance.scorer", "Scorer", "_consonance"),
    ("harmony", "resonance.expectation", "Expectation", "process_spectrum"),
    ("metre", "resonance.expectation", "Expectation", "process_onsets"),
    ("sinks", "resonance.expectation.sinks", "OnsetSinks", "process"),
    ("sinks", "resonance.expectation.absorption", "OnsetAbsorption", "_learn_blocks"),  # whole blocks, compiled
    ("sinks", "resonance.expectation.sinks", "RecurrenceSink", "process"),
    ("sinks", "resonance.expectation.sinks", "TimingTolerance", "process"),
    ("rhythm bank", "resonance.dynamics", "RhythmBank", "process"),
    ("mode energy", "resonance.harmonics.drive", "OnsetDrive", "process"),
    ("modulation filterbank", "resonance.hearing.modulation", "ModulationFilterbank", "process"),
    ("modulation energy", "resonance.harmonics.drive", "ModulationDrive", "bands"),
    ("modulation energy", "resonance.expectation.sinks", "ModulationSink", "process"),
    ("modulation energy", "resonance.harmonics.drive", "ModulationDrive", "process"),
    ("reservoir", "resonance.dynamics", "Reservoir", "process"),
    ("synchrony read-out", "resonance.dynamics.synchrony", "Synchrony", "process"),
    ("oscillators", "resonance.dynamics.oscillators", "RegionalOscillators", "process"),
    ("result", "resonance.scorer", "Scorer", "result"),
)


class _Timers:
    """Exclusive CPU time per stage: a stage running inside another is not counted twice."""

    def __init__(self):
        self.cpu: dict[str, float] = {}
        self._stack: list[list] = []  # [name, start, time of nested stages]

    def wrap(self, name, fn):
        def timed(*args, **kwargs):
            self._stack.append([name, time.process_time(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                _, t0, nested = self._stack.pop()
                spent = time.process_time() - t0
                self.cpu[name] = self.cpu.get(name, 0.0) + spent - nested
                if self._stack:
                    self._stack[-1][2] += spent

        timed.__wrapped__ = fn
        return timed


def _install(timers: _Timers):
    import importlib

    undo = []
    for name, mod, cls, meth in _STAGES:
        klass = getattr(importlib.import_module(mod), cls)
        original = klass.__dict__[meth]
        setattr(klass, meth, timers.wrap(name, original))
        undo.append((klass, meth, original))
    return undo


def _uninstall(undo):
    for klass, meth, original in reversed(undo):
        setattr(klass, meth, original)


def stage_times(path, *, harmonics) -> tuple[dict, float, float]:
    """CPU seconds per stage of scoring ``path``, the total, and the score.

    The file is read as :func:`resonance.score_file` reads it (one
    ``Scorer``, blocks of :data:`resonance.io.scoring.SCORE_BLOCK_S`).
    """
    from resonance.hearing.frontend import MODEL_SR
    from resonance.io.audio import AudioReader
    from resonance.io.scoring import SCORE_BLOCK_S
    from resonance.scorer import Scorer

    timers = _Timers()
    undo = _install(timers)
    try:
        t0 = time.process_time()
        reader = iter(AudioReader(path, sr=MODEL_SR, block_s=SCORE_BLOCK_S, dtype=np.float32, mono=False))
        scorer = Scorer(harmonics)
        read = 0.0
        while True:
            r0 = time.process_time()
            block = next(reader, None)
            read += time.process_time() - r0
            if block is None:
                break
            scorer.process(block)
        score = scorer.result().score
        total = time.process_time() - t0
    finally:
        _uninstall(undo)
    cpu = {"read + resample": read, **timers.cpu}
    cpu["glue"] = total - sum(cpu.values())
    return cpu, total, score


def _floor(path) -> float:
    import librosa

    t0 = time.process_time()
    y, sr = librosa.load(path, sr=22050)
    librosa.feature.melspectrogram(y=y, sr=sr)
    return time.process_time() - t0


def _report(label: str, audio_s: float, runs: list, floors: list) -> None:
    best = min(range(len(runs)), key=lambda i: runs[i][1])
    cpu, total, score = runs[best]
    floor = min(floors)
    print(f"\n## {label} ({audio_s / 60:.1f} min; score {score:.6g}; best of {len(runs)})")
    print(f"{'stage':<24}{'CPU s':>8}{'share':>8}{'s/audio min':>13}")
    for name, sec in sorted(cpu.items(), key=lambda kv: -kv[1]):
        print(f"{name:<24}{sec:>8.2f}{100 * sec / total:>7.1f}%{60 * sec / audio_s:>13.3f}")
    print(f"{'total':<24}{total:>8.2f}{100.0:>7.1f}%{60 * total / audio_s:>13.3f}")
    print(f"{'floor (librosa)':<24}{floor:>8.2f}")
    print(f"ratio score / floor (CPU): {total / floor:.2f}x")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="CPU time of each stage of resonance.score_file, against a floor.")
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the groove (0: none; default 10)")
    parser.add_argument("--file", action="append", default=[], help="also time this audio file (repeatable)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the fastest is kept (default 2)")
    args = parser.parse_args(argv)
    if args.minutes < 0 or args.repeat < 1:
        parser.error(f"--minutes={args.minutes} must be >= 0 and --repeat={args.repeat} >= 1")

    import soundfile as sf
    import resonance

    h = resonance.connectome_harmonics()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        if args.minutes > 0:
            path = Path(tmp) / "groove.wav"
            write_groove(path, args.minutes * 60.0, sr=44100, channels=2)
            files.append((f"drum groove, 44.1 kHz stereo WAV", path))
        files += [(Path(f).name, Path(f)) for f in args.file]
        for label, path in files:
            audio_s = sf.info(str(path)).duration
            _floor(path)  # warm-up: imports, FFT plans, file cache
            stage_times(path, harmonics=h)
            runs, floors = [], []
            for _ in range(args.repeat):  # interleaved, so load on the machine hits both alike
                floors.append(_floor(path))
                runs.append(stage_times(path, harmonics=h))
            _report(label, audio_s, runs, floors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
