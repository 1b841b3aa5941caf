"""Throughput of library scoring: serial loop against a local Dask cluster of 1 and 2 workers.

``python benchmarks/bench_library.py [--files 100] [--duration-s 10] [--repeat 2] [--rows 20000] [--out FILE.json]``

Writes ``--files`` groove files (:func:`bench_score.write_groove`, 44.1 kHz
stereo WAV, different seeds) and scores the same files four ways:

* **serial loop** (the baseline): ``for f in files: resonance.score_file(f, harmonics=h)``;
* **score_rows, serial**: :func:`resonance.io.library.score_rows` without a
  client (adds hashing, rows and the table rewrites to ``--out``);
* **1 and 2 local workers**: the same on a :class:`distributed.LocalCluster`
  of 1 or 2 processes (one thread each); the cluster start and each worker's
  warm-up (imports, numba compilation, the model's reference build-up: a
  fixed cost per worker, like the serial loop's warm-up file) are timed
  apart; the harmonics broadcast is in the run.

Both clusters are started first; the four runs are interleaved ``--repeat``
times and the best of each is kept (the load of a shared machine varies).
It reports audio hours scored per wall-clock hour and the ratio to the
serial loop; the scheduling overhead per file, measured two ways: (1 worker
- serial loop) / files, and the round trip of an empty task through the same
submit/``as_completed`` window; the time to rewrite a ``--rows`` row Parquet
table (the cost of one batch write of a large library); and, from those
figures, the wall time and cost to score one million 3-minute tracks on N
machines (assumptions printed with the figures).

The harmonics come from the on-disk cache (computed once if missing).  On a
shared machine the figures are noisy; the ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main", "estimate_million_tracks"]

sys.path.insert(0, str(Path(__file__).resolve().parent))

#: Assumptions of the paper estimate (stated with the figures).
TRACKS = 1_000_000
TRACK_S = 180.0
CORES_PER_MACHINE = 32
PRICE_PER_MACHINE_HOUR_USD = 1.50  # a 32-vCPU compute instance on demand, order of magnitude
MACHINES = (1, 10, 100)


def _noop(x):
    return x


def _task_round_trip_s(client, n: int = 200) -> float:
    """Seconds per empty task through the submit / as_completed window that score_rows uses."""
    from distributed import as_completed

    start = time.perf_counter()
    window = 2 * sum(client.nthreads().values())
    pending = iter(range(n))
    queue = as_completed([client.submit(_noop, i, pure=False) for i, _ in zip(range(window), pending)])
    for _ in queue:
        following = next(pending, None)
        if following is not None:
            queue.add(client.submit(_noop, following, pure=False))
    return (time.perf_counter() - start) / n


def estimate_million_tracks(audio_h_per_h_per_worker: float, scaling: float, *, machines=MACHINES) -> list[dict]:
    """Wall time and cost to score :data:`TRACKS` tracks of :data:`TRACK_S` s on N machines.

    Parameters
    ----------
    audio_h_per_h_per_worker : float
        Measured throughput of one worker process (audio hours per wall hour).
    scaling : float
        Measured efficiency of adding workers (2-worker throughput / (2 x
        1-worker)), applied to every core of a machine.
    machines : iterable of int

    Returns
    -------
    list of dict
        ``machines``, ``wall_h``, ``machine_hours``, ``cost_usd``.
    """
    audio_h = TRACKS * TRACK_S / 3600.0
    per_machine = audio_h_per_h_per_worker * CORES_PER_MACHINE * scaling
    rows = []
    for n in machines:
        wall_h = audio_h / (per_machine * n)
        rows.append({"machines": n, "wall_h": wall_h, "machine_hours": wall_h * n,
                     "cost_usd": wall_h * n * PRICE_PER_MACHINE_HOUR_USD})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--duration-s", type=float, default=10.0)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="Also write the figures as JSON.")
    args = parser.parse_args(argv)

    from bench_score import write_groove
    from distributed import Client, LocalCluster

    from resonance import score_file
    from resonance.io.library import model_identity, read_table, score_rows, score_task, write_table
    from stimgen.optimize import load_harmonics

    harmonics = load_harmonics()
    figures: dict = {"files": args.files, "duration_s": args.duration_s}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = []
        for i in range(args.files):
            path = tmp / "lib" / f"groove{i:03d}.wav"
            path.parent.mkdir(exist_ok=True)
            write_groove(path, args.duration_s, seed=i)
            files.append(path)
        audio_h = args.files * args.duration_s / 3600.0

        score_file(files[0], harmonics=harmonics)  # warm-up: the model's reference build-up
        with contextlib.ExitStack() as stack:
            clients = {}
            for n_workers in (1, 2):
                t0 = time.perf_counter()
                cluster = stack.enter_context(LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1,
                                                           dashboard_address=None, silence_logs=40))
                client = stack.enter_context(Client(cluster))
                figures[f"cluster start {n_workers} worker(s) s"] = time.perf_counter() - t0
                # Warm-up of every worker (imports, numba, the model's reference), timed apart: a
                # fixed cost per worker that a library of thousands of files amortises.
                t0 = time.perf_counter()
                client.run(score_task, str(files[0]), harmonics, identity=model_identity(harmonics))
                figures[f"worker warm-up {n_workers} worker(s) s"] = time.perf_counter() - t0
                clients[n_workers] = client
            figures["empty task round trip ms"] = 1e3 * _task_round_trip_s(clients[1])

            def serial_loop(out):
                for path in files:
                    score_file(path, harmonics=harmonics)

            configs = {
                "serial loop": serial_loop,
                "score_rows, serial": lambda out: score_rows(files, harmonics=harmonics, out=out),
                "1 local worker": lambda out: score_rows(files, harmonics=harmonics, client=clients[1], out=out),
                "2 local workers": lambda out: score_rows(files, harmonics=harmonics, client=clients[2], out=out),
            }
            runs = {name: float("inf") for name in configs}
            for repeat in range(args.repeat):  # interleaved, best of: the machine's load varies
                for i, (name, run) in enumerate(configs.items()):
                    out = tmp / f"run{repeat}-{i}.parquet"
                    t0 = time.perf_counter()
                    run(out)
                    runs[name] = min(runs[name], time.perf_counter() - t0)
                    if out.exists():
                        assert all(r["error"] is None for r in read_table(out))

        row = read_table(tmp / "run0-1.parquet")[0]
        big = [dict(row, file=f"/library/track{i:07d}.flac") for i in range(args.rows)]
        t0 = time.perf_counter()
        write_table(big, tmp / "big.parquet")
        figures[f"rewrite {args.rows} rows s"] = time.perf_counter() - t0

    print(f"{args.files} files x {args.duration_s:g} s = {audio_h:.3f} audio hours, {os.cpu_count()} CPUs")
    print(f"{'run':<22} {'wall s':>8} {'audio h / h':>12} {'x serial loop':>14}")
    base = runs["serial loop"]
    figures["runs"] = {}
    for name, wall in runs.items():
        rate = audio_h / (wall / 3600.0)
        figures["runs"][name] = {"wall_s": wall, "audio_h_per_h": rate, "ratio": base / wall}
        print(f"{name:<22} {wall:8.2f} {rate:12.1f} {base / wall:14.2f}")
    per_file_ms = 1e3 * (runs["1 local worker"] - base) / args.files
    figures["overhead per file ms (1 worker - serial loop)"] = per_file_ms
    for key in [k for k in figures if k.startswith(("cluster start", "worker warm-up", "empty task", "rewrite"))]:
        print(f"{key}: {figures[key]:.3f}")
    print(f"scheduling overhead per file (1 worker - serial loop): {per_file_ms:.1f} ms")

    one = figures["runs"]["1 local worker"]["audio_h_per_h"]
    scaling = figures["runs"]["2 local workers"]["audio_h_per_h"] / (2 * one)
    figures["scaling 2 workers"] = scaling
    print(f"\nOne million {TRACK_S / 60:g}-minute tracks ({TRACKS * TRACK_S / 3600:,.0f} audio hours), "
          f"{CORES_PER_MACHINE}-core machines at ${PRICE_PER_MACHINE_HOUR_USD:.2f}/machine-hour, one worker "
          f"per core at the measured {one:.0f} audio h/h per worker and {scaling:.2f} 2-worker efficiency:")
    figures["million_tracks"] = estimate_million_tracks(one, scaling)
    for est in figures["million_tracks"]:
        print(f"  {est['machines']:>4} machine(s): {est['wall_h']:8.1f} h wall, "
              f"{est['machine_hours']:8.0f} machine-hours, ${est['cost_usd']:,.0f}")
    if args.out is not None:
        args.out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
