"""Metrics stage: what the model reports about a stimulus.

* :mod:`~resonance.metrics.timecourse` -- the headline score (the
  reservoir's equilibrium level), habituation and the annealing-arc metrics
  of the SNE time course.
"""

from .timecourse import arc_metrics, equilibrium_score, habituation

__all__ = ["equilibrium_score", "habituation", "arc_metrics"]
