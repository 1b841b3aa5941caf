"""resonance: a model of how sound energy builds up in a connectome's harmonics.

The package is pure computation plus one I/O module.  It never imports
:mod:`stimgen`.
"""

from .connectome import Connectome, load_connectome
from .errors import DataFileError, ParameterError, ResonanceError
from .harmonics import Harmonics, RegionalHarmonics, connectome_harmonics
from .io.library import score_files
from .io.scoring import score_file
from .pipeline import ModelConfig, Scorer, ScoreResult, score_signal

__version__ = "0.1.0"

__all__ = [
    "ResonanceError",
    "ParameterError",
    "DataFileError",
    "__version__",
    "Connectome",
    "load_connectome",
    "Harmonics",
    "RegionalHarmonics",
    "connectome_harmonics",
    "ModelConfig",
    "Scorer",
    "ScoreResult",
    "score_file",
    "score_signal",
    "score_files",
]
