"""Connectome harmonics and their neural-field resonance (docs/model.md).

Construction
------------
*Vertex level* (a connectome with a mesh, e.g. the default).  The graph has
one node per mesh vertex and two kinds of edges:

* every mesh edge, weight 1 (binary local adjacency, as in Atasoy et al.
  2016);
* :data:`N_LONG_RANGE_EDGES` long-range edges drawn with a fixed seed: each
  edge picks a region pair ``(i, j)`` with probability proportional to the
  symmetrised weight ``W_ij`` and joins a uniformly drawn vertex of region
  ``i`` to one of region ``j``.  All long-range edges share one weight, set
  so that they carry the fraction :data:`LONG_RANGE_FRACTION` of the graph's
  total edge weight.

The eigenmodes are those of the symmetric normalised Laplacian
``L = I - D^-1/2 A D^-1/2``, computed by ARPACK in shift-invert mode (a
sparse LU of ``L - sigma I`` with a minimum-degree ordering, ``sigma`` =
:data:`SHIFT`) from a seeded start vector, so runs are deterministic.  Each
vector is then signed so that its entry of largest magnitude is positive.

*Regional harmonics* are the eigenmodes of each region's own patch: the same
Laplacian built from the mesh edges whose two ends lie in the region, lowest
``n_regional_modes`` per region (fewer for a patch with fewer vertices).

*Region level* (a connectome without a mesh, or ``level="region"``).  The
graph has one node per region and the symmetrised weights as edges; there are
no regional harmonics.

Physical eigenvalues
--------------------
On a regular triangular or square lattice of spacing ``h`` the normalised
graph Laplacian approximates ``-(h^2 / 4)`` times the Laplace-Beltrami
operator, so ``lambda_phys = 4 lambda_graph / h^2`` in mm^-2.  At the vertex
level ``h`` is the mean mesh-edge length (3.97 mm for the default); the test
suite checks the result against a cotangent finite-element Laplace-Beltrami
solve on the same mesh (agreement within 10 %).  At the region level ``h`` is
the mean length of the graph's edges, weighted by the edge weights: the
Euclidean distance between connected region centres when centres are known,
else the tract lengths, else the spacing ``sqrt(A / n_regions)`` of
``n_regions`` points on a cortex of area :data:`REFERENCE_CORTEX_AREA_MM2`.
:attr:`Harmonics.length_scale` says which was used.

Temporal resonance
------------------
Each mode's amplitude obeys the damped wave equation of neural field theory
(Robinson et al. 1997; Pang et al. 2023)::

    a'' + 2 gamma a' + gamma^2 (1 + r^2 lambda) a = gamma^2 q

so it rings at ``f = gamma r sqrt(lambda) / (2 pi)`` with damping ratio
``1 / sqrt(1 + r^2 lambda)``, and its response to a drive at angular
frequency ``w`` is ``H(w) = gamma^2 / (gamma^2 (1 + r^2 lambda) - w^2 +
2 i gamma w)``.

The decomposition is cached on disk (:mod:`resonance.io.cache`), keyed by a
hash of the connectome's arrays and every parameter; an unreadable or
inconsistent entry is recomputed, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh, splu

from .connectome import Connectome, load_connectome
from .errors import DataFileError, ParameterError
from .io import cache as _cache
from .validation import check_bool, check_finite_array, check_float, check_int, check_option

try:  # a dependency of scikit-learn, hence of librosa; optional here
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - exercised only without threadpoolctl
    threadpool_limits = None

__all__ = [
    "GAMMA_PER_S",
    "R_MM",
    "N_MODES",
    "MAX_N_MODES",
    "N_REGIONAL_MODES",
    "LONG_RANGE_FRACTION",
    "N_LONG_RANGE_EDGES",
    "SEED",
    "SHIFT",
    "GRAPH_TO_LBO",
    "REFERENCE_CORTEX_AREA_MM2",
    "DENSE_LIMIT",
    "CACHE_KIND",
    "CACHE_FORMAT",
    "LEVELS",
    "Harmonics",
    "RegionalHarmonics",
    "connectome_harmonics",
    "mesh_edges",
    "sample_long_range_edges",
    "vertex_adjacency",
    "normalized_laplacian",
    "laplacian_eigenmodes",
    "physical_eigenvalues",
    "mode_dispersion",
    "neural_field_transfer",
    "spatial_axis_correlations",
]

#: Damping rate of cortical waves, gamma (s^-1).  Pang et al. 2023, Nature
#: 618:566 ("Geometric constraints on human brain function"), Methods, after
#: Robinson et al. 2002.
GAMMA_PER_S = 116.0

#: Characteristic axonal range r (mm).  Pang et al. 2023 (as above); with
#: :data:`GAMMA_PER_S` the wave speed is ``v = gamma r`` = 3.35 m/s.
#: Robinson et al. 1997 (Phys. Rev. E 56:826) use r = 86 mm (v = 10 m/s).
R_MM = 28.9

#: Number of connectome harmonics computed by default (docs/model.md, "a few
#: hundred"; Atasoy et al. 2016 and Pang et al. 2023 analyse the first 200).
N_MODES = 200

#: Largest number of modes allowed: ARPACK keeps ``2 n_modes + 1`` vectors of
#: length n_vertices in memory (about 256 MB at 1000 modes on the default).
MAX_N_MODES = 1000

#: Regional harmonics kept per region patch by default.
N_REGIONAL_MODES = 8

#: Share of the graph's total edge weight carried by long-range edges.  0.039
#: gives each of the :data:`N_LONG_RANGE_EDGES` fibres of the default mesh
#: (49,140 mesh edges) a weight of ~1.0, as much as a mesh edge, as in Atasoy
#: et al. 2016 (each tractography fibre is an edge of the same weight as a
#: local one), so the connectome shapes the low modes and a different
#: connectome gives different modes.  Earlier versions used 0.001 (history
#: below).  Pang et al. 2023 found that geometric (local, mesh-only) eigenmodes explain cortical
#: activity better than connectome eigenmodes, so local edges dominate here.
#: Even small shares move the low modes a lot, because a random long-range edge
#: is a shortcut for every smooth mode.  With the default connectome (and
#: Pang's gamma and r) the first within-hemisphere mode rings at 6.2 Hz for a
#: share of 0 (pure geometry, but then the two hemispheres are disconnected and
#: mode 2 is not defined), 7.0 Hz at 0.0002, 9.3 Hz at 0.001, 15 Hz at 0.005
#: and 26 Hz at 0.03; mode 2 (the hemisphere split, 100 % of vertices at every
#: share tried) rings at 0.6, 1.4, 3.0 and 6.2 Hz; mode 200 stays at 57-69 Hz.
#: 0.001 keeps the spectrum close to the geometric one while letting the
#: connectome shape the slowest modes.
LONG_RANGE_FRACTION = 0.039

#: Number of long-range vertex-to-vertex edges drawn (about 4 % of the 49,140
#: mesh edges of the default; more edges spread the same weight more evenly).
#: With the default weights about 1.4 % of them join the two hemispheres.
N_LONG_RANGE_EDGES = 2000

#: Seed of the generator that draws long-range edges and the eigensolver's
#: start vector.
SEED = 0

#: Shift sigma of the shift-invert eigensolver.  The Laplacian is positive
#: semi-definite, so a small negative shift keeps ``L - sigma I`` positive
#: definite (a stable LU) while sitting next to the wanted eigenvalues at 0.
SHIFT = -1e-3

#: ``lambda_phys = GRAPH_TO_LBO * lambda_graph / h^2``: the normalised graph
#: Laplacian of a regular lattice of spacing h approximates ``-(h^2/4)``
#: times the Laplace-Beltrami operator (docs/model.md).
GRAPH_TO_LBO = 4.0

#: Cortical surface area (mm^2) used for the region-level length scale when a
#: connectome has neither centres nor tract lengths: the area of tvb-data's
#: ``cortex_16384`` mesh (2.003e5 mm^2, both hemispheres; checked in tests).
REFERENCE_CORTEX_AREA_MM2 = 2.0e5

#: Graphs (or patches) with at most this many nodes use a dense eigensolver.
DENSE_LIMIT = 2000

#: Sub-folder of the cache for harmonics entries.
CACHE_KIND = "harmonics"

#: Version of the cache layout; bump to invalidate every entry.
CACHE_FORMAT = 2

#: Allowed values of ``level``.
LEVELS = ("auto", "vertex", "region")


# --------------------------------------------------------------------------- #
# Dispersion (pure functions)
# --------------------------------------------------------------------------- #


def mode_dispersion(eigenvalues_per_mm2, *, gamma_per_s: float = GAMMA_PER_S, r_mm: float = R_MM):
    """Ringing frequency and damping ratio of neural-field modes.

    Parameters
    ----------
    eigenvalues_per_mm2 : array_like, shape (n_modes,)
        Physical Laplace-Beltrami eigenvalues (mm^-2), >= 0.
    gamma_per_s : float
        Damping rate gamma (s^-1), > 0.
    r_mm : float
        Axonal range r (mm), > 0.

    Returns
    -------
    frequencies_hz : ndarray, shape (n_modes,), float64
        ``gamma r sqrt(lambda) / (2 pi)``.
    damping_ratio : ndarray, shape (n_modes,), float64
        ``1 / sqrt(1 + r^2 lambda)`` (1 = critically damped).

    Raises
    ------
    ParameterError
        If eigenvalues are negative or not finite, or a parameter is not > 0.

    Examples
    --------
    >>> f, z = mode_dispersion([0.0, 1e-3])
    >>> round(float(f[1]), 1), round(float(z[0]), 3)
    (16.9, 1.0)
    """
    lam = _check_eigenvalues(eigenvalues_per_mm2)
    gamma = check_float("gamma_per_s", gamma_per_s, low=0, low_inclusive=False)
    r = check_float("r_mm", r_mm, low=0, low_inclusive=False)
    frequencies = gamma * r * np.sqrt(lam) / (2.0 * math.pi)
    damping = 1.0 / np.sqrt(1.0 + r * r * lam)
    return frequencies, damping


def neural_field_transfer(
    eigenvalues_per_mm2, freqs_hz, *, gamma_per_s: float = GAMMA_PER_S, r_mm: float = R_MM
) -> np.ndarray:
    """Frequency response of each mode to a drive at each frequency.

    ``H_k(w) = gamma^2 / (gamma^2 (1 + r^2 lambda_k) - w^2 + 2 i gamma w)``
    with ``w = 2 pi f``: the steady-state amplitude of mode ``k`` per unit
    drive ``q`` (docs/model.md).  ``H_k(0) = 1 / (1 + r^2 lambda_k)``.

    Parameters
    ----------
    eigenvalues_per_mm2 : array_like, shape (n_modes,)
        Physical eigenvalues (mm^-2), >= 0.
    freqs_hz : float or array_like, shape (n_freqs,)
        Drive frequencies (Hz), finite.
    gamma_per_s, r_mm : float
        Dispersion parameters (see :func:`mode_dispersion`).

    Returns
    -------
    ndarray, shape (n_modes, n_freqs), complex128

    Raises
    ------
    ParameterError
        If an input is not finite or a parameter is not > 0.

    Examples
    --------
    >>> h = neural_field_transfer([0.0, 1e-3], [0.0, 10.0])
    >>> h.shape, round(float(abs(h[0, 0])), 6)
    ((2, 2), 1.0)
    """
    lam = _check_eigenvalues(eigenvalues_per_mm2)
    gamma = check_float("gamma_per_s", gamma_per_s, low=0, low_inclusive=False)
    r = check_float("r_mm", r_mm, low=0, low_inclusive=False)
    freqs = check_finite_array("freqs_hz", np.atleast_1d(np.asarray(freqs_hz, dtype=float)), ndim=1)
    w = 2.0 * math.pi * freqs[None, :]
    g2 = gamma * gamma
    return g2 / (g2 * (1.0 + r * r * lam[:, None]) - w * w + 2j * gamma * w)


def _check_eigenvalues(values) -> np.ndarray:
    lam = check_finite_array("eigenvalues_per_mm2", np.atleast_1d(np.asarray(values, dtype=float)), ndim=1)
    if (lam < 0).any():
        raise ParameterError(
            f"eigenvalues_per_mm2 holds the negative value {lam.min():g}; eigenvalues must be >= 0"
        )
    return lam


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


# --------------------------------------------------------------------------- #
# Graph construction and eigensolver (pure functions)
# --------------------------------------------------------------------------- #


def mesh_edges(triangles) -> np.ndarray:
    """Unique undirected edges of a triangle mesh.

    Parameters
    ----------
    triangles : array_like of int, shape (n_triangles, 3)

    Returns
    -------
    ndarray, shape (n_edges, 2), int64
        Each edge once, as ``(low, high)`` vertex indices, sorted.

    Examples
    --------
    >>> mesh_edges([[0, 1, 2], [2, 1, 3]]).tolist()
    [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
    """
    tri = np.asarray(triangles, dtype=np.int64)
    pairs = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
    pairs.sort(axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0)


def sample_long_range_edges(vertex_region, weights, *, n_edges: int = N_LONG_RANGE_EDGES, seed: int = SEED):
    """Draw vertex-to-vertex edges between connected regions.

    Region pairs ``i < j`` get edges in proportion to ``weights[i, j]``
    (systematic sampling: each pair gets the floor or the ceiling of its
    expected count, so 1 % noise on the weights moves only a few edges); each
    edge joins a uniformly drawn vertex of region ``i`` to one of region
    ``j``, from a random stream of its own per pair.

    Parameters
    ----------
    vertex_region : array_like of int, shape (n_vertices,)
        Region index of each vertex.
    weights : array_like, shape (n_regions, n_regions)
        Symmetric non-negative weights.
    n_edges : int
        Number of edges to draw, >= 0.
    seed : int
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    ndarray, shape (n_edges, 2), int64
        Vertex pairs (may repeat; repeats add up in the adjacency).

    Raises
    ------
    ParameterError
        If ``n_edges`` or ``seed`` is invalid.

    Examples
    --------
    >>> e = sample_long_range_edges([0, 0, 1, 1], [[0, 1], [1, 0]], n_edges=3)
    >>> e.shape
    (3, 2)
    """
    n_edges = check_int("n_long_range_edges", n_edges, low=0)
    seed = check_int("seed", seed, low=0)
    region = np.asarray(vertex_region, dtype=np.int64)
    w = np.asarray(weights, dtype=float)
    iu, ju = np.triu_indices(w.shape[0], 1)
    pair_weight = w[iu, ju]
    # Regions without vertices cannot host an edge.
    has_vertices = np.bincount(region, minlength=w.shape[0]) > 0
    pair_weight = np.where(has_vertices[iu] & has_vertices[ju], pair_weight, 0.0)
    total = pair_weight.sum()
    if n_edges == 0 or total <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    # Systematic sampling: one random offset, then evenly spaced points on
    # the cumulative weights.  Each pair gets floor or ceil of its expected
    # count, and a small change of the weights moves only the few counts
    # whose boundaries it crosses (a multinomial draw, by contrast, reshuffles
    # every count and, through the shared random stream, every endpoint).
    offset = np.random.default_rng(seed).random()
    cum = np.cumsum(pair_weight) / total
    points = (np.arange(n_edges) + offset) / n_edges
    counts = np.bincount(np.minimum(np.searchsorted(cum, points, side="right"), cum.size - 1),
                         minlength=cum.size)
    order = np.argsort(region, kind="stable")
    starts = np.searchsorted(region[order], np.arange(w.shape[0] + 1))
    out = np.empty((n_edges, 2), dtype=np.int64)
    k = 0
    for pair in np.flatnonzero(counts):
        c = int(counts[pair])
        for col, reg in enumerate((iu[pair], ju[pair])):
            members = order[starts[reg] : starts[reg + 1]]
            # Each pair and end has its own stream: the endpoints of one pair
            # do not depend on the counts of the others, and one more edge
            # keeps the pair's earlier ones.
            stream = np.random.default_rng([seed, int(iu[pair]), int(ju[pair]), col])
            out[k : k + c, col] = members[stream.integers(0, len(members), size=c)]
        k += c
    return out


def vertex_adjacency(
    connectome: Connectome,
    *,
    long_range_fraction: float = LONG_RANGE_FRACTION,
    n_long_range_edges: int = N_LONG_RANGE_EDGES,
    seed: int = SEED,
) -> sp.csr_matrix:
    """Weighted adjacency of the vertex graph (mesh + long-range edges).

    Parameters
    ----------
    connectome : Connectome
        Must have a mesh.
    long_range_fraction : float
        Share of the total edge weight on long-range edges, in [0, 1).
    n_long_range_edges : int
        Number of long-range edges drawn.
    seed : int
        Seed of the draw.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_vertices, n_vertices)
        Symmetric, non-negative; mesh edges have weight 1.

    Raises
    ------
    ParameterError
        If the connectome has no mesh or a parameter is invalid.

    Examples
    --------
    >>> a = vertex_adjacency(load_connectome())
    >>> a.shape
    (15982, 15982)
    """
    if not connectome.has_mesh:
        raise ParameterError(f"{connectome.name} has no cortical mesh; vertex-level harmonics need one")
    fraction = check_float("long_range_fraction", long_range_fraction, low=0.0, high=1.0, high_inclusive=False)
    n = connectome.n_vertices
    local = mesh_edges(connectome.triangles)
    rows, cols, vals = [local[:, 0]], [local[:, 1]], [np.ones(len(local))]
    if fraction > 0:
        far = sample_long_range_edges(
            connectome.vertex_region, connectome.weights, n_edges=n_long_range_edges, seed=seed
        )
        if len(far):
            weight = fraction / (1.0 - fraction) * len(local) / len(far)
            rows.append(far[:, 0])
            cols.append(far[:, 1])
            vals.append(np.full(len(far), weight))
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    upper = sp.coo_matrix((v, (r, c)), shape=(n, n))
    return (upper + upper.T).tocsr()


def normalized_laplacian(adjacency) -> sp.csc_matrix:
    """Symmetric normalised Laplacian ``I - D^-1/2 A D^-1/2``.

    Nodes of degree 0 get ``D^-1/2 = 0`` (their row is that of the identity).

    Parameters
    ----------
    adjacency : sparse or dense array, shape (n, n)
        Symmetric non-negative weights.

    Returns
    -------
    scipy.sparse.csc_matrix, shape (n, n), float64

    Examples
    --------
    >>> normalized_laplacian(np.array([[0.0, 1.0], [1.0, 0.0]])).toarray()
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    a = sp.csr_matrix(adjacency, dtype=np.float64)
    degree = np.asarray(a.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(degree), 0.0)
    scale = sp.diags(inv_sqrt)
    return (sp.identity(a.shape[0], format="csc") - scale @ a @ scale).tocsc()


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


