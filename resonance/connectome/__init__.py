"""Connectome stage: the brain network, and where sound enters it.

* :mod:`~resonance.connectome.network` -- :class:`Connectome` and
  :func:`load_connectome` (``tvb-data`` connectomes, matrices, the cortical
  mesh; the files themselves are read by :mod:`resonance.io.connectome`).
* :mod:`~resonance.connectome.coupling` -- the auditory and premotor entry
  regions, and how each harmonic receives sound there.
"""

from .coupling import (
    AUDITORY_REGIONS,
    ENTRY_KINDS,
    MOTOR_REGIONS,
    Coupling,
    EntryRegions,
    entry_coupling,
    find_regions,
    parse_entry_regions,
    regional_projection,
    require_entry_regions,
    resolve_entry_regions,
)
from .network import (
    HEMISPHERES,
    MAX_TRACT_LENGTH_MM,
    MAX_WEIGHT,
    OPTIONAL_MESH_LABELS,
    TVB_CONNECTOMES,
    Connectome,
    ConnectomeWarning,
    connectome_from_arrays,
    hemisphere_from_label,
    load_connectome,
)

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
    "AUDITORY_REGIONS",
    "ENTRY_KINDS",
    "MOTOR_REGIONS",
    "Coupling",
    "EntryRegions",
    "entry_coupling",
    "find_regions",
    "parse_entry_regions",
    "regional_projection",
    "require_entry_regions",
    "resolve_entry_regions",
]
