"""The connectome: region weights, and the cortical mesh when one is known.

:func:`load_connectome` reads a source (by default the ``tvb-data`` package)
through :mod:`resonance.io.connectome`; :func:`connectome_from_arrays` turns
arrays into a validated :class:`Connectome`.  The latter does no file I/O.

The default connectome (docs/model.md)
-------------------------------------
``tvb-data``'s ``connectivity_76`` (76 regions; weights in arbitrary units,
tract lengths in mm), its 16,384-vertex cortical mesh ``cortex_16384`` and the
vertex-to-region map ``regionMapping_16k_76``.  Its two corpus-callosum regions
``rCC`` and ``lCC`` have no connection at all (zero rows and columns), so they
are dropped together with their 402 mesh vertices, leaving 74 regions and
15,982 vertices.  The weights derive from axonal tracer studies in the macaque
(the CoCoMac database; Kötter & Wanke 2005, Bezgin et al. 2012) mapped onto
human regions; they are *not* human diffusion MRI.  The data are licensed
GPL-3.0-or-later by The Virtual Brain project (Sanz Leon et al. 2013).

The coordinate frame of this data set is not MNI: ``x`` runs posterior to
anterior (V1 at x = -70 mm, frontal pole at +79 mm), ``y`` runs from the
right hemisphere (negative) to the left (positive), ``z`` inferior to superior.

Connectomes of ``tvb-data`` by name
-----------------------------------
``load_connectome("tvb:NN")`` loads a connectivity that ``tvb-data`` ships
(:data:`TVB_CONNECTOMES`): ``tvb:76`` is the default; ``tvb:66`` the human
diffusion-imaging connectome of Hagmann et al. 2008 (Desikan-Killiany regions
without the insula, abbreviated labels such as ``rTT``); ``tvb:68`` the 68
Desikan-Killiany regions with full names (``r_transversetemporal``; the data
set does not document where its weights come from);
``tvb:96`` a CoCoMac macaque parcellation (Kötter & Wanke 2005 regional map,
labels such as ``RM-A1_R``, with thalamic and basal-ganglia regions).  Only
``tvb:76`` has a mesh; the others give region-level harmonics.

Entry regions
-------------
Every connectome carries its :class:`resonance.connectome.coupling.EntryRegions`: the
auditory and premotor regions where sound enters, found by label
(:func:`resonance.connectome.coupling.find_regions`, with the usual atlas abbreviations)
or named by the user (``entry_regions=``: labels or 0-based rows of the file's
matrix).

User connectomes
----------------
A weight matrix (TVB zip/folder, ``.npy``, ``.csv``) with optional labels.
When the labels name the regions of the default mesh (all 74 connected
regions, in any order, optionally with ``rCC``/``lCC``), the mesh is attached
and vertex-level harmonics become available; otherwise the connectome is a
graph of regions only.

Validation
----------
Weights must form a square, finite, non-negative matrix with values at most
:data:`MAX_WEIGHT` (weights are in arbitrary units; larger values overflow
float64 in the graph Laplacian), tract lengths at most
:data:`MAX_TRACT_LENGTH_MM`; they are symmetrised
as ``(W + W.T) / 2`` and the diagonal (self-connections, which do not couple
regions) is set to zero.  Regions with no connection are dropped with a
warning that names them; if nothing is left a :class:`ParameterError` is
raised.  A graph that falls apart into several groups is kept (each group then
has its own flat zero mode) but triggers a warning.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .coupling import EntryRegions, resolve_entry_regions
from ..errors import ParameterError
from ..io import connectome as _io

__all__ = [
    "HEMISPHERES",
    "MAX_TRACT_LENGTH_MM",
    "MAX_WEIGHT",
    "OPTIONAL_MESH_LABELS",
    "TVB_CONNECTOMES",
    "Connectome",
    "ConnectomeWarning",
    "load_connectome",
    "connectome_from_arrays",
    "hemisphere_from_label",
]

#: Hemisphere codes used throughout: left, right, unknown.
HEMISPHERES = ("L", "R", "?")

#: Labels of the default mesh that a user connectome may leave out and still
#: count as matching the mesh: the corpus callosum, which has no connection
#: in ``connectivity_76`` either.
OPTIONAL_MESH_LABELS = ("rCC", "lCC")


#: Largest weight accepted (arbitrary units).  Engineering choice: the graph
#: Laplacian and the dynamics sum and multiply weights; values near the
#: float64 maximum (1.8e308) overflow there and give wrong harmonics.  At
#: 1e100 sums of any number of weights and products of two stay far below
#: that; no measured connectome comes near it, and one that does can be
#: divided by a constant (weights are in arbitrary units).
MAX_WEIGHT = 1e100

#: Longest tract accepted, in mm.  Engineering choice: the longest tracts of
#: a human brain are under 300 mm (the ``tvb-data`` connectomes: 150-253 mm);
#: 10 m leaves room for any brain and for a matrix in the wrong unit to be
#: caught before conduction delays of hours are simulated.
MAX_TRACT_LENGTH_MM = 10_000.0

#: The connectivities of ``tvb-data`` that :func:`load_connectome` loads by
#: name (``"tvb:66"``...): file name inside ``tvb_data/connectivity`` and a
#: description.
TVB_CONNECTOMES = {
    "66": (
        "connectivity_66.zip",
        "human, diffusion spectrum imaging (Hagmann et al. 2008): 66 Desikan-Killiany regions (no insula), "
        "abbreviated labels such as rTT, rST, rCMF",
    ),
    "68": (
        "connectivity_68.zip",
        "the 68 regions of the human Desikan-Killiany atlas with full names such as r_transversetemporal "
        "(tvb-data does not document the source of the weights)",
    ),
    "76": (
        "connectivity_76.zip",
        "default: macaque tracer data (CoCoMac; Kötter & Wanke 2005) mapped to 76 human regions, labels such "
        "as rA1, with the 16,384-vertex cortical mesh; rCC and lCC dropped",
    ),
    "96": (
        "connectivity_96.zip",
        "macaque tracer data (CoCoMac regional map, Kötter & Wanke 2005): 96 regions with thalamus and basal "
        "ganglia, labels such as RM-A1_R",
    ),
}


class ConnectomeWarning(UserWarning):
    """A connectome was usable but had to be changed (e.g. regions dropped)."""


def _readonly(array):
    if array is None:
        return None
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Connectome:
    """A validated connectome, optionally with its cortical mesh.

    Build one with :func:`load_connectome` or :func:`connectome_from_arrays`.
    All arrays are read-only.

    Attributes
    ----------
    name : str
        Where it came from (used in messages and in the CLI).
    region_labels : tuple of str, length n_regions
        Unique region labels (for the default e.g. ``"rA1"``, ``"lA1"``).
    weights : ndarray, shape (n_regions, n_regions), float64
        Symmetric, non-negative, zero diagonal.
    tract_lengths_mm : ndarray, shape (n_regions, n_regions), float64, or None
        Symmetrised tract lengths, if the source has them.
    centres_mm : ndarray, shape (n_regions, 3), float64, or None
        Region centres, if the source has them.
    region_hemisphere : ndarray of str, shape (n_regions,)
        ``"L"``, ``"R"`` or ``"?"`` (unknown) for each region.
    vertices_mm : ndarray, shape (n_vertices, 3), float64, or None
        Mesh vertices (``None`` for a region-only connectome).
    triangles : ndarray, shape (n_triangles, 3), int64, or None
        Mesh triangles as indices into ``vertices_mm``.
    vertex_region : ndarray, shape (n_vertices,), int64, or None
        Index into ``region_labels`` of each vertex.
    hemisphere : ndarray of str, shape (n_vertices,), or None
        ``"L"``/``"R"`` of each vertex (from its region).
    dropped_labels : tuple of str
        Regions removed because they had no connection.
    entry_regions : resonance.connectome.coupling.EntryRegions
        The auditory and premotor entry regions (labels).

    Examples
    --------
    >>> c = load_connectome()
    >>> c.n_regions, c.n_vertices, c.has_mesh
    (74, 15982, True)
    """

    name: str
    region_labels: tuple[str, ...]
    weights: np.ndarray
    tract_lengths_mm: np.ndarray | None
    centres_mm: np.ndarray | None
    region_hemisphere: np.ndarray
    vertices_mm: np.ndarray | None = None
    triangles: np.ndarray | None = None
    vertex_region: np.ndarray | None = None
    hemisphere: np.ndarray | None = None
    dropped_labels: tuple[str, ...] = field(default=())
    entry_regions: EntryRegions | None = None

    def with_entry_regions(self, entry_regions) -> "Connectome":
        """A copy with other entry regions.

        Parameters
        ----------
        entry_regions : str, sequence of str, mapping or None
            As for :func:`resonance.connectome.coupling.parse_entry_regions`; row indices
            refer to this connectome's regions (after any dropped region).

        Returns
        -------
        Connectome

        Raises
        ------
        ParameterError
            If a named region does not exist.
        """
        import dataclasses

        resolved = resolve_entry_regions(self.region_labels, entry_regions, name=self.name)
        return dataclasses.replace(self, entry_regions=resolved)

    @property
    def n_regions(self) -> int:
        """Number of regions."""
        return len(self.region_labels)

    @property
    def has_mesh(self) -> bool:
        """Whether a cortical mesh is attached (vertex-level harmonics possible)."""
        return self.vertices_mm is not None

    @property
    def n_vertices(self) -> int | None:
        """Number of mesh vertices, or ``None`` without a mesh."""
        return None if self.vertices_mm is None else len(self.vertices_mm)

    @property
    def centres(self) -> np.ndarray | None:
        """Alias of :attr:`centres_mm` (region centres in mm)."""
        return self.centres_mm

    @property
    def vertices(self) -> np.ndarray | None:
        """Alias of :attr:`vertices_mm` (mesh vertices in mm)."""
        return self.vertices_mm

    def __repr__(self) -> str:
        mesh = f", {self.n_vertices} vertices" if self.has_mesh else ", no mesh"
        return f"Connectome({self.name!r}, {self.n_regions} regions{mesh})"


# Label conventions for the hemisphere: TVB (``rA1``), FreeSurfer
# (``ctx-lh-insula``, ``Left-Amygdala``), and common prefixes and suffixes.
_LEFT = re.compile(
    r"^(l[_\-. ]|left[_\-. ]?|lh[_\-. ]|ctx[_\-]lh[_\-])|([_\-. ](l|lh|left))$",
    re.IGNORECASE,
)
_RIGHT = re.compile(
    r"^(r[_\-. ]|right[_\-. ]?|rh[_\-. ]|ctx[_\-]rh[_\-])|([_\-. ](r|rh|right))$",
    re.IGNORECASE,
)


def hemisphere_from_label(label: str) -> str:
    """Guess the hemisphere of a region from its label.

    Recognises TVB labels (``rA1``, ``lV1``: a lowercase ``r``/``l`` followed
    by an uppercase letter or digit), ``L_``/``R_``, ``lh.``/``rh.``,
    ``ctx-lh-``, ``Left-``/``Right-`` prefixes and ``_L``/``_R``/``-lh``/
    ``_right`` suffixes.

    Parameters
    ----------
    label : str
        Region label.

    Returns
    -------
    str
        ``"L"``, ``"R"`` or ``"?"`` if the label does not say.

    Examples
    --------
    >>> hemisphere_from_label("rA1"), hemisphere_from_label("ctx-lh-insula"), hemisphere_from_label("V1")
    ('R', 'L', '?')
    """
    # TVB's lowercase prefix must not match "Left..." words like "lateral".
    tvb = re.match(r"^([rl])[A-Z0-9]", label)
    if tvb:
        return "R" if tvb.group(1) == "r" else "L"
    left = bool(_LEFT.search(label))
    right = bool(_RIGHT.search(label))
    if left and not right:
        return "L"
    if right and not left:
        return "R"
    return "?"


def _check_matrix(name: str, what: str, values, n: int | None) -> np.ndarray:
    try:
        matrix = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: {what} must be numeric") from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ParameterError(
            f"{name}: {what} has shape {matrix.shape}; it must be a square matrix (n_regions x n_regions)"
        )
    if n is not None and matrix.shape[0] != n:
        raise ParameterError(f"{name}: {what} has shape {matrix.shape}; it must be {n} x {n} like the weights")
    finite = np.isfinite(matrix)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        n_bad = int(matrix.size - finite.sum())
        raise ParameterError(
            f"{name}: {what} holds {n_bad} NaN or infinite value(s), first at row {i}, column {j} "
            f"({matrix[i, j]}); all values must be finite"
        )
    if (matrix < 0).any():
        i, j = np.argwhere(matrix < 0)[0]
        raise ParameterError(
            f"{name}: {what} holds a negative value {matrix[i, j]:g} at row {i}, column {j}; values must be >= 0"
        )
    return matrix


def _check_labels(name: str, labels, n: int) -> tuple[str, ...]:
    if isinstance(labels, str):
        raise ParameterError(f"{name}: region_labels must be a sequence of strings, not one string")
    labels = tuple(labels)
    if len(labels) != n:
        raise ParameterError(f"{name}: {len(labels)} region labels given for {n} regions; they must match")
    for k, label in enumerate(labels):
        if not isinstance(label, str) or not label.strip():
            raise ParameterError(f"{name}: region label {k} is {label!r}; labels must be non-empty strings")
    labels = tuple(label.strip() for label in labels)
    seen: dict[str, int] = {}
    for k, label in enumerate(labels):
        if label in seen:
            raise ParameterError(
                f"{name}: the region label {label!r} appears twice (positions {seen[label]} and {k}); "
                "labels must be unique"
            )
        seen[label] = k
    return labels


def connectome_from_arrays(
    weights,
    *,
    region_labels=None,
    tract_lengths_mm=None,
    centres_mm=None,
    right_hemisphere=None,
    mesh: _io.MeshFileData | None = None,
    name: str = "connectome",
    warn: bool = True,
    entry_regions=None,
) -> Connectome:
    """Validate arrays and build a :class:`Connectome` (no file I/O).

    Parameters
    ----------
    weights : array_like, shape (n, n)
        Non-negative connection weights; symmetrised, diagonal zeroed.
    region_labels : sequence of str, optional
        One unique label per region; default ``"region_0"``, ``"region_1"``...
    tract_lengths_mm : array_like, shape (n, n), optional
        Non-negative tract lengths (mm); symmetrised.
    centres_mm : array_like, shape (n, 3), optional
        Region centres (mm).
    right_hemisphere : array_like of bool, shape (n,), optional
        ``True`` for right-hemisphere regions; overrides what labels say.
    mesh : MeshFileData, optional
        A cortical mesh whose region labels the ``region_labels`` must match
        (see :data:`OPTIONAL_MESH_LABELS`); if they do not, it is ignored.
    name : str
        Used in every message, e.g. ``"connectome file 'w.csv'"``.
    warn : bool
        Whether to warn when regions are dropped or the graph is disconnected.
    entry_regions : str, sequence of str, mapping or None
        The auditory and/or premotor entry regions, by label or 0-based row
        of ``weights`` (see :func:`resonance.connectome.coupling.parse_entry_regions`);
        kinds not named are found by label.

    Returns
    -------
    Connectome

    Raises
    ------
    ParameterError
        If the weights are not a square finite non-negative matrix with at
        least two regions and values at most :data:`MAX_WEIGHT`, labels have
        the wrong length or repeat, the other arrays have the wrong shape, no
        region has any connection, or a named entry region does not exist or
        has no connection.

    Warns
    -----
    ConnectomeWarning
        When unconnected regions are dropped, or the graph has several
        disconnected groups.

    Examples
    --------
    >>> w = [[0, 1, 0], [1, 0, 2], [0, 2, 0]]
    >>> c = connectome_from_arrays(w, region_labels=["lA", "lB", "rC"])
    >>> c.region_hemisphere.tolist()
    ['L', 'L', 'R']
    """
    matrix = _check_matrix(name, "weights", weights, None)
    n = matrix.shape[0]
    if n < 2:
        raise ParameterError(f"{name}: weights have {n} region(s); at least 2 regions are needed")
    if matrix.max() > MAX_WEIGHT:
        i, j = np.unravel_index(int(np.argmax(matrix)), matrix.shape)
        raise ParameterError(
            f"{name}: weights hold {matrix[i, j]:.3g} at row {i}, column {j}; weights must be at most "
            f"{MAX_WEIGHT:g} (they are in arbitrary units: divide the matrix by a constant)"
        )
    matrix = 0.5 * matrix + 0.5 * matrix.T
    np.fill_diagonal(matrix, 0.0)

    labels = (
        tuple(f"region_{k}" for k in range(n)) if region_labels is None else _check_labels(name, region_labels, n)
    )
    lengths = None
    if tract_lengths_mm is not None:
        lengths = _check_matrix(name, "tract_lengths_mm", tract_lengths_mm, n)
        if lengths.max() > MAX_TRACT_LENGTH_MM:
            i, j = np.unravel_index(int(np.argmax(lengths)), lengths.shape)
            raise ParameterError(
                f"{name}: tract_lengths_mm hold {lengths[i, j]:.3g} mm at row {i}, column {j}; tract lengths "
                f"must be at most {MAX_TRACT_LENGTH_MM:g} mm (are they in another unit?)"
            )
        lengths = 0.5 * lengths + 0.5 * lengths.T
    centres = None
    if centres_mm is not None:
        try:
            centres = np.asarray(centres_mm, dtype=np.float64)
        except (TypeError, ValueError):
            raise ParameterError(f"{name}: centres_mm must be numeric") from None
        if centres.shape != (n, 3):
            raise ParameterError(f"{name}: centres_mm has shape {centres.shape}; it must be ({n}, 3)")
        if not np.all(np.isfinite(centres)):
            raise ParameterError(f"{name}: centres_mm holds NaN or infinite values; all must be finite")
    if right_hemisphere is not None:
        right = np.asarray(right_hemisphere)
        if right.shape != (n,):
            raise ParameterError(
                f"{name}: hemispheres has {right.size} entries for {n} regions; they must match"
            )
        hemi = np.where(right.astype(bool), "R", "L")
    else:
        hemi = np.array([hemisphere_from_label(label) for label in labels])

    # Entry regions refer to the rows as given, so resolve them before dropping.
    entries = resolve_entry_regions(labels, entry_regions, name=name)

    # Drop regions without any connection.
    connected = matrix.sum(axis=1) > 0
    if not connected.any():
        raise ParameterError(
            f"{name}: no region has a connection (all off-diagonal weights are zero); "
            "at least one positive weight between two regions is needed"
        )
    dropped = tuple(label for label, ok in zip(labels, connected) if not ok)
    if dropped:
        if warn:
            listed = ", ".join(dropped[:10]) + (" ..." if len(dropped) > 10 else "")
            warnings.warn(
                f"{name}: dropped {len(dropped)} region(s) with no connection: {listed}",
                ConnectomeWarning,
                stacklevel=3,
            )
        keep = np.flatnonzero(connected)
        matrix = matrix[np.ix_(keep, keep)]
        labels = tuple(labels[k] for k in keep)
        hemi = hemi[keep]
        lengths = None if lengths is None else lengths[np.ix_(keep, keep)]
        centres = None if centres is None else centres[keep]

    if dropped:
        gone = set(dropped)
        for kind in entries.named:
            lost = [label for label in getattr(entries, kind) if label in gone]
            if lost:
                raise ParameterError(
                    f"{name}: the {kind} entry region {lost[0]!r} has no connection (its weights are all 0); "
                    "an entry region must be connected to the others"
                )
        entries = EntryRegions(
            auditory=tuple(x for x in entries.auditory if x not in gone),
            premotor=tuple(x for x in entries.premotor if x not in gone),
            named=entries.named,
        )

    if warn:  # the groups are only counted for this warning (importing scipy.sparse costs 0.2-0.3 s)
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        n_groups, _ = connected_components(csr_matrix(matrix), directed=False)
        if n_groups > 1:
            warnings.warn(
                f"{name}: the regions form {n_groups} groups with no connection between them; "
                f"the lowest {n_groups} harmonics are flat within each group",
                ConnectomeWarning,
                stacklevel=3,
            )

    vertices = triangles = vertex_region = vertex_hemi = None
    if mesh is not None and _labels_match_mesh(labels + dropped, mesh.region_labels):
        vertices, triangles, vertex_region = _restrict_mesh(mesh, labels)
        vertex_hemi = hemi[vertex_region]

    return Connectome(
        name=name,
        region_labels=labels,
        weights=_readonly(matrix),
        tract_lengths_mm=_readonly(lengths),
        centres_mm=_readonly(centres),
        region_hemisphere=_readonly(hemi),
        vertices_mm=_readonly(vertices),
        triangles=_readonly(triangles),
        vertex_region=_readonly(vertex_region),
        hemisphere=_readonly(vertex_hemi),
        dropped_labels=dropped,
        entry_regions=entries,
    )


def _labels_match_mesh(labels, mesh_labels) -> bool:
    """Whether ``labels`` name the mesh's regions (optional ones may be absent)."""
    labels, mesh_labels = set(labels), set(mesh_labels)
    return labels <= mesh_labels and (mesh_labels - set(OPTIONAL_MESH_LABELS)) <= labels


