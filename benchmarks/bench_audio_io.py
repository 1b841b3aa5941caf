"""Cost of streaming audio through :class:`resonance.io.audio.AudioReader`.

Writes a stereo 44.1 kHz FLAC of noise to a temporary folder, streams it to
mono 22050 Hz in 10 s blocks, and reports speed relative to real time and
the peak memory NumPy allocated (which stays near one block, whatever the
file length).

Usage::

    python benchmarks/bench_audio_io.py --minutes 5
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import soundfile as sf

from resonance.io.audio import AudioReader

__all__ = ["main"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark AudioReader streaming.")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the test file")
    parser.add_argument("--block-s", type=float, default=10.0, help="block length in seconds")
    args = parser.parse_args(argv)

    native_sr = 44100
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "noise.flac"
        n_frames = int(args.minutes * 60 * native_sr)
        with sf.SoundFile(path, "w", samplerate=native_sr, channels=2, format="FLAC", subtype="PCM_16") as out:
            for start in range(0, n_frames, native_sr * 10):
                n = min(native_sr * 10, n_frames - start)
                out.write(rng.uniform(-0.5, 0.5, size=(n, 2)))

        reader = AudioReader(path, sr=22050, block_s=args.block_s)
        tracemalloc.start()
        t0 = time.perf_counter()
        n_out = sum(len(block) for block in reader)
        elapsed_s = time.perf_counter() - t0
        _, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    audio_s = n_frames / native_sr
    print(f"file: {audio_s / 60:.1f} min stereo FLAC at {native_sr} Hz; {n_out} output samples at 22050 Hz")
    print(f"streaming: {elapsed_s:.2f} s = {audio_s / elapsed_s:.0f}x real time")
    print(f"peak NumPy memory: {peak_bytes / 2**20:.1f} MiB (one {args.block_s:g} s block of float64 stereo is "
          f"{args.block_s * native_sr * 2 * 8 / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
