"""Expectation: the listener's models of metre and harmony (docs/model.md).

* :class:`~resonance.expectation.metre.MetreModel` -- an online posterior over
  tempo and beat phase; its certainty is the precision of rhythmic
  prediction errors.
* :class:`~resonance.expectation.harmony.HarmonyModel` -- chords from chroma,
  predicted by a long-term memory learned from a corpus and a short-term
  memory that starts blank for each stimulus (IDyOM, Pearce 2005).
"""

from .metre import MetreModel, MetreOutput
from .stage import Expectation

__all__ = ["Expectation", "MetreModel", "MetreOutput"]
