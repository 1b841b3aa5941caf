"""What the model predicts for one stimulus: :class:`ScoreResult`, and the units of its energies."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SCORE_UNITS", "ScoreResult"]

#: Units of the score and of every energy in the results.
SCORE_UNITS = (
    "basis points (1/10,000) of fixed references at the auditory entry (unlearnable 120 BPM "
    "full-band onset train; full-depth 4 Hz amplitude modulation)"
)


@dataclass
class ScoreResult:
    """What the model predicts for one stimulus.

    Attributes
    ----------
    duration_s : float
        Duration of the audio scored (s).
    score : float
        Semantically-neutral energy build-up: the SNE reservoir's equilibrium
        level (the mean neutral power delivered after ``settle_s``;
        :func:`~resonance.metrics.equilibrium_score`), in basis points of the
        fixed entry references (:data:`SCORE_UNITS`; :func:`resonance.scorer.entry_references`).
    metrics : dict
        Named metrics (see :meth:`resonance.scorer.Scorer.result`).
    arc : dict
        Annealing-arc metrics of the SNE time course.
    timeline : dict of ndarray
        Per model step (0.37 s): ``t_s`` (end of the step, s), ``sne`` (the
        SNE reservoir, i.e. the model's temperature), ``absorbed`` (what the
        total drive would have stored minus ``sne``: energy predicted by the
        sinks, marked semantic, or carried by low-precision errors),
        ``neutral_power`` (neutral power delivered in the step), ``semantic``
        (mean speech probability); and ``mode_energy`` (SNE per harmonic,
        n_modes x n_steps, float32).
    harmonics_level : str
        ``"vertex"`` or ``"region"``: which harmonics were used.
    regions : list of (str, float)
        Regions whose regional harmonics hold the most neutral energy.
    mode_frequencies_hz : ndarray
        Natural frequency of each harmonic.
    """

    duration_s: float
    score: float
    metrics: dict
    arc: dict
    timeline: dict = field(repr=False)
    harmonics_level: str = "vertex"
    regions: list = field(default_factory=list)
    mode_frequencies_hz: np.ndarray = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """JSON-ready summary (no time series)."""
        return {
            "duration_s": round(float(self.duration_s), 6),
            "score": _num(self.score),
            "score_units": SCORE_UNITS,
            "metrics": {k: _num(v) for k, v in self.metrics.items()},
            "arc": {k: _num(v) for k, v in self.arc.items()},
            "harmonics": self.harmonics_level,
            "top_regions": [{"region": r, "share": _num(s)} for r, s in self.regions],
        }


def _num(v):
    if v is None:
        return None
    v = float(v)
    if not np.isfinite(v):
        return None
    return float(f"{v:.6g}")