# --------------------------------------------------------------------------- #
# Result objects
# --------------------------------------------------------------------------- #


def _readonly(array):
    if array is None:
        return None
    array = np.asarray(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class RegionalHarmonics:
    """Eigenmodes of one region's patch of the cortical mesh.

    Attributes
    ----------
    region : int
        Index into :attr:`Harmonics.region_labels`.
    label : str
        The region's label.
    vertex_index : ndarray, shape (n_patch,), int64
        The patch's vertices (indices into the harmonics' vertices), sorted.
    eigenvalues : ndarray, shape (m,), float64
        Graph eigenvalues of the patch Laplacian, ascending (m <= n_patch).
    eigenvalues_per_mm2 : ndarray, shape (m,), float64
        Physical eigenvalues (same ``h`` as the global modes).
    vectors : ndarray, shape (n_patch, m), float64
        Orthonormal patch modes.
    frequencies_hz, damping_ratio : ndarray, shape (m,), float64
        Neural-field ringing frequency and damping of each patch mode.
    """

    region: int
    label: str
    vertex_index: np.ndarray
    eigenvalues: np.ndarray
    eigenvalues_per_mm2: np.ndarray
    vectors: np.ndarray
    frequencies_hz: np.ndarray
    damping_ratio: np.ndarray

    @property
    def n_modes(self) -> int:
        """Number of patch modes."""
        return len(self.eigenvalues)

    def __repr__(self) -> str:
        return f"RegionalHarmonics({self.label!r}, {len(self.vertex_index)} vertices, {self.n_modes} modes)"


@dataclass(frozen=True, eq=False)
class Harmonics:
    """Connectome harmonics with their neural-field dispersion.

    Build with :func:`connectome_harmonics`.  All arrays are read-only.
    "Vertices" are mesh vertices at the vertex level and regions at the
    region level.

    Attributes
    ----------
    level : {"vertex", "region"}
        Which graph the modes live on.
    connectome_name : str
        Description of the connectome.
    region_labels : tuple of str, length n_regions
    vertex_region : ndarray, shape (n_vertices,), int64
        Region of each vertex (``arange(n_regions)`` at the region level).
    hemisphere : ndarray of str, shape (n_vertices,)
        ``"L"``, ``"R"`` (or ``"?"`` if unknown) for each vertex.
    positions_mm : ndarray, shape (n_vertices, 3), float64, or None
        Vertex coordinates, or region centres at the region level (``None``
        if the connectome has no centres).
    triangles : ndarray, shape (n_triangles, 3), int64, or None
        Mesh triangles over the vertices (``None`` at the region level).
    eigenvalues : ndarray, shape (n_modes,), float64
        Normalised-graph-Laplacian eigenvalues, ascending, in [0, 2].
    eigenvalues_per_mm2 : ndarray, shape (n_modes,), float64
        Physical eigenvalues ``4 lambda / h^2`` (mm^-2).
    vectors : ndarray, shape (n_vertices, n_modes), float64
        Orthonormal modes.  Mode 1 (index 0) has eigenvalue 0 and is
        proportional to ``sqrt(degree)`` (the normalised Laplacian's null
        vector), so it is nearly but not exactly flat.
    frequencies_hz, damping_ratio : ndarray, shape (n_modes,), float64
        See :func:`mode_dispersion`.
    gamma_per_s, r_mm : float
        Dispersion parameters used.
    edge_length_mm : float
        The length scale ``h`` of the graph-to-physical conversion.
    length_scale : str
        Where ``h`` came from (mesh edges, region centres, tract lengths or
        cortical area).
    regional : tuple of RegionalHarmonics
        One per region at the vertex level; empty at the region level.
    regional_note : str
        Why :attr:`regional` is empty, or ``""``.
    parameters : dict
        Every construction parameter (for reports and the cache key).
    cache_key : str
        Hex digest identifying inputs and parameters.
    from_cache : bool
        Whether the decomposition was loaded from the cache.
    entry_regions : resonance.coupling.EntryRegions or None
        The connectome's auditory and premotor entry regions.
    weights : ndarray, shape (n_regions, n_regions), float64, or None
        The connectome's symmetrised region weights (for the regional
        oscillators, :mod:`resonance.oscillators`).
    tract_lengths_mm : ndarray, shape (n_regions, n_regions), float64, or None
        The connectome's tract lengths, if it has them.
    """

    level: str
    connectome_name: str
    region_labels: tuple[str, ...]
    vertex_region: np.ndarray
    hemisphere: np.ndarray
    positions_mm: np.ndarray | None
    triangles: np.ndarray | None
    eigenvalues: np.ndarray
    eigenvalues_per_mm2: np.ndarray
    vectors: np.ndarray
    frequencies_hz: np.ndarray
    damping_ratio: np.ndarray
    gamma_per_s: float
    r_mm: float
    edge_length_mm: float
    length_scale: str
    regional: tuple[RegionalHarmonics, ...]
    regional_note: str
    parameters: dict = field(default_factory=dict)
    cache_key: str = ""
    from_cache: bool = False
    entry_regions: object = None
    weights: np.ndarray | None = None
    tract_lengths_mm: np.ndarray | None = None

    @property
    def n_modes(self) -> int:
        """Number of modes."""
        return len(self.eigenvalues)

    @property
    def n_vertices(self) -> int:
        """Number of graph nodes (vertices or regions)."""
        return self.vectors.shape[0]

    @property
    def has_regional_harmonics(self) -> bool:
        """Whether regional (per-patch) harmonics are available."""
        return len(self.regional) > 0

    def transfer(self, freqs_hz) -> np.ndarray:
        """Neural-field frequency response of every mode.

        Parameters
        ----------
        freqs_hz : float or array_like, shape (n_freqs,)
            Drive frequencies (Hz).

        Returns
        -------
        ndarray, shape (n_modes, n_freqs), complex128
            ``gamma^2 / (gamma^2 (1 + r^2 lambda_k) - w^2 + 2 i gamma w)``
            with ``w = 2 pi f`` and ``lambda_k`` = :attr:`eigenvalues_per_mm2`.

        Raises
        ------
        ParameterError
            If a frequency is not finite.

        Examples
        --------
        >>> h = connectome_harmonics(n_modes=20)
        >>> h.transfer([4.0, 40.0]).shape
        (20, 2)
        """
        return neural_field_transfer(
            self.eigenvalues_per_mm2, freqs_hz, gamma_per_s=self.gamma_per_s, r_mm=self.r_mm
        )

    def __repr__(self) -> str:
        return (
            f"Harmonics({self.connectome_name!r}, level={self.level!r}, n_modes={self.n_modes}, "
            f"n_vertices={self.n_vertices}, {self.frequencies_hz[0]:.1f}-{self.frequencies_hz[-1]:.1f} Hz)"
        )


def spatial_axis_correlations(harmonics: Harmonics) -> np.ndarray:
    """Correlation of each mode with the x, y and z coordinates.

    Parameters
    ----------
    harmonics : Harmonics

    Returns
    -------
    ndarray, shape (n_modes, 3), float64
        Pearson correlation of each mode with each coordinate; NaN where
        positions are unknown or a mode is constant.

    Examples
    --------
    >>> c = spatial_axis_correlations(connectome_harmonics(n_modes=5))
    >>> int(np.nanargmax(np.abs(c[1])))  # mode 2: the left-right axis (y in tvb-data)
    1
    """
    out = np.full((harmonics.n_modes, 3), np.nan)
    if harmonics.positions_mm is None:
        return out
    pos = harmonics.positions_mm - harmonics.positions_mm.mean(axis=0)
    vec = harmonics.vectors - harmonics.vectors.mean(axis=0)
    pos_norm = np.linalg.norm(pos, axis=0)
    vec_norm = np.linalg.norm(vec, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = (vec.T @ pos) / np.outer(vec_norm, pos_norm)
    ok = (vec_norm[:, None] > 1e-9 * math.sqrt(harmonics.n_vertices)) & (pos_norm[None, :] > 0)
    out[ok] = corr[ok]
    return out


# --------------------------------------------------------------------------- #
# Main entry point
# --------------------------------------------------------------------------- #


def connectome_harmonics(
    connectome=None,
    *,
    n_modes: int = N_MODES,
    n_regional_modes: int = N_REGIONAL_MODES,
    gamma_per_s: float = GAMMA_PER_S,
    r_mm: float = R_MM,
    long_range_fraction: float = LONG_RANGE_FRACTION,
    n_long_range_edges: int = N_LONG_RANGE_EDGES,
    seed: int = SEED,
    level: str = "auto",
    cache: bool = True,
    entry_regions=None,
) -> Harmonics:
    """Connectome harmonics, their dispersion and the regional harmonics.

    Parameters
    ----------
    connectome : Connectome or str or os.PathLike, optional
        ``None`` for the default (:func:`resonance.connectome.load_connectome`);
        a path is loaded with ``load_connectome``.
    n_modes : int
        Number of modes, in [1, :data:`MAX_N_MODES`]; capped at the number of
        graph nodes (at the region level, ``n_regions``).
    n_regional_modes : int
        Modes per region patch, >= 1 (fewer for a patch with fewer vertices).
    gamma_per_s : float
        Damping rate (s^-1), default :data:`GAMMA_PER_S` (Pang et al. 2023).
    r_mm : float
        Axonal range (mm), default :data:`R_MM` (Pang et al. 2023).
    long_range_fraction : float
        Share of edge weight on long-range edges, in [0, 1); see
        :data:`LONG_RANGE_FRACTION`.  Vertex level only.
    n_long_range_edges : int
        Number of long-range edges drawn, >= 0.  Vertex level only.
    seed : int
        Seed of the long-range draw and of the eigensolver, >= 0.
    level : {"auto", "vertex", "region"}
        ``"auto"`` uses the vertex level when the connectome has a mesh.
    cache : bool
        Read and write the on-disk cache (:mod:`resonance.io.cache`).
    entry_regions : str, sequence of str, mapping or None
        Auditory/premotor entry regions by label or 0-based row (see
        :func:`resonance.connectome.load_connectome`); ``None`` keeps the
        connectome's.  They do not change the modes, only where sound enters.

    Returns
    -------
    Harmonics

    Raises
    ------
    ParameterError
        If a parameter is invalid or ``level="vertex"`` is asked of a
        connectome without a mesh.
    DataFileError
        If the connectome must be loaded and its file is unusable.

    Warns
    -----
    resonance.io.cache.CacheWarning
        When a cache entry is unreadable or inconsistent (it is recomputed) or
        cannot be written.

    Examples
    --------
    >>> h = connectome_harmonics()
    >>> h.level, h.vectors.shape
    ('vertex', (15982, 200))
    >>> bool(np.all(np.diff(h.frequencies_hz) >= 0))
    True
    """
    if connectome is None or isinstance(connectome, (str, Path)):
        connectome = load_connectome(connectome, entry_regions=entry_regions)  # rows of the file
    elif isinstance(connectome, Connectome) and entry_regions is not None:
        connectome = connectome.with_entry_regions(entry_regions)  # rows of this connectome
    if not isinstance(connectome, Connectome):
        raise ParameterError(
            f"connectome={type(connectome).__name__} is not allowed; pass a Connectome, a path or None"
        )
    n_modes = check_int("n_modes", n_modes, low=1, high=MAX_N_MODES)
    n_regional_modes = check_int("n_regional_modes", n_regional_modes, low=1, high=MAX_N_MODES)
    gamma_per_s = check_float("gamma_per_s", gamma_per_s, low=0, low_inclusive=False)
    r_mm = check_float("r_mm", r_mm, low=0, low_inclusive=False)
    long_range_fraction = check_float(
        "long_range_fraction", long_range_fraction, low=0.0, high=1.0, high_inclusive=False
    )
    n_long_range_edges = check_int("n_long_range_edges", n_long_range_edges, low=0)
    seed = check_int("seed", seed, low=0)
    check_option("level", level, LEVELS)
    cache = check_bool("cache", cache)
    if level == "vertex" and not connectome.has_mesh:
        raise ParameterError(
            f"level='vertex' needs a connectome with a cortical mesh, but {connectome.name} has none "
            "(its labels do not match the default mesh); use level='region' or 'auto'"
        )
    use_vertex = connectome.has_mesh and level != "region"
    resolved = "vertex" if use_vertex else "region"
    n_nodes = connectome.n_vertices if use_vertex else connectome.n_regions
    n_modes = min(n_modes, n_nodes if n_nodes <= DENSE_LIMIT else n_nodes - 2)

    parameters = {
        "level": resolved,
        "n_modes": n_modes,
        "n_regional_modes": n_regional_modes if use_vertex else 0,
        "gamma_per_s": gamma_per_s,
        "r_mm": r_mm,
        "long_range_fraction": long_range_fraction if use_vertex else 0.0,
        "n_long_range_edges": n_long_range_edges if use_vertex else 0,
        "seed": seed,
    }
    key = _cache_key(connectome, parameters)
    path = _cache.cache_dir(CACHE_KIND) / f"harmonics-{key[:40]}.npz"

    decomposition = None
    if cache:
        decomposition = _load_cached(path, key, connectome, parameters)
    from_cache = decomposition is not None
    if decomposition is None:
        decomposition = _compute(connectome, parameters)
        if cache:
            try:
                _cache.write_cache_entry(path, _to_cache_arrays(decomposition, key))
            except DataFileError as exc:
                warnings.warn(f"{exc}; continuing without caching", _cache.CacheWarning, stacklevel=2)
    return _assemble(connectome, parameters, decomposition, key=key, from_cache=from_cache)


# --------------------------------------------------------------------------- #
# Internals: computation, cache round trip, assembly
# --------------------------------------------------------------------------- #


@dataclass
class _Decomposition:
    eigenvalues: np.ndarray
    vectors: np.ndarray
    edge_length_mm: float
    length_scale: str
    regional: list  # of (eigenvalues, vectors) per region, vertex level only


def _compute(connectome: Connectome, parameters: dict) -> _Decomposition:
    n_modes = parameters["n_modes"]
    seed = parameters["seed"]
    if parameters["level"] == "vertex":
        adjacency = vertex_adjacency(
            connectome,
            long_range_fraction=parameters["long_range_fraction"],
            n_long_range_edges=parameters["n_long_range_edges"],
            seed=seed,
        )
        vals, vecs = laplacian_eigenmodes(normalized_laplacian(adjacency), n_modes, seed=seed)
        local = mesh_edges(connectome.triangles)
        h = float(np.linalg.norm(np.diff(connectome.vertices_mm[local], axis=1)[:, 0], axis=1).mean())
        regional = _regional_modes(connectome, local, parameters["n_regional_modes"], seed)
        return _Decomposition(vals, vecs, h, "mean mesh-edge length", regional)
    vals, vecs = laplacian_eigenmodes(normalized_laplacian(connectome.weights), n_modes, seed=seed)
    h, source = _region_length_scale(connectome)
    return _Decomposition(vals, vecs, h, source, [])


def _regional_modes(connectome: Connectome, local_edges: np.ndarray, n_regional: int, seed: int) -> list:
    region = connectome.vertex_region
    inside = region[local_edges[:, 0]] == region[local_edges[:, 1]]
    edges = local_edges[inside]
    edge_region = region[edges[:, 0]]
    out = []
    for r in range(connectome.n_regions):
        idx = np.flatnonzero(region == r)
        if len(idx) == 0:
            out.append((np.zeros(0), np.zeros((0, 0))))
            continue
        local = np.searchsorted(idx, edges[edge_region == r])
        m = len(idx)
        adj = sp.coo_matrix((np.ones(len(local)), (local[:, 0], local[:, 1])), shape=(m, m))
        lap = normalized_laplacian(adj + adj.T)
        k = min(n_regional, m if m <= DENSE_LIMIT else m - 2)
        out.append(laplacian_eigenmodes(lap, k, seed=seed))
    return out


def _region_length_scale(connectome: Connectome) -> tuple[float, str]:
    w = connectome.weights
    iu, ju = np.nonzero(np.triu(w, 1))
    weights = w[iu, ju]
    if connectome.centres_mm is not None:
        dist = np.linalg.norm(connectome.centres_mm[iu] - connectome.centres_mm[ju], axis=1)
        if (dist > 0).any():
            ok = dist > 0
            return float(np.average(dist[ok], weights=weights[ok])), "weighted mean distance of connected centres"
    if connectome.tract_lengths_mm is not None:
        lengths = connectome.tract_lengths_mm[iu, ju]
        ok = lengths > 0
        if ok.any():
            return float(np.average(lengths[ok], weights=weights[ok])), "weighted mean tract length"
    h = math.sqrt(REFERENCE_CORTEX_AREA_MM2 / connectome.n_regions)
    return h, f"spacing of {connectome.n_regions} points on {REFERENCE_CORTEX_AREA_MM2:.3g} mm^2 of cortex"


def _hash_array(digest, name: str, array) -> None:
    digest.update(name.encode())
    if array is None:
        digest.update(b"<none>")
        return
    array = np.ascontiguousarray(array)
    if array.dtype.kind == "U":
        data = "\x00".join(array.ravel().tolist()).encode()
    else:
        data = array.tobytes()
    digest.update(f"{array.dtype.str}{array.shape}".encode())
    digest.update(data)


def _cache_key(connectome: Connectome, parameters: dict) -> str:
    digest = hashlib.sha256()
    meta = dict(parameters, format=CACHE_FORMAT, numpy=np.__version__, scipy=scipy.__version__)
    digest.update(json.dumps(meta, sort_keys=True).encode())
    _hash_array(digest, "labels", np.array(connectome.region_labels))
    _hash_array(digest, "weights", connectome.weights)
    _hash_array(digest, "centres", connectome.centres_mm)
    _hash_array(digest, "tracts", connectome.tract_lengths_mm)
    _hash_array(digest, "hemisphere", connectome.region_hemisphere)
    if parameters["level"] == "vertex":
        _hash_array(digest, "vertices", connectome.vertices_mm)
        _hash_array(digest, "triangles", connectome.triangles)
        _hash_array(digest, "vertex_region", connectome.vertex_region)
    return digest.hexdigest()


def _to_cache_arrays(dec: _Decomposition, key: str) -> dict:
    n_vertices = [len(v) for _, v in dec.regional]
    n_reg_modes = [len(e) for e, _ in dec.regional]
    return {
        "format": np.array(CACHE_FORMAT),
        "key": np.array(key),
        "eigenvalues": dec.eigenvalues,
        "vectors": dec.vectors,
        "edge_length_mm": np.array(dec.edge_length_mm),
        "length_scale": np.array(dec.length_scale),
        "regional_n_vertices": np.array(n_vertices, dtype=np.int64),
        "regional_n_modes": np.array(n_reg_modes, dtype=np.int64),
        "regional_eigenvalues": np.concatenate([e for e, _ in dec.regional]) if dec.regional else np.zeros(0),
        "regional_vectors": (np.concatenate([v.ravel() for _, v in dec.regional]) if dec.regional else np.zeros(0)),
    }


class _StaleCache(Exception):
    """A cache entry does not match what was asked for."""


def _load_cached(path: Path, key: str, connectome: Connectome, parameters: dict) -> _Decomposition | None:
    try:
        arrays = _cache.read_cache_entry(path)
        if not arrays:
            return None
        return _from_cache_arrays(arrays, key, connectome, parameters)
    except (DataFileError, _StaleCache) as exc:
        warnings.warn(
            f"ignoring the harmonics cache entry '{path}': {exc}; recomputing",
            _cache.CacheWarning,
            stacklevel=3,
        )
        return None


def _get(arrays: dict, name: str, *, dtype_kind: str, shape: tuple | None = None) -> np.ndarray:
    if name not in arrays:
        raise _StaleCache(f"it lacks '{name}'")
    value = arrays[name]
    if value.dtype.kind not in dtype_kind:
        raise _StaleCache(f"'{name}' has dtype {value.dtype}")
    if shape is not None and value.shape != shape:
        raise _StaleCache(f"'{name}' has shape {value.shape}, expected {shape}")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        raise _StaleCache(f"'{name}' holds NaN or infinite values")
    return value


def _from_cache_arrays(arrays: dict, key: str, connectome: Connectome, parameters: dict) -> _Decomposition:
    if int(_get(arrays, "format", dtype_kind="iu", shape=())) != CACHE_FORMAT:
        raise _StaleCache("it was written by another version")
    if str(_get(arrays, "key", dtype_kind="U", shape=())) != key:
        raise _StaleCache("its key does not match the inputs")
    vertex = parameters["level"] == "vertex"
    n_nodes = connectome.n_vertices if vertex else connectome.n_regions
    n_modes = parameters["n_modes"]
    vals = _get(arrays, "eigenvalues", dtype_kind="f", shape=(n_modes,))
    vecs = _get(arrays, "vectors", dtype_kind="f", shape=(n_nodes, n_modes))
    if (vals < 0).any() or (vals > 2.0 + 1e-9).any() or (np.diff(vals) < 0).any():
        raise _StaleCache("its eigenvalues are not ascending within [0, 2]")
    if not np.allclose(np.einsum("ij,ij->j", vecs, vecs), 1.0, atol=1e-8):
        raise _StaleCache("its vectors are not unit length")
    h = float(_get(arrays, "edge_length_mm", dtype_kind="f", shape=()))
    if not h > 0:
        raise _StaleCache(f"edge_length_mm={h} is not > 0")
    source = str(_get(arrays, "length_scale", dtype_kind="U", shape=()))

    regional = []
    if vertex:
        n_regions = connectome.n_regions
        counts = np.bincount(connectome.vertex_region, minlength=n_regions)
        expected_modes = np.minimum(parameters["n_regional_modes"], np.where(counts <= DENSE_LIMIT, counts, counts - 2))
        n_v = _get(arrays, "regional_n_vertices", dtype_kind="iu", shape=(n_regions,))
        n_m = _get(arrays, "regional_n_modes", dtype_kind="iu", shape=(n_regions,))
        if not (np.array_equal(n_v, counts) and np.array_equal(n_m, expected_modes)):
            raise _StaleCache("its regional harmonics do not match the regions")
        all_vals = _get(arrays, "regional_eigenvalues", dtype_kind="f", shape=(int(n_m.sum()),))
        all_vecs = _get(arrays, "regional_vectors", dtype_kind="f", shape=(int((n_v * n_m).sum()),))
        v_off = np.concatenate([[0], np.cumsum(n_m)])
        w_off = np.concatenate([[0], np.cumsum(n_v * n_m)])
        for r in range(n_regions):
            reg_vals = all_vals[v_off[r] : v_off[r + 1]]
            reg_vecs = all_vecs[w_off[r] : w_off[r + 1]].reshape(n_v[r], n_m[r])
            regional.append((reg_vals, reg_vecs))
    return _Decomposition(vals, vecs, h, source, regional)


def _assemble(
    connectome: Connectome, parameters: dict, dec: _Decomposition, *, key: str, from_cache: bool
) -> Harmonics:
    gamma, r = parameters["gamma_per_s"], parameters["r_mm"]
    lam = physical_eigenvalues(dec.eigenvalues, edge_length_mm=dec.edge_length_mm)
    freqs, damping = mode_dispersion(lam, gamma_per_s=gamma, r_mm=r)
    if parameters["level"] == "vertex":
        vertex_region = connectome.vertex_region
        hemisphere = connectome.hemisphere
        positions = connectome.vertices_mm
        triangles = connectome.triangles
        regional = []
        for reg, (reg_vals, reg_vecs) in enumerate(dec.regional):
            reg_lam = physical_eigenvalues(reg_vals, edge_length_mm=dec.edge_length_mm)
            reg_f, reg_z = mode_dispersion(reg_lam, gamma_per_s=gamma, r_mm=r)
            regional.append(
                RegionalHarmonics(
                    region=reg,
                    label=connectome.region_labels[reg],
                    vertex_index=_readonly(np.flatnonzero(vertex_region == reg)),
                    eigenvalues=_readonly(reg_vals),
                    eigenvalues_per_mm2=_readonly(reg_lam),
                    vectors=_readonly(reg_vecs),
                    frequencies_hz=_readonly(reg_f),
                    damping_ratio=_readonly(reg_z),
                )
            )
        note = ""
    else:
        vertex_region = np.arange(connectome.n_regions, dtype=np.int64)
        hemisphere = connectome.region_hemisphere
        positions = connectome.centres_mm
        triangles = None
        regional = []
        note = "region-level harmonics: without a cortical mesh there are no regional (per-patch) harmonics"
    return Harmonics(
        level=parameters["level"],
        connectome_name=connectome.name,
        region_labels=connectome.region_labels,
        vertex_region=_readonly(vertex_region),
        hemisphere=_readonly(hemisphere),
        positions_mm=_readonly(positions),
        triangles=_readonly(triangles),
        eigenvalues=_readonly(dec.eigenvalues),
        eigenvalues_per_mm2=_readonly(lam),
        vectors=_readonly(dec.vectors),
        frequencies_hz=_readonly(freqs),
        damping_ratio=_readonly(damping),
        gamma_per_s=gamma,
        r_mm=r,
        edge_length_mm=dec.edge_length_mm,
        length_scale=dec.length_scale,
        regional=tuple(regional),
        regional_note=note,
        parameters=dict(parameters),
        cache_key=key,
        from_cache=from_cache,
        entry_regions=connectome.entry_regions,
        weights=_readonly(np.array(connectome.weights, dtype=float)),
        tract_lengths_mm=None if connectome.tract_lengths_mm is None else _readonly(
            np.array(connectome.tract_lengths_mm, dtype=float)
        ),
    )
