"""Connectome harmonics: the result objects and :func:`connectome_harmonics` (docs/model.md).

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

Submodules
----------
:mod:`~resonance.harmonics.graph` builds the graph,
:mod:`~resonance.harmonics.eigen` solves it,
:mod:`~resonance.harmonics.wave` and :mod:`~resonance.harmonics.field` give
each mode's temporal response (the cortical wave equation and the
corticothalamic field), :mod:`~resonance.harmonics.cache` keeps
decompositions on disk (keyed by a hash of the connectome's arrays and every
parameter; an unreadable or inconsistent entry is recomputed, never trusted).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..connectome import Connectome, load_connectome
from ..errors import DataFileError, ParameterError
from ..io import cache as _cache
from ..validation import check_bool, check_float, check_int, check_option
from .cache import CACHE_KIND, _cache_key, _Decomposition, _load_cached, _to_cache_arrays
from .eigen import DENSE_LIMIT, laplacian_eigenmodes, physical_eigenvalues
from .graph import LONG_RANGE_FRACTION, N_LONG_RANGE_EDGES, SEED, mesh_edges, normalized_laplacian, vertex_adjacency
from .wave import GAMMA_PER_S, R_MM, mode_dispersion, neural_field_transfer

__all__ = [
    "N_MODES",
    "MAX_N_MODES",
    "N_REGIONAL_MODES",
    "REFERENCE_CORTEX_AREA_MM2",
    "LEVELS",
    "Harmonics",
    "RegionalHarmonics",
    "connectome_harmonics",
    "spatial_axis_correlations",
]

#: Number of connectome harmonics computed by default (docs/model.md, "a few
#: hundred"; Atasoy et al. 2016 and Pang et al. 2023 analyse the first 200).
N_MODES = 200

#: Largest number of modes allowed: ARPACK keeps ``2 n_modes + 1`` vectors of
#: length n_vertices in memory (about 256 MB at 1000 modes on the default).
MAX_N_MODES = 1000

#: Regional harmonics kept per region patch by default.
N_REGIONAL_MODES = 8

#: Cortical surface area (mm^2) used for the region-level length scale when a
#: connectome has neither centres nor tract lengths: the area of tvb-data's
#: ``cortex_16384`` mesh (2.003e5 mm^2, both hemispheres; checked in tests).
REFERENCE_CORTEX_AREA_MM2 = 2.0e5

#: Allowed values of ``level``.
LEVELS = ("auto", "vertex", "region")



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
    entry_regions : resonance.connectome.coupling.EntryRegions or None
        The connectome's auditory and premotor entry regions.
    weights : ndarray, shape (n_regions, n_regions), float64, or None
        The connectome's symmetrised region weights (for the regional
        oscillators, :mod:`resonance.dynamics.oscillators`).
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
        import scipy.sparse as sp  # here, not at import: a cached decomposition needs no SciPy sparse (0.2-0.3 s to import)

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
