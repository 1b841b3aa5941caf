"""The scoring pipeline's former home, kept so that existing imports work.

The model now lives in one folder per stage (see :mod:`resonance`):
:class:`~resonance.config.ModelConfig` in :mod:`resonance.config`,
:class:`~resonance.result.ScoreResult` in :mod:`resonance.result`, and
:class:`~resonance.scorer.Scorer` and :func:`~resonance.scorer.score_signal`
in :mod:`resonance.scorer`, which composes the stages.  New code should
import from there (or from :mod:`resonance`).
"""

from __future__ import annotations

from .config import ModelConfig
from .dynamics.synchrony import step_average as _step_average  # noqa: F401 (former private name)
from .metrics import arc_metrics
from .result import SCORE_UNITS, ScoreResult
from .scorer import Scorer, score_signal

__all__ = ["SCORE_UNITS", "ModelConfig", "Scorer", "ScoreResult", "score_signal", "arc_metrics"]
