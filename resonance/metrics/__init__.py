"""Metrics stage: what the model reports about a stimulus.

* :mod:`~resonance.metrics.timecourse` -- the headline score (the
  reservoir's equilibrium level), habituation and the annealing-arc metrics
  of the SNE time course.
* :mod:`~resonance.metrics.readout` -- the headline with its window, tempo
  and pulse salience, the consonance of the energised modes' rates, and the
  regions holding the most energy.
"""

from .readout import headline, rate_consonance, tempo, top_regions
from .timecourse import arc_metrics, equilibrium_score, habituation

__all__ = ["equilibrium_score", "habituation", "arc_metrics", "headline", "rate_consonance", "tempo", "top_regions"]
