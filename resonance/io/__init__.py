"""File input and output for :mod:`resonance`, one module per kind of file.

* :mod:`resonance.io.connectome` -- connectome matrices, TVB connectivities,
  the ``tvb-data`` cortical mesh and region mapping;
* :mod:`resonance.io.cache` -- the on-disk ``.npz`` cache (atomic writes);
* :mod:`resonance.io.audio` -- audio files.

Submodules are imported on demand, so importing this package loads nothing
heavy.
"""

__all__ = []
