"""Harmonics stage: the connectome's eigenmodes and how each one rings.

* :mod:`~resonance.harmonics.graph` -- the vertex graph of the cortical mesh
  plus long-range connectome edges (or the region graph).
* :mod:`~resonance.harmonics.eigen` -- the eigensolver (lowest eigenpairs of
  the normalised Laplacian) and the eigenvalues' physical units.
* :mod:`~resonance.harmonics.wave` -- the cortical damped wave equation:
  each mode's ringing frequency, damping and transfer.
* :mod:`~resonance.harmonics.field` -- the corticothalamic neural field
  (Robinson et al. 2001/2002): each mode's temporal response as the scorer
  uses it.
* :mod:`~resonance.harmonics.modes` -- :class:`Harmonics`,
  :class:`RegionalHarmonics` and :func:`connectome_harmonics`, which runs the
  above and caches the result (:mod:`~resonance.harmonics.cache`).
"""

from .cache import CACHE_FORMAT, CACHE_KIND
from .eigen import DENSE_LIMIT, GRAPH_TO_LBO, SHIFT, laplacian_eigenmodes, physical_eigenvalues
from .field import FieldParameters, channel_transfer_power, corticothalamic_transfer
from .graph import (
    LONG_RANGE_FRACTION,
    N_LONG_RANGE_EDGES,
    SEED,
    mesh_edges,
    normalized_laplacian,
    sample_long_range_edges,
    vertex_adjacency,
)
from .modes import (
    LEVELS,
    MAX_N_MODES,
    N_MODES,
    N_REGIONAL_MODES,
    REFERENCE_CORTEX_AREA_MM2,
    Harmonics,
    RegionalHarmonics,
    connectome_harmonics,
    spatial_axis_correlations,
)
from .wave import GAMMA_PER_S, R_MM, mode_dispersion, neural_field_transfer

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
    "FieldParameters",
    "channel_transfer_power",
    "corticothalamic_transfer",
]