def _restrict_mesh(mesh: _io.MeshFileData, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep the vertices of ``labels``' regions and renumber them."""
    mesh_index = {label: k for k, label in enumerate(mesh.region_labels)}
    region_of_mesh_region = np.full(len(mesh.region_labels), -1, dtype=np.int64)
    for k, label in enumerate(labels):
        region_of_mesh_region[mesh_index[label]] = k
    vertex_region = region_of_mesh_region[mesh.vertex_region]
    keep = vertex_region >= 0
    triangles = mesh.triangles[np.all(keep[mesh.triangles], axis=1)]
    # A vertex with no triangle left would be isolated on the mesh: drop it too.
    in_triangle = np.zeros(len(keep), dtype=bool)
    in_triangle[triangles.ravel()] = True
    keep &= in_triangle
    new_index = np.full(len(keep), -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    return mesh.vertices_mm[keep], new_index[triangles], vertex_region[keep]


def _tvb_name(source) -> str | None:
    """The number of a ``"tvb:NN"`` source, or ``None`` for a path."""
    if not isinstance(source, (str, os.PathLike)):
        return None
    text = os.fspath(source).strip()
    if not text.lower().startswith("tvb:") or Path(text).exists():
        return None
    number = text[4:].strip()
    if number not in TVB_CONNECTOMES:
        allowed = ", ".join(f"tvb:{k}" for k in TVB_CONNECTOMES)
        raise ParameterError(
            f"connectome {text!r} is not a tvb-data connectome; allowed names: {allowed} "
            "(or the path of a connectome file)"
        )
    return number


def load_connectome(source=None, *, labels=None, entry_regions=None) -> Connectome:
    """Load the default connectome, one of ``tvb-data`` by name, or a user's.

    Parameters
    ----------
    source : str or os.PathLike, optional
        ``None`` or ``"tvb:76"`` for the default (``tvb-data``
        ``connectivity_76`` with the ``cortex_16384`` mesh; ``rCC``/``lCC``
        dropped); ``"tvb:66"``, ``"tvb:68"`` or ``"tvb:96"`` for the other
        connectivities of ``tvb-data`` (:data:`TVB_CONNECTOMES`).  Otherwise
        a TVB connectivity ``.zip`` or folder, or a square weight matrix in
        ``.npy``, ``.csv``, ``.txt`` or ``.tsv``.
    labels : sequence of str or str or os.PathLike, optional
        Region labels for a matrix without them: a sequence, or a text file
        with one label per line.  Overrides labels found in the source.
    entry_regions : str, sequence of str, mapping or None
        The auditory and/or premotor entry regions, by label or 0-based row
        of the file's matrix, e.g. ``"auditory=rTT,lTT;premotor=rCMF,lCMF"``
        or ``{"auditory": [0, 1]}`` (see
        :func:`resonance.connectome.coupling.parse_entry_regions`).  Kinds not named are
        found by label (:data:`resonance.connectome.coupling.AUDITORY_REGIONS`,
        :data:`resonance.connectome.coupling.MOTOR_REGIONS`).

    Returns
    -------
    Connectome
        With the default mesh attached when the labels match its regions.

    Raises
    ------
    DataFileError
        If a file is missing, empty, truncated, pickled or unreadable.
    ParameterError
        If its content is invalid (see :func:`connectome_from_arrays`), a
        ``tvb:`` name is unknown, or a named entry region does not exist.

    Warns
    -----
    ConnectomeWarning
        When a user connectome has unconnected regions (they are dropped).

    Examples
    --------
    >>> c = load_connectome()
    >>> "rA1" in c.region_labels and "lA2" in c.region_labels
    True
    >>> str(c.hemisphere[c.vertex_region == c.region_labels.index("lA1")][0])
    'L'
    >>> load_connectome("tvb:66").entry_regions.auditory
    ('rST', 'rTT', 'lST', 'lTT')
    """
    number = _tvb_name(source)
    if source is None or number == "76":
        if labels is not None:
            raise ParameterError("labels can only be given together with a connectome source file")
        data = _io.read_tvb_connectivity(_io.tvb_data_file(*_io.DEFAULT_CONNECTIVITY_FILE))
        name = "tvb-data connectivity_76 + cortex_16384"
        warn = False  # dropping rCC/lCC is documented behaviour, not news
    elif number is not None:
        data = _io.read_tvb_connectivity(_io.tvb_data_file("connectivity", TVB_CONNECTOMES[number][0]))
        name = f"tvb-data connectivity_{number}"
        warn = True
    else:
        data = _io.read_connectome_file(source)
        name = data.name
        warn = True
    region_labels = data.labels
    if labels is not None:
        region_labels = _io.read_labels(labels) if isinstance(labels, (str, Path)) else tuple(labels)
    # The mesh can only match labelled regions; skip reading it otherwise.
    mesh = _io.read_default_mesh() if region_labels is not None else None
    return connectome_from_arrays(
        data.weights,
        region_labels=region_labels,
        tract_lengths_mm=data.tract_lengths_mm,
        centres_mm=data.centres_mm,
        right_hemisphere=data.right_hemisphere,
        mesh=mesh,
        name=name,
        warn=warn,
        entry_regions=entry_regions,
    )
