"""File input and output for :mod:`resonance`, one module per kind of file.

* :mod:`resonance.io.connectome` -- connectome matrices, TVB connectivities,
  the ``tvb-data`` cortical mesh and region mapping;
* :mod:`resonance.io.cache` -- the on-disk ``.npz`` cache (atomic writes);
* :mod:`resonance.io.audio` -- audio files;
* :mod:`resonance.io.scoring` -- :func:`score_file`, the model fed from an
  audio file;
* :mod:`resonance.io.library` -- many files scored into one results table.

Submodules are imported on demand, so importing this package loads nothing
heavy.
"""

__all__ = []
