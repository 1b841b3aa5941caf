"""Benchmark: cold and cached connectome harmonics of the default connectome.

Run with ``python benchmarks/bench_harmonics.py [--repeat N]``.  Uses a
temporary cache folder (never the user's).  Times are wall-clock seconds and,
because machines and their load differ, are also reported as ratios to two
baselines measured in the same run:

* reading the default connectome and mesh from tvb-data (``load_connectome``);
* a plain dense ``eigh`` of a 2,000-node normalised Laplacian (a patch of the
  same mesh), the smaller problem a dense solver can still handle.

Targets (issue "Foundation and the connectome harmonics model"): cold 200
modes under 10 s on a 2-core machine, cached load under 0.2 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

__all__ = ["main"]


def _time(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the cold computation")
    parser.add_argument("--n-modes", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        os.environ["STIMGEN_CACHE_DIR"] = cache
        import numpy as np
        import scipy.linalg
        import scipy.sparse as sp

        from resonance.connectome import load_connectome
        from resonance.harmonics import (
            _single_threaded_blas,
            connectome_harmonics,
            laplacian_eigenmodes,
            mesh_edges,
            normalized_laplacian,
            vertex_adjacency,
        )

        connectome = load_connectome()
        t_read = statistics.median(_time(load_connectome, 5))

        # Baseline: dense eigh of a 2000-vertex patch of the mesh graph.
        edges = mesh_edges(connectome.triangles)
        keep = edges[(edges < 2000).all(axis=1)]
        adj = sp.coo_matrix((np.ones(len(keep)), (keep[:, 0], keep[:, 1])), shape=(2000, 2000))
        dense = normalized_laplacian(adj + adj.T).toarray()

        def dense_eigh():
            with _single_threaded_blas():
                scipy.linalg.eigh(dense)

        t_dense = statistics.median(_time(dense_eigh, 3))

        # Stages of the cold computation.
        start = time.perf_counter()
        lap = normalized_laplacian(vertex_adjacency(connectome))
        t_graph = time.perf_counter() - start
        start = time.perf_counter()
        laplacian_eigenmodes(lap, args.n_modes)
        t_eig = time.perf_counter() - start

        cold = _time(lambda: connectome_harmonics(connectome, n_modes=args.n_modes, cache=False), args.repeat)
        connectome_harmonics(n_modes=args.n_modes)  # write the cache entry
        cached = _time(lambda: connectome_harmonics(n_modes=args.n_modes), 5)
        cached_only = _time(lambda: connectome_harmonics(connectome, n_modes=args.n_modes), 5)
        h = connectome_harmonics(connectome, n_modes=args.n_modes)

    t_cold, t_cached, t_cached_only = (statistics.median(x) for x in (cold, cached, cached_only))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"{'step':52s} {'seconds':>9s} {'/ read':>8s} {'/ dense':>8s}")
    rows = [
        ("baseline: read connectome + mesh (load_connectome)", t_read),
        ("baseline: dense eigh, 2000-node Laplacian", t_dense),
        ("build vertex graph + Laplacian", t_graph),
        (f"shift-invert eigensolve, {args.n_modes} modes", t_eig),
        (f"cold connectome_harmonics, {args.n_modes} modes (median of {args.repeat})", t_cold),
        ("cached connectome_harmonics() incl. reading the mesh", t_cached),
        ("cached, connectome already loaded", t_cached_only),
    ]
    for name, seconds in rows:
        print(f"{name:52s} {seconds:9.3f} {seconds / t_read:8.1f} {seconds / t_dense:8.2f}")
    print(f"cold runs: {', '.join(f'{x:.2f}' for x in cold)} s")
    agree = max(np.mean((h.vectors[:, 1] > 0) == (h.hemisphere == side)) for side in ("L", "R"))
    f = h.frequencies_hz
    print(
        f"mode 2: {f[1]:.2f} Hz (hemisphere split {100 * agree:.1f} %), mode 3: {f[2]:.2f} Hz, "
        f"mode {h.n_modes}: {f[-1]:.1f} Hz; h = {h.edge_length_mm:.3f} mm"
    )


if __name__ == "__main__":
    main()
