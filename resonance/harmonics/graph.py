"""Graph building: the vertex graph of the cortical mesh plus long-range connectome edges.

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

*Region level*: one node per region, the symmetrised weights as edges.
"""

from __future__ import annotations

import numpy as np

from ..connectome import Connectome
from ..errors import ParameterError
from ..validation import check_float, check_int

__all__ = [
    "LONG_RANGE_FRACTION",
    "N_LONG_RANGE_EDGES",
    "SEED",
    "mesh_edges",
    "sample_long_range_edges",
    "vertex_adjacency",
    "normalized_laplacian",
]

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
    >>> from resonance.connectome import load_connectome
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
    import scipy.sparse as sp  # here, not at import: a cached decomposition needs no SciPy sparse (0.2-0.3 s to import)

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
    import scipy.sparse as sp  # here, not at import: a cached decomposition needs no SciPy sparse (0.2-0.3 s to import)

    a = sp.csr_matrix(adjacency, dtype=np.float64)
    degree = np.asarray(a.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        inv_sqrt = np.where(degree > 0, 1.0 / np.sqrt(degree), 0.0)
    scale = sp.diags(inv_sqrt)
    return (sp.identity(a.shape[0], format="csc") - scale @ a @ scale).tocsc()
