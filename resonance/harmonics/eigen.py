"""The eigensolver: lowest eigenpairs of a graph Laplacian, and their physical units.

The eigenmodes are those of the symmetric normalised Laplacian
``L = I - D^-1/2 A D^-1/2``, computed by ARPACK in shift-invert mode (a
sparse LU of ``L - sigma I`` with a minimum-degree ordering, ``sigma`` =
:data:`SHIFT`) from a seeded start vector, so runs are deterministic (a dense
``eigh`` for at most :data:`DENSE_LIMIT` nodes).  Each vector is then signed
so that its entry of largest magnitude is positive.  On a regular lattice of
spacing ``h`` the normalised graph Laplacian approximates ``-(h^2 / 4)``
times the Laplace-Beltrami operator: :func:`physical_eigenvalues`.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..validation import check_float, check_int
from .graph import SEED

try:  # a dependency of scikit-learn, hence of librosa; optional here
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - exercised only without threadpoolctl
    threadpool_limits = None

__all__ = ["SHIFT", "GRAPH_TO_LBO", "DENSE_LIMIT", "laplacian_eigenmodes", "physical_eigenvalues"]

#: Shift sigma of the shift-invert eigensolver.  The Laplacian is positive
#: semi-definite, so a small negative shift keeps ``L - sigma I`` positive
#: definite (a stable LU) while sitting next to the wanted eigenvalues at 0.
SHIFT = -1e-3

#: ``lambda_phys = GRAPH_TO_LBO * lambda_graph / h^2``: the normalised graph
#: Laplacian of a regular lattice of spacing h approximates ``-(h^2/4)``
#: times the Laplace-Beltrami operator (docs/model.md).
GRAPH_TO_LBO = 4.0

#: Graphs (or patches) with at most this many nodes use a dense eigensolver.
DENSE_LIMIT = 2000


def physical_eigenvalues(graph_eigenvalues, *, edge_length_mm: float) -> np.ndarray:
    """Convert normalised-graph-Laplacian eigenvalues to mm^-2.

    Parameters
    ----------
    graph_eigenvalues : array_like, shape (n,)
        Eigenvalues of ``I - D^-1/2 A D^-1/2`` (dimensionless, in [0, 2]).
    edge_length_mm : float
        Lattice spacing h (mm), > 0.

    Returns
    -------
    ndarray, shape (n,), float64
        ``GRAPH_TO_LBO * lambda / h^2``.

    Raises
    ------
    ParameterError
        If ``edge_length_mm`` is not > 0.

    Examples
    --------
    >>> float(physical_eigenvalues([0.01], edge_length_mm=4.0)[0])
    0.0025
    """
    h = check_float("edge_length_mm", edge_length_mm, low=0, low_inclusive=False)
    return GRAPH_TO_LBO * np.asarray(graph_eigenvalues, dtype=float) / (h * h)


def laplacian_eigenmodes(laplacian, n_modes: int, *, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Lowest eigenpairs of a (sparse) graph Laplacian.

    Dense ``eigh`` for at most :data:`DENSE_LIMIT` nodes, else ARPACK
    shift-invert around :data:`SHIFT` with a minimum-degree sparse LU and a
    seeded start vector.  BLAS is limited to one thread while it runs.  Eigenvalues are clipped at 0 (round-off), sorted
    ascending; each vector is signed so its largest-magnitude entry is > 0.

    Parameters
    ----------
    laplacian : sparse matrix, shape (n, n)
        Symmetric positive semi-definite.
    n_modes : int
        Number of modes, ``1 <= n_modes <= n`` (``< n`` for the sparse path).
    seed : int
        Seed of the start vector.

    Returns
    -------
    eigenvalues : ndarray, shape (n_modes,), float64
    vectors : ndarray, shape (n, n_modes), float64
        Orthonormal columns.

    Raises
    ------
    ParameterError
        If ``n_modes`` is out of range.

    Examples
    --------
    >>> vals, vecs = laplacian_eigenmodes(normalized_laplacian(np.ones((3, 3)) - np.eye(3)), 2)
    >>> np.round(vals, 6).tolist()
    [0.0, 1.5]
    """
    with _single_threaded_blas():
        return _laplacian_eigenmodes(laplacian, n_modes, seed=seed)


def _laplacian_eigenmodes(laplacian, n_modes: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    import scipy.linalg  # here, not at import: a cached decomposition needs no SciPy sparse (0.2-0.3 s to import)
    import scipy.sparse as sp
    from scipy.sparse.linalg import LinearOperator, eigsh, splu

    n = laplacian.shape[0]
    if n <= DENSE_LIMIT:
        n_modes = check_int("n_modes", n_modes, low=1, high=n)
        dense = laplacian.toarray() if sp.issparse(laplacian) else np.asarray(laplacian, dtype=float)
        vals, vecs = scipy.linalg.eigh(dense, subset_by_index=[0, n_modes - 1])
    else:
        n_modes = check_int("n_modes", n_modes, low=1, high=n - 2)
        shifted = (laplacian - SHIFT * sp.identity(n, format="csc")).tocsc()
        lu = splu(shifted, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
        op_inv = LinearOperator((n, n), matvec=lu.solve, dtype=np.float64)
        v0 = np.random.default_rng(seed).standard_normal(n)
        vals, vecs = eigsh(laplacian, k=n_modes, sigma=SHIFT, which="LM", OPinv=op_inv, v0=v0)
    order = np.argsort(vals, kind="stable")
    vals = np.maximum(vals[order], 0.0)
    vecs = np.ascontiguousarray(vecs[:, order])
    peak = np.abs(vecs).argmax(axis=0)
    signs = np.sign(vecs[peak, np.arange(vecs.shape[1])])
    signs[signs == 0] = 1.0
    vecs *= signs
    return vals, vecs


def _single_threaded_blas():
    """Run BLAS/LAPACK on one thread.

    ARPACK's many small BLAS calls and the dense ``eigh`` of small region
    patches gain little from threads and slow down many-fold when the cores
    are shared with other work (on a busy 2-core machine: 41 s instead of
    6.6 s for the 200 default modes, 45 s instead of 0.5 s for the regional
    harmonics).
    """
    if threadpool_limits is None:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
