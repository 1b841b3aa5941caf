"""Data files shipped with :mod:`resonance` (read with :mod:`importlib.resources`).

* ``harmony_ltm.npz`` -- the long-term harmonic memory, chord-transition
  counts learned from J. S. Bach's chorales in the ``music21`` corpus by
  ``scripts/train_harmony.py`` (:func:`resonance.expectation.harmony.load_ltm`).
"""

__all__: list = []
